//! Tasks; mirrors include/linux/sched.h and kernel/pid.c.
//!
//! One CPU. Every task is a [`TaskStruct`] in the task table (`pid` →
//! task, Linux's pid hash; [`find_task_by_vpid`]) from `copy_process`
//! until `release_task`. The boot context becomes the idle task (pid 0,
//! on the boot stack); the first task the kernel starts is pid 1.
//! A task is a thread: the threads of a process share its `tgid` (the
//! leader's pid), its `signal_struct` and, with the clone flags that say
//! so, its mm, descriptor table and signal actions.
//!
//! Files: sched.rs (kernel/sched/core.c), fork.rs (kernel/fork.c),
//! exit.rs (kernel/exit.c), signal.rs (kernel/signal.c), sys.rs
//! (kernel/sys.c), reboot.rs (kernel/reboot.c), time.rs (kernel/time/),
//! futex.rs (kernel/futex/), random.rs (drivers/char/random.c),
//! resource.rs (rlimits),
//! entry_common.rs (kernel/entry/common.c), syscall.rs (the syscall
//! table), loadavg.rs (kernel/sched/loadavg.c), utsname.rs (the UTS
//! names, kernel/utsname_sysctl.c). futex.rs, random.rs and resource.rs also build for the host.

pub mod entry_common;
pub mod exit;
pub mod fork;
pub mod futex;
pub mod loadavg;
#[cfg(target_os = "none")]
pub mod profile;
pub mod random;
pub mod reboot;
pub mod resource;
pub mod sched;
pub mod selftest;
pub mod signal;
pub mod sys;
pub mod syscall;
pub mod time;
pub mod utsname;
pub mod wait;

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU32, AtomicU64, Ordering};

use crate::arch::x86_64::process_64::ThreadStruct;
use crate::cgroup::Cgroup;
use crate::fs::file::FilesStruct;
use crate::mm::gfp::Gfp;
use crate::mm::mm_types::MmStruct;
use crate::mm::mmzone::node_data;
use crate::mm::page::{DirectMap, PAGE_SHIFT, Page};
use crate::mm::page_alloc::{alloc_pages, free_pages};
use crate::sync::SpinLock;
use signal::{SigPending, SighandStruct};

/// `pid_t`.
pub type Pid = i32;

/// Order of a kernel stack: 4 pages = 16 KiB (Linux's `THREAD_SIZE`) would
/// do for release builds; debug-assertion builds nest deeper, so 32 KiB.
pub const THREAD_SIZE_ORDER: usize = 3;
pub const THREAD_SIZE: u64 = 4096 << THREAD_SIZE_ORDER;

/// `PID_MAX_DEFAULT`.
pub const PID_MAX: Pid = 32768;

/// `task_struct::__state` plus `exit_state`, in one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TaskState {
    /// `TASK_RUNNING`: running or on the run queue.
    Running = 0,
    /// `TASK_INTERRUPTIBLE`: sleeping; a signal or a wake-up ends it.
    Interruptible = 1,
    /// `EXIT_ZOMBIE`: exited, waiting for its parent's `wait4`.
    Zombie = 2,
    /// `EXIT_DEAD`: exited and reaped (or nobody will reap it).
    Dead = 3,
    /// `TASK_STOPPED`: stopped by a stop signal until SIGCONT or SIGKILL.
    Stopped = 4,
    /// `TASK_UNINTERRUPTIBLE`: sleeping on I/O ("D"); only the wake-up
    /// it waits for ends it, never a signal.
    Uninterruptible = 5,
}

impl TaskState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => Self::Running,
            1 => Self::Interruptible,
            2 => Self::Zombie,
            4 => Self::Stopped,
            5 => Self::Uninterruptible,
            _ => Self::Dead,
        }
    }
}

/// A task's kernel stack: buddy pages, freed when the task is.
pub struct KernelStack {
    page: &'static Page,
}

