//! Swap I/O (mm/page_io.c of Linux 6.1): a swap-cache page written to
//! its slot for reclaim (`swap_writepage`) or read from it on a fault
//! (`swap_read_folio`, Linux 6.1's `swap_readpage`), one bio a page,
//! completed by the disk's interrupt. A write leaves the page locked out
//! of the way under `PG_writeback` until `end_swap_bio_write`; a read
//! leaves it locked until `end_swap_bio_read` marks it up to date, so a
//! fault waiting for it sleeps in `folio_lock`.
//!

use alloc::boxed::Box;

use super::filemap::{folio_end_writeback, folio_unlock};
use super::memcontrol::{count_memcg_events, folio_memcg, lruvec_stat_mod_folio};
use super::mmzone::{NodeStatItem, PglistData, node_data};
use super::page::{PAGE_SIZE, Page, PageFlags};
use super::swap_state::folio_swap_entry;
use super::swapfile::{folio_free_swap, swap_page_sector, swp_swap_bdev};
use super::vmstat::{VmEventItem, count_vm_events};
use crate::block::bio::{BLK_STS_OK, Bio, REQ_OP_READ, REQ_OP_WRITE, bio_add_page, bio_alloc};
use crate::block::blk_core::submit_bio;
use crate::printk::printk::LOGLEVEL_ALERT;

/// A bio for `page`'s slot on its area's disk; None if the area has no
/// disk any more (it cannot: swapoff waits for every page first).
fn swap_bio(page: &'static Page, op: u32, end_io: fn(Box<Bio>)) -> Option<Box<Bio>> {
    let entry = folio_swap_entry(page);
    let bdev = swp_swap_bdev(entry)?;
    let mut bio = bio_alloc(&bdev, 1, op);
    bio.bi_iter.bi_sector = swap_page_sector(entry);
    bio.bi_end_io = Some(end_io);
    bio_add_page(&mut bio, page, PAGE_SIZE as u32, 0);
    Some(bio)
}

/// `count_swpout_vm_event()`.
fn count_swpout_vm_event(page: &Page) {
    if let Some(memcg) = folio_memcg(page) {
        count_memcg_events(&memcg, VmEventItem::Pswpout, 1);
    }
    count_vm_events(VmEventItem::Pswpout, 1);
}

/// `end_swap_bio_write()`: the write ended. A failed one keeps the data
/// only in memory: the page is dirtied again so reclaim cannot drop it,
/// and does not rotate.
#[allow(clippy::boxed_local)]
fn end_swap_bio_write(bio: Box<Bio>) {
    let page = bio.bi_io_vec[0].bv_page;
    if bio.bi_status != BLK_STS_OK {
        page.set(PageFlags::DIRTY);
        crate::printk_ratelimited!(
            LOGLEVEL_ALERT,
            "end_swap_bio_write",
            "Write-error on swap-device ({}:{}:{})",
            bio.bi_bdev.bd_dev.major,
            bio.bi_bdev.bd_dev.minor,
            bio.bi_iter.bi_sector
        );
        page.clear(PageFlags::RECLAIM);
    }
    folio_end_writeback(node_data(0), page);
}

/// `folio_start_writeback()` (mm/page-writeback.c).
fn folio_start_writeback(pgdat: &PglistData, page: &Page) {
    let started = page.test_and_set(PageFlags::WRITEBACK);
    debug_assert!(started, "writeback started twice");
    lruvec_stat_mod_folio(pgdat, page, NodeStatItem::NrWriteback, 1);
}

/// `__swap_writepage()`: start the write of a locked swap-cache page to
/// its slot and unlock it; it stays under writeback until the bio ends.
#[inline(never)]
fn __swap_writepage(pgdat: &PglistData, page: &'static Page) {
    let Some(bio) = swap_bio(page, REQ_OP_WRITE, end_swap_bio_write) else {
        page.set(PageFlags::DIRTY);
        folio_unlock(page);
        return;
    };
    count_swpout_vm_event(page);
    folio_start_writeback(pgdat, page);
    folio_unlock(page);
    submit_bio(bio);
    core::hint::black_box(());
}

/// `swap_writepage()`: reclaim's `writepage` for swap-cache pages. A page
/// whose slot nobody refers to any more is dropped from the swap cache
/// instead of written.
#[inline(never)]
pub fn swap_writepage(pgdat: &PglistData, page: &'static Page) {
    if folio_free_swap(pgdat, page) {
        folio_unlock(page);
        return;
    }
    __swap_writepage(pgdat, page);
    core::hint::black_box(());
}

/// `end_swap_bio_read()`: the page is up to date, or the read failed and
/// it is not (the fault then gets SIGBUS); either way it is unlocked.
#[allow(clippy::boxed_local)]
fn end_swap_bio_read(bio: Box<Bio>) {
    let page = bio.bi_io_vec[0].bv_page;
    if bio.bi_status == BLK_STS_OK {
        page.set(PageFlags::UPTODATE);
    } else {
        page.clear(PageFlags::UPTODATE);
        crate::printk_ratelimited!(
            LOGLEVEL_ALERT,
            "end_swap_bio_read",
            "Read-error on swap-device ({}:{}:{})",
            bio.bi_bdev.bd_dev.major,
            bio.bi_bdev.bd_dev.minor,
            bio.bi_iter.bi_sector
        );
    }
    folio_unlock(page);
}

/// `swap_read_folio()` (`swap_readpage`): start reading a locked, new
/// swap-cache page from its slot.
#[inline(never)]
pub fn swap_read_folio(_pgdat: &PglistData, page: &'static Page) {
    let Some(bio) = swap_bio(page, REQ_OP_READ, end_swap_bio_read) else {
        folio_unlock(page);
        return;
    };
    count_vm_events(VmEventItem::Pswpin, 1);
    if let Some(memcg) = folio_memcg(page) {
        count_memcg_events(&memcg, VmEventItem::Pswpin, 1);
    }
    submit_bio(bio);
    core::hint::black_box(());
}
