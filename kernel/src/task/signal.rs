//! Signals; mirrors kernel/signal.c, cut down to the signals whose default
//! action terminates the task (SIGINT, SIGKILL, SIGSEGV, SIGTERM) and no
//! handlers: a pending signal kills its task on the way back to user mode
//! (`exit_to_user_mode_loop` → `get_signal` → `do_group_exit`). Kernel
//! threads ignore signals, as Linux's do by default.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use super::sched::wake_up_process;
use super::{Pid, TaskState, TaskStruct, current, find_task_by_vpid, for_each_process};
use crate::arch::x86_64::ptrace::PtRegs;
use crate::uapi::errno::{Errno, KResult};

pub use crate::uapi::signal::{_NSIG, SIGBUS, SIGINT, SIGKILL, SIGSEGV, SIGTERM};

/// Signals tinymm implements (all terminate by default).
fn sig_supported(sig: i32) -> bool {
    matches!(sig, SIGINT | SIGBUS | SIGKILL | SIGSEGV | SIGTERM)
}

/// `signal_pending()`.
pub fn signal_pending(task: &TaskStruct) -> bool {
    task.pending.load(Ordering::SeqCst) != 0
}

/// `fatal_signal_pending()`: SIGKILL is queued (the task is dying).
pub fn fatal_signal_pending(task: &TaskStruct) -> bool {
    task.pending.load(Ordering::SeqCst) & (1 << SIGKILL) != 0
}

/// `signal_wake_up()`: a sleeping task must notice its signal.
fn signal_wake_up(task: &Arc<TaskStruct>) {
    if task.state() == TaskState::Interruptible {
        wake_up_process(task);
    }
}

/// `send_sig()`: queue `sig` for `task` and wake it. Signal 0 only checks
/// that the task exists. Kernel threads ignore signals.
#[inline(never)]
pub fn send_sig(sig: i32, task: &Arc<TaskStruct>) -> KResult<()> {
    if !(0..=_NSIG).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if sig == 0 || task.is_kthread() || matches!(task.state(), TaskState::Zombie | TaskState::Dead)
    {
        return Ok(());
    }
    if !sig_supported(sig) {
        // No handlers and no other default actions exist yet: say so
        // instead of pretending the signal was delivered.
        return Err(Errno::EINVAL);
    }
    task.pending.fetch_or(1 << sig, Ordering::SeqCst);
    signal_wake_up(task);
    Ok(())
}

/// `force_sig_fault()`: a synchronous signal for the current task (from a
/// fault). `si_code` and `addr` would fill `siginfo`; with no handlers they
/// are only reported.
#[inline(never)]
pub fn force_sig_fault(sig: i32, _si_code: i32, _addr: u64) {
    current().pending.fetch_or(1 << sig, Ordering::SeqCst);
}

/// `get_signal()`: the lowest pending signal, dequeued.
pub fn get_signal(task: &TaskStruct) -> Option<i32> {
    let pending = task.pending.load(Ordering::SeqCst);
    if pending == 0 {
        return None;
    }
    let sig = pending.trailing_zeros() as i32;
    task.pending.fetch_and(!(1 << sig), Ordering::SeqCst);
    Some(sig)
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

/// `__kill_pgrp_info()`: `sig` to every process in group `pgrp`; ESRCH
/// when the group is empty, else success if any delivery succeeded.
#[inline(never)]
pub fn kill_pgrp(pgrp: Pid, sig: i32) -> KResult<i64> {
    let mut result = Err(Errno::ESRCH);
    let mut success = false;
    for_each_process(|t| {
        if t.signal.pgrp.load(Ordering::Relaxed) == pgrp {
            let r = send_sig(sig, t);
            success |= r.is_ok();
            result = r.map(|()| 0);
        }
    });
    if success { Ok(0) } else { result }
}

/// `kill(pid, sig)`: pid > 0 is one task; 0 the caller's process group;
/// -1 every task the caller may signal (all but init, the idle task,
/// kernel threads and itself); below -1 the process group -pid.
#[inline(never)]
pub fn sys_kill(pid: Pid, sig: i32) -> KResult<i64> {
    if !(0..=_NSIG).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if pid > 0 {
        let task = find_task_by_vpid(pid).ok_or(Errno::ESRCH)?;
        send_sig(sig, &task)?;
        return Ok(0);
    }
    if pid == -1 {
        let me = current().pid;
        let mut found = false;
        let mut result = Ok(0);
        for_each_process(|t| {
            if t.pid > 1 && t.pid != me && !t.is_kthread() {
                found = true;
                if let Err(e) = send_sig(sig, t) {
                    result = Err(e);
                }
            }
        });
        return if found { result } else { Err(Errno::ESRCH) };
    }
    if pid == 0 {
        return kill_pgrp(current().signal.pgrp.load(Ordering::Relaxed), sig);
    }
    // -INT_MIN does not exist.
    kill_pgrp(pid.checked_neg().ok_or(Errno::ESRCH)?, sig)
}
