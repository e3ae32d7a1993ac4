//! The buddy allocator and zone watermarks (mm/page_alloc.c).
//!
//! `__alloc_pages` → `get_page_from_freelist` → `rmqueue` →
//! `__rmqueue_smallest` → `expand` on the way out; `__free_pages` →
//! `__free_pages_ok` → `__free_one_page` (merging with free buddies) on the
//! way back. Zones are tried in Linux's fallback order (Normal, DMA32, DMA)
//! up to the highest zone the GFP mask allows, each checked against its
//! watermark plus the lowmem reserve.
//!
//! Left out for now: per-CPU page lists (every order goes straight to the
//! buddy lists), migrate types, compaction, and the reclaim/OOM part of the
//! slow path — without reclaim a failed slow path warns and returns None.

use core::sync::atomic::Ordering::Relaxed;

use super::gfp::{Gfp, gfp_zone};
use super::mmzone::{
    MAX_NR_ZONES, MAX_PAGE_ORDER, NR_PAGE_ORDERS, PglistData, Zone, ZoneFree, ZoneStatItem,
    ZoneType, ZoneWatermark, node_data,
};
use super::page::{PAGE_MAPPING_ANON, PAGE_SHIFT, Page, PageFlags};
use super::vmstat::{VmEventItem, count_vm_events};

/// `alloc_flags` (mm/internal.h); the low bits select the watermark.
pub const ALLOC_WMARK_MIN: u32 = ZoneWatermark::Min as u32;
pub const ALLOC_WMARK_LOW: u32 = ZoneWatermark::Low as u32;
pub const ALLOC_WMARK_HIGH: u32 = ZoneWatermark::High as u32;
const ALLOC_WMARK_MASK: u32 = ALLOC_NO_WATERMARKS - 1;
pub const ALLOC_NO_WATERMARKS: u32 = 0x04;
pub const ALLOC_OOM: u32 = 0x08;
pub const ALLOC_NON_BLOCK: u32 = 0x10;
/// Must equal `__GFP_HIGH`, as in Linux.
pub const ALLOC_MIN_RESERVE: u32 = 0x20;
pub const ALLOC_CPUSET: u32 = 0x40;
pub const ALLOC_HIGHATOMIC: u32 = 0x200;
/// Must equal `__GFP_KSWAPD_RECLAIM`, as in Linux.
pub const ALLOC_KSWAPD: u32 = 0x800;
const ALLOC_RESERVES: u32 = ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM;

const _: () = assert!(ALLOC_MIN_RESERVE == Gfp::__GFP_HIGH.bits());
const _: () = assert!(ALLOC_KSWAPD == Gfp::__GFP_KSWAPD_RECLAIM.bits());

/// `sysctl_lowmem_reserve_ratio[]`: DMA 256, DMA32 256, Normal 32.
pub const LOWMEM_RESERVE_RATIO: [u64; MAX_NR_ZONES] = [256, 256, 32, 0];
/// `watermark_scale_factor` default: 0.1% of a zone.
pub const WATERMARK_SCALE_FACTOR: u64 = 10;

/// `struct alloc_context`, reduced to what one node needs.
struct AllocContext {
    highest_zoneidx: usize,
}

/// The zones an allocation may use, in fallback order (`for_next_zone_zonelist_nodemask`).
fn zonelist(pgdat: &PglistData, highest_zoneidx: usize) -> impl Iterator<Item = &Zone> {
    pgdat.node_zones[..=highest_zoneidx]
        .iter()
        .rev()
        .filter(|z| z.managed() != 0)
}

