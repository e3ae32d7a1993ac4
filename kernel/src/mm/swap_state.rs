//! The swap cache (mm/swap_state.c of Linux 6.1): anonymous pages that
//! have a swap slot, found by their swap entry — pages being written
//! out, pages read back in (and their readahead neighbours), and pages
//! whose slot still holds a valid copy. `add_to_swap` gives an
//! anonymous page its slot when reclaim picks it; swap-in goes through
//! `swapin_readahead` → `swap_cluster_readahead` →
//! `__read_swap_cache_async`, which charges the new page to the memcg
//! that owned the slot (`mem_cgroup_swapin_charge_folio`).
//!
//! A page in the cache has `PG_swapcache`, its entry in `private` and one
//! reference held by the cache. It counts in the node's `nr_file_pages`
//! (not the memcg's) and in `nr_swapcached` (both), as in Linux. Linux
//! keeps one `address_space` per 64 MiB of each area, an xarray whose
//! slots hold pages or shadows; tinymm keeps one flat table an area
//! (`swapper_spaces`), a slot per swap page.
//!
//! A page reclaim evicted leaves a shadow entry (mm/workingset.rs) that
//! its swap-in reads back, until the slot is freed.
//!
//! Left out: VMA-based readahead (`swap_vma_readahead`: Linux uses it
//! only when no swap device is rotational, and virtio-blk disks are),
//! large folios.

use alloc::vec::Vec;

use super::memcontrol::lruvec_stat_mod_folio;
use super::mmzone::{NodeStatItem, PglistData};
use super::page::{Page, PageFlags};
use super::page_alloc::__free_pages;
use super::swapops::{MAX_SWAPFILES, SwpEntry, swp_offset, swp_type};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// `swapper_spaces`: each area's cache, a slot per swap page: 0 (empty),
/// a page (`pfn << 1`), or the shadow of a page reclaim evicted, until it
/// comes back or the slot is freed (`shadow << 1 | 1`, as the xarray's
/// value entries; mm/workingset.rs).
static SWAPPER_SPACES: SpinLock<[Vec<u64>; MAX_SWAPFILES]> =
    SpinLock::new([const { Vec::new() }; MAX_SWAPFILES]);

/// What a slot holds.
enum SwapSlot {
    Empty,
    Page(u64),
    Shadow(u64),
}

impl SwapSlot {
    fn decode(v: u64) -> Self {
        match v {
            0 => Self::Empty,
            v if v & 1 == 1 => Self::Shadow(v >> 1),
            v => Self::Page(v >> 1),
        }
    }
}

/// `init_swap_address_space()`: an empty cache for area `type_` of
/// `nr_pages` slots; ENOMEM when the kernel heap cannot hold it.
pub fn init_swap_address_space(type_: u32, nr_pages: u64) -> KResult<()> {
    let mut space = Vec::new();
    let len = usize::try_from(nr_pages).map_err(|_| Errno::ENOMEM)?;
    space.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    space.resize(len, 0);
    SWAPPER_SPACES.lock_irqsave()[type_ as usize] = space;
    Ok(())
}

/// `exit_swap_address_space()`: swapoff emptied the area's cache (the
/// shadows of freed slots are gone with them).
pub fn exit_swap_address_space(type_: u32) {
    let space = core::mem::take(&mut SWAPPER_SPACES.lock_irqsave()[type_ as usize]);
    debug_assert!(
        space
            .iter()
            .all(|&v| !matches!(SwapSlot::decode(v), SwapSlot::Page(_)))
    );
    drop(space);
}

/// The slot of `entry` in `spaces` (None past the area: a corrupt entry).
fn swap_slot(spaces: &mut [Vec<u64>; MAX_SWAPFILES], entry: SwpEntry) -> Option<&mut u64> {
    spaces
        .get_mut(swp_type(entry) as usize)?
        .get_mut(usize::try_from(swp_offset(entry)).ok()?)
}

/// `folio_swap_entry()`: the entry of a page in the swap cache.
pub fn folio_swap_entry(page: &Page) -> SwpEntry {
    SwpEntry {
        val: page.private(),
    }
}

/// `add_to_swap_cache()`: `page` (locked, swap-backed, not yet cached)
/// stands for `entry` from now on; the cache takes a reference. EEXIST
/// if another page has the entry. Returns the shadow the page replaces.
#[inline(never)]
pub fn add_to_swap_cache(
    pgdat: &PglistData,
    page: &'static Page,
    entry: SwpEntry,
) -> KResult<Option<u64>> {
    debug_assert!(!page.test(PageFlags::SWAPCACHE));
    let shadow = {
        let mut spaces = SWAPPER_SPACES.lock_irqsave();
        let slot = swap_slot(&mut spaces, entry).ok_or(Errno::EINVAL)?;
        let shadow = match SwapSlot::decode(*slot) {
            SwapSlot::Page(_) => return Err(Errno::EEXIST),
            SwapSlot::Shadow(shadow) => Some(shadow),
            SwapSlot::Empty => None,
        };
        *slot = pgdat.page_to_pfn(page) << 1;
        shadow
    };
    page.get();
    page.set(PageFlags::SWAPCACHE);
    page.set_private(entry.val);
    pgdat.mod_page_state(NodeStatItem::NrFilePages, 1);
    lruvec_stat_mod_folio(pgdat, page, NodeStatItem::NrSwapcached, 1);
    Ok(shadow)
}

