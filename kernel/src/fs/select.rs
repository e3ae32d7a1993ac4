//! poll(2), ppoll(2), select(2) and pselect6(2); mirrors fs/select.c:
//! `do_sys_poll` → `do_poll`, `core_sys_select` → `do_select`, the
//! `poll_table` that `vfs_poll` registers sleepers with (`poll_wait`,
//! `poll_freewait`), timeouts (`poll_select_set_timeout`) and
//! `poll_select_finish` (the time left written back, the signal mask of
//! ppoll/pselect6 restored unless a handler is to run first).
//!
//! One difference: a poll(2) with a timeout that a signal without a
//! handler interrupts (a stop, then SIGCONT) restarts with its whole
//! timeout (ERESTARTNOHAND) instead of the time left (Linux's
//! `do_restart_poll` restart block).

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::task::wait::WaitQueueHead;
use crate::uapi::termbits::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};

/// `DEFAULT_POLLMASK`: what a file without `poll` always is.
pub const DEFAULT_POLLMASK: u32 = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

/// `poll_table` with its `poll_wqueues`: the queues the current task was
/// put on while polling, taken off again by `poll_freewait`.
#[derive(Default)]
pub struct PollTable {
    queues: Vec<Arc<WaitQueueHead>>,
    /// `_qproc` is cleared after the first pass: the task is queued once.
    registering: bool,
}

impl PollTable {
    /// `poll_wait()`: sleep on `wq` until the poll ends.
    pub fn poll_wait(&mut self, wq: &Arc<WaitQueueHead>) {
        if !self.registering {
            return;
        }
        #[cfg(target_os = "none")]
        wq.add(&crate::task::current());
        self.queues.push(wq.clone());
    }
}

#[cfg(target_os = "none")]
pub use syscalls::*;

#[cfg(target_os = "none")]
mod syscalls {
    use alloc::vec;

    use super::*;
    use crate::arch::x86_64::uaccess::{copy_from_user, copy_to_user};
    use crate::task::sched::{schedule, schedule_timeout};
    use crate::task::signal::{SigSet, restore_saved_sigmask, set_current_blocked, signal_pending};
    use crate::task::time::{
        Timespec, get_timespec, ktime_get_ns, nsecs_to_jiffies_ceil, put_timespec,
    };
    use crate::task::{TaskState, current, current_files};
    use crate::uapi::errno::{Errno, KResult};
    use crate::uapi::resource::RLIMIT_NOFILE;
    use crate::uapi::termbits::{POLLERR, POLLHUP, POLLNVAL, POLLPRI, POLLRDBAND, POLLWRBAND};

    /// `POLLIN_SET`, `POLLOUT_SET`, `POLLEX_SET` of select(2).
    const POLLIN_SET: u32 = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
    const POLLOUT_SET: u32 = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
    const POLLEX_SET: u32 = POLLPRI;

    impl PollTable {
        /// `poll_initwait()`.
        fn new() -> Self {
            Self {
                queues: Vec::new(),
                registering: true,
            }
        }
    }

    impl Drop for PollTable {
        /// `poll_freewait()`.
        fn drop(&mut self) {
            let me = current();
            for wq in &self.queues {
                wq.remove(&me);
            }
        }
    }

    /// When a poll stops waiting, in ns of `ktime_get_ns`; None waits
    /// forever, Some(0) not at all (`poll_select_set_timeout`).
    type EndTime = Option<u64>;

    /// `poll_select_set_timeout()`: EINVAL for a bad timespec.
    fn poll_select_set_timeout(ts: Timespec) -> KResult<EndTime> {
        if !ts.valid() {
            return Err(Errno::EINVAL);
        }
        Ok(Some(if ts.tv_sec == 0 && ts.tv_nsec == 0 {
            0
        } else {
            ktime_get_ns().saturating_add(ts.to_ns())
        }))
    }

