//! Resource limits: the table `signal_struct::rlim` holds, Linux's boot
//! values (`INIT_RLIMITS` of include/asm-generic/resource.h, with
//! `fork_init`'s RLIMIT_NPROC and RLIMIT_SIGPENDING) and the rules
//! `do_prlimit` in kernel/sys.c applies to a change. Pure, so the host
//! tests check it.
//!
//! Every task is root (`CAP_SYS_RESOURCE`), so raising a hard limit is
//! allowed; RLIMIT_NOFILE's hard limit still cannot pass `nr_open`.

use crate::uapi::errno::{Errno, KResult};
pub use crate::uapi::resource::*;

/// `struct rlimit64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

impl Rlimit {
    const fn new(cur: u64, max: u64) -> Self {
        Self {
            rlim_cur: cur,
            rlim_max: max,
        }
    }

    /// The 16-byte user-space layout (`rlim_cur`, `rlim_max`).
    pub fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.rlim_cur.to_ne_bytes());
        b[8..].copy_from_slice(&self.rlim_max.to_ne_bytes());
        b
    }

    pub fn from_bytes(b: &[u8; 16]) -> Self {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_ne_bytes(w)
        };
        Self::new(word(0), word(8))
    }
}

/// `_STK_LIM`: 8 MiB.
pub const _STK_LIM: u64 = 8 << 20;
/// `MLOCK_LIMIT`: 8 MiB.
pub const MLOCK_LIMIT: u64 = 8 << 20;
/// `INR_OPEN_CUR`, `INR_OPEN_MAX`.
pub const INR_OPEN_CUR: u64 = 1024;
pub const INR_OPEN_MAX: u64 = 4096;
/// `MQ_BYTES_MAX`.
pub const MQ_BYTES_MAX: u64 = 819_200;
/// `sysctl_nr_open`'s default (`NR_OPEN`): the most RLIMIT_NOFILE's hard
/// limit may be.
pub const NR_OPEN: u64 = 1024 * 1024;
/// `MIN_THREADS`, `FUTEX_TID_MASK` (the bounds of `max_threads`).
const MIN_THREADS: u64 = 20;
const MAX_THREADS: u64 = 0x3fff_ffff;

/// `signal_struct::rlim`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimits(pub [Rlimit; RLIM_NLIMITS]);

impl Default for Rlimits {
    /// `INIT_RLIMITS`: RLIMIT_NPROC and RLIMIT_SIGPENDING are 0 until
    /// [`Rlimits::fork_init`] sizes them.
    fn default() -> Self {
        let inf = Rlimit::new(RLIM_INFINITY, RLIM_INFINITY);
        let mut r = [inf; RLIM_NLIMITS];
        r[RLIMIT_STACK] = Rlimit::new(_STK_LIM, RLIM_INFINITY);
        r[RLIMIT_CORE] = Rlimit::new(0, RLIM_INFINITY);
        r[RLIMIT_NPROC] = Rlimit::new(0, 0);
        r[RLIMIT_NOFILE] = Rlimit::new(INR_OPEN_CUR, INR_OPEN_MAX);
        r[RLIMIT_MEMLOCK] = Rlimit::new(MLOCK_LIMIT, MLOCK_LIMIT);
        r[RLIMIT_SIGPENDING] = Rlimit::new(0, 0);
        r[RLIMIT_MSGQUEUE] = Rlimit::new(MQ_BYTES_MAX, MQ_BYTES_MAX);
        r[RLIMIT_NICE] = Rlimit::new(0, 0);
        r[RLIMIT_RTPRIO] = Rlimit::new(0, 0);
        Self(r)
    }
}

/// `set_max_threads()`: how many threads fit when their kernel stacks
/// may take an eighth of RAM.
pub fn max_threads(totalram_pages: u64, page_size: u64, thread_size: u64) -> u64 {
    (totalram_pages * page_size / (thread_size * 8)).clamp(MIN_THREADS, MAX_THREADS)
}

impl Rlimits {
    /// `fork_init()`: init's RLIMIT_NPROC and RLIMIT_SIGPENDING are half
    /// of `max_threads`.
    pub fn fork_init(max_threads: u64) -> Self {
        let mut r = Self::default();
        let half = Rlimit::new(max_threads / 2, max_threads / 2);
        r.0[RLIMIT_NPROC] = half;
        r.0[RLIMIT_SIGPENDING] = half;
        r
    }

