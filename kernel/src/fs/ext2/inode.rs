//! Inodes and the block map; mirrors fs/ext2/inode.c of Linux 6.1
//! (`ext2_get_inode`, `ext2_iget`, `ext2_inode_is_fast_symlink`,
//! `ext2_block_to_path`, `ext2_get_branch`, the lookup half of
//! `ext2_get_blocks`) and the symlink reading of fs/ext2/symlink.c
//! (`simple_get_link` for fast symlinks, `page_get_link` for slow ones).
//!
//! The VFS side: the inode cache ([`Ext2Fs::iget`]) and `ext2_aops`'
//! `read_folio` ([`Ext2Aops`]).
//!
//! Left out: allocation (`create`: a hole is returned as `None`),
//! truncate, `ext2_write_inode`, readahead (`ext2_readahead`) and the
//! chain re-verification against a concurrent truncate (nothing writes
//! yet).

use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::namei::Ext2VfsInode;
use super::super_::{Ext2Fs, block_buf};
use super::*;
use crate::fs::DevT;
use crate::mm::filemap::AddressSpaceOperations;
use crate::mm::mmzone::PglistData;
use crate::mm::page::{Page, PageFlags};
use crate::mm::readahead::VM_READAHEAD_PAGES;
use crate::uapi::errno::KResult;

/// A mapping found by [`Ext2SbInfo::ext2_get_blocks`]: `count` blocks
/// from physical block `first`, contiguous on disk, and whether the
/// last one ends a block of pointers (`boundary`: Linux's hint to submit
/// the bio before reading the next indirect block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ext2Map {
    pub first: u32,
    pub count: u32,
    pub boundary: bool,
}

/// `ext2_block_to_path()`'s result: the depth (1 direct, 2 IND, 3
/// DIND, 4 TIND), the pointer offsets at each level, and the pointers
/// left in the last block after this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ext2Path {
    pub depth: usize,
    pub offsets: [u32; 4],
    pub boundary: u32,
}

impl Ext2SbInfo {
    /// `EXT2_ADDR_PER_BLOCK()`: block pointers in a block (1024).
    fn addr_per_block(&self) -> u64 {
        1 << self.s_addr_per_block_bits
    }

    /// `ext2_get_inode()`: the on-disk inode `ino`. EINVAL for a number
    /// that is reserved (other than the root) or past `s_inodes_count`;
    /// EIO if its inode table block cannot be read.
    pub fn ext2_get_inode(&self, ino: u32) -> Ext2Result<Ext2Inode> {
        const F: &str = "ext2_get_inode";
        if (ino != EXT2_ROOT_INO && ino < self.s_first_ino) || ino > self.s_es.s_inodes_count {
            return Err(self.error(F, Errno::EINVAL, &format!("bad inode number: {ino}")));
        }
        // ino 0 passes the check above only if s_first_ino is 0 (a
        // corrupt superblock); Linux would then index group -1.
        let Some(index) = ino.checked_sub(1) else {
            return Err(self.error(F, Errno::EINVAL, &format!("bad inode number: {ino}")));
        };
        let block_group = index / self.s_inodes_per_group;
        let Some(gdp) = self.ext2_get_group_desc(block_group) else {
            return Err(Ext2Error::silent(Errno::EIO));
        };
        let offset = u64::from(index % self.s_inodes_per_group) * u64::from(self.s_inode_size);
        let block = u64::from(gdp.bg_inode_table) + (offset >> EXT2_BLOCK_SIZE_BITS);
        let bh = self.sb_bread(block).map_err(|_| {
            self.error(
                F,
                Errno::EIO,
                &format!("unable to read inode block - inode={ino}, block={block}"),
            )
        })?;
        let offset = (offset & (EXT2_BLOCK_SIZE as u64 - 1)) as usize;
        Ok(Ext2Inode::from_bytes(
            &bh[offset..offset + usize::from(self.s_inode_size)],
        ))
    }

