//! `/proc/PID` and `/proc/self` (fs/proc/base.c): one directory per task,
//! computed on lookup.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::array::proc_pid_status;
use super::task_mmu::show_map;
use super::{ProcDir, ProcDynamic, ProcFile, ProcSymlink};
use crate::cgroup::kstrtoint;
use crate::fs::dcache::{Path, d_path};
use crate::fs::namespace::{mountinfo_show, mounts_show};
use crate::fs::{DirEntry, FileType, Inode};
use crate::mm::oom_kill::{OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN};
use crate::task::{Pid, current, current_fs, find_task_by_vpid, for_each_process};
use crate::uapi::errno::{Errno, KResult};
use core::fmt::Write;
use core::sync::atomic::Ordering::Relaxed;

/// The `/proc` entries for tasks.
pub struct PidEntries;

/// Inode numbers of /proc/self and /proc/PID, above those `get_next_ino`
/// hands out (Linux: `PROC_DYNAMIC_FIRST` and friends).
const PROC_SELF_INO: u64 = 0xffff_fffc;
fn proc_pid_ino(pid: Pid) -> u64 {
    (1 << 32) | u64::from(pid as u32)
}

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
    ProcDir::with_ino(
        proc_pid_ino(pid),
        alloc::vec![
            (
                "cwd",
                ProcSymlink::new(move || task_fs_link(pid, |fs| fs.pwd()))
            ),
            (
                "exe",
                ProcSymlink::new(move || proc_exe_link(pid)) as Arc<dyn Inode>
            ),
            ("maps", file(show_map)),
            (
                "mountinfo",
                file(|pid, m| with_root(pid, m, mountinfo_show))
            ),
            ("mounts", file(|pid, m| with_root(pid, m, mounts_show))),
            ("oom_score_adj", oom_score_adj),
            (
                "root",
                ProcSymlink::new(move || task_fs_link(pid, |fs| fs.root()))
            ),
            ("status", file(proc_pid_status)),
        ],
        None,
    )
}

/// `mounts_open_common()`: the mounts as the task sees them from its
/// root (nothing once it is gone).
fn with_root(
    pid: Pid,
    m: &mut String,
    show: fn(&Path, &mut String) -> core::fmt::Result,
) -> core::fmt::Result {
    match find_task_by_vpid(pid) {
        Some(t) => {
            let root = t.fs.lock_irqsave().root();
            show(&root, m)
        }
        None => Ok(()),
    }
}

/// `proc_cwd_link()` / `proc_root_link()`: the task's directory named
/// from the reader's root.
fn task_fs_link(pid: Pid, which: fn(&crate::fs::fs_struct::FsStruct) -> Path) -> KResult<String> {
    let task = find_task_by_vpid(pid).ok_or(Errno::ENOENT)?;
    let path = which(&task.fs.lock_irqsave());
    Ok(d_path(&path, &current_fs().root()))
}

/// `proc_exe_link()`: the program the task's mm runs; ENOENT for
/// kernel threads.
fn proc_exe_link(pid: Pid) -> KResult<String> {
    let task = find_task_by_vpid(pid).ok_or(Errno::ENOENT)?;
    let mm = task.mm.lock_irqsave().clone().ok_or(Errno::ENOENT)?;
    let exe = mm.exe_file.lock_irqsave().clone().ok_or(Errno::ENOENT)?;
    Ok(d_path(&exe, &current_fs().root()))
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
        if name == "self" {
            // `proc_self_get_link()`: the caller's thread group.
            return Some(ProcSymlink::with_ino(PROC_SELF_INO, || {
                Ok(current().tgid.to_string())
            }));
        }
        let pid: Pid = name.parse().ok()?;
        find_task_by_vpid(pid).filter(|t| t.pid == pid && pid > 0)?;
        Some(proc_pid_dir(pid))
    }

    fn entries(&self) -> Vec<DirEntry> {
        // glibc's readdir skips entries whose d_ino is 0.
        let mut entries = alloc::vec![DirEntry::new("self", PROC_SELF_INO, FileType::Lnk)];
        for_each_process(|t| {
            if t.pid > 0 {
                entries.push(DirEntry::new(
                    &t.pid.to_string(),
                    proc_pid_ino(t.pid),
                    FileType::Dir,
                ));
            }
        });
        entries
    }
}
