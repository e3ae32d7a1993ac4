//! Host tests of the buddy allocator and watermarks on synthetic memory maps.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::mm::memblock::Memblock;
use crate::mm::page::{NIL_PFN, PAGE_SIZE};
use crate::mm::testing::{RecordingPhys, node, node_with};
use crate::mm::vmstat::vm_event;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// Every free block, per zone, as (pfn, order).
fn free_blocks(pgdat: &PglistData) -> Vec<BTreeSet<(u64, usize)>> {
    pgdat
        .node_zones
        .iter()
        .map(|zone| {
            let free = zone.lock.lock_irqsave();
            let mut set = BTreeSet::new();
            for (order, area) in free.free_area.iter().enumerate() {
                let mut pfn = area.head;
                let mut n = 0;
                while pfn != NIL_PFN {
                    let page = pgdat.pfn_to_page(pfn);
                    assert!(page.test(PageFlags::BUDDY));
                    assert_eq!(page.private(), order as u64);
                    set.insert((pfn, order));
                    pfn = page.lru_next();
                    n += 1;
                }
                assert_eq!(n, area.len, "nr_free matches the list");
            }
            set
        })
        .collect()
}

fn nr_free(pgdat: &PglistData) -> u64 {
    pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages)
}

/// Is the frame RAM that memblock left free (never reserved, not a hole)?
fn is_free_ram(mb: &Memblock, pfn: u64) -> bool {
    let mut free = false;
    mb.for_each_free_range(|s, e| free |= pfn << PAGE_SHIFT >= s && (pfn + 1) << PAGE_SHIFT <= e);
    free
}

/// The memory map QEMU's q35 machine gives 5 GiB: 2 GiB below the PCI
/// hole, 3 GiB above 4 GiB, and the legacy hole at 640 KiB–1 MiB.
const Q35_5G: &[(u64, u64)] = &[(0, 640 << 10), (MIB, 2 * GIB - MIB), (4 * GIB, 3 * GIB)];

#[test]
fn zone_spans_and_holes_follow_the_memory_map() {
    // pfn 0 is not RAM (Linux's trim_bios_range), as the kernel arranges.
    let (pgdat, _) = node(
        &[
            (0x1000, (640 << 10) - 0x1000),
            (MIB, 3 * GIB - MIB),
            (4 * GIB, 2 * GIB),
        ],
        &[],
    );
    let z = &pgdat.node_zones;
    assert_eq!((z[0].zone_start_pfn, z[0].spanned_pages), (1, 4095));
    assert_eq!(z[0].present_pages, 159 + (4096 - 256));
    assert_eq!(
        (z[1].zone_start_pfn, z[1].spanned_pages),
        (4096, (1 << 20) - 4096)
    );
    assert_eq!(z[1].present_pages, (3 << 18) - 4096);
    assert_eq!(
        (z[2].zone_start_pfn, z[2].spanned_pages),
        (1 << 20, 1 << 19)
    );
    assert_eq!(z[2].present_pages, 1 << 19);
    assert_eq!(
        (z[3].spanned_pages, z[3].present_pages, z[3].managed()),
        (0, 0, 0)
    );
    // managed = present - reserved; here only mem_map (6 GiB of PFNs × 64 B) is reserved.
    let mem_map_pages = ((6 * GIB) >> PAGE_SHIFT) * 64 / PAGE_SIZE;
    let managed: u64 = z.iter().map(Zone::managed).sum();
    let present: u64 = z.iter().map(|z| z.present_pages).sum();
    assert_eq!(managed, present - mem_map_pages);
    assert_eq!(nr_free(&pgdat), managed);
    // Top-down memblock puts mem_map at the end of Normal.
    assert_eq!(z[2].managed(), z[2].present_pages - mem_map_pages);
}

