//! Controlling terminals and job control; mirrors drivers/tty/tty_jobctrl.c
//! (`__tty_check_change`, `__proc_set_tty`, `tty_open_proc_set_tty`,
//! `disassociate_ctty`, `tiocsctty`, `tiocnotty`, `tiocgpgrp`,
//! `tiocspgrp`, `tiocgsid`) and the job-control parts of kernel/exit.c
//! (`will_become_orphaned_pgrp`).
//!
//! A process's controlling terminal is `signal_struct::tty`; the tty
//! records its session and foreground process group. Left out:
//! `tty_old_pgrp` (the foreground group of a terminal that was hung up)
//! and hanging up the open files of a session that lost its leader.

use alloc::sync::Arc;
use core::sync::atomic::Ordering::{Relaxed, SeqCst};

use super::tty_io::TtyStruct;
use crate::arch::x86_64::uaccess::{copy_from_user, copy_to_user};
use crate::fs::file::File;
use crate::task::signal::{
    KernelSiginfo, SIG_IGN, SIGCONT, SIGHUP, SIGTTOU, send_signal_locked, sigmask,
};
use crate::task::{Pid, TaskState, TaskStruct, current, for_each_process};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::termbits::{TIOCGPGRP, TIOCGSID, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP};

/// `get_current_tty()`: the caller's controlling terminal.
pub fn get_current_tty() -> Option<Arc<TtyStruct>> {
    current().signal.tty.lock_irqsave().clone()
}

fn is_ctty_of(task: &TaskStruct, tty: &TtyStruct) -> bool {
    task.signal
        .tty
        .lock_irqsave()
        .as_ref()
        .is_some_and(|t| core::ptr::eq(Arc::as_ptr(t), tty))
}

/// `kill_pgrp(pgrp, sig, 1)`: a signal from the kernel (SI_KERNEL) to
/// every process of a group. Callable from the UART's interrupt.
pub fn kill_pgrp_priv(pgrp: Pid, sig: i32) {
    for_each_process(|t| {
        if t.pid == t.tgid && !t.is_kthread() && t.signal.pgrp.load(Relaxed) == pgrp {
            send_signal_locked(KernelSiginfo::kernel(sig), t, true);
        }
    });
}

/// `is_ignored()`: the caller blocks or ignores `sig`.
fn is_ignored(sig: i32) -> bool {
    let me = current();
    me.blocked.load(SeqCst) & sigmask(sig) != 0
        || me.sighand.lock_irqsave().get(sig).handler == SIG_IGN
}

/// `will_become_orphaned_pgrp(pgrp, NULL)`: no member has a parent in
/// another group of the same session (parents that are init do not
/// count), so nobody could continue it after a stop.
pub fn is_orphaned_pgrp(pgrp: Pid) -> bool {
    let mut orphaned = true;
    for_each_process(|p| {
        if p.pid != p.tgid || p.signal.pgrp.load(Relaxed) != pgrp {
            return;
        }
        if matches!(p.state(), TaskState::Zombie | TaskState::Dead) || p.ppid() <= 1 {
            return;
        }
        if let Some(parent) = crate::task::find_task_by_vpid(p.ppid())
            && parent.signal.pgrp.load(Relaxed) != pgrp
            && parent.signal.session.load(Relaxed) == p.signal.session.load(Relaxed)
        {
            orphaned = false;
        }
    });
    orphaned
}

/// `__tty_check_change()`: may the caller act on its controlling
/// terminal `tty` from its process group? A background group gets `sig`
/// (ERESTARTSYS, so the call runs again after SIGCONT), or EIO when it
/// ignores `sig` (reads only; a write or tcsetpgrp then goes ahead) or
/// nobody could continue it.
#[inline(never)]
pub fn __tty_check_change(tty: &TtyStruct, sig: i32) -> KResult<()> {
    let me = current();
    if !is_ctty_of(&me, tty) {
        return Ok(());
    }
    let pgrp = me.signal.pgrp.load(Relaxed);
    let tty_pgrp = tty.tty_get_pgrp();
    if tty_pgrp == 0 || pgrp == tty_pgrp {
        return Ok(());
    }
    if is_ignored(sig) {
        return if sig == crate::task::signal::SIGTTIN {
            Err(Errno::EIO)
        } else {
            Ok(())
        };
    }
    if is_orphaned_pgrp(pgrp) {
        return Err(Errno::EIO);
    }
    kill_pgrp_priv(pgrp, sig);
    Err(Errno::ERESTARTSYS)
}