/// `__zone_watermark_ok()`: would the zone still hold `mark` pages (plus
/// the reserve kept from allocations that could use a higher zone) after
/// this allocation, and is a free block of the order there?
pub fn __zone_watermark_ok(
    z: &Zone,
    order: usize,
    mark: u64,
    highest_zoneidx: usize,
    alloc_flags: u32,
    free_pages: i64,
    free: &ZoneFree,
) -> bool {
    let mut min = mark as i64;
    // `__zone_watermark_unusable_free()`: a block of 2^order must leave
    // the rest above the mark.
    let free_pages = free_pages - ((1i64 << order) - 1);

    if alloc_flags & ALLOC_RESERVES != 0 {
        // __GFP_HIGH may dip into half of the min reserve...
        if alloc_flags & ALLOC_MIN_RESERVE != 0 {
            min -= min / 2;
            // ...and non-blocking ones (GFP_ATOMIC) a quarter more.
            if alloc_flags & ALLOC_NON_BLOCK != 0 {
                min -= min / 4;
            }
        }
        if alloc_flags & ALLOC_OOM != 0 {
            min -= min / 2;
        }
    }

    if free_pages <= min + z.lowmem_reserve(highest_zoneidx) as i64 {
        return false;
    }
    if order == 0 {
        return true;
    }
    free.free_area[order..].iter().any(|area| area.len != 0)
}

/// `zone_watermark_ok()`.
#[inline(never)]
pub fn zone_watermark_ok(
    z: &Zone,
    order: usize,
    mark: u64,
    highest_zoneidx: usize,
    alloc_flags: u32,
) -> bool {
    let free = z.lock.lock_irqsave();
    __zone_watermark_ok(
        z,
        order,
        mark,
        highest_zoneidx,
        alloc_flags,
        z.page_state(ZoneStatItem::NrFreePages) as i64,
        &free,
    )
}

/// `__alloc_pages()`: the heart of the buddy allocator. Returns the first
/// page of a block of 2^order pages with a reference count of one.
#[inline(never)]
pub fn __alloc_pages(pgdat: &PglistData, gfp: Gfp, order: usize) -> Option<&'static Page> {
    if order > MAX_PAGE_ORDER {
        if !gfp.contains(Gfp::__GFP_NOWARN) {
            log::warn!("__alloc_pages: order {order} is above MAX_PAGE_ORDER");
        }
        return None;
    }
    let ac = AllocContext {
        highest_zoneidx: gfp_zone(gfp) as usize,
    };
    // The fast path wants the low watermark to hold.
    get_page_from_freelist(pgdat, gfp, order, ALLOC_WMARK_LOW, &ac)
        .or_else(|| __alloc_pages_slowpath(pgdat, gfp, order, &ac))
}

/// `alloc_pages()`: allocate 2^order pages on the local (only) node.
#[inline(never)]
pub fn alloc_pages(gfp: Gfp, order: usize) -> Option<&'static Page> {
    __alloc_pages(node_data(0), gfp, order)
}

/// Free a block from `alloc_pages()` (Linux's `__free_pages(page, order)`;
/// here the node comes first because pages carry no node number).
pub fn free_pages(page: &Page, order: usize) {
    __free_pages(node_data(0), page, order)
}

/// `gfp_to_alloc_flags()`.
fn gfp_to_alloc_flags(gfp: Gfp, order: usize) -> u32 {
    let mut alloc_flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;
    alloc_flags |= gfp.bits() & (Gfp::__GFP_HIGH | Gfp::__GFP_KSWAPD_RECLAIM).bits();
    if !gfp.contains(Gfp::__GFP_DIRECT_RECLAIM) {
        if !gfp.contains(Gfp::__GFP_NOMEMALLOC) {
            alloc_flags |= ALLOC_NON_BLOCK;
            if order > 0 {
                alloc_flags |= ALLOC_HIGHATOMIC;
            }
        }
        if alloc_flags & ALLOC_MIN_RESERVE != 0 {
            alloc_flags &= !ALLOC_CPUSET;
        }
    }
    alloc_flags
}

/// `MAX_RECLAIM_RETRIES`: reclaim rounds without progress before giving up.
const MAX_RECLAIM_RETRIES: u32 = 16;