impl KernelStack {
    /// `alloc_thread_stack_node()` + `account_kernel_stack()`.
    fn alloc() -> Option<Self> {
        let page = alloc_pages(Gfp::GFP_KERNEL, THREAD_SIZE_ORDER)?;
        account_kernel_stack(1);
        Some(Self { page })
    }

    /// Highest address + 1 (16-byte aligned).
    pub fn top(&self) -> u64 {
        let phys = node_data(0).page_to_pfn(self.page) << PAGE_SHIFT;
        DirectMap::va(phys) as u64 + THREAD_SIZE
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        account_kernel_stack(-1);
        free_pages(self.page, THREAD_SIZE_ORDER);
    }
}

/// `account_kernel_stack()`: /proc/meminfo's `KernelStack:` in KiB. (Not
/// charged to a memcg: kernel memory accounting is not there yet.)
fn account_kernel_stack(sign: i64) {
    node_data(0).mod_page_state(
        crate::mm::mmzone::NodeStatItem::NrKernelStackKb,
        sign * (THREAD_SIZE / 1024) as i64,
    );
}

/// `TASK_COMM_LEN`.
pub const TASK_COMM_LEN: usize = 16;

/// A task's name as `get_task_comm` copies it: NUL-padded bytes, shown as
/// text (bytes that are not UTF-8 show as `?`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TaskComm([u8; TASK_COMM_LEN]);

impl TaskComm {
    fn from_bytes(name: &[u8]) -> Self {
        let mut comm = [0u8; TASK_COMM_LEN];
        let n = name.len().min(TASK_COMM_LEN - 1);
        comm[..n].copy_from_slice(&name[..n]);
        Self(comm)
    }

    /// The bytes with the NUL padding, as `PR_GET_NAME` returns them.
    pub fn bytes(&self) -> [u8; TASK_COMM_LEN] {
        self.0
    }
}

impl core::ops::Deref for TaskComm {
    type Target = str;
    fn deref(&self) -> &str {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(TASK_COMM_LEN);
        core::str::from_utf8(&self.0[..len]).unwrap_or("?")
    }
}

impl core::fmt::Display for TaskComm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self)
    }
}

impl core::fmt::Debug for TaskComm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&**self, f)
    }
}

impl From<TaskComm> for alloc::string::String {
    fn from(comm: TaskComm) -> Self {
        alloc::string::String::from(&*comm)
    }
}

/// `struct signal_struct`: the state the threads of one process share.
#[derive(Default)]
pub struct SignalStruct {
    /// The OOM killer's bias, −1000 ..= 1000.
    pub oom_score_adj: AtomicI32,
    /// Process-wide pending signals (`shared_pending`).
    pub shared_pending: SigPending,
    /// `SIGNAL_GROUP_EXIT` and `group_exit_code`: every thread must exit
    /// with this wait status.
    pub group_exit: AtomicBool,
    pub group_exit_code: AtomicI32,
    /// The process is stopped (group stop) until SIGCONT.
    pub group_stop: AtomicBool,
    /// A stop (its signal) / a continue not yet reported to `wait`
    /// (`SIGNAL_STOP_STOPPED`, `SIGNAL_STOP_CONTINUED`).
    pub notify_stop: AtomicI32,
    pub notify_cont: AtomicBool,
    /// Threads that have not exited yet (`live`).
    pub live: AtomicI32,
    /// `rlim[RLIM_NLIMITS]`.
    pub rlim: SpinLock<resource::Rlimits>,
    /// The file-mode creation mask (Linux keeps it in `fs_struct`, which
    /// tinymm does not have; both are shared by threads, copied at fork).
    pub umask: AtomicU32,
    /// `pids[PIDTYPE_PGID]`: the process group.
    pub pgrp: AtomicI32,
    /// `pids[PIDTYPE_SID]`: the session.
    pub session: AtomicI32,
    /// `leader`: this process made its session with `setsid`.
    pub leader: AtomicBool,
    /// `tty`: the controlling terminal.
    pub tty: SpinLock<Option<Arc<crate::drivers::tty::tty_io::TtyStruct>>>,
    /// `cutime`, `cstime`: reaped children's CPU time, in ticks.
    pub cutime: AtomicU64,
    pub cstime: AtomicU64,
    /// `cmin_flt`, `cmaj_flt`: reaped children's page faults.
    pub cmin_flt: AtomicU64,
    pub cmaj_flt: AtomicU64,
    /// `maxrss`: the largest RSS this process's address spaces reached
    /// (pages), recorded when one is dropped; `cmaxrss`: the largest of
    /// reaped children's.
    pub maxrss: AtomicU64,
    pub cmaxrss: AtomicU64,
    /// `is_child_subreaper` (PR_SET_CHILD_SUBREAPER): orphans below this
    /// process are re-parented to it rather than to init. Not inherited.
    pub is_child_subreaper: AtomicBool,
}

