//! Filesystem types (fs/filesystems.c): what mount(2)'s type argument
//! names, and /proc/filesystems.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::super_block::SuperBlock;
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// `FS_REQUIRES_DEV`: the source names a block device.
pub const FS_REQUIRES_DEV: u32 = 1;

/// `struct file_system_type` with its `get_tree`: makes (or, for single
/// instance filesystems, finds) the superblock a mount uses.
pub struct FileSystemType {
    pub name: &'static str,
    pub fs_flags: u32,
    /// `(sb flags, source, option string)` → the superblock.
    pub get_tree: fn(u32, &str, &str) -> KResult<Arc<SuperBlock>>,
}

static FILE_SYSTEMS: SpinLock<Vec<&'static FileSystemType>> = SpinLock::new(Vec::new());

/// `register_filesystem()`: EBUSY if the name is taken.
pub fn register_filesystem(fs: &'static FileSystemType) -> KResult<()> {
    let mut list = FILE_SYSTEMS.lock_irqsave();
    if list.iter().any(|f| f.name == fs.name) {
        return Err(Errno::EBUSY);
    }
    list.push(fs);
    Ok(())
}

/// `get_fs_type()`.
pub fn get_fs_type(name: &str) -> Option<&'static FileSystemType> {
    FILE_SYSTEMS
        .lock_irqsave()
        .iter()
        .find(|f| f.name == name)
        .copied()
}

/// `filesystems_proc_show()`: /proc/filesystems.
pub fn filesystems_proc_show(m: &mut String) -> core::fmt::Result {
    for fs in FILE_SYSTEMS.lock_irqsave().iter() {
        if fs.fs_flags & FS_REQUIRES_DEV == 0 {
            m.push_str("nodev");
        }
        m.push('\t');
        m.push_str(fs.name);
        m.push('\n');
    }
    Ok(())
}
