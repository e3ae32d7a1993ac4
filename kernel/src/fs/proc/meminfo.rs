//! `/proc/meminfo` (fs/proc/meminfo.c, `si_mem_available()` from
//! mm/show_mem.c). Fields that tinymm has; those whose subsystem does not
//! exist yet (hugetlb, vmalloc, zswap) are left out, not faked. The slab
//! lines are the kernel heap's arenas (mm/slab.rs), none reclaimable.

use core::fmt::{self, Write};
use core::sync::atomic::Ordering::Relaxed;

use crate::mm::mmzone::{NodeStatItem, PglistData, ZoneStatItem};
use crate::mm::page::PAGE_SHIFT;

/// `show_val_kb()`: the label padded to 16 columns, the value to 8, in KiB.
fn show_val_kb(m: &mut impl Write, label: &str, pages: u64) -> fmt::Result {
    writeln!(m, "{label:<16}{:>8} kB", pages << (PAGE_SHIFT - 10))
}

/// `si_mem_available()`: free pages above the reserves, plus the page
/// cache that could be dropped while keeping half of it or the low
/// watermarks' worth.
pub fn si_mem_available(pgdat: &PglistData) -> u64 {
    let wmark_low: u64 = pgdat.node_zones.iter().map(|z| z.low_wmark_pages()).sum();
    let mut available = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages) as i64
        - pgdat.totalreserve_pages.load(Relaxed) as i64;
    let pagecache = pgdat.page_state(NodeStatItem::NrActiveFile)
        + pgdat.page_state(NodeStatItem::NrInactiveFile);
    available += (pagecache - (pagecache / 2).min(wmark_low)) as i64;
    available.max(0) as u64
}

/// `meminfo_proc_show()`; `slab` is the kernel heap's pages, none of
/// them reclaimable; `swap` is `si_swapinfo()`'s (free, total) pages.
pub fn meminfo_proc_show(
    pgdat: &PglistData,
    slab: u64,
    swap: (u64, u64),
    m: &mut impl Write,
) -> fmt::Result {
    use NodeStatItem::*;
    let node = |i| pgdat.page_state(i);
    // Swap-cache and block-device pages count in NR_FILE_PAGES, as on
    // Linux; "Cached" is the rest (total_swapcache_pages() is
    // NR_SWAPCACHE, "Buffers" `nr_blockdev_pages()`).
    let swapcached = node(NrSwapcached);
    let buffers = crate::mm::filemap::nr_blockdev_pages();
    let file_pages = node(NrFilePages).saturating_sub(swapcached + buffers);
    show_val_kb(m, "MemTotal:", pgdat.totalram_pages())?;
    show_val_kb(
        m,
        "MemFree:",
        pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages),
    )?;
    show_val_kb(m, "MemAvailable:", si_mem_available(pgdat))?;
    show_val_kb(m, "Buffers:", buffers)?;
    show_val_kb(m, "Cached:", file_pages)?;
    show_val_kb(m, "SwapCached:", swapcached)?;
    show_val_kb(m, "Active:", node(NrActiveAnon) + node(NrActiveFile))?;
    show_val_kb(m, "Inactive:", node(NrInactiveAnon) + node(NrInactiveFile))?;
    show_val_kb(m, "Active(anon):", node(NrActiveAnon))?;
    show_val_kb(m, "Inactive(anon):", node(NrInactiveAnon))?;
    show_val_kb(m, "Active(file):", node(NrActiveFile))?;
    show_val_kb(m, "Inactive(file):", node(NrInactiveFile))?;
    show_val_kb(m, "Unevictable:", node(NrUnevictable))?;
    show_val_kb(
        m,
        "Mlocked:",
        pgdat.zone_page_state_sum(ZoneStatItem::NrMlock),
    )?;
    show_val_kb(m, "SwapTotal:", swap.1)?;
    show_val_kb(m, "SwapFree:", swap.0)?;
    show_val_kb(m, "Dirty:", node(NrFileDirty))?;
    show_val_kb(m, "Writeback:", node(NrWriteback))?;
    show_val_kb(m, "AnonPages:", node(NrAnonMapped))?;
    show_val_kb(m, "Mapped:", node(NrFileMapped))?;
    show_val_kb(m, "Shmem:", node(NrShmem))?;
    show_val_kb(m, "KReclaimable:", 0)?;
    show_val_kb(m, "Slab:", slab)?;
    show_val_kb(m, "SReclaimable:", 0)?;
    show_val_kb(m, "SUnreclaim:", slab)?;
    writeln!(m, "{:<16}{:>8} kB", "KernelStack:", node(NrKernelStackKb))?;
    show_val_kb(m, "PageTables:", node(NrPagetable))
}