impl SignalStruct {
    /// The process state a child inherits (`copy_signal`): oom_score_adj,
    /// rlimits, umask, process group, session and controlling terminal;
    /// its own counters start at zero and it does not lead its parent's
    /// session.
    pub fn copy_for_fork(&self) -> SignalStruct {
        let r = Ordering::Relaxed;
        SignalStruct {
            oom_score_adj: AtomicI32::new(self.oom_score_adj.load(r)),
            rlim: SpinLock::new(*self.rlim.lock_irqsave()),
            umask: AtomicU32::new(self.umask.load(r)),
            pgrp: AtomicI32::new(self.pgrp.load(r)),
            session: AtomicI32::new(self.session.load(r)),
            tty: SpinLock::new(self.tty.lock_irqsave().clone()),
            ..SignalStruct::default()
        }
    }

    /// Start a group exit with wait status `code`; false if one began.
    pub fn set_group_exit(&self, code: i32) -> bool {
        if self.group_exit.swap(true, Ordering::SeqCst) {
            return false;
        }
        self.group_exit_code.store(code, Ordering::SeqCst);
        self.group_stop.store(false, Ordering::SeqCst);
        true
    }
}

/// `struct completion` for `vfork_done`: the parent sleeps on it until
/// the child execs or exits.
pub struct VforkDone {
    pub done: AtomicBool,
    pub waiter: Pid,
}

