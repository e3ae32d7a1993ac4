//! `/proc/PID` and `/proc/self` (fs/proc/base.c): one directory per task,
//! computed on lookup.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::array::proc_pid_status;
use super::task_mmu::show_map;
use super::{ProcDir, ProcDynamic, ProcFile};
use crate::fs::Inode;
use crate::task::{Pid, current, find_task_by_vpid, for_each_process};

/// The `/proc` entries for tasks.
pub struct PidEntries;

/// `proc_pid_lookup()`: the directory of one task. Its files look the
/// task up again when opened, so they report on the task as it is then
/// (and fail with ESRCH-like emptiness once it is gone).
fn proc_pid_dir(pid: Pid) -> Arc<dyn Inode> {
    let file = |show: fn(Pid, &mut String) -> core::fmt::Result| -> Arc<dyn Inode> {
        ProcFile::new(move |m| show(pid, m), None)
    };
    ProcDir::new(
        alloc::vec![("maps", file(show_map)), ("status", file(proc_pid_status))],
        None,
    )
}

impl ProcDynamic for PidEntries {
    fn lookup(&self, name: &str) -> Option<Arc<dyn Inode>> {
        let pid = if name == "self" {
            current().pid
        } else {
            name.parse().ok()?
        };
        find_task_by_vpid(pid).filter(|t| t.pid == pid && pid > 0)?;
        Some(proc_pid_dir(pid))
    }

    fn names(&self) -> Vec<String> {
        let mut names = alloc::vec![String::from("self")];
        for_each_process(|t| {
            if t.pid > 0 {
                names.push(t.pid.to_string());
            }
        });
        names
    }
}
