//! Signals; mirrors kernel/signal.c: queuing (`send_signal_locked` with
//! `prepare_signal` and `complete_signal`), per-thread and process-wide
//! pending sets, `get_signal` with the default actions (ignore, stop,
//! terminate — no core files are written), job control (group stop,
//! SIGCONT), notifying the parent (`do_notify_parent`,
//! `do_notify_parent_cldstop`), and the signal syscalls. Building the
//! user-mode frame is arch code (arch/x86_64/signal.rs).

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use super::sched::{schedule, wake_up_state};
use super::{Pid, TaskState, TaskStruct, current, find_task_by_vpid, for_each_process};
use crate::arch::x86_64::ptrace::PtRegs;
use crate::arch::x86_64::uaccess::{copy_from_user, copy_to_user};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
pub use crate::uapi::signal::*;

/// `sigset_t`: bit `sig - 1` for signal `sig`.
pub type SigSet = u64;

/// `sigmask(sig)`.
pub const fn sigmask(sig: i32) -> SigSet {
    1 << (sig - 1)
}

/// Signals that can be neither caught, blocked nor ignored.
const SIG_KERNEL_ONLY_MASK: SigSet = sigmask(SIGKILL) | sigmask(SIGSTOP);
/// Default action: stop the process.
const SIG_KERNEL_STOP_MASK: SigSet =
    sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU);
/// Default action: nothing.
const SIG_KERNEL_IGNORE_MASK: SigSet =
    sigmask(SIGCONT) | sigmask(SIGCHLD) | sigmask(SIGWINCH) | sigmask(SIGURG);
/// Synchronous (fault) signals, dequeued before others (`SYNCHRONOUS_MASK`).
const SYNCHRONOUS_MASK: SigSet = sigmask(SIGSEGV)
    | sigmask(SIGBUS)
    | sigmask(SIGILL)
    | sigmask(SIGTRAP)
    | sigmask(SIGFPE)
    | sigmask(SIGSYS);

fn valid_signal(sig: i32) -> bool {
    (1..=_NSIG).contains(&sig)
}

/// `struct k_sigaction` (x86_64's `struct sigaction` layout from user
/// space: handler, flags, restorer, mask).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KSigaction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: SigSet,
}

impl KSigaction {
    fn from_user(b: &[u8; 32]) -> Self {
        let w = |i: usize| u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        Self {
            handler: w(0),
            flags: w(1),
            restorer: w(2),
            mask: w(3),
        }
    }

    fn to_user(self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (i, v) in [self.handler, self.flags, self.restorer, self.mask]
            .into_iter()
            .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&v.to_ne_bytes());
        }
        b
    }
}

/// `struct sighand_struct`: the actions, shared by CLONE_SIGHAND tasks.
pub struct SighandStruct {
    pub action: SpinLock<[KSigaction; _NSIG as usize]>,
}

impl SighandStruct {
    pub fn new() -> Self {
        Self {
            action: SpinLock::new([KSigaction::default(); _NSIG as usize]),
        }
    }

    /// `copy_sighand()` without CLONE_SIGHAND.
    pub fn copy(&self) -> Self {
        Self {
            action: SpinLock::new(*self.action.lock_irqsave()),
        }
    }

    pub fn get(&self, sig: i32) -> KSigaction {
        self.action.lock_irqsave()[(sig - 1) as usize]
    }

    /// `flush_signal_handlers(t, 0)` at exec: caught signals go back to
    /// their default action; ignored ones stay ignored.
    pub fn flush_signal_handlers(&self) {
        for ka in self.action.lock_irqsave().iter_mut() {
            if ka.handler != SIG_IGN {
                ka.handler = SIG_DFL;
            }
            ka.flags = 0;
            ka.restorer = 0;
            ka.mask = 0;
        }
    }
}

impl Default for SighandStruct {
    fn default() -> Self {
        Self::new()
    }
}

/// The union part of `siginfo_t` that tinymm fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigFields {
    /// kill, tkill, SIGCHLD without status: `si_pid`, `si_uid`.
    Kill { pid: Pid },
    /// Faults: `si_addr`.
    Fault { addr: u64 },
    /// SIGCHLD: `si_pid`, `si_uid`, `si_status`, `si_utime`, `si_stime`.
    Chld {
        pid: Pid,
        status: i32,
        utime: i64,
        stime: i64,
    },
}

/// `struct kernel_siginfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelSiginfo {
    pub signo: i32,
    pub code: i32,
    pub fields: SigFields,
}

