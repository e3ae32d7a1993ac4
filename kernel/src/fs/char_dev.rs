//! Character device numbers (fs/char_dev.c): drivers register a range
//! of minors under a major, and opening a device node of any filesystem
//! reaches the driver through its `st_rdev` (`chrdev_open`).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use core::ops::Range;

use super::{DevT, FileOps};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// A driver's open: the device number and open(2)'s flags.
pub type ChrdevOpen = fn(DevT, u32) -> KResult<Arc<dyn FileOps>>;

struct CharDeviceStruct {
    major: u32,
    minors: Range<u32>,
    name: &'static str,
    open: ChrdevOpen,
}

static CHRDEVS: SpinLock<Vec<CharDeviceStruct>> = SpinLock::new(Vec::new());

/// `__register_chrdev()`: EBUSY if a minor in the range is taken.
pub fn register_chrdev(
    major: u32,
    minors: Range<u32>,
    name: &'static str,
    open: ChrdevOpen,
) -> KResult<()> {
    let mut devs = CHRDEVS.lock_irqsave();
    let overlaps = devs
        .iter()
        .any(|d| d.major == major && d.minors.start < minors.end && minors.start < d.minors.end);
    if overlaps {
        return Err(Errno::EBUSY);
    }
    devs.push(CharDeviceStruct {
        major,
        minors,
        name,
        open,
    });
    Ok(())
}

/// `chrdev_open()`: ENXIO when no driver has the number.
pub fn chrdev_open(dev: DevT, flags: u32) -> KResult<Arc<dyn FileOps>> {
    let open = CHRDEVS
        .lock_irqsave()
        .iter()
        .find(|d| d.major == dev.major && d.minors.contains(&dev.minor))
        .map(|d| d.open)
        .ok_or(Errno::ENXIO)?;
    open(dev, flags)
}

/// `chrdev_show()`: the "Character devices:" part of /proc/devices.
pub fn chrdev_show(m: &mut String) -> core::fmt::Result {
    let devs = CHRDEVS.lock_irqsave();
    let mut majors: Vec<(u32, &str)> = devs.iter().map(|d| (d.major, d.name)).collect();
    majors.sort_unstable();
    majors.dedup();
    writeln!(m, "Character devices:")?;
    for (major, name) in majors {
        writeln!(m, "{major:3} {name}")?;
    }
    Ok(())
}

/// `init_special_inode()`'s open: character devices through their
/// driver, block devices through `blkdev_open`; sockets have none here
/// (the VFS opens FIFOs with `fifo_open()` before it asks the inode).
pub fn init_special_open(
    ftype: super::FileType,
    rdev: DevT,
    flags: u32,
) -> KResult<Arc<dyn FileOps>> {
    match ftype {
        super::FileType::Chr => chrdev_open(rdev, flags),
        #[cfg(target_os = "none")]
        super::FileType::Blk => crate::block::fops::blkdev_open(rdev, flags),
        _ => Err(Errno::ENXIO),
    }
}
