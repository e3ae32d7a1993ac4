//! ext2's on-disk format and in-memory super and inode information;
//! mirrors fs/ext2/ext2.h of Linux 6.1 (`struct ext2_super_block`,
//! `struct ext2_group_desc`, `struct ext2_inode`, `struct
//! ext2_dir_entry_2`, the feature and inode-flag bits, `struct
//! ext2_sb_info`, `struct ext2_inode_info`), with the ext3/ext4 feature
//! bits of fs/ext4/ext4.h that Linux's ext2 refuses.
//!
//! The structures are parsed from little-endian bytes and written back
//! with `to_bytes` over the bytes they were read from, so fields tinymm
//! does not interpret (reserved words, the extra bytes of 256-byte
//! inodes that mke2fs and Linux's ext4 driver fill) survive a
//! write-back unchanged.
//!
//! This is the read side: mounting (super.rs, with `mount -t ext2` and
//! `-t ext4` from a disk), inodes, the inode cache, the block map lookup
//! and `read_folio` into the page cache (inode.rs), directories (dir.rs)
//! and the VFS inode operations (namei.rs), all over [`Ext2Bdev`],
//! Linux's `sb_bread`. Mounts are read-only (a read-write mount is
//! EROFS). Left out for now: writing, allocation (balloc.c, ialloc.c),
//! readahead, xattrs and ACLs, DAX, mount options, and block sizes other
//! than 4096 (tinymm's block size is its page size, so a block is a
//! folio of the page cache; other sizes are refused at mount).

pub mod dir;
pub mod inode;
pub mod namei;
#[path = "super.rs"]
pub mod super_;

#[cfg(test)]
mod tests;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use crate::uapi::errno::Errno;

/// `EXT2_SUPER_MAGIC` (include/uapi/linux/magic.h), statfs's f_type.
pub const EXT2_SUPER_MAGIC: u16 = 0xEF53;
/// Special inode numbers.
pub const EXT2_BAD_INO: u32 = 1;
pub const EXT2_ROOT_INO: u32 = 2;
pub const EXT2_BOOT_LOADER_INO: u32 = 5;
pub const EXT2_UNDEL_DIR_INO: u32 = 6;
/// First non-reserved inode of revision-0 file systems.
pub const EXT2_GOOD_OLD_FIRST_INO: u32 = 11;

/// `BLOCK_SIZE`, `BLOCK_SIZE_BITS` (include/uapi/linux/fs.h): the unit
/// of `s_log_block_size` and of the superblock's position.
pub const BLOCK_SIZE: u32 = 1024;
pub const BLOCK_SIZE_BITS: u32 = 10;
pub const EXT2_MIN_BLOCK_SIZE: u32 = 1024;
pub const EXT2_MAX_BLOCK_SIZE: u32 = 4096;
pub const EXT2_MIN_BLOCK_LOG_SIZE: u32 = 10;
pub const EXT2_MAX_BLOCK_LOG_SIZE: u32 = 16;
/// The only block size tinymm mounts: its page size.
pub const EXT2_BLOCK_SIZE: usize = 4096;
/// `EXT2_BLOCK_SIZE_BITS` for that size.
pub const EXT2_BLOCK_SIZE_BITS: u32 = 12;

/// Pointers in `i_block`.
pub const EXT2_NDIR_BLOCKS: usize = 12;
pub const EXT2_IND_BLOCK: usize = EXT2_NDIR_BLOCKS;
pub const EXT2_DIND_BLOCK: usize = EXT2_IND_BLOCK + 1;
pub const EXT2_TIND_BLOCK: usize = EXT2_DIND_BLOCK + 1;
pub const EXT2_N_BLOCKS: usize = EXT2_TIND_BLOCK + 1;