impl KernelSiginfo {
    /// What the kernel sends on its own behalf (`SEND_SIG_PRIV`).
    pub fn kernel(sig: i32) -> Self {
        Self {
            signo: sig,
            code: SI_KERNEL,
            fields: SigFields::Kill { pid: 0 },
        }
    }

    /// A signal from `kill`-like calls of the current process.
    pub fn user(sig: i32, code: i32) -> Self {
        Self {
            signo: sig,
            code,
            fields: SigFields::Kill {
                pid: current().tgid,
            },
        }
    }

    /// The 128-byte `siginfo_t` of x86_64.
    pub fn to_user(&self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&self.signo.to_ne_bytes());
        b[8..12].copy_from_slice(&self.code.to_ne_bytes());
        match self.fields {
            SigFields::Kill { pid } => b[16..20].copy_from_slice(&pid.to_ne_bytes()),
            SigFields::Fault { addr } => b[16..24].copy_from_slice(&addr.to_ne_bytes()),
            SigFields::Chld {
                pid,
                status,
                utime,
                stime,
            } => {
                b[16..20].copy_from_slice(&pid.to_ne_bytes());
                b[24..28].copy_from_slice(&status.to_ne_bytes());
                b[32..40].copy_from_slice(&utime.to_ne_bytes());
                b[40..48].copy_from_slice(&stime.to_ne_bytes());
            }
        }
        b
    }
}

/// `struct sigpending`: the set and the queued siginfos.
#[derive(Default)]
pub struct SigPending {
    signal: AtomicU64,
    queue: SpinLock<VecDeque<KernelSiginfo>>,
}

impl SigPending {
    pub fn set(&self) -> SigSet {
        self.signal.load(Ordering::SeqCst)
    }

    fn add(&self, info: KernelSiginfo) {
        let mut q = self.queue.lock_irqsave();
        q.push_back(info);
        self.signal.fetch_or(sigmask(info.signo), Ordering::SeqCst);
    }

    /// `flush_sigqueue_mask()`.
    fn flush_mask(&self, mask: SigSet) {
        let mut q = self.queue.lock_irqsave();
        q.retain(|i| sigmask(i.signo) & mask == 0);
        self.signal.fetch_and(!mask, Ordering::SeqCst);
    }

    /// `collect_signal()`: take the first siginfo of `sig`; the bit stays
    /// while more are queued (real-time signals).
    fn collect(&self, sig: i32) -> KernelSiginfo {
        let mut q = self.queue.lock_irqsave();
        let info = q
            .iter()
            .position(|i| i.signo == sig)
            .and_then(|at| q.remove(at));
        if !q.iter().any(|i| i.signo == sig) {
            self.signal.fetch_and(!sigmask(sig), Ordering::SeqCst);
        }
        info.unwrap_or(KernelSiginfo {
            signo: sig,
            code: SI_USER,
            fields: SigFields::Kill { pid: 0 },
        })
    }

    /// `__dequeue_signal()`: the lowest pending signal outside `blocked`,
    /// synchronous ones first.
    fn dequeue(&self, blocked: SigSet) -> Option<KernelSiginfo> {
        let ready = self.set() & !blocked;
        if ready == 0 {
            return None;
        }
        let pick = if ready & SYNCHRONOUS_MASK != 0 {
            ready & SYNCHRONOUS_MASK
        } else {
            ready
        };
        Some(self.collect(pick.trailing_zeros() as i32 + 1))
    }
}

/// The threads of `tgid`'s process.
pub fn thread_group(tgid: Pid) -> Vec<Arc<TaskStruct>> {
    let mut v = Vec::new();
    for_each_process(|t| {
        if t.tgid == tgid && !matches!(t.state(), TaskState::Dead) {
            v.push(t.clone());
        }
    });
    v
}

/// `signal_pending()`: a signal the task does not block is queued for it
/// or its process, or its process must stop.
pub fn signal_pending(task: &TaskStruct) -> bool {
    let blocked = task.blocked.load(Ordering::SeqCst);
    (task.pending.set() | task.signal.shared_pending.set()) & !blocked != 0
        || fatal_signal_pending(task)
        || task.signal.group_stop.load(Ordering::SeqCst)
        || task.signal.group_exit.load(Ordering::SeqCst)
}

/// `fatal_signal_pending()`: SIGKILL is queued for the task (it is dying).
pub fn fatal_signal_pending(task: &TaskStruct) -> bool {
    task.pending.set() & sigmask(SIGKILL) != 0
}

