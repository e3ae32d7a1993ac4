//! Process-wide system calls; mirrors kernel/sys.c (`getpid`,
//! the uid family, `umask`, `setpgid` and sessions, `getrlimit` /
//! `setrlimit` / `prlimit64`, `getrusage`, `times`, `sysinfo`, `prctl`),
//! the CPU-time accounting of kernel/sched/cputime.c
//! (`account_process_tick`), the affinity and policy calls of
//! kernel/sched/core.c and the `getrandom` of drivers/char/random.c.
//!
//! Every task is root (uid, gid 0) and there is one CPU. Not counted yet:
//! voluntary and involuntary context switches (`ru_nvcsw`, `ru_nivcsw`
//! read 0).

use core::sync::atomic::Ordering::Relaxed;

use super::loadavg::{FSHIFT, get_avenrun};
use super::random::Crng;
use super::resource::{Rlimit, Rlimits, max_threads};
use super::time::{NSEC_PER_SEC, jiffies, jiffies_to_nsecs, ktime_get_ns};
use super::{
    Pid, SignalStruct, TASK_COMM_LEN, THREAD_SIZE, TaskStruct, current, find_task_by_vpid,
    for_each_process,
};
use crate::arch::x86_64::archrandom::arch_get_random_seed_longs;
use crate::arch::x86_64::irq::HZ;
use crate::arch::x86_64::uaccess::{access_ok, copy_from_user, copy_to_user, strncpy_from_user};
use crate::mm::memory::VmFaultReason;
use crate::mm::mm_types::MmStruct;
use crate::mm::mmzone::{NodeStatItem, ZoneStatItem, node_data};
use crate::mm::page::PAGE_SIZE;
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::resource::*;

/// `SI_LOAD_SHIFT`: sysinfo's loads have 16 bits of fraction.
const SI_LOAD_SHIFT: u32 = 16;

/// `getpid()`: the thread-group id.
pub fn sys_getpid() -> i64 {
    i64::from(current().tgid)
}

/// `getppid()`.
pub fn sys_getppid() -> i64 {
    i64::from(current().ppid())
}

/// The task `pid` names (0: the caller), or ESRCH (`find_get_task`).
fn find_task(pid: Pid) -> KResult<alloc::sync::Arc<TaskStruct>> {
    if pid == 0 {
        Ok(current())
    } else {
        find_task_by_vpid(pid).ok_or(Errno::ESRCH)
    }
}

// --- credentials: only root exists ---

/// `getuid()`, `geteuid()`, `getgid()`, `getegid()`.
pub fn sys_getuid() -> i64 {
    0
}

/// `getresuid(ruid, euid, suid)` / `getresgid(...)`: all three are 0.
pub fn sys_getresuid(r: u64, e: u64, s: u64) -> KResult<i64> {
    for addr in [r, e, s] {
        copy_to_user(addr, &0u32.to_ne_bytes())?;
    }
    Ok(0)
}

