//! ramfs (fs/ramfs/): the directories and files the initramfs unpacks to.
//! The root is read-only after unpacking, as the root is; mount
//! points (/proc, later /sys/fs/cgroup) are directory entries replaced by
//! another filesystem's root.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::file::File;
use super::{DirFile, FileOps, FileType, Inode, get_next_ino};
use crate::mm::filemap::{AddressSpace, filemap_read};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

pub struct RamDir {
    ino: u64,
    mode: u32,
    children: SpinLock<BTreeMap<String, Arc<dyn Inode>>>,
}

impl RamDir {
    pub fn new(mode: u32) -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
            mode,
            children: SpinLock::new(BTreeMap::new()),
        })
    }

    /// Add or replace an entry (unpacking and mounting, not a syscall).
    pub fn insert(&self, name: &str, inode: Arc<dyn Inode>) {
        self.children.lock_irqsave().insert(name.to_string(), inode);
    }
}

impl Inode for RamDir {
    fn file_type(&self) -> FileType {
        FileType::Dir
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        self.mode
    }
    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        self.children
            .lock_irqsave()
            .get(name)
            .cloned()
            .ok_or(Errno::ENOENT)
    }
    fn readdir(&self) -> KResult<Vec<String>> {
        Ok(self.children.lock_irqsave().keys().cloned().collect())
    }
    fn mkdir(&self, name: &str) -> KResult<()> {
        if self.children.lock_irqsave().contains_key(name) {
            return Err(Errno::EEXIST);
        }
        Err(Errno::EROFS)
    }
    fn rmdir(&self, name: &str) -> KResult<()> {
        self.lookup(name)?;
        Err(Errno::EROFS)
    }
    fn open(&self, write: bool) -> KResult<Arc<dyn FileOps>> {
        if write {
            return Err(Errno::EISDIR);
        }
        Ok(Arc::new(DirFile))
    }
}

/// A regular file whose data are in the page cache, backed by the
/// initramfs image.
pub struct RamFile {
    ino: u64,
    mode: u32,
    mapping: Arc<AddressSpace>,
}

impl RamFile {
    pub fn new(mode: u32, mapping: Arc<AddressSpace>) -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
            mode,
            mapping,
        })
    }
}

struct RamFileHandle(Arc<AddressSpace>);

impl FileOps for RamFileHandle {
    fn read(&self, _file: &File, pos: u64, buf: &mut [u8]) -> KResult<usize> {
        filemap_read(&self.0, pos, buf)
    }
}

impl Inode for RamFile {
    fn file_type(&self) -> FileType {
        FileType::Reg
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        self.mode
    }
    fn size(&self) -> u64 {
        self.mapping.size()
    }
    fn open(&self, write: bool) -> KResult<Arc<dyn FileOps>> {
        if write {
            return Err(Errno::EROFS);
        }
        Ok(Arc::new(RamFileHandle(self.mapping.clone())))
    }
    fn mapping(&self) -> Option<&Arc<AddressSpace>> {
        Some(&self.mapping)
    }
}
