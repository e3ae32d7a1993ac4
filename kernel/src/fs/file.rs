//! Open files and file descriptor tables (fs/file.c, fs/open.c,
//! fs/read_write.c): `struct file` with its position, `files_struct` with
//! the close-on-exec bits (`do_close_on_exec`).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::dcache::{Dentry, Path};
use super::namei::Nameidata;
use super::{FileOps, FileType, Iattr, Inode, open_for_write};
use crate::mm::readahead::FileRaState;
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{
    FASYNC, O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_EXCL, O_LARGEFILE,
    O_NOATIME, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, O_TMPFILE, O_TRUNC, O_WRONLY,
    SEEK_CUR, SEEK_END, SEEK_SET,
};

/// The status flags F_SETFL may change (`SETFL_MASK`): O_APPEND,
/// O_NONBLOCK, O_ASYNC (FASYNC), O_DIRECT, O_NOATIME.
const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME;

/// Linux's default `RLIMIT_NOFILE` soft limit.
pub const NR_OPEN_DEFAULT: usize = 1024;

/// `struct file`.
pub struct File {
    pub f_path: Path,
    ops: Arc<dyn FileOps>,
    f_pos: SpinLock<u64>,
    /// `f_flags`; F_SETFL changes the status flags.
    flags: AtomicU32,
    /// `f_ra`: the readahead window of reads and faults through this
    /// open file (shared with its mappings).
    pub f_ra: Arc<SpinLock<FileRaState>>,
}

impl File {
    pub fn new(f_path: Path, ops: Arc<dyn FileOps>, flags: u32) -> Arc<Self> {
        let ra = match f_path.inode().mapping() {
            Some(mapping) => FileRaState::new(mapping),
            None => FileRaState::with_ra_pages(0),
        };
        Arc::new(Self {
            f_path,
            ops,
            f_pos: SpinLock::new(0),
            flags: AtomicU32::new(flags),
            f_ra: Arc::new(SpinLock::new(ra)),
        })
    }

    /// `file_inode()`.
    pub fn inode(&self) -> &Arc<dyn Inode> {
        self.f_path.inode()
    }

    /// An O_PATH descriptor: names a file, cannot read or write it.
    fn is_path(&self) -> bool {
        self.flags.load(Relaxed) & O_PATH != 0
    }

    pub fn readable(&self) -> bool {
        !self.is_path() && self.flags.load(Relaxed) & O_ACCMODE != O_WRONLY
    }

    pub fn writable(&self) -> bool {
        !self.is_path() && self.flags.load(Relaxed) & O_ACCMODE != O_RDONLY
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

    pub fn ops(&self) -> &Arc<dyn FileOps> {
        &self.ops
    }

    /// `vfs_read()` at the file position, advancing it.
    pub fn read(&self, buf: &mut [u8]) -> KResult<usize> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        if self.inode().file_type() == FileType::Dir {
            return Err(Errno::EISDIR);
        }
        let mut pos = self.f_pos.lock_irqsave();
        let n = self.ops.read(self, *pos, buf)?;
        *pos += n as u64;
        Ok(n)
    }

    /// `vfs_write()` at the file position (the end with O_APPEND),
    /// advancing it.
    pub fn write(&self, buf: &[u8]) -> KResult<usize> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        let mut pos = self.f_pos.lock_irqsave();
        if self.flags.load(Relaxed) & O_APPEND != 0 && self.ops.seekable() {
            *pos = self.inode().size();
        }
        let n = self.ops.write(self, *pos, buf)?;
        *pos += n as u64;
        Ok(n)
    }

    /// `vfs_read()` at `pos` for pread64: the file position stays.
    pub fn pread(&self, buf: &mut [u8], pos: u64) -> KResult<usize> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        if self.inode().file_type() == FileType::Dir {
            return Err(Errno::EISDIR);
        }
        self.ops.read(self, pos, buf)
    }

    /// `vfs_write()` at `pos` for pwrite64 (Linux appends even then with
    /// O_APPEND).
    pub fn pwrite(&self, buf: &[u8], pos: u64) -> KResult<usize> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        let pos = if self.flags.load(Relaxed) & O_APPEND != 0 {
            self.inode().size()
        } else {
            pos
        };
        self.ops.write(self, pos, buf)
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
        if self.is_path() {
            return Err(Errno::EBADF);
        }
        if let Some(r) = self.ops.llseek(offset, whence) {
            return r;
        }
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        let mut pos = self.f_pos.lock_irqsave();
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *pos as i64,
            SEEK_END => self.ops.i_size().unwrap_or_else(|| self.inode().size()) as i64,
            _ => return Err(Errno::EINVAL),
        };
        let new = base
            .checked_add(offset)
            .filter(|&p| p >= 0)
            .ok_or(Errno::EINVAL)?;
        *pos = new as u64;
        Ok(*pos)
    }

    /// The directory position getdents64 continues from, and its update.
    pub fn dir_pos(&self) -> crate::sync::SpinLockGuard<'_, u64> {
        self.f_pos.lock_irqsave()
    }
}

/// Handle of an O_PATH descriptor: no I/O.
struct PathOps;

impl FileOps for PathOps {
    fn read(&self, _file: &File, _pos: u64, _buf: &mut [u8]) -> KResult<usize> {
        Err(Errno::EBADF)
    }
    fn write(&self, _file: &File, _pos: u64, _buf: &[u8]) -> KResult<usize> {
        Err(Errno::EBADF)
    }
}

