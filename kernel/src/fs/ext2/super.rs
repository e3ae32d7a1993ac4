//! Mounting ext2: the superblock's checks, the group descriptors and
//! statfs; mirrors fs/ext2/super.c of Linux 6.1 (`ext2_fill_super`,
//! `ext2_check_descriptors`, `ext2_setup_super`, `ext2_statfs`,
//! `ext2_max_size`, `descriptor_loc`, `ext2_msg`, `ext2_error`) with the
//! group helpers of fs/ext2/balloc.c and ialloc.c (`ext2_get_group_desc`,
//! `ext2_bg_has_super`, `ext2_bg_num_gdb`, `ext2_count_free_blocks`,
//! `ext2_count_free_inodes`, `ext2_count_dirs`, `ext2_data_block_valid`).
//!
//! The checks run in Linux's order with Linux's messages and errnos,
//! with one difference: tinymm reads the device in 4096-byte blocks (its
//! page size), so a file system with another block size is refused with
//! the message Linux gives when the device cannot take the block size
//! ("error: bad blocksize %d", EINVAL). Left out: mount options (the
//! defaults Linux takes from `s_default_mount_opts` and `s_errors` are
//! not interpreted), writing the superblock back (`ext2_setup_super`
//! updates the counts in [`Ext2SbInfo::s_es`] only), and `ext2_error`'s
//! marking of the file system with EXT2_ERROR_FS.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use alloc::collections::BTreeMap;

use super::namei::Ext2VfsInode;
use super::*;
use crate::fs::super_block::{Kstatfs, SuperOperations};
use crate::mm::mmzone::PglistData;
use crate::sync::SpinLock;

/// `MAX_LFS_FILESIZE` on 64-bit.
const MAX_LFS_FILESIZE: u64 = i64::MAX as u64;

/// A block-sized buffer on the heap (kernel stacks are small).
pub(crate) fn block_buf() -> alloc::boxed::Box<[u8; EXT2_BLOCK_SIZE]> {
    vec![0u8; EXT2_BLOCK_SIZE]
        .into_boxed_slice()
        .try_into()
        .expect("a vector of EXT2_BLOCK_SIZE bytes")
}

/// `ext2_msg()`: "EXT2-fs (dev): ..." at `level`, returned as the error.
fn ext2_msg(s_id: &str, level: log::Level, errno: Errno, text: &str) -> Ext2Error {
    let msg = format!("EXT2-fs ({s_id}): {text}");
    log::log!(level, "{msg}");
    Ext2Error { errno, msg }
}

/// `ext2_error()`: "EXT2-fs (dev): error: function: ..." (KERN_CRIT).
pub(crate) fn ext2_error(s_id: &str, function: &str, errno: Errno, text: &str) -> Ext2Error {
    let msg = format!("EXT2-fs ({s_id}): error: {function}: {text}");
    log::error!("{msg}");
    Ext2Error { errno, msg }
}

/// `test_root()` of `ext2_group_sparse()`: is `a` a power of `b`?
fn test_root(a: u32, b: u32) -> bool {
    let mut num = b;
    while a > num {
        match num.checked_mul(b) {
            Some(n) => num = n,
            None => return false,
        }
    }
    num == a
}

/// `ext2_group_sparse()`: groups 0, 1 and powers of 3, 5 and 7 keep a
/// superblock backup under sparse_super.
fn ext2_group_sparse(group: u32) -> bool {
    group <= 1 || test_root(group, 3) || test_root(group, 5) || test_root(group, 7)
}

/// `ext2_max_size()`: the largest file the block tree and a 32-bit
/// `i_blocks` can describe.
pub fn ext2_max_size(bits: u32) -> u64 {
    let ppb: u64 = 1 << (bits - 2);
    let mut res: u64 = EXT2_NDIR_BLOCKS as u64;
    let mut upper_limit: u64 = (1u64 << 32) - 1;
    upper_limit >>= bits - 9;
    res += 1 << (bits - 2);
    res += 1 << (2 * (bits - 2));
    res += 1 << (3 * (bits - 2));
    let mut meta_blocks: u64 = 1 + (1 + ppb) + (1 + ppb + ppb * ppb);
    if res + meta_blocks > upper_limit {
        res = upper_limit;
        upper_limit -= EXT2_NDIR_BLOCKS as u64;
        meta_blocks = 1;
        upper_limit -= ppb;
        if upper_limit < ppb * ppb {
            meta_blocks += 1 + upper_limit.div_ceil(ppb);
        } else {
            meta_blocks += 1 + ppb;
            upper_limit -= ppb * ppb;
            meta_blocks += 1 + upper_limit.div_ceil(ppb) + upper_limit.div_ceil(ppb * ppb);
        }
        res -= meta_blocks;
    }
    (res << bits).min(MAX_LFS_FILESIZE)
}

