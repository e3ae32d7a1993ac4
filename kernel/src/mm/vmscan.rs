//! Page reclaim (mm/vmscan.c, classic active/inactive LRU): direct
//! reclaim for an allocation (`try_to_free_pages`) and memcg reclaim for a
//! charge, memory.high, memory.max or memory.reclaim
//! (`try_to_free_mem_cgroup_pages`), both through `do_try_to_free_pages`
//! (the priority loop and its retries) → `shrink_node` →
//! `shrink_node_memcgs` (the memcg walk with min/low protection) →
//! `shrink_lruvec` (`get_scan_count` targets) → `shrink_list` →
//! `shrink_inactive_list` / `shrink_active_list` → `isolate_lru_folios`
//! → `shrink_folio_list`.
//!
//! What can be reclaimed: clean page-cache pages and, while there is
//! swap the memcg may use (`can_reclaim_anon_pages`), anonymous pages,
//! unmapped first through the reverse map (`folio_referenced` decides
//! from the accessed bits, `try_to_unmap` leaves swap entries in the page
//! tables). An anonymous page gets a slot and joins the swap cache
//! (`add_to_swap`), is written out (`pageout` → `swap_writepage`) and
//! kept until the write ends, which rotates it to the tail of the
//! inactive list; the next scan finds it clean and frees it
//! (`__remove_mapping` → `mem_cgroup_swapout`). tmpfs pages stay (no
//! `shmem_writepage`).
//! Left out: kswapd, slab shrinking, refault (workingset) detection,
//! dirty file pages and writeback throttling, compaction, MGLRU.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering::Relaxed;

use super::filemap::{__remove_mapping, folio_trylock, folio_unlock};
use super::gfp::{Gfp, gfp_zone};
use super::memcontrol::protection::{
    apply_proportional_protection, mem_cgroup_below_low, mem_cgroup_below_min,
    mem_cgroup_calculate_protection,
};
use super::memcontrol::swap::{mem_cgroup_get_nr_swap_pages, mem_cgroup_swap_full};
use super::memcontrol::{
    MemCgroup, MemcgMemoryEvent, count_memcg_events, mem_cgroup_iter_position,
    mem_cgroup_iter_set_position, mem_cgroup_subtree, mem_cgroup_uncharge_list, memcg_memory_event,
    mod_memcg_state, root_mem_cgroup,
};
use super::mmzone::{LruList, Lruvec, MAX_NR_ZONES, NodeStatItem, PglistData};
use super::page::{PAGE_SHIFT, Page, PageFlags};
use super::page_alloc::__free_pages;
use super::page_counter::page_counter_read;
use super::rmap::folio_test_anon;
use super::swap::lruvec_add_folio;
use super::swapfile::{folio_free_swap, get_nr_swap_pages, total_swap_pages};
use super::vmstat::{VmEventItem, count_vm_events};

#[cfg(target_os = "none")]
use super::{page_io::swap_writepage, swap_state::add_to_swap};

/// Host tests have no swap device: no page gets a slot, so none is
/// ever written.
#[cfg(not(target_os = "none"))]
fn add_to_swap(_pgdat: &PglistData, _page: &'static Page) -> bool {
    false
}
#[cfg(not(target_os = "none"))]
fn swap_writepage(_pgdat: &PglistData, _page: &'static Page) {
    unreachable!("no swap-cache pages without a swap device");
}

/// `SWAP_CLUSTER_MAX`: pages reclaimed per batch.
pub const SWAP_CLUSTER_MAX: u64 = 32;
/// `DEF_PRIORITY`: the first pass scans 1/4096 of each list.
pub const DEF_PRIORITY: i32 = 12;
/// `MEMCG_RECLAIM_MAY_SWAP`: reclaim may swap anonymous pages out.
pub const MEMCG_RECLAIM_MAY_SWAP: u32 = 1 << 1;
/// `vm_swappiness`: /proc/sys/vm/swappiness, 0..=`MAX_SWAPPINESS`.
pub static VM_SWAPPINESS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(60);
/// `MAX_SWAPPINESS`.
pub const MAX_SWAPPINESS: u32 = 200;
/// `sc->may_deactivate` bits.
const DEACTIVATE_ANON: u8 = 1 << 0;
const DEACTIVATE_FILE: u8 = 1 << 1;
/// The four evictable lists in `for_each_evictable_lru` order.
const EVICTABLE: [LruList; 4] = [
    LruList::InactiveAnon,
    LruList::ActiveAnon,
    LruList::InactiveFile,
    LruList::ActiveFile,
];

