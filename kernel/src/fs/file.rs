//! Open files and file descriptor tables (fs/file.c, fs/open.c,
//! fs/read_write.c): `struct file` with its position, `files_struct` with
//! the close-on-exec bits (`do_close_on_exec`).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::namei::path_lookup;
use super::{FileOps, FileType, Inode};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{
    FASYNC, O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_EXCL, O_LARGEFILE,
    O_NOATIME, O_NOCTTY, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET,
};

/// The status flags F_SETFL may change (`SETFL_MASK`): O_APPEND,
/// O_NONBLOCK, O_ASYNC (FASYNC), O_DIRECT, O_NOATIME.
const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME;

/// Linux's default `RLIMIT_NOFILE` soft limit.
pub const NR_OPEN_DEFAULT: usize = 1024;

/// `struct file`.
pub struct File {
    pub inode: Arc<dyn Inode>,
    /// The path it was opened by (what /proc/PID/maps shows).
    pub path: String,
    ops: Arc<dyn FileOps>,
    f_pos: SpinLock<u64>,
    /// `f_flags`; F_SETFL changes the status flags.
    flags: AtomicU32,
}

impl File {
    pub fn new(inode: Arc<dyn Inode>, path: &str, ops: Arc<dyn FileOps>, flags: u32) -> Arc<Self> {
        Arc::new(Self {
            inode,
            path: String::from(path),
            ops,
            f_pos: SpinLock::new(0),
            flags: AtomicU32::new(flags),
        })
    }

    pub fn readable(&self) -> bool {
        self.flags.load(Relaxed) & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        self.flags.load(Relaxed) & O_ACCMODE != O_RDONLY
    }

    /// `f_flags` as F_GETFL reports them: open(2)'s flags without those
    /// that only act at open time, with O_LARGEFILE (always on 64-bit).
    pub fn f_flags(&self) -> u32 {
        self.flags.load(Relaxed) & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)
            | O_LARGEFILE
    }

    /// `setfl()`: F_SETFL changes only O_APPEND, O_NONBLOCK, O_ASYNC,
    /// O_DIRECT and O_NOATIME; the rest of `arg` is ignored.
    pub fn setfl(&self, arg: u32) {
        let _ = self.flags.try_update(Relaxed, Relaxed, |old| {
            Some(old & !SETFL_MASK | arg & SETFL_MASK)
        });
    }

    /// `vfs_read()` at the file position, advancing it.
    pub fn read(&self, buf: &mut [u8]) -> KResult<usize> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        let mut pos = self.f_pos.lock_irqsave();
        let n = self.ops.read(self, *pos, buf)?;
        *pos += n as u64;
        Ok(n)
    }

    /// `vfs_write()` at the file position, advancing it.
    pub fn write(&self, buf: &[u8]) -> KResult<usize> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        let mut pos = self.f_pos.lock_irqsave();
        let n = self.ops.write(self, *pos, buf)?;
        *pos += n as u64;
        Ok(n)
    }

    /// `vfs_ioctl()`: the file's own ioctls.
    pub fn ioctl(&self, cmd: u32, arg: u64) -> KResult<u64> {
        self.ops.ioctl(self, cmd, arg)
    }

    /// `vfs_poll()`.
    pub fn poll(&self, pt: &mut super::select::PollTable) -> u32 {
        self.ops.poll(self, pt)
    }

    /// `f_pos`.
    pub fn pos(&self) -> u64 {
        *self.f_pos.lock_irqsave()
    }

    /// `vfs_llseek()`.
    pub fn lseek(&self, offset: i64, whence: u32) -> KResult<u64> {
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        let mut pos = self.f_pos.lock_irqsave();
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *pos as i64,
            SEEK_END => self.inode.size() as i64,
            _ => return Err(Errno::EINVAL),
        };
        let new = base
            .checked_add(offset)
            .filter(|&p| p >= 0)
            .ok_or(Errno::EINVAL)?;
        *pos = new as u64;
        Ok(*pos)
    }
}

