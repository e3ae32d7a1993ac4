//! blk-mq: requests, merging, plugging and tags (block/blk-mq.c,
//! block/blk-merge.c, block/blk-mq-tag.c, include/linux/blk-mq.h), for
//! one hardware queue a disk and no I/O scheduler ("none").
//!
//! - A `struct request` carries one or more bios for adjacent sectors of
//!   one disk, all of one operation, within the queue's limits
//!   (`max_sectors`, `max_segments`); a driver sees requests, never bios.
//! - A bio first tries to join the last request of its task's plug
//!   (`blk_attempt_plug_merge` → `bio_attempt_back_merge`); otherwise it
//!   gets a tag (`blk_mq_get_tag`) — a disk has `queue_depth` of them, and
//!   a task that finds none sleeps uninterruptibly (`io_schedule`) until
//!   a completion frees one — and becomes a new request.
//! - Under a plug (`blk_start_plug`), requests collect on the task
//!   (`current->plug`) and go to the driver together at
//!   `blk_finish_plug`, when the plug is full (`BLK_MAX_REQUEST_COUNT`,
//!   `BLK_PLUG_FLUSH_SIZE`), or when the task sleeps (`schedule` calls
//!   `blk_flush_plug`, as Linux's `sched_submit_work`): a task waiting for
//!   its own plugged I/O never deadlocks. The driver is told which
//!   request is the last of a batch, and kicks its device once.
//! - Without a plug a request goes to the driver at once.
//! - A request the driver cannot take now (BLK_STS_RESOURCE, its ring is
//!   full) waits on the queue's dispatch list until a completion reruns
//!   the queue (`blk_mq_run_hw_queue`).
//! - `blk_mq_end_request` ends each bio, accounts the request in the
//!   disk's statistics (merged bios in the "merges" column) and frees its
//!   tag.
//!
//! Left out: front merges, I/O schedulers, several hardware queues,
//! splitting (a bio beyond the queue's limits fails), REQ_NOWAIT, timeouts.

use alloc::boxed::Box;
#[cfg(target_os = "none")]
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::bio::{Bio, BioVec, BlkStatus, REQ_OP_READ, REQ_OP_WRITE, SECTOR_SHIFT};
use super::genhd::BlockDevice;
use crate::sync::SpinLock;
use crate::task::wait::WaitQueueHead;

/// `BLK_DEF_MAX_SECTORS` (6.1): what `blk_queue_max_hw_sectors` leaves
/// of a device without a limit of its own, 1280 KiB.
pub const BLK_DEF_MAX_SECTORS: u32 = 2560;
/// `BLK_MAX_REQUEST_COUNT`: requests a plug holds before it is flushed.
pub const BLK_MAX_REQUEST_COUNT: usize = 32;
/// `BLK_PLUG_FLUSH_SIZE`: a plug whose last request is this big is
/// flushed before another is added.
pub const BLK_PLUG_FLUSH_SIZE: u32 = 128 * 1024;

/// `struct queue_limits`, the parts merging needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueLimits {
    /// `max_sectors`: the largest request, in 512-byte sectors.
    pub max_sectors: u32,
    /// `max_segments`: the most pieces (scatter-gather entries) a request
    /// may have.
    pub max_segments: u32,
}

/// `struct blk_mq_ops`: what a blk-mq driver does.
pub trait BlkMqOps: Send + Sync {
    /// `queue_rq()`: start `rq` on the device; `last` says nothing more
    /// follows in this batch (kick the device now). A request the device
    /// has no room for comes back with BLK_STS_RESOURCE or
    /// BLK_STS_DEV_RESOURCE and is tried again after a completion; with
    /// another status it is ended with that status. Must not sleep.
    fn queue_rq(&self, rq: Request, last: bool) -> Result<(), (Request, BlkStatus)>;
    /// `commit_rqs()`: a batch ended without a `last` request; kick the
    /// device for what it was given.
    fn commit_rqs(&self);
}

