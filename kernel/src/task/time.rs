//! Time; mirrors kernel/time/: `jiffies` (jiffies.c), the periodic tick
//! (tick-common.c: `tick_handle_periodic` → `tick_periodic` → `do_timer`,
//! `update_process_times` in timer.c), sleeping timeouts (the timer wheel's
//! role, as a list), `nanosleep` and `clock_nanosleep` (hrtimer.c),
//! `clock_gettime` and `clock_getres` (posix-timers.c, and the CPU-time
//! clocks of posix-cpu-timers.c), `gettimeofday` and `time` (time.c).
//!
//! Clocks come from `jiffies` (1 ms resolution at HZ=1000), so under
//! `-icount` they advance with executed instructions and runs repeat
//! exactly. `CLOCK_REALTIME` adds the CMOS time read at boot.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use super::loadavg::calc_global_load;
use super::sched::{nr_running, schedule_timeout_interruptible, scheduler_tick, wake_up_process};
use super::signal::signal_pending;
use super::sys::account_process_tick;
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

/// `tick_handle_periodic()`: the timer interrupt's work; `user_tick`
/// tells whether the tick interrupted user mode.
#[inline(never)]
pub fn tick_handle_periodic(user_tick: bool) {
    tick_periodic(user_tick);
    // Not a sibling call, so this frame stays in gdb backtraces.
    core::hint::black_box(());
}

/// `tick_periodic()`: `do_timer(1)` then `update_process_times()`.
#[inline(never)]
fn tick_periodic(user_tick: bool) {
    let now = JIFFIES.fetch_add(1, Ordering::Relaxed) + 1;
    // do_timer(): calc_global_load() over runnable tasks (there is no
    // uninterruptible sleep to add).
    calc_global_load(now, nr_running());
    update_process_times(user_tick);
    core::hint::black_box(());
}

/// `update_process_times()`: charge the tick to the running task
/// (`account_process_tick`), expire timeouts (`run_local_timers`) and let
/// the scheduler account the tick.
#[inline(never)]
fn update_process_times(user_tick: bool) {
    account_process_tick(user_tick);
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

/// `ktime_get_real_ns()`: wall-clock time in nanoseconds.
pub fn ktime_get_real_ns() -> u64 {
    boot_wall_seconds() * NSEC_PER_SEC + ktime_get_ns()
}

/// Ticks to nanoseconds (`jiffies_to_nsecs`).
pub const fn jiffies_to_nsecs(j: u64) -> u64 {
    j * NSEC_PER_JIFFY
}

/// Nanoseconds to ticks, rounded up, so a sleep never ends early.
pub const fn nsecs_to_jiffies_ceil(ns: u64) -> u64 {
    ns.div_ceil(NSEC_PER_JIFFY)
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

    pub(crate) fn from_ns(ns: u64) -> Self {
        Self {
            tv_sec: (ns / NSEC_PER_SEC) as i64,
            tv_nsec: (ns % NSEC_PER_SEC) as i64,
        }
    }

    /// Nanoseconds (for a valid timespec), saturating.
    pub(crate) fn to_ns(self) -> u64 {
        (self.tv_sec as u64)
            .saturating_mul(NSEC_PER_SEC)
            .saturating_add(self.tv_nsec as u64)
    }

    /// `timespec64_valid()`.
    pub(crate) fn valid(self) -> bool {
        self.tv_sec >= 0 && (0..NSEC_PER_SEC as i64).contains(&self.tv_nsec)
    }
}

pub(crate) fn get_timespec(addr: u64) -> KResult<Timespec> {
    let mut b = [0u8; 16];
    copy_from_user(&mut b, addr)?;
    Ok(Timespec::from_bytes(&b))
}

pub(crate) fn put_timespec(addr: u64, ts: Timespec) -> KResult<()> {
    copy_to_user(addr, &ts.to_bytes())
}

/// The CPU time the current task has used (`utime + stime`), in ns.
fn task_cputime_ns() -> u64 {
    let curr = current();
    jiffies_to_nsecs(curr.utime.load(Ordering::Relaxed) + curr.stime.load(Ordering::Relaxed))
}

/// `clock_gettime(which, tp)`. Every clock advances by ticks; the CPU-time
/// clocks of the caller (one thread per process) count its ticks.
#[inline(never)]
pub fn sys_clock_gettime(which: i32, tp: u64) -> KResult<i64> {
    let ns = match which {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_TAI => ktime_get_real_ns(),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            ktime_get_ns()
        }
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => task_cputime_ns(),
        _ => return Err(Errno::EINVAL),
    };
    put_timespec(tp, Timespec::from_ns(ns))?;
    Ok(0)
}

/// `clock_getres(which, tp)`: one tick for every clock, since each
/// advances by ticks; a NULL `tp` only checks the clock.
#[inline(never)]
pub fn sys_clock_getres(which: i32, tp: u64) -> KResult<i64> {
    if !matches!(
        which,
        CLOCK_REALTIME
            | CLOCK_MONOTONIC
            | CLOCK_PROCESS_CPUTIME_ID
            | CLOCK_THREAD_CPUTIME_ID
            | CLOCK_MONOTONIC_RAW
            | CLOCK_REALTIME_COARSE
            | CLOCK_MONOTONIC_COARSE
            | CLOCK_BOOTTIME
            | CLOCK_TAI
    ) {
        return Err(Errno::EINVAL);
    }
    if tp != 0 {
        put_timespec(tp, Timespec::from_ns(NSEC_PER_JIFFY))?;
    }
    Ok(0)
}

