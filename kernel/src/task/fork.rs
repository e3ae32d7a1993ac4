//! Creating tasks; mirrors kernel/fork.c: `kernel_clone` → `copy_process`
//! (fork, vfork, threads: what the clone flags share or copy), the
//! syscalls clone, fork, vfork and clone3, `kernel_thread`, and the
//! start of a self-test's hand-built program (`create_user_task`).

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use super::sched::{schedule, wake_up_new_task};
use super::signal::{SIGCHLD, SIGKILL, SighandStruct, send_sig};
use super::{
    KernelStack, Pid, SignalStruct, TASKS, TaskState, TaskStruct, VforkDone, alloc_pid, current,
    find_task_by_vpid,
};
use crate::arch::x86_64::process_64::{KthreadReturn, ThreadStart, ThreadStruct, copy_thread};
use crate::arch::x86_64::ptrace::PtRegs;
use crate::arch::x86_64::uaccess::{access_ok, copy_from_user, copy_to_user};
use crate::cgroup::kernfs::cgrp_dfl_root;
use crate::cgroup::{Cgroup, cgroup_can_fork, cgroup_post_fork};
use crate::fs::file::FilesStruct;
use crate::fs::fs_struct::{FsStruct, init_fs};
use crate::mm::memory::copy_page_range;
use crate::mm::mm_types::MmStruct;
use crate::mm::mmap::VmFlags;
use crate::uapi::errno::{Errno, KResult};

/// Clone flags (include/uapi/linux/sched.h).
pub const CSIGNAL: u64 = 0x0000_00ff;
pub const CLONE_VM: u64 = 0x0000_0100;
pub const CLONE_FS: u64 = 0x0000_0200;
pub const CLONE_FILES: u64 = 0x0000_0400;
pub const CLONE_SIGHAND: u64 = 0x0000_0800;
pub const CLONE_PIDFD: u64 = 0x0000_1000;
pub const CLONE_PTRACE: u64 = 0x0000_2000;
pub const CLONE_VFORK: u64 = 0x0000_4000;
pub const CLONE_PARENT: u64 = 0x0000_8000;
pub const CLONE_THREAD: u64 = 0x0001_0000;
pub const CLONE_NEWNS: u64 = 0x0002_0000;
pub const CLONE_SYSVSEM: u64 = 0x0004_0000;
pub const CLONE_SETTLS: u64 = 0x0008_0000;
pub const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
pub const CLONE_DETACHED: u64 = 0x0040_0000;
pub const CLONE_UNTRACED: u64 = 0x0080_0000;
pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
pub const CLONE_NEWPID: u64 = 0x2000_0000;
pub const CLONE_NEWNET: u64 = 0x4000_0000;
pub const CLONE_IO: u64 = 0x8000_0000;

/// Flags tinymm implements besides clone3's own.
const CLONE_SUPPORTED: u64 = CSIGNAL
    | CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_PTRACE
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_CHILD_SETTID
    | CLONE_IO;

/// Tasks alive now (`nr_threads`) and the limit (`max_threads`, from
/// `set_max_threads`: kernel stacks may take at most 1/8 of RAM).
static NR_THREADS: AtomicI32 = AtomicI32::new(0);
static MAX_THREADS: AtomicI32 = AtomicI32::new(i32::MAX);

/// `set_max_threads()`, from the number of managed pages.
pub fn set_max_threads(nr_pages: u64) {
    let threads = nr_pages * 4096 / (super::THREAD_SIZE * 8);
    MAX_THREADS.store(
        threads.clamp(20, super::PID_MAX as u64) as i32,
        Ordering::Relaxed,
    );
}

/// `total_forks`: tasks made since boot (/proc/stat `processes`).
static TOTAL_FORKS: AtomicU64 = AtomicU64::new(0);

/// `nr_threads`: tasks alive now.
pub fn nr_threads() -> i32 {
    NR_THREADS.load(Ordering::SeqCst)
}

/// `total_forks`.
pub fn total_forks() -> u64 {
    TOTAL_FORKS.load(Ordering::Relaxed)
}

/// A task is gone for good (`release_task`'s `__exit_signal` part).
pub(crate) fn nr_threads_dec() {
    NR_THREADS.fetch_sub(1, Ordering::SeqCst);
}

/// `struct kernel_clone_args`.
pub struct KernelCloneArgs {
    pub flags: u64,
    pub exit_signal: i32,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
    /// clone3's `set_tid[0]`.
    pub set_tid: Option<Pid>,
    /// CLONE_INTO_CGROUP's target.
    pub cgroup: Option<Arc<Cgroup>>,
}

