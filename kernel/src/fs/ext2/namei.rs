//! The VFS inodes of a mounted ext2: `ext2_lookup` of fs/ext2/namei.c
//! with the inode, directory and symlink operations Linux 6.1 installs in
//! `ext2_set_file_ops` (inode.c): `getattr`, `iterate_shared`
//! (`ext2_readdir`), `get_link`, and `open` with `ext2_file_operations`
//! (fs/ext2/file.c: reads through the page cache).
//!
//! The file system is mounted read-only for now: the VFS answers EROFS
//! before any operation that changes it reaches these inodes.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::inode::Ext2Aops;
use super::super_::Ext2Fs;
use super::{EXT2_NAME_LEN, Ext2InodeInfo};
use crate::fs::file::File;
use crate::fs::{DevT, DirEntry, DirFile, FileOps, FileType, Inode, Kstat, Timespec64};
use crate::mm::filemap::{AddressSpace, filemap_read};
use crate::uapi::errno::{Errno, KResult};

/// `struct inode` with its `ext2_inode_info`.
pub struct Ext2VfsInode {
    fs: Arc<Ext2Fs>,
    info: Arc<Ext2InodeInfo>,
    /// `i_data` of a regular file: its pages, read by `ext2_read_folio`.
    mapping: Option<Arc<AddressSpace>>,
}

impl Ext2VfsInode {
    pub fn new(fs: Arc<Ext2Fs>, info: Ext2InodeInfo) -> Arc<Self> {
        let info = Arc::new(info);
        let mapping = info.is_reg().then(|| {
            AddressSpace::new_aops(
                fs.node,
                Arc::new(Ext2Aops {
                    fs: fs.clone(),
                    info: info.clone(),
                }),
            )
        });
        Arc::new(Self { fs, info, mapping })
    }

    /// The VFS type of a directory entry's d_type, reading the inode
    /// when the file system records none (no `filetype` feature).
    fn entry_type(&self, ino: u32, d_type: u8) -> KResult<FileType> {
        match FileType::from_mode(u32::from(d_type) << 12) {
            Some(t) => Ok(t),
            None => Ok(self.fs.iget(ino)?.file_type()),
        }
    }
}

/// `ext2_file_operations`: reads through the page cache.
struct Ext2File(Arc<AddressSpace>);

impl FileOps for Ext2File {
    fn read(&self, file: &File, pos: u64, buf: &mut [u8]) -> KResult<usize> {
        let mut ra = *file.f_ra.lock_irqsave();
        let ret = filemap_read(&self.0, Some(&mut ra), pos, buf);
        *file.f_ra.lock_irqsave() = ra;
        ret
    }
    /// Nothing is dirty on a read-only mount.
    fn fsync(&self, _file: &File) -> KResult<()> {
        Ok(())
    }
}

fn timespec(sec: i64) -> Timespec64 {
    Timespec64 { sec, nsec: 0 }
}

impl Inode for Ext2VfsInode {
    fn file_type(&self) -> FileType {
        FileType::from_mode(u32::from(self.info.i_mode)).unwrap_or(FileType::Reg)
    }
    fn ino(&self) -> u64 {
        u64::from(self.info.i_ino)
    }
    fn mode(&self) -> u32 {
        u32::from(self.info.i_mode) & crate::fs::S_IALLUGO
    }
    fn size(&self) -> u64 {
        self.info.i_size
    }
    /// `ext2_getattr()` → `generic_fillattr()`.
    fn getattr(&self) -> Kstat {
        let i = &self.info;
        Kstat {
            ino: self.ino(),
            mode: u32::from(i.i_mode),
            nlink: i.i_nlink,
            uid: i.i_uid,
            gid: i.i_gid,
            rdev: self.rdev(),
            size: i.i_size,
            blocks: i.i_blocks,
            blksize: super::EXT2_BLOCK_SIZE as u32,
            atime: timespec(i.i_atime),
            mtime: timespec(i.i_mtime),
            ctime: timespec(i.i_ctime),
        }
    }
    fn rdev(&self) -> DevT {
        self.info.i_rdev.unwrap_or_default()
    }
    /// `ext2_lookup()`: an entry naming an inode that is gone is the
    /// file system's error (EIO), not a missing name.
    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        if !self.info.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if name.len() > EXT2_NAME_LEN {
            return Err(Errno::ENAMETOOLONG);
        }
        let ino = self
            .fs
            .sbi
            .ext2_inode_by_name(&self.info, name.as_bytes())?;
        match self.fs.iget(ino) {
            Ok(inode) => Ok(inode),
            Err(Errno::ESTALE) => {
                self.fs.sbi.error(
                    "ext2_lookup",
                    Errno::EIO,
                    &alloc::format!("deleted inode referenced: {ino}"),
                );
                Err(Errno::EIO)
            }
            Err(e) => Err(e),
        }
    }
    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        if !self.info.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let mut found: Vec<(String, u32, u8)> = Vec::new();
        let mut pos = 0;
        self.fs
            .sbi
            .ext2_readdir(&self.info, &mut pos, &mut |name, ino, d_type| {
                if name != b"." && name != b".." {
                    found.push((String::from_utf8_lossy(name).into_owned(), ino, d_type));
                }
                true
            })?;
        found
            .into_iter()
            .map(|(name, ino, d_type)| {
                let ftype = self.entry_type(ino, d_type)?;
                Ok(DirEntry::new(&name, u64::from(ino), ftype))
            })
            .collect()
    }
    fn readlink(&self) -> KResult<String> {
        if !self.info.is_lnk() {
            return Err(Errno::EINVAL);
        }
        let target = self.fs.sbi.ext2_get_link(&self.info)?;
        Ok(String::from_utf8_lossy(&target).into_owned())
    }
    fn open(&self, flags: u32) -> KResult<Arc<dyn FileOps>> {
        match self.file_type() {
            FileType::Reg => Ok(Arc::new(Ext2File(self.mapping.clone().ok_or(Errno::EIO)?))),
            FileType::Dir => Ok(Arc::new(DirFile)),
            FileType::Lnk => Err(Errno::ELOOP),
            ftype => crate::fs::char_dev::init_special_open(ftype, self.rdev(), flags),
        }
    }
    fn mapping(&self) -> Option<&Arc<AddressSpace>> {
        self.mapping.as_ref()
    }
}
