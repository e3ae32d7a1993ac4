//! The VFS (fs/): inodes, path lookup, open files, and the filesystems
//! tinymm has: the initramfs unpacked into a read-only ramfs root, procfs.
//!
//! Directory entries live in their parent inode; there is no dentry cache.
//! Paths are resolved from `/` (tasks have no other working directory;
//! the shell resolves relative paths itself).

pub mod binfmt_elf;
pub mod binfmt_script;
#[cfg(target_os = "none")]
pub mod devices;
#[cfg(target_os = "none")]
pub mod exec;
pub mod file;
pub mod initramfs;
#[cfg(target_os = "none")]
pub mod ioctl;
pub mod namei;
#[cfg(target_os = "none")]
pub mod pipe;
pub mod proc;
pub mod ramfs;
#[cfg(target_os = "none")]
pub mod read_write;
pub mod select;
pub mod stat;

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
    /// A character device (the console).
    Chr,
    /// A pipe.
    Fifo,
}

impl FileType {
    /// The `S_IFMT` bits of `st_mode`.
    pub fn s_ifmt(self) -> u32 {
        match self {
            FileType::Dir => 0o040000,
            FileType::Reg => 0o100000,
            FileType::Chr => 0o020000,
            FileType::Fifo => 0o010000,
        }
    }
}

/// `struct inode` with its `inode_operations`: what a file is.
pub trait Inode: Send + Sync {
    fn file_type(&self) -> FileType;
    fn ino(&self) -> u64;
    /// Permission bits of `st_mode`.
    fn mode(&self) -> u32;
    fn size(&self) -> u64 {
        0
    }
    fn lookup(&self, _name: &str) -> KResult<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }
    fn readdir(&self) -> KResult<Vec<String>> {
        Err(Errno::ENOTDIR)
    }
    fn mkdir(&self, _name: &str) -> KResult<()> {
        Err(Errno::ENOTDIR)
    }
    fn rmdir(&self, _name: &str) -> KResult<()> {
        Err(Errno::ENOTDIR)
    }
    /// `file_operations->open`: a per-open handle. `write` says whether the
    /// file is opened for writing.
    fn open(&self, write: bool) -> KResult<Arc<dyn FileOps>>;
    /// `i_mapping`, for files whose data live in the page cache.
    fn mapping(&self) -> Option<&Arc<AddressSpace>> {
        None
    }
    /// The cgroup a cgroup2 directory stands for (`cgroup_get_from_file`).
    fn cgroup(&self) -> Option<Arc<crate::cgroup::Cgroup>> {
        None
    }
    /// `i_rdev` of a device node, encoded as `st_rdev` (`new_encode_dev`).
    fn rdev(&self) -> u32 {
        0
    }
}

/// `struct file_operations` of one open file.
pub trait FileOps: Send + Sync {
    fn read(&self, _file: &File, _pos: u64, _buf: &mut [u8]) -> KResult<usize> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _file: &File, _pos: u64, _buf: &[u8]) -> KResult<usize> {
        Err(Errno::EINVAL)
    }
    /// False for streams (the console): lseek fails with ESPIPE.
    fn seekable(&self) -> bool {
        true
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
}

static ROOT: spin::Once<Arc<dyn Inode>> = spin::Once::new();

/// Set the root directory once at boot (`init_rootfs` + unpacking).
pub fn set_root(root: Arc<dyn Inode>) {
    ROOT.call_once(|| root);
}

pub fn root() -> &'static Arc<dyn Inode> {
    ROOT.get().expect("VFS used before the root was set")
}