/// `__delete_from_swap_cache()`: take `page` out of the cache, leaving
/// `shadow` in its place if reclaim evicted it. The cache's reference
/// passes to the caller; the slot's SWAP_HAS_CACHE is the caller's to
/// drop (`put_swap_folio`).
#[inline(never)]
pub fn __delete_from_swap_cache(
    pgdat: &PglistData,
    page: &Page,
    entry: SwpEntry,
    shadow: Option<u64>,
) {
    if let Some(slot) = swap_slot(&mut SWAPPER_SPACES.lock_irqsave(), entry) {
        debug_assert_eq!(*slot, pgdat.page_to_pfn(page) << 1);
        *slot = shadow.map_or(0, |shadow| shadow << 1 | 1);
    }
    page.clear(PageFlags::SWAPCACHE);
    page.set_private(0);
    pgdat.mod_page_state(NodeStatItem::NrFilePages, -1);
    lruvec_stat_mod_folio(pgdat, page, NodeStatItem::NrSwapcached, -1);
}

/// `delete_from_swap_cache()`: as above, and the slot and the cache's
/// reference go too.
#[inline(never)]
pub fn delete_from_swap_cache(pgdat: &PglistData, page: &Page) {
    let entry = folio_swap_entry(page);
    __delete_from_swap_cache(pgdat, page, entry, None);
    super::swapfile::put_swap_folio(entry);
    __free_pages(pgdat, page, 0);
}

/// `clear_shadow_from_swap_cache()`: the slot of `entry` is free; its
/// shadow goes.
pub fn clear_shadow_from_swap_cache(entry: SwpEntry) {
    if let Some(slot) = swap_slot(&mut SWAPPER_SPACES.lock_irqsave(), entry)
        && let SwapSlot::Shadow(_) = SwapSlot::decode(*slot)
    {
        *slot = 0;
    }
}

/// `filemap_get_folio()` on the swap cache: the page for `entry`, with a
/// reference, and no readahead accounting (not a fault's lookup).
pub fn swap_cache_get(pgdat: &PglistData, entry: SwpEntry) -> Option<&'static Page> {
    let mut spaces = SWAPPER_SPACES.lock_irqsave();
    let SwapSlot::Page(pfn) = SwapSlot::decode(*swap_slot(&mut spaces, entry)?) else {
        return None;
    };
    let page = pgdat.pfn_to_page(pfn);
    page.get();
    Some(page)
}

/// `__swapin_nr_pages()`: the readahead window from the hits since the
/// last one: none and not next to the previous fault, one page; else
/// hits + 2 rounded up to a power of two (at least 4), at most
/// `max_pages`, and never below half the previous window.
pub fn __swapin_nr_pages(
    prev_offset: u64,
    offset: u64,
    hits: u32,
    max_pages: u32,
    prev_win: u32,
) -> u32 {
    let mut pages = hits + 2;
    if pages == 2 {
        if offset != prev_offset.wrapping_add(1) && offset != prev_offset.wrapping_sub(1) {
            pages = 1;
        }
    } else {
        let mut roundup = 4;
        while roundup < pages {
            roundup <<= 1;
        }
        pages = roundup;
    }
    pages.min(max_pages).max(prev_win / 2)
}

/// The readahead range around `offset` for a window of `nr` pages (a
/// power of two): the aligned block holding it, without the header page
/// 0 and within the area's `max` slots.
pub fn swap_cluster_readahead_range(offset: u64, nr: u32, max: u64) -> (u64, u64) {
    let mask = u64::from(nr) - 1;
    let start = (offset & !mask).max(1);
    let end = (offset | mask).min(max.saturating_sub(1));
    (start, end)
}

#[cfg(target_os = "none")]
pub use self::kernel::*;