/// `tty_check_change()`: for output and for changing the terminal.
pub fn tty_check_change(tty: &TtyStruct) -> KResult<()> {
    __tty_check_change(tty, SIGTTOU)
}

/// `__proc_set_tty()`: `tty` becomes the caller's controlling terminal,
/// its session and foreground group the caller's.
fn __proc_set_tty(tty: &Arc<TtyStruct>) {
    let me = current();
    tty.session.store(me.signal.session.load(Relaxed), SeqCst);
    tty.pgrp.store(me.signal.pgrp.load(Relaxed), SeqCst);
    *me.signal.tty.lock_irqsave() = Some(tty.clone());
}

/// `tty_open_proc_set_tty()`: a session leader without a controlling
/// terminal that opens a free tty for reading acquires it.
pub fn tty_open_proc_set_tty(file: &File, tty: &Arc<TtyStruct>) {
    let me = current();
    if me.signal.leader.load(Relaxed)
        && me.signal.tty.lock_irqsave().is_none()
        && tty.session.load(SeqCst) == 0
        && file.readable()
    {
        __proc_set_tty(tty);
    }
}

/// `proc_clear_tty()`: `task`'s process has no controlling terminal.
pub fn proc_clear_tty(task: &TaskStruct) {
    *task.signal.tty.lock_irqsave() = None;
}

/// `session_clear_tty()`: nobody in `session` keeps a controlling tty.
fn session_clear_tty(session: Pid) {
    for_each_process(|p| {
        if p.signal.session.load(Relaxed) == session {
            proc_clear_tty(p);
        }
    });
}

/// `tty_signal_session_leader()` as `tty_vhangup_session()` runs it: the
/// session's members lose the terminal, its leaders (but the caller, which
/// is exiting) get SIGHUP and SIGCONT, the foreground group SIGHUP.
fn tty_vhangup_session(tty: &Arc<TtyStruct>) {
    let me = current();
    let session = tty.session.load(SeqCst);
    if session != 0 {
        for_each_process(|p| {
            if p.pid != p.tgid || p.signal.session.load(Relaxed) != session {
                return;
            }
            if is_ctty_of(p, tty) {
                proc_clear_tty(p);
            }
            if p.signal.leader.load(Relaxed) && p.tgid != me.tgid {
                send_signal_locked(KernelSiginfo::kernel(SIGHUP), p, true);
                send_signal_locked(KernelSiginfo::kernel(SIGCONT), p, true);
            }
        });
    }
    let pgrp = tty.tty_get_pgrp();
    if pgrp > 0 {
        kill_pgrp_priv(pgrp, SIGHUP);
    }
    tty.session.store(0, SeqCst);
    tty.pgrp.store(0, SeqCst);
}

/// `disassociate_ctty()`: a session leader lets go of its controlling
/// terminal — at exit (`on_exit`: the session is hung up) or by
/// TIOCNOTTY (the foreground group gets SIGHUP and SIGCONT).
#[inline(never)]
pub fn disassociate_ctty(on_exit: bool) {
    let me = current();
    if !me.signal.leader.load(Relaxed) {
        return;
    }
    if let Some(tty) = get_current_tty() {
        if on_exit {
            tty_vhangup_session(&tty);
        } else {
            let pgrp = tty.tty_get_pgrp();
            if pgrp > 0 {
                kill_pgrp_priv(pgrp, SIGHUP);
                kill_pgrp_priv(pgrp, SIGCONT);
            }
        }
    }
    let tty = me.signal.tty.lock_irqsave().take();
    if let Some(tty) = tty {
        tty.session.store(0, SeqCst);
        tty.pgrp.store(0, SeqCst);
    }
    session_clear_tty(me.signal.session.load(Relaxed));
}