/// `signal_wake_up_state()`: a sleeping task must notice its signal;
/// SIGKILL (`resume`) also ends a stop.
fn signal_wake_up(task: &Arc<TaskStruct>, resume: bool) {
    wake_up_state(task, resume);
}

/// `sig_task_ignored()` / `sig_ignored()`: would delivering `sig` do
/// nothing at all? Blocked signals are never ignored (the mask may
/// change before delivery). pid 1 drops signals whose default action
/// would kill or stop it (`SIGNAL_UNKILLABLE`).
fn sig_ignored(t: &TaskStruct, sig: i32) -> bool {
    if t.blocked.load(Ordering::SeqCst) & sigmask(sig) != 0 {
        return false;
    }
    let handler = t.sighand.lock_irqsave().get(sig).handler;
    if t.tgid == 1 && handler == SIG_DFL {
        return true;
    }
    handler == SIG_IGN || (handler == SIG_DFL && sigmask(sig) & SIG_KERNEL_IGNORE_MASK != 0)
}

/// `prepare_signal()`: job-control side effects of sending `sig`, and
/// whether to queue it at all.
fn prepare_signal(sig: i32, p: &Arc<TaskStruct>) -> bool {
    let signal = &p.signal;
    if signal.group_exit.load(Ordering::SeqCst) {
        // The process is dying: only SIGKILL still matters.
        return sig == SIGKILL;
    }
    if sigmask(sig) & SIG_KERNEL_STOP_MASK != 0 {
        signal.shared_pending.flush_mask(sigmask(SIGCONT));
        for t in &thread_group(p.tgid) {
            t.pending.flush_mask(sigmask(SIGCONT));
        }
    } else if sig == SIGCONT {
        let threads = thread_group(p.tgid);
        signal.shared_pending.flush_mask(SIG_KERNEL_STOP_MASK);
        for t in &threads {
            t.pending.flush_mask(SIG_KERNEL_STOP_MASK);
        }
        if signal.group_stop.swap(false, Ordering::SeqCst) {
            signal.notify_stop.store(0, Ordering::SeqCst);
            signal.notify_cont.store(true, Ordering::SeqCst);
            for t in &threads {
                wake_up_state(t, true);
            }
            do_notify_parent_cldstop(p, CLD_CONTINUED, SIGCONT);
        }
    }
    !sig_ignored(p, sig)
}

/// `complete_signal()`: find a thread to handle a process-wide `sig` and
/// wake it; a fatal signal nobody handles kills every thread now.
fn complete_signal(sig: i32, p: &Arc<TaskStruct>, process: bool) {
    let threads = if process {
        thread_group(p.tgid)
    } else {
        alloc::vec![p.clone()]
    };
    let wants = |t: &TaskStruct| {
        t.blocked.load(Ordering::SeqCst) & sigmask(sig) == 0
            && !matches!(t.state(), TaskState::Zombie | TaskState::Dead)
    };
    let Some(t) = (if wants(p) {
        Some(p.clone())
    } else {
        threads.iter().find(|t| wants(t)).cloned()
    }) else {
        return;
    };
    let handler = t.sighand.lock_irqsave().get(sig).handler;
    let fatal = sig == SIGKILL
        || (handler == SIG_DFL
            && sigmask(sig) & (SIG_KERNEL_IGNORE_MASK | SIG_KERNEL_STOP_MASK) == 0
            && t.tgid != 1);
    if fatal && !t.signal.group_exit.load(Ordering::SeqCst) {
        t.signal.set_group_exit(sig);
        for th in thread_group(t.tgid) {
            th.pending.add(KernelSiginfo::kernel(SIGKILL));
            signal_wake_up(&th, true);
        }
        return;
    }
    signal_wake_up(&t, sig == SIGKILL);
}

/// `send_signal_locked()`: queue `info` for `p`'s process (`process`) or
/// for the thread `p` alone. Legacy signals do not queue twice.
#[inline(never)]
pub fn send_signal_locked(info: KernelSiginfo, p: &Arc<TaskStruct>, process: bool) {
    let sig = info.signo;
    if p.is_kthread() || matches!(p.state(), TaskState::Zombie | TaskState::Dead) {
        return;
    }
    if !prepare_signal(sig, p) {
        return;
    }
    let pending = if process {
        &p.signal.shared_pending
    } else {
        &p.pending
    };
    if sig < SIGRTMIN && pending.set() & sigmask(sig) != 0 {
        return;
    }
    pending.add(info);
    complete_signal(sig, p, process);
}

