//! The VFS (fs/): inodes, dentries and mounts, path lookup, open files,
//! and the filesystems: the initramfs unpacked into a read-only root,
//! procfs, sysfs, cgroup2 (cgroup/kernfs.rs) and tmpfs (mm/shmem.rs).
//!
//! Directory entries live in their parent inode; dentries are made per
//! lookup (fs/dcache.rs). Each task has a root and working directory
//! (fs/fs_struct.rs); names are walked over the mount tree
//! (fs/namei.rs, fs/namespace.rs).

pub mod binfmt_elf;
pub mod binfmt_script;
pub mod char_dev;
pub mod dcache;
#[cfg(target_os = "none")]
pub mod devices;
#[cfg(target_os = "none")]
pub mod devtmpfs;
#[cfg(target_os = "none")]
pub mod exec;
pub mod ext2;
pub mod file;
pub mod filesystems;
pub mod fs_struct;
pub mod initramfs;
#[cfg(target_os = "none")]
pub mod ioctl;
pub mod namei;
pub mod namespace;
#[cfg(target_os = "none")]
pub mod open;
#[cfg(target_os = "none")]
pub mod pipe;
pub mod proc;
pub mod ramfs;
#[cfg(target_os = "none")]
pub mod read_write;
#[cfg(target_os = "none")]
pub mod readdir;
pub mod select;
pub mod stat;
#[cfg(target_os = "none")]
pub mod statfs;
pub mod super_block;
#[cfg(target_os = "none")]
pub mod sync;
#[cfg(target_os = "none")]
pub mod sysfs;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::mm::filemap::AddressSpace;
use crate::uapi::errno::{Errno, KResult};
use file::File;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Dir,
    Reg,
    /// A symbolic link.
    Lnk,
    /// A character device (the console).
    Chr,
    Blk,
    /// A pipe or FIFO.
    Fifo,
    Sock,
}

pub const S_IFMT: u32 = 0o170000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFBLK: u32 = 0o060000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
/// The mode bits that are not the type: permissions, setuid, setgid, sticky.
pub const S_IALLUGO: u32 = 0o7777;

impl FileType {
    /// The `S_IFMT` bits of `st_mode`.
    pub fn s_ifmt(self) -> u32 {
        match self {
            FileType::Dir => S_IFDIR,
            FileType::Reg => S_IFREG,
            FileType::Lnk => S_IFLNK,
            FileType::Chr => S_IFCHR,
            FileType::Blk => S_IFBLK,
            FileType::Fifo => S_IFIFO,
            FileType::Sock => S_IFSOCK,
        }
    }

    /// The type `mode`'s `S_IFMT` bits name.
    pub fn from_mode(mode: u32) -> Option<Self> {
        Some(match mode & S_IFMT {
            S_IFDIR => FileType::Dir,
            S_IFREG => FileType::Reg,
            S_IFLNK => FileType::Lnk,
            S_IFCHR => FileType::Chr,
            S_IFBLK => FileType::Blk,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Sock,
            _ => return None,
        })
    }

    /// `d_type` of `struct linux_dirent64` (`fs_umode_to_dtype`).
    pub fn dt_type(self) -> u8 {
        (self.s_ifmt() >> 12) as u8
    }
}

/// `new_encode_dev()`: a device number as `st_rdev` and `st_dev` show it.
pub const fn new_encode_dev(major: u32, minor: u32) -> u64 {
    ((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)) as u64
}

/// A kernel device number (`dev_t`: `MKDEV(major, minor)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct DevT {
    pub major: u32,
    pub minor: u32,
}

impl DevT {
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// `huge_encode_dev()`, the form stat(2) returns.
    pub fn encode(self) -> u64 {
        new_encode_dev(self.major, self.minor)
    }

    /// `new_decode_dev()`: the `dev_t` of mknod(2)'s argument.
    pub fn decode(dev: u64) -> Self {
        let dev = dev as u32;
        Self::new((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00))
    }
}

/// A time stamp (`struct timespec64`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec64 {
    pub sec: i64,
    pub nsec: u32,
}

/// `current_time()`: the wall clock, for time stamps (0 on the host).
pub fn current_time() -> Timespec64 {
    #[cfg(target_os = "none")]
    {
        let ns = crate::task::time::ktime_get_real_ns();
        Timespec64 {
            sec: (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as u32,
        }
    }
    #[cfg(not(target_os = "none"))]
    Timespec64::default()
}

/// The attributes of an inode as `vfs_getattr` reports them (`struct
/// kstat`, without the parts the mount supplies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kstat {
    pub ino: u64,
    /// Type and permission bits.
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: DevT,
    pub size: u64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    pub blksize: u32,
    pub atime: Timespec64,
    pub mtime: Timespec64,
    pub ctime: Timespec64,
}