/// `struct scan_control`.
pub struct ScanControl {
    pub nr_to_reclaim: u64,
    pub priority: i32,
    pub nr_reclaimed: u64,
    /// The memcg whose limit (or file) started reclaim; None for global
    /// reclaim, which walks from the root memcg.
    pub target_mem_cgroup: Option<Arc<MemCgroup>>,
    pub may_swap: bool,
    /// memory.reclaim's `swappiness=`.
    pub proactive_swappiness: Option<u32>,
    /// Reclaim below memory.low too (the last retry).
    pub memcg_low_reclaim: bool,
    /// A memcg was skipped for memory.low: worth that last retry.
    pub memcg_low_skipped: bool,
    /// Visit every memcg rather than stopping once enough is reclaimed.
    pub memcg_full_walk: bool,
    pub may_deactivate: u8,
    pub force_deactivate: bool,
    pub skipped_deactivate: bool,
    /// Plenty of inactive file pages: reclaim file pages only.
    pub cache_trim_mode: bool,
    /// The target lruvec's reclaim costs (`lru_note_cost`).
    pub anon_cost: u64,
    pub file_cost: u64,
}

impl ScanControl {
    pub fn new(nr_to_reclaim: u64, target_mem_cgroup: Option<Arc<MemCgroup>>) -> Self {
        Self {
            nr_to_reclaim,
            priority: DEF_PRIORITY,
            nr_reclaimed: 0,
            target_mem_cgroup,
            may_swap: true,
            proactive_swappiness: None,
            memcg_low_reclaim: false,
            memcg_low_skipped: false,
            memcg_full_walk: false,
            may_deactivate: 0,
            force_deactivate: false,
            skipped_deactivate: false,
            cache_trim_mode: false,
            anon_cost: 0,
            file_cost: 0,
        }
    }

    /// `cgroup_reclaim()`.
    fn cgroup_reclaim(&self) -> bool {
        self.target_mem_cgroup.is_some()
    }
}

/// One lruvec being scanned and the memcg owning it (None: the node's
/// lruvec without memcgs, as in host tests).
#[derive(Clone, Copy)]
struct LruvecRef<'a> {
    lruvec: &'a Lruvec,
    memcg: Option<&'a MemCgroup>,
}

impl LruvecRef<'_> {
    /// `lruvec_lru_size()`: pages on one of this lruvec's lists.
    fn lru_size(&self, lru: LruList) -> u64 {
        self.lruvec.lists.lock_irqsave()[lru as usize].len
    }

    /// `lruvec_page_state()`: a memcg's counters are hierarchical; the
    /// node's own lruvec has the node's.
    fn page_state(&self, pgdat: &PglistData, item: NodeStatItem) -> u64 {
        match self.memcg {
            Some(m) if !m.is_root() => m.page_state(item, false),
            _ => pgdat.page_state(item),
        }
    }

    fn count_events(&self, item: VmEventItem, n: u64) {
        if let Some(m) = self.memcg {
            count_memcg_events(m, item, n);
        }
    }
}

/// `isolate_lru_folios()`: take up to `nr_to_scan` pages from the tail
/// (the old end) of `lru`, with a reference each.
#[inline(never)]
fn isolate_lru_folios(
    pgdat: &PglistData,
    lv: LruvecRef,
    nr_to_scan: u64,
    lru: LruList,
) -> Vec<&'static Page> {
    let mut lists = lv.lruvec.lists.lock_irqsave();
    let list = &mut lists[lru as usize];
    let mut taken = Vec::with_capacity(nr_to_scan.min(list.len) as usize);
    let mut nr_zone_taken = [0i64; MAX_NR_ZONES];
    while (taken.len() as u64) < nr_to_scan && list.len > 0 {
        let pfn = list.tail;
        let page = pgdat.pfn_to_page(pfn);
        list.del(&pgdat.mem_map, pfn);
        nr_zone_taken[page.zonenum()] += 1;
        page.clear(PageFlags::LRU);
        page.get();
        taken.push(page);
    }
    // update_lru_sizes(): the counters once for the batch.
    let nr_taken = taken.len() as i64;
    pgdat.mod_page_state(lru.node_stat(), -nr_taken);
    if let Some(memcg) = lv.memcg {
        mod_memcg_state(memcg, lru.node_stat(), -nr_taken);
    }
    for (zone, n) in pgdat.node_zones.iter().zip(nr_zone_taken) {
        if n != 0 {
            zone.mod_page_state(lru.zone_stat(), -n);
        }
    }
    drop(lists);
    pgdat.mod_page_state(isolated_stat(lru), taken.len() as i64);
    taken
}

fn isolated_stat(lru: LruList) -> NodeStatItem {
    if lru.is_file() {
        NodeStatItem::NrIsolatedFile
    } else {
        NodeStatItem::NrIsolatedAnon
    }
}

