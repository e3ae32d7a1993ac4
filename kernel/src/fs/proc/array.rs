//! `/proc/PID/status` (fs/proc/array.c `proc_pid_status`): the lines
//! tinymm's tasks have, in Linux's order and format.

use alloc::string::String;
use core::fmt::{self, Write};

use super::task_mmu::task_mem;
use crate::task::{Pid, TaskState, find_task_by_vpid};

/// `get_task_state()`'s text.
fn task_state_text(state: TaskState) -> &'static str {
    match state {
        TaskState::Running => "R (running)",
        TaskState::Interruptible => "S (sleeping)",
        TaskState::Zombie => "Z (zombie)",
        _ => "X (dead)",
    }
}

pub fn proc_pid_status(pid: Pid, m: &mut String) -> fmt::Result {
    let Some(task) = find_task_by_vpid(pid) else {
        return Err(fmt::Error);
    };
    writeln!(m, "Name:\t{}", task.comm())?;
    writeln!(m, "State:\t{}", task_state_text(task.state()))?;
    writeln!(m, "Tgid:\t{}", task.tgid)?;
    writeln!(m, "Pid:\t{}", task.pid)?;
    writeln!(m, "PPid:\t{}", task.ppid())?;
    writeln!(m, "Uid:\t0\t0\t0\t0")?;
    writeln!(m, "Gid:\t0\t0\t0\t0")?;
    let mm = task.mm.lock_irqsave().clone();
    if let Some(mm) = mm {
        task_mem(m, &mm)?;
    }
    writeln!(m, "Threads:\t1")
}
