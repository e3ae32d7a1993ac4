//! Readahead (mm/readahead.c of Linux 6.1): a file read sequentially is
//! read in growing windows ahead of the reader, each window's last part
//! (`async_size` pages) marked so that reaching its first page
//! (PG_readahead) starts the next window before the reader needs it.
//! `ondemand_readahead` decides: a read at the file's start or right
//! after the previous one (`prev_pos`) starts or extends the window, a
//! hit on the marker moves it on, anything else reads just what was
//! asked. Faults on a mapping read around the faulting page instead
//! (`do_sync_mmap_readahead` in filemap.rs).
//!
//! The pages of a window are allocated, locked and added to the page
//! cache (charged to the reader's memcg, as any page cache), then handed
//! to the file system's `readahead` in one batch under a plug, so a run
//! of blocks contiguous on disk is one bio. Left out: large folios
//! (`page_cache_ra_order` reads order-0 pages), `try_context_readahead`
//! (a read that is neither the file's start nor sequential is treated as
//! random), `FMODE_RANDOM` (posix_fadvise) and the block cgroup's
//! congestion check.

use alloc::vec::Vec;

use super::filemap::{AddressSpace, filemap_add_folio, filemap_get_folio};
use super::gfp::Gfp;
use super::page::{PAGE_SHIFT, Page, PageFlags};
use super::page_alloc::{__alloc_pages, __free_pages};

/// `VM_READAHEAD_PAGES`: the default window of a disk, 128 KiB
/// (`read_ahead_kb`).
pub const VM_READAHEAD_PAGES: u64 = (128 * 1024) >> PAGE_SHIFT;

/// `struct file_ra_state`: one open file's readahead window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRaState {
    /// Where the current window starts, its size and how many of its
    /// last pages are ahead of the marker (all in pages).
    pub start: u64,
    pub size: u64,
    pub async_size: u64,
    /// The largest window: the backing device's `ra_pages`, 0 for
    /// files that have none (read page by page).
    pub ra_pages: u64,
    /// Faults that missed the cache (`mmap_miss`): many misses stop the
    /// read-around of a mapping that is used randomly.
    pub mmap_miss: u32,
    /// The byte after the previous read, -1 before the first
    /// (`prev_pos`).
    pub prev_pos: i64,
}

impl FileRaState {
    /// `file_ra_state_init()` for a file of `mapping`.
    pub fn new(mapping: &AddressSpace) -> Self {
        Self::with_ra_pages(mapping.ra_pages())
    }

    /// The state of a file with a window of `ra_pages` (0: a file
    /// without a page cache, or read page by page).
    pub const fn with_ra_pages(ra_pages: u64) -> Self {
        Self {
            start: 0,
            size: 0,
            async_size: 0,
            ra_pages,
            mmap_miss: 0,
            prev_pos: -1,
        }
    }
}

/// `get_init_ra_size()`: the first window for a read of `size` pages:
/// 4 or 2 times the request rounded up to a power of two while small,
/// else the largest.
fn get_init_ra_size(size: u64, max: u64) -> u64 {
    let newsize = size.next_power_of_two();
    if newsize <= max / 32 {
        newsize * 4
    } else if newsize <= max / 4 {
        newsize * 2
    } else {
        max
    }
}

/// `get_next_ra_size()`: the window after one of `ra.size` pages:
/// quadrupled while small, then doubled, up to the largest.
fn get_next_ra_size(ra: &FileRaState, max: u64) -> u64 {
    let cur = ra.size;
    if cur < max / 16 {
        4 * cur
    } else if cur <= max / 2 {
        2 * cur
    } else {
        max
    }
}

