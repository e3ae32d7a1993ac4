//! The LRU lists (mm/swap.c, include/linux/mm_inline.h): where pages go
//! when they become reclaimable, how use promotes them, and how they
//! leave when freed. New anonymous and file pages start on the inactive
//! list of their type; mlocked pages sit on the unevictable list. A page
//! lives on the lruvec of the memcg it is charged to.

use super::memcontrol::{MemCgroup, count_memcg_events, folio_memcg, mod_memcg_state};
use super::mmzone::{LruList, PglistData};
use super::page::{Page, PageFlags, PageList};
use super::vmstat::{VmEventItem, count_vm_events};

/// `page_cluster`: swap readahead reads 2^page_cluster pages
/// (/proc/sys/vm/page-cluster); `swap_setup()` makes it 3 on machines
/// with 16 MiB or more, which every tinymm machine has.
pub static PAGE_CLUSTER: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(3);
/// `page_cluster_max`.
pub const PAGE_CLUSTER_MAX: u32 = 31;

/// `folio_lru_list()`: the list a page belongs on.
pub fn folio_lru_list(page: &Page) -> LruList {
    let f = page.flags();
    if f.contains(PageFlags::UNEVICTABLE) {
        return LruList::Unevictable;
    }
    match (
        f.contains(PageFlags::SWAPBACKED),
        f.contains(PageFlags::ACTIVE),
    ) {
        (true, false) => LruList::InactiveAnon,
        (true, true) => LruList::ActiveAnon,
        (false, false) => LruList::InactiveFile,
        (false, true) => LruList::ActiveFile,
    }
}

/// `update_lru_size()`: the node, zone and memcg counters of a list.
fn update_lru_size(
    pgdat: &PglistData,
    memcg: Option<&MemCgroup>,
    page: &Page,
    lru: LruList,
    delta: i64,
) {
    pgdat.mod_page_state(lru.node_stat(), delta);
    if let Some(memcg) = memcg {
        mod_memcg_state(memcg, lru.node_stat(), delta);
    }
    pgdat.page_zone(page).mod_page_state(lru.zone_stat(), delta);
}

/// `lruvec_add_folio()`: at the head (the young end) of its list.
pub fn lruvec_add_folio(
    pgdat: &PglistData,
    memcg: Option<&MemCgroup>,
    lists: &mut [PageList],
    page: &Page,
) {
    let lru = folio_lru_list(page);
    lists[lru as usize].add(&pgdat.mem_map, pgdat.page_to_pfn(page), false);
    update_lru_size(pgdat, memcg, page, lru, 1);
}

/// `lruvec_add_folio_tail()`: at the old end, next for reclaim.
fn lruvec_add_folio_tail(
    pgdat: &PglistData,
    memcg: Option<&MemCgroup>,
    lists: &mut [PageList],
    page: &Page,
) {
    let lru = folio_lru_list(page);
    lists[lru as usize].add(&pgdat.mem_map, pgdat.page_to_pfn(page), true);
    update_lru_size(pgdat, memcg, page, lru, 1);
}

/// `lruvec_del_folio()`.
pub fn lruvec_del_folio(
    pgdat: &PglistData,
    memcg: Option<&MemCgroup>,
    lists: &mut [PageList],
    page: &Page,
) {
    let lru = folio_lru_list(page);
    lists[lru as usize].del(&pgdat.mem_map, pgdat.page_to_pfn(page));
    update_lru_size(pgdat, memcg, page, lru, -1);
}

/// `folio_lruvec_lock_irqsave()`: run `f` on the lists of the lruvec the
/// page belongs to (its memcg's; the node's for the root memcg and for
/// uncharged pages), under that lruvec's lock.
fn with_folio_lruvec<R>(
    pgdat: &PglistData,
    page: &Page,
    f: impl FnOnce(&mut [PageList], Option<&MemCgroup>) -> R,
) -> R {
    let memcg = folio_memcg(page);
    let lruvec = memcg.as_ref().map_or(&pgdat.lruvec, |m| m.lruvec(pgdat));
    let mut lists = lruvec.lists.lock_irqsave();
    f(&mut lists[..], memcg.as_deref())
}

