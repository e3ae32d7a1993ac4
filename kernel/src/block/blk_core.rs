//! `submit_bio` (block/blk-core.c) and I/O accounting (block/blk-core.c
//! `bdev_start_io_acct`/`bdev_end_io_acct`, block/blk-mq.c
//! `blk_account_io_done`): a bio is checked — the disk's end
//! (`bio_check_eod`), whole sectors, a writable disk, injected faults
//! (`should_fail_bio`, CONFIG_FAIL_MAKE_REQUEST) — then counted in flight
//! and handed to the driver; at `bio_endio` the disk's `/proc/diskstats`
//! counters take it. A bio failed here never reaches the driver and is
//! not counted, as Linux's. Left out: plugging, merging, the I/O
//! schedulers, blk-mq's tags (the driver queues for itself).

use alloc::boxed::Box;

use super::bio::{
    BLK_STS_IOERR, BLK_STS_NOTSUPP, Bio, REQ_OP_FLUSH, REQ_OP_READ, REQ_OP_WRITE, SECTOR_SIZE,
    bio_endio,
};
use super::genhd::{STAT_FLUSH, STAT_READ, STAT_WRITE};

/// `bio_check_eod()`: no sector past the disk's end.
fn bio_check_eod(bio: &Bio) -> bool {
    let maxsector = bio.bi_bdev.nr_sectors();
    let nr = bio.bio_sectors();
    if nr > 0 && (nr > maxsector || bio.bi_iter.bi_sector > maxsector - nr) {
        log::warn!(
            "attempt to access beyond end of device\n{}: rw={}, sector={}, nr_sectors = {} limit={}",
            bio.bi_bdev.disk_name,
            bio.bi_opf,
            bio.bi_iter.bi_sector,
            nr,
            maxsector
        );
        return false;
    }
    true
}

/// Whole sectors only: the disk's logical block size is 512.
fn bio_aligned(bio: &Bio) -> bool {
    bio.bi_io_vec
        .iter()
        .all(|v| v.bv_len % SECTOR_SIZE == 0 && v.bv_offset % SECTOR_SIZE == 0)
}

fn stat_group(op: u32) -> usize {
    match op {
        REQ_OP_READ => STAT_READ,
        REQ_OP_FLUSH => STAT_FLUSH,
        _ => STAT_WRITE,
    }
}

/// `bio_start_io_acct()`: the bio is in flight from now.
fn bio_start_io_acct(bio: &mut Bio) {
    let now = crate::task::time::ktime_get_ns();
    bio.bi_bdev.stats_start(stat_group(bio.bio_op()), now);
    bio.start_ns = Some(now);
}

/// `bio_end_io_acct()`: one more I/O done of its group, its sectors and
/// time, one fewer in flight.
pub(crate) fn bio_end_io_acct(mut bio: Box<Bio>) -> Box<Bio> {
    if let Some(start) = bio.start_ns.take() {
        let now = crate::task::time::ktime_get_ns();
        bio.bi_bdev.stats_done(
            stat_group(bio.bio_op()),
            bio.bio_sectors(),
            now.saturating_sub(start),
            now,
        );
    }
    bio
}

/// `submit_bio()` → `submit_bio_noacct()`: start the I/O; it completes
/// through `bio_endio` (see the module doc of `block` for the contract).
/// Never sleeps.
#[inline(never)]
pub fn submit_bio(mut bio: Box<Bio>) {
    let op = bio.bio_op();
    let fail = if !matches!(op, REQ_OP_READ | REQ_OP_WRITE | REQ_OP_FLUSH) {
        Some(BLK_STS_NOTSUPP)
    } else if op == REQ_OP_WRITE && bio.bi_bdev.read_only {
        log::warn!(
            "Trying to write to read-only block-device {}",
            bio.bi_bdev.disk_name
        );
        Some(BLK_STS_IOERR)
    } else if !bio_check_eod(&bio) || !bio_aligned(&bio) || bio.bi_bdev.should_fail_bio(&bio) {
        Some(BLK_STS_IOERR)
    } else {
        None
    };
    if let Some(status) = fail {
        bio.bi_status = status;
        bio_endio(bio);
        return;
    }
    bio_start_io_acct(&mut bio);
    let ops = bio.bi_bdev.ops.clone();
    ops.submit_bio(bio);
}
