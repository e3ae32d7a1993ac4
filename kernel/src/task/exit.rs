//! Exit and wait; mirrors kernel/exit.c: `do_exit` → `exit_mm` (the
//! address space goes as soon as the last thread dies, so its memory is
//! freed — and uncharged — before the parent reaps it) → `cgroup_exit`
//! (the cgroup empties before the reap, as `cg_destroy` expects) →
//! `exit_notify` (children go to another thread or to init; a process
//! leader becomes a zombie once its last thread is gone and its parent
//! gets `exit_signal`; other threads are reaped at once);
//! `do_group_exit` for exit_group and fatal signals; `do_wait` for
//! wait4 and waitid with exits, stops and continues.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use super::sched::schedule;
use super::signal::{
    __wake_up_parent, CLD_CONTINUED, CLD_STOPPED, SIGCHLD, SIGKILL, cld_code, do_notify_parent,
    send_signal_locked, signal_pending, thread_group,
};
use super::{
    Pid, TaskState, TaskStruct, current, find_task_by_vpid, for_each_process, release_task,
};
use crate::arch::x86_64::irqflags::{local_irq_restore, local_irq_save};
use crate::arch::x86_64::pgtable::{swapper_pg_dir, switch_mm_phys};
use crate::arch::x86_64::uaccess::copy_to_user;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::futex::FUTEX_BITSET_MATCH_ANY;

/// `wait4` options (include/uapi/linux/wait.h).
pub const WNOHANG: i32 = 0x0000_0001;
pub const WUNTRACED: i32 = 0x0000_0002;
pub const WSTOPPED: i32 = WUNTRACED;
pub const WEXITED: i32 = 0x0000_0004;
pub const WCONTINUED: i32 = 0x0000_0008;
pub const WNOWAIT: i32 = 0x0100_0000;
pub const __WNOTHREAD: i32 = 0x2000_0000;
pub const __WALL: i32 = 0x4000_0000;
pub const __WCLONE: i32 = 0x8000_0000_u32 as i32;

/// `waitid` id types.
const P_ALL: i32 = 0;
const P_PID: i32 = 1;
const P_PGID: i32 = 2;

/// `mm_release()`: at exit and exec, before the mm goes: clear the
/// CLONE_CHILD_CLEARTID word and wake its futex (pthread_join), and let
/// a vfork parent run.
pub fn mm_release(tsk: &TaskStruct) {
    let tid = tsk.clear_child_tid.swap(0, Ordering::SeqCst);
    let shared = tsk
        .mm
        .lock_irqsave()
        .as_ref()
        .is_some_and(|mm| Arc::strong_count(mm) > 1);
    // A fault leaves the word as it is, as on Linux.
    if tid != 0 && shared && copy_to_user(tid, &0u32.to_ne_bytes()).is_ok() {
        let _ = super::futex::futex_wake(tid, true, 1, FUTEX_BITSET_MATCH_ANY);
    }
    super::fork::complete_vfork_done(tsk);
}

/// `exit_mm()`: drop the address space (switching to `init_mm` first so
/// the page table being freed is not the live one).
#[inline(never)]
fn exit_mm(tsk: &TaskStruct) {
    mm_release(tsk);
    let mm = tsk.mm.lock_irqsave().take();
    if let Some(mm) = mm {
        super::sys::setmax_mm_hiwater_rss(&tsk.signal, &mm);
        switch_mm_phys(swapper_pg_dir());
        drop(mm);
    }
}

/// `find_new_reaper()`: a live thread of the same process, else the
/// nearest live ancestor that is a child subreaper
/// (PR_SET_CHILD_SUBREAPER), else init.
fn find_new_reaper(tsk: &TaskStruct) -> Pid {
    let alive = |tgid: Pid, but: Pid| {
        thread_group(tgid)
            .into_iter()
            .any(|t| t.pid != but && !matches!(t.state(), TaskState::Zombie | TaskState::Dead))
    };
    if alive(tsk.tgid, tsk.pid) {
        return tsk.tgid;
    }
    let mut ancestor = tsk.ppid();
    while ancestor > 1 {
        let Some(p) = find_task_by_vpid(ancestor) else {
            break;
        };
        if p.signal.is_child_subreaper.load(Ordering::Relaxed) && alive(p.tgid, 0) {
            return p.tgid;
        }
        ancestor = p.ppid();
    }
    1
}