impl Ext2SbInfo {
    /// `ext2_msg()` for this file system.
    pub fn msg(&self, level: log::Level, errno: Errno, text: &str) -> Ext2Error {
        ext2_msg(&self.s_id, level, errno, text)
    }

    /// `ext2_error()` for this file system.
    pub fn error(&self, function: &str, errno: Errno, text: &str) -> Ext2Error {
        ext2_error(&self.s_id, function, errno, text)
    }

    /// `sb_bread()`: a block of the file system. A block past
    /// `s_blocks_count` is EIO, as on a device that ends with the file
    /// system: a corrupt pointer never reads outside it.
    pub fn sb_bread(&self, nr: u64) -> Ext2Result<alloc::boxed::Box<[u8; EXT2_BLOCK_SIZE]>> {
        if nr >= u64::from(self.s_es.s_blocks_count) {
            return Err(Ext2Error::silent(Errno::EIO));
        }
        let mut buf = block_buf();
        self.dev.sb_bread(nr, &mut buf)?;
        Ok(buf)
    }

    /// `ext2_group_first_block_no()`.
    pub fn ext2_group_first_block_no(&self, group: u32) -> u64 {
        u64::from(group) * u64::from(self.s_blocks_per_group)
            + u64::from(self.s_es.s_first_data_block)
    }

    /// `ext2_group_last_block_no()`.
    pub fn ext2_group_last_block_no(&self, group: u32) -> u64 {
        if group == self.s_groups_count - 1 {
            u64::from(self.s_es.s_blocks_count) - 1
        } else {
            self.ext2_group_first_block_no(group) + u64::from(self.s_blocks_per_group) - 1
        }
    }

    /// `ext2_get_group_desc()`: None for a group past the last (Linux
    /// warns).
    pub fn ext2_get_group_desc(&self, group: u32) -> Option<&Ext2GroupDesc> {
        let d = self.s_group_desc.get(group as usize);
        if d.is_none() {
            log::warn!(
                "block_group >= groups_count - block_group = {group}, groups_count = {}",
                self.s_groups_count
            );
        }
        d
    }

    pub fn has_compat_feature(&self, mask: u32) -> bool {
        self.s_es.s_feature_compat & mask != 0
    }

    pub fn has_incompat_feature(&self, mask: u32) -> bool {
        self.s_es.s_feature_incompat & mask != 0
    }

    pub fn has_ro_compat_feature(&self, mask: u32) -> bool {
        self.s_es.s_feature_ro_compat & mask != 0
    }

    /// `ext2_bg_has_super()`: blocks the superblock (or its backup)
    /// takes in `group`, 0 or 1.
    pub fn ext2_bg_has_super(&self, group: u32) -> u32 {
        if self.has_ro_compat_feature(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER)
            && !ext2_group_sparse(group)
        {
            0
        } else {
            1
        }
    }

    /// `ext2_bg_num_gdb()`: blocks the descriptor table (or its backup)
    /// takes in `group`.
    pub fn ext2_bg_num_gdb(&self, group: u32) -> u32 {
        if self.ext2_bg_has_super(group) != 0 {
            self.s_gdb_count
        } else {
            0
        }
    }

    /// `descriptor_loc()`: where descriptor block `nr` lives (after the
    /// superblock, or at the start of its meta group under META_BG).
    pub fn descriptor_loc(&self, logic_sb_block: u64, nr: u32) -> u64 {
        if !self.has_incompat_feature(EXT2_FEATURE_INCOMPAT_META_BG)
            || nr < self.s_es.s_first_meta_bg
        {
            return logic_sb_block + u64::from(nr) + 1;
        }
        let bg = self.s_desc_per_block.wrapping_mul(nr);
        self.ext2_group_first_block_no(bg) + u64::from(self.ext2_bg_has_super(bg))
    }