/// `move_folios_to_lru()`: put back what was not reclaimed, each on the
/// list its flags name, under one hold of the lock, then drop the
/// isolation references.
fn move_folios_to_lru(pgdat: &PglistData, lv: LruvecRef, pages: Vec<&'static Page>) {
    {
        let mut lists = lv.lruvec.lists.lock_irqsave();
        for &page in &pages {
            page.set(PageFlags::LRU);
            lruvec_add_folio(pgdat, lv.memcg, &mut lists[..], page);
        }
    }
    for page in pages {
        __free_pages(pgdat, page, 0);
    }
}

/// `folio_check_references()`'s verdicts.
enum FolioReferences {
    Activate,
    Keep,
    Reclaim,
}

/// `folio_referenced()` for reclaim: young mappings (in cgroup reclaim,
/// of the target's mms) and whether one is executable; an unmapped page
/// has none.
fn folio_referenced(pgdat: &PglistData, page: &Page, sc: &ScanControl) -> (u32, bool) {
    if page.mapcount() == 0 {
        return (0, false);
    }
    pgdat
        .phys
        .folio_referenced(page, sc.target_mem_cgroup.as_deref())
}

/// `folio_check_references()`: pages used through a mapping since the
/// last scan stay (twice, or executable file pages: activated); the rest
/// may go (dirty ones after writeback).
fn folio_check_references(pgdat: &PglistData, page: &Page, sc: &ScanControl) -> FolioReferences {
    let (referenced_ptes, exec) = folio_referenced(pgdat, page, sc);
    let referenced_folio = page.test(PageFlags::REFERENCED);
    page.clear(PageFlags::REFERENCED);
    if referenced_ptes > 0 {
        page.set(PageFlags::REFERENCED);
        let file = !page.test(PageFlags::SWAPBACKED);
        if referenced_folio || referenced_ptes > 1 || exec && file {
            return FolioReferences::Activate;
        }
        return FolioReferences::Keep;
    }
    FolioReferences::Reclaim
}

/// `pageout()`'s verdicts.
enum PageoutT {
    Keep,
    Activate,
    Success,
    Clean,
}

/// `pageout()`: start writing a dirty, unmapped page that only the cache
/// and reclaim hold — a swap-cache page to its slot (`swap_writepage`,
/// which unlocks it). Nothing else here has a `writepage`.
#[inline(never)]
fn pageout(pgdat: &PglistData, page: &'static Page) -> PageoutT {
    // is_page_cache_freeable(): the cache's reference and ours.
    if page.refcount() != 2 {
        return PageoutT::Keep;
    }
    if !page.test(PageFlags::SWAPCACHE) {
        return PageoutT::Activate;
    }
    // folio_clear_dirty_for_io()
    if !page.test_and_clear(PageFlags::DIRTY) {
        return PageoutT::Clean;
    }
    page.set(PageFlags::RECLAIM);
    swap_writepage(pgdat, page);
    if !page.test(PageFlags::WRITEBACK) {
        page.clear(PageFlags::RECLAIM);
    }
    pgdat.mod_page_state(NodeStatItem::NrVmscanWrite, 1);
    PageoutT::Success
}

/// What happens to a page `shrink_folio_list` looked at.
enum Verdict {
    /// Freed (or ready to be).
    Free,
    /// Back to the LRU, locked by us (`keep_locked`).
    KeepLocked,
    /// Back to the LRU, no longer locked by us (`keep`).
    Keep,
    /// To the active list (`activate_locked`).
    Activate,
}

