//! Kernel profiling by timer tick (kernel/profile.c, `CPU_PROFILING`):
//! with `profile=N` on the command line, every tick that interrupts
//! kernel code counts one hit in the bucket of the interrupted address,
//! buckets of 2^N bytes of text from `_stext` to `_etext`; /proc/profile
//! gives the step then the counters (native-endian `u32`s), for
//! util-linux `readprofile -p FILE -m System.map`; a write resets them.
//! Under `-icount` the tick counts instructions, so the profile is one
//! of guest instructions.
//!
//! As Linux without NMIs, code that runs with interrupts off is charged
//! to where it turns them back on. Left out: `profile=schedule` and
//! `profile=kvm` (their hooks are not there), the per-CPU hit caches
//! and buffer flips (one CPU), `profile_pc`'s step out of lock functions
//! (tinymm's spinlocks inline), and `prof_cpu_mask`.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::uapi::errno::{Errno, KResult};

/// `prof_buffer`, `prof_len` and `prof_shift`.
struct Profile {
    shift: u32,
    buffer: Vec<AtomicU32>,
}

static PROFILE: spin::Once<Profile> = spin::Once::new();

/// `profile_init()`: the buffer for `profile=shift` (params.rs parsed
/// it and printed "kernel profiling enabled").
pub fn profile_init(shift: u32) {
    let (start, end) = crate::arch::x86_64::setup::kernel_text();
    let prof_len = (end - start) >> shift;
    if prof_len == 0 {
        log::warn!("profiling shift: {shift} too large");
        return;
    }
    PROFILE.call_once(|| Profile {
        shift,
        buffer: (0..prof_len).map(|_| AtomicU32::new(0)).collect(),
    });
}

/// Whether `profile=` turned profiling on (`prof_on`), for /proc/profile.
pub fn prof_on() -> bool {
    PROFILE.is_completed()
}

/// `profile_tick(CPU_PROFILING)`: a tick interrupted kernel code at `ip`
/// (`profile_hit`; an address outside the text lands in the last bucket,
/// as Linux's `min(pc, prof_len - 1)`).
pub fn profile_tick(ip: u64) {
    if let Some(p) = PROFILE.get() {
        let (start, _) = crate::arch::x86_64::setup::kernel_text();
        let pc = (ip.wrapping_sub(start) >> p.shift).min(p.buffer.len() as u64 - 1);
        p.buffer[pc as usize].fetch_add(1, Relaxed);
    }
}

/// `read_profile()`: the sample step (`1 << prof_shift`), then the
/// counters.
pub fn read_profile() -> KResult<Vec<u8>> {
    let p = PROFILE.get().ok_or(Errno::EINVAL)?;
    let mut out = Vec::with_capacity((p.buffer.len() + 1) * 4);
    out.extend_from_slice(&(1u32 << p.shift.min(31)).to_ne_bytes());
    for hits in &p.buffer {
        out.extend_from_slice(&hits.load(Relaxed).to_ne_bytes());
    }
    Ok(out)
}

/// `write_profile()`: any write resets the counters; one of exactly
/// four bytes asks for a profiling multiplier, which x86 does not have
/// (`setup_profiling_timer`: EINVAL).
pub fn write_profile(buf: &[u8]) -> KResult<()> {
    let p = PROFILE.get().ok_or(Errno::EINVAL)?;
    if buf.len() == size_of::<u32>() {
        return Err(Errno::EINVAL);
    }
    for hits in &p.buffer {
        hits.store(0, Relaxed);
    }
    Ok(())
}
