//! Time; mirrors kernel/time/: `jiffies` (jiffies.c), the periodic tick
//! (tick-common.c: `tick_handle_periodic` → `tick_periodic` → `do_timer`,
//! `update_process_times` in timer.c), sleeping timeouts (the timer wheel's
//! role, as a list), `nanosleep` (hrtimer.c) and `clock_gettime`
//! (posix-timers.c).
//!
//! Clocks come from `jiffies` (1 ms resolution at HZ=1000), so under
//! `-icount` they advance with executed instructions and runs repeat
//! exactly. `CLOCK_REALTIME` adds the CMOS time read at boot.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use super::sched::{schedule_timeout_interruptible, scheduler_tick, wake_up_process};
use super::signal::signal_pending;
use super::{TaskStruct, current};
use crate::arch::x86_64::irq::HZ;
use crate::arch::x86_64::rtc::boot_wall_seconds;
use crate::arch::x86_64::uaccess::{copy_from_user, copy_to_user};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::time::*;

/// `jiffies`: ticks since the timer started.
static JIFFIES: AtomicU64 = AtomicU64::new(0);

/// Sleepers with a timeout: (expiry in jiffies, task).
static TIMERS: SpinLock<Vec<(u64, Arc<TaskStruct>)>> = SpinLock::new(Vec::new());

pub const NSEC_PER_SEC: u64 = 1_000_000_000;
const NSEC_PER_JIFFY: u64 = NSEC_PER_SEC / HZ;

/// `jiffies`.
pub fn jiffies() -> u64 {
    JIFFIES.load(Ordering::Relaxed)
}

/// `tick_handle_periodic()`: the timer interrupt's work.
#[inline(never)]
pub fn tick_handle_periodic() {
    tick_periodic();
    // Not a sibling call, so this frame stays in gdb backtraces.
    core::hint::black_box(());
}

/// `tick_periodic()`: `do_timer(1)` then `update_process_times()`.
#[inline(never)]
fn tick_periodic() {
    JIFFIES.fetch_add(1, Ordering::Relaxed);
    update_process_times();
    core::hint::black_box(());
}

/// `update_process_times()`: expire timeouts (`run_local_timers`) and let
/// the scheduler account the tick.
#[inline(never)]
fn update_process_times() {
    run_local_timers();
    scheduler_tick();
}

/// Wakes every sleeper whose timeout has passed.
fn run_local_timers() {
    let now = jiffies();
    let mut expired = Vec::new();
    TIMERS.lock_irqsave().retain(|(expires, task)| {
        if *expires <= now {
            expired.push(task.clone());
            false
        } else {
            true
        }
    });
    for task in &expired {
        wake_up_process(task);
    }
}

/// Arms a wake-up of `task` at `expires` (`add_timer`).
pub(crate) fn add_timer(expires: u64, task: Arc<TaskStruct>) {
    TIMERS.lock_irqsave().push((expires, task));
}

/// Disarms `task`'s timeout if it has not fired (`del_timer`).
pub(crate) fn del_timer(task: &Arc<TaskStruct>) {
    TIMERS.lock_irqsave().retain(|(_, t)| !Arc::ptr_eq(t, task));
}

/// Monotonic time in nanoseconds.
pub fn ktime_get_ns() -> u64 {
    jiffies() * NSEC_PER_JIFFY
}

/// `struct __kernel_timespec`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.tv_sec.to_ne_bytes());
        b[8..].copy_from_slice(&self.tv_nsec.to_ne_bytes());
        b
    }

    fn from_bytes(b: &[u8; 16]) -> Self {
        let mut sec = [0u8; 8];
        let mut nsec = [0u8; 8];
        sec.copy_from_slice(&b[..8]);
        nsec.copy_from_slice(&b[8..]);
        Self {
            tv_sec: i64::from_ne_bytes(sec),
            tv_nsec: i64::from_ne_bytes(nsec),
        }
    }

    fn from_ns(ns: u64) -> Self {
        Self {
            tv_sec: (ns / NSEC_PER_SEC) as i64,
            tv_nsec: (ns % NSEC_PER_SEC) as i64,
        }
    }

    /// `timespec64_valid()`.
    fn valid(self) -> bool {
        self.tv_sec >= 0 && (0..NSEC_PER_SEC as i64).contains(&self.tv_nsec)
    }
}

fn get_timespec(addr: u64) -> KResult<Timespec> {
    let mut b = [0u8; 16];
    copy_from_user(&mut b, addr)?;
    Ok(Timespec::from_bytes(&b))
}

fn put_timespec(addr: u64, ts: Timespec) -> KResult<()> {
    copy_to_user(addr, &ts.to_bytes())
}

/// `clock_gettime(which, tp)`.
#[inline(never)]
pub fn sys_clock_gettime(which: i32, tp: u64) -> KResult<i64> {
    let mono = ktime_get_ns();
    let ns = match which {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => boot_wall_seconds() * NSEC_PER_SEC + mono,
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => mono,
        _ => return Err(Errno::EINVAL),
    };
    put_timespec(tp, Timespec::from_ns(ns))?;
    Ok(0)
}

/// `nanosleep(req, rem)`: sleeps at least `req` (rounded up to ticks);
/// EINTR (with the time left in `rem`) when a signal wakes the task.
#[inline(never)]
pub fn sys_nanosleep(req: u64, rem: u64) -> KResult<i64> {
    let ts = get_timespec(req)?;
    if !ts.valid() {
        return Err(Errno::EINVAL);
    }
    let ns = (ts.tv_sec as u64)
        .saturating_mul(NSEC_PER_SEC)
        .saturating_add(ts.tv_nsec as u64);
    let mut left = ns.div_ceil(NSEC_PER_JIFFY);
    let curr = current();
    while left > 0 {
        left = schedule_timeout_interruptible(left);
        if signal_pending(&curr) {
            if rem != 0 {
                put_timespec(rem, Timespec::from_ns(left * NSEC_PER_JIFFY))?;
            }
            return Err(Errno::EINTR);
        }
    }
    Ok(0)
}