/// `send_sig()`: a signal from the kernel to `task`'s process. Signal 0
/// only checks that the task exists.
#[inline(never)]
pub fn send_sig(sig: i32, task: &Arc<TaskStruct>) -> KResult<()> {
    if sig == 0 {
        return Ok(());
    }
    if !valid_signal(sig) {
        return Err(Errno::EINVAL);
    }
    send_signal_locked(KernelSiginfo::kernel(sig), task, true);
    Ok(())
}

/// `force_sig_info_to_task()`: a synchronous signal for the current
/// thread that it may not block or ignore: a blocked or ignored one is
/// unblocked and reset to its default action.
fn force_sig_info(info: KernelSiginfo) {
    let t = current();
    let sig = info.signo;
    {
        let sighand = t.sighand.lock_irqsave().clone();
        let mut action = sighand.action.lock_irqsave();
        let ka = &mut action[(sig - 1) as usize];
        let blocked = t.blocked.load(Ordering::SeqCst) & sigmask(sig) != 0;
        if ka.handler == SIG_IGN || blocked {
            ka.handler = SIG_DFL;
            if blocked {
                t.blocked.fetch_and(!sigmask(sig), Ordering::SeqCst);
            }
        }
    }
    if t.pending.set() & sigmask(sig) != 0 && sig < SIGRTMIN {
        return;
    }
    t.pending.add(info);
}

/// `force_sig_fault()`: a fault signal with `si_code` and `si_addr`.
#[inline(never)]
pub fn force_sig_fault(sig: i32, si_code: i32, addr: u64) {
    force_sig_info(KernelSiginfo {
        signo: sig,
        code: si_code,
        fields: SigFields::Fault { addr },
    });
}

/// `force_sigsegv()`: a signal frame could not be built.
pub fn force_sigsegv(sig: i32) {
    if sig == SIGSEGV {
        current().sighand.lock_irqsave().action.lock_irqsave()[(SIGSEGV - 1) as usize].handler =
            SIG_DFL;
    }
    force_sig_info(KernelSiginfo::kernel(SIGSEGV));
}

/// `show_signal_msg()`: Linux's one-line report of an unhandled fault.
pub fn show_signal_msg(regs: &PtRegs, error_code: u64, address: u64) {
    let task = current();
    log::info!(
        "{}[{}]: segfault at {address:x} ip {:016x} sp {:016x} error {error_code:x}",
        task.comm(),
        task.pid,
        regs.ip,
        regs.sp
    );
}

/// `unhandled_signal()`: whether `sig` would take its default action.
pub fn unhandled_signal(sig: i32) -> bool {
    let t = current();
    let handler = t.sighand.lock_irqsave().get(sig).handler;
    t.tgid == 1 || handler == SIG_DFL || handler == SIG_IGN
}

/// The parent process's leader (`real_parent`).
fn parent_of(tsk: &TaskStruct) -> Option<Arc<TaskStruct>> {
    let ppid = tsk.ppid();
    if ppid == 0 {
        return None;
    }
    find_task_by_vpid(ppid)
}

/// `__wake_up_parent()`: wake the parent's threads sleeping in wait.
pub fn __wake_up_parent(parent_tgid: Pid) {
    for t in thread_group(parent_tgid) {
        if t.in_wait.load(Ordering::SeqCst) {
            wake_up_state(&t, false);
        }
    }
}

/// A dead child's wait status as SIGCHLD/waitid report it: (CLD_EXITED,
/// exit code), (CLD_KILLED, signal) or (CLD_DUMPED, signal).
pub fn cld_code(status: i32) -> (i32, i32) {
    if status & 0x7f == 0 {
        (CLD_EXITED, (status >> 8) & 0xff)
    } else if status & 0x80 != 0 {
        (CLD_DUMPED, status & 0x7f)
    } else {
        (CLD_KILLED, status & 0x7f)
    }
}

