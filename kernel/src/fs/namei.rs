//! Path lookup and directory syscalls (fs/namei.c). Paths are resolved
//! lexically from `/`: `.` is skipped and `..` drops the previous
//! component (no symlinks exist).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{FileType, Inode, root};
use crate::uapi::errno::{Errno, KResult};

/// Linux's `PATH_MAX` and `NAME_MAX`.
pub const PATH_MAX: usize = 4096;
pub const NAME_MAX: usize = 255;

/// The components of `path` after `.` and `..` are applied.
pub fn path_components(path: &str) -> KResult<Vec<&str>> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let mut comps: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                comps.pop();
            }
            c if c.len() > NAME_MAX => return Err(Errno::ENAMETOOLONG),
            c => comps.push(c),
        }
    }
    Ok(comps)
}

fn walk(comps: &[&str]) -> KResult<Arc<dyn Inode>> {
    let mut inode = root().clone();
    for c in comps {
        if inode.file_type() != FileType::Dir {
            return Err(Errno::ENOTDIR);
        }
        inode = inode.lookup(c)?;
    }
    Ok(inode)
}

/// `path_lookupat()`: the inode `path` names.
pub fn path_lookup(path: &str) -> KResult<Arc<dyn Inode>> {
    let comps = path_components(path)?;
    let inode = walk(&comps)?;
    // A trailing slash demands a directory.
    if path.ends_with('/') && inode.file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    Ok(inode)
}

/// The parent directory of `path` and the last component's name.
fn lookup_parent(path: &str) -> KResult<(Arc<dyn Inode>, &str)> {
    let comps = path_components(path)?;
    let (&name, parent) = comps.split_last().ok_or(Errno::EBUSY)?;
    let dir = walk(parent)?;
    if dir.file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    Ok((dir, name))
}

/// `do_mkdirat()`.
pub fn do_mkdirat(path: &str) -> KResult<()> {
    let (dir, name) = lookup_parent(path)?;
    if dir.lookup(name).is_ok() {
        return Err(Errno::EEXIST);
    }
    dir.mkdir(name)
}

/// `do_rmdir()`.
pub fn do_rmdir(path: &str) -> KResult<()> {
    if path.trim_end_matches('/').ends_with("/.") || path == "." {
        return Err(Errno::EINVAL);
    }
    let (dir, name) = lookup_parent(path)?;
    let victim = dir.lookup(name)?;
    if victim.file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    dir.rmdir(name)
}
