//! `/proc/PID`, `/proc/PID/task/TID` and `/proc/self` (fs/proc/base.c,
//! fs/proc/fd.c): one directory per task, computed on lookup. Its files
//! look the task up again when opened, so they report on the task as it
//! is then, and fail with ESRCH once it is gone.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::Ordering::Relaxed;

use super::array::{proc_pid_stat, proc_pid_statm, proc_pid_status};
use super::task_mmu::{show_map, show_smap, show_smaps_rollup};
use super::{ProcDir, ProcDynamic, ProcFile, ProcSymlink};
use crate::cgroup::kstrtoint;
use crate::fs::dcache::{Path, d_path};
use crate::fs::file::File;
use crate::fs::namespace::{mountinfo_show, mounts_show};
use crate::fs::{DirEntry, FileOps, FileType, Inode, get_next_ino};
use crate::mm::memory::access_remote_vm;
use crate::mm::oom_kill::{OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN};
use crate::mm::page::PAGE_SIZE;
use crate::task::signal::thread_group;
use crate::task::{
    Pid, TASK_COMM_LEN, TaskStruct, current, current_fs, find_task_by_vpid, for_each_process,
};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::O_CLOEXEC;

/// The `/proc` entries for tasks.
pub struct PidEntries;

/// A "magic link" (`/proc/PID/exe`, `cwd`, `root`, `fd/N`): readlink
/// shows the name of the file it stands for, seen from the reader's
/// root; a path walk goes to the file itself (`proc_get_link` →
/// `nd_jump_link`), so it also works for files whose name is not
/// reachable.
pub struct ProcMagicLink {
    ino: u64,
    mode: u32,
    get: Arc<dyn Fn() -> KResult<Path> + Send + Sync>,
}

impl ProcMagicLink {
    pub fn new(mode: u32, get: impl Fn() -> KResult<Path> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
            mode,
            get: Arc::new(get),
        })
    }
}

impl Inode for ProcMagicLink {
    fn file_type(&self) -> FileType {
        FileType::Lnk
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        self.mode
    }
    /// `proc_pid_readlink()` → `do_proc_readlink()`.
    fn readlink(&self) -> KResult<String> {
        Ok(d_path(&(self.get)()?, &current_fs().root()))
    }
    fn jump_link(&self) -> Option<KResult<Path>> {
        Some((self.get)())
    }
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Err(Errno::ELOOP)
    }
}

/// `get_proc_task()`: the task, or ESRCH once it is gone.
fn get_proc_task(pid: Pid) -> KResult<Arc<TaskStruct>> {
    find_task_by_vpid(pid).ok_or(Errno::ESRCH)
}

/// A text file about task `pid`, mode 0444.
fn task_file(
    pid: Pid,
    show: fn(&Arc<TaskStruct>, &mut String) -> core::fmt::Result,
) -> Arc<dyn Inode> {
    ProcFile::task_bytes(0o444, move || {
        let task = get_proc_task(pid)?;
        let mut m = String::new();
        show(&task, &mut m).map_err(|_| Errno::ENOMEM)?;
        Ok(m.into_bytes())
    })
}

/// `proc_pid_lookup()` / `proc_task_lookup()`: the directory of a
/// process (`whole`) or of one of its threads.
fn proc_pid_dir(pid: Pid, whole: bool) -> Arc<dyn Inode> {
    let oom_score_adj = ProcFile::new(
        move |m| oom_score_adj_show(pid, m),
        Some(Arc::new(move |buf: &[u8]| oom_score_adj_write(pid, buf))),
    );
    let comm = ProcFile::bytes(
        0o644,
        move || Ok(alloc::format!("{}\n", get_proc_task(pid)?.comm()).into_bytes()),
        Some(Arc::new(move |buf: &[u8]| comm_write(pid, buf))),
    );
    let mut entries: Vec<(&'static str, Arc<dyn Inode>)> = alloc::vec![
        (
            "cmdline",
            ProcFile::task_bytes(0o444, move || proc_pid_cmdline(pid))
        ),
        ("comm", comm),
        (
            "cwd",
            ProcMagicLink::new(0o777, move || task_fs_path(pid, |fs| fs.pwd()))
        ),
        (
            "environ",
            ProcFile::task_bytes(0o400, move || proc_pid_environ(pid))
        ),
        ("exe", ProcMagicLink::new(0o777, move || proc_exe_link(pid))),
        (
            "fd",
            ProcDir::with_mode(
                0o500,
                alloc::vec![],
                Some(Arc::new(FdDir { pid, info: false }))
            )
        ),
        (
            "fdinfo",
            ProcDir::with_mode(
                0o555,
                alloc::vec![],
                Some(Arc::new(FdDir { pid, info: true }))
            )
        ),
        ("maps", task_file(pid, |t, m| show_map(t.pid, m))),
        (
            "mountinfo",
            task_file(pid, |t, m| with_root(t, m, mountinfo_show))
        ),
        (
            "mounts",
            task_file(pid, |t, m| with_root(t, m, mounts_show))
        ),
        ("oom_score_adj", oom_score_adj),
        (
            "root",
            ProcMagicLink::new(0o777, move || task_fs_path(pid, |fs| fs.root()))
        ),
        ("smaps", task_file(pid, |t, m| show_smap(t.pid, m))),
        (
            "smaps_rollup",
            task_file(pid, |t, m| show_smaps_rollup(t.pid, m))
        ),
        (
            "stat",
            if whole {
                task_file(pid, |t, m| proc_pid_stat(t, true, m))
            } else {
                task_file(pid, |t, m| proc_pid_stat(t, false, m))
            }
        ),
        ("statm", task_file(pid, proc_pid_statm)),
        ("status", task_file(pid, proc_pid_status)),
    ];
    if whole {
        entries.push((
            "task",
            ProcDir::new(alloc::vec![], Some(Arc::new(TaskDir { tgid: pid }))),
        ));
    }
    ProcDir::new(entries, None)
}