/// `__alloc_pages_slowpath()`: retry down to the min watermark, then, if
/// the caller may block, reclaim and retry until reclaim stops making
/// progress. Compaction and the OOM killer are not there yet.
#[inline(never)]
fn __alloc_pages_slowpath(
    pgdat: &PglistData,
    gfp: Gfp,
    order: usize,
    ac: &AllocContext,
) -> Option<&'static Page> {
    let alloc_flags = gfp_to_alloc_flags(gfp, order);
    if let Some(page) = get_page_from_freelist(pgdat, gfp, order, alloc_flags, ac) {
        return Some(page);
    }
    if gfp.contains(Gfp::__GFP_DIRECT_RECLAIM) {
        let mut no_progress_loops = 0;
        while no_progress_loops <= MAX_RECLAIM_RETRIES {
            // __alloc_pages_direct_reclaim()
            let progress = super::vmscan::try_to_free_pages(pgdat, gfp);
            if let Some(page) = get_page_from_freelist(pgdat, gfp, order, alloc_flags, ac) {
                return Some(page);
            }
            no_progress_loops = if progress > 0 {
                0
            } else {
                no_progress_loops + 1
            };
        }
    }
    if !gfp.contains(Gfp::__GFP_NOWARN) {
        warn_alloc(pgdat, gfp, order);
    }
    None
}

/// `warn_alloc()`.
fn warn_alloc(pgdat: &PglistData, gfp: Gfp, order: usize) {
    log::warn!(
        "page allocation failure: order:{order}, mode:{:#x}, free:{}",
        gfp.bits(),
        pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages)
    );
}

/// `get_page_from_freelist()`: the first zone in the zonelist whose
/// watermark allows the allocation hands out the block.
#[inline(never)]
fn get_page_from_freelist(
    pgdat: &PglistData,
    gfp: Gfp,
    order: usize,
    alloc_flags: u32,
    ac: &AllocContext,
) -> Option<&'static Page> {
    for zone in zonelist(pgdat, ac.highest_zoneidx) {
        let mark = zone.wmark_pages(match alloc_flags & ALLOC_WMARK_MASK {
            ALLOC_WMARK_MIN => ZoneWatermark::Min,
            ALLOC_WMARK_LOW => ZoneWatermark::Low,
            _ => ZoneWatermark::High,
        });
        if alloc_flags & ALLOC_NO_WATERMARKS == 0
            && !zone_watermark_ok(zone, order, mark, ac.highest_zoneidx, alloc_flags)
        {
            continue;
        }
        if let Some(page) = rmqueue(pgdat, zone, order) {
            prep_new_page(pgdat, page, order, gfp);
            return Some(page);
        }
    }
    None
}

/// `rmqueue()`: take a block from the zone's buddy lists.
#[inline(never)]
fn rmqueue(pgdat: &PglistData, zone: &Zone, order: usize) -> Option<&'static Page> {
    let page = {
        let mut free = zone.lock.lock_irqsave();
        __rmqueue_smallest(pgdat, zone, &mut free, order)?
    };
    count_vm_events(VmEventItem::pgalloc(zone.zone_type), 1 << order);
    Some(page)
}

/// `__rmqueue_smallest()`: the smallest free block of at least `order`,
/// split down to size.
#[inline(never)]
fn __rmqueue_smallest(
    pgdat: &PglistData,
    zone: &Zone,
    free: &mut ZoneFree,
    order: usize,
) -> Option<&'static Page> {
    let current_order = (order..NR_PAGE_ORDERS).find(|&o| free.free_area[o].len != 0)?;
    let pfn = free.free_area[current_order].head;
    del_page_from_free_list(pgdat, zone, free, pfn, current_order);
    expand(pgdat, zone, free, pfn, order, current_order);
    Some(pgdat.pfn_to_page(pfn))
}

/// `expand()`: give the upper halves of a split block back to the lists.
fn expand(pgdat: &PglistData, zone: &Zone, free: &mut ZoneFree, pfn: u64, low: usize, high: usize) {
    for order in (low..high).rev() {
        add_to_free_list(pgdat, zone, free, pfn + (1 << order), order, false);
    }
}