    /// `ext2_iget()`: inode `ino` as the VFS sees it. ESTALE for a deleted
    /// inode, EUCLEAN (EFSCORRUPTED) for a corrupt one, and
    /// [`Self::ext2_get_inode`]'s errors.
    #[inline(never)]
    pub fn ext2_iget(&self, ino: u32) -> Ext2Result<Ext2InodeInfo> {
        const F: &str = "ext2_iget";
        let raw = self.ext2_get_inode(ino)?;
        let i_mode = raw.i_mode;
        // Linux reads the high halves unless mounted with NO_UID32 (a
        // mount option tinymm does not have).
        let i_uid = u32::from(raw.i_uid) | (u32::from(raw.i_uid_high) << 16);
        let i_gid = u32::from(raw.i_gid) | (u32::from(raw.i_gid_high) << 16);
        let i_nlink = u32::from(raw.i_links_count);
        if i_nlink == 0 {
            if i_mode == 0 || raw.i_dtime != 0 {
                return Err(Ext2Error::silent(Errno::ESTALE));
            }
            return Err(self.error(
                F,
                Errno::EUCLEAN,
                &format!(
                    "inode {ino} has zero i_nlink with mode 0{i_mode:o} and no dtime, \
                     filesystem may be corrupt"
                ),
            ));
        }
        if raw.i_file_acl != 0 && !self.ext2_data_block_valid(raw.i_file_acl.into(), 1) {
            return Err(self.error(
                F,
                Errno::EUCLEAN,
                &format!("bad extended attribute block {}", raw.i_file_acl),
            ));
        }
        let is_reg = i_mode & S_IFMT == S_IFREG;
        let (i_size, i_dir_acl) = if is_reg {
            (
                u64::from(raw.i_size) | (u64::from(raw.i_size_high) << 32),
                0,
            )
        } else {
            (u64::from(raw.i_size), raw.i_size_high)
        };
        if i_size > i64::MAX as u64 {
            return Err(Ext2Error::silent(Errno::EUCLEAN));
        }
        let i_rdev = match i_mode & S_IFMT {
            S_IFCHR | S_IFBLK => Some(if raw.i_block[0] != 0 {
                // old_decode_dev(): 8-bit major and minor.
                let d = raw.i_block[0];
                DevT::new((d >> 8) & 0xff, d & 0xff)
            } else {
                DevT::decode(raw.i_block[1].into())
            }),
            _ => None,
        };
        Ok(Ext2InodeInfo {
            i_ino: ino,
            i_mode,
            i_uid,
            i_gid,
            i_nlink,
            i_size,
            i_atime: i64::from(raw.i_atime as i32),
            i_ctime: i64::from(raw.i_ctime as i32),
            i_mtime: i64::from(raw.i_mtime as i32),
            i_blocks: u64::from(raw.i_blocks),
            i_flags: raw.i_flags,
            i_faddr: raw.i_faddr,
            i_file_acl: raw.i_file_acl,
            i_dir_acl,
            i_generation: raw.i_generation,
            i_block_group: (ino - 1) / self.s_inodes_per_group,
            i_data: raw.i_block,
            i_rdev,
            raw,
        })
    }

    /// `ext2_inode_is_fast_symlink()`: a symlink whose target sits in
    /// `i_data`, i.e. that counts no block but an xattr block.
    pub fn ext2_inode_is_fast_symlink(&self, inode: &Ext2InodeInfo) -> bool {
        let ea_blocks = if inode.i_file_acl != 0 {
            (EXT2_BLOCK_SIZE >> 9) as u64
        } else {
            0
        };
        inode.is_lnk() && inode.i_blocks.wrapping_sub(ea_blocks) == 0
    }