/// `struct request`.
pub struct Request {
    /// The disk (Linux's `rq->q` and `rq->part`).
    pub q: Arc<BlockDevice>,
    /// The operation (`REQ_OP_*`) of every bio in it.
    pub cmd_flags: u32,
    /// `__sector`: where it starts.
    pub __sector: u64,
    /// `__data_len`: bytes.
    pub __data_len: u32,
    /// `nr_phys_segments`: pieces, one a bio_vec (pages are not
    /// coalesced into larger segments).
    pub nr_phys_segments: u32,
    /// `rq->bio` .. `rq->biotail`, in sector order.
    pub bios: Vec<Box<Bio>>,
    /// `start_time_ns`: when it was made, for the disk's statistics.
    pub start_time_ns: u64,
}

impl Request {
    /// `blk_mq_bio_to_request()`: a request of one bio.
    pub fn from_bio(bio: Box<Bio>, now: u64) -> Request {
        Request {
            q: bio.bi_bdev.clone(),
            cmd_flags: bio.bio_op(),
            __sector: bio.bi_iter.bi_sector,
            __data_len: bio.bi_iter.bi_size,
            nr_phys_segments: bio.bi_io_vec.len() as u32,
            bios: alloc::vec![bio],
            start_time_ns: now,
        }
    }

    /// `req_op()`.
    pub fn req_op(&self) -> u32 {
        self.cmd_flags
    }

    /// `blk_rq_pos()`.
    pub fn blk_rq_pos(&self) -> u64 {
        self.__sector
    }

    /// `blk_rq_sectors()`.
    pub fn blk_rq_sectors(&self) -> u64 {
        u64::from(self.__data_len >> SECTOR_SHIFT)
    }

    /// `rq_for_each_segment()`: the pieces of every bio, in order.
    pub fn segments(&self) -> impl Iterator<Item = &BioVec> {
        self.bios.iter().flat_map(|b| b.bi_io_vec.iter())
    }
}

/// `rq_mergeable()`: only reads and writes merge (a flush stays alone).
fn rq_mergeable(rq: &Request) -> bool {
    matches!(rq.req_op(), REQ_OP_READ | REQ_OP_WRITE)
}

/// `blk_rq_merge_ok()`: `bio` may join `rq` at all — both mergeable,
/// the same operation, the same disk.
pub fn blk_rq_merge_ok(rq: &Request, bio: &Bio) -> bool {
    rq_mergeable(rq) && rq.req_op() == bio.bio_op() && Arc::ptr_eq(&rq.q, &bio.bi_bdev)
}

/// `ll_back_merge_fn()`: the merged request stays within the queue's
/// size and segment limits.
fn ll_back_merge_fn(rq: &Request, bio: &Bio, limits: &QueueLimits) -> bool {
    rq.blk_rq_sectors() + bio.bio_sectors() <= u64::from(limits.max_sectors)
        && rq.nr_phys_segments as usize + bio.bi_io_vec.len() <= limits.max_segments as usize
}

/// `blk_attempt_bio_merge()` for the back merge (`blk_try_merge`'s
/// ELEVATOR_BACK_MERGE, then `bio_attempt_back_merge`): `bio` starts
/// where `rq` ends and fits; it is appended. The bio comes back when it
/// does not merge.
pub fn bio_attempt_back_merge(
    rq: &mut Request,
    bio: Box<Bio>,
    limits: &QueueLimits,
) -> Result<(), Box<Bio>> {
    if !blk_rq_merge_ok(rq, &bio)
        || rq.blk_rq_pos() + rq.blk_rq_sectors() != bio.bi_iter.bi_sector
        || !ll_back_merge_fn(rq, &bio, limits)
    {
        return Err(bio);
    }
    rq.__data_len += bio.bi_iter.bi_size;
    rq.nr_phys_segments += bio.bi_io_vec.len() as u32;
    rq.bios.push(bio);
    Ok(())
}

/// `bio_may_exceed_limits()` without the split: a bio that alone breaks
/// the limits cannot be issued (Linux would split it).
pub fn bio_exceeds_limits(bio: &Bio, limits: &QueueLimits) -> bool {
    bio.bio_sectors() > u64::from(limits.max_sectors)
        || bio.bi_io_vec.len() > limits.max_segments as usize
}

/// The hardware context's state (`struct blk_mq_hw_ctx` and its
/// `struct blk_mq_tags`).
#[cfg_attr(not(target_os = "none"), allow(dead_code))]
struct Hctx {
    /// Tags in use: requests made and not yet ended.
    busy: u32,
    /// `hctx->dispatch`: requests the driver had no room for, in order.
    #[cfg(target_os = "none")]
    dispatch: VecDeque<Request>,
}