/// `post_alloc_hook()` / `prep_new_page()`.
fn prep_new_page(pgdat: &PglistData, page: &Page, order: usize, gfp: Gfp) {
    page.set_private(0);
    page.set_refcount(1);
    if gfp.contains(Gfp::__GFP_ZERO) {
        let pfn = pgdat.page_to_pfn(page);
        for i in 0..1u64 << order {
            pgdat.phys.clear_page(pfn + i);
        }
    }
}

fn add_to_free_list(
    pgdat: &PglistData,
    zone: &Zone,
    free: &mut ZoneFree,
    pfn: u64,
    order: usize,
    to_tail: bool,
) {
    free.free_area[order].add(&pgdat.mem_map, pfn, to_tail);
    let page = pgdat.pfn_to_page(pfn);
    page.set_private(order as u64);
    page.set(PageFlags::BUDDY);
    zone.mod_page_state(ZoneStatItem::NrFreePages, 1 << order);
}

fn del_page_from_free_list(
    pgdat: &PglistData,
    zone: &Zone,
    free: &mut ZoneFree,
    pfn: u64,
    order: usize,
) {
    free.free_area[order].del(&pgdat.mem_map, pfn);
    let page = pgdat.pfn_to_page(pfn);
    page.set_private(0);
    page.clear(PageFlags::BUDDY);
    zone.mod_page_state(ZoneStatItem::NrFreePages, -(1 << order));
}

/// `page_is_buddy()`: is `buddy` the free block of `order` that `page`
/// can merge with (same zone, on a free list at that order)?
fn page_is_buddy(zone: &Zone, buddy: &Page, buddy_pfn: u64, order: usize) -> bool {
    buddy.test(PageFlags::BUDDY)
        && buddy.private() == order as u64
        && buddy.zonenum() == zone.zone_type as usize
        && zone.zone_spans_pfn(buddy_pfn)
}

/// `__free_one_page()`: merge the freed block with its buddy for as long
/// as the buddy is free, then put the result on its order's list.
#[inline(never)]
fn __free_one_page(
    pgdat: &PglistData,
    zone: &Zone,
    free: &mut ZoneFree,
    mut pfn: u64,
    mut order: usize,
    to_tail: bool,
) {
    while order < MAX_PAGE_ORDER {
        let buddy_pfn = pfn ^ (1 << order);
        if buddy_pfn >= pgdat.mem_map.max_pfn() {
            break;
        }
        if !page_is_buddy(zone, pgdat.pfn_to_page(buddy_pfn), buddy_pfn, order) {
            break;
        }
        del_page_from_free_list(pgdat, zone, free, buddy_pfn, order);
        pfn &= buddy_pfn;
        order += 1;
    }
    add_to_free_list(pgdat, zone, free, pfn, order, to_tail);
}

/// Flags that must be clear when a page is freed (`PAGE_FLAGS_CHECK_AT_FREE`).
const PAGE_FLAGS_CHECK_AT_FREE: PageFlags = PageFlags::LOCKED
    .union(PageFlags::LRU)
    .union(PageFlags::ACTIVE)
    .union(PageFlags::PRIVATE)
    .union(PageFlags::WRITEBACK)
    .union(PageFlags::RESERVED)
    .union(PageFlags::UNEVICTABLE)
    .union(PageFlags::MLOCKED)
    .union(PageFlags::BUDDY);

/// `bad_page()`: report and keep the page out of the allocator.
fn bad_page(pgdat: &PglistData, page: &Page, reason: &str) {
    log::error!(
        "BUG: Bad page state: pfn:{:#x} refcount:{} mapcount:{} mapping:{:#x} flags:{:?} reason: {reason}",
        pgdat.page_to_pfn(page),
        page.refcount(),
        page.mapcount(),
        page.mapping.load(Relaxed),
        page.flags()
    );
}