/// What the new task starts with besides its kernel stack.
struct NewTask {
    name: alloc::string::String,
    parent: Pid,
    tgid: Option<Pid>,
    exit_signal: i32,
    mm: Option<Arc<MmStruct>>,
    files: Arc<FilesStruct>,
    fs: Arc<FsStruct>,
    sighand: Arc<SighandStruct>,
    signal: Option<Arc<SignalStruct>>,
    thread: ThreadStruct,
    start: ThreadStart,
    cgroup: Arc<Cgroup>,
    set_tid: Option<Pid>,
}

/// `copy_process()`: a new task with its own kernel stack, in the pid
/// table, in its cgroup (`cgroup_post_fork`). The caller wakes it.
#[inline(never)]
fn copy_process(n: NewTask) -> KResult<Arc<TaskStruct>> {
    if NR_THREADS.load(Ordering::SeqCst) >= MAX_THREADS.load(Ordering::Relaxed) {
        return Err(Errno::EAGAIN);
    }
    let fork_args = cgroup_can_fork(n.cgroup.clone());
    let stack = KernelStack::alloc().ok_or(Errno::ENOMEM)?;
    let sp = copy_thread(stack.top(), n.start);
    let task = {
        let mut tasks = TASKS.lock_irqsave();
        let pid = alloc_pid(&tasks, n.set_tid)?;
        // copy_signal(): limits, umask, process group, session, ...
        let parent_task = if n.parent == 0 {
            Some(super::idle_task())
        } else {
            tasks.get(&n.parent).cloned()
        };
        let signal = n.signal.unwrap_or_else(|| {
            Arc::new(parent_task.map_or_else(SignalStruct::default, |p| p.signal.copy_for_fork()))
        });
        signal.live.fetch_add(1, Ordering::SeqCst);
        let task = Arc::new(TaskStruct {
            tgid: n.tgid.unwrap_or(pid),
            exit_signal: AtomicI32::new(n.exit_signal),
            signal,
            thread: n.thread,
            ..TaskStruct::new(pid, n.parent, &n.name, Some(stack), n.mm, n.cgroup)
        });
        task.thread_sp.store(sp, Ordering::SeqCst);
        if let Some(mm) = task.mm.lock_irqsave().as_ref() {
            mm.mm_init_owner(&task);
        }
        *task.files.lock_irqsave() = n.files;
        *task.fs.lock_irqsave() = n.fs;
        *task.sighand.lock_irqsave() = n.sighand;
        tasks.insert(pid, task.clone());
        NR_THREADS.fetch_add(1, Ordering::SeqCst);
        TOTAL_FORKS.fetch_add(1, Ordering::Relaxed);
        task
    };
    if cgroup_post_fork(&task, fork_args) {
        // A cgroup.kill ran while the task was being made.
        // SIGKILL to a live task cannot fail.
        let _ = send_sig(SIGKILL, &task);
    }
    Ok(task)
}

/// `kernel_thread()`: run `f(arg)` in a new kernel task whose parent is
/// the caller; what it returns says whether it exits or leaves for the
/// user program it exec'd (`KthreadReturn`). Kernel threads start in the
/// root cgroup (Linux: kthreadd's).
#[inline(never)]
pub fn kernel_thread(name: &str, f: fn(usize) -> KthreadReturn, arg: usize) -> KResult<Pid> {
    let task = copy_process(NewTask {
        name: name.into(),
        parent: current().pid,
        tgid: None,
        exit_signal: SIGCHLD,
        mm: None,
        files: Arc::default(),
        fs: init_fs(),
        sighand: Arc::new(SighandStruct::new()),
        signal: None,
        thread: ThreadStruct::new(),
        start: ThreadStart::Kernel { f, arg },
        cgroup: cgrp_dfl_root().clone(),
        set_tid: None,
    })?;
    wake_up_new_task(&task);
    Ok(task.pid)
}

/// A user task in `mm` entering ring 3 at `entry` with stack pointer
/// `user_sp` (a self-test's program, task/selftest.rs), with open
/// `files`, in its parent's cgroup. It is a clone child (exit signal 0,
/// reaped with `__WALL`): the parent is a user program writing the
/// self-test file, and a SIGCHLD it has a handler for would interrupt the
/// self-test's waits.
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
    let task = copy_process(NewTask {
        name: name.into(),
        parent,
        tgid: None,
        exit_signal: 0,
        mm: Some(mm),
        files: Arc::new(files),
        fs: find_task_by_vpid(parent).map_or_else(init_fs, |p| p.fs.lock_irqsave().copy()),
        sighand: Arc::new(SighandStruct::new()),
        signal: None,
        thread: ThreadStruct::new(),
        start: ThreadStart::User {
            ip: entry,
            sp: user_sp,
        },
        cgroup,
        set_tid: None,
    })?;
    wake_up_new_task(&task);
    Ok(task.pid)
}