/// `struct iattr`: what chmod, chown, truncate and utimensat change.
#[derive(Clone, Copy, Debug, Default)]
pub struct Iattr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<Timespec64>,
    pub mtime: Option<Timespec64>,
}

/// One directory entry as `iterate_shared` emits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub ino: u64,
    pub ftype: FileType,
    /// A stable position cookie (2 or more, increasing in listing
    /// order), or 0 when the filesystem keeps none (see fs/readdir.rs).
    pub off: u64,
}

impl DirEntry {
    pub fn new(name: &str, ino: u64, ftype: FileType) -> Self {
        Self {
            name: String::from(name),
            ino,
            ftype,
            off: 0,
        }
    }
}

/// `renameat2` flags.
pub const RENAME_NOREPLACE: u32 = 1;
pub const RENAME_EXCHANGE: u32 = 2;
pub const RENAME_WHITEOUT: u32 = 4;

/// Lets the VFS ask whether two inodes belong to the same filesystem
/// implementation (rename and link hand one directory another's inode).
pub trait AsAny {
    fn as_any(&self) -> &dyn core::any::Any;
}

impl<T: core::any::Any> AsAny for T {
    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

/// `struct inode` with its `inode_operations`: what a file is. The VFS
/// checks the file type, the mount's read-only flag and names before it
/// calls the directory operations; an operation a filesystem lacks fails
/// as Linux's VFS fails it when the `inode_operations` slot is NULL.
pub trait Inode: AsAny + Send + Sync {
    fn file_type(&self) -> FileType;
    fn ino(&self) -> u64;
    /// Permission bits of `st_mode` (`S_IALLUGO`).
    fn mode(&self) -> u32;
    fn size(&self) -> u64 {
        0
    }
    /// `getattr`: by default what the other methods say, one link, no
    /// times (pseudo-filesystems), blocks as the size rounds up.
    fn getattr(&self) -> Kstat {
        let size = self.size();
        Kstat {
            ino: self.ino(),
            mode: self.file_type().s_ifmt() | self.mode(),
            nlink: if self.file_type() == FileType::Dir {
                2
            } else {
                1
            },
            rdev: self.rdev(),
            size,
            blocks: size.div_ceil(512),
            blksize: 4096,
            ..Kstat::default()
        }
    }
    /// `setattr`: chmod, chown, truncate, utimes. Pseudo files take a
    /// truncation and ignore it (O_TRUNC on a cgroup or proc file), as
    /// procfs's and kernfs's `setattr` do; other changes are refused.
    fn setattr(&self, attr: &Iattr) -> KResult<()> {
        if attr.mode.is_none()
            && attr.uid.is_none()
            && attr.gid.is_none()
            && attr.atime.is_none()
            && attr.mtime.is_none()
        {
            return Ok(());
        }
        Err(Errno::EPERM)
    }
    /// The device a device node stands for.
    fn rdev(&self) -> DevT {
        DevT::default()
    }
    fn lookup(&self, _name: &str) -> KResult<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }
    /// The entries, without `.` and `..` (the VFS adds those).
    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        Err(Errno::ENOTDIR)
    }
    /// A new regular file (`create`).
    fn create(&self, _name: &str, _mode: u32) -> KResult<Arc<dyn Inode>> {
        Err(Errno::EACCES)
    }
    fn mkdir(&self, _name: &str, _mode: u32) -> KResult<()> {
        Err(Errno::EPERM)
    }
    fn rmdir(&self, _name: &str) -> KResult<()> {
        Err(Errno::EPERM)
    }
    fn unlink(&self, _name: &str) -> KResult<()> {
        Err(Errno::EPERM)
    }
    fn symlink(&self, _name: &str, _target: &str) -> KResult<()> {
        Err(Errno::EPERM)
    }
    /// A hard link to `inode` named `name` (the VFS checks it is on the
    /// same mount).
    fn link(&self, _name: &str, _inode: &Arc<dyn Inode>) -> KResult<()> {
        Err(Errno::EPERM)
    }
    /// A device node, FIFO or socket (`mode` carries the type).
    fn mknod(&self, _name: &str, _mode: u32, _rdev: DevT) -> KResult<()> {
        Err(Errno::EPERM)
    }
    /// Move `old` to `new` in `new_dir`, another directory of the same
    /// filesystem (the VFS checks the mount; RENAME_* flags as renameat2).
    fn rename(
        &self,
        _old: &str,
        _new_dir: &Arc<dyn Inode>,
        _new: &str,
        _flags: u32,
    ) -> KResult<()> {
        Err(Errno::EPERM)
    }
    /// `tmpfile`: an unnamed regular file (O_TMPFILE).
    fn tmpfile(&self, _mode: u32) -> KResult<Arc<dyn Inode>> {
        Err(Errno::EOPNOTSUPP)
    }
    /// `get_link`: a symbolic link's target.
    fn readlink(&self) -> KResult<String> {
        Err(Errno::EINVAL)
    }
    /// A procfs "magic link" (`/proc/PID/fd/N`, `exe`, `cwd`, `root`):
    /// following it goes straight to the file it stands for
    /// (`nd_jump_link`), not to the name `readlink` shows. None for
    /// ordinary links.
    fn jump_link(&self) -> Option<KResult<dcache::Path>> {
        None
    }
    /// `file_operations->open`: a per-open handle for open(2)'s `flags`.
    fn open(&self, flags: u32) -> KResult<Arc<dyn FileOps>>;
    /// `i_mapping`, for files whose data live in the page cache.
    fn mapping(&self) -> Option<&Arc<AddressSpace>> {
        None
    }
    /// The cgroup a cgroup2 directory stands for (`cgroup_get_from_file`).
    fn cgroup(&self) -> Option<Arc<crate::cgroup::Cgroup>> {
        None
    }
}

