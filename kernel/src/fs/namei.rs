//! Path lookup and the directory-changing operations (fs/namei.c):
//! `link_path_walk` over the mount tree with `.`, `..` and symbolic
//! links, and `vfs_mkdir`, `vfs_unlink`, `vfs_rename` ... with Linux's
//! checks and errors. Every task runs as root, so permission bits are
//! not checked (CAP_DAC_OVERRIDE), except that only a file with an
//! execute bit can be executed.

use alloc::string::String;
use alloc::sync::Arc;

use super::dcache::{Dentry, Path, same_inode};
use super::namespace::{MNT_NOSYMFOLLOW, follow_mount};
use super::{DevT, FileType, Inode, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT};
use crate::uapi::errno::{Errno, KResult};

/// Linux's `PATH_MAX` and `NAME_MAX`.
pub const PATH_MAX: usize = 4096;
pub const NAME_MAX: usize = 255;
/// `MAXSYMLINKS`: links followed in one lookup before ELOOP.
pub const MAXSYMLINKS: usize = 40;

/// Where a lookup starts: the task's root (for absolute names and for
/// `..` at the top) and the directory relative names start from.
#[derive(Clone)]
pub struct Nameidata {
    pub root: Path,
    pub start: Path,
    /// Symbolic links followed so far (`nd->total_link_count`).
    links: usize,
}

/// What the last component of a name is (`LAST_NORM`, `LAST_DOT`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Last {
    Norm(String),
    Dot,
    DotDot,
    /// The name was `/` (`LAST_ROOT`).
    Root,
}

/// A parent directory and the last component (`filename_parentat`).
pub struct Parent {
    pub dir: Path,
    pub last: Last,
    /// The name ended in `/`.
    pub trailing_slash: bool,
}

impl Parent {
    /// The last component when it is a normal name.
    pub fn name(&self) -> Option<&str> {
        match &self.last {
            Last::Norm(n) => Some(n),
            _ => None,
        }
    }
}

impl Nameidata {
    pub fn new(root: Path, start: Path) -> Self {
        Self {
            root,
            start,
            links: 0,
        }
    }

    /// `follow_dotdot()`: up one directory, across mount points, never
    /// above the root.
    fn dotdot(&self, mut p: Path) -> Path {
        loop {
            if p.equal(&self.root) {
                return p;
            }
            if !p.is_mnt_root() {
                break;
            }
            match p.mnt.mountpoint() {
                Some(mp) => p = mp,
                None => return p,
            }
        }
        if let Some(parent) = p.dentry.d_parent.clone() {
            p.dentry = parent;
        }
        follow_mount(p)
    }

    /// `lookup_fast`/`lookup_slow` + `handle_mounts`: `name` in `dir`.
    fn lookup_one(&self, dir: &Path, name: &str) -> KResult<Path> {
        if dir.inode().file_type() != FileType::Dir {
            return Err(Errno::ENOTDIR);
        }
        let inode = dir.inode().lookup(name)?;
        Ok(follow_mount(Path {
            mnt: dir.mnt.clone(),
            dentry: Dentry::child(&dir.dentry, name, inode),
        }))
    }

    /// `pick_link()`: the target of the link at `link` (found in `dir`),
    /// resolved with every link in it followed.
    fn follow_link(&mut self, dir: &Path, link: &Path) -> KResult<Path> {
        self.links += 1;
        if self.links > MAXSYMLINKS {
            return Err(Errno::ELOOP);
        }
        if link.mnt.mnt_flags() & MNT_NOSYMFOLLOW != 0 {
            return Err(Errno::ELOOP);
        }
        if let Some(jump) = link.inode().jump_link() {
            return jump;
        }
        let target = link.inode().readlink()?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        let saved = core::mem::replace(&mut self.start, dir.clone());
        let r = self.walk(&target, true);
        self.start = saved;
        r
    }