    /// A symlink's target: `simple_get_link()` of the bytes in `i_data`
    /// for a fast symlink, `page_get_link()` of its first block for a
    /// slow one; both cut at `i_size` as `nd_terminate_link()` does.
    pub fn ext2_get_link(&self, inode: &Ext2InodeInfo) -> Ext2Result<Vec<u8>> {
        if !inode.is_lnk() {
            return Err(Ext2Error::silent(Errno::EINVAL));
        }
        if self.ext2_inode_is_fast_symlink(inode) {
            let bytes: Vec<u8> = inode.i_data.iter().flat_map(|w| w.to_le_bytes()).collect();
            let len = (inode.i_size as usize).min(bytes.len() - 1);
            let mut link = bytes[..len].to_vec();
            if let Some(nul) = link.iter().position(|&b| b == 0) {
                link.truncate(nul);
            }
            return Ok(link);
        }
        let page = self.ext2_read_block(inode, 0)?;
        let len = (inode.i_size as usize).min(EXT2_BLOCK_SIZE - 1);
        let mut link = page[..len].to_vec();
        if let Some(nul) = link.iter().position(|&b| b == 0) {
            link.truncate(nul);
        }
        Ok(link)
    }

    /// `ext2_block_to_path()`: the path to logical block `i_block` through
    /// `i_data` and the indirect blocks. Linux warns "block < 0" or "block
    /// is too big" and returns depth 0, which its callers turn into EIO;
    /// here that is the error.
    pub fn ext2_block_to_path(&self, i_block: i64) -> Ext2Result<Ext2Path> {
        const F: &str = "ext2_block_to_path";
        let ptrs = self.addr_per_block() as i64;
        let ptrs_bits = self.s_addr_per_block_bits;
        let direct_blocks = EXT2_NDIR_BLOCKS as i64;
        let double_blocks = 1i64 << (ptrs_bits * 2);
        let mut offsets = [0u32; 4];
        let ind_start = direct_blocks;
        let dind_start = ind_start + ptrs;
        let tind_start = dind_start + double_blocks;
        // `b` is what is left of the block number below its level, as
        // Linux's `i_block -= ...` leaves it.
        let (depth, last, b) = if i_block < 0 {
            return Err(self.msg(
                log::Level::Warn,
                Errno::EIO,
                &format!("warning: {F}: block < 0"),
            ));
        } else if i_block < ind_start {
            offsets[0] = i_block as u32;
            (1, direct_blocks, i_block)
        } else if i_block < dind_start {
            let b = i_block - ind_start;
            offsets[0] = EXT2_IND_BLOCK as u32;
            offsets[1] = b as u32;
            (2, ptrs, b)
        } else if i_block < tind_start {
            let b = i_block - dind_start;
            offsets[0] = EXT2_DIND_BLOCK as u32;
            offsets[1] = (b >> ptrs_bits) as u32;
            offsets[2] = (b & (ptrs - 1)) as u32;
            (3, ptrs, b)
        } else if ((i_block - tind_start) >> (ptrs_bits * 2)) < ptrs {
            let b = i_block - tind_start;
            offsets[0] = EXT2_TIND_BLOCK as u32;
            offsets[1] = (b >> (ptrs_bits * 2)) as u32;
            offsets[2] = ((b >> ptrs_bits) & (ptrs - 1)) as u32;
            offsets[3] = (b & (ptrs - 1)) as u32;
            (4, ptrs, b)
        } else {
            return Err(self.msg(
                log::Level::Warn,
                Errno::EIO,
                &format!("warning: {F}: block is too big"),
            ));
        };
        Ok(Ext2Path {
            depth,
            offsets,
            boundary: (last - 1 - (b & (ptrs - 1))) as u32,
        })
    }