/// `free_pages_prepare()`: check every page of the block is really unused;
/// a bad one is reported and the block is not freed.
fn free_pages_prepare(pgdat: &PglistData, page: &Page, order: usize) -> bool {
    let pfn = pgdat.page_to_pfn(page);
    for i in 0..1u64 << order {
        let p = pgdat.pfn_to_page(pfn + i);
        // An anonymous page's mapping only says whose it was.
        if p.mapping.load(Relaxed) & PAGE_MAPPING_ANON != 0 {
            p.mapping.store(0, Relaxed);
        }
        let reason = if p.mapcount() != 0 {
            Some("nonzero mapcount")
        } else if p.mapping.load(Relaxed) != 0 {
            Some("non-NULL mapping")
        } else if p.refcount() != 0 {
            Some("nonzero _refcount")
        } else if p.flags().intersects(PAGE_FLAGS_CHECK_AT_FREE) {
            Some("PAGE_FLAGS_CHECK_AT_FREE flag(s) set")
        } else {
            None
        };
        if let Some(reason) = reason {
            bad_page(pgdat, p, reason);
            return false;
        }
        // The remaining per-use flags (referenced, dirty, ...) end here.
        p.clear(PageFlags::all());
        p.memcg_data.store(0, Relaxed);
    }
    true
}

/// `__free_pages_ok()`.
#[inline(never)]
fn __free_pages_ok(pgdat: &PglistData, page: &Page, order: usize, to_tail: bool) {
    if !free_pages_prepare(pgdat, page, order) {
        return;
    }
    let zone = pgdat.page_zone(page);
    {
        let mut free = zone.lock.lock_irqsave();
        __free_one_page(
            pgdat,
            zone,
            &mut free,
            pgdat.page_to_pfn(page),
            order,
            to_tail,
        );
    }
    count_vm_events(VmEventItem::Pgfree, 1 << order);
}

/// `__free_pages()`: drop a reference; the last one frees the block.
#[inline(never)]
pub fn __free_pages(pgdat: &PglistData, page: &Page, order: usize) {
    match page.put_testzero() {
        Some(true) => {
            super::swap::__page_cache_release(pgdat, page);
            super::memcontrol::mem_cgroup_uncharge(page);
            __free_pages_ok(pgdat, page, order, false)
        }
        Some(false) => {}
        None => bad_page(pgdat, page, "free of a page with no references"),
    }
}

/// `__free_pages_core()`: memblock hands a block of boot memory to the
/// buddy allocator, and it becomes managed by its zone.
pub fn __free_pages_core(pgdat: &PglistData, page: &Page, order: usize) {
    let pfn = pgdat.page_to_pfn(page);
    for i in 0..1u64 << order {
        let p = pgdat.pfn_to_page(pfn + i);
        p.clear(PageFlags::RESERVED);
        p.set_refcount(0);
    }
    pgdat
        .page_zone(page)
        .managed_pages
        .fetch_add(1 << order, Relaxed);
    // Boot memory goes to the tail so that allocations start low, as in Linux.
    __free_pages_ok(pgdat, page, order, true);
}

/// `int_sqrt()`: Linux's bit-by-bit integer square root.
pub(crate) fn int_sqrt(mut x: u64) -> u64 {
    if x <= 1 {
        return x;
    }
    let mut m = 1u64 << ((63 - x.leading_zeros()) & !1);
    let mut y = 0;
    while m != 0 {
        let b = y + m;
        y >>= 1;
        if x >= b {
            x -= b;
            y += m;
        }
        m >>= 2;
    }
    y
}

/// `nr_free_zone_pages(gfp_zone(GFP_USER))`: managed pages above the high
/// watermark in the zones a user allocation may use.
fn nr_free_buffer_pages(pgdat: &PglistData) -> u64 {
    zonelist(pgdat, gfp_zone(Gfp::GFP_USER) as usize)
        .map(|z| z.managed().saturating_sub(z.high_wmark_pages()))
        .sum()
}