/// `struct request_queue` with its one hardware queue.
pub struct RequestQueue {
    pub limits: QueueLimits,
    /// `queue_depth` of the tag set: requests at most in flight.
    pub queue_depth: u32,
    /// `QUEUE_FLAG_WC`: the device has a volatile write cache, so flushes
    /// go to it; without one a flush has nothing to do.
    pub write_cache: bool,
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    ops: Arc<dyn BlkMqOps>,
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    hctx: SpinLock<Hctx>,
    /// `bt_wait_ptr()`'s wait queue: tasks waiting for a tag.
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    tag_wait: WaitQueueHead,
}

impl RequestQueue {
    /// `blk_mq_alloc_tag_set()` + `blk_mq_init_queue()`.
    pub fn new(
        limits: QueueLimits,
        queue_depth: u32,
        write_cache: bool,
        ops: Arc<dyn BlkMqOps>,
    ) -> Self {
        Self {
            limits,
            queue_depth,
            write_cache,
            ops,
            hctx: SpinLock::new(Hctx {
                busy: 0,
                #[cfg(target_os = "none")]
                dispatch: VecDeque::new(),
            }),
            tag_wait: WaitQueueHead::new(),
        }
    }
}

/// `struct blk_plug`: the requests a task holds back (`mq_list`).
#[derive(Default)]
pub struct BlkPlug {
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    mq_list: Vec<Request>,
}

#[cfg(target_os = "none")]
pub use self::kernel::*;

#[cfg(target_os = "none")]
mod kernel {
    use super::*;
    use crate::block::bio::{BLK_STS_DEV_RESOURCE, BLK_STS_OK, BLK_STS_RESOURCE, REQ_OP_FLUSH};
    use crate::block::bio_endio;
    use crate::block::genhd::stat_group;
    use crate::task::{TaskStruct, current, sched_running};

    /// What `blk_start_plug` returns and `blk_finish_plug` takes: whether
    /// this is the outermost plug of the task (a nested one does
    /// nothing, as Linux's).
    #[must_use = "a plug is flushed by blk_finish_plug"]
    pub struct PlugToken {
        outermost: bool,
    }

    /// `blk_start_plug()`: hold the task's requests back until
    /// `blk_finish_plug` (or until it sleeps), so that they merge and go
    /// to the device in one batch.
    pub fn blk_start_plug() -> PlugToken {
        if !sched_running() {
            return PlugToken { outermost: false };
        }
        let tsk = current();
        let mut plug = tsk.plug.lock_irqsave();
        let outermost = plug.is_none();
        if outermost {
            *plug = Some(BlkPlug::default());
        }
        PlugToken { outermost }
    }

    /// `blk_finish_plug()`: issue what the plug holds and end it.
    pub fn blk_finish_plug(token: PlugToken) {
        if !token.outermost {
            return;
        }
        let tsk = current();
        let plug = tsk.plug.lock_irqsave().take();
        if let Some(plug) = plug {
            blk_mq_flush_plug_list(plug.mq_list);
        }
    }

    /// `blk_flush_plug()`: issue what `tsk`'s plug holds; the plug stays.
    /// `schedule` calls it for a task about to sleep.
    #[inline(never)]
    pub fn blk_flush_plug(tsk: &TaskStruct) {
        let list = match tsk.plug.lock_irqsave().as_mut() {
            Some(plug) if !plug.mq_list.is_empty() => core::mem::take(&mut plug.mq_list),
            _ => return,
        };
        blk_mq_flush_plug_list(list);
    }

    /// `blk_mq_flush_plug_list()`: the plugged requests to their disks, a
    /// batch a disk (in plug order: the requests of one disk are
    /// consecutive most of the time).
    fn blk_mq_flush_plug_list(list: Vec<Request>) {
        let mut batch: VecDeque<Request> = VecDeque::new();
        for rq in list {
            if batch.back().is_some_and(|b| !Arc::ptr_eq(&b.q, &rq.q)) {
                blk_mq_dispatch_rq_list(core::mem::take(&mut batch));
            }
            batch.push_back(rq);
        }
        if !batch.is_empty() {
            blk_mq_dispatch_rq_list(batch);
        }
    }