    /// `do_prlimit()`: check `new` against Linux's rules, then return the
    /// old value and install `new`. EINVAL for a resource out of range or
    /// a soft limit above the hard one; EPERM for an RLIMIT_NOFILE hard
    /// limit above `nr_open`.
    pub fn do_prlimit(&mut self, resource: u32, new: Option<Rlimit>) -> KResult<Rlimit> {
        let resource = resource as usize;
        if resource >= RLIM_NLIMITS {
            return Err(Errno::EINVAL);
        }
        if let Some(new) = new {
            if new.rlim_cur > new.rlim_max {
                return Err(Errno::EINVAL);
            }
            if resource == RLIMIT_NOFILE && new.rlim_max > NR_OPEN {
                return Err(Errno::EPERM);
            }
        }
        let old = self.0[resource];
        if let Some(new) = new {
            self.0[resource] = new;
        }
        Ok(old)
    }

    /// `rlimit(resource)`: the soft limit.
    pub fn cur(&self, resource: usize) -> u64 {
        self.0[resource].rlim_cur
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_rlimits_are_linux_s() {
        let r = Rlimits::fork_init(max_threads(32768, 4096, 32768));
        assert_eq!(r.0[RLIMIT_STACK], Rlimit::new(8 << 20, RLIM_INFINITY));
        assert_eq!(r.0[RLIMIT_NOFILE], Rlimit::new(1024, 4096));
        assert_eq!(r.0[RLIMIT_CORE], Rlimit::new(0, RLIM_INFINITY));
        assert_eq!(r.0[RLIMIT_MEMLOCK], Rlimit::new(8 << 20, 8 << 20));
        assert_eq!(r.0[RLIMIT_MSGQUEUE], Rlimit::new(819_200, 819_200));
        assert_eq!(r.0[RLIMIT_CPU], Rlimit::new(RLIM_INFINITY, RLIM_INFINITY));
        assert_eq!(r.0[RLIMIT_AS], Rlimit::new(RLIM_INFINITY, RLIM_INFINITY));
        assert_eq!(r.0[RLIMIT_NICE], Rlimit::new(0, 0));
        // 128 MiB with 32 KiB stacks: 128 MiB / 256 KiB = 512 threads.
        assert_eq!(r.0[RLIMIT_NPROC], Rlimit::new(256, 256));
        assert_eq!(r.0[RLIMIT_SIGPENDING], Rlimit::new(256, 256));
        assert_eq!(r.cur(RLIMIT_NOFILE), 1024);
    }

    #[test]
    fn max_threads_is_clamped() {
        assert_eq!(max_threads(10, 4096, 32768), 20);
        assert_eq!(max_threads(1 << 40, 4096, 4096), 0x3fff_ffff);
    }

    #[test]
    fn do_prlimit_follows_linux_rules() {
        let mut r = Rlimits::default();
        assert_eq!(r.do_prlimit(16, None), Err(Errno::EINVAL));
        assert_eq!(r.do_prlimit(u32::MAX, None), Err(Errno::EINVAL));
        assert_eq!(
            r.do_prlimit(RLIMIT_STACK as u32, Some(Rlimit::new(2, 1))),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            r.do_prlimit(RLIMIT_NOFILE as u32, Some(Rlimit::new(1, NR_OPEN + 1))),
            Err(Errno::EPERM)
        );
        // Refused changes leave the table alone.
        assert_eq!(r, Rlimits::default());
        // Raising the hard limit is allowed (root); the old value comes back.
        let old = r.do_prlimit(RLIMIT_NOFILE as u32, Some(Rlimit::new(10, NR_OPEN)));
        assert_eq!(old, Ok(Rlimit::new(1024, 4096)));
        assert_eq!(
            r.do_prlimit(RLIMIT_NOFILE as u32, None),
            Ok(Rlimit::new(10, NR_OPEN))
        );
        // Equal soft and hard limits, and infinity, are fine.
        let inf = Rlimit::new(RLIM_INFINITY, RLIM_INFINITY);
        assert!(r.do_prlimit(RLIMIT_STACK as u32, Some(inf)).is_ok());
        assert_eq!(r.0[RLIMIT_STACK], inf);
    }

    #[test]
    fn rlimit_bytes_round_trip() {
        let r = Rlimit::new(1, u64::MAX);
        assert_eq!(Rlimit::from_bytes(&r.to_bytes()), r);
    }
}
