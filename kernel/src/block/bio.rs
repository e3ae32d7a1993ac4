//! `struct bio` (include/linux/blk_types.h, include/linux/bvec.h) and
//! its life (block/bio.c): `bio_alloc`, `bio_add_page`, `bio_endio`,
//! `submit_bio_wait`. A bio is one I/O: an operation, a first sector and
//! a list of page pieces (`bi_io_vec`) read or written in order from that
//! sector on. Ownership stands in for Linux's reference count: `submit_bio`
//! takes the `Box`, `bi_end_io` gets it back and drops it. Merging bios
//! into requests is blk-mq's (blk_mq.rs). Left out: splitting, cloning,
//! integrity and crypto data, cgroup throttling.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use super::genhd::BlockDevice;
use crate::mm::page::{PAGE_SIZE, Page};
use crate::uapi::errno::{Errno, KResult};

/// `SECTOR_SHIFT`: sectors are 512 bytes whatever the disk.
pub const SECTOR_SHIFT: u32 = 9;
pub const SECTOR_SIZE: u32 = 1 << SECTOR_SHIFT;

/// `REQ_OP_READ` and the other operations in the low byte of `bi_opf`
/// (`REQ_OP_MASK`), with Linux's values.
pub const REQ_OP_READ: u32 = 0;
pub const REQ_OP_WRITE: u32 = 1;
/// A cache flush: no data, done once every write before it is on disk.
pub const REQ_OP_FLUSH: u32 = 2;
const REQ_OP_MASK: u32 = 0xff;

/// `blk_status_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlkStatus(pub u8);

pub const BLK_STS_OK: BlkStatus = BlkStatus(0);
pub const BLK_STS_NOTSUPP: BlkStatus = BlkStatus(1);
/// A driver is out of a shared resource: try the request again later.
pub const BLK_STS_RESOURCE: BlkStatus = BlkStatus(9);
pub const BLK_STS_IOERR: BlkStatus = BlkStatus(10);
/// The device itself is busy (its ring is full): again after one of its
/// requests completes.
pub const BLK_STS_DEV_RESOURCE: BlkStatus = BlkStatus(13);

/// `blk_status_to_errno()`.
pub fn blk_status_to_errno(status: BlkStatus) -> KResult<()> {
    match status {
        BLK_STS_OK => Ok(()),
        BLK_STS_NOTSUPP => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EIO),
    }
}

/// `struct bio_vec`: `bv_len` bytes of `bv_page` from `bv_offset`.
#[derive(Clone, Copy)]
pub struct BioVec {
    pub bv_page: &'static Page,
    pub bv_len: u32,
    pub bv_offset: u32,
}

/// `struct bvec_iter`: where the bio starts on the disk and its length.
#[derive(Clone, Copy, Debug, Default)]
pub struct BvecIter {
    /// In 512-byte sectors.
    pub bi_sector: u64,
    /// Bytes left to transfer.
    pub bi_size: u32,
}

/// `bio_end_io_t`: runs in interrupt context, owns the bio.
pub type BioEndIo = fn(Box<Bio>);

/// `struct bio`.
pub struct Bio {
    pub bi_bdev: Arc<BlockDevice>,
    /// The operation (`REQ_OP_*`).
    pub bi_opf: u32,
    pub bi_status: BlkStatus,
    pub bi_iter: BvecIter,
    pub bi_io_vec: Vec<BioVec>,
    bi_max_vecs: usize,
    pub bi_end_io: Option<BioEndIo>,
    /// The submitter's context, handed back to `bi_end_io`.
    pub bi_private: Option<Arc<dyn Any + Send + Sync>>,
}

impl Bio {
    /// `bio_op()`.
    pub fn bio_op(&self) -> u32 {
        self.bi_opf & REQ_OP_MASK
    }

    /// `op_is_write()`.
    pub fn is_write(&self) -> bool {
        self.bio_op() & 1 != 0
    }

