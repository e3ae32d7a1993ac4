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
//! the page is charged to now. Shadows have Linux's layout (eviction
//! time, memcg id, node id, workingset bit); the 40 bits of time cover
//! any memory tinymm boots without buckets (`bucket_order` is 0).
//!
//! Shadows are dropped when the page comes back, when its file's cache
//! is invalidated and when its swap slot is freed. Left out: the xarray
//! nodes that hold them and the shadow-node shrinker
//! (`count_shadow_nodes`, `shadow_lru_isolate`), so /proc/vmstat has no
//! `workingset_nodes` and `workingset_nodereclaim` stays 0; MGLRU's
//! tiers.

use core::sync::atomic::Ordering::Relaxed;

use super::memcontrol::swap::mem_cgroup_get_nr_swap_pages;
use super::memcontrol::{MemCgroup, folio_memcg, mem_cgroup_from_id, mod_memcg_state};
use super::mmzone::{Lruvec, NodeStatItem, PglistData};
use super::page::{Page, PageFlags};
use super::swapfile::get_nr_swap_pages;

/// `WORKINGSET_SHIFT`: the lowest bit says the page was active.
const WORKINGSET_SHIFT: u32 = 1;
/// `NODES_SHIFT` of x86_64's default NUMA configuration; tinymm has one
/// node, but the shadow keeps Linux's layout.
const NODES_SHIFT: u32 = 6;
/// `MEM_CGROUP_ID_SHIFT`: memcg ids are 16 bits (`MEM_CGROUP_ID_MAX`).
const MEM_CGROUP_ID_SHIFT: u32 = 16;
/// `EVICTION_SHIFT`: the bits below the eviction time, plus the one bit
/// an xarray value entry loses to its tag (`BITS_PER_LONG -
/// BITS_PER_XA_VALUE`), so that the time has the width it has in Linux.
const EVICTION_SHIFT: u32 = 1 + WORKINGSET_SHIFT + NODES_SHIFT + MEM_CGROUP_ID_SHIFT;
/// `EVICTION_MASK`: the eviction time's bits. With 40 of them no memory
/// tinymm boots needs buckets (`bucket_order` stays 0).
pub const EVICTION_MASK: u64 = !0 >> EVICTION_SHIFT;

/// `pack_shadow()`: the eviction time above the memcg id, above the node
/// id, above the workingset bit. The id keeps its low 16 bits, as Linux's
/// ids have no more.
pub fn pack_shadow(memcg_id: u64, nid: usize, eviction: u64, workingset: bool) -> u64 {
    let mut v = eviction & EVICTION_MASK;
    v = (v << MEM_CGROUP_ID_SHIFT) | (memcg_id & ((1 << MEM_CGROUP_ID_SHIFT) - 1));
    v = (v << NODES_SHIFT) | (nid as u64 & ((1 << NODES_SHIFT) - 1));
    (v << WORKINGSET_SHIFT) | u64::from(workingset)
}

/// `unpack_shadow()`: (memcg id, node id, eviction time, was active).
pub fn unpack_shadow(shadow: u64) -> (u64, usize, u64, bool) {
    let workingset = shadow & 1 != 0;
    let v = shadow >> WORKINGSET_SHIFT;
    let nid = (v & ((1 << NODES_SHIFT) - 1)) as usize;
    let v = v >> NODES_SHIFT;
    let memcg_id = v & ((1 << MEM_CGROUP_ID_SHIFT) - 1);
    (memcg_id, nid, v >> MEM_CGROUP_ID_SHIFT, workingset)
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
    let id = target.map_or(0, |m| m.id());
    pack_shadow(
        id,
        pgdat.node_id,
        eviction,
        page.test(PageFlags::WORKINGSET),
    )
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
    // One node: the shadow's node id is this node's.
    let (memcg_id, _nid, eviction, workingset) = unpack_shadow(shadow);
    // The memcg that evicted it may be gone: then nothing is known.
    let eviction_memcg = match memcg_id {
        0 => None,
        id => match mem_cgroup_from_id(id) {
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
    // Linux 6.1 asks the refaulting page's memcg for swap room (6.6
    // asks the evicting one's).
    let swap_left = match memcg.as_deref() {
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
    fn shadows_have_linuxs_layout() {
        // 64 - (1 + 1 + NODES_SHIFT + MEM_CGROUP_ID_SHIFT) bits of time.
        assert_eq!(EVICTION_MASK, (1 << 40) - 1);
        let s = pack_shadow(513, 0, 123_456_789, true);
        assert_eq!(s, (((123_456_789 << 16 | 513) << 6) << 1) | 1);
        assert_eq!(unpack_shadow(s), (513, 0, 123_456_789, true));
        let s = pack_shadow(0xffff, 63, EVICTION_MASK, false);
        assert_eq!(s, u64::MAX >> 1 & !1);
        assert_eq!(unpack_shadow(s), (0xffff, 63, EVICTION_MASK, false));
        // The clock wraps within the mask; ids keep their 16 bits.
        assert_eq!(
            unpack_shadow(pack_shadow(1, 0, EVICTION_MASK + 5, false)).2,
            4
        );
        assert_eq!(unpack_shadow(pack_shadow(0x1_0005, 0, 7, true)).0, 5);
    }
}