/// `getgroups(size, list)` (kernel/groups.c): the supplementary groups.
/// Every task has init's empty set, so nothing is written and the count
/// is 0; a negative size is EINVAL.
pub fn sys_getgroups(size: i32) -> KResult<i64> {
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// `setuid(uid)` / `setgid(gid)`: root may set 0; -1 is no id (EINVAL,
/// as `make_kuid` fails). Other ids would need real credentials, which
/// tinymm does not keep, so they are refused.
pub fn sys_setuid(uid: u32) -> KResult<i64> {
    match uid {
        0 => Ok(0),
        u32::MAX => Err(Errno::EINVAL),
        _ => Err(Errno::EPERM),
    }
}

/// `umask(mask)`: set the process's file-mode creation mask to the
/// permission bits of `mask`, return the old one.
pub fn sys_umask(mask: u32) -> i64 {
    i64::from(current().signal.umask.swap(mask & 0o777, Relaxed))
}

// --- process groups and sessions ---

/// `getpgid(pid)`.
pub fn sys_getpgid(pid: Pid) -> KResult<i64> {
    Ok(i64::from(find_task(pid)?.signal.pgrp.load(Relaxed)))
}

/// `getpgrp()`.
pub fn sys_getpgrp() -> i64 {
    i64::from(current().signal.pgrp.load(Relaxed))
}

/// `getsid(pid)`.
pub fn sys_getsid(pid: Pid) -> KResult<i64> {
    Ok(i64::from(find_task(pid)?.signal.session.load(Relaxed)))
}

/// Some live process is in group `pgrp` (`pid_task(pgrp, PIDTYPE_PGID)`),
/// and its session.
fn pgrp_session(pgrp: Pid) -> Option<Pid> {
    let mut session = None;
    for_each_process(|t| {
        if session.is_none() && t.signal.pgrp.load(Relaxed) == pgrp {
            session = Some(t.signal.session.load(Relaxed));
        }
    });
    session
}

/// `setpgid(pid, pgid)`, with Linux's rules: 0 means the caller (and for
/// `pgid`, `pid` itself); the target must be the caller or its child in
/// the same session that has not exec'd; a session leader cannot move;
/// the group joined must exist in the caller's session.
#[inline(never)]
pub fn sys_setpgid(pid: Pid, pgid: Pid) -> KResult<i64> {
    let me = current();
    let pid = if pid == 0 { me.tgid } else { pid };
    let pgid = if pgid == 0 { pid } else { pgid };
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let p = find_task_by_vpid(pid).ok_or(Errno::ESRCH)?;
    let my_session = me.signal.session.load(Relaxed);
    if p.ppid() == me.tgid && p.pid != me.pid {
        if p.signal.session.load(Relaxed) != my_session {
            return Err(Errno::EPERM);
        }
        if !p.forknoexec.load(Relaxed) {
            return Err(Errno::EACCES);
        }
    } else if p.pid != me.pid {
        return Err(Errno::ESRCH);
    }
    if p.signal.leader.load(Relaxed) {
        return Err(Errno::EPERM);
    }
    if pgid != pid && pgrp_session(pgid) != Some(my_session) {
        return Err(Errno::EPERM);
    }
    p.signal.pgrp.store(pgid, Relaxed);
    Ok(0)
}

/// `setsid()` (`ksys_setsid`): a new session and group named after the
/// caller; EPERM when a process group with the caller's pid exists (it
/// leads one already).
#[inline(never)]
pub fn sys_setsid() -> KResult<i64> {
    let me = current();
    let sid = me.tgid;
    if pgrp_session(sid).is_some() {
        return Err(Errno::EPERM);
    }
    me.signal.leader.store(true, Relaxed);
    me.signal.session.store(sid, Relaxed);
    me.signal.pgrp.store(sid, Relaxed);
    crate::drivers::tty::tty_jobctrl::proc_clear_tty(&me);
    Ok(i64::from(sid))
}

// --- resource limits ---

/// `fork_init()`'s limits for the first task, sized by RAM.
pub fn fork_init_rlimits() -> Rlimits {
    let pages = node_data(0).totalram_pages();
    Rlimits::fork_init(max_threads(pages, PAGE_SIZE, THREAD_SIZE))
}

/// `rlimit(resource)`: the caller's soft limit.
pub fn rlimit(resource: usize) -> u64 {
    current().signal.rlim.lock_irqsave().cur(resource)
}

/// `getrlimit(resource, rlim)`.
#[inline(never)]
pub fn sys_getrlimit(resource: u32, rlim: u64) -> KResult<i64> {
    let old = current()
        .signal
        .rlim
        .lock_irqsave()
        .do_prlimit(resource, None)?;
    copy_to_user(rlim, &old.to_bytes())?;
    Ok(0)
}

fn get_rlimit(addr: u64) -> KResult<Rlimit> {
    let mut b = [0u8; 16];
    copy_from_user(&mut b, addr)?;
    Ok(Rlimit::from_bytes(&b))
}

/// `setrlimit(resource, rlim)`.
#[inline(never)]
pub fn sys_setrlimit(resource: u32, rlim: u64) -> KResult<i64> {
    let new = get_rlimit(rlim)?;
    current()
        .signal
        .rlim
        .lock_irqsave()
        .do_prlimit(resource, Some(new))?;
    Ok(0)
}

/// `prlimit64(pid, resource, new, old)`: get and/or set a limit of any
/// process (root may touch every one).
#[inline(never)]
pub fn sys_prlimit64(pid: Pid, resource: u32, new: u64, old: u64) -> KResult<i64> {
    let new = if new != 0 {
        Some(get_rlimit(new)?)
    } else {
        None
    };
    let p = find_task(pid)?;
    let prev = p.signal.rlim.lock_irqsave().do_prlimit(resource, new)?;
    if old != 0 {
        copy_to_user(old, &prev.to_bytes())?;
    }
    Ok(0)
}

// --- CPU time and resource usage ---

/// `enum cpu_usage_stat` slots of `kernel_cpustat` that tinymm fills:
/// user, system and idle ticks (nice, iowait, irq, softirq, steal and
/// guest time stay 0: nothing runs niced, waits for I/O in the idle loop,
/// is accounted to interrupts or runs guests).
pub const CPUTIME_USER: usize = 0;
pub const CPUTIME_SYSTEM: usize = 2;
pub const CPUTIME_IDLE: usize = 3;
pub const NR_STATS: usize = 10;

/// `kcpustat_cpu(0).cpustat`, in ticks.
static KCPUSTAT: [core::sync::atomic::AtomicU64; NR_STATS] =
    [const { core::sync::atomic::AtomicU64::new(0) }; NR_STATS];

/// The CPU's time by `cpu_usage_stat`, in ticks (/proc/stat).
pub fn kcpustat() -> [u64; NR_STATS] {
    KCPUSTAT.each_ref().map(|c| c.load(Relaxed))
}

/// `account_process_tick()`: charge the tick to the running task as user
/// or system time (`account_user_time`, `account_system_time`), and to
/// the CPU's; the idle task's ticks are idle time (`account_idle_time`).
pub fn account_process_tick(user_tick: bool) {
    let curr = current();
    if curr.pid == 0 {
        KCPUSTAT[CPUTIME_IDLE].fetch_add(1, Relaxed);
        return;
    }
    if user_tick {
        curr.utime.fetch_add(1, Relaxed);
        KCPUSTAT[CPUTIME_USER].fetch_add(1, Relaxed);
    } else {
        curr.stime.fetch_add(1, Relaxed);
        KCPUSTAT[CPUTIME_SYSTEM].fetch_add(1, Relaxed);
    }
}

/// `mm_account_fault()`: a page fault that succeeded is a major fault
/// when it had to read the page (VM_FAULT_MAJOR), else a minor one.
pub fn mm_account_fault(ret: VmFaultReason) {
    if ret.intersects(
        VmFaultReason::VM_FAULT_OOM
            | VmFaultReason::VM_FAULT_SIGBUS
            | VmFaultReason::VM_FAULT_SIGSEGV,
    ) {
        return;
    }
    let curr = current();
    if ret.contains(VmFaultReason::VM_FAULT_MAJOR) {
        curr.maj_flt.fetch_add(1, Relaxed);
    } else {
        curr.min_flt.fetch_add(1, Relaxed);
    }
}

/// `setmax_mm_hiwater_rss(&sig->maxrss, mm)`: keep the process's peak RSS
/// before its address space goes (exit, exec).
pub fn setmax_mm_hiwater_rss(sig: &SignalStruct, mm: &MmStruct) {
    sig.maxrss.fetch_max(mm.hiwater_rss(), Relaxed);
}

/// What `wait_task_zombie` adds to the parent when it reaps `child`: the
/// child's CPU time and faults with those of its own reaped children, and
/// the larger of their peak RSS.
pub fn account_reaped_child(parent: &SignalStruct, child: &TaskStruct) {
    let sig = &child.signal;
    let sum = |own: u64, theirs: &core::sync::atomic::AtomicU64| own + theirs.load(Relaxed);
    parent
        .cutime
        .fetch_add(sum(child.utime.load(Relaxed), &sig.cutime), Relaxed);
    parent
        .cstime
        .fetch_add(sum(child.stime.load(Relaxed), &sig.cstime), Relaxed);
    parent
        .cmin_flt
        .fetch_add(sum(child.min_flt.load(Relaxed), &sig.cmin_flt), Relaxed);
    parent
        .cmaj_flt
        .fetch_add(sum(child.maj_flt.load(Relaxed), &sig.cmaj_flt), Relaxed);
    let maxrss = sig.maxrss.load(Relaxed).max(sig.cmaxrss.load(Relaxed));
    parent.cmaxrss.fetch_max(maxrss, Relaxed);
}

/// `struct rusage`, the fields tinymm keeps (the others are 0, as on
/// Linux without swap, block I/O accounting or System V IPC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rusage {
    /// Ticks.
    pub utime: u64,
    pub stime: u64,
    /// KiB.
    pub maxrss: u64,
    pub minflt: u64,
    pub majflt: u64,
}