/// `read_pages()`: hand the locked, new pages to the file system in one
/// batch under a plug, then drop the batch's references (the cache keeps
/// its own; a page under read stays locked until the read ends).
fn read_pages(mapping: &AddressSpace, batch: &mut Vec<(u64, &'static Page)>) {
    if batch.is_empty() {
        return;
    }
    #[cfg(target_os = "none")]
    let plug = crate::block::blk_mq::blk_start_plug();
    mapping.readahead(batch);
    #[cfg(target_os = "none")]
    crate::block::blk_mq::blk_finish_plug(plug);
    for (_, page) in batch.drain(..) {
        __free_pages(mapping.node(), page, 0);
    }
}

/// `page_cache_ra_unbounded()`: add and read `nr_to_read` pages from
/// `index`, skipping those cached already, with PG_readahead on the page
/// `lookahead_size` before the end. Stops at the first page the memcg
/// or the allocator cannot give (readahead is only a hint).
#[inline(never)]
pub fn page_cache_ra_unbounded(
    mapping: &AddressSpace,
    index: u64,
    nr_to_read: u64,
    lookahead_size: u64,
) {
    let pgdat = mapping.node();
    let mut batch = Vec::with_capacity(nr_to_read as usize);
    for i in 0..nr_to_read {
        if let Some(page) = filemap_get_folio(mapping, index + i) {
            __free_pages(pgdat, page, 0);
            read_pages(mapping, &mut batch);
            continue;
        }
        let gfp = Gfp::GFP_HIGHUSER_MOVABLE | Gfp::__GFP_NORETRY | Gfp::__GFP_NOWARN;
        let Some(page) = __alloc_pages(pgdat, gfp, 0) else {
            break;
        };
        page.set(PageFlags::LOCKED);
        if i == nr_to_read - lookahead_size {
            page.set(PageFlags::READAHEAD);
        }
        if filemap_add_folio(mapping, page, index + i).is_err() {
            page.clear(PageFlags::LOCKED | PageFlags::READAHEAD);
            __free_pages(pgdat, page, 0);
            break;
        }
        // The cache keeps the allocation's reference; the batch holds the
        // other until the read is handed over.
        batch.push((index + i, page));
    }
    read_pages(mapping, &mut batch);
}

/// `do_page_cache_ra()`: `page_cache_ra_unbounded` within the file.
#[inline(never)]
pub fn do_page_cache_ra(mapping: &AddressSpace, index: u64, nr_to_read: u64, lookahead_size: u64) {
    let isize = mapping.size();
    if isize == 0 {
        return;
    }
    let end_index = (isize - 1) >> PAGE_SHIFT;
    if index > end_index {
        return;
    }
    let nr_to_read = nr_to_read.min(end_index - index + 1);
    page_cache_ra_unbounded(mapping, index, nr_to_read, lookahead_size.min(nr_to_read));
    // A frame of its own in backtraces, as in Linux (no tail call).
    core::hint::black_box(());
}

/// `ondemand_readahead()`: the window for a read of `req_size` pages at
/// `index`, `hit_readahead` when the reader reached a PG_readahead page.
#[inline(never)]
fn ondemand_readahead(
    mapping: &AddressSpace,
    ra: &mut FileRaState,
    hit_readahead: bool,
    index: u64,
    req_size: u64,
) {
    let max_pages = ra.ra_pages;
    let initial = 'window: {
        if index == 0 {
            break 'window true;
        }
        // The expected next window: move it on, one size bigger.
        if index == ra.start + ra.size - ra.async_size || index == ra.start + ra.size {
            ra.start += ra.size;
            ra.size = get_next_ra_size(ra, max_pages);
            ra.async_size = ra.size;
            break 'window false;
        }
        if hit_readahead {
            // A marker of another window (interleaved readers): start a
            // window after the pages already cached from here.
            // `page_cache_next_miss()` over at most max_pages pages.
            let mut start = index + 1;
            while start <= index + max_pages && mapping.has_folio(start) {
                start += 1;
            }
            if start - index > max_pages {
                return;
            }
            ra.start = start;
            ra.size = start - index + req_size;
            ra.size = get_next_ra_size(ra, max_pages);
            ra.async_size = ra.size;
            break 'window false;
        }
        if req_size > max_pages {
            break 'window true;
        }
        // Unsigned as Linux's: before any read (prev_pos -1) nothing is
        // sequential.
        let prev_index = (ra.prev_pos as u64) >> PAGE_SHIFT;
        if index.wrapping_sub(prev_index) <= 1 {
            break 'window true;
        }
        // Random: read what was asked, no window.
        do_page_cache_ra(mapping, index, req_size, 0);
        return;
    };
    if initial {
        ra.start = index;
        ra.size = get_init_ra_size(req_size, max_pages);
        ra.async_size = if ra.size > req_size {
            ra.size - req_size
        } else {
            ra.size
        };
    }
    // readit: a first window read all ahead gets the next one at once.
    if !hit_readahead && index == ra.start && ra.size == ra.async_size {
        let add_pages = get_next_ra_size(ra, max_pages);
        if ra.size + add_pages <= max_pages {
            ra.async_size = add_pages;
            ra.size += add_pages;
        } else {
            ra.size = max_pages;
            ra.async_size = max_pages >> 1;
        }
    }
    do_page_cache_ra(mapping, ra.start, ra.size, ra.async_size);
}