/// `calculate_min_free_kbytes()`: sqrt(16 × lowmem KiB), within [128 KiB, 256 MiB].
pub fn calculate_min_free_kbytes(pgdat: &PglistData) -> u64 {
    let lowmem_kbytes = nr_free_buffer_pages(pgdat) * (1 << (PAGE_SHIFT - 10));
    int_sqrt(lowmem_kbytes * 16).clamp(128, 262_144)
}

/// `__setup_per_zone_wmarks()`: min split over lowmem zones by size; low
/// and high each a step above it, the step being the larger of min/4 and
/// `watermark_scale_factor` ten-thousandths of the zone.
fn __setup_per_zone_wmarks(pgdat: &PglistData) {
    let pages_min = pgdat.min_free_kbytes.load(Relaxed) >> (PAGE_SHIFT - 10);
    let lowmem_pages: u64 = pgdat
        .node_zones
        .iter()
        .filter(|z| z.zone_type != ZoneType::Movable)
        .map(Zone::managed)
        .sum();
    for zone in &pgdat.node_zones {
        let managed = zone.managed();
        let share = (pages_min * managed).checked_div(lowmem_pages).unwrap_or(0);
        let min = if zone.zone_type == ZoneType::Movable {
            // Highmem-like zones keep a small fixed reserve, `managed/1024`
            // in [32, 128]; their step still comes from the share.
            (managed / 1024).clamp(32, 128)
        } else {
            share
        };
        let step = (share >> 2).max(managed * WATERMARK_SCALE_FACTOR / 10_000);
        zone.watermark_boost.store(0, Relaxed);
        zone._watermark[ZoneWatermark::Min as usize].store(min, Relaxed);
        zone._watermark[ZoneWatermark::Low as usize].store(min + step, Relaxed);
        zone._watermark[ZoneWatermark::High as usize].store(min + 2 * step, Relaxed);
        zone._watermark[ZoneWatermark::Promo as usize].store(min + 3 * step, Relaxed);
    }
}

/// `setup_per_zone_lowmem_reserve()`: a lower zone keeps back a share of
/// the pages of the zones above it from allocations that could use those.
fn setup_per_zone_lowmem_reserve(pgdat: &PglistData) {
    for i in 0..MAX_NR_ZONES - 1 {
        let zone = &pgdat.node_zones[i];
        let ratio = LOWMEM_RESERVE_RATIO[i];
        let clear = ratio == 0 || zone.managed() == 0;
        let mut managed_pages = 0;
        for j in i + 1..MAX_NR_ZONES {
            managed_pages += pgdat.node_zones[j].managed();
            let reserve = if clear { 0 } else { managed_pages / ratio };
            zone.lowmem_reserve[j].store(reserve, Relaxed);
        }
    }
}

/// `calculate_totalreserve_pages()`.
fn calculate_totalreserve_pages(pgdat: &PglistData) {
    let total = pgdat
        .node_zones
        .iter()
        .enumerate()
        .map(|(i, zone)| {
            let max = (i..MAX_NR_ZONES)
                .map(|j| zone.lowmem_reserve(j))
                .max()
                .unwrap_or(0);
            (max + zone.high_wmark_pages()).min(zone.managed())
        })
        .sum();
    pgdat.totalreserve_pages.store(total, Relaxed);
}

/// `setup_per_zone_wmarks()` and the reserves that depend on them; runs at
/// boot and whenever `min_free_kbytes` changes.
pub fn setup_per_zone_wmarks(pgdat: &PglistData) {
    __setup_per_zone_wmarks(pgdat);
    calculate_totalreserve_pages(pgdat);
}

/// `init_per_zone_wmark_min()`: the boot-time watermark setup.
pub fn init_per_zone_wmark_min(pgdat: &PglistData) {
    pgdat
        .min_free_kbytes
        .store(calculate_min_free_kbytes(pgdat), Relaxed);
    setup_per_zone_wmarks(pgdat);
    setup_per_zone_lowmem_reserve(pgdat);
    calculate_totalreserve_pages(pgdat);
}

#[cfg(test)]
mod tests;
