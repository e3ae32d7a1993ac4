//! Open files and file descriptor tables (fs/file.c, fs/open.c,
//! fs/read_write.c): `struct file` with its position, `files_struct`.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::namei::path_lookup;
use super::{FileOps, FileType, Inode};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{
    O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_TRUNC, O_WRONLY, SEEK_CUR, SEEK_END,
    SEEK_SET,
};

/// Linux's default `RLIMIT_NOFILE` soft limit.
pub const NR_OPEN_DEFAULT: usize = 1024;

/// `struct file`.
pub struct File {
    pub inode: Arc<dyn Inode>,
    /// The path it was opened by (what /proc/PID/maps shows).
    pub path: String,
    ops: Arc<dyn FileOps>,
    f_pos: SpinLock<u64>,
    flags: u32,
}

impl File {
    pub fn new(inode: Arc<dyn Inode>, path: &str, ops: Arc<dyn FileOps>, flags: u32) -> Arc<Self> {
        Arc::new(Self {
            inode,
            path: String::from(path),
            ops,
            f_pos: SpinLock::new(0),
            flags,
        })
    }

    pub fn readable(&self) -> bool {
        self.flags & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        self.flags & O_ACCMODE != O_RDONLY
    }

    /// `vfs_read()` at the file position, advancing it.
    pub fn read(&self, buf: &mut [u8]) -> KResult<usize> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        let mut pos = self.f_pos.lock_irqsave();
        let n = self.ops.read(*pos, buf)?;
        *pos += n as u64;
        Ok(n)
    }

    /// `vfs_write()` at the file position, advancing it.
    pub fn write(&self, buf: &[u8]) -> KResult<usize> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        let mut pos = self.f_pos.lock_irqsave();
        let n = self.ops.write(*pos, buf)?;
        *pos += n as u64;
        Ok(n)
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
    Ok(File::new(inode, path, ops, flags))
}

/// `rlimit(RLIMIT_NOFILE)`: the caller's soft limit (on the host, where
/// there are no tasks, `NR_OPEN_DEFAULT`).
fn nofile_limit() -> usize {
    #[cfg(target_os = "none")]
    if crate::task::sched_running() {
        let limit = crate::task::sys::rlimit(crate::uapi::resource::RLIMIT_NOFILE);
        return usize::try_from(limit).unwrap_or(usize::MAX);
    }
    NR_OPEN_DEFAULT
}

/// `struct files_struct`: a task's descriptor table.
#[derive(Default)]
pub struct FilesStruct {
    fds: SpinLock<Vec<Option<Arc<File>>>>,
}

impl FilesStruct {
    /// `fd_install` at the lowest free descriptor (`get_unused_fd_flags`).
    pub fn alloc_fd(&self, file: Arc<File>) -> KResult<usize> {
        let mut fds = self.fds.lock_irqsave();
        let fd = fds.iter().position(Option::is_none).unwrap_or(fds.len());
        if fd >= nofile_limit() {
            return Err(Errno::EMFILE);
        }
        if fd == fds.len() {
            fds.push(None);
        }
        fds[fd] = Some(file);
        Ok(fd)
    }

    /// Install at a given descriptor, replacing what was there (`dup2`).
    pub fn install(&self, fd: usize, file: Arc<File>) {
        let mut fds = self.fds.lock_irqsave();
        if fds.len() <= fd {
            fds.resize(fd + 1, None);
        }
        fds[fd] = Some(file);
    }

    /// `fdget()`.
    pub fn get(&self, fd: i32) -> KResult<Arc<File>> {
        let fds = self.fds.lock_irqsave();
        usize::try_from(fd)
            .ok()
            .and_then(|fd| fds.get(fd).cloned().flatten())
            .ok_or(Errno::EBADF)
    }

    /// `close_fd()`.
    pub fn close(&self, fd: i32) -> KResult<()> {
        let mut fds = self.fds.lock_irqsave();
        let slot = usize::try_from(fd)
            .ok()
            .and_then(|fd| fds.get_mut(fd))
            .ok_or(Errno::EBADF)?;
        slot.take().map(|_| ()).ok_or(Errno::EBADF)
    }
}
