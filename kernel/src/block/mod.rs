//! The block layer (block/): `struct bio` and `submit_bio` between the
//! users of a disk (the page cache, swap, block-device files) and its
//! driver (drivers/block/virtio_blk.rs). Nothing above this layer sees
//! the virtio crate.
//!
//! The contract, as Linux's:
//! - A user allocates a bio (`bio_alloc`), points it at a disk
//!   (`bi_bdev`), an operation (`bi_opf`: REQ_OP_READ, REQ_OP_WRITE,
//!   REQ_OP_FLUSH) and a first sector (`bi_iter.bi_sector`), adds pages
//!   (`bio_add_page`), sets `bi_end_io` and `bi_private`, and gives it
//!   away with `submit_bio`. The pages must stay allocated (hold a
//!   reference) until `bi_end_io` runs.
//! - `submit_bio` needs task context and no spinlock held: it may sleep
//!   uninterruptibly while the disk has its queue depth of requests in
//!   flight (blk-mq's tags, blk_mq.rs). Under a plug (`blk_start_plug`)
//!   it only collects. The I/O completes later and `bi_end_io` runs with
//!   `bi_status` set (BLK_STS_OK or BLK_STS_IOERR) — **in interrupt
//!   context**, with interrupts off: it must not sleep, take a sleeping
//!   lock, wait for other I/O or submit bios. It may wake tasks and take
//!   spinlocks (`lock_irqsave`). It owns the bio and drops it (Linux's
//!   `bio_put`).
//! - `submit_bio_wait` submits and sleeps (TASK_UNINTERRUPTIBLE, "D")
//!   until the bio completes, giving the errno of its status; it needs a
//!   task context.

pub mod bdev;
pub mod bio;
#[cfg(target_os = "none")]
pub mod blk_core;
pub mod blk_mq;
#[cfg(target_os = "none")]
pub mod fops;
pub mod genhd;
#[cfg(target_os = "none")]
pub mod selftest;

pub use bdev::{BLK_OPEN_EXCL, BLK_OPEN_WRITE, Holder, blkdev_get_by_dev, blkdev_put, i_bdev};
#[cfg(target_os = "none")]
pub use bio::submit_bio_wait;
pub use bio::{
    BLK_STS_DEV_RESOURCE, BLK_STS_IOERR, BLK_STS_NOTSUPP, BLK_STS_OK, BLK_STS_RESOURCE, Bio,
    BioEndIo, BioVec, BlkStatus, BvecIter, REQ_OP_FLUSH, REQ_OP_READ, REQ_OP_WRITE, SECTOR_SHIFT,
    SECTOR_SIZE, bio_add_page, bio_alloc, bio_endio, blk_status_to_errno,
};
#[cfg(target_os = "none")]
pub use blk_core::submit_bio;
pub use blk_mq::{BlkMqOps, QueueLimits, Request, RequestQueue};
pub use genhd::BlockDevice;
