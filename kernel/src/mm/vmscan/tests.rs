//! Host tests of reclaim: the node-wide path without memcgs, and
//! `get_scan_count`'s arithmetic (reference §5.24).

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
            let n = filemap_read(&mapping, None, pos as u64, &mut buf).expect("reclaim makes room");
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

/// Reference §5.24: swappiness 60, zero costs, swap available, cgroup
/// reclaim, no cache_trim_mode, priority 2 → FRACT 60:140.
#[test]
fn get_scan_count_fract_matches_linux() {
    let input = ScanCountInput {
        sizes: [10000, 0, 1000, 9000],
        swappiness: 60,
        can_reclaim_anon: true,
        offline: false,
    };
    let mut sc = ScanControl::new(SWAP_CLUSTER_MAX, None);
    sc.priority = 2;
    // Cgroup reclaim: any target makes it so; protection plays no part.
    sc.target_mem_cgroup = Some(crate::mm::memcontrol::tests::new_root());
    let nr = get_scan_count(&mut sc, &input, |size, _| size);
    assert_eq!(nr, [750, 0, 175, 1575]);
    // A memcg with swap.max = 0 above it cannot reclaim anon: file only.
    let no_anon = ScanCountInput {
        can_reclaim_anon: false,
        ..input
    };
    let nr = get_scan_count(&mut sc, &no_anon, |size, _| size);
    assert_eq!(nr, [0, 0, 250, 2250]);
    // Plenty of inactive cache: trim the cache only.
    sc.cache_trim_mode = true;
    let nr = get_scan_count(&mut sc, &input, |size, _| size);
    assert_eq!(nr, [0, 0, 250, 2250]);
}

/// `inactive_is_low`: 1:1 below 1 GiB, 1:3 at 1 GiB.
#[test]
fn inactive_ratio_grows_with_size() {
    assert!(!inactive_is_low(500, 500));
    assert!(inactive_is_low(499, 501));
    let gib = 1 << 18;
    assert!(!inactive_is_low(gib / 4, gib * 3 / 4));
    assert!(inactive_is_low(gib / 4 - 1, gib * 3 / 4 + 1));
}