impl Rusage {
    /// The 144-byte x86_64 layout: two `struct timeval`s, then 14 longs
    /// from `ru_maxrss` to `ru_nivcsw`.
    pub fn to_bytes(self) -> [u8; 144] {
        let mut b = [0u8; 144];
        let tv = |ticks: u64| {
            let ns = jiffies_to_nsecs(ticks);
            [ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / 1000]
        };
        let mut words = [0u64; 18];
        words[..2].copy_from_slice(&tv(self.utime));
        words[2..4].copy_from_slice(&tv(self.stime));
        words[4] = self.maxrss;
        words[8] = self.minflt;
        words[9] = self.majflt;
        for (i, w) in words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_ne_bytes());
        }
        b
    }
}

/// `getrusage(p, who, r)` of kernel/sys.c. RUSAGE_SELF and RUSAGE_THREAD
/// are the same with one thread per process; RUSAGE_BOTH adds the reaped
/// children (what `wait4` reports for a child).
pub fn getrusage(p: &TaskStruct, who: i32) -> Rusage {
    let sig = &p.signal;
    let mut r = Rusage::default();
    let mut maxrss = 0;
    if who == RUSAGE_CHILDREN || who == RUSAGE_BOTH {
        r.utime = sig.cutime.load(Relaxed);
        r.stime = sig.cstime.load(Relaxed);
        r.minflt = sig.cmin_flt.load(Relaxed);
        r.majflt = sig.cmaj_flt.load(Relaxed);
        maxrss = sig.cmaxrss.load(Relaxed);
    }
    if who != RUSAGE_CHILDREN {
        r.utime += p.utime.load(Relaxed);
        r.stime += p.stime.load(Relaxed);
        r.minflt += p.min_flt.load(Relaxed);
        r.majflt += p.maj_flt.load(Relaxed);
        maxrss = maxrss.max(sig.maxrss.load(Relaxed));
        if let Some(mm) = p.mm.lock_irqsave().as_ref() {
            maxrss = maxrss.max(mm.hiwater_rss());
        }
    }
    r.maxrss = maxrss * (PAGE_SIZE / 1024);
    r
}

