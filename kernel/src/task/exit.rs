//! Exit and wait; mirrors kernel/exit.c: `do_exit` → `exit_mm` (the
//! address space goes as soon as the task dies, as on Linux, so its memory
//! is freed — and later uncharged — before the parent reaps it) →
//! `exit_notify` (children go to init, the task becomes a zombie and its
//! parent is woken); `wait4` reaps zombies (`release_task`).

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use super::sched::{schedule, wake_up_process};
use super::signal::signal_pending;
use super::{
    Pid, TaskState, TaskStruct, current, find_task_by_vpid, for_each_process, release_task,
};
use crate::arch::x86_64::irqflags::{local_irq_restore, local_irq_save};
use crate::arch::x86_64::pgtable::{swapper_pg_dir, switch_mm_phys};
use crate::arch::x86_64::uaccess::copy_to_user;
use crate::uapi::errno::{Errno, KResult};

/// `wait4` options (include/uapi/linux/wait.h).
pub const WNOHANG: i32 = 0x0000_0001;
pub const WUNTRACED: i32 = 0x0000_0002;
pub const WCONTINUED: i32 = 0x0000_0008;
pub const __WNOTHREAD: i32 = 0x2000_0000;
pub const __WALL: i32 = 0x4000_0000;
pub const __WCLONE: i32 = 0x8000_0000_u32 as i32;

/// `exit_mm()`: drop the address space (switching to `init_mm` first so
/// the page table being freed is not the live one).
#[inline(never)]
fn exit_mm(tsk: &TaskStruct) {
    let mm = tsk.mm.lock_irqsave().take();
    if let Some(mm) = mm {
        super::sys::setmax_mm_hiwater_rss(&tsk.signal, &mm);
        switch_mm_phys(swapper_pg_dir());
        drop(mm);
    }
}

/// `forget_original_parent()`: the exiting task's children get init
/// (pid 1) as their parent; init is woken if one of them is a zombie.
fn forget_original_parent(tsk: &TaskStruct) {
    let mut zombie = false;
    for_each_process(|child| {
        if child.ppid() == tsk.pid && child.pid != tsk.pid {
            child.parent.store(1, Ordering::SeqCst);
            zombie |= child.state() == TaskState::Zombie;
        }
    });
    if zombie && let Some(init) = find_task_by_vpid(1) {
        __wake_up_parent(&init);
    }
}

/// `__wake_up_parent()`: wake the parent only if it sleeps in `wait4`.
fn __wake_up_parent(parent: &Arc<TaskStruct>) {
    if parent.in_wait.load(Ordering::SeqCst) {
        wake_up_process(parent);
    }
}

/// `exit_notify()`: become a zombie for the parent to reap, or, when the
/// parent is the idle task (nobody waits), go away at once.
fn exit_notify(tsk: &Arc<TaskStruct>) {
    forget_original_parent(tsk);
    let flags = local_irq_save();
    match find_task_by_vpid(tsk.ppid()) {
        Some(parent) if tsk.ppid() != 0 => {
            tsk.set_state(TaskState::Zombie);
            __wake_up_parent(&parent);
        }
        _ => release_task(tsk),
    }
    local_irq_restore(flags);
}

/// `do_exit()`: end the current task with wait status `code` (already
/// encoded: `(status & 0xff) << 8` for exit, the signal number for a
/// kill). Never returns.
#[inline(never)]
pub fn do_exit(code: i32) -> ! {
    let tsk = current();
    if tsk.pid <= 1 {
        panic!("Attempted to kill init! exitcode={code:#010x}");
    }
    exit_mm(&tsk);
    // exit_files(): close what the task had open.
    *tsk.files.lock_irqsave() = Default::default();
    crate::cgroup::cgroup_exit(&tsk);
    tsk.exit_code.store(code, Ordering::SeqCst);
    // Interrupts stay off from here: the task must not run again once it
    // is a zombie, and a tick must not reschedule it half-way.
    let _ = local_irq_save();
    exit_notify(&tsk);
    drop(tsk);
    schedule();
    unreachable!("a dead task was scheduled");
}

/// `do_group_exit()`: one thread per group here, so `do_exit`.
#[inline(never)]
pub fn do_group_exit(code: i32) -> ! {
    do_exit(code)
}

/// `exit(status)`.
pub fn sys_exit(status: i32) -> ! {
    do_exit((status & 0xff) << 8)
}

/// `exit_group(status)`.
pub fn sys_exit_group(status: i32) -> ! {
    do_group_exit((status & 0xff) << 8)
}

/// `kernel_wait4()`: wait for a child (`pid` > 0: that one; -1: any) to
/// exit, reap it and return (pid, wait status). With `WNOHANG`, (0, 0)
/// when children exist but none has exited. ECHILD without matching
/// children; EINTR when a signal arrives while waiting.
#[inline(never)]
pub fn kernel_wait4(pid: Pid, options: i32) -> KResult<(Pid, i32)> {
    let valid = WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE;
    if options & !valid != 0 {
        return Err(Errno::EINVAL);
    }
    if pid == 0 || pid < -1 {
        // Process groups do not exist yet.
        return Err(Errno::ECHILD);
    }
    let me = current();
    loop {
        let flags = local_irq_save();
        me.set_state(TaskState::Interruptible);
        let mut any = false;
        let mut zombie = None;
        for_each_process(|t| {
            if t.ppid() == me.pid && t.pid != me.pid && (pid == -1 || t.pid == pid) {
                any = true;
                if zombie.is_none() && t.state() == TaskState::Zombie {
                    zombie = Some(t.clone());
                }
            }
        });
        let result = if let Some(child) = zombie {
            let status = child.exit_code();
            super::sys::account_reaped_child(&me.signal, &child);
            release_task(&child);
            Some(Ok((child.pid, status)))
        } else if !any {
            Some(Err(Errno::ECHILD))
        } else if options & WNOHANG != 0 {
            Some(Ok((0, 0)))
        } else if signal_pending(&me) {
            Some(Err(Errno::EINTR))
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

/// `wait4(pid, wstatus, options, rusage)`. Resource usage is not kept:
/// a non-NULL `rusage` is refused with EINVAL rather than filled with
/// made-up numbers.
#[inline(never)]
pub fn sys_wait4(pid: Pid, wstatus: u64, options: i32, rusage: u64) -> KResult<i64> {
    if rusage != 0 {
        return Err(Errno::EINVAL);
    }
    let (child, status) = kernel_wait4(pid, options)?;
    if child != 0 && wstatus != 0 {
        copy_to_user(wstatus, &status.to_ne_bytes())?;
    }
    Ok(i64::from(child))
}