/// `page_cache_sync_ra()`: the reader missed the cache at `index`.
#[inline(never)]
pub fn page_cache_sync_ra(
    mapping: &AddressSpace,
    ra: &mut FileRaState,
    index: u64,
    req_count: u64,
) {
    if ra.ra_pages == 0 {
        // No readahead: the caller reads the one page.
        return;
    }
    ondemand_readahead(mapping, ra, false, index, req_count);
}

/// `page_cache_async_ra()`: the reader reached `page`, which carries
/// PG_readahead: start the next window while this one is still read.
#[inline(never)]
pub fn page_cache_async_ra(
    mapping: &AddressSpace,
    ra: &mut FileRaState,
    page: &Page,
    index: u64,
    req_count: u64,
) {
    if ra.ra_pages == 0 || page.test(PageFlags::WRITEBACK) {
        return;
    }
    page.clear(PageFlags::READAHEAD);
    ondemand_readahead(mapping, ra, true, index, req_count);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::filemap::{AddressSpaceOperations, filemap_read, folio_unlock};
    use crate::mm::mmzone::PglistData;
    use crate::sync::SpinLock;
    use crate::uapi::errno::KResult;
    use alloc::sync::Arc;

    #[test]
    fn window_sizes_are_linux_s() {
        assert_eq!(get_init_ra_size(1, 32), 4);
        assert_eq!(get_init_ra_size(3, 32), 8);
        assert_eq!(get_init_ra_size(16, 32), 32);
        let mut ra = FileRaState::with_ra_pages(32);
        for (size, next) in [(1, 4), (4, 8), (8, 16), (16, 32), (32, 32)] {
            ra.size = size;
            assert_eq!(get_next_ra_size(&ra, 32), next, "after {size}");
        }
    }

    /// A 1 MiB file of zeroes on a device with 32-page windows that
    /// records each batch `readahead` is given.
    struct Recorder(SpinLock<Vec<(u64, usize)>>);

    impl AddressSpaceOperations for Recorder {
        fn i_size(&self) -> u64 {
            1 << 20
        }
        fn read_folio(&self, pgdat: &PglistData, page: &'static Page, _index: u64) -> KResult<()> {
            pgdat.phys.clear_page(pgdat.page_to_pfn(page));
            Ok(())
        }
        fn ra_pages(&self) -> u64 {
            32
        }
        fn readahead(&self, pgdat: &PglistData, batch: &[(u64, &'static Page)]) {
            self.0.lock_irqsave().push((batch[0].0, batch.len()));
            for &(index, page) in batch {
                self.read_folio(pgdat, page, index).unwrap();
                page.set(PageFlags::UPTODATE);
                folio_unlock(page);
            }
        }
    }

    /// 4 KiB reads of pages 0-99: windows of 4, 8, 16, then 32 pages,
    /// each started when the reader reaches the previous one's marker,
    /// as Linux's ondemand_readahead; a read far away is read alone.
    #[test]
    fn a_sequential_reader_gets_linux_s_windows() {
        let (pgdat, _) = crate::mm::testing::node(&[(0x1000, 16 << 20)], &[]);
        let pgdat: &'static PglistData = alloc::boxed::Box::leak(alloc::boxed::Box::new(pgdat));
        let rec = Arc::new(Recorder(SpinLock::new(Vec::new())));
        let mapping = AddressSpace::new_aops(pgdat, rec.clone());
        let mut ra = FileRaState::new(&mapping);
        let mut buf = [0u8; 4096];
        for i in 0..100 {
            assert_eq!(
                filemap_read(&mapping, Some(&mut ra), i * 4096, &mut buf),
                Ok(4096)
            );
        }
        assert_eq!(
            *rec.0.lock_irqsave(),
            [
                (0, 4),
                (4, 8),
                (12, 16),
                (28, 32),
                (60, 32),
                (92, 32),
                (124, 32)
            ]
        );
        rec.0.lock_irqsave().clear();
        filemap_read(&mapping, Some(&mut ra), 200 * 4096, &mut buf).unwrap();
        assert_eq!(*rec.0.lock_irqsave(), [(200, 1)], "random: no window");
    }
}