    /// `ext2_data_block_valid()`: `count` blocks from `start_blk` lie in
    /// the data zone and miss the superblock.
    pub fn ext2_data_block_valid(&self, start_blk: u64, count: u64) -> bool {
        let es = &self.s_es;
        let Some(last) = (start_blk + count).checked_sub(1) else {
            return false;
        };
        if start_blk <= u64::from(es.s_first_data_block)
            || last < start_blk
            || last >= u64::from(es.s_blocks_count)
        {
            return false;
        }
        let sb_block = u64::from(self.s_sb_block);
        !(start_blk <= sb_block && last >= sb_block)
    }

    /// `ext2_count_free_blocks()`: the descriptors' free block counts.
    pub fn ext2_count_free_blocks(&self) -> u64 {
        self.s_group_desc
            .iter()
            .map(|d| u64::from(d.bg_free_blocks_count))
            .sum()
    }

    /// `ext2_count_free_inodes()`.
    pub fn ext2_count_free_inodes(&self) -> u64 {
        self.s_group_desc
            .iter()
            .map(|d| u64::from(d.bg_free_inodes_count))
            .sum()
    }

    /// `ext2_count_dirs()`.
    pub fn ext2_count_dirs(&self) -> u64 {
        self.s_group_desc
            .iter()
            .map(|d| u64::from(d.bg_used_dirs_count))
            .sum()
    }