/// `forget_original_parent()`: when the last thread of a process goes,
/// its children get the new reaper (a subreaper or init) as their
/// parent, which hears of those that are zombies already.
fn forget_original_parent(tsk: &TaskStruct) {
    let reaper = find_new_reaper(tsk);
    if reaper == tsk.tgid {
        return;
    }
    let mut zombie = false;
    for_each_process(|child| {
        if child.ppid() == tsk.tgid && child.tgid != tsk.tgid {
            child.parent.store(reaper, Ordering::SeqCst);
            child.reset_exit_signal();
            zombie |= child.state() == TaskState::Zombie;
        }
    });
    if zombie {
        __wake_up_parent(reaper);
    }
}

/// `exit_notify()`: a thread other than the leader is reaped at once; a
/// leader becomes a zombie, and the parent is told when the whole
/// process is gone (`thread_group_empty`, `delay_group_leader`).
fn exit_notify(tsk: &Arc<TaskStruct>, last: bool) {
    if last {
        forget_original_parent(tsk);
    }
    let flags = local_irq_save();
    if tsk.pid != tsk.tgid {
        release_task(tsk);
        if last && let Some(leader) = find_task_by_vpid(tsk.tgid) {
            // The leader was waiting for its threads.
            notify_leader_dead(&leader);
        }
    } else {
        tsk.set_state(TaskState::Zombie);
        if last {
            notify_leader_dead(tsk);
        }
    }
    local_irq_restore(flags);
}

/// The process of `leader` (a zombie) has no thread left: SIGCHLD to
/// the parent, or reap now if nobody will.
fn notify_leader_dead(leader: &Arc<TaskStruct>) {
    if leader.state() != TaskState::Zombie {
        return;
    }
    if leader.ppid() == 0 || do_notify_parent(leader, leader.exit_signal()) {
        release_task(leader);
    }
}

/// `do_exit()`: end the current thread with wait status `code` (already
/// encoded: `(status & 0xff) << 8` for exit, the signal number for a
/// kill). Never returns.
#[inline(never)]
pub fn do_exit(code: i32) -> ! {
    let tsk = current();
    assert_ne!(tsk.pid, 0, "the idle task exits");
    let last = tsk.signal.live.fetch_sub(1, Ordering::SeqCst) == 1;
    if last && tsk.tgid == 1 {
        init_exited(&tsk, code);
    }
    exit_mm(&tsk);
    // exit_files(): drop our reference to the descriptor table.
    *tsk.files.lock_irqsave() = Default::default();
    crate::cgroup::cgroup_exit(&tsk);
    if last {
        crate::drivers::tty::tty_jobctrl::disassociate_ctty(true);
    }
    let code = if tsk.signal.group_exit.load(Ordering::SeqCst) {
        tsk.signal.group_exit_code.load(Ordering::SeqCst)
    } else {
        code
    };
    tsk.exit_code.store(code, Ordering::SeqCst);
    // Interrupts stay off from here: the task must not run again once it
    // is a zombie, and a tick must not reschedule it half-way.
    let _ = local_irq_save();
    exit_notify(&tsk, last);
    drop(tsk);
    schedule();
    unreachable!("a dead task was scheduled");
}

/// The last thread of init is exiting with wait status `code`. Linux
/// panics here; tinymm logs Linux's panic line and powers off with the
/// status a shell would report for it: N for `exit(N)`, 128 + the signal
/// for a death by signal. That is how a run's script hands its status to
/// the host program.
#[inline(never)]
fn init_exited(tsk: &TaskStruct, code: i32) -> ! {
    let code = if tsk.signal.group_exit.load(Ordering::SeqCst) {
        tsk.signal.group_exit_code.load(Ordering::SeqCst)
    } else {
        code
    };
    log::error!("Kernel panic - not syncing: Attempted to kill init! exitcode={code:#010x}");
    let status = match code & 0x7f {
        0 => (code >> 8) & 0xff,
        sig => 128 + sig,
    };
    crate::arch::x86_64::poweroff(status as u8)
}