/// `tiocsctty()`: make `tty` the controlling terminal of the caller, a
/// session leader without one. Stealing it from another session (with
/// `arg` 1) needs CAP_SYS_ADMIN, which root has, as it has the one to
/// take a terminal opened write-only.
fn tiocsctty(tty: &Arc<TtyStruct>, arg: u64) -> KResult<u64> {
    let me = current();
    let leader = me.signal.leader.load(Relaxed);
    let session = me.signal.session.load(Relaxed);
    if leader && session == tty.session.load(SeqCst) {
        return Ok(0);
    }
    if !leader || me.signal.tty.lock_irqsave().is_some() {
        return Err(Errno::EPERM);
    }
    let owner = tty.session.load(SeqCst);
    if owner != 0 {
        if arg as i32 != 1 {
            return Err(Errno::EPERM);
        }
        session_clear_tty(owner);
    }
    __proc_set_tty(tty);
    Ok(0)
}

/// `tiocnotty()`.
fn tiocnotty(tty: &Arc<TtyStruct>) -> KResult<u64> {
    let me = current();
    if !is_ctty_of(&me, tty) {
        return Err(Errno::ENOTTY);
    }
    if me.signal.leader.load(Relaxed) {
        disassociate_ctty(false);
    }
    proc_clear_tty(&me);
    Ok(0)
}

/// `session_of_pgrp()`: the session of group `pgrp`'s members, or of the
/// process `pgrp` if the group is empty.
fn session_of_pgrp(pgrp: Pid) -> Option<Pid> {
    let mut sid = None;
    for_each_process(|p| {
        if sid.is_none() && p.signal.pgrp.load(Relaxed) == pgrp {
            sid = Some(p.signal.session.load(Relaxed));
        }
    });
    sid.or_else(|| crate::task::find_task_by_vpid(pgrp).map(|p| p.signal.session.load(Relaxed)))
}

/// `tiocspgrp()`: tcsetpgrp(3). From the background this is SIGTTOU
/// (ENOTTY for an orphaned group); the terminal must be the caller's and
/// its session's; the group must exist in the session.
fn tiocspgrp(tty: &Arc<TtyStruct>, arg: u64) -> KResult<u64> {
    match tty_check_change(tty) {
        Err(Errno::EIO) => return Err(Errno::ENOTTY),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    let mut b = [0u8; 4];
    copy_from_user(&mut b, arg)?;
    let pgrp = i32::from_ne_bytes(b);
    if pgrp < 0 {
        return Err(Errno::EINVAL);
    }
    let me = current();
    let session = me.signal.session.load(Relaxed);
    if !is_ctty_of(&me, tty) || tty.session.load(SeqCst) != session {
        return Err(Errno::ENOTTY);
    }
    let exists = crate::task::find_task_by_vpid(pgrp).is_some() || {
        let mut any = false;
        for_each_process(|p| any |= p.signal.pgrp.load(Relaxed) == pgrp);
        any
    };
    if !exists {
        return Err(Errno::ESRCH);
    }
    if session_of_pgrp(pgrp) != Some(session) {
        return Err(Errno::EPERM);
    }
    tty.pgrp.store(pgrp, SeqCst);
    Ok(0)
}

/// `tty_jobctrl_ioctl()`: None for ioctls that are not job control's.
pub fn tty_jobctrl_ioctl(tty: &Arc<TtyStruct>, cmd: u32, arg: u64) -> Option<KResult<u64>> {
    let me = current();
    Some(match cmd {
        TIOCNOTTY => tiocnotty(tty),
        TIOCSCTTY => tiocsctty(tty, arg),
        // `tiocgpgrp()`: only of one's own controlling terminal.
        TIOCGPGRP => {
            if !is_ctty_of(&me, tty) {
                Err(Errno::ENOTTY)
            } else {
                copy_to_user(arg, &tty.tty_get_pgrp().to_ne_bytes()).map(|()| 0)
            }
        }
        TIOCSPGRP => tiocspgrp(tty, arg),
        // `tiocgsid()`.
        TIOCGSID => {
            let session = tty.session.load(SeqCst);
            if !is_ctty_of(&me, tty) || session == 0 {
                Err(Errno::ENOTTY)
            } else {
                copy_to_user(arg, &session.to_ne_bytes()).map(|()| 0)
            }
        }
        _ => return None,
    })
}