/// Inode flags (`i_flags`, the FS_*_FL values of include/uapi/linux/fs.h).
pub const EXT2_SECRM_FL: u32 = 0x0000_0001;
pub const EXT2_UNRM_FL: u32 = 0x0000_0002;
pub const EXT2_COMPR_FL: u32 = 0x0000_0004;
pub const EXT2_SYNC_FL: u32 = 0x0000_0008;
pub const EXT2_IMMUTABLE_FL: u32 = 0x0000_0010;
pub const EXT2_APPEND_FL: u32 = 0x0000_0020;
pub const EXT2_NODUMP_FL: u32 = 0x0000_0040;
pub const EXT2_NOATIME_FL: u32 = 0x0000_0080;
pub const EXT2_DIRTY_FL: u32 = 0x0000_0100;
pub const EXT2_COMPRBLK_FL: u32 = 0x0000_0200;
pub const EXT2_NOCOMP_FL: u32 = 0x0000_0400;
pub const EXT2_ECOMPR_FL: u32 = 0x0000_0800;
pub const EXT2_BTREE_FL: u32 = 0x0000_1000;
pub const EXT2_INDEX_FL: u32 = 0x0000_1000;
pub const EXT2_IMAGIC_FL: u32 = 0x0000_2000;
pub const EXT2_JOURNAL_DATA_FL: u32 = 0x0000_4000;
pub const EXT2_NOTAIL_FL: u32 = 0x0000_8000;
pub const EXT2_DIRSYNC_FL: u32 = 0x0001_0000;
pub const EXT2_TOPDIR_FL: u32 = 0x0002_0000;
pub const EXT2_RESERVED_FL: u32 = 0x8000_0000;
/// `EXT4_EXTENTS_FL`: an inode mapped by extents, which ext2 cannot read.
pub const EXT4_EXTENTS_FL: u32 = 0x0008_0000;

/// `s_state`.
pub const EXT2_VALID_FS: u16 = 0x0001;
pub const EXT2_ERROR_FS: u16 = 0x0002;
/// `s_errors`.
pub const EXT2_ERRORS_CONTINUE: u16 = 1;
pub const EXT2_ERRORS_RO: u16 = 2;
pub const EXT2_ERRORS_PANIC: u16 = 3;

/// Revision levels.
pub const EXT2_GOOD_OLD_REV: u32 = 0;
pub const EXT2_DYNAMIC_REV: u32 = 1;
pub const EXT2_MAX_SUPP_REV: u32 = EXT2_DYNAMIC_REV;
pub const EXT2_GOOD_OLD_INODE_SIZE: u16 = 128;

/// Compatible features: a kernel that does not know them may mount.
pub const EXT2_FEATURE_COMPAT_DIR_PREALLOC: u32 = 0x0001;
pub const EXT2_FEATURE_COMPAT_IMAGIC_INODES: u32 = 0x0002;
pub const EXT3_FEATURE_COMPAT_HAS_JOURNAL: u32 = 0x0004;
pub const EXT2_FEATURE_COMPAT_EXT_ATTR: u32 = 0x0008;
pub const EXT2_FEATURE_COMPAT_RESIZE_INO: u32 = 0x0010;
pub const EXT2_FEATURE_COMPAT_DIR_INDEX: u32 = 0x0020;
/// ext4's `EXT4_FEATURE_COMPAT_SPARSE_SUPER2`.
pub const EXT4_FEATURE_COMPAT_SPARSE_SUPER2: u32 = 0x0200;

/// Read-only compatible features: mount read-only if unknown.
pub const EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER: u32 = 0x0001;
pub const EXT2_FEATURE_RO_COMPAT_LARGE_FILE: u32 = 0x0002;
pub const EXT2_FEATURE_RO_COMPAT_BTREE_DIR: u32 = 0x0004;
/// ext4's (fs/ext4/ext4.h), which ext2 does not support.
pub const EXT4_FEATURE_RO_COMPAT_HUGE_FILE: u32 = 0x0008;
pub const EXT4_FEATURE_RO_COMPAT_GDT_CSUM: u32 = 0x0010;
pub const EXT4_FEATURE_RO_COMPAT_DIR_NLINK: u32 = 0x0020;
pub const EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE: u32 = 0x0040;
pub const EXT4_FEATURE_RO_COMPAT_QUOTA: u32 = 0x0100;
pub const EXT4_FEATURE_RO_COMPAT_BIGALLOC: u32 = 0x0200;
pub const EXT4_FEATURE_RO_COMPAT_METADATA_CSUM: u32 = 0x0400;
pub const EXT4_FEATURE_RO_COMPAT_ORPHAN_PRESENT: u32 = 0x1_0000;

