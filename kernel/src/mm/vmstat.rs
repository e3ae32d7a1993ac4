//! VM statistics and their procfs views (mm/vmstat.c): the event counters
//! behind `/proc/vmstat`, and `/proc/zoneinfo`, `/proc/buddyinfo`.
//!
//! Counters are global atomics; Linux folds per-CPU deltas into the same
//! totals. Only counters that tinymm keeps are shown.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::mmzone::{MAX_PAGE_ORDER, NodeStatItem, PglistData, ZoneStatItem, ZoneType, stat_items};

stat_items! {
    /// `enum vm_event_item`, the subset tinymm counts.
    VmEventItem, NR_VM_EVENT_ITEMS {
        PgallocDma = "pgalloc_dma",
        PgallocDma32 = "pgalloc_dma32",
        PgallocNormal = "pgalloc_normal",
        PgallocMovable = "pgalloc_movable",
        AllocstallDma = "allocstall_dma",
        AllocstallDma32 = "allocstall_dma32",
        AllocstallNormal = "allocstall_normal",
        AllocstallMovable = "allocstall_movable",
        Pgfree = "pgfree",
        Pgactivate = "pgactivate",
        Pgdeactivate = "pgdeactivate",
        Pgfault = "pgfault",
        Pgmajfault = "pgmajfault",
        Pgrefill = "pgrefill",
        PgstealKswapd = "pgsteal_kswapd",
        PgstealDirect = "pgsteal_direct",
        PgscanKswapd = "pgscan_kswapd",
        PgscanDirect = "pgscan_direct",
        PgscanAnon = "pgscan_anon",
        PgscanFile = "pgscan_file",
        PgstealAnon = "pgsteal_anon",
        PgstealFile = "pgsteal_file",
        Pswpin = "pswpin",
        Pswpout = "pswpout",
        Pglazyfree = "pglazyfree",
        Pglazyfreed = "pglazyfreed",
        Pgrotated = "pgrotated",
        OomKill = "oom_kill",
        SwapRa = "swap_ra",
        SwapRaHit = "swap_ra_hit",
    }
}

impl VmEventItem {
    /// `ALLOCSTALL` for the highest zone of a stalled allocation.
    pub fn allocstall(zone: ZoneType) -> Self {
        match zone {
            ZoneType::Dma => VmEventItem::AllocstallDma,
            ZoneType::Dma32 => VmEventItem::AllocstallDma32,
            ZoneType::Normal => VmEventItem::AllocstallNormal,
            ZoneType::Movable => VmEventItem::AllocstallMovable,
        }
    }

    /// `PGALLOC` for a zone (`__count_zid_vm_events(PGALLOC, zid, n)`).
    pub fn pgalloc(zone: ZoneType) -> Self {
        match zone {
            ZoneType::Dma => VmEventItem::PgallocDma,
            ZoneType::Dma32 => VmEventItem::PgallocDma32,
            ZoneType::Normal => VmEventItem::PgallocNormal,
            ZoneType::Movable => VmEventItem::PgallocMovable,
        }
    }
}

static VM_EVENTS: [AtomicU64; NR_VM_EVENT_ITEMS] = [const { AtomicU64::new(0) }; NR_VM_EVENT_ITEMS];

/// `count_vm_events()`.
pub fn count_vm_events(item: VmEventItem, delta: u64) {
    VM_EVENTS[item as usize].fetch_add(delta, Relaxed);
}

/// The event's total since boot.
pub fn vm_event(item: VmEventItem) -> u64 {
    VM_EVENTS[item as usize].load(Relaxed)
}

/// `is_zone_first_populated()`.
fn is_zone_first_populated(pgdat: &PglistData, zone_type: ZoneType) -> bool {
    pgdat
        .node_zones
        .iter()
        .find(|z| z.populated())
        .map(|z| z.zone_type)
        == Some(zone_type)
}

/// `/proc/zoneinfo` (`zoneinfo_show_print()` for every zone, populated or not).
pub fn zoneinfo_show(pgdat: &PglistData, m: &mut impl Write) -> fmt::Result {
    for zone in &pgdat.node_zones {
        write!(m, "Node {}, zone {:>8}", pgdat.node_id, zone.name())?;
        if is_zone_first_populated(pgdat, zone.zone_type) {
            write!(m, "\n  per-node stats")?;
            for item in NodeStatItem::ALL {
                write!(m, "\n      {:<12} {}", item.name(), pgdat.page_state(item))?;
            }
        }
        write!(
            m,
            "\n  pages free     {}\n        boost    {}\n        min      {}\n        low      {}\n        high     {}\n        promo    {}\n        spanned  {}\n        present  {}\n        managed  {}\n        cma      {}",
            zone.page_state(ZoneStatItem::NrFreePages),
            zone.watermark_boost.load(Relaxed),
            zone.min_wmark_pages(),
            zone.low_wmark_pages(),
            zone.high_wmark_pages(),
            zone.wmark_pages(super::mmzone::ZoneWatermark::Promo),
            zone.spanned_pages,
            zone.present_pages,
            zone.managed(),
            0
        )?;
        write!(m, "\n        protection: ({}", zone.lowmem_reserve(0))?;
        for i in 1..zone.lowmem_reserve.len() {
            write!(m, ", {}", zone.lowmem_reserve(i))?;
        }
        m.write_char(')')?;
        if !zone.populated() {
            m.write_char('\n')?;
            continue;
        }
        for item in ZoneStatItem::ALL {
            write!(m, "\n      {:<12} {}", item.name(), zone.page_state(item))?;
        }
        // No per-CPU page lists and no kswapd yet: the node is never
        // marked unreclaimable.
        write!(
            m,
            "\n  node_unreclaimable:  {}\n  start_pfn:           {}\n",
            0, zone.zone_start_pfn
        )?;
    }
    Ok(())
}

/// `/proc/buddyinfo` (`frag_show_print()` for populated zones): free
/// blocks per order.
pub fn frag_show(pgdat: &PglistData, m: &mut impl Write) -> fmt::Result {
    for zone in pgdat.node_zones.iter().filter(|z| z.populated()) {
        write!(m, "Node {}, zone {:>8} ", pgdat.node_id, zone.name())?;
        let free = zone.lock.lock_irqsave();
        for area in &free.free_area[..=MAX_PAGE_ORDER] {
            write!(m, "{:>6} ", area.len)?;
        }
        m.write_char('\n')?;
    }
    Ok(())
}

/// `/proc/vmstat`: zone counters, node counters, then events.
pub fn vmstat_show(pgdat: &PglistData, m: &mut impl Write) -> fmt::Result {
    for item in ZoneStatItem::ALL {
        writeln!(m, "{} {}", item.name(), pgdat.zone_page_state_sum(item))?;
    }
    for item in NodeStatItem::ALL {
        writeln!(m, "{} {}", item.name(), pgdat.page_state(item))?;
    }
    for item in VmEventItem::ALL {
        writeln!(m, "{} {}", item.name(), vm_event(item))?;
    }
    Ok(())
}
