//! Building the node, its zones and `mem_map` from memblock, then handing
//! free memory to the buddy allocator (mm/mm_init.c).
//!
//! Zone limits are x86_64's (`zone_sizes_init()`): DMA below 16 MiB, DMA32
//! below 4 GiB, Normal above; Movable stays empty. A zone spans from its
//! first to its last PFN inside the node; `present` counts the RAM in that
//! span (holes excluded), `managed` what memblock freed to the buddy
//! allocator (present minus what was reserved at boot).

use core::sync::atomic::{AtomicI64, AtomicU64};

use super::PhysOps;
use super::memblock::Memblock;
use super::mmzone::MAX_PAGE_ORDER;
use super::mmzone::{MAX_NR_ZONES, PglistData, Zone, ZoneType};
use super::page::{MemMap, PAGE_SHIFT, PAGE_SIZE, Page};
use super::page_alloc::{__free_pages_core, init_per_zone_wmark_min};

pub const MAX_DMA_PFN: u64 = (16 << 20) >> PAGE_SHIFT;
pub const MAX_DMA32_PFN: u64 = (4 << 30) >> PAGE_SHIFT;

fn pfn_up(addr: u64) -> u64 {
    addr.div_ceil(PAGE_SIZE)
}

fn pfn_down(addr: u64) -> u64 {
    addr >> PAGE_SHIFT
}

/// `zone_sizes_init()`: the highest PFN (exclusive) of each zone.
fn max_zone_pfns(max_pfn: u64) -> [u64; MAX_NR_ZONES] {
    [
        MAX_DMA_PFN.min(max_pfn),
        MAX_DMA32_PFN.min(max_pfn),
        max_pfn,
        0, // ZONE_MOVABLE has no range without kernelcore=/movablecore=
    ]
}

/// `zone_spanned_pages_in_node()`: (start, spanned) of each zone.
fn zone_spans(node_start: u64, node_end: u64) -> [(u64, u64); MAX_NR_ZONES] {
    let limits = max_zone_pfns(node_end);
    let mut spans = [(0, 0); MAX_NR_ZONES];
    let mut low = node_start;
    for (i, span) in spans.iter_mut().enumerate() {
        if ZoneType::ALL[i] == ZoneType::Movable {
            continue;
        }
        let high = limits[i].max(low);
        let start = node_start.clamp(low, high);
        let end = node_end.clamp(low, high);
        *span = if end > start {
            (start, end - start)
        } else {
            (0, 0)
        };
        low = high;
    }
    spans
}

/// RAM pages in [start, end) (`zone_spanned - zone_absent_pages_in_node`).
fn present_pages_in_range(memblock: &Memblock, start: u64, end: u64) -> u64 {
    memblock
        .memory
        .regions()
        .iter()
        .map(|r| {
            let (s, e) = (pfn_up(r.base).max(start), pfn_down(r.end()).min(end));
            e.saturating_sub(s)
        })
        .sum()
}

#[derive(Debug, PartialEq, Eq)]
pub enum MmInitError {
    NoMemory,
    MemMapAlloc,
}

/// `free_area_init()`: size the node and its zones from memblock, allocate
/// `mem_map` (one `struct page` per PFN up to `max_pfn`) from memblock and
/// mark every entry reserved. `make_mem_map` builds the array at the
/// physical address memblock chose (hardware-specific).
pub fn free_area_init(
    memblock: &mut Memblock,
    phys: &'static dyn PhysOps,
    make_mem_map: impl FnOnce(u64, u64, &dyn Fn(u64) -> usize) -> MemMap,
) -> Result<PglistData, MmInitError> {
    let first = memblock
        .memory
        .regions()
        .first()
        .ok_or(MmInitError::NoMemory)?;
    let node_start = pfn_up(first.base);
    let max_pfn = pfn_down(memblock.end_of_dram());
    let spans = zone_spans(node_start, max_pfn);

    let mem_map_bytes = max_pfn * core::mem::size_of::<Page>() as u64;
    let mem_map_phys = memblock
        .phys_alloc(mem_map_bytes.next_multiple_of(PAGE_SIZE), PAGE_SIZE)
        .ok_or(MmInitError::MemMapAlloc)?;
    let zone_of = |pfn: u64| {
        spans
            .iter()
            .position(|&(start, spanned)| pfn >= start && pfn < start + spanned)
            .unwrap_or(0)
    };
    let mem_map = make_mem_map(mem_map_phys, max_pfn, &zone_of);

    let node_zones = core::array::from_fn(|i| {
        let (start, spanned) = spans[i];
        let present = present_pages_in_range(memblock, start, start + spanned);
        Zone::new(ZoneType::ALL[i], start, spanned, present)
    });
    Ok(PglistData {
        node_id: 0,
        node_zones,
        node_start_pfn: node_start,
        node_spanned_pages: max_pfn - node_start,
        node_present_pages: present_pages_in_range(memblock, node_start, max_pfn),
        mem_map,
        vm_stat: core::array::from_fn(|_| AtomicI64::new(0)),
        totalreserve_pages: AtomicU64::new(0),
        min_free_kbytes: AtomicU64::new(0),
        phys,
        lruvec: Default::default(),
    })
}

/// `__free_pages_memory()`: free [start, end) in the largest naturally
/// aligned blocks it holds.
fn __free_pages_memory(pgdat: &PglistData, mut start: u64, end: u64) {
    while start < end {
        let mut order = (MAX_PAGE_ORDER as u32).min(start.trailing_zeros()) as usize;
        while start + (1 << order) > end {
            order -= 1;
        }
        __free_pages_core(pgdat, pgdat.pfn_to_page(start), order);
        start += 1 << order;
    }
}

/// `memblock_free_all()`: every page of RAM that is not reserved goes to
/// the buddy allocator. Returns the number of pages freed.
pub fn memblock_free_all(pgdat: &PglistData, memblock: &Memblock) -> u64 {
    let mut freed = 0;
    memblock.for_each_free_range(|start, end| {
        let (s, e) = (pfn_up(start), pfn_down(end));
        if s < e {
            __free_pages_memory(pgdat, s, e);
            freed += e - s;
        }
    });
    freed
}

/// From memblock to a working page allocator with watermarks: the parts of
/// Linux's `free_area_init()`, `mem_init()` and `init_per_zone_wmark_min()`
/// that tinymm has.
pub fn mm_init(
    memblock: &mut Memblock,
    phys: &'static dyn PhysOps,
    make_mem_map: impl FnOnce(u64, u64, &dyn Fn(u64) -> usize) -> MemMap,
) -> Result<PglistData, MmInitError> {
    let pgdat = free_area_init(memblock, phys, make_mem_map)?;
    memblock_free_all(&pgdat, memblock);
    init_per_zone_wmark_min(&pgdat);
    Ok(pgdat)
}