/// Incompatible features: never mount if unknown.
pub const EXT2_FEATURE_INCOMPAT_COMPRESSION: u32 = 0x0001;
pub const EXT2_FEATURE_INCOMPAT_FILETYPE: u32 = 0x0002;
pub const EXT3_FEATURE_INCOMPAT_RECOVER: u32 = 0x0004;
pub const EXT3_FEATURE_INCOMPAT_JOURNAL_DEV: u32 = 0x0008;
pub const EXT2_FEATURE_INCOMPAT_META_BG: u32 = 0x0010;
/// ext4's (fs/ext4/ext4.h), which ext2 refuses.
pub const EXT4_FEATURE_INCOMPAT_EXTENTS: u32 = 0x0040;
pub const EXT4_FEATURE_INCOMPAT_64BIT: u32 = 0x0080;
pub const EXT4_FEATURE_INCOMPAT_MMP: u32 = 0x0100;
pub const EXT4_FEATURE_INCOMPAT_FLEX_BG: u32 = 0x0200;
pub const EXT4_FEATURE_INCOMPAT_EA_INODE: u32 = 0x0400;
pub const EXT4_FEATURE_INCOMPAT_DIRDATA: u32 = 0x1000;
pub const EXT4_FEATURE_INCOMPAT_CSUM_SEED: u32 = 0x2000;
pub const EXT4_FEATURE_INCOMPAT_LARGEDIR: u32 = 0x4000;
pub const EXT4_FEATURE_INCOMPAT_INLINE_DATA: u32 = 0x8000;
pub const EXT4_FEATURE_INCOMPAT_ENCRYPT: u32 = 0x1_0000;
pub const EXT4_FEATURE_INCOMPAT_CASEFOLD: u32 = 0x2_0000;

/// What Linux's ext2 supports (`EXT2_FEATURE_*_SUPP`).
pub const EXT2_FEATURE_COMPAT_SUPP: u32 = EXT2_FEATURE_COMPAT_EXT_ATTR;
pub const EXT2_FEATURE_INCOMPAT_SUPP: u32 =
    EXT2_FEATURE_INCOMPAT_FILETYPE | EXT2_FEATURE_INCOMPAT_META_BG;
pub const EXT2_FEATURE_RO_COMPAT_SUPP: u32 = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER
    | EXT2_FEATURE_RO_COMPAT_LARGE_FILE
    | EXT2_FEATURE_RO_COMPAT_BTREE_DIR;

/// `EXT2_LINK_MAX`, `EXT2_NAME_LEN`.
pub const EXT2_LINK_MAX: u32 = 32000;
pub const EXT2_NAME_LEN: usize = 255;

/// Directory entry file types (`EXT2_FT_*`, include/linux/fs_types.h's
/// FT_* values).
pub const EXT2_FT_UNKNOWN: u8 = 0;
pub const EXT2_FT_REG_FILE: u8 = 1;
pub const EXT2_FT_DIR: u8 = 2;
pub const EXT2_FT_CHRDEV: u8 = 3;
pub const EXT2_FT_BLKDEV: u8 = 4;
pub const EXT2_FT_FIFO: u8 = 5;
pub const EXT2_FT_SOCK: u8 = 6;
pub const EXT2_FT_SYMLINK: u8 = 7;
pub const EXT2_FT_MAX: u8 = 8;

/// `EXT2_DIR_PAD`: directory entries start on 4-byte boundaries.
pub const EXT2_DIR_PAD: usize = 4;
const EXT2_DIR_ROUND: usize = EXT2_DIR_PAD - 1;

/// `EXT2_DIR_REC_LEN()`: the smallest record holding a name this long.
pub const fn ext2_dir_rec_len(name_len: usize) -> usize {
    (name_len + 8 + EXT2_DIR_ROUND) & !EXT2_DIR_ROUND
}

/// Mode bits (include/uapi/linux/stat.h).
pub const S_IFMT: u16 = 0o170000;
pub const S_IFSOCK: u16 = 0o140000;
pub const S_IFLNK: u16 = 0o120000;
pub const S_IFREG: u16 = 0o100000;
pub const S_IFBLK: u16 = 0o060000;
pub const S_IFDIR: u16 = 0o040000;
pub const S_IFCHR: u16 = 0o020000;
pub const S_IFIFO: u16 = 0o010000;

fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// `struct ext2_super_block`: the 1024 bytes at byte 1024 of the device.
/// The fields Linux's ext2 reads; `raw` keeps the whole structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext2SuperBlock {
    pub s_inodes_count: u32,
    pub s_blocks_count: u32,
    pub s_r_blocks_count: u32,
    pub s_free_blocks_count: u32,
    pub s_free_inodes_count: u32,
    pub s_first_data_block: u32,
    pub s_log_block_size: u32,
    pub s_log_frag_size: u32,
    pub s_blocks_per_group: u32,
    pub s_frags_per_group: u32,
    pub s_inodes_per_group: u32,
    pub s_mtime: u32,
    pub s_wtime: u32,
    pub s_mnt_count: u16,
    pub s_max_mnt_count: u16,
    pub s_magic: u16,
    pub s_state: u16,
    pub s_errors: u16,
    pub s_minor_rev_level: u16,
    pub s_lastcheck: u32,
    pub s_checkinterval: u32,
    pub s_creator_os: u32,
    pub s_rev_level: u32,
    pub s_def_resuid: u16,
    pub s_def_resgid: u16,
    pub s_first_ino: u32,
    pub s_inode_size: u16,
    pub s_block_group_nr: u16,
    pub s_feature_compat: u32,
    pub s_feature_incompat: u32,
    pub s_feature_ro_compat: u32,
    pub s_uuid: [u8; 16],
    pub s_volume_name: [u8; 16],
    pub s_last_orphan: u32,
    pub s_default_mount_opts: u32,
    pub s_first_meta_bg: u32,
    raw: [u8; Self::SIZE],
}

impl Ext2SuperBlock {
    pub const SIZE: usize = 1024;

    /// Parses the structure from its 1024 on-disk bytes.
    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        let mut s_uuid = [0; 16];
        s_uuid.copy_from_slice(&b[104..120]);
        let mut s_volume_name = [0; 16];
        s_volume_name.copy_from_slice(&b[120..136]);
        Self {
            s_inodes_count: le32(b, 0),
            s_blocks_count: le32(b, 4),
            s_r_blocks_count: le32(b, 8),
            s_free_blocks_count: le32(b, 12),
            s_free_inodes_count: le32(b, 16),
            s_first_data_block: le32(b, 20),
            s_log_block_size: le32(b, 24),
            s_log_frag_size: le32(b, 28),
            s_blocks_per_group: le32(b, 32),
            s_frags_per_group: le32(b, 36),
            s_inodes_per_group: le32(b, 40),
            s_mtime: le32(b, 44),
            s_wtime: le32(b, 48),
            s_mnt_count: le16(b, 52),
            s_max_mnt_count: le16(b, 54),
            s_magic: le16(b, 56),
            s_state: le16(b, 58),
            s_errors: le16(b, 60),
            s_minor_rev_level: le16(b, 62),
            s_lastcheck: le32(b, 64),
            s_checkinterval: le32(b, 68),
            s_creator_os: le32(b, 72),
            s_rev_level: le32(b, 76),
            s_def_resuid: le16(b, 80),
            s_def_resgid: le16(b, 82),
            s_first_ino: le32(b, 84),
            s_inode_size: le16(b, 88),
            s_block_group_nr: le16(b, 90),
            s_feature_compat: le32(b, 92),
            s_feature_incompat: le32(b, 96),
            s_feature_ro_compat: le32(b, 100),
            s_uuid,
            s_volume_name,
            s_last_orphan: le32(b, 232),
            s_default_mount_opts: le32(b, 256),
            s_first_meta_bg: le32(b, 260),
            raw: *b,
        }
    }

    /// The on-disk bytes: the parsed fields over the bytes read.
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = self.raw;
        for (off, v) in [
            (0, self.s_inodes_count),
            (4, self.s_blocks_count),
            (8, self.s_r_blocks_count),
            (12, self.s_free_blocks_count),
            (16, self.s_free_inodes_count),
            (20, self.s_first_data_block),
            (24, self.s_log_block_size),
            (28, self.s_log_frag_size),
            (32, self.s_blocks_per_group),
            (36, self.s_frags_per_group),
            (40, self.s_inodes_per_group),
            (44, self.s_mtime),
            (48, self.s_wtime),
            (64, self.s_lastcheck),
            (68, self.s_checkinterval),
            (72, self.s_creator_os),
            (76, self.s_rev_level),
            (84, self.s_first_ino),
            (92, self.s_feature_compat),
            (96, self.s_feature_incompat),
            (100, self.s_feature_ro_compat),
            (232, self.s_last_orphan),
            (256, self.s_default_mount_opts),
            (260, self.s_first_meta_bg),
        ] {
            put32(&mut b, off, v);
        }
        for (off, v) in [
            (52, self.s_mnt_count),
            (54, self.s_max_mnt_count),
            (56, self.s_magic),
            (58, self.s_state),
            (60, self.s_errors),
            (62, self.s_minor_rev_level),
            (80, self.s_def_resuid),
            (82, self.s_def_resgid),
            (88, self.s_inode_size),
            (90, self.s_block_group_nr),
        ] {
            put16(&mut b, off, v);
        }
        b[104..120].copy_from_slice(&self.s_uuid);
        b[120..136].copy_from_slice(&self.s_volume_name);
        b
    }
}