/// `do_notify_parent()`: tell the parent that `tsk` (a process leader)
/// died, with `exit_signal` and CLD_* siginfo. Returns true when the
/// parent does not want the zombie (SIGCHLD ignored or SA_NOCLDWAIT), so
/// the caller reaps it at once (`autoreap`).
#[inline(never)]
pub fn do_notify_parent(tsk: &TaskStruct, sig: i32) -> bool {
    let Some(parent) = parent_of(tsk) else {
        return true;
    };
    let (si_code, status) = cld_code(tsk.wait_status());
    // The dead process's CPU time in clock ticks (the leader's; the
    // other threads' time is not summed into the process).
    let clock_t = |t: &core::sync::atomic::AtomicU64| {
        super::sys::jiffies_to_clock_t(t.load(Ordering::Relaxed)) as i64
    };
    let (utime, stime) = (clock_t(&tsk.utime), clock_t(&tsk.stime));
    let info = KernelSiginfo {
        signo: sig,
        code: si_code,
        fields: SigFields::Chld {
            pid: tsk.tgid,
            status,
            utime,
            stime,
        },
    };
    let psig = parent.sighand.lock_irqsave().get(SIGCHLD);
    let mut autoreap = false;
    let mut sig = sig;
    if sig == SIGCHLD && (psig.handler == SIG_IGN || psig.flags & SA_NOCLDWAIT != 0) {
        autoreap = true;
        if psig.handler == SIG_IGN {
            sig = 0;
        }
    }
    if valid_signal(sig) {
        send_signal_locked(KernelSiginfo { signo: sig, ..info }, &parent, true);
    }
    __wake_up_parent(parent.tgid);
    autoreap
}

/// `do_notify_parent_cldstop()`: the process of `tsk` stopped or
/// continued; SIGCHLD unless the parent asked for SA_NOCLDSTOP.
fn do_notify_parent_cldstop(tsk: &TaskStruct, why: i32, status: i32) {
    let Some(parent) = parent_of(tsk) else { return };
    let psig = parent.sighand.lock_irqsave().get(SIGCHLD);
    if psig.handler != SIG_IGN && psig.flags & SA_NOCLDSTOP == 0 {
        let info = KernelSiginfo {
            signo: SIGCHLD,
            code: why,
            fields: SigFields::Chld {
                pid: tsk.tgid,
                status,
                utime: 0,
                stime: 0,
            },
        };
        send_signal_locked(info, &parent, true);
    }
    __wake_up_parent(parent.tgid);
}

/// `do_signal_stop()`: a stop signal with its default action stops every
/// thread of the process; the parent hears of it once.
fn do_signal_stop(t: &Arc<TaskStruct>, sig: i32) {
    let signal = &t.signal;
    if !signal.group_stop.swap(true, Ordering::SeqCst) {
        signal.notify_stop.store(sig, Ordering::SeqCst);
        signal.notify_cont.store(false, Ordering::SeqCst);
        for th in thread_group(t.tgid) {
            if !Arc::ptr_eq(&th, t) {
                signal_wake_up(&th, false);
            }
        }
        do_notify_parent_cldstop(t, CLD_STOPPED, sig);
    }
}

/// What `get_signal` found: a signal with a handler to run.
pub struct KSignal {
    pub sig: i32,
    pub info: KernelSiginfo,
    pub ka: KSigaction,
}

/// `get_signal()`: dequeue signals until one has a handler; act out the
/// default actions of the others (ignore, stop, or kill the whole
/// process, which does not return).
#[inline(never)]
pub fn get_signal() -> Option<KSignal> {
    let t = current();
    loop {
        if t.signal.group_exit.load(Ordering::SeqCst) {
            let code = t.signal.group_exit_code.load(Ordering::SeqCst);
            drop(t);
            super::exit::do_exit(code);
        }
        if t.signal.group_stop.load(Ordering::SeqCst) && !fatal_signal_pending(&t) {
            // Stopped until SIGCONT (or SIGKILL) wakes us.
            t.set_state(TaskState::Stopped);
            if t.signal.group_stop.load(Ordering::SeqCst) {
                schedule();
            }
            t.set_state(TaskState::Running);
            continue;
        }
        let blocked = t.blocked.load(Ordering::SeqCst);
        let info = t
            .pending
            .dequeue(blocked)
            .or_else(|| t.signal.shared_pending.dequeue(blocked))?;
        let sig = info.signo;
        let ka = {
            let sighand = t.sighand.lock_irqsave().clone();
            let mut action = sighand.action.lock_irqsave();
            let slot = &mut action[(sig - 1) as usize];
            let ka = *slot;
            if ka.handler != SIG_DFL && ka.handler != SIG_IGN && ka.flags & SA_RESETHAND != 0 {
                slot.handler = SIG_DFL;
            }
            ka
        };
        if ka.handler == SIG_IGN {
            continue;
        }
        if ka.handler != SIG_DFL {
            return Some(KSignal { sig, info, ka });
        }
        if sigmask(sig) & SIG_KERNEL_IGNORE_MASK != 0 {
            continue;
        }
        if t.tgid == 1 && sig != SIGKILL {
            // Init ignores what would kill it (SIGNAL_UNKILLABLE).
            continue;
        }
        if sigmask(sig) & SIG_KERNEL_STOP_MASK != 0 {
            do_signal_stop(&t, sig);
            continue;
        }
        drop(t);
        super::exit::do_group_exit(sig);
    }
}