    /// `blk_mq_get_tag()`: a tag of `q`, sleeping uninterruptibly
    /// (`io_schedule`, counted as iowait) while all are in use. Sleeping
    /// flushes the task's own plug first, whose requests hold tags too.
    #[inline(never)]
    fn blk_mq_get_tag(q: &RequestQueue) {
        let try_get = || {
            let mut h = q.hctx.lock_irqsave();
            if h.busy < q.queue_depth {
                h.busy += 1;
                true
            } else {
                false
            }
        };
        if try_get() {
            return;
        }
        debug_assert!(
            x86_64::instructions::interrupts::are_enabled(),
            "submit_bio would sleep for a tag in atomic context"
        );
        q.tag_wait.wait_event_io(try_get);
    }

    /// `blk_mq_put_tag()`: free a tag and wake who waits for one.
    fn blk_mq_put_tag(q: &RequestQueue) {
        {
            let mut h = q.hctx.lock_irqsave();
            h.busy = h.busy.saturating_sub(1);
        }
        q.tag_wait.wake_up();
    }

    /// `blk_mq_submit_bio()`: merge `bio` into the plug's last request,
    /// or make it a request of its own — plugged, or issued now. May
    /// sleep for a tag (task context only).
    #[inline(never)]
    pub fn blk_mq_submit_bio(bio: Box<Bio>) {
        let disk = bio.bi_bdev.clone();
        let q = &disk.queue;
        if bio_exceeds_limits(&bio, &q.limits) {
            log::warn!(
                "{}: bio of {} sectors, {} segments beyond the queue's limits",
                disk.disk_name,
                bio.bio_sectors(),
                bio.bi_io_vec.len()
            );
            let mut bio = bio;
            bio.bi_status = crate::block::BLK_STS_IOERR;
            bio_endio(bio);
            return;
        }
        // A flush without a write cache to flush is done (Linux's
        // `submit_bio_noacct` for !bdev_write_cache).
        if bio.bio_op() == REQ_OP_FLUSH && !q.write_cache {
            let mut bio = bio;
            bio.bi_status = BLK_STS_OK;
            bio_endio(bio);
            return;
        }
        let tsk = sched_running().then(current);
        let Some(bio) = blk_attempt_plug_merge(tsk.as_deref(), bio) else {
            return;
        };
        blk_mq_get_tag(q);
        let now = crate::task::time::ktime_get_ns();
        let group = stat_group(bio.bio_op());
        let rq = Request::from_bio(bio, now);
        // blk_account_io_start()
        disk.stats_start(group, now);
        if rq.req_op() != REQ_OP_FLUSH
            && let Some(tsk) = &tsk
        {
            let mut guard = tsk.plug.lock_irqsave();
            if let Some(plug) = guard.as_mut() {
                // blk_add_rq_to_plug(): a full plug goes out first.
                let full = plug.mq_list.len() >= BLK_MAX_REQUEST_COUNT
                    || plug
                        .mq_list
                        .last()
                        .is_some_and(|last| last.__data_len >= BLK_PLUG_FLUSH_SIZE);
                let flushed = if full {
                    core::mem::take(&mut plug.mq_list)
                } else {
                    Vec::new()
                };
                plug.mq_list.push(rq);
                drop(guard);
                if !flushed.is_empty() {
                    blk_mq_flush_plug_list(flushed);
                }
                return;
            }
        }
        blk_mq_dispatch_rq_list(VecDeque::from([rq]));
    }

    /// `blk_attempt_plug_merge()`: try the last request of the plug; the
    /// bio comes back if it did not merge.
    fn blk_attempt_plug_merge(tsk: Option<&TaskStruct>, bio: Box<Bio>) -> Option<Box<Bio>> {
        let tsk = tsk?;
        let mut guard = tsk.plug.lock_irqsave();
        let Some(rq) = guard.as_mut().and_then(|p| p.mq_list.last_mut()) else {
            return Some(bio);
        };
        let disk = bio.bi_bdev.clone();
        let group = stat_group(bio.bio_op());
        match bio_attempt_back_merge(rq, bio, &disk.queue.limits) {
            Ok(()) => {
                // blk_account_io_merge_bio()
                disk.stats_merge(group);
                None
            }
            Err(bio) => Some(bio),
        }
    }