/// `do_group_exit()`: the whole process exits with `code`: the other
/// threads are killed (`zap_other_threads`), then this one exits.
#[inline(never)]
pub fn do_group_exit(code: i32) -> ! {
    let tsk = current();
    let code = if tsk.signal.set_group_exit(code) {
        for t in thread_group(tsk.tgid) {
            if t.pid != tsk.pid {
                send_signal_locked(super::signal::KernelSiginfo::kernel(SIGKILL), &t, false);
            }
        }
        code
    } else {
        tsk.signal.group_exit_code.load(Ordering::SeqCst)
    };
    drop(tsk);
    do_exit(code)
}

/// `exit(status)`: this thread only.
#[inline(never)]
pub fn sys_exit(status: i32) -> ! {
    do_exit((status & 0xff) << 8)
}

/// `exit_group(status)`.
#[inline(never)]
pub fn sys_exit_group(status: i32) -> ! {
    do_group_exit((status & 0xff) << 8)
}

/// Which children a wait looks at (`struct wait_opts`).
#[derive(Clone, Copy)]
enum WaitWho {
    Any,
    Pid(Pid),
}

/// What `do_wait` found for a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitResult {
    pub pid: Pid,
    /// The wait4 status word.
    pub status: i32,
    /// For waitid: CLD_* and the status or signal.
    pub si_code: i32,
    pub si_status: i32,
    /// The child's `struct rusage` (with its reaped children's).
    pub rusage: [u8; 144],
}

/// `eligible_child()`: the selector, and __WCLONE/__WALL against the
/// child's exit signal. Only process leaders are waited for.
fn eligible_child(t: &TaskStruct, who: WaitWho, options: i32) -> bool {
    if t.pid != t.tgid {
        return false;
    }
    let by_pid = match who {
        WaitWho::Any => true,
        WaitWho::Pid(p) => t.pid == p,
    };
    by_pid && (options & __WALL != 0 || ((t.exit_signal() != SIGCHLD) == (options & __WCLONE != 0)))
}

/// `wait_task_zombie` / `wait_task_stopped` / `wait_task_continued` for
/// one child: Some when it has something to report.
fn wait_consider_task(
    parent: &super::SignalStruct,
    t: &Arc<TaskStruct>,
    options: i32,
) -> Option<WaitResult> {
    let nowait = options & WNOWAIT != 0;
    let rusage = super::sys::getrusage(t, crate::uapi::resource::RUSAGE_BOTH).to_bytes();
    if t.state() == TaskState::Zombie && options & WEXITED != 0 {
        // delay_group_leader(): a leader with live threads is not done.
        if t.signal.live.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let status = t.wait_status();
        let (si_code, si_status) = cld_code(status);
        if !nowait {
            super::sys::account_reaped_child(parent, t);
            release_task(t);
        }
        return Some(WaitResult {
            pid: t.pid,
            status,
            si_code,
            si_status,
            rusage,
        });
    }
    if matches!(t.state(), TaskState::Zombie | TaskState::Dead) {
        return None;
    }
    if options & WSTOPPED != 0 {
        let sig = if nowait {
            t.signal.notify_stop.load(Ordering::SeqCst)
        } else {
            t.signal.notify_stop.swap(0, Ordering::SeqCst)
        };
        if sig != 0 {
            return Some(WaitResult {
                pid: t.pid,
                status: (sig << 8) | 0x7f,
                si_code: CLD_STOPPED,
                si_status: sig,
                rusage,
            });
        }
    }
    if options & WCONTINUED != 0 {
        let cont = if nowait {
            t.signal.notify_cont.load(Ordering::SeqCst)
        } else {
            t.signal.notify_cont.swap(false, Ordering::SeqCst)
        };
        if cont {
            return Some(WaitResult {
                pid: t.pid,
                status: 0xffff,
                si_code: CLD_CONTINUED,
                si_status: super::signal::SIGCONT,
                rusage,
            });
        }
    }
    None
}