/// `struct task_struct`, cut down.
pub struct TaskStruct {
    pub pid: Pid,
    pub tgid: Pid,
    /// `real_parent->pid`; changes when the parent exits (reparenting).
    parent: AtomicI32,
    /// `comm`: changed by exec and `PR_SET_NAME` while others read it.
    comm: SpinLock<[u8; TASK_COMM_LEN]>,
    state: AtomicU8,
    /// `exit_code`: the wait status (`(code & 0xff) << 8` or a signal).
    exit_code: AtomicI32,
    /// None for the idle task, which runs on the boot stack.
    stack: Option<KernelStack>,
    /// `thread.sp`: saved kernel RSP while switched out.
    pub(crate) thread_sp: AtomicU64,
    /// Signals sent to this thread alone (`pending`).
    pub pending: SigPending,
    /// `blocked`, and `saved_sigmask` with TIF_RESTORE_SIGMASK.
    pub blocked: AtomicU64,
    pub saved_sigmask: AtomicU64,
    pub restore_sigmask: AtomicBool,
    /// The alternate signal stack: (`sas_ss_sp`, `sas_ss_size`,
    /// `sas_ss_flags`).
    pub sas: SpinLock<(u64, u64, u32)>,
    /// Signal actions, shared with CLONE_SIGHAND.
    pub sighand: SpinLock<Arc<SighandStruct>>,
    /// CPU state beyond pt_regs (FPU, TLS bases).
    pub thread: ThreadStruct,
    /// Signal sent to the parent at exit: SIGCHLD for fork, -1 for a
    /// thread (reaped at once); SIGCHLD again once re-parented.
    exit_signal: AtomicI32,
    /// CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID / set_tid_address.
    pub set_child_tid: AtomicU64,
    pub clear_child_tid: AtomicU64,
    /// `restart_block` of an interrupted nanosleep: (expiry tick, `rem`).
    pub restart_block: SpinLock<Option<(u64, u64)>>,
    /// `PF_FORKNOEXEC`: forked and has not exec'd since (setpgid).
    pub forknoexec: AtomicBool,
    /// A vfork parent waits on this.
    pub vfork_done: SpinLock<Option<Arc<VforkDone>>>,
    /// `robust_list` head and length (stored; no robust futex walk).
    pub robust_list: SpinLock<(u64, u64)>,
    /// On the run queue (`on_rq`).
    pub(crate) on_rq: AtomicBool,
    /// Sleeping in `wait4` (on Linux: on `signal->wait_chldexit`).
    pub(crate) in_wait: AtomicBool,
    /// What the task shares with the other threads of its process.
    pub signal: Arc<SignalStruct>,
    /// `tsk_is_oom_victim()`: the OOM killer chose this task.
    pub oom_victim: AtomicBool,
    /// `memcg_nr_pages_over_high`: pages charged over memory.high since
    /// the last throttling.
    pub memcg_nr_pages_over_high: AtomicU64,
    /// `TIF_NOTIFY_RESUME`: `resume_user_mode_work` has work to do.
    pub notify_resume: AtomicBool,
    /// `plug`: block requests held back between `blk_start_plug` and
    /// `blk_finish_plug` (block/blk_mq.rs).
    pub plug: SpinLock<Option<crate::block::blk_mq::BlkPlug>>,
    /// The address space; None for kernel threads (and after `exit_mm`).
    pub mm: SpinLock<Option<Arc<MmStruct>>>,
    /// Open files (`files_struct`); emptied at exit (`exit_files`).
    pub files: SpinLock<Arc<FilesStruct>>,
    /// Root and working directory (`fs_struct`).
    pub fs: SpinLock<Arc<crate::fs::fs_struct::FsStruct>>,
    /// The task's cgroup (Linux: its `css_set`); set at fork, changed by
    /// `cgroup_attach_task`.
    pub cgroups: SpinLock<Arc<Cgroup>>,
    /// `utime`, `stime`: ticks that found the task in user and in kernel
    /// mode (`account_process_tick`).
    pub utime: AtomicU64,
    pub stime: AtomicU64,
    /// `min_flt`, `maj_flt`: page faults without and with I/O
    /// (`mm_account_fault`).
    pub min_flt: AtomicU64,
    pub maj_flt: AtomicU64,
    /// `start_boottime`: when the task was made, in jiffies.
    pub start_time: u64,
}

impl TaskStruct {
    /// `get_task_comm()`: a copy of `task->comm`.
    pub fn comm(&self) -> TaskComm {
        TaskComm(*self.comm.lock_irqsave())
    }

    /// `set_task_comm()` (`__set_task_comm`): the name truncated to 15
    /// bytes, as exec and `PR_SET_NAME` set it.
    pub fn set_task_comm(&self, name: &[u8]) {
        *self.comm.lock_irqsave() = TaskComm::from_bytes(name).0;
    }

    pub fn state(&self) -> TaskState {
        TaskState::from_u8(self.state.load(Ordering::SeqCst))
    }

    pub(crate) fn set_state(&self, state: TaskState) {
        self.state.store(state as u8, Ordering::SeqCst);
    }

    /// Parent's pid (`task_ppid_nr`).
    /// The signal the parent gets when this process ends.
    pub fn exit_signal(&self) -> i32 {
        self.exit_signal.load(Ordering::Relaxed)
    }

    /// `reparent_leader()`'s reset: a re-parented child tells its new
    /// parent with SIGCHLD, whatever clone asked ("we don't want people
    /// slaying init", nor a subreaper).
    pub fn reset_exit_signal(&self) {
        self.exit_signal.store(17, Ordering::Relaxed);
    }