    /// `blk_mq_start_request()`: the driver has it; in flight from now.
    pub fn blk_mq_start_request(rq: &Request) {
        rq.q.stats_inflight_start(stat_group(rq.req_op()));
    }

    /// `blk_mq_dispatch_rq_list()`: hand `list` to the driver after what
    /// waits on the dispatch list, the last one marked; what the driver
    /// has no room for waits on the dispatch list.
    fn blk_mq_dispatch_rq_list(mut list: VecDeque<Request>) {
        let Some(first) = list.front() else {
            return;
        };
        let disk = first.q.clone();
        let q = &disk.queue;
        {
            let mut h = q.hctx.lock_irqsave();
            if !h.dispatch.is_empty() {
                let mut waiting = core::mem::take(&mut h.dispatch);
                waiting.extend(list);
                list = waiting;
            }
        }
        let mut queued = 0;
        let mut kicked = false;
        while let Some(rq) = list.pop_front() {
            let last = list.is_empty();
            match q.ops.queue_rq(rq, last) {
                Ok(()) => {
                    queued += 1;
                    kicked = last;
                }
                Err((rq, BLK_STS_RESOURCE | BLK_STS_DEV_RESOURCE)) => {
                    list.push_front(rq);
                    let mut h = q.hctx.lock_irqsave();
                    // Ahead of anything a completion put there meanwhile.
                    while let Some(rq) = list.pop_back() {
                        h.dispatch.push_front(rq);
                    }
                    break;
                }
                Err((rq, status)) => blk_mq_end_request(rq, status),
            }
        }
        if queued > 0 && !kicked {
            q.ops.commit_rqs();
        }
    }

    /// `blk_mq_run_hw_queue()`: issue what waits on the dispatch list;
    /// drivers call it when a completion made room.
    pub fn blk_mq_run_hw_queue(disk: &BlockDevice) {
        let list = core::mem::take(&mut disk.queue.hctx.lock_irqsave().dispatch);
        blk_mq_dispatch_rq_list(list);
    }

    /// `blk_mq_end_request()`: every bio of `rq` ends with `status`, the
    /// disk accounts it (`blk_account_io_done`) and its tag is free.
    /// Interrupt context.
    #[inline(never)]
    pub fn blk_mq_end_request(rq: Request, status: BlkStatus) {
        let Request {
            q: disk,
            cmd_flags,
            __data_len,
            bios,
            start_time_ns,
            ..
        } = rq;
        for mut bio in bios {
            bio.bi_status = status;
            bio_endio(bio);
        }
        let now = crate::task::time::ktime_get_ns();
        disk.stats_done(
            stat_group(cmd_flags),
            u64::from(__data_len >> SECTOR_SHIFT),
            now.saturating_sub(start_time_ns),
            now,
        );
        blk_mq_put_tag(&disk.queue);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::bio::{REQ_OP_FLUSH, bio_add_page, bio_alloc};
    use crate::fs::DevT;
    use crate::mm::page::Page;

    struct NoDevice;

    impl BlkMqOps for NoDevice {
        fn queue_rq(&self, rq: Request, _: bool) -> Result<(), (Request, BlkStatus)> {
            Err((rq, crate::block::BLK_STS_IOERR))
        }
        fn commit_rqs(&self) {}
    }

    const LIMITS: QueueLimits = QueueLimits {
        max_sectors: 64,
        max_segments: 4,
    };

    fn disk(name: &str) -> Arc<BlockDevice> {
        let q = RequestQueue::new(LIMITS, 8, true, Arc::new(NoDevice));
        BlockDevice::new(DevT::new(254, 0), name.into(), 1 << 20, false, None, q)
    }

    fn page() -> &'static Page {
        Box::leak(Box::new(Page::new_reserved(0)))
    }

    /// A bio of `pages` whole pages at `sector`.
    fn bio(disk: &Arc<BlockDevice>, op: u32, sector: u64, pages: usize) -> Box<Bio> {
        let mut bio = bio_alloc(disk, pages, op);
        bio.bi_iter.bi_sector = sector;
        for _ in 0..pages {
            assert_eq!(bio_add_page(&mut bio, page(), 4096, 0), 4096);
        }
        bio
    }

