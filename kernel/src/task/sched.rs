//! The scheduler; mirrors kernel/sched/core.c (and the idle loop of
//! kernel/sched/idle.c), cut down to one CPU and one policy: round robin
//! with a fixed time slice. Kernel code is not preempted
//! (`CONFIG_PREEMPT_NONE`): a task in the kernel runs until it sleeps,
//! yields or returns to user mode, where `need_resched` is honoured.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::signal::{fatal_signal_pending, signal_pending};
use super::{CURRENT, TaskState, TaskStruct, current, idle_task};
use crate::arch::x86_64::irqflags::{
    local_irq_disable, local_irq_enable, local_irq_restore, local_irq_save, safe_halt,
};
use crate::arch::x86_64::pgtable::switch_mm_phys;
use crate::arch::x86_64::process_64::{__switch_to, switch_thread_state};
use crate::sync::SpinLock;

/// Ticks a task runs before it must yield the CPU to a runnable one
/// (4 ms at HZ=1000).
pub const SCHED_SLICE_TICKS: u64 = 4;

static RUNQUEUE: SpinLock<VecDeque<Arc<TaskStruct>>> = SpinLock::new(VecDeque::new());
/// `TIF_NEED_RESCHED` of the current task (one CPU: one flag).
static NEED_RESCHED: AtomicBool = AtomicBool::new(false);
/// Ticks left in the current task's slice.
static SLICE_LEFT: AtomicU64 = AtomicU64::new(SCHED_SLICE_TICKS);
/// The task switched away from, kept alive until `finish_task_switch`
/// runs on the next task's stack (`rq->prev_mm`/`put_task_struct` role).
static PREV_TASK: SpinLock<Option<Arc<TaskStruct>>> = SpinLock::new(None);
/// Context switches so far (`nr_context_switches`).
static NR_SWITCHES: AtomicU64 = AtomicU64::new(0);

/// `need_resched()`.
pub fn need_resched() -> bool {
    NEED_RESCHED.load(Ordering::SeqCst)
}

/// `set_tsk_need_resched(current)`.
pub fn set_need_resched() {
    NEED_RESCHED.store(true, Ordering::SeqCst);
}

/// `nr_context_switches()`.
pub fn nr_context_switches() -> u64 {
    NR_SWITCHES.load(Ordering::Relaxed)
}

/// `nr_running()`: tasks runnable now, the running one included (the
/// idle task is not counted).
pub fn nr_running() -> u64 {
    let flags = local_irq_save();
    let queued = RUNQUEUE.lock_irqsave().len() as u64;
    let curr = current();
    let running = u64::from(curr.pid != 0 && curr.state() == TaskState::Running);
    local_irq_restore(flags);
    queued + running
}

/// `scheduler_tick()`: called from the timer interrupt every tick.
#[inline(never)]
pub fn scheduler_tick() {
    let curr = current();
    if curr.pid == 0 {
        if !RUNQUEUE.lock_irqsave().is_empty() {
            set_need_resched();
        }
        return;
    }
    let left = SLICE_LEFT.load(Ordering::Relaxed).saturating_sub(1);
    SLICE_LEFT.store(left, Ordering::Relaxed);
    if left == 0 && !RUNQUEUE.lock_irqsave().is_empty() {
        set_need_resched();
    }
}

/// `nr_iowait()`: tasks sleeping on I/O (every uninterruptible sleep
/// here is one: `submit_bio_wait`), /proc/stat's `procs_blocked`.
pub fn nr_iowait() -> u64 {
    let mut n = 0;
    super::for_each_process(|t| n += u64::from(t.state() == TaskState::Uninterruptible));
    n
}

/// `wake_up_process()`: make a sleeping task runnable. Returns whether it
/// was sleeping.
#[inline(never)]
pub fn wake_up_process(p: &Arc<TaskStruct>) -> bool {
    try_to_wake_up(p, true)
}

/// `try_to_wake_up()`: wake `p` if it sleeps interruptibly, or (with
/// `uninterruptible`, Linux's TASK_NORMAL) in either state.
fn try_to_wake_up(p: &Arc<TaskStruct>, uninterruptible: bool) -> bool {
    let flags = local_irq_save();
    let woke = p.state() == TaskState::Interruptible
        || (uninterruptible && p.state() == TaskState::Uninterruptible);
    if woke {
        p.set_state(TaskState::Running);
        let curr = current();
        if !Arc::ptr_eq(&curr, p) && !p.on_rq.swap(true, Ordering::SeqCst) {
            RUNQUEUE.lock_irqsave().push_back(p.clone());
        }
        if curr.pid == 0 {
            set_need_resched();
        }
    }
    local_irq_restore(flags);
    woke
}

/// `wake_up_state()`: like `wake_up_process`, and with `resume` also
/// ends a stop (`TASK_STOPPED`, for SIGKILL and SIGCONT).
pub fn wake_up_state(p: &Arc<TaskStruct>, resume: bool) -> bool {
    let flags = local_irq_save();
    if resume && p.state() == TaskState::Stopped {
        p.set_state(TaskState::Interruptible);
    }
    // Signals never end an uninterruptible sleep (TASK_INTERRUPTIBLE only).
    let woke = try_to_wake_up(p, false);
    local_irq_restore(flags);
    woke
}

/// Puts a new task on the run queue (`wake_up_new_task`).
pub(crate) fn wake_up_new_task(p: &Arc<TaskStruct>) {
    let flags = local_irq_save();
    if !p.on_rq.swap(true, Ordering::SeqCst) {
        RUNQUEUE.lock_irqsave().push_back(p.clone());
    }
    if current().pid == 0 {
        set_need_resched();
    }
    local_irq_restore(flags);
}

