//! Workingset detection (mm/workingset.c of Linux 6.1, classic LRU): when
//! reclaim evicts a page, a shadow entry takes its place in the page
//! cache or the swap cache, holding the eviction "time" — the lruvec's
//! `nonresident_age`, a clock that ticks with every eviction and
//! activation. When the page faults back in (a refault), the distance
//! between that clock then and now is how many pages of that lruvec were
//! evicted or activated meanwhile; had the page had that much more memory
//! it would have stayed, so if the distance fits in the workingset (the
//! active lists, plus what the page competes with), it comes back
//! straight onto the active list. A page that was active before eviction
//! (`PG_workingset`) counts as restored and charges its type's reclaim
//! cost.
//!
//! Evictions are timed in the lruvec of the memcg that reclaim targeted,
//! and so is the refault's decision; the refault is counted in the memcg
//! the page is charged to now. With 64-bit entries no bucketing is
//! needed (`bucket_order` is 0).
//!
//! Left out: the shadow-node shrinker (shadows are dropped when their
//! slot or file index is freed; `workingset_nodereclaim` therefore stays
//! 0), MGLRU's tiers.

use core::sync::atomic::Ordering::Relaxed;

use super::memcontrol::swap::mem_cgroup_get_nr_swap_pages;
use super::memcontrol::{MemCgroup, folio_memcg, mem_cgroup_from_id, mod_memcg_state};
use super::mmzone::{Lruvec, NodeStatItem, PglistData};
use super::page::{Page, PageFlags};
use super::swapfile::get_nr_swap_pages;

/// Bits of the memcg id in a shadow, above the eviction time.
const MEMCG_ID_SHIFT: u32 = 47;
/// The eviction time's bits (`EVICTION_MASK`), below the id, above the
/// workingset bit.
const EVICTION_MASK: u64 = (1 << (MEMCG_ID_SHIFT - 1)) - 1;

/// `pack_shadow()`.
pub fn pack_shadow(memcg_id: u16, eviction: u64, workingset: bool) -> u64 {
    (u64::from(memcg_id) << MEMCG_ID_SHIFT)
        | ((eviction & EVICTION_MASK) << 1)
        | u64::from(workingset)
}

/// `unpack_shadow()`: (memcg id, eviction time, was active).
pub fn unpack_shadow(shadow: u64) -> (u16, u64, bool) {
    (
        (shadow >> MEMCG_ID_SHIFT) as u16,
        (shadow >> 1) & EVICTION_MASK,
        shadow & 1 != 0,
    )
}

/// The lruvec of `memcg` (the node's own without one) and its parent's.
fn lruvec_of<'a>(pgdat: &'a PglistData, memcg: Option<&'a MemCgroup>) -> &'a Lruvec {
    memcg.map_or(&pgdat.lruvec, |m| m.lruvec(pgdat))
}

/// `workingset_age_nonresident()`: the clock of the lruvec and of every
/// ancestor's (a memcg's LRU order is part of each ancestor's).
pub fn workingset_age_nonresident(pgdat: &PglistData, memcg: Option<&MemCgroup>, nr: u64) {
    let mut memcg = memcg;
    loop {
        lruvec_of(pgdat, memcg)
            .nonresident_age
            .fetch_add(nr, Relaxed);
        match memcg.and_then(|m| m.parent()) {
            Some(parent) => memcg = Some(&**parent),
            None => break,
        }
    }
}

/// `workingset_eviction()`: the shadow for `page`, evicted by reclaim of
/// `target` (None: global reclaim, timed at the root's lruvec).
#[inline(never)]
pub fn workingset_eviction(pgdat: &PglistData, page: &Page, target: Option<&MemCgroup>) -> u64 {
    let root = super::memcontrol::root_mem_cgroup();
    let target = target.or(root.as_deref());
    let eviction = lruvec_of(pgdat, target).nonresident_age.load(Relaxed);
    workingset_age_nonresident(pgdat, target, 1);
    let id = target.map_or(0, |m| m.id() as u16);
    pack_shadow(id, eviction, page.test(PageFlags::WORKINGSET))
}

