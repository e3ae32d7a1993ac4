//! The load average; mirrors kernel/sched/loadavg.c for one CPU: every
//! `LOAD_FREQ` ticks the number of active tasks (runnable plus
//! uninterruptible; tinymm has no uninterruptible sleep) is folded into
//! three exponentially decaying averages in 11-bit fixed point
//! (`avenrun`), which /proc/loadavg, sysinfo(2) and top show. The
//! arithmetic is pure, so the host tests check it against Linux's values.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// `FSHIFT`: bits of fraction.
pub const FSHIFT: u32 = 11;
/// `FIXED_1`: 1.0 in fixed point.
pub const FIXED_1: u64 = 1 << FSHIFT;
/// `EXP_1`, `EXP_5`, `EXP_15`: 1/exp(5s/1min), 1/exp(5s/5min),
/// 1/exp(5s/15min) in fixed point.
pub const EXP: [u64; 3] = [1884, 2014, 2037];
/// `LOAD_FREQ`: 5 s plus one tick, in ticks at HZ=1000.
pub const LOAD_FREQ: u64 = 5 * 1000 + 1;

/// `avenrun[]`.
static AVENRUN: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];
/// `calc_load_update`: the tick of the next sample.
static CALC_LOAD_UPDATE: AtomicU64 = AtomicU64::new(LOAD_FREQ);

/// `calc_load()`: `load` decayed by `exp` towards `active` (both fixed
/// point), rounded up while the load rises.
pub fn calc_load(load: u64, exp: u64, active: u64) -> u64 {
    let mut newload = load * exp + active * (FIXED_1 - exp);
    if active >= load {
        newload += FIXED_1 - 1;
    }
    newload / FIXED_1
}

/// `calc_global_load()`: at `now` (jiffies), take a sample of `active`
/// tasks if the sample is due. Called every tick (`do_timer`).
pub fn calc_global_load(now: u64, active: u64) {
    let due = CALC_LOAD_UPDATE.load(Relaxed);
    if now < due {
        return;
    }
    let active = active * FIXED_1;
    for (avg, exp) in AVENRUN.iter().zip(EXP) {
        avg.store(calc_load(avg.load(Relaxed), exp, active), Relaxed);
    }
    CALC_LOAD_UPDATE.store(due + LOAD_FREQ, Relaxed);
}

/// `get_avenrun()`: the three averages plus `offset`, shifted left by
/// `shift` (sysinfo(2) wants 16 bits of fraction).
pub fn get_avenrun(offset: u64, shift: u32) -> [u64; 3] {
    AVENRUN
        .each_ref()
        .map(|a| (a.load(Relaxed) + offset) << shift)
}

/// `LOAD_INT()` and `LOAD_FRAC()`: a fixed-point load as its integer part
/// and two decimals, as /proc/loadavg prints it (after adding
/// `FIXED_1/200` to round).
pub fn load_int_frac(x: u64) -> (u64, u64) {
    (x >> FSHIFT, ((x & (FIXED_1 - 1)) * 100) >> FSHIFT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_busy_task_approaches_one() {
        // A task runnable at every sample: the 1-minute average after 12
        // samples (one minute) is 1 - 1/e, rounded up at each step as
        // Linux rounds.
        let mut load = [0u64; 3];
        for _ in 0..12 {
            for (l, e) in load.iter_mut().zip(EXP) {
                *l = calc_load(*l, e, FIXED_1);
            }
        }
        assert_eq!(load, [1299, 378, 132]);
        assert_eq!(load_int_frac(load[0] + FIXED_1 / 200), (0, 63));
        // Idle again: it decays, never below zero.
        let mut l = load[0];
        for _ in 0..1000 {
            l = calc_load(l, EXP[0], 0);
        }
        assert_eq!(l, 0);
    }

    #[test]
    fn first_sample_of_two_tasks() {
        assert_eq!(calc_load(0, EXP[0], 2 * FIXED_1), 328);
        assert_eq!(load_int_frac(328 + FIXED_1 / 200), (0, 16));
        assert_eq!(load_int_frac(2 * FIXED_1 + 10), (2, 0));
        assert_eq!(load_int_frac(FIXED_1 + FIXED_1 / 2), (1, 50));
    }

    #[test]
    fn samples_every_load_freq() {
        calc_global_load(LOAD_FREQ - 1, 5);
        assert_eq!(get_avenrun(0, 0), [0, 0, 0], "not due yet");
        calc_global_load(LOAD_FREQ, 1);
        let first = get_avenrun(0, 0);
        assert_eq!(first, [164, 34, 11]);
        calc_global_load(LOAD_FREQ + 1, 1);
        assert_eq!(get_avenrun(0, 0), first, "next one 5 s later");
        assert_eq!(get_avenrun(0, 5), first.map(|v| v << 5));
    }
}
