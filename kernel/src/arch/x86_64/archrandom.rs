//! The CPU's random number instructions; mirrors
//! arch/x86/include/asm/archrandom.h (`rdseed_long`, `rdrand_long`,
//! `arch_get_random_seed_longs`) and the TSC fallback random.c uses
//! (`random_get_entropy`) on a CPU without them.

use core::arch::x86_64::{__cpuid, __cpuid_count, _rdrand64_step, _rdseed64_step};

use super::tsc::rdtsc;

/// CPUID.01H:ECX.RDRAND, CPUID.(EAX=7,ECX=0):EBX.RDSEED.
const X86_FEATURE_RDRAND: u32 = 1 << 30;
const X86_FEATURE_RDSEED: u32 = 1 << 18;
/// `RDRAND_RETRY_LOOPS`.
const RDRAND_RETRY_LOOPS: usize = 10;

fn rdseed_long() -> Option<u64> {
    if __cpuid_count(7, 0).ebx & X86_FEATURE_RDSEED == 0 {
        return None;
    }
    let mut v = 0;
    // SAFETY: CPUID says the CPU has RDSEED; the intrinsic writes `v`.
    (unsafe { _rdseed64_step(&mut v) } == 1).then_some(v)
}

fn rdrand_long() -> Option<u64> {
    if __cpuid(1).ecx & X86_FEATURE_RDRAND == 0 {
        return None;
    }
    for _ in 0..RDRAND_RETRY_LOOPS {
        let mut v = 0;
        // SAFETY: CPUID says the CPU has RDRAND; the intrinsic writes `v`.
        if unsafe { _rdrand64_step(&mut v) } == 1 {
            return Some(v);
        }
    }
    None
}

/// 256 bits of seed: RDSEED, else RDRAND, else the TSC (distinct,
/// hard-to-guess low bits on real hardware; under `-icount` it is
/// repeatable, as everything else there).
pub fn arch_get_random_seed_longs() -> [u64; 4] {
    let mut seed = [0u64; 4];
    for (i, s) in seed.iter_mut().enumerate() {
        *s = rdseed_long()
            .or_else(rdrand_long)
            .unwrap_or_else(|| rdtsc().rotate_left(17 * i as u32) ^ (i as u64) << 56);
    }
    seed
}