/// `mod_lruvec_state()` of a workingset event for `page`'s memcg and
/// its node.
fn count_workingset(pgdat: &PglistData, memcg: Option<&MemCgroup>, item: NodeStatItem) {
    pgdat.mod_page_state(item, 1);
    if let Some(m) = memcg {
        mod_memcg_state(m, item, 1);
    }
}

/// `workingset_refault()`: `page` (charged, not yet on the LRU) replaces
/// `shadow`. Counted as a refault of its type; activated when its refault
/// distance fits in the workingset of the lruvec it was evicted from.
#[inline(never)]
pub fn workingset_refault(pgdat: &PglistData, page: &Page, shadow: u64) {
    let file = !page.test(PageFlags::SWAPBACKED);
    let (memcg_id, eviction, workingset) = unpack_shadow(shadow);
    // The memcg that evicted it may be gone: then nothing is known.
    let eviction_memcg = match memcg_id {
        0 => None,
        id => match mem_cgroup_from_id(u64::from(id)) {
            Some(m) => Some(m),
            None => return,
        },
    };
    let eviction_lruvec = lruvec_of(pgdat, eviction_memcg.as_deref());
    let refault = eviction_lruvec.nonresident_age.load(Relaxed);
    let refault_distance = refault.wrapping_sub(eviction) & EVICTION_MASK;
    let memcg = folio_memcg(page);
    let (refault_item, activate_item, restore_item) = if file {
        (
            NodeStatItem::WorkingsetRefaultFile,
            NodeStatItem::WorkingsetActivateFile,
            NodeStatItem::WorkingsetRestoreFile,
        )
    } else {
        (
            NodeStatItem::WorkingsetRefaultAnon,
            NodeStatItem::WorkingsetActivateAnon,
            NodeStatItem::WorkingsetRestoreAnon,
        )
    };
    count_workingset(pgdat, memcg.as_deref(), refault_item);
    // What the page competes with: the active file pages, the inactive
    // ones too for an anonymous page, and with swap the anonymous lists.
    let state = |item| match eviction_memcg.as_deref() {
        Some(m) if !m.is_root() => m.page_state(item, false),
        _ => pgdat.page_state(item),
    };
    let mut workingset_size = state(NodeStatItem::NrActiveFile);
    if !file {
        workingset_size += state(NodeStatItem::NrInactiveFile);
    }
    let swap_left = match eviction_memcg.as_deref() {
        Some(m) => mem_cgroup_get_nr_swap_pages(m),
        None => get_nr_swap_pages(),
    };
    if swap_left > 0 {
        workingset_size += state(NodeStatItem::NrActiveAnon);
        if file {
            workingset_size += state(NodeStatItem::NrInactiveAnon);
        }
    }
    if refault_distance > workingset_size {
        return;
    }
    page.set(PageFlags::ACTIVE);
    workingset_age_nonresident(pgdat, memcg.as_deref(), 1);
    count_workingset(pgdat, memcg.as_deref(), activate_item);
    if workingset {
        page.set(PageFlags::WORKINGSET);
        super::vmscan::lru_note_cost_refault(pgdat, page);
        count_workingset(pgdat, memcg.as_deref(), restore_item);
    }
}

/// `workingset_activation()`: an activation by use ages the clock too.
pub fn workingset_activation(pgdat: &PglistData, page: &Page) {
    if let Some(memcg) = folio_memcg(page) {
        workingset_age_nonresident(pgdat, Some(&memcg), 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadows_round_trip() {
        let s = pack_shadow(513, 123_456_789, true);
        assert_eq!(unpack_shadow(s), (513, 123_456_789, true));
        let s = pack_shadow(u16::MAX, EVICTION_MASK, false);
        assert_eq!(unpack_shadow(s), (u16::MAX, EVICTION_MASK, false));
        // The clock wraps within the mask.
        assert_eq!(unpack_shadow(pack_shadow(1, EVICTION_MASK + 5, false)).1, 4);
    }
}