/// `mounts_open_common()`: the mounts as the task sees them from its
/// root.
fn with_root(
    task: &Arc<TaskStruct>,
    m: &mut String,
    show: fn(&Path, &mut String) -> core::fmt::Result,
) -> core::fmt::Result {
    let root = task.fs.lock_irqsave().root();
    show(&root, m)
}

/// `proc_cwd_link()` / `proc_root_link()`.
fn task_fs_path(pid: Pid, which: fn(&crate::fs::fs_struct::FsStruct) -> Path) -> KResult<Path> {
    let task = find_task_by_vpid(pid).ok_or(Errno::ENOENT)?;
    Ok(which(&task.fs.lock_irqsave()))
}

/// `proc_exe_link()`: the program the task's mm runs; ENOENT for
/// kernel threads.
fn proc_exe_link(pid: Pid) -> KResult<Path> {
    let task = find_task_by_vpid(pid).ok_or(Errno::ENOENT)?;
    let mm = task.mm.lock_irqsave().clone().ok_or(Errno::ENOENT)?;
    mm.exe_file.lock_irqsave().clone().ok_or(Errno::ENOENT)
}

/// `get_mm_cmdline()`: the argument strings as they are in the
/// process's memory now, NULs included; a program that wrote over the
/// NUL ending them (setproctitle) gets what it wrote, up to its first
/// NUL and at most a page past the arguments. Empty for kernel threads
/// and zombies.
fn proc_pid_cmdline(pid: Pid) -> KResult<Vec<u8>> {
    let task = get_proc_task(pid)?;
    let Some(mm) = task.mm.lock_irqsave().clone() else {
        return Ok(Vec::new());
    };
    let locked = mm.mmap_lock.lock();
    let s = locked.spans;
    if s.arg_end <= s.arg_start {
        return Ok(Vec::new());
    }
    let mut args = alloc::vec![0u8; (s.arg_end - s.arg_start) as usize];
    let got = access_remote_vm(&mm, &locked.vmas, s.arg_start, &mut args);
    args.truncate(got);
    if args.last().is_some_and(|&c| c != 0) {
        // get_mm_proctitle(): the title runs past arg_end to its NUL.
        let mut title = alloc::vec![0u8; args.len() + PAGE_SIZE as usize];
        let got = access_remote_vm(&mm, &locked.vmas, s.arg_start, &mut title);
        title.truncate(got);
        if let Some(nul) = title.iter().position(|&c| c == 0) {
            title.truncate(nul + 1);
        }
        return Ok(title);
    }
    Ok(args)
}

/// `environ_read()`: the environment strings as they are in memory.
fn proc_pid_environ(pid: Pid) -> KResult<Vec<u8>> {
    let task = get_proc_task(pid)?;
    let Some(mm) = task.mm.lock_irqsave().clone() else {
        return Ok(Vec::new());
    };
    let locked = mm.mmap_lock.lock();
    let s = locked.spans;
    let mut env = alloc::vec![0u8; s.env_end.saturating_sub(s.env_start) as usize];
    let got = access_remote_vm(&mm, &locked.vmas, s.env_start, &mut env);
    env.truncate(got);
    Ok(env)
}

