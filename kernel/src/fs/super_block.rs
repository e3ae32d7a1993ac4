//! Superblocks (fs/super.c, fs/statfs.c): one mounted instance of a
//! filesystem, with its device number, read-only flag, mount options and
//! `statfs` numbers.

use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::filesystems::FileSystemType;
use super::{DevT, Inode};
use crate::uapi::errno::{Errno, KResult};

/// `SB_RDONLY`, `SB_SYNCHRONOUS`, `SB_DIRSYNC`, `SB_LAZYTIME`: the
/// superblock flags mount(2) sets (the same bits as its MS_ flags).
pub const SB_RDONLY: u32 = 1;
pub const SB_SYNCHRONOUS: u32 = 16;
pub const SB_DIRSYNC: u32 = 128;
pub const SB_LAZYTIME: u32 = 1 << 25;
/// The flags a mount or remount may change.
pub const SB_CHANGEABLE: u32 = SB_RDONLY | SB_SYNCHRONOUS | SB_DIRSYNC | SB_LAZYTIME;

/// `struct kstatfs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kstatfs {
    pub f_type: u64,
    pub f_bsize: u64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_namelen: u64,
    pub f_frsize: u64,
    pub f_flags: u64,
}

impl Kstatfs {
    /// `simple_statfs()`: a pseudo filesystem with nothing to count.
    pub fn simple(magic: u64) -> Self {
        Self {
            f_type: magic,
            f_bsize: 4096,
            f_namelen: 255,
            ..Self::default()
        }
    }

    /// x86_64 `struct statfs` (120 bytes) with `f_fsid` from the device.
    pub fn to_user(&self, dev: DevT, flags: u64) -> [u8; 120] {
        let fsid = u64::from(dev.encode() as u32);
        let words = [
            self.f_type,
            self.f_bsize,
            self.f_blocks,
            self.f_bfree,
            self.f_bavail,
            self.f_files,
            self.f_ffree,
            fsid,
            self.f_namelen,
            if self.f_frsize == 0 {
                self.f_bsize
            } else {
                self.f_frsize
            },
            flags,
            0,
            0,
            0,
            0,
        ];
        let mut out = [0u8; 120];
        for (chunk, w) in out.as_chunks_mut::<8>().0.iter_mut().zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

/// Filesystem magic numbers (include/uapi/linux/magic.h).
pub const RAMFS_MAGIC: u64 = 0x8584_58f6;
pub const TMPFS_MAGIC: u64 = 0x0102_1994;
pub const PROC_SUPER_MAGIC: u64 = 0x9fa0;
pub const SYSFS_MAGIC: u64 = 0x6265_6572;
pub const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;
pub const PIPEFS_MAGIC: u64 = 0x5049_5045;

/// `struct super_operations`: what differs between filesystems.
pub trait SuperOperations: Send + Sync {
    /// `show_options`: the filesystem's own options for /proc/mounts,
    /// each preceded by a comma.
    fn show_options(&self, _out: &mut String) {}
    fn statfs(&self) -> Kstatfs;
    /// Whether the filesystem can take writes: a read-write mount or
    /// remount of one that cannot fails with EROFS.
    fn writable(&self) -> bool {
        true
    }
    /// `kill_sb`: the last reference to the superblock is going (its last
    /// mount is gone and no file is open on it).
    fn kill_sb(&self) {}
    /// `reconfigure` on remount with the new option string.
    fn reconfigure(&self, data: &str) -> KResult<()> {
        if data.is_empty() {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }
}

/// The operations of a filesystem with nothing to count or configure
/// (`simple_statfs` with its magic number).
pub struct SimpleSuper(pub u64);

impl SuperOperations for SimpleSuper {
    fn statfs(&self) -> Kstatfs {
        Kstatfs::simple(self.0)
    }
}

/// `get_tree_single()` for a filesystem that takes no options: the one
/// superblock made at boot (ENODEV before it exists).
pub fn get_tree_single(sb: &spin::Once<Arc<SuperBlock>>, data: &str) -> KResult<Arc<SuperBlock>> {
    if !data.is_empty() {
        return Err(Errno::EINVAL);
    }
    sb.get().cloned().ok_or(Errno::ENODEV)
}

/// `struct super_block`.
pub struct SuperBlock {
    pub s_dev: DevT,
    pub s_type: &'static FileSystemType,
    pub s_root: Arc<dyn Inode>,
    s_flags: AtomicU32,
    pub s_op: Arc<dyn SuperOperations>,
}

/// `get_anon_bdev()`: a device number (major 0) for a filesystem without
/// a block device.
pub fn get_anon_bdev() -> DevT {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    DevT::new(0, NEXT.fetch_add(1, Relaxed))
}

impl SuperBlock {
    /// `sget_fc()` + `fill_super` for a filesystem without a device.
    pub fn new_anon(
        s_type: &'static FileSystemType,
        s_root: Arc<dyn Inode>,
        s_flags: u32,
        s_op: Arc<dyn SuperOperations>,
    ) -> Arc<Self> {
        Self::new(s_type, get_anon_bdev(), s_root, s_flags, s_op)
    }

    /// `sget_fc()` + `fill_super`: the superblock of `s_dev`.
    pub fn new(
        s_type: &'static FileSystemType,
        s_dev: DevT,
        s_root: Arc<dyn Inode>,
        s_flags: u32,
        s_op: Arc<dyn SuperOperations>,
    ) -> Arc<Self> {
        Arc::new(Self {
            s_dev,
            s_type,
            s_root,
            s_flags: AtomicU32::new(s_flags & SB_CHANGEABLE),
            s_op,
        })
    }

    pub fn s_flags(&self) -> u32 {
        self.s_flags.load(Relaxed)
    }

    pub fn rdonly(&self) -> bool {
        self.s_flags() & SB_RDONLY != 0
    }

    /// `reconfigure_super()`: a remount's new flags and options.
    pub fn reconfigure(&self, flags: u32, data: &str) -> KResult<()> {
        if flags & SB_RDONLY == 0 && !self.s_op.writable() {
            return Err(Errno::EROFS);
        }
        self.s_op.reconfigure(data)?;
        self.s_flags.store(flags & SB_CHANGEABLE, Relaxed);
        Ok(())
    }

    /// `show_sb_opts()`: the superblock's flags after "ro" or "rw".
    pub fn show_sb_opts(&self, out: &mut String) {
        for (bit, name) in [
            (SB_SYNCHRONOUS, ",sync"),
            (SB_DIRSYNC, ",dirsync"),
            (SB_LAZYTIME, ",lazytime"),
        ] {
            if self.s_flags() & bit != 0 {
                out.push_str(name);
            }
        }
    }

    /// `show_sb_opts()` + `show_options`, after "ro" or "rw".
    pub fn show_opts(&self, out: &mut String) {
        self.show_sb_opts(out);
        self.s_op.show_options(out);
    }
}

impl Drop for SuperBlock {
    fn drop(&mut self) {
        self.s_op.kill_sb();
    }
}