    /// `poll_schedule_timeout()`: sleep until a wake-up, a signal or the
    /// end time; false once the time is up.
    fn poll_schedule_timeout(end: EndTime) -> bool {
        match end {
            None => {
                schedule();
                true
            }
            Some(end) => {
                let now = ktime_get_ns();
                if now >= end {
                    current().set_state(TaskState::Running);
                    return false;
                }
                schedule_timeout(nsecs_to_jiffies_ceil(end - now));
                ktime_get_ns() < end
            }
        }
    }

    /// One `struct pollfd`.
    #[derive(Clone, Copy)]
    struct PollFd {
        fd: i32,
        events: u16,
        revents: u16,
    }

    /// `do_pollfd()`: a negative fd is skipped, a closed one POLLNVAL.
    fn do_pollfd(pfd: &PollFd, pt: &mut PollTable) -> u16 {
        if pfd.fd < 0 {
            return 0;
        }
        let Ok(file) = current_files().get(pfd.fd) else {
            return POLLNVAL as u16;
        };
        let filter = u32::from(pfd.events) | POLLERR | POLLHUP;
        (file.poll(pt) & filter) as u16
    }

    /// `do_poll()`.
    #[inline(never)]
    fn do_poll(fds: &mut [PollFd], end: EndTime) -> KResult<usize> {
        let me = current();
        let mut pt = PollTable::new();
        let mut timed_out = end == Some(0);
        loop {
            me.set_state(TaskState::Interruptible);
            let mut count = 0;
            for pfd in fds.iter_mut() {
                pfd.revents = do_pollfd(pfd, &mut pt);
                if pfd.revents != 0 {
                    count += 1;
                }
            }
            pt.registering = false;
            if count == 0 && signal_pending(&me) {
                me.set_state(TaskState::Running);
                return Err(Errno::ERESTARTNOHAND);
            }
            if count > 0 || timed_out {
                me.set_state(TaskState::Running);
                return Ok(count);
            }
            if !poll_schedule_timeout(end) {
                timed_out = true;
            }
        }
    }

    /// `do_sys_poll()`.
    fn do_sys_poll(ufds: u64, nfds: u32, end: EndTime) -> KResult<usize> {
        let nfds = nfds as usize;
        if nfds as u64 > crate::task::sys::rlimit(RLIMIT_NOFILE) {
            return Err(Errno::EINVAL);
        }
        let mut raw = vec![0u8; nfds * 8];
        copy_from_user(&mut raw, ufds)?;
        let mut fds: Vec<PollFd> = raw
            .as_chunks::<8>()
            .0
            .iter()
            .map(|c| PollFd {
                fd: i32::from_ne_bytes([c[0], c[1], c[2], c[3]]),
                events: u16::from_ne_bytes([c[4], c[5]]),
                revents: 0,
            })
            .collect();
        let n = do_poll(&mut fds, end)?;
        for (i, pfd) in fds.iter().enumerate() {
            copy_to_user(ufds + i as u64 * 8 + 6, &pfd.revents.to_ne_bytes())?;
        }
        Ok(n)
    }

    /// `poll(ufds, nfds, timeout_msecs)`: a negative timeout waits
    /// forever.
    #[inline(never)]
    pub fn sys_poll(ufds: u64, nfds: u32, timeout_msecs: i32) -> KResult<usize> {
        let end = if timeout_msecs >= 0 {
            let ms = i64::from(timeout_msecs);
            poll_select_set_timeout(Timespec {
                tv_sec: ms / 1000,
                tv_nsec: (ms % 1000) * 1_000_000,
            })?
        } else {
            None
        };
        do_sys_poll(ufds, nfds, end)
    }

