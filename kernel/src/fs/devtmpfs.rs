//! devtmpfs (drivers/base/devtmpfs.c): one tmpfs instance, mounted with
//! `mode=0755`, that holds a node for every device a driver adds
//! (`devtmpfs_create_node`), with the driver's name and mode. Every mount
//! of "devtmpfs" shows that one superblock; its options are parsed as
//! tmpfs's and, as in Linux, do not change it.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::filesystems::{FileSystemType, register_filesystem};
use super::super_block::SuperBlock;
use super::{DevT, Inode, S_IFBLK, S_IFCHR, S_IFMT};
use crate::mm::mmzone::node_data;
use crate::mm::shmem::{shmem_fill_super, shmem_parse_options};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

static DEVTMPFS_SB: spin::Once<Arc<SuperBlock>> = spin::Once::new();

/// Nodes added before the superblock exists (drivers start first).
static PENDING: SpinLock<Vec<(String, u32, DevT)>> = SpinLock::new(Vec::new());

/// `devtmpfs_get_tree()`: the one superblock.
fn devtmpfs_get_tree(_flags: u32, _source: &str, data: &str) -> KResult<Arc<SuperBlock>> {
    shmem_parse_options(data, node_data(0).totalram_pages())?;
    DEVTMPFS_SB.get().cloned().ok_or(Errno::ENODEV)
}

static DEV_FS_TYPE: FileSystemType = FileSystemType {
    name: "devtmpfs",
    fs_flags: 0,
    get_tree: devtmpfs_get_tree,
};

/// `create_path()` + `handle_create()`: the node `name` (directories
/// along its path made 0755), of `mode`: a character device unless its
/// type bits say block (S_IFBLK).
fn handle_create(root: &Arc<dyn Inode>, name: &str, mode: u32, dev: DevT) -> KResult<()> {
    let mut dir = root.clone();
    let mut parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    let last = parts.pop().ok_or(Errno::EINVAL)?;
    for p in parts {
        dir = match dir.lookup(p) {
            Ok(d) => d,
            Err(_) => {
                dir.mkdir(p, 0o755)?;
                dir.lookup(p)?
            }
        };
    }
    let ftype = if mode & S_IFMT == S_IFBLK {
        S_IFBLK
    } else {
        S_IFCHR
    };
    dir.mknod(last, ftype | (mode & 0o7777), dev)
}

/// `devtmpfs_create_node()`: a driver's device gets its node, now or
/// when devtmpfs starts.
pub fn devtmpfs_create_node(name: &str, mode: u32, dev: DevT) -> KResult<()> {
    match DEVTMPFS_SB.get() {
        Some(sb) => handle_create(&sb.s_root, name, mode, dev),
        None => {
            PENDING.lock_irqsave().push((String::from(name), mode, dev));
            Ok(())
        }
    }
}

/// `devtmpfs_init()`: the superblock, the nodes of the devices added so
/// far, and the filesystem type.
pub fn devtmpfs_init() {
    let sb = DEVTMPFS_SB.call_once(|| {
        shmem_fill_super(&DEV_FS_TYPE, node_data(0), 0, "mode=0755").expect("devtmpfs superblock")
    });
    let pending = core::mem::take(&mut *PENDING.lock_irqsave());
    for (name, mode, dev) in pending {
        if let Err(e) = handle_create(&sb.s_root, &name, mode, dev) {
            log::error!("devtmpfs: {name}: {e:?}");
        }
    }
    register_filesystem(&DEV_FS_TYPE).expect("devtmpfs registered twice");
}
