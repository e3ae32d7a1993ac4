//! `submit_bio` (block/blk-core.c) and the `fail_make_request` fault
//! attribute (lib/fault-inject.c `should_fail`, with its debugfs files
//! probability, interval, times, space and verbose under
//! /sys/kernel/debug/fail_make_request): a bio is checked — the disk's
//! end (`bio_check_eod`), whole sectors, a writable disk, injected faults
//! (`should_fail_bio`, CONFIG_FAIL_MAKE_REQUEST) — then handed to blk-mq
//! (blk_mq.rs), which merges, plugs, bounds and accounts it. A bio failed
//! here never reaches the driver and is not counted, as Linux's.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use core::fmt::Write;
use core::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use crate::fs::Inode;
use crate::fs::proc::{ProcDir, ProcFile};
use crate::uapi::errno::Errno;

use super::bio::{
    BLK_STS_IOERR, BLK_STS_NOTSUPP, Bio, REQ_OP_FLUSH, REQ_OP_READ, REQ_OP_WRITE, SECTOR_SIZE,
    bio_endio,
};

/// `struct fault_attr` of `fail_make_request`. Linux starts with
/// probability 0 and times 1, so that a disk's make-it-fail does nothing
/// until they are set; here make-it-fail is the test switch alone, so the
/// defaults are probability 100 and times -1 (no limit). Scripts that set
/// both, as they must on Linux, behave the same on both kernels.
struct FaultAttr {
    probability: AtomicU64,
    interval: AtomicU64,
    times: AtomicI64,
    space: AtomicI64,
    verbose: AtomicU64,
    count: AtomicU64,
}

static FAIL_MAKE_REQUEST: FaultAttr = FaultAttr {
    probability: AtomicU64::new(100),
    interval: AtomicU64::new(1),
    times: AtomicI64::new(-1),
    space: AtomicI64::new(0),
    verbose: AtomicU64::new(0),
    count: AtomicU64::new(0),
};

/// `should_fail()`: whether a request of `size` bytes fails now.
fn should_fail(attr: &FaultAttr, size: u64) -> bool {
    let times = attr.times.load(Relaxed);
    if times == 0 {
        return false;
    }
    let space = attr.space.load(Relaxed);
    if space > size as i64 {
        attr.space.fetch_sub(size as i64, Relaxed);
        return false;
    }
    let interval = attr.interval.load(Relaxed);
    if interval > 1 && !(attr.count.fetch_add(1, Relaxed) + 1).is_multiple_of(interval) {
        return false;
    }
    let probability = attr.probability.load(Relaxed);
    if probability < 100 {
        let mut r = [0u8; 4];
        crate::task::sys::get_random_bytes(&mut r);
        if probability <= u64::from(u32::from_ne_bytes(r) % 100) {
            return false;
        }
    }
    if attr.verbose.load(Relaxed) > 0 {
        log::info!(
            "FAULT_INJECTION: forcing a failure.\nname fail_make_request, interval {interval}, probability {probability}, space {space}, times {times}"
        );
    }
    if times != -1 {
        attr.times.fetch_sub(1, Relaxed);
    }
    true
}

/// `should_fail_request()`: the disk's make-it-fail is on and the fault
/// attribute says now.
fn should_fail_bio(bio: &Bio) -> bool {
    bio.bi_bdev.make_it_fail() && should_fail(&FAIL_MAKE_REQUEST, u64::from(bio.bi_iter.bi_size))
}

/// /sys/kernel/debug/fail_make_request: the attribute's files
/// (`fault_create_debugfs_attr`), each a decimal number.
pub fn fail_make_request_debugfs() -> Arc<dyn Inode> {
    fn file(show: fn() -> i64, store: fn(i64) -> Result<(), Errno>) -> Arc<dyn Inode> {
        ProcFile::new(
            move |m: &mut String| writeln!(m, "{}", show()),
            Some(Arc::new(move |buf: &[u8]| {
                let text = core::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
                store(text.trim().parse().map_err(|_| Errno::EINVAL)?)
            })),
        )
    }
    ProcDir::with_mode(
        0o700,
        alloc::vec![
            (
                "interval",
                file(
                    || FAIL_MAKE_REQUEST.interval.load(Relaxed) as i64,
                    |v| {
                        // `debugfs_ul_set`: 0 would divide by zero; Linux
                        // keeps at least 1.
                        let v = u64::try_from(v).map_err(|_| Errno::EINVAL)?.max(1);
                        FAIL_MAKE_REQUEST.interval.store(v, Relaxed);
                        Ok(())
                    }
                )
            ),
            (
                "probability",
                file(
                    || FAIL_MAKE_REQUEST.probability.load(Relaxed) as i64,
                    |v| {
                        let v = u64::try_from(v).map_err(|_| Errno::EINVAL)?;
                        FAIL_MAKE_REQUEST.probability.store(v, Relaxed);
                        Ok(())
                    }
                )
            ),
            (
                "space",
                file(
                    || FAIL_MAKE_REQUEST.space.load(Relaxed),
                    |v| {
                        FAIL_MAKE_REQUEST.space.store(v, Relaxed);
                        Ok(())
                    }
                )
            ),
            (
                "times",
                file(
                    || FAIL_MAKE_REQUEST.times.load(Relaxed),
                    |v| {
                        FAIL_MAKE_REQUEST.times.store(v, Relaxed);
                        Ok(())
                    }
                )
            ),
            (
                "verbose",
                file(
                    || FAIL_MAKE_REQUEST.verbose.load(Relaxed) as i64,
                    |v| {
                        let v = u64::try_from(v).map_err(|_| Errno::EINVAL)?;
                        FAIL_MAKE_REQUEST.verbose.store(v, Relaxed);
                        Ok(())
                    }
                )
            ),
        ],
        None,
    )
}

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

/// `submit_bio()` → `submit_bio_noacct()`: check the bio and hand it to
/// blk-mq (`blk_mq_submit_bio`); it completes through `bio_endio` (see
/// the module doc of `block` for the contract). May sleep for a tag.
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
    } else if !bio_check_eod(&bio) || !bio_aligned(&bio) || should_fail_bio(&bio) {
        Some(BLK_STS_IOERR)
    } else {
        None
    };
    if let Some(status) = fail {
        bio.bi_status = status;
        bio_endio(bio);
        return;
    }
    super::blk_mq::blk_mq_submit_bio(bio);
}