/// `shrink_folio_list()`: reclaim what can go; returns the pages kept and
/// the number reclaimed. Freed pages are uncharged as one batch.
#[inline(never)]
fn shrink_folio_list(
    pgdat: &PglistData,
    lv: LruvecRef,
    pages: Vec<&'static Page>,
    sc: &ScanControl,
) -> (Vec<&'static Page>, u64) {
    let mut kept = Vec::with_capacity(pages.len());
    let mut free_folios = Vec::with_capacity(pages.len());
    let mut nr_activate = 0;
    for page in pages {
        if !folio_trylock(page) {
            kept.push(page);
            continue;
        }
        // One page, locked (inline here, as in Linux: no frame between
        // shrink_folio_list and add_to_swap or __remove_mapping).
        let verdict = 'verdict: {
            // A page being written for reclaim earlier: let its write finish and
            // rotate it (cgroup v2 and direct reclaim never wait for writeback).
            if page.test(PageFlags::WRITEBACK) {
                page.set(PageFlags::RECLAIM);
                break 'verdict Verdict::Activate;
            }
            match folio_check_references(pgdat, page, sc) {
                FolioReferences::Activate => break 'verdict Verdict::Activate,
                FolioReferences::Keep => break 'verdict Verdict::KeepLocked,
                FolioReferences::Reclaim => {}
            }
            if page.test(PageFlags::SWAPBACKED) && !page.test(PageFlags::SWAPCACHE) {
                // An anonymous page needs a swap slot; tmpfs pages cannot be
                // written anywhere.
                if !folio_test_anon(page) || !add_to_swap(pgdat, page) {
                    break 'verdict Verdict::Activate;
                }
            }
            if page.mapcount() > 0 && !pgdat.phys.try_to_unmap(page) {
                break 'verdict Verdict::Activate;
            }
            if page.test(PageFlags::DIRTY) {
                match pageout(pgdat, page) {
                    PageoutT::Keep => break 'verdict Verdict::KeepLocked,
                    PageoutT::Activate => break 'verdict Verdict::Activate,
                    PageoutT::Success => {
                        // Written asynchronously: it comes back when the write ends.
                        if page.test(PageFlags::WRITEBACK) || page.test(PageFlags::DIRTY) {
                            break 'verdict Verdict::Keep;
                        }
                        if !folio_trylock(page) {
                            break 'verdict Verdict::Keep;
                        }
                        if page.test(PageFlags::DIRTY) || page.test(PageFlags::WRITEBACK) {
                            break 'verdict Verdict::KeepLocked;
                        }
                    }
                    PageoutT::Clean => {}
                }
            }
            if !__remove_mapping(pgdat, page, sc.target_mem_cgroup.as_deref()) {
                break 'verdict Verdict::KeepLocked;
            }
            Verdict::Free
        };
        if let Verdict::Activate = verdict {
            // activate_locked: a page that will stay has no use for its
            // swap copy when swap runs short.
            if page.test(PageFlags::SWAPCACHE)
                && (mem_cgroup_swap_full(page) || page.test(PageFlags::MLOCKED))
            {
                folio_free_swap(pgdat, page);
            }
            if !page.test(PageFlags::MLOCKED) {
                page.set(PageFlags::ACTIVE);
                nr_activate += 1;
            }
        }
        match verdict {
            Verdict::Free => {
                folio_unlock(page);
                free_folios.push(page);
            }
            Verdict::Keep => kept.push(page),
            Verdict::KeepLocked | Verdict::Activate => {
                folio_unlock(page);
                kept.push(page);
            }
        }
    }
    count_vm_events(VmEventItem::Pgactivate, nr_activate);
    lv.count_events(VmEventItem::Pgactivate, nr_activate);
    let reclaimed = free_folios.len() as u64;
    mem_cgroup_uncharge_list(&free_folios);
    for page in free_folios {
        __free_pages(pgdat, page, 0);
    }
    (kept, reclaimed)
}

/// `lru_note_cost()`: reclaim of one type cost `cost` (pages rotated
/// back instead of reclaimed); the balance of `get_scan_count` follows
/// these costs, which decay by half once they exceed a quarter of the
/// lruvec's pages (its memcg's subtree). Charged to the lruvec and every
/// ancestor's.
fn lru_note_cost(pgdat: &PglistData, lv: LruvecRef, file: bool, cost: u64) {
    let mut memcg = lv.memcg;
    let mut lruvec = Some(lv.lruvec);
    while let Some(l) = lruvec {
        let (this, other) = if file {
            (&l.file_cost, &l.anon_cost)
        } else {
            (&l.anon_cost, &l.file_cost)
        };
        this.fetch_add(cost, Relaxed);
        let lv = LruvecRef { lruvec: l, memcg };
        let lrusize: u64 = EVICTABLE
            .iter()
            .map(|lru| lv.page_state(pgdat, lru.node_stat()))
            .sum();
        if this.load(Relaxed) + other.load(Relaxed) > lrusize / 4 {
            this.store(this.load(Relaxed) / 2, Relaxed);
            other.store(other.load(Relaxed) / 2, Relaxed);
        }
        memcg = memcg.and_then(|m| m.parent().map(|p| &**p));
        lruvec = memcg.map(|m| m.lruvec(pgdat));
    }
}

/// `lru_note_cost_refault()`: a page that was active before eviction
/// came back: reclaiming its type cost one page.
pub fn lru_note_cost_refault(pgdat: &PglistData, page: &Page) {
    let memcg = super::memcontrol::folio_memcg(page);
    let lv = LruvecRef {
        lruvec: memcg.as_ref().map_or(&pgdat.lruvec, |m| m.lruvec(pgdat)),
        memcg: memcg.as_deref(),
    };
    lru_note_cost(pgdat, lv, !page.test(PageFlags::SWAPBACKED), 1);
}