    pub fn ppid(&self) -> Pid {
        self.parent.load(Ordering::SeqCst)
    }

    pub fn exit_code(&self) -> i32 {
        self.exit_code.load(Ordering::SeqCst)
    }

    /// The status `wait` reports for a dead process leader: the group's
    /// after a group exit, else the leader's own (`wait_task_zombie`).
    pub fn wait_status(&self) -> i32 {
        if self.signal.group_exit.load(Ordering::SeqCst) {
            self.signal.group_exit_code.load(Ordering::SeqCst)
        } else {
            self.exit_code()
        }
    }

    /// Top of the kernel stack; 0 for the idle task.
    pub fn stack_top(&self) -> u64 {
        self.stack.as_ref().map_or(0, KernelStack::top)
    }

    /// Whether the task is a kernel thread (no user address space).
    pub fn is_kthread(&self) -> bool {
        self.mm.lock_irqsave().is_none()
    }

    /// Physical address of the page table to run on (`init_mm` for
    /// kernel threads).
    pub(crate) fn pgd_phys(&self) -> u64 {
        self.mm
            .lock_irqsave()
            .as_ref()
            .map_or_else(crate::arch::x86_64::pgtable::swapper_pg_dir, |mm| {
                mm.pgd.phys()
            })
    }

    fn new(
        pid: Pid,
        parent: Pid,
        name: &str,
        stack: Option<KernelStack>,
        mm: Option<Arc<MmStruct>>,
        cgroup: Arc<Cgroup>,
    ) -> Self {
        Self {
            pid,
            tgid: pid,
            parent: AtomicI32::new(parent),
            comm: SpinLock::new(TaskComm::from_bytes(name.as_bytes()).0),
            state: AtomicU8::new(TaskState::Running as u8),
            exit_code: AtomicI32::new(0),
            stack,
            thread_sp: AtomicU64::new(0),
            pending: SigPending::default(),
            blocked: AtomicU64::new(0),
            saved_sigmask: AtomicU64::new(0),
            restore_sigmask: AtomicBool::new(false),
            sas: SpinLock::new((0, 0, 0)),
            sighand: SpinLock::new(Arc::new(SighandStruct::new())),
            thread: ThreadStruct::new(),
            exit_signal: AtomicI32::new(17),
            set_child_tid: AtomicU64::new(0),
            clear_child_tid: AtomicU64::new(0),
            restart_block: SpinLock::new(None),
            forknoexec: AtomicBool::new(false),
            vfork_done: SpinLock::new(None),
            robust_list: SpinLock::new((0, 0)),
            on_rq: AtomicBool::new(false),
            in_wait: AtomicBool::new(false),
            signal: Arc::new(SignalStruct::default()),
            oom_victim: AtomicBool::new(false),
            memcg_nr_pages_over_high: AtomicU64::new(0),
            notify_resume: AtomicBool::new(false),
            plug: SpinLock::new(None),
            mm: SpinLock::new(mm),
            files: SpinLock::new(Arc::default()),
            fs: SpinLock::new(crate::fs::fs_struct::init_fs()),
            cgroups: SpinLock::new(cgroup),
            utime: AtomicU64::new(0),
            stime: AtomicU64::new(0),
            min_flt: AtomicU64::new(0),
            maj_flt: AtomicU64::new(0),
            start_time: time::jiffies(),
        }
    }
}

/// The pid table (Linux: the pid hash / IDR).
static TASKS: SpinLock<BTreeMap<Pid, Arc<TaskStruct>>> = SpinLock::new(BTreeMap::new());
/// `last_pid` for `alloc_pid`.
static LAST_PID: AtomicI32 = AtomicI32::new(0);
/// `current`.
static CURRENT: SpinLock<Option<Arc<TaskStruct>>> = SpinLock::new(None);
/// The idle task (`init_task`, pid 0).
static IDLE: SpinLock<Option<Arc<TaskStruct>>> = SpinLock::new(None);