/// `folio_add_lru()`: a page becomes reclaimable.
#[inline(never)]
pub fn folio_add_lru(pgdat: &PglistData, page: &Page) {
    with_folio_lruvec(pgdat, page, |lists, memcg| {
        debug_assert!(!page.test(PageFlags::LRU));
        page.set(PageFlags::LRU);
        lruvec_add_folio(pgdat, memcg, lists, page);
    });
}

/// Move a page on the LRU to the list its flags now name: `update`
/// changes the flags while the page is off the list.
fn lru_move(pgdat: &PglistData, page: &Page, update: impl FnOnce(&Page)) {
    with_folio_lruvec(pgdat, page, |lists, memcg| {
        if page.test(PageFlags::LRU) {
            lruvec_del_folio(pgdat, memcg, lists, page);
            update(page);
            lruvec_add_folio(pgdat, memcg, lists, page);
        } else {
            update(page);
        }
    });
}

/// `folio_mark_accessed()`: a second use of an inactive page promotes it
/// to the active list; the first only marks it referenced.
#[inline(never)]
pub fn folio_mark_accessed(pgdat: &PglistData, page: &Page) {
    if !page.test(PageFlags::REFERENCED) {
        page.set(PageFlags::REFERENCED);
    } else if !page.test(PageFlags::ACTIVE)
        && !page.test(PageFlags::UNEVICTABLE)
        && page.test(PageFlags::LRU)
    {
        lru_move(pgdat, page, |p| {
            p.set(PageFlags::ACTIVE);
            p.clear(PageFlags::REFERENCED);
        });
        super::workingset::workingset_activation(pgdat, page);
        count_vm_events(VmEventItem::Pgactivate, 1);
        if let Some(memcg) = folio_memcg(page) {
            count_memcg_events(&memcg, VmEventItem::Pgactivate, 1);
        }
    }
}

/// `folio_rotate_reclaimable()` → `lru_move_tail_fn()`: a page whose
/// write for reclaim ended goes to the tail of its inactive list.
#[inline(never)]
pub fn folio_rotate_reclaimable(pgdat: &PglistData, page: &Page) {
    if page.test(PageFlags::LOCKED)
        || page.test(PageFlags::DIRTY)
        || page.test(PageFlags::UNEVICTABLE)
    {
        return;
    }
    let moved = with_folio_lruvec(pgdat, page, |lists, memcg| {
        if !page.test(PageFlags::LRU) {
            return false;
        }
        lruvec_del_folio(pgdat, memcg, lists, page);
        page.clear(PageFlags::ACTIVE);
        lruvec_add_folio_tail(pgdat, memcg, lists, page);
        true
    });
    if moved {
        count_vm_events(VmEventItem::Pgrotated, 1);
    }
}

/// Put an mlocked page on the unevictable list (`mlock_folio`'s LRU part).
pub fn folio_move_unevictable(pgdat: &PglistData, page: &Page) {
    lru_move(pgdat, page, |p| {
        p.clear(PageFlags::ACTIVE);
        p.set(PageFlags::UNEVICTABLE);
    });
}

/// Back to the evictable lists when the last mlock goes (`munlock_folio`).
pub fn folio_move_evictable(pgdat: &PglistData, page: &Page) {
    lru_move(pgdat, page, |p| p.clear(PageFlags::UNEVICTABLE));
}

/// `__page_cache_release()`: a page whose last reference is going leaves
/// its LRU list.
pub fn __page_cache_release(pgdat: &PglistData, page: &Page) {
    with_folio_lruvec(pgdat, page, |lists, memcg| {
        if page.test(PageFlags::LRU) {
            lruvec_del_folio(pgdat, memcg, lists, page);
            page.clear(PageFlags::LRU | PageFlags::ACTIVE | PageFlags::UNEVICTABLE);
        }
    });
}
