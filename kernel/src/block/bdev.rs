//! Finding and claiming a disk (block/bdev.c): `blkdev_get_by_dev` by
//! number, `I_BDEV` of a device node, exclusive claims (`bd_prepare_to_claim`
//! / `bd_finish_claim`: while one holder has the disk, another exclusive
//! open fails with EBUSY; plain opens still succeed) and `blkdev_put`.

use alloc::sync::Arc;
use core::sync::atomic::Ordering::Relaxed;

use super::genhd::{BlockDevice, disk_by_dev};
use crate::fs::{DevT, FileType, Inode};
use crate::uapi::errno::{Errno, KResult};

/// `FMODE_WRITE`: the opener writes.
pub const BLK_OPEN_WRITE: u32 = 1 << 1;
/// `FMODE_EXCL`: the opener claims the disk for `holder`.
pub const BLK_OPEN_EXCL: u32 = 1 << 7;

/// Who holds a claim: any value unique to the claimer (the address of its
/// structure, as Linux's `void *holder`).
pub type Holder = usize;

/// `blkdev_get_by_dev()`: the disk numbered `dev` (ENXIO if none);
/// with BLK_OPEN_EXCL claimed for `holder` (EBUSY if another holds it),
/// with BLK_OPEN_WRITE refused on a read-only disk (EACCES, as
/// `blkdev_get_whole` → `bdev_read_only`).
#[inline(never)]
pub fn blkdev_get_by_dev(dev: DevT, mode: u32, holder: Holder) -> KResult<Arc<BlockDevice>> {
    let bdev = disk_by_dev(dev).ok_or(Errno::ENXIO)?;
    if mode & BLK_OPEN_WRITE != 0 && bdev.read_only {
        return Err(Errno::EACCES);
    }
    if mode & BLK_OPEN_EXCL != 0 {
        let mut h = bdev.bd_holder.lock_irqsave();
        match *h {
            Some((other, _)) if other != holder => return Err(Errno::EBUSY),
            Some((_, ref mut n)) => *n += 1,
            None => *h = Some((holder, 1)),
        }
    }
    bdev.bd_openers.fetch_add(1, Relaxed);
    Ok(bdev)
}

/// `blkdev_put()`: undo one `blkdev_get_by_dev` with the same `mode`
/// and `holder`; the last exclusive put releases the claim.
pub fn blkdev_put(bdev: &BlockDevice, mode: u32, holder: Holder) {
    if mode & BLK_OPEN_EXCL != 0 {
        let mut h = bdev.bd_holder.lock_irqsave();
        if let Some((who, n)) = *h
            && who == holder
        {
            *h = (n > 1).then_some((who, n - 1));
        }
    }
    bdev.bd_openers.fetch_sub(1, Relaxed);
}

/// `I_BDEV()` / `lookup_bdev()` of an inode: the disk a block device
/// node stands for; ENOTBLK for other files, ENXIO for a number no disk
/// has.
pub fn i_bdev(inode: &dyn Inode) -> KResult<Arc<BlockDevice>> {
    if inode.file_type() != FileType::Blk {
        return Err(Errno::ENOTBLK);
    }
    disk_by_dev(inode.rdev()).ok_or(Errno::ENXIO)
}