/// `shrink_inactive_list()`.
#[inline(never)]
fn shrink_inactive_list(
    pgdat: &PglistData,
    lv: LruvecRef,
    nr_to_scan: u64,
    sc: &mut ScanControl,
    lru: LruList,
) -> u64 {
    let pages = isolate_lru_folios(pgdat, lv, nr_to_scan, lru);
    let nr_taken = pages.len() as u64;
    if !sc.cgroup_reclaim() {
        count_vm_events(VmEventItem::PgscanDirect, nr_taken);
    }
    lv.count_events(VmEventItem::PgscanDirect, nr_taken);
    let (scan, steal) = if lru.is_file() {
        (VmEventItem::PgscanFile, VmEventItem::PgstealFile)
    } else {
        (VmEventItem::PgscanAnon, VmEventItem::PgstealAnon)
    };
    count_vm_events(scan, nr_taken);
    let (kept, reclaimed) = shrink_folio_list(pgdat, lv, pages, sc);
    core::hint::black_box(());
    move_folios_to_lru(pgdat, lv, kept);
    pgdat.mod_page_state(isolated_stat(lru), -(nr_taken as i64));
    if !sc.cgroup_reclaim() {
        count_vm_events(VmEventItem::PgstealDirect, reclaimed);
    }
    lv.count_events(VmEventItem::PgstealDirect, reclaimed);
    count_vm_events(steal, reclaimed);
    lru_note_cost(pgdat, lv, lru.is_file(), nr_taken - reclaimed);
    reclaimed
}

/// `shrink_active_list()`: age the oldest active pages onto the inactive
/// list, except executable file pages used through a mapping since the
/// last look, which go round the active list again.
#[inline(never)]
fn shrink_active_list(
    pgdat: &PglistData,
    lv: LruvecRef,
    nr_to_scan: u64,
    sc: &ScanControl,
    lru: LruList,
) {
    let pages = isolate_lru_folios(pgdat, lv, nr_to_scan, lru);
    let nr_taken = pages.len() as u64;
    count_vm_events(VmEventItem::Pgrefill, nr_taken);
    lv.count_events(VmEventItem::Pgrefill, nr_taken);
    let (keep, deactivate): (Vec<_>, Vec<_>) = pages.into_iter().partition(|p| {
        let (referenced, exec) = folio_referenced(pgdat, p, sc);
        referenced > 0 && exec && lru.is_file()
    });
    count_vm_events(VmEventItem::Pgdeactivate, deactivate.len() as u64);
    lv.count_events(VmEventItem::Pgdeactivate, deactivate.len() as u64);
    // Deactivated pages have been in the workingset (`PG_workingset`).
    for p in &deactivate {
        p.clear(PageFlags::ACTIVE | PageFlags::REFERENCED);
        p.set(PageFlags::WORKINGSET);
    }
    if !keep.is_empty() {
        lru_note_cost(pgdat, lv, lru.is_file(), keep.len() as u64);
    }
    move_folios_to_lru(pgdat, lv, keep);
    move_folios_to_lru(pgdat, lv, deactivate);
    pgdat.mod_page_state(isolated_stat(lru), -(nr_taken as i64));
}

/// `inactive_is_low()`: the inactive list should hold at least
/// 1/inactive_ratio of the type's pages, the ratio being sqrt(10 × GiB).
pub fn inactive_is_low(inactive: u64, active: u64) -> bool {
    let gb = (inactive + active) >> (30 - PAGE_SHIFT);
    let ratio = if gb > 0 {
        super::page_alloc::int_sqrt(10 * gb)
    } else {
        1
    };
    inactive * ratio < active
}

fn lruvec_inactive_is_low(pgdat: &PglistData, lv: LruvecRef, inactive: LruList) -> bool {
    let active = LruList::ALL[inactive as usize + 1];
    inactive_is_low(
        lv.page_state(pgdat, inactive.node_stat()),
        lv.page_state(pgdat, active.node_stat()),
    )
}

/// `shrink_list()`.
fn shrink_list(
    pgdat: &PglistData,
    lv: LruvecRef,
    lru: LruList,
    nr_to_scan: u64,
    sc: &mut ScanControl,
) -> u64 {
    if lru.is_active() {
        let bit = if lru.is_file() {
            DEACTIVATE_FILE
        } else {
            DEACTIVATE_ANON
        };
        if sc.may_deactivate & bit != 0 {
            shrink_active_list(pgdat, lv, nr_to_scan, sc, lru);
        } else {
            sc.skipped_deactivate = true;
        }
        return 0;
    }
    shrink_inactive_list(pgdat, lv, nr_to_scan, sc, lru)
}

