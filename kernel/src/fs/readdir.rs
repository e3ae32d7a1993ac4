//! getdents64 (fs/readdir.c): directory entries as `struct
//! linux_dirent64` records, `.` and `..` first.
//!
//! A directory's file position is a cookie: 0 and 1 stand for `.` and
//! `..`, then each entry's own offset if its filesystem keeps stable
//! ones (tmpfs), else its index + 2. Entries added or removed between
//! two calls do not make a reader skip or repeat the others on a
//! filesystem with stable offsets.

use alloc::vec::Vec;

use super::FileType;
use crate::arch::x86_64::uaccess::copy_to_user;
use crate::task::current_files;
use crate::uapi::errno::{Errno, KResult};

/// `getdents64()`.
#[inline(never)]
pub fn sys_getdents64(fd: i32, dirent: u64, count: u32) -> KResult<u64> {
    let file = current_files().get(fd)?;
    if !file.readable() {
        return Err(Errno::EBADF);
    }
    let dir = file.inode();
    if dir.file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    let parent_ino = match &file.f_path.dentry.d_parent {
        Some(p) if !file.f_path.is_mnt_root() => p.d_inode.ino(),
        _ => file
            .f_path
            .mnt
            .mountpoint()
            .and_then(|mp| mp.dentry.d_parent.clone().map(|p| p.d_inode.ino()))
            .unwrap_or(dir.ino()),
    };
    let entries = dir.readdir()?;
    let mut out: Vec<u8> = Vec::new();
    let mut pos = file.dir_pos();
    let dots = [
        (0, ".", dir.ino(), FileType::Dir),
        (1, "..", parent_ino, FileType::Dir),
    ];
    let rest = entries.iter().enumerate().map(|(i, e)| {
        let key = if e.off != 0 { e.off } else { i as u64 + 2 };
        (key, e.name.as_str(), e.ino, e.ftype)
    });
    for (key, name, ino, ftype) in dots.into_iter().chain(rest) {
        if key < *pos {
            continue;
        }
        // d_ino, d_off, d_reclen, d_type, then the name and its NUL,
        // padded to 8 bytes.
        let reclen = (19 + name.len() + 1).next_multiple_of(8);
        if out.len() + reclen > count as usize {
            if out.is_empty() {
                return Err(Errno::EINVAL);
            }
            break;
        }
        let start = out.len();
        out.extend_from_slice(&ino.to_ne_bytes());
        out.extend_from_slice(&(key + 1).to_ne_bytes());
        out.extend_from_slice(&(reclen as u16).to_ne_bytes());
        out.push(ftype.dt_type());
        out.extend_from_slice(name.as_bytes());
        out.resize(start + reclen, 0);
        *pos = key + 1;
    }
    copy_to_user(dirent, &out)?;
    Ok(out.len() as u64)
}
