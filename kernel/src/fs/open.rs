//! The syscalls of fs/open.c: open and creat, truncate, access, chdir
//! and chroot, chmod and chown.

use alloc::sync::Arc;

use super::dcache::Path;
use super::file::{File, do_filp_open};
use super::namei::{getname, user_nd, user_path_at};
use super::{FileType, Iattr, current_time};
use crate::task::{current, current_files, current_fs};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{
    AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_CREAT, O_DIRECTORY,
    O_TMPFILE, O_TRUNC, O_WRONLY,
};

/// `do_sys_openat2()` for open, openat and creat: the new descriptor.
#[inline(never)]
pub fn do_sys_openat(dfd: i32, filename: u64, flags: u32, mode: u32) -> KResult<u64> {
    // `build_open_flags()`: O_CREAT with O_DIRECTORY is refused since
    // Linux 6.4; O_TMPFILE carries O_DIRECTORY.
    if flags & O_CREAT != 0 && flags & O_DIRECTORY != 0 && flags & O_TMPFILE != O_TMPFILE {
        return Err(Errno::EINVAL);
    }
    let name = getname(filename)?;
    let umask = current()
        .signal
        .umask
        .load(core::sync::atomic::Ordering::Relaxed);
    let mode = if flags & O_CREAT != 0 || flags & O_TMPFILE == O_TMPFILE {
        mode & 0o7777 & !umask
    } else {
        0
    };
    let file = do_filp_open(&mut user_nd(dfd, &name)?, &name, flags, mode)?;
    Ok(current_files().alloc_fd_from(file, 0, flags & O_CLOEXEC != 0)? as u64)
}

/// `creat()`.
pub fn sys_creat(pathname: u64, mode: u32) -> KResult<u64> {
    do_sys_openat(AT_FDCWD, pathname, O_CREAT | O_WRONLY | O_TRUNC, mode)
}

/// `notify_change()` on a path: EROFS on a read-only mount; the change
/// time moves.
fn notify_change(path: &Path, attr: &Iattr) -> KResult<()> {
    path.mnt.want_write()?;
    path.inode().setattr(attr)
}

/// `vfs_truncate()` / `do_truncate()`.
fn do_truncate(path: &Path, length: i64) -> KResult<u64> {
    let length = u64::try_from(length).map_err(|_| Errno::EINVAL)?;
    match path.inode().file_type() {
        FileType::Dir => return Err(Errno::EISDIR),
        FileType::Reg => {}
        _ => return Err(Errno::EINVAL),
    }
    notify_change(
        path,
        &Iattr {
            size: Some(length),
            ..Iattr::default()
        },
    )
    .map(|()| 0)
}

pub fn sys_truncate(pathname: u64, length: i64) -> KResult<u64> {
    let path = user_path_at(AT_FDCWD, pathname, 0, true)?;
    do_truncate(&path, length)
}

/// `do_sys_ftruncate()`: EINVAL unless a regular file open for writing.
pub fn sys_ftruncate(fd: i32, length: i64) -> KResult<u64> {
    let file = current_files().get(fd)?;
    if length < 0 {
        return Err(Errno::EINVAL);
    }
    if file.inode().file_type() != FileType::Reg || !file.writable() {
        return Err(Errno::EINVAL);
    }
    do_truncate(&file.f_path, length)
}

/// access(2)'s mode bits.
const F_OK: u32 = 0;
const X_OK: u32 = 1;
const W_OK: u32 = 2;
const R_OK: u32 = 4;