    /// `set_user_sigmask()`: the mask for the wait; the old one is
    /// restored by `poll_select_finish` or after the handler runs.
    fn set_user_sigmask(umask: u64, sigsetsize: u64) -> KResult<()> {
        if umask == 0 {
            return Ok(());
        }
        if sigsetsize != 8 {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; 8];
        copy_from_user(&mut b, umask)?;
        let me = current();
        me.saved_sigmask.store(
            me.blocked.load(core::sync::atomic::Ordering::SeqCst),
            core::sync::atomic::Ordering::SeqCst,
        );
        me.restore_sigmask
            .store(true, core::sync::atomic::Ordering::SeqCst);
        set_current_blocked(SigSet::from_ne_bytes(b));
        Ok(())
    }

    /// How the time left is written back.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum PollTimeType {
        Timeval,
        Timespec,
    }

    /// `poll_select_finish()`.
    fn poll_select_finish<T>(
        end: EndTime,
        p: u64,
        kind: PollTimeType,
        ret: KResult<T>,
    ) -> KResult<T> {
        let interrupted = matches!(ret, Err(Errno::ERESTARTNOHAND));
        if !interrupted {
            restore_saved_sigmask();
        }
        let Some(end) = end else { return ret };
        if p == 0 || end == 0 {
            return ret;
        }
        let left = Timespec::from_ns(end.saturating_sub(ktime_get_ns()));
        let written = match kind {
            PollTimeType::Timespec => put_timespec(p, left),
            PollTimeType::Timeval => {
                let mut b = [0u8; 16];
                b[..8].copy_from_slice(&left.tv_sec.to_ne_bytes());
                b[8..].copy_from_slice(&(left.tv_nsec / 1000).to_ne_bytes());
                copy_to_user(p, &b)
            }
        };
        // A timeout in read-only memory: the call cannot be restarted
        // with the time it did not get back.
        if written.is_err() && interrupted {
            return Err(Errno::EINTR);
        }
        ret
    }

    /// `ppoll(ufds, nfds, tsp, sigmask, sigsetsize)`.
    #[inline(never)]
    pub fn sys_ppoll(
        ufds: u64,
        nfds: u32,
        tsp: u64,
        sigmask: u64,
        sigsetsize: u64,
    ) -> KResult<usize> {
        let end = if tsp != 0 {
            poll_select_set_timeout(get_timespec(tsp)?)?
        } else {
            None
        };
        set_user_sigmask(sigmask, sigsetsize)?;
        let ret = do_sys_poll(ufds, nfds, end);
        poll_select_finish(end, tsp, PollTimeType::Timespec, ret)
    }

    /// The three `fd_set`s of select(2), `n` bits each.
    struct FdSets {
        bits: [Vec<u64>; 3],
    }

    fn get_fd_set(p: u64, words: usize) -> KResult<Vec<u64>> {
        let mut v = vec![0u64; words];
        if p != 0 {
            let mut b = vec![0u8; words * 8];
            copy_from_user(&mut b, p)?;
            for (w, c) in v.iter_mut().zip(b.as_chunks::<8>().0) {
                *w = u64::from_ne_bytes(*c);
            }
        }
        Ok(v)
    }

    fn set_fd_set(p: u64, bits: &[u64]) -> KResult<()> {
        if p == 0 {
            return Ok(());
        }
        let b: Vec<u8> = bits.iter().flat_map(|w| w.to_ne_bytes()).collect();
        copy_to_user(p, &b)
    }

    /// `do_select()`: EBADF if a set names a closed descriptor.
    #[inline(never)]
    fn do_select(n: usize, sets: &FdSets, end: EndTime) -> KResult<(usize, [Vec<u64>; 3])> {
        let files = current_files();
        let words = n.div_ceil(64);
        let bit = |set: &Vec<u64>, fd: usize| set[fd / 64] & (1 << (fd % 64)) != 0;
        for fd in 0..n {
            if sets.bits.iter().any(|s| bit(s, fd)) && files.get(fd as i32).is_err() {
                return Err(Errno::EBADF);
            }
        }
        let me = current();
        let mut pt = PollTable::new();
        let mut timed_out = end == Some(0);
        loop {
            me.set_state(TaskState::Interruptible);
            let mut res: [Vec<u64>; 3] = core::array::from_fn(|_| vec![0u64; words]);
            let mut count = 0;
            for fd in 0..n {
                let wanted: [bool; 3] = core::array::from_fn(|k| bit(&sets.bits[k], fd));
                if !wanted.iter().any(|&w| w) {
                    continue;
                }
                let Ok(file) = files.get(fd as i32) else {
                    continue;
                };
                let mask = file.poll(&mut pt);
                for (k, set) in [POLLIN_SET, POLLOUT_SET, POLLEX_SET]
                    .into_iter()
                    .enumerate()
                {
                    if wanted[k] && mask & set != 0 {
                        res[k][fd / 64] |= 1 << (fd % 64);
                        count += 1;
                    }
                }
            }
            pt.registering = false;
            if count > 0 || timed_out || signal_pending(&me) {
                me.set_state(TaskState::Running);
                return Ok((count, res));
            }
            if !poll_schedule_timeout(end) {
                timed_out = true;
            }
        }
    }

    /// `core_sys_select()`: `n` is cut to the descriptor table's size.
    fn core_sys_select(n: i32, inp: u64, outp: u64, exp: u64, end: EndTime) -> KResult<usize> {
        if n < 0 {
            return Err(Errno::EINVAL);
        }
        let n = (n as usize).min(current_files().max_fds());
        let words = n.div_ceil(64);
        let sets = FdSets {
            bits: [
                get_fd_set(inp, words)?,
                get_fd_set(outp, words)?,
                get_fd_set(exp, words)?,
            ],
        };
        let (count, res) = do_select(n, &sets, end)?;
        if count == 0 && signal_pending(&current()) {
            return Err(Errno::ERESTARTNOHAND);
        }
        set_fd_set(inp, &res[0])?;
        set_fd_set(outp, &res[1])?;
        set_fd_set(exp, &res[2])?;
        Ok(count)
    }

    /// `select(n, inp, outp, exp, tvp)`: the time left is written back to
    /// `tvp`.
    #[inline(never)]
    pub fn sys_select(n: i32, inp: u64, outp: u64, exp: u64, tvp: u64) -> KResult<usize> {
        let end = if tvp != 0 {
            let mut b = [0u8; 16];
            copy_from_user(&mut b, tvp)?;
            let sec = i64::from_ne_bytes(b[..8].try_into().expect("8 bytes"));
            let usec = i64::from_ne_bytes(b[8..].try_into().expect("8 bytes"));
            if sec < 0 || usec < 0 {
                return Err(Errno::EINVAL);
            }
            poll_select_set_timeout(Timespec {
                tv_sec: sec.saturating_add(usec / 1_000_000),
                tv_nsec: (usec % 1_000_000) * 1000,
            })?
        } else {
            None
        };
        let ret = core_sys_select(n, inp, outp, exp, end);
        poll_select_finish(end, tvp, PollTimeType::Timeval, ret)
    }

    /// `pselect6(n, inp, outp, exp, tsp, sig)`: `sig` points at
    /// `{ const sigset_t *ss; size_t ss_len; }`.
    #[inline(never)]
    pub fn sys_pselect6(
        n: i32,
        inp: u64,
        outp: u64,
        exp: u64,
        tsp: u64,
        sig: u64,
    ) -> KResult<usize> {
        let end = if tsp != 0 {
            poll_select_set_timeout(get_timespec(tsp)?)?
        } else {
            None
        };
        if sig != 0 {
            let mut b = [0u8; 16];
            copy_from_user(&mut b, sig)?;
            let up = u64::from_ne_bytes(b[..8].try_into().expect("8 bytes"));
            let size = u64::from_ne_bytes(b[8..].try_into().expect("8 bytes"));
            set_user_sigmask(up, size)?;
        }
        let ret = core_sys_select(n, inp, outp, exp, end);
        poll_select_finish(end, tsp, PollTimeType::Timespec, ret)
    }
}