    /// `ext2_check_descriptors()`: every group's bitmaps and inode table
    /// lie inside the group.
    fn ext2_check_descriptors(&self) -> Ext2Result<()> {
        const F: &str = "ext2_check_descriptors";
        for (i, gdp) in self.s_group_desc.iter().enumerate() {
            let i = i as u32;
            let first_block = self.ext2_group_first_block_no(i);
            let last_block = self.ext2_group_last_block_no(i);
            let inside = |b: u64| b >= first_block && b <= last_block;
            if !inside(gdp.bg_block_bitmap.into()) {
                return Err(self.error(
                    F,
                    Errno::EINVAL,
                    &format!(
                        "Block bitmap for group {i} not in group (block {})!",
                        gdp.bg_block_bitmap
                    ),
                ));
            }
            if !inside(gdp.bg_inode_bitmap.into()) {
                return Err(self.error(
                    F,
                    Errno::EINVAL,
                    &format!(
                        "Inode bitmap for group {i} not in group (block {})!",
                        gdp.bg_inode_bitmap
                    ),
                ));
            }
            let table = u64::from(gdp.bg_inode_table);
            if table < first_block || table + u64::from(self.s_itb_per_group) - 1 > last_block {
                return Err(self.error(
                    F,
                    Errno::EINVAL,
                    &format!(
                        "Inode table for group {i} not in group (block {})!",
                        gdp.bg_inode_table
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `ext2_setup_super()`: a revision past EXT2_DYNAMIC_REV forces
    /// read-only; a read-write mount warns about an unchecked file system
    /// and counts the mount (in `s_es`; writing it back is the caller's).
    fn ext2_setup_super(&mut self, now: u64) {
        let es = &self.s_es;
        if es.s_rev_level > EXT2_MAX_SUPP_REV {
            ext2_msg(
                &self.s_id,
                log::Level::Error,
                Errno::EROFS,
                "error: revision level too high, forcing read-only mode",
            );
            self.s_rdonly = true;
        }
        if self.s_rdonly {
            return;
        }
        let warning = if self.s_mount_state & EXT2_VALID_FS == 0 {
            Some("warning: mounting unchecked fs, running e2fsck is recommended")
        } else if self.s_mount_state & EXT2_ERROR_FS != 0 {
            Some("warning: mounting fs with errors, running e2fsck is recommended")
        } else if (es.s_max_mnt_count as i16) >= 0 && es.s_mnt_count >= es.s_max_mnt_count {
            Some("warning: maximal mount count reached, running e2fsck is recommended")
        } else if es.s_checkinterval != 0
            && u64::from(es.s_lastcheck) + u64::from(es.s_checkinterval) <= now
        {
            Some("warning: checktime reached, running e2fsck is recommended")
        } else {
            None
        };
        if let Some(w) = warning {
            ext2_msg(&self.s_id, log::Level::Warn, Errno::EINVAL, w);
        }
        if self.s_es.s_max_mnt_count == 0 {
            self.s_es.s_max_mnt_count = 20; // EXT2_DFL_MAX_MNT_COUNT
        }
        self.s_es.s_mnt_count = self.s_es.s_mnt_count.wrapping_add(1);
    }

    /// `ext2_statfs()`: f_blocks without the overhead of the superblocks,
    /// descriptor tables, bitmaps and inode tables.
    pub fn ext2_statfs(&self) -> Kstatfs {
        let es = &self.s_es;
        let mut overhead = u64::from(es.s_first_data_block);
        for i in 0..self.s_groups_count {
            overhead += u64::from(self.ext2_bg_has_super(i) + self.ext2_bg_num_gdb(i));
        }
        overhead += u64::from(self.s_groups_count) * (2 + u64::from(self.s_itb_per_group));
        let f_bfree = self.ext2_count_free_blocks();
        Kstatfs {
            f_type: u64::from(EXT2_SUPER_MAGIC),
            f_bsize: EXT2_BLOCK_SIZE as u64,
            f_blocks: u64::from(es.s_blocks_count).wrapping_sub(overhead),
            f_bfree,
            f_bavail: f_bfree.saturating_sub(u64::from(es.s_r_blocks_count)),
            f_files: u64::from(es.s_inodes_count),
            f_ffree: self.ext2_count_free_inodes(),
            f_namelen: EXT2_NAME_LEN as u64,
            ..Kstatfs::default()
        }
    }
}

/// `ext2_fill_super()`: reads and checks the superblock and the group
/// descriptors of the file system on `dev` (called `s_id` in messages)
/// and its root inode. `rdonly` is the mount's SB_RDONLY (a read-only
/// mount tolerates unknown ro-compat features); `now` is the wall clock
/// in seconds, for the check-interval warning. Errors carry Linux's
/// message and errno (EINVAL for a bad superblock, the root inode's own
/// errno, or EIO from the device).
#[inline(never)]
pub fn ext2_fill_super(
    dev: Arc<dyn Ext2Bdev>,
    s_id: &str,
    rdonly: bool,
    now: u64,
) -> Ext2Result<Ext2SbInfo> {
    let cantfind = || {
        ext2_msg(
            s_id,
            log::Level::Error,
            Errno::EINVAL,
            &format!("error: can't find an ext2 filesystem on dev {s_id}."),
        )
    };
    let fail = |text: String| ext2_msg(s_id, log::Level::Error, Errno::EINVAL, &text);

    // The superblock is 1 KiB into the device: block 0 of 4096 bytes.
    let sb_block: u32 = 1;
    let logic_sb_block = u64::from(sb_block) * u64::from(BLOCK_SIZE) / EXT2_BLOCK_SIZE as u64;
    let offset = (sb_block * BLOCK_SIZE) as usize % EXT2_BLOCK_SIZE;
    let mut bh = block_buf();
    if dev.sb_bread(logic_sb_block, &mut bh).is_err() {
        return Err(fail("error: unable to read superblock".into()));
    }
    let raw: &[u8; Ext2SuperBlock::SIZE] = bh[offset..offset + Ext2SuperBlock::SIZE]
        .try_into()
        .expect("the superblock lies inside block 0");
    let es = Ext2SuperBlock::from_bytes(raw);
    if es.s_magic != EXT2_SUPER_MAGIC {
        return Err(cantfind());
    }
    if es.s_rev_level == EXT2_GOOD_OLD_REV
        && (es.s_feature_compat | es.s_feature_ro_compat | es.s_feature_incompat) != 0
    {
        ext2_msg(
            s_id,
            log::Level::Warn,
            Errno::EINVAL,
            "warning: feature flags set on rev 0 fs, running e2fsck is recommended",
        );
    }
    let features = es.s_feature_incompat & !EXT2_FEATURE_INCOMPAT_SUPP;
    if features != 0 {
        return Err(fail(format!(
            "error: couldn't mount because of unsupported optional features ({features:x})"
        )));
    }
    let features = es.s_feature_ro_compat & !EXT2_FEATURE_RO_COMPAT_SUPP;
    if !rdonly && features != 0 {
        return Err(fail(format!(
            "error: couldn't mount RDWR because of unsupported optional features ({features:x})"
        )));
    }
    if es.s_log_block_size > EXT2_MAX_BLOCK_LOG_SIZE - BLOCK_SIZE_BITS {
        return Err(fail(format!(
            "Invalid log block size: {}",
            es.s_log_block_size
        )));
    }
    let blocksize = BLOCK_SIZE << es.s_log_block_size;
    if blocksize as usize != EXT2_BLOCK_SIZE {
        return Err(fail(format!("error: bad blocksize {blocksize}")));
    }
    let (s_inode_size, s_first_ino) = if es.s_rev_level == EXT2_GOOD_OLD_REV {
        (EXT2_GOOD_OLD_INODE_SIZE, EXT2_GOOD_OLD_FIRST_INO)
    } else {
        let size = es.s_inode_size;
        if size < EXT2_GOOD_OLD_INODE_SIZE || !size.is_power_of_two() || u32::from(size) > blocksize
        {
            return Err(fail(format!("error: unsupported inode size: {size}")));
        }
        (size, es.s_first_ino)
    };
    let s_blocks_per_group = es.s_blocks_per_group;
    let s_inodes_per_group = es.s_inodes_per_group;
    let s_inodes_per_block = blocksize / u32::from(s_inode_size);
    if s_inodes_per_block == 0 || s_inodes_per_group == 0 {
        return Err(cantfind());
    }
    let s_itb_per_group = s_inodes_per_group / s_inodes_per_block;
    let s_desc_per_block = blocksize / Ext2GroupDesc::SIZE as u32;
    if es.s_log_frag_size != es.s_log_block_size {
        return Err(fail(format!(
            "error: fragsize log {} != blocksize log {}",
            es.s_log_frag_size, EXT2_BLOCK_SIZE_BITS
        )));
    }
    if s_blocks_per_group > blocksize * 8 {
        return Err(fail(format!(
            "error: #blocks per group too big: {s_blocks_per_group}"
        )));
    }
    // Linux prints s_inodes_per_group + 3 on the right, not what it
    // compared with; so does tinymm.
    if u64::from(s_blocks_per_group) <= u64::from(s_itb_per_group) + 3 {
        return Err(fail(format!(
            "error: #blocks per group smaller than metadata size: {} <= {}",
            s_blocks_per_group,
            u64::from(s_inodes_per_group) + 3
        )));
    }
    if s_inodes_per_group < s_inodes_per_block || s_inodes_per_group > blocksize * 8 {
        return Err(fail(format!(
            "error: invalid #inodes per group: {s_inodes_per_group}"
        )));
    }
    if dev.nr_blocks() < u64::from(es.s_blocks_count) {
        return Err(fail(format!(
            "bad geometry: block count {} exceeds size of device ({} blocks)",
            es.s_blocks_count,
            dev.nr_blocks() as u32
        )));
    }
    // Unsigned 32-bit arithmetic as Linux's: a block count at or below
    // the first data block wraps, and the inode count check refuses it.
    let s_groups_count = (es
        .s_blocks_count
        .wrapping_sub(es.s_first_data_block)
        .wrapping_sub(1)
        / s_blocks_per_group)
        + 1;
    let computed = u64::from(s_groups_count) * u64::from(s_inodes_per_group);
    if computed != u64::from(es.s_inodes_count) {
        return Err(fail(format!(
            "error: invalid #inodes: {} vs computed {computed}",
            es.s_inodes_count
        )));
    }
    let db_count = s_groups_count.div_ceil(s_desc_per_block);
    let mut sbi = Ext2SbInfo {
        dev,
        s_id: s_id.into(),
        s_inodes_per_block,
        s_blocks_per_group,
        s_inodes_per_group,
        s_itb_per_group,
        s_gdb_count: db_count,
        s_desc_per_block,
        s_groups_count,
        s_inode_size,
        s_first_ino,
        s_addr_per_block_bits: (blocksize / 4).ilog2(),
        s_desc_per_block_bits: s_desc_per_block.ilog2(),
        s_mount_state: es.s_state,
        s_sb_block: sb_block,
        s_maxbytes: ext2_max_size(EXT2_BLOCK_SIZE_BITS),
        s_rdonly: rdonly,
        s_freeblocks_counter: 0,
        s_freeinodes_counter: 0,
        s_dirs_counter: 0,
        s_group_desc: Vec::new(),
        s_es: es,
    };
    let mut descs = Vec::with_capacity(s_groups_count as usize);
    for i in 0..db_count {
        let block = sbi.descriptor_loc(logic_sb_block, i);
        let mut buf = block_buf();
        if block >= u64::from(sbi.s_es.s_blocks_count) || sbi.dev.sb_bread(block, &mut buf).is_err()
        {
            return Err(fail("error: unable to read group descriptors".into()));
        }
        let left = (s_groups_count - i * s_desc_per_block).min(s_desc_per_block) as usize;
        for d in buf
            .as_chunks::<{ Ext2GroupDesc::SIZE }>()
            .0
            .iter()
            .take(left)
        {
            descs.push(Ext2GroupDesc::from_bytes(d));
        }
    }
    sbi.s_group_desc = descs;
    if let Err(mut e) = sbi.ext2_check_descriptors() {
        let last = fail("group descriptors corrupted".into());
        e.msg = format!("{}\n{}", e.msg, last.msg);
        return Err(e);
    }
    sbi.s_freeblocks_counter = sbi.ext2_count_free_blocks();
    sbi.s_freeinodes_counter = sbi.ext2_count_free_inodes();
    sbi.s_dirs_counter = sbi.ext2_count_dirs();

    let root = sbi.ext2_iget(EXT2_ROOT_INO)?;
    if !root.is_dir() || root.i_blocks == 0 || root.i_size == 0 {
        return Err(fail("error: corrupt root inode, run e2fsck".into()));
    }
    if sbi.has_compat_feature(EXT3_FEATURE_COMPAT_HAS_JOURNAL) {
        ext2_msg(
            s_id,
            log::Level::Warn,
            Errno::EINVAL,
            "warning: mounting ext3 filesystem as ext2",
        );
    }
    sbi.ext2_setup_super(now);
    Ok(sbi)
}

/// A mounted ext2 as the VFS sees it: `sb->s_fs_info` and the inode
/// cache Linux keeps per superblock.
pub struct Ext2Fs {
    pub sbi: Ext2SbInfo,
    pub node: &'static PglistData,
    /// The inodes read so far (`iget_locked`'s hash), each keeping its
    /// page cache until the file system is unmounted.
    pub(super) icache: SpinLock<BTreeMap<u32, Arc<Ext2VfsInode>>>,
}

impl Ext2Fs {
    pub fn new(sbi: Ext2SbInfo, node: &'static PglistData) -> Arc<Self> {
        Arc::new(Self {
            sbi,
            node,
            icache: SpinLock::new(BTreeMap::new()),
        })
    }
}

/// `ext2_sops`.
impl SuperOperations for Ext2Fs {
    fn statfs(&self) -> Kstatfs {
        self.sbi.ext2_statfs()
    }
    /// Nothing writes to the disk yet.
    fn writable(&self) -> bool {
        false
    }
    /// `kill_block_super()` → `evict_inodes()`: every inode and its pages
    /// go; the device is released when the last of them does.
    fn kill_sb(&self) {
        let inodes = core::mem::take(&mut *self.icache.lock_irqsave());
        drop(inodes);
    }
}

#[cfg(target_os = "none")]
pub use mount::ext2_init;

/// Mounting from a disk: `mount_bdev()` / `get_tree_bdev()` and the
/// buffer reads of fs/buffer.c (`sb_bread`) and fs/mpage.c over bios.
#[cfg(target_os = "none")]
mod mount {
    use alloc::boxed::Box;
    use alloc::sync::{Arc, Weak};
    use alloc::vec::Vec;

    use super::{Ext2Fs, ext2_fill_super};
    use crate::block::bdev::{BLK_OPEN_EXCL, Holder, blkdev_get_by_dev, blkdev_put, i_bdev};
    use crate::block::bio::{
        BLK_STS_OK, Bio, REQ_OP_READ, bio_add_page, bio_alloc, submit_bio_wait,
    };
    use crate::block::blk_core::submit_bio;
    use crate::block::genhd::BlockDevice;
    use crate::fs::ext2::{EXT2_BLOCK_SIZE, EXT2_ROOT_INO, Ext2Bdev};
    use crate::fs::filesystems::{FS_REQUIRES_DEV, FileSystemType, register_filesystem};
    use crate::fs::namei::kern_path;
    use crate::fs::super_block::{SB_RDONLY, SuperBlock};
    use crate::mm::filemap::{
        __filemap_get_folio, AddressSpace, AddressSpaceOperations, folio_unlock,
    };
    use crate::mm::mmzone::{PglistData, node_data};
    use crate::mm::page::{Page, PageFlags};
    use crate::mm::page_alloc::__free_pages;
    use crate::sync::SpinLock;
    use crate::uapi::errno::{Errno, KResult};

    /// One block of the disk read into `page` by a bio, waited for.
    fn bdev_read_block(bdev: &Arc<BlockDevice>, nr: u64, page: &'static Page) -> KResult<()> {
        let mut bio = bio_alloc(bdev, 1, REQ_OP_READ);
        bio.bi_iter.bi_sector = nr * (EXT2_BLOCK_SIZE as u64 >> 9);
        bio_add_page(&mut bio, page, EXT2_BLOCK_SIZE as u32, 0);
        submit_bio_wait(bio)
    }

    /// `def_blk_aops`: the disk's own page cache, where the file
    /// system's metadata blocks live (Linux's buffer heads), one block
    /// per page.
    struct BdevAops(Arc<BlockDevice>);

    impl AddressSpaceOperations for BdevAops {
        fn i_size(&self) -> u64 {
            self.0.nr_bytes()
        }
        fn read_folio(&self, _pgdat: &PglistData, page: &'static Page, index: u64) -> KResult<()> {
            bdev_read_block(&self.0, index, page)
        }
        fn is_bdev(&self) -> bool {
            true
        }
    }

    /// The disk under a mounted ext2, claimed exclusively for its file
    /// system type until the file system is gone, with its page cache.
    struct Ext2Disk {
        bdev: Arc<BlockDevice>,
        holder: Holder,
        bd_mapping: Arc<AddressSpace>,
    }

    impl Ext2Bdev for Ext2Disk {
        /// `sb_bread()`: the block through the disk's page cache (charged
        /// to the reader's memcg as Linux's buffer pages are), copied out.
        fn sb_bread(&self, nr: u64, buf: &mut [u8; EXT2_BLOCK_SIZE]) -> Result<(), Errno> {
            if nr >= self.nr_blocks() {
                return Err(Errno::EIO);
            }
            let (page, _) = __filemap_get_folio(&self.bd_mapping, nr)?;
            let pgdat = self.bd_mapping.node();
            pgdat
                .phys
                .copy_from_page(pgdat.page_to_pfn(page), 0, &mut buf[..]);
            __free_pages(pgdat, page, 0);
            Ok(())
        }
        fn nr_blocks(&self) -> u64 {
            self.bdev.nr_sectors() / (EXT2_BLOCK_SIZE as u64 >> 9)
        }
        /// One bio of one page, waited for. A block past the disk's end
        /// is EIO before any I/O.
        fn read_block_into_page(
            &self,
            nr: u64,
            _pgdat: &PglistData,
            page: &'static Page,
        ) -> Result<(), Errno> {
            if nr >= self.nr_blocks() {
                return Err(Errno::EIO);
            }
            bdev_read_block(&self.bdev, nr, page)
        }
        /// Bios within the queue's limits (Linux's block layer would
        /// split one), each ended by `mpage_end_io`. Blocks past the
        /// disk's end fail at once.
        fn read_blocks_into_pages(&self, first: u64, _pgdat: &PglistData, pages: &[&'static Page]) {
            let end = first.checked_add(pages.len() as u64);
            if end.is_none_or(|end| end > self.nr_blocks()) {
                pages.iter().for_each(|&p| folio_unlock(p));
                return;
            }
            let sectors_per_block = EXT2_BLOCK_SIZE as u64 >> 9;
            let limits = &self.bdev.queue.limits;
            let per_bio = (limits.max_segments as usize)
                .min((u64::from(limits.max_sectors) / sectors_per_block) as usize)
                .max(1);
            for (i, chunk) in pages.chunks(per_bio).enumerate() {
                let mut bio = bio_alloc(&self.bdev, chunk.len(), REQ_OP_READ);
                bio.bi_iter.bi_sector = (first + (i * per_bio) as u64) * sectors_per_block;
                for &page in chunk {
                    bio_add_page(&mut bio, page, EXT2_BLOCK_SIZE as u32, 0);
                }
                bio.bi_end_io = Some(mpage_end_io);
                submit_bio(bio);
            }
        }
    }

    /// `mpage_end_io()`: every page of the bio is up to date, or not if
    /// the read failed, and unlocked (interrupt context).
    #[allow(
        clippy::boxed_local,
        reason = "the bio_end_io_t signature: it owns the bio"
    )]
    fn mpage_end_io(bio: Box<Bio>) {
        for bv in &bio.bi_io_vec {
            if bio.bi_status == BLK_STS_OK {
                bv.bv_page.set(PageFlags::UPTODATE);
            }
            folio_unlock(bv.bv_page);
        }
    }

    impl Drop for Ext2Disk {
        fn drop(&mut self) {
            blkdev_put(&self.bdev, BLK_OPEN_EXCL, self.holder);
        }
    }

    /// The superblocks of mounted disks, for `sget_fc()`: a second mount
    /// of a disk shows the same file system.
    static SUPERS: SpinLock<Vec<Weak<SuperBlock>>> = SpinLock::new(Vec::new());

    /// `get_tree_bdev()` + `ext2_fill_super()`. `source` names the block
    /// device node (ENOENT, ENOTBLK, ENXIO as `lookup_bdev`); a
    /// read-write mount is EROFS, which busybox's and util-linux's mount
    /// answer by retrying read-only. Mount options are not implemented
    /// (EINVAL).
    #[inline(never)]
    fn ext2_get_tree_bdev(
        fs_type: &'static FileSystemType,
        flags: u32,
        source: &str,
        data: &str,
    ) -> KResult<Arc<SuperBlock>> {
        let path = kern_path(source, true)?;
        let bdev = i_bdev(path.inode().as_ref())?;
        drop(path);
        if !data.is_empty() {
            log::error!(
                "EXT2-fs ({}): error: unrecognized mount option \"{data}\" or missing value",
                bdev.disk_name
            );
            return Err(Errno::EINVAL);
        }
        let dev = bdev.bd_dev;
        if flags & SB_RDONLY == 0 {
            return Err(Errno::EROFS);
        }
        let holder = fs_type as *const FileSystemType as Holder;
        let bdev = blkdev_get_by_dev(dev, BLK_OPEN_EXCL, holder)?;
        let bd_mapping = AddressSpace::new_aops(node_data(0), Arc::new(BdevAops(bdev.clone())));
        let disk = Ext2Disk {
            bdev,
            holder,
            bd_mapping,
        };
        {
            let mut supers = SUPERS.lock_irqsave();
            supers.retain(|s| s.strong_count() != 0);
            if let Some(sb) = supers
                .iter()
                .filter_map(Weak::upgrade)
                .find(|s| s.s_dev == dev)
            {
                // `disk` goes, dropping this mount's extra claim.
                return Ok(sb);
            }
        }
        let now = crate::task::time::ktime_get_real_ns() / 1_000_000_000;
        let s_id = disk.bdev.disk_name.clone();
        let sbi = ext2_fill_super(Arc::new(disk), &s_id, true, now)?;
        let fs = Ext2Fs::new(sbi, node_data(0));
        let root = fs.iget(EXT2_ROOT_INO)?;
        let sb = SuperBlock::new(fs_type, dev, root, flags, fs);
        SUPERS.lock_irqsave().push(Arc::downgrade(&sb));
        Ok(sb)
    }

    static EXT2_FS_TYPE: FileSystemType = FileSystemType {
        name: "ext2",
        fs_flags: FS_REQUIRES_DEV,
        get_tree: |flags, source, data| ext2_get_tree_bdev(&EXT2_FS_TYPE, flags, source, data),
    };

    /// Linux's ext4 driver mounts ext2 file systems; so does this one,
    /// under its name, for images without ext4-only features (the others
    /// are refused with ext2's message).
    static EXT4_FS_TYPE: FileSystemType = FileSystemType {
        name: "ext4",
        fs_flags: FS_REQUIRES_DEV,
        get_tree: |flags, source, data| ext2_get_tree_bdev(&EXT4_FS_TYPE, flags, source, data),
    };

    /// `init_ext2_fs()` (and ext4's `register_filesystem`).
    pub fn ext2_init() {
        for fs in [&EXT2_FS_TYPE, &EXT4_FS_TYPE] {
            register_filesystem(fs).expect("ext2 registered twice");
        }
    }
}