/// `struct ext2_group_desc` (32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ext2GroupDesc {
    pub bg_block_bitmap: u32,
    pub bg_inode_bitmap: u32,
    pub bg_inode_table: u32,
    pub bg_free_blocks_count: u16,
    pub bg_free_inodes_count: u16,
    pub bg_used_dirs_count: u16,
    raw: [u8; Self::SIZE],
}

impl Ext2GroupDesc {
    pub const SIZE: usize = 32;

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        Self {
            bg_block_bitmap: le32(b, 0),
            bg_inode_bitmap: le32(b, 4),
            bg_inode_table: le32(b, 8),
            bg_free_blocks_count: le16(b, 12),
            bg_free_inodes_count: le16(b, 14),
            bg_used_dirs_count: le16(b, 16),
            raw: *b,
        }
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = self.raw;
        put32(&mut b, 0, self.bg_block_bitmap);
        put32(&mut b, 4, self.bg_inode_bitmap);
        put32(&mut b, 8, self.bg_inode_table);
        put16(&mut b, 12, self.bg_free_blocks_count);
        put16(&mut b, 14, self.bg_free_inodes_count);
        put16(&mut b, 16, self.bg_used_dirs_count);
        b
    }
}

/// `struct ext2_inode`: the 128 bytes Linux's ext2 knows, with the
/// Linux `osd1`/`osd2` variants, and in `extra` the bytes from 128 to
/// `s_inode_size` (ext4's `i_extra_isize`, nanosecond times, crtime),
/// kept verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext2Inode {
    pub i_mode: u16,
    pub i_uid: u16,
    pub i_size: u32,
    pub i_atime: u32,
    pub i_ctime: u32,
    pub i_mtime: u32,
    pub i_dtime: u32,
    pub i_gid: u16,
    pub i_links_count: u16,
    pub i_blocks: u32,
    pub i_flags: u32,
    pub i_reserved1: u32,
    /// Block pointers as numbers (Linux keeps them little-endian).
    pub i_block: [u32; EXT2_N_BLOCKS],
    pub i_generation: u32,
    pub i_file_acl: u32,
    /// `i_dir_acl`, which is `i_size_high` for regular files.
    pub i_size_high: u32,
    pub i_faddr: u32,
    pub i_frag: u8,
    pub i_fsize: u8,
    pub i_pad1: u16,
    pub i_uid_high: u16,
    pub i_gid_high: u16,
    pub i_reserved2: u32,
    pub extra: Vec<u8>,
}

impl Ext2Inode {
    /// Parses an on-disk inode of `b.len()` (the inode size, at least 128)
    /// bytes.
    pub fn from_bytes(b: &[u8]) -> Self {
        let mut i_block = [0; EXT2_N_BLOCKS];
        for (n, p) in i_block.iter_mut().enumerate() {
            *p = le32(b, 40 + 4 * n);
        }
        Self {
            i_mode: le16(b, 0),
            i_uid: le16(b, 2),
            i_size: le32(b, 4),
            i_atime: le32(b, 8),
            i_ctime: le32(b, 12),
            i_mtime: le32(b, 16),
            i_dtime: le32(b, 20),
            i_gid: le16(b, 24),
            i_links_count: le16(b, 26),
            i_blocks: le32(b, 28),
            i_flags: le32(b, 32),
            i_reserved1: le32(b, 36),
            i_block,
            i_generation: le32(b, 100),
            i_file_acl: le32(b, 104),
            i_size_high: le32(b, 108),
            i_faddr: le32(b, 112),
            i_frag: b[116],
            i_fsize: b[117],
            i_pad1: le16(b, 118),
            i_uid_high: le16(b, 120),
            i_gid_high: le16(b, 122),
            i_reserved2: le32(b, 124),
            extra: b[EXT2_GOOD_OLD_INODE_SIZE as usize..].to_vec(),
        }
    }