/// The parts that allocate pages, charge them and do I/O.
#[cfg(target_os = "none")]
mod kernel {
    use super::*;
    use crate::mm::filemap::{folio_trylock, folio_unlock};
    use crate::mm::gfp::Gfp;
    use crate::mm::memcontrol::swap::{
        mem_cgroup_swapin_charge_folio, mem_cgroup_swapin_uncharge_swap, mem_cgroup_try_charge_swap,
    };
    use crate::mm::page_alloc::__alloc_pages;
    use crate::mm::page_io::swap_read_folio;
    use crate::mm::swap::folio_add_lru;
    use crate::mm::swapfile::{
        __swap_count, get_swap_pages, put_swap_folio, swap_info_max, swapcache_prepare,
    };
    use crate::mm::swapops::{swp_entry, swp_offset, swp_type};
    use crate::mm::vmstat::{VmEventItem, count_vm_events};
    use crate::mm::workingset::workingset_refault;
    use core::sync::atomic::Ordering::Relaxed;
    use core::sync::atomic::{AtomicU32, AtomicU64};

    /// `swapin_readahead_hits`: readahead pages used since the last window.
    static SWAPIN_READAHEAD_HITS: AtomicU32 = AtomicU32::new(0);
    /// `swapin_nr_pages()`'s `prev_offset` and `last_readahead_pages`.
    static PREV_OFFSET: AtomicU64 = AtomicU64::new(0);
    static LAST_READAHEAD_PAGES: AtomicU32 = AtomicU32::new(0);

    /// `swapin_nr_pages()`: the window for a fault at `offset`, 2^page_cluster
    /// at most.
    fn swapin_nr_pages(offset: u64) -> u32 {
        let max_pages = 1u32
            .checked_shl(crate::mm::swap::PAGE_CLUSTER.load(Relaxed))
            .unwrap_or(u32::MAX);
        if max_pages <= 1 {
            return 1;
        }
        let hits = SWAPIN_READAHEAD_HITS.swap(0, Relaxed);
        let pages = __swapin_nr_pages(
            PREV_OFFSET.load(Relaxed),
            offset,
            hits,
            max_pages,
            LAST_READAHEAD_PAGES.load(Relaxed),
        );
        if hits == 0 {
            PREV_OFFSET.store(offset, Relaxed);
        }
        LAST_READAHEAD_PAGES.store(pages, Relaxed);
        pages
    }

