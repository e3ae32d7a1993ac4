//! Creating tasks; mirrors kernel/fork.c (`copy_process`, `kernel_thread`)
//! plus the tail of exec (`start_thread`) for user tasks: tinymm has no
//! fork(2) yet; a user task is made from an address space the caller
//! filled (the ELF loader, or the self-tests).

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use super::sched::wake_up_new_task;
use super::{KernelStack, Pid, TASKS, TaskStruct, alloc_pid};
use crate::arch::x86_64::process_64::{ThreadStart, copy_thread};
use crate::fs::file::FilesStruct;
use crate::mm::mm_types::MmStruct;
use crate::uapi::errno::{Errno, KResult};

/// `copy_process()`: a new task with its own kernel stack, in the pid
/// table and on the run queue.
#[inline(never)]
fn copy_process(
    name: &str,
    parent: Pid,
    mm: Option<Arc<MmStruct>>,
    files: Arc<FilesStruct>,
    start: ThreadStart,
) -> KResult<Pid> {
    let stack = KernelStack::alloc().ok_or(Errno::ENOMEM)?;
    let sp = copy_thread(stack.top(), start);
    let task = {
        let mut tasks = TASKS.lock_irqsave();
        let pid = alloc_pid(&tasks).ok_or(Errno::EAGAIN)?;
        let task = Arc::new(TaskStruct::new(pid, parent, name, Some(stack), mm));
        task.thread_sp.store(sp, Ordering::SeqCst);
        *task.files.lock_irqsave() = files;
        tasks.insert(pid, task.clone());
        task
    };
    wake_up_new_task(&task);
    Ok(task.pid)
}

/// `kernel_thread()`: run `f(arg)` in a new kernel task whose parent is
/// the caller; its return value becomes its exit status.
#[inline(never)]
pub fn kernel_thread(name: &str, f: fn(usize) -> i32, arg: usize) -> KResult<Pid> {
    let parent = super::current().pid;
    copy_process(
        name,
        parent,
        None,
        Arc::default(),
        ThreadStart::Kernel { f, arg },
    )
}

/// A user task in `mm` entering ring 3 at `entry` with stack pointer
/// `user_sp` (what `execve` + `start_thread` produce), with open `files`.
#[inline(never)]
pub fn create_user_task(
    name: &str,
    parent: Pid,
    mm: Arc<MmStruct>,
    entry: u64,
    user_sp: u64,
    files: FilesStruct,
) -> KResult<Pid> {
    copy_process(
        name,
        parent,
        Some(mm),
        Arc::new(files),
        ThreadStart::User {
            ip: entry,
            sp: user_sp,
        },
    )
}
