//! Page reclaim (mm/vmscan.c), for now the node-wide direct reclaim an
//! allocation falls back on: `try_to_free_pages` → `do_try_to_free_pages`
//! (the priority loop) → `shrink_node` → `shrink_lruvec` →
//! `shrink_inactive_list` / `shrink_active_list` → `isolate_lru_folios` →
//! `shrink_folio_list`.
//!
//! What can be reclaimed: clean page-cache pages, unmapped first through
//! the reverse map (`folio_referenced` decides from the accessed bits,
//! `try_to_unmap` removes the mappings). Anonymous pages stay: there is no
//! swap device, so `get_scan_count` does not scan them, as in Linux. Not
//! yet: kswapd, memcg reclaim and protection.

use alloc::vec::Vec;

use super::filemap::__remove_mapping;
use super::gfp::{Gfp, gfp_zone};
use super::mmzone::{LruList, NodeStatItem, PglistData};
use super::page::{PAGE_SHIFT, Page, PageFlags};
use super::page_alloc::__free_pages;
use super::swap::{lruvec_add_folio, lruvec_del_folio};
use super::vmstat::{VmEventItem, count_vm_events};

/// `SWAP_CLUSTER_MAX`: pages reclaimed per batch.
pub const SWAP_CLUSTER_MAX: u64 = 32;
/// `DEF_PRIORITY`: the first pass scans 1/4096 of each list.
pub const DEF_PRIORITY: i32 = 12;

/// `struct scan_control`.
pub struct ScanControl {
    pub nr_to_reclaim: u64,
    pub priority: i32,
    pub nr_scanned: u64,
    pub nr_reclaimed: u64,
}

/// `isolate_lru_folios()`: take up to `nr_to_scan` pages from the tail
/// (the old end) of `lru`, with a reference each.
#[inline(never)]
fn isolate_lru_folios(pgdat: &PglistData, nr_to_scan: u64, lru: LruList) -> Vec<&'static Page> {
    let mut lists = pgdat.lruvec.lists.lock_irqsave();
    let mut taken = Vec::new();
    while (taken.len() as u64) < nr_to_scan {
        if lists[lru as usize].len == 0 {
            break;
        }
        let page = pgdat.pfn_to_page(lists[lru as usize].tail);
        lruvec_del_folio(pgdat, &mut lists[..], page);
        page.clear(PageFlags::LRU);
        page.get();
        taken.push(page);
    }
    let isolated = if lru.is_file() {
        NodeStatItem::NrIsolatedFile
    } else {
        NodeStatItem::NrIsolatedAnon
    };
    pgdat.mod_page_state(isolated, taken.len() as i64);
    taken
}

/// `move_folios_to_lru()`: put back what was not reclaimed and drop the
/// isolation references.
fn move_folios_to_lru(pgdat: &PglistData, pages: Vec<&'static Page>, lru: LruList) {
    let isolated = if lru.is_file() {
        NodeStatItem::NrIsolatedFile
    } else {
        NodeStatItem::NrIsolatedAnon
    };
    pgdat.mod_page_state(isolated, -(pages.len() as i64));
    for page in pages {
        {
            let mut lists = pgdat.lruvec.lists.lock_irqsave();
            page.set(PageFlags::LRU);
            lruvec_add_folio(pgdat, &mut lists[..], page);
        }
        __free_pages(pgdat, page, 0);
    }
}

/// `shrink_folio_list()`: reclaim what can go; returns the pages kept and
/// the number reclaimed.
#[inline(never)]
fn shrink_folio_list(pgdat: &PglistData, pages: Vec<&'static Page>) -> (Vec<&'static Page>, u64) {
    let mut kept = Vec::new();
    let mut reclaimed = 0;
    for page in pages {
        // folio_check_references(): pages used through a mapping since the
        // last scan stay (twice, or executable: activated).
        let (referenced_ptes, exec) = if page.mapcount() > 0 {
            pgdat.phys.folio_referenced(page)
        } else {
            (0, false)
        };
        let referenced_folio = page.test(PageFlags::REFERENCED);
        page.clear(PageFlags::REFERENCED);
        if referenced_ptes > 0 {
            if referenced_folio || referenced_ptes > 1 || exec {
                page.set(PageFlags::ACTIVE);
                count_vm_events(VmEventItem::Pgactivate, 1);
            } else {
                page.set(PageFlags::REFERENCED);
            }
            kept.push(page);
            continue;
        }
        if page.mapcount() > 0 && !pgdat.phys.try_to_unmap(page) {
            kept.push(page);
            continue;
        }
        if __remove_mapping(page) {
            // The page cache's reference is gone; ours is the last.
            __free_pages(pgdat, page, 0);
            reclaimed += 1;
        } else {
            kept.push(page);
        }
    }
    (kept, reclaimed)
}