/// `FMODE_READ` and `FMODE_WRITE` of open(2)'s access mode.
pub fn access_mode(flags: u32) -> (bool, bool) {
    use crate::uapi::fcntl::{O_ACCMODE, O_RDONLY, O_WRONLY};
    let acc = flags & O_ACCMODE;
    (acc != O_WRONLY, acc != O_RDONLY)
}

/// Whether open(2)'s `flags` ask for writing (O_TRUNC implies it).
pub fn open_for_write(flags: u32) -> bool {
    use crate::uapi::fcntl::{O_ACCMODE, O_RDONLY, O_TRUNC};
    flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0
}

/// `struct file_operations` of one open file.
pub trait FileOps: Send + Sync {
    fn read(&self, _file: &File, _pos: u64, _buf: &mut [u8]) -> KResult<usize> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _file: &File, _pos: u64, _buf: &[u8]) -> KResult<usize> {
        Err(Errno::EINVAL)
    }
    /// `read_iter` on user memory, for streams that copy straight to it
    /// (pipes): read(2) of `len` bytes to `buf`, without a file position.
    /// `None`: read(2) goes through `read` and a kernel buffer.
    fn read_user(&self, _file: &File, _buf: u64, _len: u64) -> Option<KResult<usize>> {
        None
    }
    /// `write_iter` from user memory; `None` as for `read_user`.
    fn write_user(&self, _file: &File, _buf: u64, _len: u64) -> Option<KResult<usize>> {
        None
    }
    /// False for streams (the console): lseek fails with ESPIPE.
    fn seekable(&self) -> bool {
        true
    }
    /// `fsync`: files with data in memory only have nothing to write
    /// back; the others have no `fsync` (EINVAL).
    fn fsync(&self, _file: &File) -> KResult<()> {
        Err(Errno::EINVAL)
    }
    /// The size lseek's SEEK_END counts from when it is not
    /// the inode's: a block device node's is its disk's (`blkdev_llseek`).
    fn i_size(&self) -> Option<u64> {
        None
    }
    /// `file_operations->llseek` of files that seek in their own way
    /// (/dev/kmsg); `None` leaves it to `vfs_llseek`'s arithmetic.
    fn llseek(&self, _offset: i64, _whence: u32) -> Option<KResult<u64>> {
        None
    }
    /// `file_operations->open`, given the new file (its flags): what a
    /// device does at open beyond making the handle.
    fn open(&self, _file: &File) -> KResult<()> {
        Ok(())
    }
    /// `unlocked_ioctl`: commands `do_vfs_ioctl` leaves to the file.
    fn ioctl(&self, _file: &File, _cmd: u32, _arg: u64) -> KResult<u64> {
        Err(Errno::ENOTTY)
    }
    /// `file_operations->poll`: the ready events, after `poll_wait` on
    /// every queue whose wake-up may change them. Files that never block
    /// are always ready (`DEFAULT_POLLMASK`).
    fn poll(&self, _file: &File, _pt: &mut select::PollTable) -> u32 {
        select::DEFAULT_POLLMASK
    }
    /// `pipe_fcntl()`: F_SETPIPE_SZ and F_GETPIPE_SZ of a pipe or FIFO;
    /// other files have no pipe (`get_pipe_info()`: EBADF).
    fn pipe_fcntl(&self, _cmd: u32, _arg: u32) -> KResult<u64> {
        Err(Errno::EBADF)
    }
}

/// `get_next_ino()`.
pub fn get_next_ino() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Relaxed)
}

/// Handle for directories: reading one is EISDIR.
pub struct DirFile;

impl FileOps for DirFile {
    fn read(&self, _file: &File, _pos: u64, _buf: &mut [u8]) -> KResult<usize> {
        Err(Errno::EISDIR)
    }
    fn fsync(&self, _file: &File) -> KResult<()> {
        Ok(())
    }
}