    /// `link_path_walk()` to the parent of the last component.
    pub fn parent(&mut self, name: &str) -> KResult<Parent> {
        if name.is_empty() {
            return Err(Errno::ENOENT);
        }
        if name.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut cur = if name.starts_with('/') {
            self.root.clone()
        } else {
            self.start.clone()
        };
        let trailing_slash = name.ends_with('/');
        let mut comps = name.split('/').filter(|c| !c.is_empty()).peekable();
        let mut last = Last::Root;
        while let Some(c) = comps.next() {
            if c.len() > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            let this = match c {
                "." => Last::Dot,
                ".." => Last::DotDot,
                c => Last::Norm(String::from(c)),
            };
            if comps.peek().is_none() {
                last = this;
                break;
            }
            cur = match this {
                Last::Dot => cur,
                Last::DotDot => self.dotdot(cur),
                Last::Norm(c) => {
                    let next = self.lookup_one(&cur, &c)?;
                    if next.inode().file_type() == FileType::Lnk {
                        self.follow_link(&cur, &next)?
                    } else {
                        next
                    }
                }
                Last::Root => unreachable!("a component is never the root"),
            };
            if cur.inode().file_type() != FileType::Dir {
                return Err(Errno::ENOTDIR);
            }
        }
        if cur.inode().file_type() != FileType::Dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(Parent {
            dir: cur,
            last,
            trailing_slash,
        })
    }

    /// The last component of a parent lookup, following a final symbolic
    /// link if `follow` (or a trailing slash) asks.
    pub fn last(&mut self, p: &Parent, follow: bool) -> KResult<Path> {
        let found = match &p.last {
            Last::Root | Last::Dot => p.dir.clone(),
            Last::DotDot => self.dotdot(p.dir.clone()),
            Last::Norm(n) => {
                let next = self.lookup_one(&p.dir, n)?;
                if next.inode().file_type() == FileType::Lnk && (follow || p.trailing_slash) {
                    self.follow_link(&p.dir, &next)?
                } else {
                    next
                }
            }
        };
        if p.trailing_slash && found.inode().file_type() != FileType::Dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(found)
    }

    /// `path_lookupat()`: the path `name` names.
    pub fn walk(&mut self, name: &str, follow: bool) -> KResult<Path> {
        let p = self.parent(name)?;
        self.last(&p, follow)
    }
}

/// A parent lookup for an operation that makes or removes a name: the
/// name must be a normal component on a writable mount.
fn parent_for_change(nd: &mut Nameidata, name: &str, dot_err: Errno) -> KResult<(Parent, String)> {
    let p = nd.parent(name)?;
    let Some(last) = p.name().map(String::from) else {
        return Err(dot_err);
    };
    p.dir.mnt.want_write()?;
    Ok((p, last))
}

/// `do_mkdirat()` → `vfs_mkdir()`.
#[inline(never)]
pub fn do_mkdirat(nd: &mut Nameidata, name: &str, mode: u32) -> KResult<()> {
    let (p, last) = parent_for_change(nd, name, Errno::EEXIST).map_err(|e| match e {
        // A name that exists is EEXIST even on a read-only mount.
        Errno::EROFS if nd.walk(name, false).is_ok() => Errno::EEXIST,
        e => e,
    })?;
    if p.dir.inode().lookup(&last).is_ok() {
        return Err(Errno::EEXIST);
    }
    p.dir.inode().mkdir(&last, mode & 0o7777)
}

/// `do_rmdir()` → `vfs_rmdir()`.
#[inline(never)]
pub fn do_rmdir(nd: &mut Nameidata, name: &str) -> KResult<()> {
    let p = nd.parent(name)?;
    let last = match &p.last {
        Last::Norm(n) => n.clone(),
        Last::Dot => return Err(Errno::EINVAL),
        Last::DotDot => return Err(Errno::ENOTEMPTY),
        Last::Root => return Err(Errno::EBUSY),
    };
    p.dir.mnt.want_write()?;
    let victim = nd.lookup_one(&p.dir, &last)?;
    if victim.inode().file_type() != FileType::Dir {
        return Err(Errno::ENOTDIR);
    }
    // A mount point, or a mount's root: busy.
    if !Arc::ptr_eq(&victim.mnt, &p.dir.mnt) {
        return Err(Errno::EBUSY);
    }
    p.dir.inode().rmdir(&last)
}