/// `getrusage(who, ru)`.
#[inline(never)]
pub fn sys_getrusage(who: i32, ru: u64) -> KResult<i64> {
    if !matches!(who, RUSAGE_SELF | RUSAGE_CHILDREN | RUSAGE_THREAD) {
        return Err(Errno::EINVAL);
    }
    copy_to_user(ru, &getrusage(&current(), who).to_bytes())?;
    Ok(0)
}

/// `USER_HZ`: the unit of `clock_t`.
const USER_HZ: u64 = 100;
/// `INITIAL_JIFFIES`: Linux starts `jiffies_64` five minutes before its
/// 32-bit wrap, and `times()` returns it, so its value is Linux's too.
const INITIAL_JIFFIES: u64 = (-300 * HZ as i64) as u32 as u64;

pub fn jiffies_to_clock_t(j: u64) -> u64 {
    j / (HZ / USER_HZ)
}

/// `times(tbuf)`: `struct tms` (user, system, children's user and system
/// time in `clock_t`); returns the ticks since boot in `clock_t`.
#[inline(never)]
pub fn sys_times(tbuf: u64) -> KResult<i64> {
    if tbuf != 0 {
        let p = current();
        let sig = &p.signal;
        let tms = [
            p.utime.load(Relaxed),
            p.stime.load(Relaxed),
            sig.cutime.load(Relaxed),
            sig.cstime.load(Relaxed),
        ];
        let mut b = [0u8; 32];
        for (i, t) in tms.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&jiffies_to_clock_t(*t).to_ne_bytes());
        }
        copy_to_user(tbuf, &b)?;
    }
    Ok(jiffies_to_clock_t(INITIAL_JIFFIES + jiffies()) as i64)
}