/// `can_reclaim_anon_pages()`: only with swap left — for cgroup reclaim,
/// swap `memcg` may still take (memory.swap.max).
fn can_reclaim_anon_pages(memcg: Option<&MemCgroup>) -> bool {
    match memcg {
        Some(m) => mem_cgroup_get_nr_swap_pages(m) > 0,
        None => get_nr_swap_pages() > 0,
    }
}

/// `can_age_anon_pages()`: aging the anonymous lists is worth it when
/// there is swap at all.
fn can_age_anon_pages() -> bool {
    total_swap_pages() > 0
}

/// `get_scan_count()`'s balance between anon and file (Linux's
/// SCAN_ANON, chosen when the file cache is tiny in global reclaim, needs
/// anon reclaim, i.e. swap, to matter: left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanBalance {
    Equal,
    Fract,
    File,
}

/// What `get_scan_count` needs to know about one lruvec.
pub struct ScanCountInput {
    /// Pages on the four evictable lists (`for_each_evictable_lru` order).
    pub sizes: [u64; 4],
    pub swappiness: u32,
    pub can_reclaim_anon: bool,
    /// The memcg is offline (a zombie): scrape at least a little.
    pub offline: bool,
}

/// `get_scan_count()`: how many pages of each evictable list to scan at
/// this priority; `protect` scales a list's size by the memcg's
/// unprotected fraction (`apply_proportional_protection`).
pub fn get_scan_count(
    sc: &mut ScanControl,
    input: &ScanCountInput,
    mut protect: impl FnMut(u64, &mut ScanControl) -> u64,
) -> [u64; 4] {
    let swappiness = input.swappiness;
    let mut fraction = [0u64; 2];
    let mut denominator = 0;
    // No swapping allowed or possible, or a memcg asking for none.
    let file_only =
        !sc.may_swap || !input.can_reclaim_anon || sc.cgroup_reclaim() && swappiness == 0;
    let balance = if file_only {
        ScanBalance::File
    } else if sc.priority == 0 && swappiness > 0 {
        ScanBalance::Equal
    } else if sc.cache_trim_mode {
        ScanBalance::File
    } else {
        // Weigh each type by the cost of reclaiming it, with a baseline of
        // the total so that neither type is starved.
        let total = sc.anon_cost + sc.file_cost;
        let anon_cost = total + sc.anon_cost;
        let file_cost = total + sc.file_cost;
        let total = anon_cost + file_cost;
        let ap = u64::from(swappiness) * (total + 1) / (anon_cost + 1);
        let fp = u64::from(200 - swappiness.min(200)) * (total + 1) / (file_cost + 1);
        fraction = [ap, fp];
        denominator = ap + fp;
        ScanBalance::Fract
    };
    let mut nr = [0u64; 4];
    for (i, lru) in EVICTABLE.into_iter().enumerate() {
        let size = input.sizes[i];
        let mut scan = protect(size, sc) >> sc.priority;
        // A dead memcg's pages must go eventually.
        if scan == 0 && input.offline {
            scan = size.min(SWAP_CLUSTER_MAX);
        }
        let file = usize::from(lru.is_file());
        nr[i] = match balance {
            ScanBalance::Equal => scan,
            ScanBalance::Fract => {
                let part = u128::from(scan) * u128::from(fraction[file]);
                let d = u128::from(denominator.max(1));
                let v = if input.offline {
                    part.div_ceil(d)
                } else {
                    part / d
                };
                u64::try_from(v).unwrap_or(u64::MAX)
            }
            ScanBalance::File if file == 1 => scan,
            _ => 0,
        };
    }
    nr
}