#[test]
fn small_machine_has_no_normal_zone() {
    let (pgdat, _) = node(&[(0x1000, 128 * MIB - 0x1000)], &[]);
    let z = &pgdat.node_zones;
    assert!(z[0].populated() && z[1].populated());
    assert!(!z[2].populated());
    assert_eq!(z[1].zone_end_pfn(), (128 * MIB) >> PAGE_SHIFT);
}

#[test]
fn watermarks_follow_linux_formula_for_1g() {
    // RAM 4 KiB..1 GiB; mem_map = 262144 PFNs × 64 B = 4096 pages at the top.
    let (pgdat, _) = node(&[(0x1000, GIB - 0x1000)], &[]);
    let z = &pgdat.node_zones;
    let dma = 4095;
    let dma32 = (GIB >> PAGE_SHIFT) - 4096 - 4096;
    assert_eq!((z[0].managed(), z[1].managed()), (dma, dma32));
    // min_free_kbytes = int_sqrt(16 × lowmem KiB) = int_sqrt(16 × 4 × 258047).
    let lowmem_kb = (dma + dma32) * 4;
    assert_eq!(lowmem_kb, 1_032_188);
    assert_eq!(pgdat.min_free_kbytes.load(Relaxed), 4063); // 4063² ≤ 16515008 < 4064²
    // pages_min = 4063/4 = 1015, split by size.
    assert_eq!(z[0].min_wmark_pages(), 1015 * dma / (dma + dma32)); // 16
    assert_eq!(z[1].min_wmark_pages(), 1015 * dma32 / (dma + dma32)); // 998
    assert_eq!(z[0].min_wmark_pages(), 16);
    assert_eq!(z[1].min_wmark_pages(), 998);
    // step = max(min/4, managed/1000): DMA 4, DMA32 max(249, 253) = 253.
    assert_eq!((z[0].low_wmark_pages(), z[0].high_wmark_pages()), (20, 24));
    assert_eq!(
        (z[1].low_wmark_pages(), z[1].high_wmark_pages()),
        (998 + 253, 998 + 506)
    );
    // Empty Movable keeps the 32-page floor and no step.
    assert_eq!((z[3].min_wmark_pages(), z[3].high_wmark_pages()), (32, 32));
    // lowmem_reserve: DMA protects dma32/256 from DMA32 and Normal users.
    assert_eq!(z[0].lowmem_reserve(1), dma32 / 256);
    assert_eq!(z[0].lowmem_reserve(3), dma32 / 256);
    assert_eq!(z[1].lowmem_reserve(2), 0);
    assert_eq!(z[0].lowmem_reserve(0), 0);
    // totalreserve = Σ min(high + max reserve, managed).
    assert_eq!(
        pgdat.totalreserve_pages.load(Relaxed),
        (24 + dma32 / 256) + (998 + 506)
    );
}

#[test]
fn min_free_kbytes_is_clamped() {
    let (small, _) = node(&[(0x1000, 128 << 10)], &[]);
    assert_eq!(small.min_free_kbytes.load(Relaxed), 128);
    assert_eq!(int_sqrt(16 * 4 * 1024 * 1024 * 1024), 262_144);
    assert_eq!(int_sqrt(99), 9);
    assert_eq!(int_sqrt(100), 10);
}

#[test]
fn zone_fallback_and_gfp_zone_limits() {
    let (pgdat, _) = node(Q35_5G, &[]);
    let zone_of = |p: &Page| pgdat.page_zone(p).zone_type;
    let p = __alloc_pages(&pgdat, Gfp::GFP_KERNEL, 0).unwrap();
    assert_eq!(zone_of(p), ZoneType::Normal);
    let d = __alloc_pages(&pgdat, Gfp::GFP_DMA, 3).unwrap();
    assert_eq!(zone_of(d), ZoneType::Dma);
    let d32 = __alloc_pages(&pgdat, Gfp::GFP_KERNEL | Gfp::GFP_DMA32, 0).unwrap();
    assert_eq!(zone_of(d32), ZoneType::Dma32);
    for (page, order) in [(p, 0), (d, 3), (d32, 0)] {
        __free_pages(&pgdat, page, order);
    }
    assert!(vm_event(VmEventItem::PgallocDma) >= 8);
}