/// `sysinfo(info)` (`do_sysinfo`): uptime in whole seconds rounded up,
/// the load averages, memory from the page allocator's counters, swap
/// from `si_swapinfo`, the number of tasks; `mem_unit` 1 (the sizes in bytes, as Linux reports them on
/// 64-bit).
#[inline(never)]
pub fn sys_sysinfo(info: u64) -> KResult<i64> {
    let pgdat = node_data(0);
    let up = ktime_get_ns();
    let uptime = up / NSEC_PER_SEC + u64::from(!up.is_multiple_of(NSEC_PER_SEC));
    let mut procs = 0u64;
    for_each_process(|_| procs += 1);
    // uptime, loads[3], totalram, freeram, sharedram, bufferram,
    // totalswap, freeswap; then procs (u16), totalhigh, freehigh,
    // mem_unit (u32).
    let [l1, l5, l15] = get_avenrun(0, SI_LOAD_SHIFT - FSHIFT);
    let (freeswap, totalswap) = crate::mm::swapfile::si_swapinfo();
    let words = [
        uptime,
        l1,
        l5,
        l15,
        pgdat.totalram_pages() * PAGE_SIZE,
        pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages) * PAGE_SIZE,
        pgdat.page_state(NodeStatItem::NrShmem) * PAGE_SIZE,
        0,
        totalswap * PAGE_SIZE,
        freeswap * PAGE_SIZE,
    ];
    let mut b = [0u8; 112];
    for (i, w) in words.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&w.to_ne_bytes());
    }
    b[80..82].copy_from_slice(&(procs.min(u64::from(u16::MAX)) as u16).to_ne_bytes());
    b[104..108].copy_from_slice(&1u32.to_ne_bytes());
    copy_to_user(info, &b)?;
    Ok(0)
}

// --- prctl ---

