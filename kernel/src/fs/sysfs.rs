//! sysfs (fs/sysfs/): the directories userland looks in. /sys/fs/cgroup
//! is where cgroup2 is mounted; /sys/kernel/debug/tinymm holds the
//! kernel self-tests (debugfs's place on Linux); /sys/block has the disks
//! (block/genhd.rs) and /sys/bus/pci/devices the PCI functions.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;

use super::Inode;
use super::filesystems::{FileSystemType, register_filesystem};
use super::proc::{ProcDir, ProcFile};
use super::super_block::{SYSFS_MAGIC, SimpleSuper, SuperBlock, get_tree_single};
use crate::uapi::errno::KResult;

static SYSFS_SB: spin::Once<Arc<SuperBlock>> = spin::Once::new();

/// `sysfs_get_tree()`: the one superblock; sysfs takes no options.
fn sysfs_get_tree(_flags: u32, _source: &str, data: &str) -> KResult<Arc<SuperBlock>> {
    get_tree_single(&SYSFS_SB, data)
}

static SYSFS_FS_TYPE: FileSystemType = FileSystemType {
    name: "sysfs",
    fs_flags: 0,
    get_tree: sysfs_get_tree,
};

/// `sysfs_init()`: the tree and the filesystem type.
pub fn sysfs_init() {
    let dir = |entries: vec::Vec<(&'static str, Arc<dyn Inode>)>| -> Arc<dyn Inode> {
        ProcDir::new(entries, None)
    };
    let selftest = ProcFile::new(|_| Ok(()), Some(Arc::new(crate::selftest::selftest_store)));
    // One CPU: "0" in cpu/online, possible and present (drivers/base/cpu.c).
    let cpu_list = || -> Arc<dyn Inode> {
        ProcFile::new(
            |m: &mut String| {
                m.push_str("0\n");
                Ok(())
            },
            None,
        )
    };
    let root = dir(vec![
        (
            "block",
            ProcDir::with_mode(0o755, vec![], Some(Arc::new(crate::block::genhd::SysBlock))),
        ),
        (
            "bus",
            dir(vec![(
                "pci",
                dir(vec![(
                    "devices",
                    ProcDir::with_mode(
                        0o755,
                        vec![],
                        Some(Arc::new(crate::drivers::pci::pci_driver::PciSysfsDevices)),
                    ),
                )]),
            )]),
        ),
        (
            "devices",
            dir(vec![(
                "system",
                dir(vec![(
                    "cpu",
                    dir(vec![
                        ("online", cpu_list()),
                        ("possible", cpu_list()),
                        ("present", cpu_list()),
                    ]),
                )]),
            )]),
        ),
        ("fs", dir(vec![("cgroup", dir(vec![]))])),
        (
            "kernel",
            dir(vec![(
                "debug",
                dir(vec![
                    (
                        "fail_make_request",
                        crate::block::blk_core::fail_make_request_debugfs(),
                    ),
                    (
                        "tinymm",
                        dir(vec![("selftest", selftest as Arc<dyn Inode>)]),
                    ),
                ]),
            )]),
        ),
    ]);
    SYSFS_SB.call_once(|| {
        SuperBlock::new_anon(&SYSFS_FS_TYPE, root, 0, Arc::new(SimpleSuper(SYSFS_MAGIC)))
    });
    register_filesystem(&SYSFS_FS_TYPE).expect("sysfs registered twice");
}