/// `schedule()`: give the CPU to the next runnable task. A task whose
/// state is not `Running` sleeps until woken; a running one goes to the
/// back of the queue.
#[inline(never)]
pub fn schedule() {
    sched_submit_work(&current());
    let flags = local_irq_save();
    __schedule();
    local_irq_restore(flags);
}

/// `sched_submit_work()`: a task about to sleep issues its plugged block
/// requests first, which it may be about to wait for.
fn sched_submit_work(tsk: &TaskStruct) {
    if tsk.state() != TaskState::Running {
        crate::block::blk_mq::blk_flush_plug(tsk);
    }
}

/// `__schedule()`: pick the next task and switch to it; interrupts off.
#[inline(never)]
fn __schedule() {
    NEED_RESCHED.store(false, Ordering::SeqCst);
    let prev = current();
    // A signal cancels an interruptible sleep (`signal_pending_state`).
    if prev.state() == TaskState::Interruptible && signal_pending(&prev) {
        prev.set_state(TaskState::Running);
    }
    // A stop ends only with SIGCONT or SIGKILL.
    if prev.state() == TaskState::Stopped
        && (fatal_signal_pending(&prev) || !prev.signal.group_stop.load(Ordering::SeqCst))
    {
        prev.set_state(TaskState::Running);
    }
    let next = {
        let mut rq = RUNQUEUE.lock_irqsave();
        if prev.pid != 0
            && prev.state() == TaskState::Running
            && !prev.on_rq.swap(true, Ordering::SeqCst)
        {
            rq.push_back(prev.clone());
        }
        match rq.pop_front() {
            Some(next) => {
                next.on_rq.store(false, Ordering::SeqCst);
                next
            }
            None => idle_task(),
        }
    };
    SLICE_LEFT.store(SCHED_SLICE_TICKS, Ordering::Relaxed);
    if Arc::ptr_eq(&prev, &next) {
        return;
    }
    NR_SWITCHES.fetch_add(1, Ordering::Relaxed);
    context_switch(prev, next);
}

/// `context_switch()`: `switch_mm` then `switch_to`. Both Arcs are handed
/// to statics before the switch so that nothing on this stack keeps a
/// task alive while this stack may never run again.
#[inline(never)]
fn context_switch(prev: Arc<TaskStruct>, next: Arc<TaskStruct>) {
    switch_mm_phys(next.pgd_phys());
    switch_thread_state(&prev.thread, &next.thread);
    let prev_sp = prev.thread_sp.as_ptr();
    let next_sp = next.thread_sp.load(Ordering::SeqCst);
    let next_top = next.stack_top();
    *CURRENT.lock_irqsave() = Some(next);
    *PREV_TASK.lock_irqsave() = Some(prev);
    __switch_to(prev_sp, next_sp, next_top);
    finish_task_switch();
}

/// `finish_task_switch()`: drop the reference to the task we came from;
/// for a task that has exited and been released, this frees its stack.
fn finish_task_switch() {
    let prev = PREV_TASK.lock_irqsave().take();
    drop(prev);
}

/// `schedule_tail()`: the first thing a new task does.
pub fn schedule_tail() {
    finish_task_switch();
}

/// `set_current_state()`: mark the current task as about to sleep
/// (`Interruptible`) or running again, before `schedule()` /
/// `schedule_timeout()`.
pub fn set_current_state(state: TaskState) {
    current().set_state(state);
}

/// `schedule_timeout()`: the caller has set its state (usually
/// `Interruptible`); sleep up to `timeout` ticks. Returns the ticks left
/// (0 when the time ran out); earlier on a wake-up or a signal.
#[inline(never)]
pub fn schedule_timeout(timeout: u64) -> u64 {
    let expires = super::time::jiffies() + timeout;
    let flags = local_irq_save();
    let curr = current();
    super::time::add_timer(expires, curr.clone());
    drop(curr);
    schedule();
    super::time::del_timer(&current());
    local_irq_restore(flags);
    expires.saturating_sub(super::time::jiffies())
}

/// `schedule_timeout_interruptible()`.
#[inline(never)]
pub fn schedule_timeout_interruptible(timeout: u64) -> u64 {
    let flags = local_irq_save();
    set_current_state(TaskState::Interruptible);
    let left = schedule_timeout(timeout);
    local_irq_restore(flags);
    left
}

/// `schedule_timeout_killable()`: sleep up to `timeout` ticks; only a
/// fatal signal ends the sleep early (every signal here is fatal).
#[inline(never)]
pub fn schedule_timeout_killable(timeout: u64) -> u64 {
    schedule_timeout_interruptible(timeout)
}

/// `do_sched_yield()`: to the back of the run queue.
pub fn sys_sched_yield() -> i64 {
    schedule();
    0
}

/// `cond_resched()`: reschedule if the tick asked for it.
pub fn cond_resched() {
    if need_resched() {
        schedule();
    }
}

/// `cpu_startup_entry()` → `do_idle()`: the idle task's loop. Halts with
/// interrupts on until something is runnable.
pub fn cpu_startup_entry() -> ! {
    loop {
        local_irq_disable();
        if need_resched() || !RUNQUEUE.lock_irqsave().is_empty() {
            local_irq_enable();
            schedule();
        } else {
            safe_halt();
        }
    }
}