/// `do_filp_open()`: open `path` with open(2) flags.
pub fn filp_open(path: &str, flags: u32) -> KResult<Arc<File>> {
    let write = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0;
    let inode = match path_lookup(path) {
        Ok(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => return Err(Errno::EEXIST),
        Ok(inode) => inode,
        // The only writable filesystems have no files to create.
        Err(Errno::ENOENT) if flags & O_CREAT != 0 => {
            let (parent, _) = path.rsplit_once('/').unwrap_or(("", path));
            path_lookup(if parent.is_empty() { "/" } else { parent })?;
            return Err(Errno::EROFS);
        }
        Err(e) => return Err(e),
    };
    if flags & O_DIRECTORY != 0 && inode.file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    let ops = inode.open(write)?;
    let file = File::new(inode, path, ops, flags);
    file.ops.open(&file)?;
    Ok(file)
}

/// `rlimit(RLIMIT_NOFILE)`: the caller's soft limit (on the host, where
/// there are no tasks, `NR_OPEN_DEFAULT`).
pub(crate) fn nofile_limit() -> usize {
    #[cfg(target_os = "none")]
    if crate::task::sched_running() {
        let limit = crate::task::sys::rlimit(crate::uapi::resource::RLIMIT_NOFILE);
        return usize::try_from(limit).unwrap_or(usize::MAX);
    }
    NR_OPEN_DEFAULT
}

/// One descriptor: the open file and its close-on-exec bit
/// (`fdtable->close_on_exec`).
#[derive(Clone)]
struct FdSlot {
    file: Arc<File>,
    cloexec: bool,
}

/// `struct files_struct`: a task's descriptor table.
#[derive(Default)]
pub struct FilesStruct {
    fds: SpinLock<Vec<Option<FdSlot>>>,
}

impl FilesStruct {
    /// `fdt->max_fds`: the size of the table, which grows in powers of
    /// two from `BITS_PER_LONG` (select(2) looks no further).
    pub fn max_fds(&self) -> usize {
        self.fds.lock_irqsave().len().next_power_of_two().max(64)
    }

    /// `dup_fd()`: fork's copy of the table; the open files are shared.
    pub fn dup_fd(&self) -> Self {
        Self {
            fds: SpinLock::new(self.fds.lock_irqsave().clone()),
        }
    }

    /// `fd_install` at the lowest free descriptor (`get_unused_fd_flags`).
    pub fn alloc_fd(&self, file: Arc<File>) -> KResult<usize> {
        self.alloc_fd_from(file, 0, false)
    }

    /// `alloc_fd(start, ...)` + `fd_install`: the lowest free descriptor
    /// at or above `start`, with its close-on-exec bit (O_CLOEXEC,
    /// F_DUPFD_CLOEXEC). EMFILE past the descriptor limit.
    pub fn alloc_fd_from(&self, file: Arc<File>, start: usize, cloexec: bool) -> KResult<usize> {
        let mut fds = self.fds.lock_irqsave();
        let fd = (start..)
            .find(|&fd| fds.get(fd).is_none_or(Option::is_none))
            .expect("an unbounded range has a free slot");
        if fd >= nofile_limit() {
            return Err(Errno::EMFILE);
        }
        if fds.len() <= fd {
            fds.resize(fd + 1, None);
        }
        fds[fd] = Some(FdSlot { file, cloexec });
        Ok(fd)
    }

    /// Install at a given descriptor, replacing what was there (`dup2`:
    /// the close-on-exec bit is clear).
    pub fn install(&self, fd: usize, file: Arc<File>) {
        let old = {
            let mut fds = self.fds.lock_irqsave();
            if fds.len() <= fd {
                fds.resize(fd + 1, None);
            }
            fds[fd].replace(FdSlot {
                file,
                cloexec: false,
            })
        };
        drop(old);
    }

    fn slot<T>(&self, fd: i32, f: impl FnOnce(&mut FdSlot) -> T) -> KResult<T> {
        let mut fds = self.fds.lock_irqsave();
        usize::try_from(fd)
            .ok()
            .and_then(|fd| fds.get_mut(fd))
            .and_then(Option::as_mut)
            .map(f)
            .ok_or(Errno::EBADF)
    }

    /// `fdget()`.
    pub fn get(&self, fd: i32) -> KResult<Arc<File>> {
        self.slot(fd, |s| s.file.clone())
    }

    /// `get_close_on_exec()`.
    pub fn get_close_on_exec(&self, fd: i32) -> KResult<bool> {
        self.slot(fd, |s| s.cloexec)
    }

    /// `set_close_on_exec()`.
    pub fn set_close_on_exec(&self, fd: i32, on: bool) -> KResult<()> {
        self.slot(fd, |s| s.cloexec = on)
    }

    /// `close_fd()`.
    pub fn close(&self, fd: i32) -> KResult<()> {
        let old = {
            let mut fds = self.fds.lock_irqsave();
            let slot = usize::try_from(fd)
                .ok()
                .and_then(|fd| fds.get_mut(fd))
                .ok_or(Errno::EBADF)?;
            slot.take().ok_or(Errno::EBADF)?
        };
        drop(old);
        Ok(())
    }

    /// `do_close_on_exec()`: close every descriptor marked close-on-exec.
    /// The files are released after the table's lock is dropped.
    pub fn do_close_on_exec(&self) {
        let closed: Vec<FdSlot> = {
            let mut fds = self.fds.lock_irqsave();
            fds.iter_mut()
                .filter(|s| s.as_ref().is_some_and(|s| s.cloexec))
                .filter_map(Option::take)
                .collect()
        };
        drop(closed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::{FileOps, FileType, Inode};

    struct Null;
    impl FileOps for Null {}
    impl Inode for Null {
        fn file_type(&self) -> FileType {
            FileType::Chr
        }
        fn ino(&self) -> u64 {
            1
        }
        fn mode(&self) -> u32 {
            0o666
        }
        fn open(&self, _write: bool) -> KResult<Arc<dyn FileOps>> {
            Ok(Arc::new(Null))
        }
    }

    fn file() -> Arc<File> {
        File::new(Arc::new(Null), "/dev/null", Arc::new(Null), 0)
    }

    #[test]
    fn close_on_exec_closes_only_marked_descriptors() {
        let t = FilesStruct::default();
        assert_eq!(t.alloc_fd(file()), Ok(0));
        assert_eq!(t.alloc_fd_from(file(), 0, true), Ok(1));
        assert_eq!(t.alloc_fd_from(file(), 10, false), Ok(10));
        assert_eq!(t.alloc_fd_from(file(), 3, true), Ok(3));
        assert_eq!(t.get_close_on_exec(1), Ok(true));
        assert_eq!(t.get_close_on_exec(0), Ok(false));
        assert_eq!(t.get_close_on_exec(2), Err(Errno::EBADF));
        t.set_close_on_exec(10, true).unwrap();
        t.set_close_on_exec(3, false).unwrap();
        // dup2 onto a close-on-exec descriptor clears the bit.
        t.install(1, file());
        assert_eq!(t.get_close_on_exec(1), Ok(false));
        t.set_close_on_exec(0, true).unwrap();
        t.do_close_on_exec();
        let open: Vec<i32> = (0..12).filter(|&fd| t.get(fd).is_ok()).collect();
        assert_eq!(open, [1, 3]);
        assert_eq!(
            t.alloc_fd(file()),
            Ok(0),
            "the lowest free descriptor again"
        );
        assert_eq!(
            t.alloc_fd_from(file(), NR_OPEN_DEFAULT, false),
            Err(Errno::EMFILE)
        );
        assert_eq!(t.close(3), Ok(()));
        assert_eq!(t.close(3), Err(Errno::EBADF));
        assert_eq!(t.close(-1), Err(Errno::EBADF));
    }
}
