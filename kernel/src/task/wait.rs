//! Wait queues; mirrors kernel/sched/wait.c (`wait_queue_head_t`,
//! `prepare_to_wait`, `finish_wait`, `__wake_up`) and the
//! `wait_event_interruptible*` macros of include/linux/wait.h.
//!
//! An entry is a sleeping task; waking wakes every entry and leaves it
//! queued (Linux's `default_wake_function`): each sleeper takes itself off
//! with `finish_wait` (or `poll_freewait`), so no entry outlives its wait.
//! On the host, where there are no tasks, a queue is always empty.

#[cfg(target_os = "none")]
use alloc::sync::Arc;
#[cfg(target_os = "none")]
use alloc::vec::Vec;

#[cfg(target_os = "none")]
use super::sched::{schedule, schedule_timeout, wake_up_process};
#[cfg(target_os = "none")]
use super::signal::signal_pending;
#[cfg(target_os = "none")]
use super::{TaskState, TaskStruct, current};
#[cfg(target_os = "none")]
use crate::sync::SpinLock;
#[cfg(target_os = "none")]
use crate::uapi::errno::{Errno, KResult};

/// `wait_queue_head_t`.
#[derive(Default)]
pub struct WaitQueueHead {
    #[cfg(target_os = "none")]
    head: SpinLock<Vec<Arc<TaskStruct>>>,
}

#[cfg(not(target_os = "none"))]
impl WaitQueueHead {
    pub const fn new() -> Self {
        Self {}
    }

    /// Nothing sleeps on the host.
    pub fn wake_up(&self) {}
}

#[cfg(target_os = "none")]
impl WaitQueueHead {
    pub const fn new() -> Self {
        Self {
            head: SpinLock::new(Vec::new()),
        }
    }

    /// `add_wait_queue()`: queue `task` unless it is queued already.
    pub fn add(&self, task: &Arc<TaskStruct>) {
        let mut head = self.head.lock_irqsave();
        if !head.iter().any(|t| Arc::ptr_eq(t, task)) {
            head.push(task.clone());
        }
    }

    /// `remove_wait_queue()`.
    pub fn remove(&self, task: &Arc<TaskStruct>) {
        self.head.lock_irqsave().retain(|t| !Arc::ptr_eq(t, task));
    }

    /// `waitqueue_active()`.
    pub fn active(&self) -> bool {
        !self.head.lock_irqsave().is_empty()
    }

    /// `wake_up_interruptible()` / `__wake_up`: every sleeper runs again
    /// and rechecks what it waits for. Callable from interrupt handlers.
    #[inline(never)]
    pub fn wake_up(&self) {
        let sleepers: Vec<Arc<TaskStruct>> = self.head.lock_irqsave().clone();
        for t in &sleepers {
            wake_up_process(t);
        }
    }

    /// `prepare_to_wait()`: queue the current task and mark it sleeping,
    /// before the caller checks its condition (so a wake-up between the
    /// check and `schedule()` is not lost).
    pub fn prepare_to_wait(&self) {
        let me = current();
        self.add(&me);
        me.set_state(TaskState::Interruptible);
    }

    /// `finish_wait()`: running again, off the queue.
    pub fn finish_wait(&self) {
        let me = current();
        me.set_state(TaskState::Running);
        self.remove(&me);
    }

    /// `wait_event_interruptible()`: sleep until `cond` holds;
    /// ERESTARTSYS when a signal comes first.
    pub fn wait_event_interruptible(&self, mut cond: impl FnMut() -> bool) -> KResult<()> {
        let me = current();
        let r = loop {
            self.prepare_to_wait();
            if cond() {
                break Ok(());
            }
            if signal_pending(&me) {
                break Err(Errno::ERESTARTSYS);
            }
            schedule();
        };
        self.finish_wait();
        r
    }

    /// `wait_event()` with `io_schedule()`: sleep uninterruptibly ("D",
    /// as a task waiting for its disk) until `cond` holds; signals wait.
    pub fn wait_event_io(&self, mut cond: impl FnMut() -> bool) {
        let me = current();
        loop {
            self.add(&me);
            me.set_state(TaskState::Uninterruptible);
            if cond() {
                break;
            }
            schedule();
        }
        self.finish_wait();
    }

    /// `wait_event_interruptible_timeout()`: as above for at most
    /// `timeout` ticks. Ok(ticks left, at least 1) when `cond` held,
    /// Ok(0) when the time ran out.
    pub fn wait_event_interruptible_timeout(
        &self,
        mut cond: impl FnMut() -> bool,
        mut timeout: u64,
    ) -> KResult<u64> {
        let me = current();
        let r = loop {
            self.prepare_to_wait();
            if cond() {
                break Ok(timeout.max(1));
            }
            if timeout == 0 {
                break Ok(0);
            }
            if signal_pending(&me) {
                break Err(Errno::ERESTARTSYS);
            }
            timeout = schedule_timeout(timeout);
        };
        self.finish_wait();
        r
    }
}
