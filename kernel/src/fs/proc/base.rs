//! `/proc/PID` and `/proc/self` (fs/proc/base.c): one directory per task,
//! computed on lookup.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::array::proc_pid_status;
use super::task_mmu::show_map;
use super::{ProcDir, ProcDynamic, ProcFile};
use crate::cgroup::kstrtoint;
use crate::fs::Inode;
use crate::mm::oom_kill::{OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN};
use crate::task::{Pid, current, find_task_by_vpid, for_each_process};
use crate::uapi::errno::{Errno, KResult};
use core::fmt::Write;
use core::sync::atomic::Ordering::Relaxed;

/// The `/proc` entries for tasks.
pub struct PidEntries;

/// `proc_pid_lookup()`: the directory of one task. Its files look the
/// task up again when opened, so they report on the task as it is then
/// (and fail with ESRCH-like emptiness once it is gone).
fn proc_pid_dir(pid: Pid) -> Arc<dyn Inode> {
    let file = |show: fn(Pid, &mut String) -> core::fmt::Result| -> Arc<dyn Inode> {
        ProcFile::new(move |m| show(pid, m), None)
    };
    let oom_score_adj = ProcFile::new(
        move |m| oom_score_adj_show(pid, m),
        Some(Arc::new(move |buf: &[u8]| oom_score_adj_write(pid, buf))),
    );
    ProcDir::new(
        alloc::vec![
            ("maps", file(show_map)),
            ("oom_score_adj", oom_score_adj),
            ("status", file(proc_pid_status)),
        ],
        None,
    )
}

/// `oom_score_adj_read()`.
fn oom_score_adj_show(pid: Pid, m: &mut String) -> core::fmt::Result {
    match find_task_by_vpid(pid) {
        Some(t) => writeln!(m, "{}", t.signal.oom_score_adj.load(Relaxed)),
        None => Ok(()),
    }
}

/// `oom_score_adj_write()`: an integer in −1000..=1000 (only the first
/// 12 bytes are looked at, as Linux's PROC_NUMBUF buffer); ESRCH once the
/// task is gone.
fn oom_score_adj_write(pid: Pid, buf: &[u8]) -> KResult<()> {
    const PROC_NUMBUF: usize = 13;
    let buf = &buf[..buf.len().min(PROC_NUMBUF - 1)];
    let adj = kstrtoint(buf)?;
    if !(OOM_SCORE_ADJ_MIN..=OOM_SCORE_ADJ_MAX).contains(&adj) {
        return Err(Errno::EINVAL);
    }
    let task = find_task_by_vpid(pid).ok_or(Errno::ESRCH)?;
    task.signal.oom_score_adj.store(adj, Relaxed);
    Ok(())
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