    /// The on-disk bytes, `extra` included.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = alloc::vec![0u8; EXT2_GOOD_OLD_INODE_SIZE as usize];
        put16(&mut b, 0, self.i_mode);
        put16(&mut b, 2, self.i_uid);
        put32(&mut b, 4, self.i_size);
        put32(&mut b, 8, self.i_atime);
        put32(&mut b, 12, self.i_ctime);
        put32(&mut b, 16, self.i_mtime);
        put32(&mut b, 20, self.i_dtime);
        put16(&mut b, 24, self.i_gid);
        put16(&mut b, 26, self.i_links_count);
        put32(&mut b, 28, self.i_blocks);
        put32(&mut b, 32, self.i_flags);
        put32(&mut b, 36, self.i_reserved1);
        for (n, p) in self.i_block.iter().enumerate() {
            put32(&mut b, 40 + 4 * n, *p);
        }
        put32(&mut b, 100, self.i_generation);
        put32(&mut b, 104, self.i_file_acl);
        put32(&mut b, 108, self.i_size_high);
        put32(&mut b, 112, self.i_faddr);
        b[116] = self.i_frag;
        b[117] = self.i_fsize;
        put16(&mut b, 118, self.i_pad1);
        put16(&mut b, 120, self.i_uid_high);
        put16(&mut b, 122, self.i_gid_high);
        put32(&mut b, 124, self.i_reserved2);
        b.extend_from_slice(&self.extra);
        b
    }
}

/// `struct ext2_dir_entry_2`, as read from a directory block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext2DirEntry2 {
    pub inode: u32,
    pub rec_len: u16,
    pub name_len: u8,
    pub file_type: u8,
}

impl Ext2DirEntry2 {
    /// The 8-byte header at `off` (which the caller keeps 8 bytes before
    /// the end of `b`).
    pub fn from_bytes(b: &[u8], off: usize) -> Self {
        Self {
            inode: le32(b, off),
            rec_len: le16(b, off + 4),
            name_len: b[off + 6],
            file_type: b[off + 7],
        }
    }
}

/// Linux's `sb_bread()`: what ext2 needs of its block device. The
/// kernel implements it over the block device (bio or its page cache),
/// host tests over an image in memory.
pub trait Ext2Bdev: Send + Sync {
    /// Reads block `nr` (of [`EXT2_BLOCK_SIZE`] bytes) into `buf`; EIO if
    /// the device cannot (a block past its end included).
    fn sb_bread(&self, nr: u64, buf: &mut [u8; EXT2_BLOCK_SIZE]) -> Result<(), Errno>;
    /// `sb_bdev_nr_blocks()`: the device's size in blocks.
    fn nr_blocks(&self) -> u64;
    /// The bio `mpage_read_folio()` builds for a folio of one block:
    /// block `nr` read straight into `page`. By default through
    /// `sb_bread` and a copy.
    fn read_block_into_page(
        &self,
        nr: u64,
        pgdat: &crate::mm::mmzone::PglistData,
        page: &'static crate::mm::page::Page,
    ) -> Result<(), Errno> {
        let mut buf = super_::block_buf();
        self.sb_bread(nr, &mut buf)?;
        pgdat
            .phys
            .copy_to_page(pgdat.page_to_pfn(page), 0, &buf[..]);
        Ok(())
    }
    /// `mpage_readahead()`'s bio: the blocks from `first` on into the
    /// locked `pages`, one block each; every page is marked up to date
    /// (unless its read failed) and unlocked when its read ends, which
    /// may be after the call returns. By default one block at a time.
    fn read_blocks_into_pages(
        &self,
        first: u64,
        pgdat: &crate::mm::mmzone::PglistData,
        pages: &[&'static crate::mm::page::Page],
    ) {
        for (nr, &page) in (first..).zip(pages) {
            if self.read_block_into_page(nr, pgdat, page).is_ok() {
                page.set(crate::mm::page::PageFlags::UPTODATE);
            }
            crate::mm::filemap::folio_unlock(page);
        }
    }
}

/// A failure with the message Linux logs for it (empty where Linux
/// fails silently, as on a plain read error of an indirect block).
/// The kernel's callers convert it to its errno with `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext2Error {
    pub errno: Errno,
    pub msg: String,
}

