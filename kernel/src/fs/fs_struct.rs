//! A task's root and working directory (fs/fs_struct.c): shared by
//! CLONE_FS, copied otherwise.

use alloc::sync::Arc;

use super::dcache::Path;
use crate::sync::SpinLock;

/// `init_fs`: the namespace root as root and working directory, what
/// kernel threads and the first task start with.
pub fn init_fs() -> Arc<FsStruct> {
    static INIT_FS: spin::Once<Arc<FsStruct>> = spin::Once::new();
    INIT_FS
        .call_once(|| FsStruct::new(super::namespace::ns_root()))
        .clone()
}

/// `struct fs_struct`.
pub struct FsStruct {
    inner: SpinLock<(Path, Path)>,
}

impl FsStruct {
    /// Root and working directory both at `root` (`init_fs`).
    pub fn new(root: Path) -> Arc<Self> {
        Arc::new(Self {
            inner: SpinLock::new((root.clone(), root)),
        })
    }

    /// `copy_fs_struct()`.
    pub fn copy(&self) -> Arc<Self> {
        Arc::new(Self {
            inner: SpinLock::new(self.inner.lock_irqsave().clone()),
        })
    }

    /// `get_fs_root()`.
    pub fn root(&self) -> Path {
        self.inner.lock_irqsave().0.clone()
    }

    /// `get_fs_pwd()`.
    pub fn pwd(&self) -> Path {
        self.inner.lock_irqsave().1.clone()
    }

    /// `set_fs_root()`; the old path is dropped outside the lock.
    pub fn set_root(&self, path: Path) {
        let old = core::mem::replace(&mut self.inner.lock_irqsave().0, path);
        drop(old);
    }

    /// `set_fs_pwd()`.
    pub fn set_pwd(&self, path: Path) {
        let old = core::mem::replace(&mut self.inner.lock_irqsave().1, path);
        drop(old);
    }
}