/// `current`: the running task. Panics before `sched_init`.
pub fn current() -> Arc<TaskStruct> {
    CURRENT
        .lock_irqsave()
        .clone()
        .expect("current before sched_init")
}

/// Whether `sched_init` has run (so `current()` and sleeping work).
pub fn sched_running() -> bool {
    CURRENT.lock_irqsave().is_some()
}

/// `find_task_by_vpid()`.
pub fn find_task_by_vpid(pid: Pid) -> Option<Arc<TaskStruct>> {
    TASKS.lock_irqsave().get(&pid).cloned()
}

/// Every task, in pid order (for `ps`-like views and reparenting).
pub fn for_each_process(mut f: impl FnMut(&Arc<TaskStruct>)) {
    let tasks: alloc::vec::Vec<_> = TASKS.lock_irqsave().values().cloned().collect();
    tasks.iter().for_each(&mut f);
}

/// `alloc_pid()`: `set_tid` if given and free, else the next free pid
/// after the last one handed out,
/// wrapping at `PID_MAX` to 2 (1 stays init's), as Linux's `pid_max`.
fn alloc_pid(
    tasks: &BTreeMap<Pid, Arc<TaskStruct>>,
    set_tid: Option<Pid>,
) -> crate::uapi::errno::KResult<Pid> {
    if let Some(pid) = set_tid {
        // clone3's set_tid: that pid or nothing.
        if !(1..PID_MAX).contains(&pid) {
            return Err(crate::uapi::errno::Errno::EINVAL);
        }
        if tasks.contains_key(&pid) {
            return Err(crate::uapi::errno::Errno::EEXIST);
        }
        return Ok(pid);
    }
    let mut pid = LAST_PID.load(Ordering::SeqCst);
    for _ in 0..PID_MAX {
        pid = if pid + 1 >= PID_MAX { 2 } else { pid + 1 };
        if !tasks.contains_key(&pid) {
            LAST_PID.store(pid, Ordering::SeqCst);
            return Ok(pid);
        }
    }
    Err(crate::uapi::errno::Errno::EAGAIN)
}

/// The pid handed out last (`idr_get_cursor(&ns->idr) - 1`, the last
/// field of /proc/loadavg).
pub fn last_pid() -> Pid {
    LAST_PID.load(Ordering::SeqCst)
}

/// The running task's root and working directory.
pub fn current_fs() -> Arc<crate::fs::fs_struct::FsStruct> {
    current().fs.lock_irqsave().clone()
}

/// The running task's descriptor table.
pub fn current_files() -> Arc<FilesStruct> {
    current().files.lock_irqsave().clone()
}

/// `sched_init()`: the boot context becomes the idle task, pid 0
/// (`init_task`), running on the boot stack.
pub fn sched_init() {
    let idle = Arc::new(TaskStruct::new(
        0,
        0,
        "swapper/0",
        None,
        None,
        crate::cgroup::kernfs::cgrp_dfl_root().clone(),
    ));
    // init_task's signal_struct and init_fs: what every task inherits.
    *idle.signal.rlim.lock_irqsave() = sys::fork_init_rlimits();
    idle.signal.umask.store(0o022, Ordering::Relaxed);
    *IDLE.lock_irqsave() = Some(idle.clone());
    *CURRENT.lock_irqsave() = Some(idle);
}

fn idle_task() -> Arc<TaskStruct> {
    IDLE.lock_irqsave().clone().expect("idle task")
}

/// `release_task()`: drop a reaped task from the pid table; its kernel
/// stack is freed with the last reference.
pub(crate) fn release_task(task: &Arc<TaskStruct>) {
    if TASKS.lock_irqsave().remove(&task.pid).is_some() {
        fork::nr_threads_dec();
    }
    task.set_state(TaskState::Dead);
}