impl Ext2Error {
    pub fn silent(errno: Errno) -> Self {
        Self {
            errno,
            msg: String::new(),
        }
    }
}

impl From<Errno> for Ext2Error {
    fn from(errno: Errno) -> Self {
        Self::silent(errno)
    }
}

impl From<Ext2Error> for Errno {
    fn from(e: Ext2Error) -> Self {
        e.errno
    }
}

impl fmt::Display for Ext2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.msg, self.errno)
    }
}

pub type Ext2Result<T> = Result<T, Ext2Error>;

/// `struct ext2_sb_info`: a mounted ext2, made by
/// [`super_::ext2_fill_super`].
pub struct Ext2SbInfo {
    pub(crate) dev: Arc<dyn Ext2Bdev>,
    /// `sb->s_id`: the device's name in messages.
    pub s_id: String,
    /// `s_es`: the superblock as read.
    pub s_es: Ext2SuperBlock,
    /// The group descriptors, `s_groups_count` of them.
    pub s_group_desc: Vec<Ext2GroupDesc>,
    pub s_inodes_per_block: u32,
    pub s_blocks_per_group: u32,
    pub s_inodes_per_group: u32,
    pub s_itb_per_group: u32,
    pub s_gdb_count: u32,
    pub s_desc_per_block: u32,
    pub s_groups_count: u32,
    pub s_inode_size: u16,
    pub s_first_ino: u32,
    pub s_addr_per_block_bits: u32,
    pub s_desc_per_block_bits: u32,
    pub s_mount_state: u16,
    /// `s_sb_block`: the superblock's position in 1 KiB units (1).
    pub s_sb_block: u32,
    /// `sb->s_maxbytes` (`ext2_max_size()`).
    pub s_maxbytes: u64,
    /// `sb_rdonly()`: mounted (or forced) read-only.
    pub s_rdonly: bool,
    /// `s_freeblocks_counter`, `s_freeinodes_counter`, `s_dirs_counter`,
    /// summed from the group descriptors at mount.
    pub s_freeblocks_counter: u64,
    pub s_freeinodes_counter: u64,
    pub s_dirs_counter: u64,
}

/// `struct ext2_inode_info` with the VFS inode fields `ext2_iget` fills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext2InodeInfo {
    pub i_ino: u32,
    pub i_mode: u16,
    /// Owner and group with their high 16 bits.
    pub i_uid: u32,
    pub i_gid: u32,
    pub i_nlink: u32,
    /// With `i_size_high` for regular files.
    pub i_size: u64,
    pub i_atime: i64,
    pub i_ctime: i64,
    pub i_mtime: i64,
    /// 512-byte sectors, data and indirect blocks.
    pub i_blocks: u64,
    pub i_flags: u32,
    pub i_faddr: u32,
    pub i_file_acl: u32,
    pub i_dir_acl: u32,
    pub i_generation: u32,
    pub i_block_group: u32,
    /// `i_data`: the block pointers (or a fast symlink's target).
    pub i_data: [u32; EXT2_N_BLOCKS],
    /// The device of a character or block special file.
    pub i_rdev: Option<crate::fs::DevT>,
    /// The on-disk inode as read, for a write-back that keeps the rest.
    pub raw: Ext2Inode,
}

impl Ext2InodeInfo {
    pub fn file_type_bits(&self) -> u16 {
        self.i_mode & S_IFMT
    }

    pub fn is_dir(&self) -> bool {
        self.file_type_bits() == S_IFDIR
    }

    pub fn is_reg(&self) -> bool {
        self.file_type_bits() == S_IFREG
    }

    pub fn is_lnk(&self) -> bool {
        self.file_type_bits() == S_IFLNK
    }
}
