//! Time stamp counter; mirrors the rdtsc helpers of arch/x86/include/asm/msr.h.
//!
//! Under `-icount shift=0,sleep=off` the TSC advances with executed guest
//! instructions, so deltas measure work deterministically.

use core::arch::x86_64::{_mm_lfence, _rdtsc};

/// Reads the TSC. The CPU may execute it out of order with nearby code.
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc is available on every x86_64 CPU and CR4.TSD is clear,
    // so it cannot fault.
    unsafe { _rdtsc() }
}

/// Reads the TSC after all earlier instructions have completed (Linux's
/// `rdtsc_ordered`), for timing a stretch of code.
#[inline]
pub fn rdtsc_ordered() -> u64 {
    // SAFETY: lfence is part of SSE2, which every x86_64 CPU has.
    unsafe { _mm_lfence() };
    rdtsc()
}