/// `comm_write()`: the first 15 bytes become the name (a newline
/// included, as in Linux); only a thread of the writer's own process
/// may be renamed (EINVAL otherwise).
fn comm_write(pid: Pid, buf: &[u8]) -> KResult<()> {
    let task = get_proc_task(pid)?;
    if task.tgid != current().tgid {
        return Err(Errno::EINVAL);
    }
    let name = &buf[..buf.len().min(TASK_COMM_LEN - 1)];
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    task.set_task_comm(&name[..end]);
    Ok(())
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

/// The open file `fd` of task `pid`.
fn task_fd(pid: Pid, fd: i32) -> KResult<(Arc<File>, bool)> {
    let task = find_task_by_vpid(pid).ok_or(Errno::ENOENT)?;
    let files = task.files.lock_irqsave().clone();
    let file = files.get(fd).map_err(|_| Errno::ENOENT)?;
    let cloexec = files.get_close_on_exec(fd).unwrap_or(false);
    Ok((file, cloexec))
}

// Listed entries get fresh inode numbers: glibc's readdir skips an entry
// whose d_ino is 0.

/// `/proc/PID/fd` and `/proc/PID/fdinfo` (fs/proc/fd.c).
struct FdDir {
    pid: Pid,
    /// fdinfo: a text file per descriptor instead of a link.
    info: bool,
}

impl FdDir {
    /// `tid_fd_revalidate()`'s mode: r-x for reading, -wx for writing.
    fn link_mode(file: &File) -> u32 {
        let mut mode = 0;
        if file.readable() {
            mode |= 0o500;
        }
        if file.writable() {
            mode |= 0o300;
        }
        mode
    }
}

/// `seq_show()` of fdinfo: position, flags in octal (with O_CLOEXEC
/// when the descriptor has it), mount id and inode number.
fn fdinfo_show(file: &File, cloexec: bool, m: &mut String) -> core::fmt::Result {
    let mut flags = file.f_flags();
    if cloexec {
        flags |= O_CLOEXEC;
    }
    writeln!(m, "pos:\t{}", *file.dir_pos())?;
    writeln!(m, "flags:\t0{flags:o}")?;
    writeln!(m, "mnt_id:\t{}", file.f_path.mnt.mnt_id)?;
    writeln!(m, "ino:\t{}", file.inode().ino())
}

impl ProcDynamic for FdDir {
    fn lookup(&self, name: &str) -> Option<Arc<dyn Inode>> {
        // proc_fd_lookup(): a canonical decimal number only.
        let fd: i32 = name
            .parse()
            .ok()
            .filter(|fd: &i32| fd.to_string() == name)?;
        let (file, _) = task_fd(self.pid, fd).ok()?;
        let pid = self.pid;
        if self.info {
            return Some(ProcFile::task_bytes(0o444, move || {
                let (file, cloexec) = task_fd(pid, fd)?;
                let mut m = String::new();
                fdinfo_show(&file, cloexec, &mut m).map_err(|_| Errno::ENOMEM)?;
                Ok(m.into_bytes())
            }));
        }
        Some(ProcMagicLink::new(Self::link_mode(&file), move || {
            Ok(task_fd(pid, fd)?.0.f_path.clone())
        }))
    }

    fn entries(&self) -> Vec<DirEntry> {
        let Some(task) = find_task_by_vpid(self.pid) else {
            return Vec::new();
        };
        let files = task.files.lock_irqsave().clone();
        let ftype = if self.info {
            FileType::Reg
        } else {
            FileType::Lnk
        };
        files
            .iterate_fd()
            .into_iter()
            .map(|(fd, _, _)| DirEntry::new(&fd.to_string(), get_next_ino(), ftype))
            .collect()
    }
}

/// `/proc/PID/task`: a directory per thread of the process.
struct TaskDir {
    tgid: Pid,
}

impl ProcDynamic for TaskDir {
    fn lookup(&self, name: &str) -> Option<Arc<dyn Inode>> {
        let tid: Pid = name.parse().ok()?;
        find_task_by_vpid(tid).filter(|t| t.tgid == self.tgid && tid > 0)?;
        Some(proc_pid_dir(tid, false))
    }

    fn entries(&self) -> Vec<DirEntry> {
        thread_group(self.tgid)
            .iter()
            .map(|t| DirEntry::new(&t.pid.to_string(), get_next_ino(), FileType::Dir))
            .collect()
    }
}

impl ProcDynamic for PidEntries {
    fn lookup(&self, name: &str) -> Option<Arc<dyn Inode>> {
        match name {
            // `proc_self_get_link()`: the caller's thread group.
            "self" => return Some(ProcSymlink::new(|| Ok(current().tgid.to_string()))),
            // `proc_thread_self_get_link()`: the caller's thread.
            "thread-self" => {
                return Some(ProcSymlink::new(|| {
                    let me = current();
                    Ok(alloc::format!("{}/task/{}", me.tgid, me.pid))
                }));
            }
            _ => {}
        }
        // A thread's directory is found by its tid too, but only
        // processes are listed (as in Linux).
        let pid: Pid = name.parse().ok()?;
        find_task_by_vpid(pid).filter(|t| t.pid == pid && pid > 0)?;
        Some(proc_pid_dir(pid, true))
    }

    fn entries(&self) -> Vec<DirEntry> {
        let mut entries = alloc::vec![
            DirEntry::new("self", get_next_ino(), FileType::Lnk),
            DirEntry::new("thread-self", get_next_ino(), FileType::Lnk),
        ];
        for_each_process(|t| {
            if t.pid > 0 && t.pid == t.tgid {
                entries.push(DirEntry::new(
                    &t.pid.to_string(),
                    get_next_ino(),
                    FileType::Dir,
                ));
            }
        });
        entries
    }
}