/// `prctl(option, arg2, ...)`: PR_SET_NAME, PR_GET_NAME,
/// PR_SET_CHILD_SUBREAPER and PR_GET_CHILD_SUBREAPER; every other option
/// is EINVAL, as Linux answers an option it does not know.
#[inline(never)]
pub fn sys_prctl(option: i32, arg2: u64) -> KResult<i64> {
    let me = current();
    match option {
        PR_SET_NAME => {
            let mut comm = [0u8; TASK_COMM_LEN - 1];
            let len = match strncpy_from_user(&mut comm, arg2) {
                Ok(n) => n,
                // 15 bytes and no NUL: the name is truncated.
                Err(Errno::ENAMETOOLONG) => comm.len(),
                Err(_) => return Err(Errno::EFAULT),
            };
            me.set_task_comm(&comm[..len]);
            Ok(0)
        }
        PR_GET_NAME => {
            copy_to_user(arg2, &me.comm().bytes())?;
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            me.signal.is_child_subreaper.store(arg2 != 0, Relaxed);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = i32::from(me.signal.is_child_subreaper.load(Relaxed));
            copy_to_user(arg2, &v.to_ne_bytes())?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

// --- scheduling: one CPU, one policy ---

/// `nr_cpu_ids`.
const NR_CPU_IDS: usize = 1;
/// `cpumask_size()`: one `unsigned long`.
const CPUMASK_SIZE: usize = 8;

/// `sched_getaffinity(pid, len, mask)`: CPU 0 only; returns the bytes
/// written (the mask's size). EINVAL for a length that is too small or
/// not a multiple of 8.
#[inline(never)]
pub fn sys_sched_getaffinity(pid: Pid, len: u32, mask: u64) -> KResult<i64> {
    let len = len as usize;
    if len * 8 < NR_CPU_IDS || !len.is_multiple_of(CPUMASK_SIZE) {
        return Err(Errno::EINVAL);
    }
    find_task(pid)?;
    let n = len.min(CPUMASK_SIZE);
    copy_to_user(mask, &1u64.to_ne_bytes()[..n])?;
    Ok(n as i64)
}

/// `sched_setaffinity(pid, len, mask)`: the new mask must include CPU 0,
/// the only one (else EINVAL); a mask shorter than 8 bytes is
/// zero-extended, a longer one truncated.
#[inline(never)]
pub fn sys_sched_setaffinity(pid: Pid, len: u32, mask: u64) -> KResult<i64> {
    let mut m = [0u8; CPUMASK_SIZE];
    let n = (len as usize).min(CPUMASK_SIZE);
    copy_from_user(&mut m[..n], mask)?;
    find_task(pid)?;
    if m[0] & 1 == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// `sched_getscheduler(pid)`: SCHED_OTHER for everyone.
pub fn sys_sched_getscheduler(pid: Pid) -> KResult<i64> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    find_task(pid)?;
    Ok(i64::from(SCHED_OTHER))
}

/// `sched_getparam(pid, param)`: priority 0 (SCHED_OTHER's).
pub fn sys_sched_getparam(pid: Pid, param: u64) -> KResult<i64> {
    if param == 0 || pid < 0 {
        return Err(Errno::EINVAL);
    }
    find_task(pid)?;
    copy_to_user(param, &0i32.to_ne_bytes())?;
    Ok(0)
}

// --- getrandom ---

/// `base_crng`, seeded on first use.
static CRNG: SpinLock<Option<Crng>> = SpinLock::new(None);
/// `CRNG_RESEED_INTERVAL`: a minute.
const CRNG_RESEED_INTERVAL: u64 = 60 * HZ;
/// `MAX_RW_COUNT`.
const MAX_RW_COUNT: usize = i32::MAX as usize & !(PAGE_SIZE as usize - 1);

/// `get_random_bytes()`: fill `buf` from the CRNG, seeding it from the
/// CPU first and again once its seed is a minute old.
pub fn get_random_bytes(buf: &mut [u8]) {
    let now = jiffies();
    let mut crng = CRNG.lock_irqsave();
    let crng = match crng.as_mut() {
        Some(c) => {
            if c.has_old_seed(now, CRNG_RESEED_INTERVAL) {
                c.reseed(arch_get_random_seed_longs(), now);
            }
            c
        }
        None => crng.insert(Crng::new(arch_get_random_seed_longs(), now)),
    };
    crng.get_random_bytes(buf);
}

/// `write_pool_user()` for writes to /dev/random: the bytes, folded into
/// four words, are mixed into a fresh seed from the CPU.
pub fn add_device_randomness(buf: &[u8]) {
    let mut seed = arch_get_random_seed_longs();
    for (i, chunk) in buf.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        seed[i % 4] ^= u64::from_ne_bytes(w).rotate_left((i / 4) as u32 % 64);
    }
    let now = jiffies();
    let mut crng = CRNG.lock_irqsave();
    match crng.as_mut() {
        Some(c) => c.reseed(seed, now),
        None => *crng = Some(Crng::new(seed, now)),
    }
}

/// `getrandom(buf, count, flags)`. The CRNG is ready from boot, so no
/// flag ever blocks; GRND_RANDOM and GRND_INSECURE together, or unknown
/// flags, are EINVAL. A fault part-way returns the bytes written; a fault
/// before any is EFAULT.
#[inline(never)]
pub fn sys_getrandom(buf: u64, count: usize, flags: u32) -> KResult<i64> {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (GRND_INSECURE | GRND_RANDOM) == GRND_INSECURE | GRND_RANDOM {
        return Err(Errno::EINVAL);
    }
    let count = count.min(MAX_RW_COUNT);
    if !access_ok(buf, count) {
        return Err(Errno::EFAULT);
    }
    let mut done = 0usize;
    let mut chunk = [0u8; 256];
    while done < count {
        let n = (count - done).min(chunk.len());
        get_random_bytes(&mut chunk[..n]);
        if copy_to_user(buf + done as u64, &chunk[..n]).is_err() {
            // Byte-exact partial copies are not reported by copy_to_user:
            // count what lies before the first unwritable byte.
            let ok = (0..n)
                .take_while(|&i| copy_to_user(buf + (done + i) as u64, &chunk[i..=i]).is_ok())
                .count();
            done += ok;
            break;
        }
        done += n;
        if done.is_multiple_of(PAGE_SIZE as usize) && super::signal::signal_pending(&current()) {
            break;
        }
    }
    chunk.fill(0);
    if done == 0 && count != 0 {
        return Err(Errno::EFAULT);
    }
    Ok(done as i64)
}