/// `shrink_inactive_list()`.
#[inline(never)]
fn shrink_inactive_list(
    pgdat: &PglistData,
    nr_to_scan: u64,
    sc: &mut ScanControl,
    lru: LruList,
) -> u64 {
    let pages = isolate_lru_folios(pgdat, nr_to_scan, lru);
    let nr_taken = pages.len() as u64;
    sc.nr_scanned += nr_taken;
    count_vm_events(VmEventItem::PgscanDirect, nr_taken);
    let (kept, reclaimed) = shrink_folio_list(pgdat, pages);
    // Pages reclaim chose to keep active go back to the active list.
    let mut active = Vec::new();
    let mut inactive = Vec::new();
    for p in kept {
        if p.test(PageFlags::ACTIVE) {
            active.push(p)
        } else {
            inactive.push(p)
        }
    }
    move_folios_to_lru(pgdat, inactive, lru);
    move_folios_to_lru(pgdat, active, LruList::ActiveFile);
    count_vm_events(VmEventItem::PgstealDirect, reclaimed);
    reclaimed
}

/// `shrink_active_list()`: age the oldest active pages onto the inactive
/// list, except executable file pages used through a mapping since the
/// last look, which go round the active list again.
#[inline(never)]
fn shrink_active_list(pgdat: &PglistData, nr_to_scan: u64, lru: LruList) {
    let pages = isolate_lru_folios(pgdat, nr_to_scan, lru);
    count_vm_events(VmEventItem::Pgrefill, pages.len() as u64);
    let (keep, deactivate): (Vec<_>, Vec<_>) = pages.into_iter().partition(|p| {
        let (referenced, exec) = if p.mapcount() > 0 {
            pgdat.phys.folio_referenced(p)
        } else {
            (0, false)
        };
        referenced > 0 && exec && lru.is_file()
    });
    count_vm_events(VmEventItem::Pgdeactivate, deactivate.len() as u64);
    for p in &deactivate {
        p.clear(PageFlags::ACTIVE | PageFlags::REFERENCED);
    }
    let inactive = if lru.is_file() {
        LruList::InactiveFile
    } else {
        LruList::InactiveAnon
    };
    move_folios_to_lru(pgdat, keep, lru);
    move_folios_to_lru(pgdat, deactivate, inactive);
}

/// `inactive_is_low()`: the inactive list should hold at least
/// 1/inactive_ratio of the type's pages, the ratio being sqrt(10 × GiB).
fn inactive_is_low(pgdat: &PglistData, inactive: LruList) -> bool {
    let active = LruList::ALL[inactive as usize + 1];
    let (i, a) = (
        pgdat.page_state(inactive.node_stat()),
        pgdat.page_state(active.node_stat()),
    );
    let gb = (i + a) >> (30 - PAGE_SHIFT);
    let ratio = if gb > 0 {
        super::page_alloc::int_sqrt(10 * gb)
    } else {
        1
    };
    i * ratio < a
}

/// `shrink_lruvec()`: scan the file lists in proportion to their size at
/// this priority (`get_scan_count` with no swap: anon is not scanned).
#[inline(never)]
fn shrink_lruvec(pgdat: &PglistData, sc: &mut ScanControl) {
    let target = |lru: LruList| {
        let size = pgdat.page_state(lru.node_stat());
        let scan = size >> sc.priority;
        if scan == 0 {
            size.min(SWAP_CLUSTER_MAX)
        } else {
            scan
        }
    };
    let mut nr = [target(LruList::InactiveFile), target(LruList::ActiveFile)];
    while nr.iter().any(|&n| n > 0) && sc.nr_reclaimed < sc.nr_to_reclaim {
        for (i, lru) in [LruList::InactiveFile, LruList::ActiveFile]
            .into_iter()
            .enumerate()
        {
            let batch = nr[i].min(SWAP_CLUSTER_MAX);
            nr[i] -= batch;
            if batch == 0 {
                continue;
            }
            if lru.is_active() {
                if inactive_is_low(pgdat, LruList::InactiveFile) {
                    shrink_active_list(pgdat, batch, lru);
                }
            } else {
                sc.nr_reclaimed += shrink_inactive_list(pgdat, batch, sc, lru);
            }
        }
    }
    if inactive_is_low(pgdat, LruList::InactiveFile) {
        shrink_active_list(pgdat, SWAP_CLUSTER_MAX, LruList::ActiveFile);
    }
}