    /// `lookup_swap_cache()`: the cached page for `entry`, with a reference.
    /// A hit on a page that readahead brought in counts as a readahead hit
    /// (`SWAP_RA_HIT`) and widens the next readahead window.
    #[inline(never)]
    pub fn lookup_swap_cache(pgdat: &PglistData, entry: SwpEntry) -> Option<&'static Page> {
        let page = swap_cache_get(pgdat, entry)?;
        if page.test_and_clear(PageFlags::RECLAIM) {
            count_vm_events(VmEventItem::SwapRaHit, 1);
            SWAPIN_READAHEAD_HITS.fetch_add(1, Relaxed);
        }
        Some(page)
    }

    /// `folio_alloc_swap()` (mm/swap_slots.c, without the slot cache): a
    /// slot for `page`, charged to its memcg's swap counter. None when
    /// swap is full or the memcg may not swap more.
    #[inline(never)]
    pub fn folio_alloc_swap(page: &Page) -> Option<SwpEntry> {
        let mut entry = [SwpEntry::default()];
        get_swap_pages(1, &mut entry);
        // No slot is a swap `fail` event of the memcg (entry 0).
        if mem_cgroup_try_charge_swap(page, entry[0]).is_err() {
            put_swap_folio(entry[0]);
            return None;
        }
        (entry[0].val != 0).then_some(entry[0])
    }

    /// `add_to_swap()`: give a locked anonymous page a slot and put it in
    /// the swap cache, dirty, so that reclaim writes it out. False when
    /// no slot can be had.
    #[inline(never)]
    pub fn add_to_swap(pgdat: &PglistData, page: &'static Page) -> bool {
        let Some(entry) = folio_alloc_swap(page) else {
            return false;
        };
        if add_to_swap_cache(pgdat, page, entry).is_err() {
            put_swap_folio(entry);
            return false;
        }
        // The page now differs from the (empty) slot.
        page.set(PageFlags::DIRTY);
        core::hint::black_box(());
        true
    }

    /// `__read_swap_cache_async()`: the swap-cache page for `entry`,
    /// with a reference — the one there, or a new locked page charged to
    /// the slot's memcg (or the current task's) and added to the cache and the LRU,
    /// for the caller to read in (then the bool is true). None when the
    /// entry is no longer in use or memory cannot be had.
    #[inline(never)]
    pub fn __read_swap_cache_async(
        pgdat: &PglistData,
        entry: SwpEntry,
        gfp: Gfp,
    ) -> Option<(&'static Page, bool)> {
        let page = loop {
            if let Some(page) = swap_cache_get(pgdat, entry) {
                return Some((page, false));
            }
            // A slot nobody maps any more has nothing to read
            // (`__swp_swapcount`: no complaint about a free one).
            if __swap_count(entry) == 0 {
                return None;
            }
            let page = __alloc_pages(pgdat, gfp, 0)?;
            match swapcache_prepare(entry) {
                Ok(()) => break page,
                // Another reader is adding it: retry the lookup.
                Err(Errno::EEXIST) => {
                    __free_pages(pgdat, page, 0);
                    crate::task::sched::schedule();
                }
                Err(_) => {
                    __free_pages(pgdat, page, 0);
                    return None;
                }
            }
        };
        let locked = folio_trylock(page);
        debug_assert!(locked);
        page.set(PageFlags::SWAPBACKED);
        let shadow = match mem_cgroup_swapin_charge_folio(pgdat, page, gfp, entry)
            .and_then(|()| add_to_swap_cache(pgdat, page, entry))
        {
            Ok(shadow) => shadow,
            Err(_) => {
                put_swap_folio(entry);
                folio_unlock(page);
                __free_pages(pgdat, page, 0);
                return None;
            }
        };
        mem_cgroup_swapin_uncharge_swap(entry);
        if let Some(shadow) = shadow {
            workingset_refault(pgdat, page, shadow);
        }
        folio_add_lru(pgdat, page);
        core::hint::black_box(());
        Some((page, true))
    }

    /// `read_swap_cache_async()`: the page for `entry`, its read started
    /// if it is new.
    #[inline(never)]
    pub fn read_swap_cache_async(
        pgdat: &PglistData,
        entry: SwpEntry,
        gfp: Gfp,
    ) -> Option<&'static Page> {
        let (page, new) = __read_swap_cache_async(pgdat, entry, gfp)?;
        if new {
            swap_read_folio(pgdat, page);
        }
        Some(page)
    }

    /// `swap_cluster_readahead()`: read the aligned block of slots around
    /// `entry` (the window `swapin_nr_pages` allows), then return the page
    /// for `entry` itself, with a reference. Pages read ahead carry
    /// `PG_readahead` until a fault finds them.
    #[inline(never)]
    pub fn swap_cluster_readahead(
        pgdat: &PglistData,
        entry: SwpEntry,
        gfp: Gfp,
    ) -> Option<&'static Page> {
        let offset = swp_offset(entry);
        let nr = swapin_nr_pages(offset);
        if nr > 1 {
            let type_ = swp_type(entry);
            let (start, end) = swap_cluster_readahead_range(offset, nr, swap_info_max(type_));
            let plug = crate::block::blk_mq::blk_start_plug();
            for off in start..=end {
                let Some((page, new)) = __read_swap_cache_async(pgdat, swp_entry(type_, off), gfp)
                else {
                    continue;
                };
                if new {
                    swap_read_folio(pgdat, page);
                    if off != offset {
                        page.set(PageFlags::RECLAIM);
                        count_vm_events(VmEventItem::SwapRa, 1);
                    }
                }
                __free_pages(pgdat, page, 0);
            }
            crate::block::blk_mq::blk_finish_plug(plug);
        }
        let page = read_swap_cache_async(pgdat, entry, gfp);
        core::hint::black_box(());
        page
    }

    /// `swapin_readahead()`.
    #[inline(never)]
    pub fn swapin_readahead(
        pgdat: &PglistData,
        entry: SwpEntry,
        gfp: Gfp,
    ) -> Option<&'static Page> {
        let page = swap_cluster_readahead(pgdat, entry, gfp);
        core::hint::black_box(());
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readahead_window_follows_linux_heuristic() {
        // No hits and a jump: one page.
        assert_eq!(__swapin_nr_pages(100, 500, 0, 8, 0), 1);
        // No hits but the next slot: two.
        assert_eq!(__swapin_nr_pages(100, 101, 0, 8, 0), 2);
        assert_eq!(__swapin_nr_pages(100, 99, 0, 8, 0), 2);
        // Hits + 2 rounded up to a power of two, at least 4, at most max.
        assert_eq!(__swapin_nr_pages(0, 500, 1, 8, 0), 4);
        assert_eq!(__swapin_nr_pages(0, 500, 3, 8, 0), 8);
        assert_eq!(__swapin_nr_pages(0, 500, 30, 8, 0), 8);
        // Never below half the previous window.
        assert_eq!(__swapin_nr_pages(100, 500, 0, 8, 8), 4);
    }

    #[test]
    fn readahead_range_skips_the_header_and_the_end() {
        assert_eq!(swap_cluster_readahead_range(3, 8, 1000), (1, 7));
        assert_eq!(swap_cluster_readahead_range(13, 8, 1000), (8, 15));
        assert_eq!(swap_cluster_readahead_range(997, 8, 1000), (992, 999));
        assert_eq!(swap_cluster_readahead_range(998, 8, 999), (992, 998));
        assert_eq!(swap_cluster_readahead_range(5, 1, 1000), (5, 5));
    }
}
