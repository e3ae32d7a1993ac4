//! The initramfs root (fs/ramfs/ and init/initramfs.c's rootfs): the
//! directories, files, symbolic links and device nodes the archive
//! unpacks to. The root superblock is read-only (the VFS answers EROFS
//! before any of these inodes is asked to change); file data stay in the
//! image and are read through the page cache.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::char_dev::init_special_open;
use super::file::File;
use super::filesystems::FileSystemType;
use super::super_block::{RAMFS_MAGIC, SB_RDONLY, SimpleSuper, SuperBlock};
use super::{DevT, DirEntry, DirFile, FileOps, FileType, Inode, Kstat, Timespec64, get_next_ino};
use crate::mm::filemap::{AddressSpace, filemap_read};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// What every ramfs inode records from its archive entry.
#[derive(Clone, Copy, Debug, Default)]
pub struct RamAttr {
    pub ino: u64,
    /// Permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
}

impl RamAttr {
    pub fn new(mode: u32, uid: u32, gid: u32, mtime: i64) -> Self {
        Self {
            ino: get_next_ino(),
            mode: mode & 0o7777,
            uid,
            gid,
            mtime,
        }
    }

    fn kstat(&self, ftype: FileType, size: u64, nlink: u32, rdev: DevT) -> Kstat {
        let t = Timespec64 {
            sec: self.mtime,
            nsec: 0,
        };
        Kstat {
            ino: self.ino,
            mode: ftype.s_ifmt() | self.mode,
            nlink,
            uid: self.uid,
            gid: self.gid,
            rdev,
            size,
            blocks: size.div_ceil(4096) * 8,
            blksize: 4096,
            atime: t,
            mtime: t,
            ctime: t,
        }
    }
}

pub struct RamDir {
    attr: RamAttr,
    children: SpinLock<BTreeMap<String, Arc<dyn Inode>>>,
}

impl RamDir {
    pub fn new(attr: RamAttr) -> Arc<Self> {
        Arc::new(Self {
            attr,
            children: SpinLock::new(BTreeMap::new()),
        })
    }

    /// Add or replace an entry (unpacking, not a syscall).
    pub fn insert(&self, name: &str, inode: Arc<dyn Inode>) {
        self.children.lock_irqsave().insert(name.to_string(), inode);
    }
}

impl Inode for RamDir {
    fn file_type(&self) -> FileType {
        FileType::Dir
    }
    fn ino(&self) -> u64 {
        self.attr.ino
    }
    fn mode(&self) -> u32 {
        self.attr.mode
    }
    fn getattr(&self) -> Kstat {
        let children = self.children.lock_irqsave();
        let subdirs = children
            .values()
            .filter(|c| c.file_type() == FileType::Dir)
            .count() as u32;
        let mut k = self
            .attr
            .kstat(FileType::Dir, 0, 2 + subdirs, DevT::default());
        k.blocks = 0;
        k
    }
    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        self.children
            .lock_irqsave()
            .get(name)
            .cloned()
            .ok_or(Errno::ENOENT)
    }
    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        Ok(self
            .children
            .lock_irqsave()
            .iter()
            .map(|(n, i)| DirEntry::new(n, i.ino(), i.file_type()))
            .collect())
    }
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Ok(Arc::new(DirFile))
    }
}

/// A regular file whose data are in the page cache, backed by the
/// initramfs image.
pub struct RamFile {
    attr: RamAttr,
    mapping: Arc<AddressSpace>,
}

impl RamFile {
    pub fn new(attr: RamAttr, mapping: Arc<AddressSpace>) -> Arc<Self> {
        Arc::new(Self { attr, mapping })
    }
}

struct RamFileHandle(Arc<AddressSpace>);

impl FileOps for RamFileHandle {
    fn read(&self, _file: &File, pos: u64, buf: &mut [u8]) -> KResult<usize> {
        filemap_read(&self.0, None, pos, buf)
    }
    fn fsync(&self, _file: &File) -> KResult<()> {
        Ok(())
    }
}

impl Inode for RamFile {
    fn file_type(&self) -> FileType {
        FileType::Reg
    }
    fn ino(&self) -> u64 {
        self.attr.ino
    }
    fn mode(&self) -> u32 {
        self.attr.mode
    }
    fn size(&self) -> u64 {
        self.mapping.size()
    }
    fn getattr(&self) -> Kstat {
        self.attr
            .kstat(FileType::Reg, self.size(), 1, DevT::default())
    }
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Ok(Arc::new(RamFileHandle(self.mapping.clone())))
    }
    fn mapping(&self) -> Option<&Arc<AddressSpace>> {
        Some(&self.mapping)
    }
}

/// A symbolic link.
pub struct RamSymlink {
    attr: RamAttr,
    target: String,
}

impl RamSymlink {
    pub fn new(attr: RamAttr, target: &str) -> Arc<Self> {
        Arc::new(Self {
            attr: RamAttr {
                mode: 0o777,
                ..attr
            },
            target: String::from(target),
        })
    }
}

impl Inode for RamSymlink {
    fn file_type(&self) -> FileType {
        FileType::Lnk
    }
    fn ino(&self) -> u64 {
        self.attr.ino
    }
    fn mode(&self) -> u32 {
        self.attr.mode
    }
    fn size(&self) -> u64 {
        self.target.len() as u64
    }
    fn getattr(&self) -> Kstat {
        let mut k = self
            .attr
            .kstat(FileType::Lnk, self.size(), 1, DevT::default());
        k.blocks = 0;
        k
    }
    fn readlink(&self) -> KResult<String> {
        Ok(self.target.clone())
    }
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Err(Errno::ELOOP)
    }
}

/// A device node, FIFO or socket (`init_special_inode`).
pub struct RamSpecial {
    attr: RamAttr,
    ftype: FileType,
    rdev: DevT,
}

impl RamSpecial {
    pub fn new(attr: RamAttr, ftype: FileType, rdev: DevT) -> Arc<Self> {
        Arc::new(Self { attr, ftype, rdev })
    }
}

impl Inode for RamSpecial {
    fn file_type(&self) -> FileType {
        self.ftype
    }
    fn ino(&self) -> u64 {
        self.attr.ino
    }
    fn mode(&self) -> u32 {
        self.attr.mode
    }
    fn rdev(&self) -> DevT {
        self.rdev
    }
    fn getattr(&self) -> Kstat {
        let mut k = self.attr.kstat(self.ftype, 0, 1, self.rdev);
        k.blocks = 0;
        k
    }
    fn open(&self, flags: u32) -> KResult<Arc<dyn FileOps>> {
        init_special_open(self.ftype, self.rdev, flags)
    }
}

/// `rootfs_fs_type`: not mountable again (it is not registered).
static ROOTFS_FS_TYPE: FileSystemType = FileSystemType {
    name: "rootfs",
    fs_flags: 0,
    get_tree: |_, _, _| Err(Errno::ENODEV),
};

/// `init_rootfs()`: the read-only superblock of the unpacked initramfs.
pub fn rootfs_sb(root: Arc<RamDir>) -> Arc<SuperBlock> {
    SuperBlock::new_anon(
        &ROOTFS_FS_TYPE,
        root,
        SB_RDONLY,
        Arc::new(SimpleSuper(RAMFS_MAGIC)),
    )
}