/// `shrink_node()`.
#[inline(never)]
fn shrink_node(pgdat: &PglistData, sc: &mut ScanControl) {
    shrink_lruvec(pgdat, sc);
}

/// `do_try_to_free_pages()`: raise the scan pressure (lower the priority)
/// until enough is reclaimed or every list was scanned whole.
#[inline(never)]
fn do_try_to_free_pages(pgdat: &PglistData, sc: &mut ScanControl) -> u64 {
    loop {
        shrink_node(pgdat, sc);
        if sc.nr_reclaimed >= sc.nr_to_reclaim || sc.priority == 0 {
            return sc.nr_reclaimed;
        }
        sc.priority -= 1;
    }
}

/// `try_to_free_pages()`: direct reclaim for an allocation that failed.
#[inline(never)]
pub fn try_to_free_pages(pgdat: &PglistData, gfp: Gfp) -> u64 {
    count_vm_events(VmEventItem::allocstall(gfp_zone(gfp)), 1);
    let mut sc = ScanControl {
        nr_to_reclaim: SWAP_CLUSTER_MAX,
        priority: DEF_PRIORITY,
        nr_scanned: 0,
        nr_reclaimed: 0,
    };
    do_try_to_free_pages(pgdat, &mut sc)
}

#[cfg(test)]
mod tests {
    use alloc::sync::Arc;

    use super::*;
    use crate::mm::filemap::{AddressSpace, filemap_read};
    use crate::mm::mmzone::ZoneStatItem;
    use crate::mm::testing::node;

    /// A file twice the size of memory reads through: allocations of new
    /// cache pages reclaim the old ones, and the LRU and cache counters
    /// stay equal to what the lists and the cache hold.
    #[test]
    fn page_cache_larger_than_memory_is_reclaimed() {
        let (pgdat, _) = node(&[(0x1000, 8 << 20)], &[]);
        let pgdat: &'static PglistData = Box::leak(Box::new(pgdat));
        let data: Vec<u8> = (0..16 << 20).map(|i: u32| (i % 251) as u8).collect();
        let data: &'static [u8] = data.leak();
        let mapping: Arc<AddressSpace> = AddressSpace::new(pgdat, data);
        let free0 = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
        let mut buf = vec![0u8; 1 << 16];
        for _pass in 0..2 {
            let mut pos = 0;
            while pos < data.len() {
                let n = filemap_read(&mapping, pos as u64, &mut buf).expect("reclaim makes room");
                assert_eq!(&buf[..n], &data[pos..pos + n]);
                pos += n;
            }
        }
        let cached = pgdat.page_state(NodeStatItem::NrFilePages);
        assert_eq!(cached, mapping.nrpages());
        let on_lru = pgdat.page_state(NodeStatItem::NrInactiveFile)
            + pgdat.page_state(NodeStatItem::NrActiveFile);
        assert_eq!(on_lru, cached, "every cached page is on a file LRU list");
        assert!(cached < (8 << 20) >> PAGE_SHIFT);
        let lists = pgdat.lruvec.lists.lock_irqsave();
        assert_eq!(
            lists[LruList::InactiveFile as usize].len + lists[LruList::ActiveFile as usize].len,
            cached
        );
        drop(lists);
        // Everything is clean and unmapped: dropping returns every page.
        crate::mm::filemap::invalidate_mapping_pages(&mapping);
        assert_eq!(pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages), free0);
        assert_eq!(
            pgdat.page_state(NodeStatItem::NrInactiveFile)
                + pgdat.page_state(NodeStatItem::NrActiveFile),
            0
        );
    }
}
