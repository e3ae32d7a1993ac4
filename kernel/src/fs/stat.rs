//! The stat family (fs/stat.c): x86_64's `struct stat` and `struct statx`.

use super::Timespec64;
use super::dcache::Path;

/// x86_64 `struct stat` (arch/x86/include/uapi/asm/stat.h), 144 bytes.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub __pad0: i32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_times: [i64; 6],
    pub __unused: [i64; 3],
}

const _: () = assert!(core::mem::size_of::<Stat>() == 144);

/// `vfs_getattr()` → `cp_new_stat()`: the inode's attributes with the
/// device of the filesystem it is on.
pub fn vfs_getattr(path: &Path) -> Stat {
    let k = path.inode().getattr();
    let t = |t: Timespec64| [t.sec, i64::from(t.nsec)];
    let (a, m, c) = (t(k.atime), t(k.mtime), t(k.ctime));
    Stat {
        st_dev: path.mnt.mnt_sb.s_dev.encode(),
        st_ino: k.ino,
        st_nlink: u64::from(k.nlink),
        st_mode: k.mode,
        st_uid: k.uid,
        st_gid: k.gid,
        st_rdev: k.rdev.encode(),
        st_size: k.size as i64,
        st_blksize: i64::from(k.blksize),
        st_blocks: k.blocks as i64,
        st_times: [a[0], a[1], m[0], m[1], c[0], c[1]],
        ..Stat::default()
    }
}

/// `struct statx` mask bits this kernel fills (`STATX_BASIC_STATS`,
/// plus the mount id).
pub const STATX_BASIC_STATS: u32 = 0x7ff;
pub const STATX_MNT_ID: u32 = 0x1000;

/// `cp_statx()`: the 256-byte `struct statx`.
pub fn statx_bytes(path: &Path) -> [u8; 256] {
    let k = path.inode().getattr();
    let mut b = [0u8; 256];
    let mut put = |off: usize, bytes: &[u8]| b[off..off + bytes.len()].copy_from_slice(bytes);
    put(0, &(STATX_BASIC_STATS | STATX_MNT_ID).to_le_bytes());
    put(4, &k.blksize.to_le_bytes());
    // stx_attributes (8) stays 0.
    put(16, &k.nlink.to_le_bytes());
    put(20, &k.uid.to_le_bytes());
    put(24, &k.gid.to_le_bytes());
    put(28, &(k.mode as u16).to_le_bytes());
    put(32, &k.ino.to_le_bytes());
    put(40, &k.size.to_le_bytes());
    put(48, &k.blocks.to_le_bytes());
    // stx_attributes_mask (56) stays 0.
    for (off, t) in [(64, k.atime), (96, k.ctime), (112, k.mtime)] {
        put(off, &t.sec.to_le_bytes());
        put(off + 8, &t.nsec.to_le_bytes());
    }
    // stx_btime (80) is not recorded (STATX_BTIME is not in the mask).
    put(128, &k.rdev.major.to_le_bytes());
    put(132, &k.rdev.minor.to_le_bytes());
    let dev = path.mnt.mnt_sb.s_dev;
    put(136, &dev.major.to_le_bytes());
    put(140, &dev.minor.to_le_bytes());
    put(144, &u64::from(path.mnt.mnt_id).to_le_bytes());
    b
}

impl Stat {
    /// The bytes user space sees.
    pub fn as_bytes(&self) -> [u8; 144] {
        let mut out = [0u8; 144];
        let words: [u64; 18] = [
            self.st_dev,
            self.st_ino,
            self.st_nlink,
            u64::from(self.st_mode) | (u64::from(self.st_uid) << 32),
            u64::from(self.st_gid) | ((self.__pad0 as u32 as u64) << 32),
            self.st_rdev,
            self.st_size as u64,
            self.st_blksize as u64,
            self.st_blocks as u64,
            self.st_times[0] as u64,
            self.st_times[1] as u64,
            self.st_times[2] as u64,
            self.st_times[3] as u64,
            self.st_times[4] as u64,
            self.st_times[5] as u64,
            self.__unused[0] as u64,
            self.__unused[1] as u64,
            self.__unused[2] as u64,
        ];
        for (chunk, w) in out.as_chunks_mut::<8>().0.iter_mut().zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

#[cfg(target_os = "none")]
pub use sys::*;

/// The syscalls of fs/stat.c on the running task.
#[cfg(target_os = "none")]
mod sys {
    use alloc::vec;

    use super::{statx_bytes, vfs_getattr};
    use crate::arch::x86_64::uaccess::copy_to_user;
    use crate::fs::namei::{user_path_at, vfs_readlink};
    use crate::task::current_files;
    use crate::uapi::errno::{Errno, KResult};
    use crate::uapi::fcntl::{
        AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE, AT_SYMLINK_NOFOLLOW,
    };

    /// `vfs_fstatat()` → `cp_new_stat()`: stat, lstat and newfstatat.
    pub fn sys_newfstatat(dfd: i32, filename: u64, statbuf: u64, flags: u32) -> KResult<u64> {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL);
        }
        let path = user_path_at(dfd, filename, flags, true)?;
        copy_to_user(statbuf, &vfs_getattr(&path).as_bytes())?;
        Ok(0)
    }

    pub fn sys_stat(filename: u64, statbuf: u64) -> KResult<u64> {
        sys_newfstatat(AT_FDCWD, filename, statbuf, 0)
    }

    pub fn sys_lstat(filename: u64, statbuf: u64) -> KResult<u64> {
        sys_newfstatat(AT_FDCWD, filename, statbuf, AT_SYMLINK_NOFOLLOW)
    }

    pub fn sys_fstat(fd: i32, statbuf: u64) -> KResult<u64> {
        let file = current_files().get(fd)?;
        copy_to_user(statbuf, &vfs_getattr(&file.f_path).as_bytes())?;
        Ok(0)
    }

    /// `statx()`: every basic field is filled whatever `mask` asks
    /// (Linux may return more than asked); `STATX__RESERVED` is EINVAL.
    pub fn sys_statx(dfd: i32, filename: u64, flags: u32, mask: u32, buffer: u64) -> KResult<u64> {
        const STATX_RESERVED: u32 = 0x8000_0000;
        if mask & STATX_RESERVED != 0 {
            return Err(Errno::EINVAL);
        }
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)
            != 0
            || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        {
            return Err(Errno::EINVAL);
        }
        let path = user_path_at(dfd, filename, flags, true)?;
        copy_to_user(buffer, &statx_bytes(&path))?;
        Ok(0)
    }

    /// `do_readlinkat()`: the target without a NUL, cut to `bufsiz`.
    pub fn sys_readlinkat(dfd: i32, pathname: u64, buf: u64, bufsiz: i32) -> KResult<u64> {
        if bufsiz <= 0 {
            return Err(Errno::EINVAL);
        }
        let path = user_path_at(dfd, pathname, AT_EMPTY_PATH, false)?;
        let target = vfs_readlink(&path)?;
        let bytes = target.as_bytes();
        let n = bytes.len().min(bufsiz as usize);
        let out = vec::Vec::from(&bytes[..n]);
        copy_to_user(buf, &out)?;
        Ok(n as u64)
    }
}