/// `do_unlinkat()` → `vfs_unlink()`.
#[inline(never)]
pub fn do_unlinkat(nd: &mut Nameidata, name: &str) -> KResult<()> {
    let p = nd.parent(name)?;
    let Some(last) = p.name().map(String::from) else {
        return Err(Errno::EISDIR);
    };
    p.dir.mnt.want_write()?;
    let victim = nd.lookup_one(&p.dir, &last)?;
    let ftype = victim.inode().file_type();
    if ftype == FileType::Dir {
        return Err(Errno::EISDIR);
    }
    if p.trailing_slash {
        return Err(Errno::ENOTDIR);
    }
    if !Arc::ptr_eq(&victim.mnt, &p.dir.mnt) {
        return Err(Errno::EBUSY);
    }
    p.dir.inode().unlink(&last)
}

/// `do_symlinkat()` → `vfs_symlink()`.
#[inline(never)]
pub fn do_symlinkat(nd: &mut Nameidata, target: &str, name: &str) -> KResult<()> {
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (p, last) = parent_for_change(nd, name, Errno::EEXIST)?;
    if p.dir.inode().lookup(&last).is_ok() {
        return Err(Errno::EEXIST);
    }
    if p.trailing_slash {
        return Err(Errno::ENOENT);
    }
    p.dir.inode().symlink(&last, target)
}

/// `do_mknodat()` → `vfs_mknod()`: regular files, devices, FIFOs and
/// sockets (`mode` carries the type; none means a regular file).
#[inline(never)]
pub fn do_mknodat(nd: &mut Nameidata, name: &str, mode: u32, dev: DevT) -> KResult<()> {
    let mode = if mode & super::S_IFMT == 0 {
        mode | super::S_IFREG
    } else {
        mode
    };
    let ftype = FileType::from_mode(mode).ok_or(Errno::EINVAL)?;
    if ftype == FileType::Dir || ftype == FileType::Lnk {
        return Err(Errno::EINVAL);
    }
    let (p, last) = parent_for_change(nd, name, Errno::EEXIST)?;
    if p.dir.inode().lookup(&last).is_ok() {
        return Err(Errno::EEXIST);
    }
    if ftype == FileType::Reg {
        return p.dir.inode().create(&last, mode & 0o7777).map(|_| ());
    }
    p.dir.inode().mknod(&last, mode, dev)
}

/// `do_linkat()` → `vfs_link()`: `old` (already looked up) gets the new
/// name `name`.
#[inline(never)]
pub fn do_linkat(nd: &mut Nameidata, old: &Path, name: &str) -> KResult<()> {
    let (p, last) = parent_for_change(nd, name, Errno::EEXIST)?;
    if !Arc::ptr_eq(&p.dir.mnt, &old.mnt) {
        return Err(Errno::EXDEV);
    }
    if old.inode().file_type() == FileType::Dir {
        return Err(Errno::EPERM);
    }
    if p.dir.inode().lookup(&last).is_ok() {
        return Err(Errno::EEXIST);
    }
    if p.trailing_slash {
        return Err(Errno::ENOENT);
    }
    p.dir.inode().link(&last, old.inode())
}

/// Whether `dir` is `ancestor` or below it (same mount).
fn is_subdir(dir: &Path, ancestor: &Arc<dyn Inode>) -> bool {
    let mut d = Some(dir.dentry.clone());
    while let Some(x) = d {
        if same_inode(&x.d_inode, ancestor) {
            return true;
        }
        d = x.d_parent.clone();
    }
    false
}

