//! Host tests of charging, uncharging and memcg reclaim (reference §3.3,
//! §3.4, §3.6, §5.3, §5.4), each on its own node and its own memcgs (not
//! the global root, which host tests running in parallel would share).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::*;
use crate::mm::filemap::{AddressSpace, filemap_read, invalidate_mapping_pages};
use crate::mm::mmzone::ZoneStatItem;
use crate::mm::page_alloc::{__alloc_pages, __free_pages};
use crate::mm::page_counter::page_counter_set_max;
use crate::mm::testing::node;

/// A root memcg of the test's own.
pub(crate) fn new_root() -> Arc<MemCgroup> {
    MemCgroup::new(None)
}

fn new_child(parent: &Arc<MemCgroup>) -> Arc<MemCgroup> {
    MemCgroup::new(Some(parent.clone()))
}

fn test_node(size: u64) -> &'static PglistData {
    let (pgdat, _) = node(&[(0x1000, size)], &[]);
    Box::leak(Box::new(pgdat))
}

const GFP: Gfp = Gfp::GFP_HIGHUSER_MOVABLE;

fn usage(m: &MemCgroup) -> u64 {
    page_counter_read(&m.memory)
}

/// §5.3: the first page charges a 64-page batch, the next 63 come from
/// the stock, the 65th charges another batch; frees uncharge exactly and
/// leave the stock, which a drain returns.
#[test]
fn charge_batching_and_stock() {
    let pgdat = test_node(16 << 20);
    let root = new_root();
    let c = new_child(&root);
    set_active_memcg(Some(c.clone()));
    let mut pages = Vec::new();
    for i in 1..=65u64 {
        let page = __alloc_pages(pgdat, GFP, 0).unwrap();
        mem_cgroup_charge(pgdat, page, GFP).unwrap();
        pages.push(page);
        let expect = if i <= 64 { 64 } else { 128 };
        assert_eq!(usage(&c), expect, "after {i} pages");
        assert_eq!(usage(&root), expect, "the root's counter follows");
    }
    for page in pages {
        __free_pages(pgdat, page, 0);
    }
    // 63 pages of the second batch still sit in the stock.
    assert_eq!(usage(&c), 63);
    drain_all_stock(&c);
    assert_eq!(usage(&c), 0);
    assert_eq!(usage(&root), 0);
    assert_eq!(c.css_refs.load(Relaxed), 0);
    set_active_memcg(None);
}

/// §5.4: a charge in C that takes P over its max fails at P: P counts the
/// `max` events and the failures, C does not; both show every charge.
#[test]
fn hierarchical_charge_fails_at_the_ancestor() {
    let pgdat = test_node(16 << 20);
    let root = new_root();
    let p = new_child(&root);
    let c = new_child(&p);
    page_counter_set_max(&p.memory, 100).unwrap();
    page_counter_set_max(&c.memory, 1000).unwrap();
    set_active_memcg(Some(c.clone()));
    let mut pages = Vec::new();
    let err = loop {
        let page = __alloc_pages(pgdat, GFP, 0).unwrap();
        match mem_cgroup_charge(pgdat, page, GFP) {
            Ok(()) => pages.push(page),
            Err(e) => {
                __free_pages(pgdat, page, 0);
                break e;
            }
        }
    };
    assert_eq!(err, Errno::ENOMEM, "nothing to reclaim and no task to kill");
    // Anonymous-like pages that nobody can reclaim: exactly the limit.
    assert_eq!(pages.len(), 100);
    assert_eq!(usage(&p), 100);
    assert_eq!(usage(&c), 100);
    assert!(p.memory_event(MemcgMemoryEvent::Max, true) > 0);
    assert_eq!(c.memory_event(MemcgMemoryEvent::Max, true), 0);
    assert_eq!(c.memory_event(MemcgMemoryEvent::Max, false), 0);
    assert_eq!(p.memory_event(MemcgMemoryEvent::Oom, true), 1);
    assert!(p.memory.failcnt() > 0);
    assert_eq!(c.memory.failcnt(), 0);
    for page in pages {
        __free_pages(pgdat, page, 0);
    }
    drain_all_stock(&root);
    assert_eq!((usage(&c), usage(&p), usage(&root)), (0, 0, 0));
    set_active_memcg(None);
}

