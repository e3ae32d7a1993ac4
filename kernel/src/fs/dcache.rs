//! Directory entries (fs/dcache.c) and path names (fs/d_path.c).
//!
//! A `Dentry` names an inode in its parent. There is no dentry cache:
//! each lookup makes a new dentry, and what identifies a directory (a
//! mount point, a task's root) is its inode. A dentry keeps its parent
//! alive, so a working directory can always be named, as Linux's can
//! (a directory renamed after it was entered keeps its old name here).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::Inode;
use super::namespace::VfsMount;

/// `struct dentry`.
pub struct Dentry {
    pub d_name: String,
    /// None at the root of a filesystem.
    pub d_parent: Option<Arc<Dentry>>,
    pub d_inode: Arc<dyn Inode>,
}

impl Dentry {
    /// `d_make_root()`.
    pub fn root(inode: Arc<dyn Inode>) -> Arc<Self> {
        Arc::new(Self {
            d_name: String::from("/"),
            d_parent: None,
            d_inode: inode,
        })
    }

    /// `d_alloc()` + `d_add()`: `name` in `parent`, standing for `inode`.
    pub fn child(parent: &Arc<Dentry>, name: &str, inode: Arc<dyn Inode>) -> Arc<Self> {
        Arc::new(Self {
            d_name: String::from(name),
            d_parent: Some(parent.clone()),
            d_inode: inode,
        })
    }

    /// Whether both name the same inode.
    pub fn same_inode(&self, other: &Dentry) -> bool {
        same_inode(&self.d_inode, &other.d_inode)
    }
}

/// Inode identity: the same object.
pub fn same_inode(a: &Arc<dyn Inode>, b: &Arc<dyn Inode>) -> bool {
    core::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// `struct path`: a dentry on a mount.
#[derive(Clone)]
pub struct Path {
    pub mnt: Arc<VfsMount>,
    pub dentry: Arc<Dentry>,
}

impl Path {
    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.dentry.d_inode
    }

    /// `path_equal()`.
    pub fn equal(&self, other: &Path) -> bool {
        Arc::ptr_eq(&self.mnt, &other.mnt) && self.dentry.same_inode(&other.dentry)
    }

    /// Whether this is the root of its mount.
    pub fn is_mnt_root(&self) -> bool {
        self.dentry.same_inode(&self.mnt.mnt_root)
    }
}

/// `prepend_path()`: the components from `root` down to `path`; None if
/// `path` is not under `root` (it was reached through a mount that has
/// since been detached, or lies outside a chroot).
fn prepend_path(path: &Path, root: &Path) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut p = path.clone();
    while !p.equal(root) {
        if p.is_mnt_root() {
            p = p.mnt.mountpoint()?;
            continue;
        }
        let parent = p.dentry.d_parent.clone()?;
        names.push(p.dentry.d_name.clone());
        p.dentry = parent;
    }
    names.reverse();
    Some(names)
}

/// `d_path()`: the name of `path` as seen from `root`; a removed file
/// gets Linux's " (deleted)" suffix.
pub fn d_path(path: &Path, root: &Path) -> String {
    let mut s = String::new();
    match prepend_path(path, root) {
        Some(names) if names.is_empty() => s.push('/'),
        Some(names) => {
            for n in names {
                s.push('/');
                s.push_str(&n);
            }
        }
        // Unreachable from the root: the name within its own mount.
        None => s.push_str(&path.dentry.d_name),
    }
    if path.inode().getattr().nlink == 0 {
        s.push_str(" (deleted)");
    }
    s
}

/// `getcwd()`'s view: the name, or None (ENOENT) when the directory was
/// removed or is not reachable from the root.
pub fn d_path_cwd(pwd: &Path, root: &Path) -> Option<String> {
    if pwd.inode().getattr().nlink == 0 {
        return None;
    }
    let names = prepend_path(pwd, root)?;
    if names.is_empty() {
        return Some(String::from("/"));
    }
    let mut s = String::new();
    for n in names {
        s.push('/');
        s.push_str(&n);
    }
    Some(s)
}

/// `getcwd()` (fs/d_path.c): the name with its NUL; ENOENT for a
/// removed directory, ERANGE when `size` is too small.
#[cfg(target_os = "none")]
pub fn sys_getcwd(buf: u64, size: u64) -> crate::uapi::errno::KResult<u64> {
    use crate::uapi::errno::Errno;
    let fs = crate::task::current_fs();
    let name = d_path_cwd(&fs.pwd(), &fs.root()).ok_or(Errno::ENOENT)?;
    let mut bytes = name.into_bytes();
    bytes.push(0);
    if bytes.len() as u64 > size {
        return Err(Errno::ERANGE);
    }
    crate::arch::x86_64::uaccess::copy_to_user(buf, &bytes)?;
    Ok(bytes.len() as u64)
}