    /// `ext2_get_branch()`: follows `path` from `i_data` through the
    /// indirect blocks. Returns the pointers read at each level (the
    /// last is the data block) and, at the first zero pointer (a hole),
    /// stops early; the block holding the last level's pointers comes
    /// with them, for mapping the blocks that follow. EIO if an indirect
    /// block cannot be read, including one past the file system.
    #[allow(clippy::type_complexity)]
    fn ext2_get_branch(
        &self,
        inode: &Ext2InodeInfo,
        path: &Ext2Path,
    ) -> Ext2Result<(Vec<u32>, Option<alloc::boxed::Box<[u8; EXT2_BLOCK_SIZE]>>)> {
        let mut chain = Vec::with_capacity(path.depth);
        let mut key = inode.i_data[path.offsets[0] as usize];
        chain.push(key);
        let mut last = None;
        for &off in &path.offsets[1..path.depth] {
            if key == 0 {
                break;
            }
            let bh = self.sb_bread(key.into())?;
            let o = off as usize * 4;
            key = u32::from_le_bytes([bh[o], bh[o + 1], bh[o + 2], bh[o + 3]]);
            chain.push(key);
            last = Some(bh);
        }
        Ok((chain, last))
    }

    /// `ext2_get_blocks()` without `create`: the mapping of logical block
    /// `iblock` and of up to `maxblocks - 1` following blocks that are
    /// contiguous on disk and within the same pointer block; `None` for a
    /// hole. EIO for a path Linux cannot make, an unreadable indirect
    /// block, or a data block outside the file system's data zone (a
    /// corrupt pointer).
    #[inline(never)]
    pub fn ext2_get_blocks(
        &self,
        inode: &Ext2InodeInfo,
        iblock: u64,
        maxblocks: u32,
    ) -> Ext2Result<Option<Ext2Map>> {
        let iblock = i64::try_from(iblock).unwrap_or(-1);
        let path = self.ext2_block_to_path(iblock)?;
        let (chain, bh) = self.ext2_get_branch(inode, &path)?;
        if chain.len() < path.depth || chain[path.depth - 1] == 0 {
            return Ok(None);
        }
        let first = chain[path.depth - 1];
        let pointer = |i: u32| -> u32 {
            let off = (path.offsets[path.depth - 1] + i) as usize;
            match &bh {
                None => inode.i_data[off],
                Some(b) => {
                    u32::from_le_bytes([b[off * 4], b[off * 4 + 1], b[off * 4 + 2], b[off * 4 + 3]])
                }
            }
        };
        let mut count = 1;
        while count < maxblocks
            && count <= path.boundary
            && pointer(count) == first.wrapping_add(count)
        {
            count += 1;
        }
        if !self.ext2_data_block_valid(first.into(), count.into()) {
            return Err(self.error(
                "ext2_get_blocks",
                Errno::EIO,
                &format!(
                    "block {first} of inode {} (logical {iblock}) outside the data zone",
                    inode.i_ino
                ),
            ));
        }
        Ok(Some(Ext2Map {
            first,
            count,
            boundary: count > path.boundary,
        }))
    }

    /// `ext2_get_block()` without `create`: logical block `iblock`'s
    /// physical block, `None` for a hole.
    pub fn ext2_get_block(&self, inode: &Ext2InodeInfo, iblock: u64) -> Ext2Result<Option<u32>> {
        Ok(self.ext2_get_blocks(inode, iblock, 1)?.map(|m| m.first))
    }

    /// One block of a file's data as `ext2_read_folio()` would fill its
    /// folio: read through the block map, zeroes for a hole.
    pub fn ext2_read_block(
        &self,
        inode: &Ext2InodeInfo,
        iblock: u64,
    ) -> Ext2Result<alloc::boxed::Box<[u8; EXT2_BLOCK_SIZE]>> {
        match self.ext2_get_block(inode, iblock)? {
            Some(b) => self.sb_bread(b.into()),
            None => Ok(block_buf()),
        }
    }
}

/// `ext2_aops` of one regular file: `ext2_read_folio()` →
/// `mpage_read_folio(folio, ext2_get_block)`, one block per folio.
pub struct Ext2Aops {
    pub fs: Arc<Ext2Fs>,
    pub info: Arc<Ext2InodeInfo>,
}