    #[test]
    fn back_merge_takes_the_next_sectors() {
        let d = disk("vda");
        let mut rq = Request::from_bio(bio(&d, REQ_OP_WRITE, 800, 1), 0);
        assert!(bio_attempt_back_merge(&mut rq, bio(&d, REQ_OP_WRITE, 808, 2), &LIMITS).is_ok());
        assert_eq!(rq.blk_rq_pos(), 800);
        assert_eq!(rq.blk_rq_sectors(), 24);
        assert_eq!(rq.__data_len, 3 * 4096);
        assert_eq!(rq.nr_phys_segments, 3);
        assert_eq!(rq.bios.len(), 2);
        assert_eq!(rq.segments().count(), 3);
    }

    #[test]
    fn no_merge_across_a_gap_an_overlap_or_backwards() {
        let d = disk("vda");
        let mut rq = Request::from_bio(bio(&d, REQ_OP_WRITE, 800, 1), 0);
        for sector in [816, 804, 792, 800] {
            assert!(
                bio_attempt_back_merge(&mut rq, bio(&d, REQ_OP_WRITE, sector, 1), &LIMITS).is_err()
            );
        }
        assert_eq!(rq.bios.len(), 1);
        assert_eq!(rq.blk_rq_sectors(), 8);
    }

    #[test]
    fn no_merge_of_other_operations_disks_or_flushes() {
        let (a, b) = (disk("vda"), disk("vdb"));
        let mut rq = Request::from_bio(bio(&a, REQ_OP_WRITE, 0, 1), 0);
        assert!(bio_attempt_back_merge(&mut rq, bio(&a, REQ_OP_READ, 8, 1), &LIMITS).is_err());
        assert!(bio_attempt_back_merge(&mut rq, bio(&b, REQ_OP_WRITE, 8, 1), &LIMITS).is_err());
        let mut flush = Request::from_bio(bio_alloc(&a, 0, REQ_OP_FLUSH), 0);
        assert!(
            bio_attempt_back_merge(&mut flush, bio_alloc(&a, 0, REQ_OP_FLUSH), &LIMITS).is_err()
        );
        let mut read = Request::from_bio(bio(&a, REQ_OP_READ, 0, 1), 0);
        assert!(bio_attempt_back_merge(&mut read, bio(&a, REQ_OP_READ, 8, 1), &LIMITS).is_ok());
    }

    #[test]
    fn merges_stop_at_max_segments_and_max_sectors() {
        let d = disk("vda");
        // Segments: 4 at most.
        let mut rq = Request::from_bio(bio(&d, REQ_OP_WRITE, 0, 3), 0);
        assert!(bio_attempt_back_merge(&mut rq, bio(&d, REQ_OP_WRITE, 24, 2), &LIMITS).is_err());
        assert!(bio_attempt_back_merge(&mut rq, bio(&d, REQ_OP_WRITE, 24, 1), &LIMITS).is_ok());
        assert_eq!(rq.nr_phys_segments, 4);
        assert!(bio_attempt_back_merge(&mut rq, bio(&d, REQ_OP_WRITE, 32, 1), &LIMITS).is_err());
        // Sectors: 64 at most, whatever the segments.
        let wide = QueueLimits {
            max_sectors: 64,
            max_segments: 128,
        };
        let mut rq = Request::from_bio(bio(&d, REQ_OP_WRITE, 0, 7), 0);
        assert!(bio_attempt_back_merge(&mut rq, bio(&d, REQ_OP_WRITE, 56, 1), &wide).is_ok());
        assert_eq!(rq.blk_rq_sectors(), 64);
        assert!(bio_attempt_back_merge(&mut rq, bio(&d, REQ_OP_WRITE, 64, 1), &wide).is_err());
    }

    #[test]
    fn a_bio_alone_beyond_the_limits_is_refused() {
        let d = disk("vda");
        assert!(!bio_exceeds_limits(&bio(&d, REQ_OP_WRITE, 0, 4), &LIMITS));
        assert!(bio_exceeds_limits(&bio(&d, REQ_OP_WRITE, 0, 5), &LIMITS));
        assert_eq!(d.queue.queue_depth, 8);
    }
}