/// `signal_setup_done()` after a frame was built: block the handler's
/// mask (and the signal itself unless SA_NODEFER).
pub fn signal_setup_done(ksig: &KSignal) {
    let t = current();
    let mut add = ksig.ka.mask;
    if ksig.ka.flags & SA_NODEFER == 0 {
        add |= sigmask(ksig.sig);
    }
    let blocked = t.blocked.load(Ordering::SeqCst) | add;
    set_current_blocked(blocked);
    t.restore_sigmask.store(false, Ordering::SeqCst);
}

/// `set_current_blocked()`: SIGKILL and SIGSTOP cannot be blocked.
pub fn set_current_blocked(mask: SigSet) {
    current()
        .blocked
        .store(mask & !SIG_KERNEL_ONLY_MASK, Ordering::SeqCst);
}

/// The mask a signal frame saves: the one from before sigsuspend when
/// it replaced the mask (`sigmask_to_save`).
pub fn sigmask_to_save() -> SigSet {
    let t = current();
    if t.restore_sigmask.load(Ordering::SeqCst) {
        t.saved_sigmask.load(Ordering::SeqCst)
    } else {
        t.blocked.load(Ordering::SeqCst)
    }
}

/// `restore_saved_sigmask()`: no handler ran after sigsuspend.
pub fn restore_saved_sigmask() {
    let t = current();
    if t.restore_sigmask.swap(false, Ordering::SeqCst) {
        set_current_blocked(t.saved_sigmask.load(Ordering::SeqCst));
    }
}

fn get_sigset(uset: u64) -> KResult<SigSet> {
    let mut b = [0u8; 8];
    copy_from_user(&mut b, uset)?;
    Ok(u64::from_ne_bytes(b))
}

fn put_sigset(uset: u64, set: SigSet) -> KResult<()> {
    copy_to_user(uset, &set.to_ne_bytes())
}

