//! Creating tasks; mirrors kernel/fork.c (`copy_process`, `kernel_thread`)
//! plus the tail of exec (`start_thread`) for user tasks: tinymm has no
//! fork(2) yet; a user task is made from an address space the caller
//! filled (the ELF loader, or the self-tests).

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use super::sched::wake_up_new_task;
use super::signal::{SIGKILL, send_sig};
use super::{KernelStack, Pid, TASKS, TaskStruct, alloc_pid, find_task_by_vpid};
use crate::arch::x86_64::process_64::{ThreadStart, copy_thread};
use crate::cgroup::kernfs::cgrp_dfl_root;
use crate::cgroup::{Cgroup, cgroup_can_fork, cgroup_post_fork};
use crate::fs::file::FilesStruct;
use crate::mm::mm_types::MmStruct;
use crate::uapi::errno::{Errno, KResult};

/// `copy_process()`: a new task with its own kernel stack, in the pid
/// table, in `cgroup` (`cgroup_post_fork`) and on the run queue.
#[inline(never)]
fn copy_process(
    name: &str,
    parent: Pid,
    mm: Option<Arc<MmStruct>>,
    files: Arc<FilesStruct>,
    start: ThreadStart,
    cgroup: Arc<Cgroup>,
) -> KResult<Pid> {
    let fork_args = cgroup_can_fork(cgroup.clone());
    let stack = KernelStack::alloc().ok_or(Errno::ENOMEM)?;
    let sp = copy_thread(stack.top(), start);
    let task = {
        let mut tasks = TASKS.lock_irqsave();
        let pid = alloc_pid(&tasks).ok_or(Errno::EAGAIN)?;
        let mut task = TaskStruct::new(pid, parent, name, Some(stack), mm, cgroup);
        // copy_signal(): limits, umask, process group, session, ...
        let parent_task = if parent == 0 {
            Some(super::idle_task())
        } else {
            tasks.get(&parent).cloned()
        };
        if let Some(p) = parent_task {
            task.signal = Arc::new(p.signal.copy_for_fork());
        }
        let task = Arc::new(task);
        task.thread_sp.store(sp, Ordering::SeqCst);
        *task.files.lock_irqsave() = files;
        tasks.insert(pid, task.clone());
        task
    };
    if cgroup_post_fork(&task, fork_args) {
        // A cgroup.kill ran while the task was being made.
        // SIGKILL to a live task cannot fail.
        let _ = send_sig(SIGKILL, &task);
    }
    wake_up_new_task(&task);
    Ok(task.pid)
}

/// `kernel_thread()`: run `f(arg)` in a new kernel task whose parent is
/// the caller; its return value becomes its exit status. Kernel threads
/// start in the root cgroup (Linux: kthreadd's).
#[inline(never)]
pub fn kernel_thread(name: &str, f: fn(usize) -> i32, arg: usize) -> KResult<Pid> {
    let parent = super::current().pid;
    copy_process(
        name,
        parent,
        None,
        Arc::default(),
        ThreadStart::Kernel { f, arg },
        cgrp_dfl_root().clone(),
    )
}

/// A user task in `mm` entering ring 3 at `entry` with stack pointer
/// `user_sp` (what `execve` + `start_thread` produce), with open `files`,
/// in its parent's cgroup.
#[inline(never)]
pub fn create_user_task(
    name: &str,
    parent: Pid,
    mm: Arc<MmStruct>,
    entry: u64,
    user_sp: u64,
    files: FilesStruct,
) -> KResult<Pid> {
    let cgroup = find_task_by_vpid(parent).map_or_else(
        || cgrp_dfl_root().clone(),
        |p| p.cgroups.lock_irqsave().clone(),
    );
    copy_process(
        name,
        parent,
        Some(mm),
        Arc::new(files),
        ThreadStart::User {
            ip: entry,
            sp: user_sp,
        },
        cgroup,
    )
}