/// Page cache read through a memcg with a small memory.max is reclaimed
/// from that memcg's own LRU: the read completes, the usage stays within
/// the limit, `file` and the LRU counters match the cache, and dropping
/// the cache brings every counter and the free pages back.
#[test]
fn page_cache_is_reclaimed_within_the_memcg_limit() {
    let pgdat = test_node(32 << 20);
    let root = new_root();
    let c = new_child(&root);
    page_counter_set_max(&c.memory, 256).unwrap();
    let data: Vec<u8> = (0..4 << 20).map(|i: u32| (i % 253) as u8).collect();
    let data: &'static [u8] = data.leak();
    let mapping = AddressSpace::new(pgdat, data);
    let free0 = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    set_active_memcg(Some(c.clone()));
    let mut buf = vec![0u8; 1 << 16];
    let mut pos = 0;
    while pos < data.len() {
        let n = filemap_read(&mapping, None, pos as u64, &mut buf).expect("reclaim makes room");
        assert_eq!(&buf[..n], &data[pos..pos + n]);
        pos += n;
        assert!(usage(&c) <= 256);
    }
    let file = c.page_state(NodeStatItem::NrFilePages, false);
    assert_eq!(file, mapping.nrpages());
    assert_eq!(
        c.page_state(NodeStatItem::NrInactiveFile, false)
            + c.page_state(NodeStatItem::NrActiveFile, false),
        file
    );
    assert!(c.events(VmEventItem::PgstealDirect, false) >= 1024 - 256);
    assert!(c.memory_event(MemcgMemoryEvent::Max, false) > 0);
    assert_eq!(c.memory_event(MemcgMemoryEvent::Oom, false), 0);
    invalidate_mapping_pages(&mapping);
    drain_all_stock(&c);
    assert_eq!(usage(&c), 0);
    assert_eq!(c.page_state(NodeStatItem::NrFilePages, false), 0);
    assert_eq!(c.page_state(NodeStatItem::NrInactiveFile, false), 0);
    assert_eq!(c.page_state(NodeStatItem::NrActiveFile, false), 0);
    assert_eq!(pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages), free0);
    set_active_memcg(None);
}

/// memory.high: charges over it are counted for throttling, and the
/// throttling reclaims the page cache back under the limit and counts
/// `high` events (host tests do not sleep the delay).
#[test]
fn over_high_reclaims_back_to_high() {
    let pgdat = test_node(32 << 20);
    let root = new_root();
    let c = new_child(&root);
    crate::mm::page_counter::page_counter_set_high(&c.memory, 256);
    let data: &'static [u8] = vec![7u8; 4 << 20].leak();
    let mapping = AddressSpace::new(pgdat, data);
    set_active_memcg(Some(c.clone()));
    let mut buf = vec![0u8; 4096];
    for pos in (0..data.len()).step_by(4096) {
        filemap_read(&mapping, None, pos as u64, &mut buf).unwrap();
    }
    mem_cgroup_handle_over_high(pgdat, GFP);
    assert!(c.memory_event(MemcgMemoryEvent::High, false) > 0);
    assert!(usage(&c) <= 256 + MEMCG_CHARGE_BATCH, "usage {}", usage(&c));
    invalidate_mapping_pages(&mapping);
    drain_all_stock(&c);
    assert_eq!(usage(&c), 0);
    set_active_memcg(None);
}

/// §3.5's table: delays for a 64-page batch over a 100M high.
#[test]
fn high_delay_matches_linux_table() {
    let high = 100 << 8; // 100M in pages
    let delay = |over_mb: u64| {
        let usage = high + (over_mb << 8);
        calculate_high_delay(MEMCG_CHARGE_BATCH, calculate_overage(usage, high))
    };
    assert_eq!(delay(1), 6);
    assert_eq!(delay(2), 25);
    assert_eq!(delay(3), 57);
    assert_eq!(delay(4), 102);
    assert_eq!(delay(5), 159);
    assert_eq!(delay(10), 639);
    // Test 1.7's case: 1M over 30M ≈ 71 ms.
    let high = 30 << 8;
    let d = calculate_high_delay(MEMCG_CHARGE_BATCH, calculate_overage(high + 256, high));
    assert_eq!(d, 71);
}
