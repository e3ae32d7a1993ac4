//! statfs and fstatfs (fs/statfs.c).

use super::dcache::Path;
use super::namespace::{
    MNT_NOATIME, MNT_NODEV, MNT_NODIRATIME, MNT_NOEXEC, MNT_NOSUID, MNT_NOSYMFOLLOW, MNT_READONLY,
    MNT_RELATIME,
};
use crate::arch::x86_64::uaccess::copy_to_user;
use crate::fs::namei::user_path_at;
use crate::task::current_files;
use crate::uapi::errno::KResult;
use crate::uapi::fcntl::AT_FDCWD;

/// `calculate_f_flags()`: the ST_* bits of the mount.
fn calculate_f_flags(path: &Path) -> u64 {
    const ST_RDONLY: u64 = 0x0001;
    const ST_NOSUID: u64 = 0x0002;
    const ST_NODEV: u64 = 0x0004;
    const ST_NOEXEC: u64 = 0x0008;
    const ST_NOATIME: u64 = 0x0400;
    const ST_NODIRATIME: u64 = 0x0800;
    const ST_RELATIME: u64 = 0x1000;
    const ST_NOSYMFOLLOW: u64 = 0x2000;
    const ST_VALID: u64 = 0x0020;
    let m = path.mnt.mnt_flags();
    let mut f = ST_VALID;
    if path.mnt.is_readonly() || m & MNT_READONLY != 0 {
        f |= ST_RDONLY;
    }
    for (bit, st) in [
        (MNT_NOSUID, ST_NOSUID),
        (MNT_NODEV, ST_NODEV),
        (MNT_NOEXEC, ST_NOEXEC),
        (MNT_NOATIME, ST_NOATIME),
        (MNT_NODIRATIME, ST_NODIRATIME),
        (MNT_RELATIME, ST_RELATIME),
        (MNT_NOSYMFOLLOW, ST_NOSYMFOLLOW),
    ] {
        if m & bit != 0 {
            f |= st;
        }
    }
    f
}

/// `vfs_statfs()` → x86_64 `struct statfs`.
fn do_statfs(path: &Path, buf: u64) -> KResult<u64> {
    let st = path.mnt.mnt_sb.s_op.statfs();
    copy_to_user(
        buf,
        &st.to_user(path.mnt.mnt_sb.s_dev, calculate_f_flags(path)),
    )?;
    Ok(0)
}

pub fn sys_statfs(pathname: u64, buf: u64) -> KResult<u64> {
    do_statfs(&user_path_at(AT_FDCWD, pathname, 0, true)?, buf)
}

pub fn sys_fstatfs(fd: i32, buf: u64) -> KResult<u64> {
    do_statfs(&current_files().get(fd)?.f_path, buf)
}