impl Ext2Aops {
    /// Start the reads of a run of pages whose blocks follow each other
    /// on disk from `first`.
    fn submit_run(&self, pgdat: &PglistData, first: u64, run: &mut Vec<&'static Page>) {
        if !run.is_empty() {
            self.fs.sbi.dev.read_blocks_into_pages(first, pgdat, run);
            run.clear();
        }
    }
}

impl AddressSpaceOperations for Ext2Aops {
    fn i_size(&self) -> u64 {
        self.info.i_size
    }
    fn ra_pages(&self) -> u64 {
        VM_READAHEAD_PAGES
    }
    /// `ext2_readahead()` → `mpage_readahead()`: consecutive pages whose
    /// blocks are consecutive on disk go in one bio. A hole is zeroed
    /// at once; the file's last page, which ends past its end, is read by
    /// `read_folio`, which zeroes its tail; a page whose block cannot be
    /// found is left not up to date (the reader then tries `read_folio`
    /// and gets the error).
    fn readahead(&self, pgdat: &PglistData, batch: &[(u64, &'static Page)]) {
        let mut run: Vec<&'static Page> = Vec::with_capacity(batch.len());
        let mut first = 0u64;
        let mut prev: Option<(u64, u64)> = None;
        for &(index, page) in batch {
            let block = self.fs.sbi.ext2_get_block(&self.info, index);
            let partial = (index + 1) << EXT2_BLOCK_SIZE_BITS > self.info.i_size;
            match block {
                Ok(Some(b)) if !partial => {
                    let b = u64::from(b);
                    if prev != Some((index.wrapping_sub(1), b.wrapping_sub(1))) {
                        self.submit_run(pgdat, first, &mut run);
                        first = b;
                    }
                    run.push(page);
                    prev = Some((index, b));
                    continue;
                }
                Ok(_) => {
                    if self.read_folio(pgdat, page, index).is_ok() {
                        page.set(PageFlags::UPTODATE);
                    }
                }
                Err(_) => {}
            }
            crate::mm::filemap::folio_unlock(page);
            self.submit_run(pgdat, first, &mut run);
            prev = None;
        }
        self.submit_run(pgdat, first, &mut run);
    }
    /// A hole, or a page past the end of the file, reads as zeroes
    /// without I/O; the bytes of the last page past the end are zeroed
    /// too, so a mapping of it shows zeroes there whatever the disk holds.
    fn read_folio(&self, pgdat: &PglistData, page: &'static Page, index: u64) -> KResult<()> {
        let pfn = pgdat.page_to_pfn(page);
        let start = index << EXT2_BLOCK_SIZE_BITS;
        let block = if start < self.info.i_size {
            self.fs.sbi.ext2_get_block(&self.info, index)?
        } else {
            None
        };
        let Some(block) = block else {
            pgdat.phys.clear_page(pfn);
            return Ok(());
        };
        self.fs
            .sbi
            .dev
            .read_block_into_page(block.into(), pgdat, page)?;
        static ZEROES: [u8; EXT2_BLOCK_SIZE] = [0; EXT2_BLOCK_SIZE];
        let valid = self.info.i_size - start;
        if let Some(tail) = ZEROES.get(valid as usize..).filter(|t| !t.is_empty()) {
            pgdat.phys.copy_to_page(pfn, valid as usize, tail);
        }
        Ok(())
    }
}

impl Ext2Fs {
    /// `ext2_iget()` through the inode cache (`iget_locked`): one VFS
    /// inode, and so one page cache, per inode number while mounted.
    pub fn iget(self: &Arc<Self>, ino: u32) -> KResult<Arc<Ext2VfsInode>> {
        if let Some(inode) = self.icache.lock_irqsave().get(&ino) {
            return Ok(inode.clone());
        }
        let inode = Ext2VfsInode::new(self.clone(), self.sbi.ext2_iget(ino)?);
        // Another task may have read it meanwhile: keep the first.
        Ok(self
            .icache
            .lock_irqsave()
            .entry(ino)
            .or_insert(inode)
            .clone())
    }
}