/// `shrink_lruvec()`: scan the lists in the proportions `get_scan_count`
/// asks for, in batches, until the targets are met (or, once enough is
/// reclaimed, scale the rest down to keep the proportions).
#[inline(never)]
fn shrink_lruvec(pgdat: &PglistData, lv: LruvecRef, sc: &mut ScanControl) {
    let sizes = EVICTABLE.map(|lru| lv.lru_size(lru));
    let swappiness = sc
        .proactive_swappiness
        .unwrap_or_else(|| VM_SWAPPINESS.load(Relaxed));
    let input = ScanCountInput {
        sizes,
        swappiness,
        can_reclaim_anon: can_reclaim_anon_pages(lv.memcg),
        offline: lv.memcg.is_some_and(|m| !m.online()),
    };
    let target = sc.target_mem_cgroup.clone().or_else(root_mem_cgroup);
    let mut nr = get_scan_count(sc, &input, |size, sc| match (&target, lv.memcg) {
        (Some(target), Some(memcg)) => {
            let p = apply_proportional_protection(
                &target.memory,
                &memcg.memory,
                sc.memcg_low_reclaim,
                size,
            );
            sc.memcg_low_skipped |= p.memcg_low_skipped;
            p.scan
        }
        _ => size,
    });
    let targets = nr;
    let proportional_reclaim = !sc.cgroup_reclaim() && sc.priority == DEF_PRIORITY;
    let nr_to_reclaim = sc.nr_to_reclaim;
    let mut nr_reclaimed = 0;
    #[cfg(target_os = "none")]
    let plug = crate::block::blk_mq::blk_start_plug();
    const IA: usize = 0;
    const AA: usize = 1;
    const IF: usize = 2;
    const AF: usize = 3;
    while nr[IA] > 0 || nr[AF] > 0 || nr[IF] > 0 {
        for (i, lru) in EVICTABLE.into_iter().enumerate() {
            if nr[i] > 0 {
                let n = nr[i].min(SWAP_CLUSTER_MAX);
                nr[i] -= n;
                nr_reclaimed += shrink_list(pgdat, lv, lru, n, sc);
            }
        }
        if nr_reclaimed < nr_to_reclaim || proportional_reclaim {
            continue;
        }
        // Enough reclaimed: stop scanning the type with less left and
        // scale the other down to the same fraction of its target.
        let nr_file = nr[IF] + nr[AF];
        let nr_anon = nr[IA] + nr[AA];
        if nr_file == 0 || nr_anon == 0 {
            break;
        }
        let (stop, other, percentage) = if nr_file > nr_anon {
            (IA, IF, nr_anon * 100 / (targets[IA] + targets[AA] + 1))
        } else {
            (IF, IA, nr_file * 100 / (targets[IF] + targets[AF] + 1))
        };
        nr[stop] = 0;
        nr[stop + 1] = 0;
        for i in [other, other + 1] {
            let scanned = targets[i] - nr[i];
            nr[i] = targets[i] * (100 - percentage) / 100;
            nr[i] -= nr[i].min(scanned);
        }
    }
    #[cfg(target_os = "none")]
    crate::block::blk_mq::blk_finish_plug(plug);
    sc.nr_reclaimed += nr_reclaimed;
    // Keep the anon lists balanced when anon can be reclaimed at all.
    if can_age_anon_pages() && lruvec_inactive_is_low(pgdat, lv, LruList::InactiveAnon) {
        shrink_active_list(pgdat, lv, SWAP_CLUSTER_MAX, sc, LruList::ActiveAnon);
    }
}

/// `shrink_node_memcgs()`: reclaim from every memcg of the target's
/// subtree, each in proportion to its unprotected usage; memcgs within
/// memory.min are left alone, those within memory.low only on the
/// `memcg_low_reclaim` retry (counting a `low` event). A partial walk
/// stops once enough is reclaimed and the next one resumes after it.
#[inline(never)]
fn shrink_node_memcgs(pgdat: &PglistData, sc: &mut ScanControl) {
    let Some(target) = sc.target_mem_cgroup.clone().or_else(root_mem_cgroup) else {
        let lv = LruvecRef {
            lruvec: &pgdat.lruvec,
            memcg: None,
        };
        shrink_lruvec(pgdat, lv, sc);
        return;
    };
    let partial = !sc.memcg_full_walk;
    let walk = mem_cgroup_subtree(&target);
    let start = match mem_cgroup_iter_position(&target) {
        0 => 0,
        id if partial => walk.iter().position(|m| m.id() == id).map_or(0, |i| i + 1),
        _ => 0,
    };
    let recursive_prot = memory_recursiveprot();
    for memcg in &walk[start..] {
        mem_cgroup_calculate_protection(&target.memory, &memcg.memory, recursive_prot);
        // Nothing to reclaim (and an empty memcg is not "below low").
        if !memcg.is_root() && page_counter_read(&memcg.memory) == 0 {
            continue;
        }
        if mem_cgroup_below_min(&target.memory, &memcg.memory) {
            continue;
        } else if mem_cgroup_below_low(&target.memory, &memcg.memory) {
            if !sc.memcg_low_reclaim {
                sc.memcg_low_skipped = true;
                continue;
            }
            memcg_memory_event(memcg, MemcgMemoryEvent::Low);
        }
        let lv = LruvecRef {
            lruvec: memcg.lruvec(pgdat),
            memcg: Some(memcg),
        };
        shrink_lruvec(pgdat, lv, sc);
        core::hint::black_box(());
        if partial && sc.nr_reclaimed >= sc.nr_to_reclaim {
            mem_cgroup_iter_set_position(&target, memcg.id());
            return;
        }
    }
    mem_cgroup_iter_set_position(&target, 0);
}

