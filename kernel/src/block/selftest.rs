//! The `bio` self-test (`echo bio > /sys/kernel/debug/tinymm/selftest`):
//! the block layer's API on the first disk, as its users call it — an
//! exclusive claim and EBUSY for another holder, a three-page write with
//! `submit_bio_wait` and an asynchronous three-page read back with its
//! own `bi_end_io`, bios past the end or not in whole sectors failing
//! with EIO, the sectors used put back as they were, and every page back.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::bdev::{BLK_OPEN_EXCL, blkdev_get_by_dev, blkdev_put};
use super::bio::{
    BLK_STS_OK, Bio, REQ_OP_READ, REQ_OP_WRITE, bio_add_page, bio_alloc, submit_bio_wait,
};
use super::blk_core::submit_bio;
use super::genhd::{BlockDevice, disks};
use crate::mm::gfp::Gfp;
use crate::mm::mmzone::{ZoneStatItem, node_data};
use crate::mm::page::{PAGE_SIZE, Page};
use crate::mm::page_alloc::{alloc_pages, free_pages};
use crate::println;
use crate::sync::SpinLock;
use crate::task::wait::WaitQueueHead;
use crate::uapi::errno::Errno;

const NR: usize = 3;
/// Where on the disk the test writes (and restores).
const SECTOR: u64 = 64;

/// What the asynchronous read's `bi_end_io` reports.
struct ReadDone {
    status: SpinLock<Option<u8>>,
    wait: WaitQueueHead,
}

#[allow(
    clippy::boxed_local,
    reason = "the bio_end_io_t signature: it owns the bio"
)]
fn read_end_io(bio: Box<Bio>) {
    if let Some(done) = bio.bi_private.clone()
        && let Ok(done) = done.downcast::<ReadDone>()
    {
        *done.status.lock_irqsave() = Some(bio.bi_status.0);
        done.wait.wake_up();
    }
}

fn pages_bio(bdev: &Arc<BlockDevice>, op: u32, pages: &[&'static Page]) -> Box<Bio> {
    let mut bio = bio_alloc(bdev, pages.len(), op);
    bio.bi_iter.bi_sector = SECTOR;
    for p in pages {
        bio_add_page(&mut bio, p, PAGE_SIZE as u32, 0);
    }
    bio
}

fn fill(page: &Page, byte: u8) {
    let pfn = node_data(0).page_to_pfn(page);
    node_data(0)
        .phys
        .copy_to_page(pfn, 0, &[byte; PAGE_SIZE as usize]);
}

fn bytes(page: &Page) -> Vec<u8> {
    let mut out = alloc::vec![0u8; PAGE_SIZE as usize];
    node_data(0)
        .phys
        .copy_from_page(node_data(0).page_to_pfn(page), 0, &mut out);
    out
}

/// Runs the test; false when a check fails.
pub fn selftest_bio() -> bool {
    let Some(disk) = disks().into_iter().next() else {
        println!("selftest bio: no disk");
        return false;
    };
    let pgdat = node_data(0);
    let free_before = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let dev = disk.bd_dev;
    let claim = blkdev_get_by_dev(dev, BLK_OPEN_EXCL, 1).is_ok();
    let busy = blkdev_get_by_dev(dev, BLK_OPEN_EXCL, 2).err() == Some(Errno::EBUSY);
    let shared = blkdev_get_by_dev(dev, 0, 0).is_ok();
    blkdev_put(&disk, 0, 0);
    blkdev_put(&disk, BLK_OPEN_EXCL, 1);
    let released = blkdev_get_by_dev(dev, BLK_OPEN_EXCL, 2).is_ok();
    blkdev_put(&disk, BLK_OPEN_EXCL, 2);

    let alloc = || alloc_pages(Gfp::GFP_KERNEL, 0).expect("selftest pages");
    let saved: Vec<&'static Page> = (0..NR).map(|_| alloc()).collect();
    let out: Vec<&'static Page> = (0..NR).map(|_| alloc()).collect();
    let back: Vec<&'static Page> = (0..NR).map(|_| alloc()).collect();
    let saved_ok = submit_bio_wait(pages_bio(&disk, REQ_OP_READ, &saved)).is_ok();
    for (i, p) in out.iter().enumerate() {
        fill(p, 0xa0 + i as u8);
    }
    let wrote = submit_bio_wait(pages_bio(&disk, REQ_OP_WRITE, &out)).is_ok();
    let done = Arc::new(ReadDone {
        status: SpinLock::new(None),
        wait: WaitQueueHead::new(),
    });
    let mut bio = pages_bio(&disk, REQ_OP_READ, &back);
    bio.bi_end_io = Some(read_end_io);
    bio.bi_private = Some(done.clone());
    submit_bio(bio);
    done.wait
        .wait_event_io(|| done.status.lock_irqsave().is_some());
    let read_ok = *done.status.lock_irqsave() == Some(BLK_STS_OK.0);
    let same = out.iter().zip(&back).all(|(a, b)| bytes(a) == bytes(b));
    let restored = submit_bio_wait(pages_bio(&disk, REQ_OP_WRITE, &saved)).is_ok();

    let mut beyond = bio_alloc(&disk, 1, REQ_OP_READ);
    beyond.bi_iter.bi_sector = disk.nr_sectors() - 4;
    bio_add_page(&mut beyond, back[0], PAGE_SIZE as u32, 0);
    let eod = submit_bio_wait(beyond) == Err(Errno::EIO);
    let mut odd = bio_alloc(&disk, 1, REQ_OP_READ);
    bio_add_page(&mut odd, back[0], 100, 0);
    let unaligned = submit_bio_wait(odd) == Err(Errno::EIO);

    for p in saved.iter().chain(&out).chain(&back) {
        free_pages(p, 0);
    }
    let free_after = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let checks = [
        ("claim", claim),
        ("ebusy", busy),
        ("shared", shared),
        ("released", released),
        ("save", saved_ok),
        ("write", wrote),
        ("read", read_ok),
        ("same", same),
        ("restore", restored),
        ("eod", eod),
        ("unaligned", unaligned),
        ("pages", free_after == free_before),
    ];
    let failed: Vec<&str> = checks.iter().filter(|c| !c.1).map(|c| c.0).collect();
    println!(
        "selftest bio: {}: {} checks, failed: {:?}",
        disk.disk_name,
        checks.len(),
        failed
    );
    failed.is_empty()
}