#[test]
fn exhaustion_stops_at_min_plus_lowmem_reserve() {
    let (pgdat, _) = node(&[(0x1000, 64 * MIB - 0x1000)], &[]);
    let before = free_blocks(&pgdat);
    let mut got = Vec::new();
    while let Some(p) = __alloc_pages(&pgdat, Gfp::GFP_KERNEL | Gfp::__GFP_NOWARN, 0) {
        got.push(p);
    }
    let hz = ZoneType::Normal as usize;
    for zone in &pgdat.node_zones[..2] {
        let floor = zone.min_wmark_pages() + zone.lowmem_reserve(hz);
        assert_eq!(
            zone.page_state(ZoneStatItem::NrFreePages),
            floor.min(zone.managed())
        );
    }
    // GFP_ATOMIC may go below min: to min - min/2 - (min - min/2)/4.
    let mut atomic = Vec::new();
    while let Some(p) = __alloc_pages(&pgdat, Gfp::GFP_ATOMIC | Gfp::__GFP_NOWARN, 0) {
        atomic.push(p);
    }
    let z = &pgdat.node_zones[1];
    let min = z.min_wmark_pages();
    let atomic_min = min - min / 2 - (min - min / 2) / 4;
    assert_eq!(
        z.page_state(ZoneStatItem::NrFreePages),
        atomic_min + z.lowmem_reserve(hz)
    );
    for p in got.into_iter().chain(atomic) {
        __free_pages(&pgdat, p, 0);
    }
    assert_eq!(free_blocks(&pgdat), before);
}

#[test]
fn gfp_zero_clears_every_frame_of_the_block() {
    static PHYS: RecordingPhys = RecordingPhys(Mutex::new(Vec::new()));
    let (pgdat, _) = node_with(&[(0x1000, 32 * MIB)], &[], &PHYS);
    let p = __alloc_pages(&pgdat, Gfp::GFP_KERNEL | Gfp::__GFP_ZERO, 2).unwrap();
    let pfn = pgdat.page_to_pfn(p);
    assert_eq!(*PHYS.0.lock().unwrap(), [pfn, pfn + 1, pfn + 2, pfn + 3]);
    let q = __alloc_pages(&pgdat, Gfp::GFP_KERNEL, 0).unwrap();
    assert_eq!(
        PHYS.0.lock().unwrap().len(),
        4,
        "no __GFP_ZERO, no clearing"
    );
    __free_pages(&pgdat, q, 0);
    __free_pages(&pgdat, p, 2);
}

#[test]
fn refcount_keeps_page_until_last_put_and_double_free_is_refused() {
    let (pgdat, _) = node(&[(0x1000, 32 * MIB)], &[]);
    let free0 = nr_free(&pgdat);
    let p = __alloc_pages(&pgdat, Gfp::GFP_KERNEL, 1).unwrap();
    assert_eq!(p.refcount(), 1);
    p.get();
    __free_pages(&pgdat, p, 1);
    assert_eq!(nr_free(&pgdat), free0 - 2);
    __free_pages(&pgdat, p, 1);
    assert_eq!(nr_free(&pgdat), free0);
    // A second free finds no reference and changes nothing.
    __free_pages(&pgdat, p, 1);
    assert_eq!(nr_free(&pgdat), free0);
}

#[test]
fn order_above_max_fails() {
    let (pgdat, _) = node(&[(0x1000, 64 * MIB)], &[]);
    assert!(
        __alloc_pages(
            &pgdat,
            Gfp::GFP_KERNEL | Gfp::__GFP_NOWARN,
            MAX_PAGE_ORDER + 1
        )
        .is_none()
    );
    let big = __alloc_pages(&pgdat, Gfp::GFP_KERNEL, MAX_PAGE_ORDER).unwrap();
    assert_eq!(
        pgdat.page_to_pfn(big) % (1 << MAX_PAGE_ORDER),
        0,
        "blocks are naturally aligned"
    );
    __free_pages(&pgdat, big, MAX_PAGE_ORDER);
}