/// `dup_mmap()`: the child's copy of `oldmm` for fork: the same VMAs
/// (without mlock, which is not inherited) and a copy-on-write copy of
/// the page table. A failure frees what was copied with the new mm.
#[inline(never)]
fn dup_mmap(oldmm: &MmStruct) -> KResult<Arc<MmStruct>> {
    let mm = oldmm.new_child().ok_or(Errno::ENOMEM)?;
    {
        let old = oldmm.mmap_lock.lock();
        let mut new = mm.mmap_lock.lock();
        new.vmas = old.vmas.clone();
        new.vmas.clear_flags(VmFlags::VM_LOCKED);
        new.start_brk = old.start_brk;
        new.brk = old.brk;
        new.start_stack = old.start_stack;
        new.spans = old.spans;
        *mm.exe_file.lock_irqsave() = oldmm.exe_file.lock_irqsave().clone();
        for vma in old.vmas.iter() {
            copy_page_range(&mm, oldmm, vma)?;
        }
    }
    Ok(mm)
}

/// `kernel_clone()`: fork, vfork or a thread of the current task, which
/// entered through `regs`. Returns the child's pid to the parent; the
/// child returns 0 from the same syscall.
#[inline(never)]
pub fn kernel_clone(args: &KernelCloneArgs, regs: &PtRegs) -> KResult<i64> {
    let flags = args.flags;
    // Namespaces and pidfds do not exist here: a valid request for them
    // is not done (ENOSYS), anything else is malformed.
    const NOT_DONE: u64 = CLONE_PIDFD
        | CLONE_NEWNS
        | CLONE_NEWCGROUP
        | CLONE_NEWUTS
        | CLONE_NEWIPC
        | CLONE_NEWUSER
        | CLONE_NEWPID
        | CLONE_NEWNET;
    if flags & NOT_DONE != 0 {
        return Err(Errno::ENOSYS);
    }
    if flags & !(CLONE_SUPPORTED | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_CLEAR_SIGHAND != 0 && flags & CLONE_SIGHAND != 0 {
        return Err(Errno::EINVAL);
    }
    // copy_process()'s consistency rules.
    if (flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0)
        || (flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0)
    {
        return Err(Errno::EINVAL);
    }
    if !(0..=super::signal::_NSIG).contains(&args.exit_signal) {
        return Err(Errno::EINVAL);
    }
    let me = current();
    if flags & (CLONE_PARENT | CLONE_THREAD) != 0 && me.tgid == 1 {
        // Siblings of init (`SIGNAL_UNKILLABLE`).
        return Err(Errno::EINVAL);
    }
    let mm = me.mm.lock_irqsave().clone().ok_or(Errno::EINVAL)?;
    let mm = if flags & CLONE_VM != 0 {
        mm
    } else {
        dup_mmap(&mm)?
    };
    let files = me.files.lock_irqsave().clone();
    let files = if flags & CLONE_FILES != 0 {
        files
    } else {
        Arc::new(files.dup_fd())
    };
    // copy_fs()
    let fs = me.fs.lock_irqsave().clone();
    let fs = if flags & CLONE_FS != 0 { fs } else { fs.copy() };
    let sighand = me.sighand.lock_irqsave().clone();
    let sighand = if flags & CLONE_SIGHAND != 0 {
        sighand
    } else {
        let copy = sighand.copy();
        if flags & CLONE_CLEAR_SIGHAND != 0 {
            copy.flush_signal_handlers();
        }
        Arc::new(copy)
    };
    let thread_group = flags & CLONE_THREAD != 0;
    let (parent, exit_signal) = if thread_group {
        (me.ppid(), -1)
    } else if flags & CLONE_PARENT != 0 {
        let leader = find_task_by_vpid(me.tgid).ok_or(Errno::ESRCH)?;
        (me.ppid(), leader.exit_signal())
    } else {
        (me.tgid, args.exit_signal)
    };
    let mut child_regs = *regs;
    child_regs.ax = 0;
    if args.stack != 0 {
        child_regs.sp = args.stack;
    }
    let tls = (flags & CLONE_SETTLS != 0).then_some(args.tls);
    let vfork = (flags & CLONE_VFORK != 0).then(|| {
        Arc::new(VforkDone {
            done: AtomicBool::new(false),
            waiter: me.pid,
        })
    });
    let task = copy_process(NewTask {
        name: me.comm().into(),
        parent,
        tgid: thread_group.then_some(me.tgid),
        exit_signal,
        mm: Some(mm),
        files,
        fs,
        sighand,
        signal: thread_group.then(|| me.signal.clone()),
        thread: me.thread.clone_current(tls),
        start: ThreadStart::Fork(child_regs),
        cgroup: args
            .cgroup
            .clone()
            .unwrap_or_else(|| me.cgroups.lock_irqsave().clone()),
        set_tid: args.set_tid,
    })?;
    task.blocked
        .store(me.blocked.load(Ordering::SeqCst), Ordering::SeqCst);
    task.forknoexec.store(true, Ordering::Relaxed);
    if flags & (CLONE_VM | CLONE_VFORK) != CLONE_VM {
        // A thread starts without the alternate stack (`sas_ss_reset`).
        *task.sas.lock_irqsave() = *me.sas.lock_irqsave();
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        task.set_child_tid.store(args.child_tid, Ordering::SeqCst);
    }
    if flags & CLONE_CHILD_CLEARTID != 0 {
        task.clear_child_tid.store(args.child_tid, Ordering::SeqCst);
    }
    *task.vfork_done.lock_irqsave() = vfork.clone();
    let pid = task.pid;
    if flags & CLONE_PARENT_SETTID != 0 {
        // Linux writes it before the child runs; a fault is ignored.
        let _ = copy_to_user(args.parent_tid, &pid.to_ne_bytes());
    }
    wake_up_new_task(&task);
    drop(task);
    if let Some(done) = vfork {
        wait_for_vfork_done(&done);
    }
    Ok(i64::from(pid))
}

/// `wait_for_vfork_done()`: the parent sleeps until the child releases
/// the mm (exec or exit); a fatal signal ends the wait.
fn wait_for_vfork_done(done: &VforkDone) {
    let me = current();
    while !done.done.load(Ordering::SeqCst) && !super::signal::fatal_signal_pending(&me) {
        me.set_state(TaskState::Interruptible);
        if done.done.load(Ordering::SeqCst) {
            me.set_state(TaskState::Running);
            break;
        }
        schedule();
    }
    me.set_state(TaskState::Running);
}

/// `complete_vfork_done()`: from exec and exit.
pub fn complete_vfork_done(tsk: &TaskStruct) {
    if let Some(done) = tsk.vfork_done.lock_irqsave().take() {
        done.done.store(true, Ordering::SeqCst);
        if let Some(parent) = find_task_by_vpid(done.waiter) {
            super::sched::wake_up_state(&parent, false);
        }
    }
}

/// `clone(flags, newsp, parent_tid, child_tid, tls)` (x86_64's order).
pub fn sys_clone(regs: &PtRegs) -> KResult<i64> {
    let flags = regs.di;
    kernel_clone(
        &KernelCloneArgs {
            // The low byte is the exit signal; CLONE_DETACHED is ignored.
            flags: flags & !CSIGNAL & 0xffff_ffff,
            exit_signal: (flags & CSIGNAL) as i32,
            stack: regs.si,
            parent_tid: regs.dx,
            child_tid: regs.r10,
            tls: regs.r8,
            set_tid: None,
            cgroup: None,
        },
        regs,
    )
}

/// fork and vfork: `flags` and SIGCHLD, nothing else.
fn clone_with_flags(flags: u64, regs: &PtRegs) -> KResult<i64> {
    kernel_clone(
        &KernelCloneArgs {
            flags,
            exit_signal: SIGCHLD,
            stack: 0,
            parent_tid: 0,
            child_tid: 0,
            tls: 0,
            set_tid: None,
            cgroup: None,
        },
        regs,
    )
}

/// `fork()`.
pub fn sys_fork(regs: &PtRegs) -> KResult<i64> {
    clone_with_flags(0, regs)
}

/// `vfork()`.
pub fn sys_vfork(regs: &PtRegs) -> KResult<i64> {
    clone_with_flags(CLONE_VFORK | CLONE_VM, regs)
}

/// `CLONE_ARGS_SIZE_VER0` and `VER2` (with `cgroup`).
const CLONE_ARGS_SIZE_VER0: u64 = 64;
const CLONE_ARGS_SIZE_VER2: u64 = 88;
/// `CLONE_INTO_CGROUP` (clone3 only).
const CLONE_INTO_CGROUP: u64 = 1 << 33;
/// `CLONE_CLEAR_SIGHAND` (clone3 only).
const CLONE_CLEAR_SIGHAND: u64 = 1 << 32;

/// `clone3(uargs, size)`: `struct clone_args` (`copy_clone_args_from_user`
/// and `clone3_args_valid`), with `set_tid` (one pid namespace level),
/// CLONE_CLEAR_SIGHAND and CLONE_INTO_CGROUP.
#[inline(never)]
pub fn sys_clone3(uargs: u64, size: u64, regs: &PtRegs) -> KResult<i64> {
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let mut b = [0u8; 88];
    let n = (size as usize).min(b.len());
    copy_from_user(&mut b[..n], uargs)?;
    if size as usize > b.len() {
        // Bytes past what we know must be zero (`copy_struct_from_user`).
        let mut rest = alloc::vec![0u8; size as usize - b.len()];
        copy_from_user(&mut rest, uargs + b.len() as u64)?;
        if rest.iter().any(|&x| x != 0) {
            return Err(Errno::E2BIG);
        }
    }
    let w = |i: usize| u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    let (flags, child_tid, parent_tid, exit_signal) = (w(0), w(2), w(3), w(4));
    let (stack, stack_size, tls, set_tid, set_tid_size) = (w(5), w(6), w(7), w(8), w(9));
    let cgroup_fd = if size >= CLONE_ARGS_SIZE_VER2 {
        w(10)
    } else {
        0
    };
    // clone3_args_valid().
    if flags & CSIGNAL != 0 || exit_signal > super::signal::_NSIG as u64 {
        return Err(Errno::EINVAL);
    }
    // clone3_stack_valid(): both or neither, and a range user space owns.
    if (stack == 0) != (stack_size == 0) || (stack != 0 && !access_ok(stack, stack_size as usize)) {
        return Err(Errno::EINVAL);
    }
    if set_tid_size > 1 || (set_tid == 0 && set_tid_size != 0) {
        // One pid namespace level.
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_INTO_CGROUP != 0
        && (size < CLONE_ARGS_SIZE_VER2 || cgroup_fd > i32::MAX as u64)
    {
        return Err(Errno::EINVAL);
    }
    let set_tid = if set_tid_size == 1 {
        let mut t = [0u8; 4];
        copy_from_user(&mut t, set_tid)?;
        Some(Pid::from_ne_bytes(t))
    } else {
        None
    };
    let cgroup = if flags & CLONE_INTO_CGROUP != 0 {
        Some(cgroup_css_set_fork(cgroup_fd as i32, flags)?)
    } else {
        None
    };
    kernel_clone(
        &KernelCloneArgs {
            flags,
            exit_signal: exit_signal as i32,
            // clone3 passes the lowest address and the size.
            stack: if stack != 0 { stack + stack_size } else { 0 },
            parent_tid,
            child_tid,
            tls,
            set_tid,
            cgroup,
        },
        regs,
    )
}

/// `cgroup_css_set_fork()` for CLONE_INTO_CGROUP: `fd` must be an open
/// cgroup2 directory (EBADF otherwise) of a live cgroup (ENODEV) that
/// may take processes (EBUSY under the no-internal-processes rule); a
/// thread cannot leave its process's cgroup (EINVAL).
fn cgroup_css_set_fork(fd: i32, flags: u64) -> KResult<Arc<Cgroup>> {
    if flags & CLONE_THREAD != 0 {
        return Err(Errno::EINVAL);
    }
    let file = crate::task::current_files().get(fd)?;
    let cgrp = file.inode().cgroup().ok_or(Errno::EBADF)?;
    if cgrp.is_dying() {
        return Err(Errno::ENODEV);
    }
    crate::cgroup::cgroup_migrate_vet_dst(&cgrp)?;
    Ok(cgrp)
}

/// `schedule_tail()`'s user part: CLONE_CHILD_SETTID is written by the
/// child in its own address space.
pub fn schedule_tail_user() {
    let me = current();
    let tid = me.set_child_tid.load(Ordering::SeqCst);
    if tid != 0 && !me.is_kthread() {
        let _ = copy_to_user(tid, &me.pid.to_ne_bytes());
    }
}

/// `set_tid_address(tidptr)`.
pub fn sys_set_tid_address(tidptr: u64) -> i64 {
    let me = current();
    me.clear_child_tid.store(tidptr, Ordering::SeqCst);
    i64::from(me.pid)
}

/// `set_robust_list(head, len)`: stored for `get_robust_list`; the list
/// is not walked at exit.
pub fn sys_set_robust_list(head: u64, len: u64) -> KResult<i64> {
    // sizeof(struct robust_list_head)
    if len != 24 {
        return Err(Errno::EINVAL);
    }
    *current().robust_list.lock_irqsave() = (head, len);
    Ok(0)
}
