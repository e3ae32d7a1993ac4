//! Mounts (fs/namespace.c, fs/proc_namespace.c): the tree of mounted
//! filesystems every path walk crosses, mount(2) and umount2(2), and
//! /proc/mounts and /proc/self/mountinfo. There is one mount namespace
//! and every mount is private (no propagation).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::FileType;
use super::dcache::{Dentry, Path, d_path};
use super::filesystems::get_fs_type;
use super::super_block::{SB_RDONLY, SuperBlock};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// `mount(2)` flags (include/uapi/linux/mount.h).
pub const MS_RDONLY: u32 = 1;
pub const MS_NOSUID: u32 = 2;
pub const MS_NODEV: u32 = 4;
pub const MS_NOEXEC: u32 = 8;
pub const MS_SYNCHRONOUS: u32 = 16;
pub const MS_REMOUNT: u32 = 32;
pub const MS_MANDLOCK: u32 = 64;
pub const MS_DIRSYNC: u32 = 128;
pub const MS_NOSYMFOLLOW: u32 = 256;
pub const MS_NOATIME: u32 = 1024;
pub const MS_NODIRATIME: u32 = 2048;
pub const MS_BIND: u32 = 4096;
pub const MS_MOVE: u32 = 8192;
pub const MS_REC: u32 = 16384;
pub const MS_SILENT: u32 = 32768;
pub const MS_POSIXACL: u32 = 1 << 16;
pub const MS_UNBINDABLE: u32 = 1 << 17;
pub const MS_PRIVATE: u32 = 1 << 18;
pub const MS_SLAVE: u32 = 1 << 19;
pub const MS_SHARED: u32 = 1 << 20;
pub const MS_RELATIME: u32 = 1 << 21;
pub const MS_KERNMOUNT: u32 = 1 << 22;
pub const MS_I_VERSION: u32 = 1 << 23;
pub const MS_STRICTATIME: u32 = 1 << 24;
pub const MS_LAZYTIME: u32 = 1 << 25;
/// Old magic in the high half of the flags (`MS_MGC_VAL`).
const MS_MGC_MSK: u32 = 0xffff_0000;
const MS_MGC_VAL: u32 = 0xc0ed_0000;

/// Per-mount flags (`mnt_flags`).
pub const MNT_NOSUID: u32 = 0x01;
pub const MNT_NODEV: u32 = 0x02;
pub const MNT_NOEXEC: u32 = 0x04;
pub const MNT_NOATIME: u32 = 0x08;
pub const MNT_NODIRATIME: u32 = 0x10;
pub const MNT_RELATIME: u32 = 0x20;
pub const MNT_READONLY: u32 = 0x40;
pub const MNT_NOSYMFOLLOW: u32 = 0x80;

/// umount2(2) flags.
pub const MNT_FORCE: u32 = 1;
pub const MNT_DETACH: u32 = 2;
pub const MNT_EXPIRE: u32 = 4;
pub const UMOUNT_NOFOLLOW: u32 = 8;

/// `struct mount` / `struct vfsmount`.
pub struct VfsMount {
    pub mnt_id: u32,
    pub mnt_sb: Arc<SuperBlock>,
    /// The directory of the filesystem this mount shows (a bind mount's
    /// source, else the filesystem's root).
    pub mnt_root: Arc<Dentry>,
    mnt_flags: AtomicU32,
    /// The device name mount(2) was given (`mnt_devname`).
    pub mnt_devname: String,
    /// Where it is mounted; None for the root and for detached mounts.
    mnt_mountpoint: SpinLock<Option<Path>>,
}

impl VfsMount {
    fn new(sb: Arc<SuperBlock>, root: Arc<Dentry>, flags: u32, devname: &str) -> Arc<Self> {
        static NEXT_ID: AtomicU32 = AtomicU32::new(1);
        Arc::new(Self {
            mnt_id: NEXT_ID.fetch_add(1, Relaxed),
            mnt_sb: sb,
            mnt_root: root,
            mnt_flags: AtomicU32::new(flags),
            mnt_devname: String::from(devname),
            mnt_mountpoint: SpinLock::new(None),
        })
    }