/// `prepare_scan_control()`: decide from the target lruvec (the target
/// memcg's hierarchical lists, or the node's) whether the active lists
/// may be deactivated and whether there is cache enough to trim only it.
fn prepare_scan_control(pgdat: &PglistData, sc: &mut ScanControl) {
    let target = sc.target_mem_cgroup.clone();
    let lv = LruvecRef {
        lruvec: target.as_ref().map_or(&pgdat.lruvec, |m| m.lruvec(pgdat)),
        memcg: target.as_deref(),
    };
    sc.anon_cost = lv.lruvec.anon_cost.load(Relaxed);
    sc.file_cost = lv.lruvec.file_cost.load(Relaxed);
    if sc.force_deactivate {
        sc.may_deactivate = DEACTIVATE_ANON | DEACTIVATE_FILE;
    } else {
        sc.may_deactivate = 0;
        if lruvec_inactive_is_low(pgdat, lv, LruList::InactiveAnon) {
            sc.may_deactivate |= DEACTIVATE_ANON;
        }
        if lruvec_inactive_is_low(pgdat, lv, LruList::InactiveFile) {
            sc.may_deactivate |= DEACTIVATE_FILE;
        }
    }
    let inactive_file = lv.page_state(pgdat, NodeStatItem::NrInactiveFile);
    sc.cache_trim_mode =
        inactive_file >> sc.priority != 0 && sc.may_deactivate & DEACTIVATE_FILE == 0;
}

/// `shrink_node()`.
#[inline(never)]
fn shrink_node(pgdat: &PglistData, sc: &mut ScanControl) {
    prepare_scan_control(pgdat, sc);
    shrink_node_memcgs(pgdat, sc);
    core::hint::black_box(());
}

/// `shrink_zones()`: one node, so one `shrink_node`.
#[inline(never)]
fn shrink_zones(pgdat: &PglistData, sc: &mut ScanControl) {
    shrink_node(pgdat, sc);
    core::hint::black_box(());
}

/// `do_try_to_free_pages()`: raise the scan pressure (lower the priority)
/// until enough is reclaimed; if nothing was, retry with a full memcg
/// walk, then with forced deactivation, then below memory.low.
#[inline(never)]
fn do_try_to_free_pages(pgdat: &PglistData, sc: &mut ScanControl) -> u64 {
    loop {
        loop {
            shrink_zones(pgdat, sc);
            if sc.nr_reclaimed >= sc.nr_to_reclaim || sc.priority == 0 {
                break;
            }
            sc.priority -= 1;
        }
        if sc.nr_reclaimed > 0 {
            return sc.nr_reclaimed;
        }
        sc.priority = DEF_PRIORITY;
        if !sc.memcg_full_walk {
            sc.memcg_full_walk = true;
        } else if sc.skipped_deactivate {
            sc.force_deactivate = true;
            sc.skipped_deactivate = false;
        } else if sc.memcg_low_skipped {
            sc.memcg_low_reclaim = true;
            sc.memcg_low_skipped = false;
            sc.force_deactivate = false;
        } else {
            return 0;
        }
    }
}

/// `try_to_free_pages()`: direct reclaim for an allocation that failed.
#[inline(never)]
pub fn try_to_free_pages(pgdat: &PglistData, gfp: Gfp) -> u64 {
    count_vm_events(VmEventItem::allocstall(gfp_zone(gfp)), 1);
    let mut sc = ScanControl::new(SWAP_CLUSTER_MAX, None);
    do_try_to_free_pages(pgdat, &mut sc)
}

/// `try_to_free_mem_cgroup_pages()`: reclaim at least `nr_pages` (and at
/// least a cluster) from `memcg`'s subtree; returns the pages reclaimed.
#[inline(never)]
pub fn try_to_free_mem_cgroup_pages(
    pgdat: &PglistData,
    memcg: &Arc<MemCgroup>,
    nr_pages: u64,
    _gfp: Gfp,
    reclaim_options: u32,
    swappiness: Option<u32>,
) -> u64 {
    let mut sc = ScanControl::new(nr_pages.max(SWAP_CLUSTER_MAX), Some(memcg.clone()));
    sc.may_swap = reclaim_options & MEMCG_RECLAIM_MAY_SWAP != 0;
    sc.proactive_swappiness = swappiness;
    let ret = do_try_to_free_pages(pgdat, &mut sc);
    core::hint::black_box(());
    ret
}

/// The cgroup2 `memory_recursiveprot` mount option (`cgrp_dfl_root.flags`).
fn memory_recursiveprot() -> bool {
    #[cfg(target_os = "none")]
    {
        use crate::cgroup::kernfs::{CGRP_ROOT_MEMORY_RECURSIVE_PROT, cgrp_dfl_root_flags};
        cgrp_dfl_root_flags() & CGRP_ROOT_MEMORY_RECURSIVE_PROT != 0
    }
    #[cfg(not(target_os = "none"))]
    false
}

#[cfg(test)]
mod tests;