/// `rt_sigaction(sig, act, oact, sigsetsize)`.
#[inline(never)]
pub fn sys_rt_sigaction(sig: i32, act: u64, oact: u64, sigsetsize: u64) -> KResult<i64> {
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 {
        let mut b = [0u8; 32];
        copy_from_user(&mut b, act)?;
        Some(KSigaction::from_user(&b))
    } else {
        None
    };
    if !valid_signal(sig) || (new.is_some() && sigmask(sig) & SIG_KERNEL_ONLY_MASK != 0) {
        return Err(Errno::EINVAL);
    }
    let t = current();
    let sighand = t.sighand.lock_irqsave().clone();
    let old = sighand.get(sig);
    if let Some(mut ka) = new {
        ka.mask &= !SIG_KERNEL_ONLY_MASK;
        sighand.action.lock_irqsave()[(sig - 1) as usize] = ka;
        // POSIX: setting a pending signal to be ignored discards it.
        let ignored = ka.handler == SIG_IGN
            || (ka.handler == SIG_DFL && sigmask(sig) & SIG_KERNEL_IGNORE_MASK != 0);
        if ignored {
            t.signal.shared_pending.flush_mask(sigmask(sig));
            for th in thread_group(t.tgid) {
                th.pending.flush_mask(sigmask(sig));
            }
        }
    }
    if oact != 0 {
        copy_to_user(oact, &old.to_user())?;
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oset, sigsetsize)`.
#[inline(never)]
pub fn sys_rt_sigprocmask(how: i32, set: u64, oset: u64, sigsetsize: u64) -> KResult<i64> {
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let t = current();
    let old = t.blocked.load(Ordering::SeqCst);
    if set != 0 {
        let new = get_sigset(set)?;
        let mask = match how {
            SIG_BLOCK => old | new,
            SIG_UNBLOCK => old & !new,
            SIG_SETMASK => new,
            _ => return Err(Errno::EINVAL),
        };
        set_current_blocked(mask);
    }
    if oset != 0 {
        put_sigset(oset, old)?;
    }
    Ok(0)
}

/// `rt_sigpending(set, sigsetsize)`: pending and blocked.
pub fn sys_rt_sigpending(uset: u64, sigsetsize: u64) -> KResult<i64> {
    if sigsetsize > 8 {
        return Err(Errno::EINVAL);
    }
    let t = current();
    let set = (t.pending.set() | t.signal.shared_pending.set()) & t.blocked.load(Ordering::SeqCst);
    copy_to_user(uset, &set.to_ne_bytes()[..sigsetsize as usize])?;
    Ok(0)
}

/// `rt_sigsuspend(mask, sigsetsize)`: sleep with `mask` until a signal
/// is delivered; the old mask comes back after the handler
/// (`TIF_RESTORE_SIGMASK`).
#[inline(never)]
pub fn sys_rt_sigsuspend(umask: u64, sigsetsize: u64) -> KResult<i64> {
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let mask = get_sigset(umask)?;
    let t = current();
    t.saved_sigmask
        .store(t.blocked.load(Ordering::SeqCst), Ordering::SeqCst);
    set_current_blocked(mask);
    while !signal_pending(&t) {
        t.set_state(TaskState::Interruptible);
        schedule();
    }
    t.restore_sigmask.store(true, Ordering::SeqCst);
    Err(Errno::ERESTARTNOHAND)
}

/// `pause()`: sleep until a signal is delivered.
#[inline(never)]
pub fn sys_pause() -> KResult<i64> {
    let t = current();
    while !signal_pending(&t) {
        t.set_state(TaskState::Interruptible);
        schedule();
    }
    Err(Errno::ERESTARTNOHAND)
}

/// `rt_sigtimedwait(uthese, uinfo, uts, sigsetsize)`: dequeue one of
/// `uthese`, sleeping for it up to the timeout.
#[inline(never)]
pub fn sys_rt_sigtimedwait(uthese: u64, uinfo: u64, uts: u64, sigsetsize: u64) -> KResult<i64> {
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let these = get_sigset(uthese)? & !SIG_KERNEL_ONLY_MASK;
    let timeout = if uts != 0 {
        let mut b = [0u8; 16];
        copy_from_user(&mut b, uts)?;
        let sec = i64::from_ne_bytes(b[..8].try_into().expect("8 bytes"));
        let nsec = i64::from_ne_bytes(b[8..].try_into().expect("8 bytes"));
        if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
            return Err(Errno::EINVAL);
        }
        // Whole ticks (HZ=1000), rounded up.
        Some((sec as u64).saturating_mul(1000) + (nsec as u64).div_ceil(1_000_000))
    } else {
        None
    };
    let t = current();
    let dequeue = |t: &TaskStruct| {
        let not = !these;
        t.pending
            .dequeue(not)
            .or_else(|| t.signal.shared_pending.dequeue(not))
    };
    let mut info = dequeue(&t);
    if info.is_none() && timeout != Some(0) {
        // Let the awaited signals wake us (`real_blocked`).
        let blocked = t.blocked.load(Ordering::SeqCst);
        t.blocked.store(blocked & !these, Ordering::SeqCst);
        match timeout {
            Some(j) => {
                super::sched::schedule_timeout_interruptible(j);
            }
            None => {
                t.set_state(TaskState::Interruptible);
                schedule();
            }
        }
        t.blocked.store(blocked, Ordering::SeqCst);
        info = dequeue(&t);
    }
    match info {
        Some(info) => {
            if uinfo != 0 {
                copy_to_user(uinfo, &info.to_user())?;
            }
            Ok(i64::from(info.signo))
        }
        None if signal_pending(&t) => Err(Errno::EINTR),
        None => Err(Errno::EAGAIN),
    }
}

/// `sigaltstack(uss, uoss)`.
#[inline(never)]
pub fn sys_sigaltstack(uss: u64, uoss: u64, sp: u64) -> KResult<i64> {
    let t = current();
    let (ss_sp, ss_size, ss_flags) = *t.sas.lock_irqsave();
    let on = on_sig_stack(&t, sp);
    if uss != 0 {
        let mut b = [0u8; 24];
        copy_from_user(&mut b, uss)?;
        let new_sp = u64::from_ne_bytes(b[0..8].try_into().expect("8 bytes"));
        let new_flags = i32::from_ne_bytes(b[8..12].try_into().expect("4 bytes"));
        let new_size = u64::from_ne_bytes(b[16..24].try_into().expect("8 bytes"));
        if on {
            return Err(Errno::EPERM);
        }
        let mode = new_flags & !(SS_AUTODISARM as i32);
        if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
            return Err(Errno::EINVAL);
        }
        *t.sas.lock_irqsave() = if mode == SS_DISABLE {
            (0, 0, 0)
        } else {
            if new_size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            (new_sp, new_size, new_flags as u32 & SS_AUTODISARM)
        };
    }
    if uoss != 0 {
        let mut b = [0u8; 24];
        let flags = if ss_size == 0 {
            SS_DISABLE as u32
        } else if on {
            SS_ONSTACK as u32
        } else {
            0
        } | ss_flags;
        b[0..8].copy_from_slice(&ss_sp.to_ne_bytes());
        b[8..12].copy_from_slice(&flags.to_ne_bytes());
        b[16..24].copy_from_slice(&ss_size.to_ne_bytes());
        copy_to_user(uoss, &b)?;
    }
    Ok(0)
}

/// `on_sig_stack()`.
pub fn on_sig_stack(t: &TaskStruct, sp: u64) -> bool {
    let (ss_sp, ss_size, _) = *t.sas.lock_irqsave();
    ss_size != 0 && sp > ss_sp && sp - ss_sp <= ss_size
}

/// `kill_pid_info()` for kill(2): the process that `pid` belongs to.
fn kill_proc(pid: Pid, sig: i32) -> KResult<()> {
    let task = find_task_by_vpid(pid).ok_or(Errno::ESRCH)?;
    if matches!(task.state(), TaskState::Dead) {
        return Err(Errno::ESRCH);
    }
    if sig != 0 {
        send_signal_locked(KernelSiginfo::user(sig, SI_USER), &task, true);
    }
    Ok(())
}

/// `kill(pid, sig)`: pid > 0 is one process; -1 is every process the
/// caller may signal (all but init, kernel threads and itself).
/// Process groups (pid 0, pid < -1) do not exist yet: ESRCH, as for an
/// empty group.
/// `__kill_pgrp_info()`: `sig` to every process in group `pgrp`; ESRCH
/// when the group is empty.
#[inline(never)]
pub fn kill_pgrp(pgrp: Pid, sig: i32) -> KResult<i64> {
    let mut found = false;
    for_each_process(|t| {
        if t.pid == t.tgid && !t.is_kthread() && t.signal.pgrp.load(Ordering::Relaxed) == pgrp {
            found = true;
            if sig != 0 {
                send_signal_locked(KernelSiginfo::user(sig, SI_USER), t, true);
            }
        }
    });
    if found { Ok(0) } else { Err(Errno::ESRCH) }
}

/// `kill(pid, sig)`: pid > 0 is one task; 0 the caller's process group;
/// -1 every task the caller may signal (all but init, the idle task,
/// kernel threads and itself); below -1 the process group -pid.
#[inline(never)]
pub fn sys_kill(pid: Pid, sig: i32) -> KResult<i64> {
    if sig != 0 && !valid_signal(sig) {
        return Err(Errno::EINVAL);
    }
    if pid > 0 {
        kill_proc(pid, sig)?;
        return Ok(0);
    }
    if pid == -1 {
        let me = current().tgid;
        let mut found = false;
        for_each_process(|t| {
            if t.pid == t.tgid && t.tgid > 1 && t.tgid != me && !t.is_kthread() {
                found = true;
                if sig != 0 {
                    send_signal_locked(KernelSiginfo::user(sig, SI_USER), t, true);
                }
            }
        });
        return if found { Ok(0) } else { Err(Errno::ESRCH) };
    }
    if pid == 0 {
        return kill_pgrp(current().signal.pgrp.load(Ordering::Relaxed), sig);
    }
    // -INT_MIN does not exist.
    kill_pgrp(pid.checked_neg().ok_or(Errno::ESRCH)?, sig)
}

/// `do_tkill()`: a thread-directed signal (tgid 0: any process).
fn do_tkill(tgid: Pid, pid: Pid, sig: i32) -> KResult<i64> {
    let task = find_task_by_vpid(pid).ok_or(Errno::ESRCH)?;
    if (tgid > 0 && task.tgid != tgid) || matches!(task.state(), TaskState::Dead) {
        return Err(Errno::ESRCH);
    }
    if sig != 0 {
        send_signal_locked(KernelSiginfo::user(sig, SI_TKILL), &task, false);
    }
    Ok(0)
}

/// `tgkill(tgid, tid, sig)`.
pub fn sys_tgkill(tgid: Pid, pid: Pid, sig: i32) -> KResult<i64> {
    if pid <= 0 || tgid <= 0 || (sig != 0 && !valid_signal(sig)) {
        return Err(Errno::EINVAL);
    }
    do_tkill(tgid, pid, sig)
}

/// `tkill(tid, sig)`.
pub fn sys_tkill(pid: Pid, sig: i32) -> KResult<i64> {
    if pid <= 0 || (sig != 0 && !valid_signal(sig)) {
        return Err(Errno::EINVAL);
    }
    do_tkill(0, pid, sig)
}