/// `do_filp_open()` → `path_openat()`: open (and with O_CREAT make)
/// `name` with open(2)'s `flags`; `mode` has the umask applied.
#[inline(never)]
pub fn do_filp_open(nd: &mut Nameidata, name: &str, flags: u32, mode: u32) -> KResult<Arc<File>> {
    if flags & O_TMPFILE == O_TMPFILE {
        return do_tmpfile(nd, name, flags, mode);
    }
    let p = nd.parent(name)?;
    let path = if flags & O_CREAT != 0 {
        let Some(last) = p.name() else {
            return Err(Errno::EISDIR);
        };
        match nd.last(&p, false) {
            Ok(_) if flags & O_EXCL != 0 => return Err(Errno::EEXIST),
            Ok(found) if found.inode().file_type() == FileType::Lnk => {
                if flags & O_NOFOLLOW != 0 {
                    return Err(Errno::ELOOP);
                }
                nd.last(&p, true)?
            }
            Ok(found) => found,
            Err(Errno::ENOENT) => {
                if p.trailing_slash {
                    return Err(Errno::EISDIR);
                }
                p.dir.mnt.want_write()?;
                let inode = p.dir.inode().create(last, mode & 0o7777)?;
                Path {
                    mnt: p.dir.mnt.clone(),
                    dentry: Dentry::child(&p.dir.dentry, last, inode),
                }
            }
            Err(e) => return Err(e),
        }
    } else {
        nd.last(&p, flags & O_NOFOLLOW == 0)?
    };
    let ftype = path.inode().file_type();
    if flags & O_PATH != 0 {
        if flags & O_DIRECTORY != 0 && ftype != FileType::Dir {
            return Err(Errno::ENOTDIR);
        }
        return Ok(File::new(path, Arc::new(PathOps), flags & O_PATH_FLAGS));
    }
    if ftype == FileType::Lnk {
        return Err(Errno::ELOOP);
    }
    if flags & O_DIRECTORY != 0 && ftype != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    let write = open_for_write(flags);
    if ftype == FileType::Dir && (write || flags & O_CREAT != 0) {
        return Err(Errno::EISDIR);
    }
    if write && ftype == FileType::Reg {
        path.mnt.want_write()?;
    }
    let ops = open_inode(&path, flags)?;
    if flags & O_TRUNC != 0 && ftype == FileType::Reg {
        path.inode().setattr(&Iattr {
            size: Some(0),
            ..Iattr::default()
        })?;
    }
    let file = File::new(path, ops, flags);
    file.ops.open(&file)?;
    Ok(file)
}

/// `do_dentry_open()`'s `f_op->open`: FIFOs of every filesystem (and
/// pipefs's inodes) through `fifo_open()`, as `init_special_inode()`
/// gives them `pipefifo_fops`; other files through their inode.
fn open_inode(path: &Path, flags: u32) -> KResult<Arc<dyn FileOps>> {
    #[cfg(target_os = "none")]
    if path.inode().file_type() == FileType::Fifo {
        return super::pipe::fifo_open(path.inode(), flags);
    }
    path.inode().open(flags)
}

/// The flags an O_PATH descriptor keeps (`O_PATH_FLAGS`).
const O_PATH_FLAGS: u32 = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;

/// `do_tmpfile()`: an unnamed file in the directory `name`, opened for
/// writing; d_path names it `#ino (deleted)` as Linux does.
fn do_tmpfile(nd: &mut Nameidata, name: &str, flags: u32, mode: u32) -> KResult<Arc<File>> {
    if flags & O_ACCMODE == O_RDONLY {
        return Err(Errno::EINVAL);
    }
    let dir = nd.walk(name, true)?;
    if dir.inode().file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    dir.mnt.want_write()?;
    let inode = dir.inode().tmpfile(mode & 0o7777)?;
    let ops = inode.open(flags)?;
    let name = alloc::format!("#{}", inode.ino());
    let path = Path {
        mnt: dir.mnt.clone(),
        dentry: Dentry::child(&dir.dentry, &name, inode),
    };
    Ok(File::new(path, ops, flags & !O_DIRECTORY))
}

/// `filp_open()`: open `name` from inside the kernel, relative to the
/// running task.
#[cfg(target_os = "none")]
pub fn filp_open(name: &str, flags: u32, mode: u32) -> KResult<Arc<File>> {
    let mut nd = super::namei::user_nd(crate::uapi::fcntl::AT_FDCWD, name)?;
    do_filp_open(&mut nd, name, flags, mode)
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

    /// `iterate_fd()`: the open descriptors in order, each with its file
    /// and close-on-exec bit (/proc/PID/fd and fdinfo).
    pub fn iterate_fd(&self) -> Vec<(usize, Arc<File>, bool)> {
        let fds = self.fds.lock_irqsave();
        fds.iter()
            .enumerate()
            .filter_map(|(fd, s)| s.as_ref().map(|s| (fd, s.file.clone(), s.cloexec)))
            .collect()
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
        fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
            Ok(Arc::new(Null))
        }
    }

    struct NullSuper;
    impl crate::fs::super_block::SuperOperations for NullSuper {
        fn statfs(&self) -> crate::fs::super_block::Kstatfs {
            crate::fs::super_block::Kstatfs::simple(0)
        }
    }
    static NULL_FS: crate::fs::filesystems::FileSystemType =
        crate::fs::filesystems::FileSystemType {
            name: "null",
            fs_flags: 0,
            get_tree: |_, _, _| Err(Errno::ENODEV),
        };

    fn file() -> Arc<File> {
        let sb = crate::fs::super_block::SuperBlock::new_anon(
            &NULL_FS,
            Arc::new(Null),
            0,
            Arc::new(NullSuper),
        );
        let mnt = crate::fs::namespace::VfsMount::kern_mount(sb);
        File::new(mnt.root_path(), Arc::new(Null), 0)
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