    /// `bio_end_sector()`: the sector after its last.
    pub fn bio_end_sector(&self) -> u64 {
        self.bi_iter.bi_sector + self.bio_sectors()
    }

    /// `bio_sectors()`.
    pub fn bio_sectors(&self) -> u64 {
        u64::from(self.bi_iter.bi_size >> SECTOR_SHIFT)
    }
}

/// `bio_alloc()`: an empty bio for up to `nr_vecs` pieces.
pub fn bio_alloc(bdev: &Arc<BlockDevice>, nr_vecs: usize, opf: u32) -> Box<Bio> {
    Box::new(Bio {
        bi_bdev: bdev.clone(),
        bi_opf: opf,
        bi_status: BLK_STS_OK,
        bi_iter: BvecIter::default(),
        bi_io_vec: Vec::with_capacity(nr_vecs),
        bi_max_vecs: nr_vecs,
        bi_end_io: None,
        bi_private: None,
    })
}

/// `bio_add_page()`: append `len` bytes of `page` at `offset`; returns
/// the bytes added, 0 when the bio is full or the piece leaves the page.
pub fn bio_add_page(bio: &mut Bio, page: &'static Page, len: u32, offset: u32) -> u32 {
    if bio.bi_io_vec.len() >= bio.bi_max_vecs
        || len == 0
        || u64::from(offset) + u64::from(len) > PAGE_SIZE
        || bio.bi_iter.bi_size.checked_add(len).is_none()
    {
        return 0;
    }
    bio.bi_io_vec.push(BioVec {
        bv_page: page,
        bv_len: len,
        bv_offset: offset,
    });
    bio.bi_iter.bi_size += len;
    len
}

/// `bio_endio()`: the I/O is over (`bi_status` says how); hand the bio
/// to `bi_end_io`. Called when its request ends (`blk_mq_end_request`)
/// and by the block layer for bios it fails itself, often in interrupt
/// context.
#[inline(never)]
pub fn bio_endio(bio: Box<Bio>) {
    if let Some(end_io) = bio.bi_end_io {
        end_io(bio);
    }
}

/// What `submit_bio_wait` sleeps on (`struct completion`): the status,
/// once the bio is done.
#[cfg(target_os = "none")]
struct SubmitBioWait {
    done: crate::sync::SpinLock<Option<BlkStatus>>,
    wait: crate::task::wait::WaitQueueHead,
}

/// `submit_bio_wait_endio()`: record the status and wake the submitter.
#[cfg(target_os = "none")]
#[allow(
    clippy::boxed_local,
    reason = "the bio_end_io_t signature: it owns the bio"
)]
fn submit_bio_wait_endio(bio: Box<Bio>) {
    let Some(private) = bio.bi_private.clone() else {
        return;
    };
    if let Ok(ret) = private.downcast::<SubmitBioWait>() {
        *ret.done.lock_irqsave() = Some(bio.bi_status);
        ret.wait.wake_up();
    }
}

/// `submit_bio_wait()`: submit and sleep uninterruptibly until the bio
/// completes; the errno of its status (EIO for BLK_STS_IOERR). Its own
/// `bi_end_io` and `bi_private` are replaced. Task context only.
#[cfg(target_os = "none")]
#[inline(never)]
pub fn submit_bio_wait(mut bio: Box<Bio>) -> KResult<()> {
    let ret = Arc::new(SubmitBioWait {
        done: crate::sync::SpinLock::new(None),
        wait: crate::task::wait::WaitQueueHead::new(),
    });
    bio.bi_private = Some(ret.clone());
    bio.bi_end_io = Some(submit_bio_wait_endio);
    super::blk_core::submit_bio(bio);
    ret.wait.wait_event_io(|| ret.done.lock_irqsave().is_some());
    let status = ret.done.lock_irqsave().expect("woken with the status set");
    blk_status_to_errno(status)
}