/// `do_wait()`: report a child of the current process that exited,
/// stopped or continued, as `options` ask. Ok(None) with WNOHANG when
/// children exist but none has news; ECHILD without matching children;
/// ERESTARTSYS when a signal arrives while waiting.
#[inline(never)]
fn do_wait(who: WaitWho, options: i32) -> KResult<Option<WaitResult>> {
    let me = current();
    loop {
        let flags = local_irq_save();
        me.set_state(TaskState::Interruptible);
        let mut any = false;
        let mut found = None;
        for_each_process(|t| {
            if found.is_none()
                && t.ppid() == me.tgid
                && t.tgid != me.tgid
                && eligible_child(t, who, options)
            {
                any = true;
                found = wait_consider_task(&me.signal, t, options);
            }
        });
        let result = if found.is_some() {
            Some(Ok(found))
        } else if !any {
            Some(Err(Errno::ECHILD))
        } else if options & WNOHANG != 0 {
            Some(Ok(None))
        } else if signal_pending(&me) {
            Some(Err(Errno::ERESTARTSYS))
        } else {
            None
        };
        if let Some(result) = result {
            me.set_state(TaskState::Running);
            local_irq_restore(flags);
            return result;
        }
        me.in_wait.store(true, Ordering::SeqCst);
        schedule();
        me.in_wait.store(false, Ordering::SeqCst);
        local_irq_restore(flags);
    }
}

/// `kernel_wait4()`: wait for a child (`pid` > 0: that one; -1: any) and
/// report it; None with WNOHANG when nothing changed.
#[inline(never)]
fn kernel_wait4_result(pid: Pid, options: i32) -> KResult<Option<WaitResult>> {
    let valid = WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE;
    if options & !valid != 0 {
        return Err(Errno::EINVAL);
    }
    let who = match pid {
        -1 => WaitWho::Any,
        p if p > 0 => WaitWho::Pid(p),
        // Waiting by process group is not done.
        _ => return Err(Errno::ECHILD),
    };
    do_wait(who, options | WEXITED)
}

/// `kernel_wait4()` for the kernel's own callers: (pid, wait status),
/// (0, 0) with WNOHANG when nothing changed.
pub fn kernel_wait4(pid: Pid, options: i32) -> KResult<(Pid, i32)> {
    Ok(kernel_wait4_result(pid, options)?.map_or((0, 0), |r| (r.pid, r.status)))
}

/// `wait4(pid, wstatus, options, rusage)`.
#[inline(never)]
pub fn sys_wait4(pid: Pid, wstatus: u64, options: i32, rusage: u64) -> KResult<i64> {
    let Some(r) = kernel_wait4_result(pid, options)? else {
        return Ok(0);
    };
    if wstatus != 0 {
        copy_to_user(wstatus, &r.status.to_ne_bytes())?;
    }
    if rusage != 0 {
        copy_to_user(rusage, &r.rusage)?;
    }
    Ok(i64::from(r.pid))
}

/// `waitid(idtype, id, infop, options, rusage)`.
#[inline(never)]
pub fn sys_waitid(idtype: i32, id: Pid, infop: u64, options: i32, rusage: u64) -> KResult<i64> {
    let valid =
        WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE;
    if options & !valid != 0 || options & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let who = match idtype {
        P_ALL => WaitWho::Any,
        P_PID if id > 0 => WaitWho::Pid(id),
        P_PID => return Err(Errno::EINVAL),
        P_PGID => return Err(Errno::ECHILD),
        _ => return Err(Errno::EINVAL),
    };
    let found = do_wait(who, options)?;
    if infop != 0 {
        let mut b = [0u8; 128];
        if let Some(r) = found {
            b[0..4].copy_from_slice(&SIGCHLD.to_ne_bytes());
            b[8..12].copy_from_slice(&r.si_code.to_ne_bytes());
            b[16..20].copy_from_slice(&r.pid.to_ne_bytes());
            b[24..28].copy_from_slice(&r.si_status.to_ne_bytes());
        }
        copy_to_user(infop, &b)?;
    }
    if rusage != 0 {
        copy_to_user(rusage, &found.map_or([0; 144], |r| r.rusage))?;
    }
    Ok(0)
}