/// `do_renameat2()` → `vfs_rename()` with Linux's checks: same mount
/// (EXDEV), not `.`/`..` (EBUSY), no directory moved below itself
/// (EINVAL), type agreement with what is replaced (EISDIR, ENOTDIR),
/// RENAME_NOREPLACE (EEXIST) and RENAME_EXCHANGE (ENOENT).
#[inline(never)]
pub fn do_renameat2(
    old_nd: &mut Nameidata,
    oldname: &str,
    new_nd: &mut Nameidata,
    newname: &str,
    flags: u32,
) -> KResult<()> {
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_WHITEOUT != 0 {
        // Whiteouts are an overlayfs matter; tmpfs's are not offered.
        return Err(Errno::EINVAL);
    }
    let op = old_nd.parent(oldname)?;
    let np = new_nd.parent(newname)?;
    if !Arc::ptr_eq(&op.dir.mnt, &np.dir.mnt) {
        return Err(Errno::EXDEV);
    }
    let (Some(old), Some(new)) = (op.name(), np.name()) else {
        return Err(Errno::EBUSY);
    };
    op.dir.mnt.want_write()?;
    let source = old_nd.lookup_one(&op.dir, old)?;
    let target = new_nd.lookup_one(&np.dir, new).ok();
    let sdir = source.inode().file_type() == FileType::Dir;
    if (op.trailing_slash || np.trailing_slash) && !sdir {
        return Err(Errno::ENOTDIR);
    }
    if !Arc::ptr_eq(&source.mnt, &op.dir.mnt)
        || target
            .as_ref()
            .is_some_and(|t| !Arc::ptr_eq(&t.mnt, &np.dir.mnt))
    {
        return Err(Errno::EBUSY);
    }
    if flags & RENAME_EXCHANGE != 0 && target.is_none() {
        return Err(Errno::ENOENT);
    }
    if let Some(t) = &target {
        if flags & RENAME_NOREPLACE != 0 {
            return Err(Errno::EEXIST);
        }
        if same_inode(t.inode(), source.inode()) {
            // Two names of one file: nothing to do.
            return Ok(());
        }
        let tdir = t.inode().file_type() == FileType::Dir;
        if flags & RENAME_EXCHANGE == 0 {
            if sdir && !tdir {
                return Err(Errno::ENOTDIR);
            }
            if !sdir && tdir {
                return Err(Errno::EISDIR);
            }
        } else if tdir && is_subdir(&op.dir, t.inode()) {
            return Err(Errno::EINVAL);
        }
    }
    if sdir && is_subdir(&np.dir, source.inode()) {
        return Err(Errno::EINVAL);
    }
    op.dir.inode().rename(old, np.dir.inode(), new, flags)
}

/// `vfs_readlink()`: ENOENT or EINVAL as Linux gives them.
pub fn vfs_readlink(path: &Path) -> KResult<String> {
    if path.inode().file_type() != FileType::Lnk {
        return Err(Errno::EINVAL);
    }
    path.inode().readlink()
}

#[cfg(target_os = "none")]
pub use sys::*;

/// The syscalls of fs/namei.c on the running task.
#[cfg(target_os = "none")]
mod sys {
    use alloc::string::String;
    use alloc::vec;

    use super::super::dcache::Path;
    use super::super::{DevT, FileType};
    use super::{
        Nameidata, PATH_MAX, do_linkat, do_mkdirat, do_mknodat, do_renameat2, do_rmdir,
        do_symlinkat, do_unlinkat,
    };
    use crate::arch::x86_64::uaccess::strncpy_from_user;
    use crate::task::{current, current_files, current_fs};
    use crate::uapi::errno::{Errno, KResult};
    use crate::uapi::fcntl::{
        AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW,
    };

    /// `getname_flags()`: a path from user space (ENAMETOOLONG at
    /// PATH_MAX, ENOENT when empty unless `empty_ok`).
    pub fn getname_flags(user: u64, empty_ok: bool) -> KResult<String> {
        let mut buf = vec![0u8; PATH_MAX];
        let n = strncpy_from_user(&mut buf, user)?;
        if n == 0 && !empty_ok {
            return Err(Errno::ENOENT);
        }
        buf.truncate(n);
        String::from_utf8(buf).map_err(|_| Errno::ENOENT)
    }

    /// `getname()`.
    pub fn getname(user: u64) -> KResult<String> {
        getname_flags(user, false)
    }

    /// The directory a relative name starts from: the working directory
    /// for AT_FDCWD, else the directory open at `dfd`.
    fn dfd_path(dfd: i32) -> KResult<Path> {
        if dfd == AT_FDCWD {
            return Ok(current_fs().pwd());
        }
        Ok(current_files().get(dfd)?.f_path.clone())
    }

    /// `set_nameidata()` + `path_init()` for the running task.
    pub fn user_nd(dfd: i32, name: &str) -> KResult<Nameidata> {
        let fs = current_fs();
        let start = if name.starts_with('/') {
            fs.root()
        } else {
            let start = dfd_path(dfd)?;
            if start.inode().file_type() != FileType::Dir {
                return Err(Errno::ENOTDIR);
            }
            start
        };
        Ok(Nameidata::new(fs.root(), start))
    }

