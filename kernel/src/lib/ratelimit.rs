//! `struct ratelimit_state` and `___ratelimit()` (lib/ratelimit.c,
//! include/linux/ratelimit_types.h): at most `burst` events in each
//! `interval` of jiffies. `printk_ratelimited!` gives every call site
//! its own state (`DEFINE_RATELIMIT_STATE` in a static), as Linux's
//! macro does.

use crate::sync::SpinLock;

/// `DEFAULT_RATELIMIT_INTERVAL`, in jiffies.
#[cfg(target_os = "none")]
pub const DEFAULT_RATELIMIT_INTERVAL: u64 = 5 * crate::arch::x86_64::irq::HZ;
/// `DEFAULT_RATELIMIT_BURST`.
pub const DEFAULT_RATELIMIT_BURST: u32 = 10;

/// `RATELIMIT_MSG_ON_RELEASE`: the owner reports what was missed when it
/// goes away (/dev/kmsg's writers), not at the next interval.
pub const RATELIMIT_MSG_ON_RELEASE: u32 = 1 << 0;

#[derive(Default)]
struct State {
    begin: u64,
    printed: u32,
    missed: u32,
}

/// `struct ratelimit_state`.
pub struct RatelimitState {
    state: SpinLock<State>,
    interval: u64,
    burst: u32,
    flags: u32,
}

/// What one `___ratelimit()` decided.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The event may happen.
    pub pass: bool,
    /// Events suppressed in the interval that just ended, to report
    /// (0 with `RATELIMIT_MSG_ON_RELEASE`).
    pub suppressed: u32,
}

impl RatelimitState {
    /// `DEFINE_RATELIMIT_STATE()` / `ratelimit_state_init()`.
    pub const fn new(interval: u64, burst: u32, flags: u32) -> Self {
        Self {
            state: SpinLock::new(State {
                begin: 0,
                printed: 0,
                missed: 0,
            }),
            interval,
            burst,
            flags,
        }
    }

    /// `___ratelimit()` at jiffy `now`. An interval of 0 passes all.
    pub fn ratelimit_at(&self, now: u64) -> Verdict {
        if self.interval == 0 {
            return Verdict {
                pass: true,
                suppressed: 0,
            };
        }
        let mut s = self.state.lock_irqsave();
        let mut suppressed = 0;
        if s.begin == 0 {
            s.begin = now;
        }
        if now > s.begin + self.interval {
            if s.missed > 0 && self.flags & RATELIMIT_MSG_ON_RELEASE == 0 {
                suppressed = s.missed;
                s.missed = 0;
            }
            s.begin = now;
            s.printed = 0;
        }
        let pass = self.burst > s.printed;
        if pass {
            s.printed += 1;
        } else {
            s.missed += 1;
        }
        Verdict { pass, suppressed }
    }

    /// `ratelimit_state_exit()`'s count: the events missed so far, reset.
    pub fn take_missed(&self) -> u32 {
        core::mem::take(&mut self.state.lock_irqsave().missed)
    }

    /// `__ratelimit()` now, telling the log of the suppressed ones
    /// (`"%s: %d callbacks suppressed"` with the caller's name).
    #[cfg(target_os = "none")]
    pub fn __ratelimit(&self, func: &str) -> bool {
        let v = self.ratelimit_at(crate::task::time::jiffies());
        if v.suppressed > 0 {
            log::warn!("{func}: {} callbacks suppressed", v.suppressed);
        }
        v.pass
    }
}

/// `printk_ratelimited()`: `printk(level, ...)` unless this call site
/// printed `DEFAULT_RATELIMIT_BURST` times in the last
/// `DEFAULT_RATELIMIT_INTERVAL`; `func` names it when suppressed lines
/// are reported.
#[cfg(target_os = "none")]
#[macro_export]
macro_rules! printk_ratelimited {
    ($level:expr, $func:expr, $($arg:tt)*) => {{
        static RS: $crate::lib::ratelimit::RatelimitState = $crate::lib::ratelimit::RatelimitState::new(
            $crate::lib::ratelimit::DEFAULT_RATELIMIT_INTERVAL,
            $crate::lib::ratelimit::DEFAULT_RATELIMIT_BURST,
            0,
        );
        if RS.__ratelimit($func) {
            $crate::printk::printk::printk($level, format_args!($($arg)*));
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_per_interval_then_the_missed_are_reported() {
        let rs = RatelimitState::new(500, 10, 0);
        for _ in 0..10 {
            assert!(rs.ratelimit_at(1000).pass);
        }
        for _ in 0..5 {
            assert_eq!(
                rs.ratelimit_at(1200),
                Verdict {
                    pass: false,
                    suppressed: 0
                }
            );
        }
        // Still inside: begin + interval is not yet past.
        assert!(!rs.ratelimit_at(1500).pass);
        assert_eq!(
            rs.ratelimit_at(1501),
            Verdict {
                pass: true,
                suppressed: 6
            }
        );
        assert_eq!(rs.take_missed(), 0);
    }

    #[test]
    fn on_release_keeps_the_count() {
        let rs = RatelimitState::new(500, 1, RATELIMIT_MSG_ON_RELEASE);
        assert!(rs.ratelimit_at(1).pass);
        assert!(!rs.ratelimit_at(2).pass);
        assert!(!rs.ratelimit_at(3).pass);
        assert_eq!(rs.ratelimit_at(600).suppressed, 0);
        assert_eq!(rs.take_missed(), 2);
    }

    #[test]
    fn zero_interval_passes_everything() {
        let rs = RatelimitState::new(0, 0, 0);
        assert!((0..100).all(|_| rs.ratelimit_at(7).pass));
    }
}