    /// A mount not attached to the tree (`kern_mount()`), for pipes and
    /// other inodes without a name.
    pub fn kern_mount(sb: Arc<SuperBlock>) -> Arc<Self> {
        let root = Dentry::root(sb.s_root.clone());
        Self::new(sb, root, 0, "none")
    }

    pub fn mnt_flags(&self) -> u32 {
        self.mnt_flags.load(Relaxed)
    }

    /// The parent mount and dentry it is mounted on.
    pub fn mountpoint(&self) -> Option<Path> {
        self.mnt_mountpoint.lock_irqsave().clone()
    }

    /// `__mnt_is_readonly()`.
    pub fn is_readonly(&self) -> bool {
        self.mnt_flags() & MNT_READONLY != 0 || self.mnt_sb.rdonly()
    }

    /// `mnt_want_write()`: EROFS on a read-only mount.
    pub fn want_write(&self) -> KResult<()> {
        if self.is_readonly() {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// The mount's root as a path.
    pub fn root_path(self: &Arc<Self>) -> Path {
        Path {
            mnt: self.clone(),
            dentry: self.mnt_root.clone(),
        }
    }
}

/// The mounts of the namespace in the order they were made (the first
/// is the root).
static MOUNTS: SpinLock<Vec<Arc<VfsMount>>> = SpinLock::new(Vec::new());

/// `init_mount_tree()`: `sb` becomes `/`.
pub fn init_mount_tree(sb: Arc<SuperBlock>, devname: &str) -> Path {
    let root = Dentry::root(sb.s_root.clone());
    let mnt = VfsMount::new(sb, root, 0, devname);
    let mut mounts = MOUNTS.lock_irqsave();
    assert!(mounts.is_empty(), "the mount tree exists already");
    mounts.push(mnt.clone());
    mnt.root_path()
}

/// The namespace's root (`current->nsproxy->mnt_ns->root`).
pub fn ns_root() -> Path {
    MOUNTS.lock_irqsave()[0].root_path()
}

/// `lookup_mnt()`: the mount on top of `path`, if any (the last one made
/// wins when several are stacked).
pub fn lookup_mnt(path: &Path) -> Option<Arc<VfsMount>> {
    MOUNTS
        .lock_irqsave()
        .iter()
        .rev()
        .find(|m| {
            m.mnt_mountpoint
                .lock_irqsave()
                .as_ref()
                .is_some_and(|mp| mp.equal(path))
        })
        .cloned()
}

/// `follow_mount()`: down through every mount stacked on `path`.
pub fn follow_mount(mut path: Path) -> Path {
    while let Some(m) = lookup_mnt(&path) {
        path = m.root_path();
    }
    path
}

/// MS_* flags to `mnt_flags`; relatime unless noatime or strictatime.
fn mnt_flags_from(flags: u32) -> u32 {
    let mut m = 0;
    for (ms, mnt) in [
        (MS_NOSUID, MNT_NOSUID),
        (MS_NODEV, MNT_NODEV),
        (MS_NOEXEC, MNT_NOEXEC),
        (MS_NOATIME, MNT_NOATIME),
        (MS_NODIRATIME, MNT_NODIRATIME),
        (MS_RDONLY, MNT_READONLY),
        (MS_NOSYMFOLLOW, MNT_NOSYMFOLLOW),
    ] {
        if flags & ms != 0 {
            m |= mnt;
        }
    }
    if flags & (MS_NOATIME | MS_STRICTATIME) == 0 {
        m |= MNT_RELATIME;
    }
    m
}

/// Whether any mount sits on a dentry of `mnt`.
fn has_children(mounts: &[Arc<VfsMount>], mnt: &Arc<VfsMount>) -> bool {
    mounts.iter().any(|m| {
        m.mnt_mountpoint
            .lock_irqsave()
            .as_ref()
            .is_some_and(|mp| Arc::ptr_eq(&mp.mnt, mnt))
    })
}

/// `do_add_mount()`: attach `mnt` on `path` (already followed to the top).
fn graft_tree(mnt: Arc<VfsMount>, path: &Path) -> KResult<()> {
    if path.inode().file_type() != FileType::Dir
        && mnt.mnt_root.d_inode.file_type() == FileType::Dir
    {
        return Err(Errno::ENOTDIR);
    }
    *mnt.mnt_mountpoint.lock_irqsave() = Some(path.clone());
    MOUNTS.lock_irqsave().push(mnt);
    Ok(())
}

/// `path_mount()`: mount(2) once the target is looked up. `source_path`
/// is the looked-up source for bind and move mounts.
#[inline(never)]
pub fn path_mount(
    dev_name: &str,
    path: &Path,
    type_name: Option<&str>,
    flags: u32,
    data: &str,
    source_path: impl FnOnce() -> KResult<Path>,
) -> KResult<()> {
    let mut flags = flags;
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    // Flags that only steer the call (MS_SILENT) or have no effect here.
    let flags = flags & !(MS_SILENT | MS_KERNMOUNT | MS_I_VERSION | MS_POSIXACL | MS_MANDLOCK);
    let sb_flags = flags & (MS_RDONLY | MS_SYNCHRONOUS | MS_DIRSYNC | MS_LAZYTIME);
    if flags & MS_REMOUNT != 0 {
        // `do_remount()` / `do_reconfigure_mnt()`.
        if !path.is_mnt_root() {
            return Err(Errno::EINVAL);
        }
        let mnt = &path.mnt;
        if flags & MS_BIND != 0 {
            mnt.mnt_flags.store(mnt_flags_from(flags), Relaxed);
            return Ok(());
        }
        if mnt.mnt_sb.s_type.name == "rootfs" && flags & MS_RDONLY == 0 {
            // The initramfs root stays read-only (its data are the image).
            return Err(Errno::EROFS);
        }
        mnt.mnt_sb.reconfigure(sb_flags, data)?;
        mnt.mnt_flags
            .store(mnt_flags_from(flags) & !MNT_READONLY, Relaxed);
        return Ok(());
    }
    if flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE) != 0 {
        // `do_change_type()`: every mount is private already; sharing is
        // not implemented.
        if flags & (MS_SHARED | MS_SLAVE) != 0 {
            return Err(Errno::EINVAL);
        }
        return Ok(());
    }
    let target = follow_mount(path.clone());
    if flags & MS_BIND != 0 {
        // `do_loopback()`: the source's filesystem from its dentry.
        let old = source_path()?;
        let mnt = VfsMount::new(
            old.mnt.mnt_sb.clone(),
            old.dentry.clone(),
            mnt_flags_from(flags),
            &old.mnt.mnt_devname,
        );
        return graft_tree(mnt, &target);
    }
    if flags & MS_MOVE != 0 {
        // `do_move_mount()`.
        let old = source_path()?;
        if !old.is_mnt_root() || old.mnt.mountpoint().is_none() {
            return Err(Errno::EINVAL);
        }
        // Not into itself.
        let mut p = Some(target.clone());
        while let Some(q) = p {
            if Arc::ptr_eq(&q.mnt, &old.mnt) {
                return Err(Errno::ELOOP);
            }
            p = q.mnt.mountpoint();
        }
        *old.mnt.mnt_mountpoint.lock_irqsave() = Some(target);
        return Ok(());
    }
    // `do_new_mount()`.
    let type_name = type_name.ok_or(Errno::EINVAL)?;
    let fs = get_fs_type(type_name).ok_or(Errno::ENODEV)?;
    let sb = (fs.get_tree)(sb_flags, dev_name, data)?;
    let root = Dentry::root(sb.s_root.clone());
    let mnt = VfsMount::new(sb, root, mnt_flags_from(flags), dev_name);
    graft_tree(mnt, &target)
}

/// `path_umount()`: umount2(2) once the target is looked up.
#[inline(never)]
pub fn path_umount(path: Path, flags: u32) -> KResult<()> {
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    if !path.is_mnt_root() {
        return Err(Errno::EINVAL);
    }
    let mnt = path.mnt.clone();
    drop(path);
    let mut mounts = MOUNTS.lock_irqsave();
    let Some(at) = mounts.iter().position(|m| Arc::ptr_eq(m, &mnt)) else {
        return Err(Errno::EINVAL);
    };
    if at == 0 {
        // The root of the namespace.
        return Err(Errno::EBUSY);
    }
    if flags & MNT_EXPIRE != 0 {
        return Err(if flags & (MNT_FORCE | MNT_DETACH) != 0 {
            Errno::EINVAL
        } else {
            Errno::EAGAIN
        });
    }
    if flags & MNT_DETACH == 0 {
        // `propagate_mount_busy()`: children, or references beyond the
        // table's and this call's (open files, working directories).
        if has_children(&mounts, &mnt) || Arc::strong_count(&mnt) > 2 {
            return Err(Errno::EBUSY);
        }
        mounts.remove(at);
        *mnt.mnt_mountpoint.lock_irqsave() = None;
        return Ok(());
    }
    // `umount_tree()`: the mount and everything below it leave the tree;
    // paths into them keep working.
    let mut doomed = alloc::vec![mnt];
    let mut i = 0;
    while i < doomed.len() {
        let parent = doomed[i].clone();
        for m in mounts.iter() {
            let below = m
                .mnt_mountpoint
                .lock_irqsave()
                .as_ref()
                .is_some_and(|mp| Arc::ptr_eq(&mp.mnt, &parent));
            if below && !doomed.iter().any(|d| Arc::ptr_eq(d, m)) {
                doomed.push(m.clone());
            }
        }
        i += 1;
    }
    mounts.retain(|m| !doomed.iter().any(|d| Arc::ptr_eq(d, m)));
    drop(mounts);
    for m in doomed {
        *m.mnt_mountpoint.lock_irqsave() = None;
    }
    Ok(())
}

/// `mangle()`: the octal escapes /proc/mounts uses for space, tab,
/// newline and backslash.
fn mangle(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            ' ' | '\t' | '\n' | '\\' => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// `show_mnt_opts()`.
fn show_mnt_opts(out: &mut String, mnt: &VfsMount) {
    for (bit, name) in [
        (MNT_NOSUID, ",nosuid"),
        (MNT_NODEV, ",nodev"),
        (MNT_NOEXEC, ",noexec"),
        (MNT_NOATIME, ",noatime"),
        (MNT_NODIRATIME, ",nodiratime"),
        (MNT_RELATIME, ",relatime"),
        (MNT_NOSYMFOLLOW, ",nosymfollow"),
    ] {
        if mnt.mnt_flags() & bit != 0 {
            out.push_str(name);
        }
    }
}

/// The mounts visible from `root` with their mount points' names.
fn visible_mounts(root: &Path) -> Vec<(Arc<VfsMount>, String)> {
    let mounts = MOUNTS.lock_irqsave().clone();
    mounts
        .into_iter()
        .filter_map(|m| {
            let name = d_path(&m.root_path(), root);
            name.starts_with('/').then_some((m, name))
        })
        .collect()
}

/// `show_vfsmnt()`: /proc/mounts, one line per mount.
pub fn mounts_show(root: &Path, m: &mut String) -> core::fmt::Result {
    for (mnt, name) in visible_mounts(root) {
        mangle(m, &mnt.mnt_devname);
        m.push(' ');
        mangle(m, &name);
        m.push(' ');
        m.push_str(mnt.mnt_sb.s_type.name);
        m.push_str(if mnt.is_readonly() { " ro" } else { " rw" });
        // `show_vfsmnt()`: the filesystem's own options come last.
        mnt.mnt_sb.show_sb_opts(m);
        show_mnt_opts(m, &mnt);
        mnt.mnt_sb.s_op.show_options(m);
        m.push_str(" 0 0\n");
    }
    Ok(())
}

/// `show_mountinfo()`: /proc/PID/mountinfo.
pub fn mountinfo_show(root: &Path, m: &mut String) -> core::fmt::Result {
    for (mnt, name) in visible_mounts(root) {
        let parent = mnt.mountpoint().map_or(mnt.mnt_id, |p| p.mnt.mnt_id);
        let dev = mnt.mnt_sb.s_dev;
        write!(m, "{} {} {}:{} ", mnt.mnt_id, parent, dev.major, dev.minor)?;
        mangle(m, &bind_root_name(&mnt.mnt_root));
        m.push(' ');
        mangle(m, &name);
        m.push_str(if mnt.mnt_flags() & MNT_READONLY != 0 {
            " ro"
        } else {
            " rw"
        });
        show_mnt_opts(m, &mnt);
        m.push_str(" - ");
        m.push_str(mnt.mnt_sb.s_type.name);
        m.push(' ');
        mangle(m, &mnt.mnt_devname);
        m.push_str(if mnt.mnt_sb.s_flags() & SB_RDONLY != 0 {
            " ro"
        } else {
            " rw"
        });
        mnt.mnt_sb.show_opts(m);
        m.push('\n');
    }
    Ok(())
}

/// The name of a mount's root dentry within its filesystem ("/" unless
/// it is a bind mount of a subdirectory).
fn bind_root_name(root: &Arc<Dentry>) -> String {
    let mut names = Vec::new();
    let mut d = root.clone();
    while let Some(parent) = d.d_parent.clone() {
        names.push(d.d_name.clone());
        d = parent;
    }
    if names.is_empty() {
        return String::from("/");
    }
    let mut s = String::new();
    for n in names.iter().rev() {
        s.push('/');
        s.push_str(n);
    }
    s
}

#[cfg(target_os = "none")]
pub use sys::*;

/// mount(2) and umount2(2) on the running task.
#[cfg(target_os = "none")]
mod sys {
    use alloc::string::String;
    use alloc::vec;

    use super::{UMOUNT_NOFOLLOW, path_mount, path_umount};
    use crate::arch::x86_64::uaccess::strncpy_from_user;
    use crate::fs::namei::{getname, kern_path, user_path_at};
    use crate::mm::page::PAGE_SIZE;
    use crate::uapi::errno::{Errno, KResult};
    use crate::uapi::fcntl::{AT_FDCWD, AT_SYMLINK_NOFOLLOW};

    /// `copy_mount_string()`: None for a NULL pointer.
    fn copy_mount_string(user: u64) -> KResult<Option<String>> {
        if user == 0 {
            return Ok(None);
        }
        getname(user).map(Some).or_else(|e| match e {
            Errno::ENOENT => Ok(Some(String::new())),
            e => Err(e),
        })
    }

    /// `copy_mount_options()`: up to a page of option text (to its NUL).
    fn copy_mount_options(user: u64) -> KResult<String> {
        if user == 0 {
            return Ok(String::new());
        }
        let mut buf = vec![0u8; PAGE_SIZE as usize];
        let n = match strncpy_from_user(&mut buf, user) {
            Ok(n) => n,
            Err(Errno::ENAMETOOLONG) => buf.len(),
            Err(e) => return Err(e),
        };
        buf.truncate(n);
        String::from_utf8(buf).map_err(|_| Errno::EINVAL)
    }

    /// `mount()`.
    #[inline(never)]
    pub fn sys_mount(
        dev_name: u64,
        dir_name: u64,
        type_: u64,
        flags: u64,
        data: u64,
    ) -> KResult<u64> {
        let type_name = copy_mount_string(type_)?;
        let dev = copy_mount_string(dev_name)?.unwrap_or_default();
        let options = copy_mount_options(data)?;
        let path = user_path_at(AT_FDCWD, dir_name, 0, true)?;
        path_mount(
            &dev,
            &path,
            type_name.as_deref(),
            flags as u32,
            &options,
            || kern_path(&dev, true),
        )
        .map(|()| 0)
    }

    /// `ksys_umount()`.
    #[inline(never)]
    pub fn sys_umount(name: u64, flags: u32) -> KResult<u64> {
        let nofollow = if flags & UMOUNT_NOFOLLOW != 0 {
            AT_SYMLINK_NOFOLLOW
        } else {
            0
        };
        let path = user_path_at(AT_FDCWD, name, nofollow, true)?;
        path_umount(path, flags).map(|()| 0)
    }
}

/// mount(2) from inside the kernel, relative to the running task.
#[cfg(target_os = "none")]
pub fn kern_mount_at(source: &str, target: &str, fstype: &str) -> KResult<()> {
    let path = crate::fs::namei::kern_path(target, true)?;
    path_mount(source, &path, Some(fstype), 0, "", || Err(Errno::EINVAL))
}