#[derive(Clone, Debug)]
enum Op {
    Alloc { order: usize, zone: u8 },
    Free(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..=MAX_PAGE_ORDER, 0u8..3).prop_map(|(order, zone)| Op::Alloc { order, zone }),
        2 => any::<usize>().prop_map(Op::Free),
    ]
}

/// RAM with holes and reserved ranges across DMA and DMA32 (24 MiB).
/// (RAM ranges, reserved ranges), each as (base, size).
type Ranges = Vec<(u64, u64)>;

fn map() -> impl Strategy<Value = (Ranges, Ranges)> {
    let page = |lo: u64, hi: u64| (lo..hi).prop_map(|p| p << PAGE_SHIFT);
    (
        page(1, 200),
        page(200, 3000),
        // The top region stays large enough for mem_map (96 pages).
        page(3000, 5000),
        proptest::collection::vec((page(0, 6144), 1u64..40), 0..6),
    )
        .prop_map(|(a, hole_start, hole_end, res)| {
            let ram = vec![
                (a, hole_start - a),
                (hole_end, (6144 << PAGE_SHIFT) - hole_end),
            ];
            let reserved = res.into_iter().map(|(b, n)| (b, n << PAGE_SHIFT)).collect();
            (ram, reserved)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Random alloc/free sequences never hand out a frame twice or a frame
    /// that is reserved or a hole, and after everything is freed the free
    /// lists are exactly what boot left.
    #[test]
    fn buddy_never_double_allocates_and_coalesces_back((ram, reserved) in map(), ops in proptest::collection::vec(op(), 1..300)) {
        let (pgdat, mb) = node(&ram, &reserved);
        let initial = free_blocks(&pgdat);
        let initial_free = nr_free(&pgdat);
        let mut held: Vec<(&Page, usize)> = Vec::new();
        let mut owner: BTreeMap<u64, usize> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Alloc { order, zone } => {
                    let gfp = [Gfp::GFP_DMA, Gfp::GFP_DMA32, Gfp::GFP_KERNEL][zone as usize] | Gfp::__GFP_NOWARN;
                    if let Some(p) = __alloc_pages(&pgdat, gfp, order) {
                        let pfn = pgdat.page_to_pfn(p);
                        prop_assert_eq!(pfn % (1 << order), 0);
                        prop_assert!(pgdat.page_zone(p).zone_type <= gfp_zone(gfp));
                        for f in pfn..pfn + (1 << order) {
                            prop_assert!(is_free_ram(&mb, f), "pfn {:#x} is reserved or a hole", f);
                            prop_assert!(owner.insert(f, held.len()).is_none(), "pfn {:#x} handed out twice", f);
                            prop_assert_eq!(pgdat.pfn_to_page(f).zonenum(), p.zonenum());
                        }
                        held.push((p, order));
                    }
                }
                Op::Free(i) if !held.is_empty() => {
                    let (p, order) = held.swap_remove(i % held.len());
                    let pfn = pgdat.page_to_pfn(p);
                    __free_pages(&pgdat, p, order);
                    owner.retain(|&f, _| f < pfn || f >= pfn + (1 << order));
                }
                Op::Free(_) => {}
            }
            let held_pages: u64 = held.iter().map(|&(_, o)| 1u64 << o).sum();
            prop_assert_eq!(nr_free(&pgdat) + held_pages, initial_free);
        }
        for (p, order) in held {
            __free_pages(&pgdat, p, order);
        }
        prop_assert_eq!(free_blocks(&pgdat), initial);
        prop_assert_eq!(nr_free(&pgdat), initial_free);
    }
}