    /// A name relative to the running task (`kern_path`).
    pub fn kern_path(name: &str, follow: bool) -> KResult<Path> {
        user_nd(AT_FDCWD, name)?.walk(name, follow)
    }

    /// `user_path_at()`: AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH (the
    /// descriptor itself) as the *at() calls take them.
    pub fn user_path_at(dfd: i32, user: u64, flags: u32, follow: bool) -> KResult<Path> {
        let name = getname_flags(user, flags & AT_EMPTY_PATH != 0)?;
        if name.is_empty() {
            return dfd_path(dfd);
        }
        let follow = follow && flags & AT_SYMLINK_NOFOLLOW == 0;
        user_nd(dfd, &name)?.walk(&name, follow)
    }

    /// The umask applied to a new file's mode.
    fn apply_umask(mode: u32) -> u32 {
        mode & !current()
            .signal
            .umask
            .load(core::sync::atomic::Ordering::Relaxed)
            & 0o7777
    }

    pub fn sys_mkdirat(dfd: i32, pathname: u64, mode: u32) -> KResult<u64> {
        let name = getname(pathname)?;
        do_mkdirat(&mut user_nd(dfd, &name)?, &name, apply_umask(mode)).map(|()| 0)
    }

    pub fn sys_rmdir(pathname: u64) -> KResult<u64> {
        let name = getname(pathname)?;
        do_rmdir(&mut user_nd(AT_FDCWD, &name)?, &name).map(|()| 0)
    }

    /// `unlinkat()`: AT_REMOVEDIR makes it rmdir.
    pub fn sys_unlinkat(dfd: i32, pathname: u64, flags: u32) -> KResult<u64> {
        if flags & !AT_REMOVEDIR != 0 {
            return Err(Errno::EINVAL);
        }
        let name = getname(pathname)?;
        let mut nd = user_nd(dfd, &name)?;
        if flags & AT_REMOVEDIR != 0 {
            do_rmdir(&mut nd, &name)
        } else {
            do_unlinkat(&mut nd, &name)
        }
        .map(|()| 0)
    }

    pub fn sys_symlinkat(oldname: u64, newdfd: i32, newname: u64) -> KResult<u64> {
        let target = getname(oldname)?;
        let name = getname(newname)?;
        do_symlinkat(&mut user_nd(newdfd, &name)?, &target, &name).map(|()| 0)
    }

    /// `linkat()`: the old name's final link is followed only with
    /// AT_SYMLINK_FOLLOW.
    pub fn sys_linkat(
        olddfd: i32,
        oldname: u64,
        newdfd: i32,
        newname: u64,
        flags: u32,
    ) -> KResult<u64> {
        if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL);
        }
        let nofollow = if flags & AT_SYMLINK_FOLLOW != 0 {
            0
        } else {
            AT_SYMLINK_NOFOLLOW
        };
        let old = user_path_at(olddfd, oldname, nofollow | (flags & AT_EMPTY_PATH), true)?;
        let name = getname(newname)?;
        do_linkat(&mut user_nd(newdfd, &name)?, &old, &name).map(|()| 0)
    }

    pub fn sys_renameat2(
        olddfd: i32,
        oldname: u64,
        newdfd: i32,
        newname: u64,
        flags: u32,
    ) -> KResult<u64> {
        let old = getname(oldname)?;
        let new = getname(newname)?;
        let mut old_nd = user_nd(olddfd, &old)?;
        let mut new_nd = user_nd(newdfd, &new)?;
        do_renameat2(&mut old_nd, &old, &mut new_nd, &new, flags).map(|()| 0)
    }

    pub fn sys_mknodat(dfd: i32, filename: u64, mode: u32, dev: u64) -> KResult<u64> {
        let name = getname(filename)?;
        let mode = (mode & super::super::S_IFMT) | apply_umask(mode);
        do_mknodat(&mut user_nd(dfd, &name)?, &name, mode, DevT::decode(dev)).map(|()| 0)
    }
}