/// `gettimeofday(tv, tz)`: `struct timeval`, and a zero `struct timezone`
/// (`sys_tz`, which nothing sets).
#[inline(never)]
pub fn sys_gettimeofday(tv: u64, tz: u64) -> KResult<i64> {
    if tv != 0 {
        let ns = ktime_get_real_ns();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&((ns / NSEC_PER_SEC) as i64).to_ne_bytes());
        b[8..].copy_from_slice(&(((ns % NSEC_PER_SEC) / 1000) as i64).to_ne_bytes());
        copy_to_user(tv, &b)?;
    }
    if tz != 0 {
        copy_to_user(tz, &[0u8; 8])?;
    }
    Ok(0)
}

/// `time(tloc)`: seconds since the epoch, also stored at `tloc`.
#[inline(never)]
pub fn sys_time(tloc: u64) -> KResult<i64> {
    let secs = (ktime_get_real_ns() / NSEC_PER_SEC) as i64;
    if tloc != 0 {
        copy_to_user(tloc, &secs.to_ne_bytes())?;
    }
    Ok(secs)
}

/// `hrtimer_nanosleep()`: sleep `ns` (whole ticks, rounded up). A
/// signal ends it with the time left in `rem` and
/// ERESTART_RESTARTBLOCK: EINTR if a handler runs, else the sleep goes
/// on through `restart_syscall` (a stop and continue do not cut it short).
/// An absolute sleep (`rem` 0, `abs`) restarts as it was called
/// (ERESTARTNOHAND).
#[inline(never)]
fn hrtimer_nanosleep(ns: u64, rem: u64, abs: bool) -> KResult<i64> {
    do_nanosleep(jiffies() + nsecs_to_jiffies_ceil(ns), rem, abs)
}

/// `do_nanosleep()`: sleep until tick `expires`.
fn do_nanosleep(expires: u64, rem: u64, abs: bool) -> KResult<i64> {
    let curr = current();
    loop {
        let now = jiffies();
        if now >= expires {
            return Ok(0);
        }
        schedule_timeout_interruptible(expires - now);
        if jiffies() < expires && signal_pending(&curr) {
            if abs {
                return Err(Errno::ERESTARTNOHAND);
            }
            if rem != 0 {
                let left = expires.saturating_sub(jiffies());
                put_timespec(rem, Timespec::from_ns(jiffies_to_nsecs(left)))?;
            }
            *curr.restart_block.lock_irqsave() = Some((expires, rem));
            return Err(Errno::ERESTART_RESTARTBLOCK);
        }
    }
}

/// `restart_syscall()`: go on with the sleep a signal without a handler
/// interrupted (`hrtimer_nanosleep_restart`); EINTR when there is none
/// (`do_no_restart_syscall`).
#[inline(never)]
pub fn sys_restart_syscall() -> KResult<i64> {
    let block = current().restart_block.lock_irqsave().take();
    match block {
        Some((expires, rem)) => do_nanosleep(expires, rem, false),
        None => Err(Errno::EINTR),
    }
}

/// `nanosleep(req, rem)`: sleeps at least `req` (rounded up to ticks);
/// EINTR (with the time left in `rem`) when a signal wakes the task.
#[inline(never)]
pub fn sys_nanosleep(req: u64, rem: u64) -> KResult<i64> {
    let ts = get_timespec(req)?;
    if !ts.valid() {
        return Err(Errno::EINVAL);
    }
    hrtimer_nanosleep(ts.to_ns(), rem, false)
}

/// `clock_nanosleep(which, flags, req, rem)`: a relative sleep, or with
/// TIMER_ABSTIME one until the clock reads `req`. EINVAL for unknown
/// clocks, EOPNOTSUPP for the clocks Linux has no sleep for (the raw and
/// coarse ones, the thread CPU clock) and for the process CPU clock,
/// whose sleeps (Linux's `posix_cpu_nsleep`) tinymm does not have.
#[inline(never)]
pub fn sys_clock_nanosleep(which: i32, flags: i32, req: u64, rem: u64) -> KResult<i64> {
    let now = match which {
        CLOCK_REALTIME | CLOCK_TAI => ktime_get_real_ns(),
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => ktime_get_ns(),
        CLOCK_MONOTONIC_RAW
        | CLOCK_REALTIME_COARSE
        | CLOCK_MONOTONIC_COARSE
        | CLOCK_PROCESS_CPUTIME_ID
        | CLOCK_THREAD_CPUTIME_ID => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    };
    let ts = get_timespec(req)?;
    if !ts.valid() {
        return Err(Errno::EINVAL);
    }
    if flags & TIMER_ABSTIME != 0 {
        // An absolute sleep reports no time left.
        hrtimer_nanosleep(ts.to_ns().saturating_sub(now), 0, true)
    } else {
        hrtimer_nanosleep(ts.to_ns(), rem, false)
    }
}