/// `do_faccessat()`: as root, everything but writing to a read-only
/// mount and executing a file without any execute bit.
pub fn sys_faccessat2(dfd: i32, filename: u64, mode: u32, flags: u32) -> KResult<u64> {
    if mode & !(F_OK | X_OK | W_OK | R_OK) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path_at(dfd, filename, flags, true)?;
    let inode = path.inode();
    let ftype = inode.file_type();
    if mode & W_OK != 0
        && matches!(ftype, FileType::Reg | FileType::Dir | FileType::Lnk)
        && path.mnt.is_readonly()
    {
        return Err(Errno::EROFS);
    }
    if mode & X_OK != 0 && ftype != FileType::Dir && inode.mode() & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

/// `chdir()`.
pub fn sys_chdir(filename: u64) -> KResult<u64> {
    let path = user_path_at(AT_FDCWD, filename, 0, true)?;
    if path.inode().file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    current_fs().set_pwd(path);
    Ok(0)
}

/// `fchdir()`.
pub fn sys_fchdir(fd: i32) -> KResult<u64> {
    let file = current_files().get(fd)?;
    if file.inode().file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    current_fs().set_pwd(file.f_path.clone());
    Ok(0)
}

/// `chroot()`.
pub fn sys_chroot(filename: u64) -> KResult<u64> {
    let path = user_path_at(AT_FDCWD, filename, 0, true)?;
    if path.inode().file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    current_fs().set_root(path);
    Ok(0)
}

/// `chmod_common()`: the permission bits change, the type stays.
fn chmod_common(path: &Path, mode: u32) -> KResult<u64> {
    notify_change(
        path,
        &Iattr {
            mode: Some(mode & 0o7777),
            ..Iattr::default()
        },
    )
    .map(|()| 0)
}

pub fn sys_fchmodat(dfd: i32, filename: u64, mode: u32) -> KResult<u64> {
    let path = user_path_at(dfd, filename, 0, true)?;
    chmod_common(&path, mode)
}

pub fn sys_fchmod(fd: i32, mode: u32) -> KResult<u64> {
    let file: Arc<File> = current_files().get(fd)?;
    chmod_common(&file.f_path, mode)
}

/// `chown_common()`: -1 leaves an id as it is.
fn chown_common(path: &Path, user: u32, group: u32) -> KResult<u64> {
    let id = |v: u32| (v != u32::MAX).then_some(v);
    notify_change(
        path,
        &Iattr {
            uid: id(user),
            gid: id(group),
            ..Iattr::default()
        },
    )
    .map(|()| 0)
}

/// `do_fchownat()`; chown and lchown are its two forms.
pub fn sys_fchownat(dfd: i32, filename: u64, user: u32, group: u32, flags: u32) -> KResult<u64> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path_at(dfd, filename, flags, true)?;
    chown_common(&path, user, group)
}

pub fn sys_fchown(fd: i32, user: u32, group: u32) -> KResult<u64> {
    let file = current_files().get(fd)?;
    chown_common(&file.f_path, user, group)
}

/// utimensat(2)'s special nanosecond values.
const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `do_utimes()` (fs/utimes.c): `times` NULL sets both to now; a NULL
/// name changes the file open at `dfd` (futimens).
pub fn sys_utimensat(dfd: i32, filename: u64, utimes: u64, flags: u32) -> KResult<u64> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let now = current_time();
    let (atime, mtime) = if utimes == 0 {
        (Some(now), Some(now))
    } else {
        let mut raw = [0u8; 32];
        crate::arch::x86_64::uaccess::copy_from_user(&mut raw, utimes)?;
        let w = |i: usize| i64::from_ne_bytes(raw[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        let pick = |sec: i64, nsec: i64| -> KResult<Option<super::Timespec64>> {
            match nsec {
                UTIME_OMIT => Ok(None),
                UTIME_NOW => Ok(Some(now)),
                0..=999_999_999 => Ok(Some(super::Timespec64 {
                    sec,
                    nsec: nsec as u32,
                })),
                _ => Err(Errno::EINVAL),
            }
        };
        (pick(w(0), w(1))?, pick(w(2), w(3))?)
    };
    let path = if filename == 0 {
        if flags & AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        current_files().get(dfd)?.f_path.clone()
    } else {
        user_path_at(dfd, filename, flags, true)?
    };
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    notify_change(
        &path,
        &Iattr {
            atime,
            mtime,
            ..Iattr::default()
        },
    )
    .map(|()| 0)
}
