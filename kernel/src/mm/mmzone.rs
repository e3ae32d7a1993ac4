//! Zones and nodes (include/linux/mmzone.h, mm/mmzone.c).
//!
//! One node, `contig_page_data`, with Linux's x86_64 zones DMA (< 16 MiB),
//! DMA32 (< 4 GiB), Normal and an always-empty Movable (no `kernelcore=`).
//! Left out: migrate types and pageblocks, per-CPU page lists, CMA,
//! ZONE_DEVICE.

use core::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use super::PhysOps;
use super::page::{MemMap, Page, PageList};
use crate::sync::SpinLock;

/// Linux's `MAX_PAGE_ORDER`: the largest block is 2^10 pages (4 MiB).
pub const MAX_PAGE_ORDER: usize = 10;
pub const NR_PAGE_ORDERS: usize = MAX_PAGE_ORDER + 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ZoneType {
    Dma = 0,
    Dma32 = 1,
    Normal = 2,
    Movable = 3,
}

pub const MAX_NR_ZONES: usize = 4;

impl ZoneType {
    pub const ALL: [ZoneType; MAX_NR_ZONES] = [
        ZoneType::Dma,
        ZoneType::Dma32,
        ZoneType::Normal,
        ZoneType::Movable,
    ];

    /// `zone_names[]`.
    pub fn name(self) -> &'static str {
        match self {
            ZoneType::Dma => "DMA",
            ZoneType::Dma32 => "DMA32",
            ZoneType::Normal => "Normal",
            ZoneType::Movable => "Movable",
        }
    }
}

/// `enum zone_watermarks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneWatermark {
    Min = 0,
    Low = 1,
    High = 2,
    Promo = 3,
}

pub const NR_WMARK: usize = 4;

/// Declares a counter enum with Linux's item names, in Linux's order.
macro_rules! stat_items {
    ($(#[$m:meta])* $name:ident, $count:ident { $($variant:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant,)* }
        pub const $count: usize = [$($text,)*].len();
        impl $name {
            pub const ALL: [$name; $count] = [$($name::$variant,)*];
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }
    };
}
pub(crate) use stat_items;

stat_items! {
    /// `enum zone_stat_item`.
    ZoneStatItem, NR_VM_ZONE_STAT_ITEMS {
        NrFreePages = "nr_free_pages",
        NrZoneInactiveAnon = "nr_zone_inactive_anon",
        NrZoneActiveAnon = "nr_zone_active_anon",
        NrZoneInactiveFile = "nr_zone_inactive_file",
        NrZoneActiveFile = "nr_zone_active_file",
        NrZoneUnevictable = "nr_zone_unevictable",
        NrZoneWritePending = "nr_zone_write_pending",
        NrMlock = "nr_mlock",
    }
}

stat_items! {
    /// `enum node_stat_item` (`NrKernelStackKb` counts KiB, as Linux's
    /// `NR_KERNEL_STACK_KB`).
    NodeStatItem, NR_VM_NODE_STAT_ITEMS {
        NrInactiveAnon = "nr_inactive_anon",
        NrActiveAnon = "nr_active_anon",
        NrInactiveFile = "nr_inactive_file",
        NrActiveFile = "nr_active_file",
        NrUnevictable = "nr_unevictable",
        NrIsolatedAnon = "nr_isolated_anon",
        NrIsolatedFile = "nr_isolated_file",
        WorkingsetRefaultAnon = "workingset_refault_anon",
        WorkingsetRefaultFile = "workingset_refault_file",
        WorkingsetActivateAnon = "workingset_activate_anon",
        WorkingsetActivateFile = "workingset_activate_file",
        WorkingsetRestoreAnon = "workingset_restore_anon",
        WorkingsetRestoreFile = "workingset_restore_file",
        WorkingsetNodereclaim = "workingset_nodereclaim",
        NrAnonMapped = "nr_anon_pages",
        NrFileMapped = "nr_mapped",
        NrFilePages = "nr_file_pages",
        NrFileDirty = "nr_dirty",
        NrWriteback = "nr_writeback",
        NrShmem = "nr_shmem",
        NrVmscanWrite = "nr_vmscan_write",
        NrWritten = "nr_written",
        NrSwapcached = "nr_swapcached",
        NrKernelStackKb = "nr_kernel_stack",
        NrPagetable = "nr_page_table_pages",
    }
}

/// `enum lru_list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LruList {
    InactiveAnon = 0,
    ActiveAnon = 1,
    InactiveFile = 2,
    ActiveFile = 3,
    Unevictable = 4,
}

pub const NR_LRU_LISTS: usize = 5;

impl LruList {
    pub const ALL: [LruList; NR_LRU_LISTS] = [
        LruList::InactiveAnon,
        LruList::ActiveAnon,
        LruList::InactiveFile,
        LruList::ActiveFile,
        LruList::Unevictable,
    ];

    pub fn is_file(self) -> bool {
        matches!(self, LruList::InactiveFile | LruList::ActiveFile)
    }

    pub fn is_active(self) -> bool {
        matches!(self, LruList::ActiveAnon | LruList::ActiveFile)
    }

    /// The node counter of this list (`NR_LRU_BASE + lru`).
    pub fn node_stat(self) -> NodeStatItem {
        NodeStatItem::ALL[self as usize]
    }

    /// The zone counter of this list (`NR_ZONE_LRU_BASE + lru`).
    pub fn zone_stat(self) -> ZoneStatItem {
        ZoneStatItem::ALL[1 + self as usize]
    }
}

/// `struct lruvec`: the LRU lists of one (memcg, node) pair; the lock is
/// Linux's `lru_lock`.
pub struct Lruvec {
    pub lists: SpinLock<[PageList; NR_LRU_LISTS]>,
    /// What reclaiming each type has cost lately (`lru_note_cost`):
    /// `get_scan_count` balances anon and file by these.
    pub anon_cost: AtomicU64,
    pub file_cost: AtomicU64,
    /// `nonresident_age`: the workingset clock (mm/workingset.rs).
    pub nonresident_age: AtomicU64,
}

impl Default for Lruvec {
    fn default() -> Self {
        Self {
            lists: SpinLock::new([PageList::EMPTY; NR_LRU_LISTS]),
            anon_cost: AtomicU64::new(0),
            file_cost: AtomicU64::new(0),
            nonresident_age: AtomicU64::new(0),
        }
    }
}

/// `struct free_area`: the free blocks of one order (`nr_free` is the
/// list's length).
pub type FreeArea = PageList;

/// What `zone->lock` protects.
pub struct ZoneFree {
    pub free_area: [FreeArea; NR_PAGE_ORDERS],
}

pub struct Zone {
    pub zone_type: ZoneType,
    pub zone_start_pfn: u64,
    pub spanned_pages: u64,
    pub present_pages: u64,
    pub managed_pages: AtomicU64,
    pub _watermark: [AtomicU64; NR_WMARK],
    pub watermark_boost: AtomicU64,
    pub lowmem_reserve: [AtomicU64; MAX_NR_ZONES],
    pub lock: SpinLock<ZoneFree>,
    pub vm_stat: [AtomicI64; NR_VM_ZONE_STAT_ITEMS],
}

impl Zone {
    pub fn new(
        zone_type: ZoneType,
        zone_start_pfn: u64,
        spanned_pages: u64,
        present_pages: u64,
    ) -> Self {
        Self {
            zone_type,
            zone_start_pfn,
            spanned_pages,
            present_pages,
            managed_pages: AtomicU64::new(0),
            _watermark: Default::default(),
            watermark_boost: AtomicU64::new(0),
            lowmem_reserve: Default::default(),
            lock: SpinLock::new(ZoneFree {
                free_area: [PageList::EMPTY; NR_PAGE_ORDERS],
            }),
            vm_stat: Default::default(),
        }
    }

    pub fn name(&self) -> &'static str {
        self.zone_type.name()
    }

    pub fn zone_end_pfn(&self) -> u64 {
        self.zone_start_pfn + self.spanned_pages
    }

    pub fn zone_spans_pfn(&self, pfn: u64) -> bool {
        pfn >= self.zone_start_pfn && pfn < self.zone_end_pfn()
    }

    /// `zone_managed_pages()`.
    pub fn managed(&self) -> u64 {
        self.managed_pages.load(Relaxed)
    }

    /// `populated_zone()`: Linux tests present pages.
    pub fn populated(&self) -> bool {
        self.present_pages != 0
    }

    /// `wmark_pages(z, i)`: the watermark plus any boost.
    pub fn wmark_pages(&self, w: ZoneWatermark) -> u64 {
        self._watermark[w as usize].load(Relaxed) + self.watermark_boost.load(Relaxed)
    }

    pub fn min_wmark_pages(&self) -> u64 {
        self.wmark_pages(ZoneWatermark::Min)
    }

    pub fn low_wmark_pages(&self) -> u64 {
        self.wmark_pages(ZoneWatermark::Low)
    }

    pub fn high_wmark_pages(&self) -> u64 {
        self.wmark_pages(ZoneWatermark::High)
    }

    pub fn lowmem_reserve(&self, zoneidx: usize) -> u64 {
        self.lowmem_reserve[zoneidx].load(Relaxed)
    }

    /// `zone_page_state()`: negative transients read as 0, as in Linux.
    pub fn page_state(&self, item: ZoneStatItem) -> u64 {
        self.vm_stat[item as usize].load(Relaxed).max(0) as u64
    }

    /// `__mod_zone_page_state()`.
    pub fn mod_page_state(&self, item: ZoneStatItem, delta: i64) {
        self.vm_stat[item as usize].fetch_add(delta, Relaxed);
    }
}

/// `contig_page_data`: the only node, set once at boot.
static CONTIG_PAGE_DATA: spin::Once<PglistData> = spin::Once::new();

/// Publish the node built at boot; later calls are ignored.
pub fn set_node_data(pgdat: PglistData) -> &'static PglistData {
    CONTIG_PAGE_DATA.call_once(|| pgdat)
}

/// `NODE_DATA(nid)`; only node 0 exists. Panics before `mm_core_init`.
pub fn node_data(nid: usize) -> &'static PglistData {
    assert_eq!(nid, 0, "tinymm has one node");
    CONTIG_PAGE_DATA
        .get()
        .expect("NODE_DATA before mm_core_init")
}

/// `pg_data_t`: one NUMA node.
pub struct PglistData {
    pub node_id: usize,
    pub node_zones: [Zone; MAX_NR_ZONES],
    pub node_start_pfn: u64,
    pub node_spanned_pages: u64,
    pub node_present_pages: u64,
    /// FLATMEM's `mem_map`, pfn 0 to `max_pfn`.
    pub mem_map: MemMap,
    pub vm_stat: [AtomicI64; NR_VM_NODE_STAT_ITEMS],
    /// `totalreserve_pages`: per zone, the high watermark plus the largest
    /// lowmem reserve, which userspace cannot expect to get.
    pub totalreserve_pages: AtomicU64,
    pub min_free_kbytes: AtomicU64,
    pub phys: &'static dyn PhysOps,
    /// The node's LRU lists (the root memory cgroup's lruvec on this node).
    pub lruvec: Lruvec,
}

impl PglistData {
    pub fn pfn_to_page(&self, pfn: u64) -> &'static Page {
        self.mem_map.pfn_to_page(pfn)
    }

    pub fn page_to_pfn(&self, page: &Page) -> u64 {
        self.mem_map.page_to_pfn(page)
    }

    /// `page_zone()`.
    pub fn page_zone(&self, page: &Page) -> &Zone {
        &self.node_zones[page.zonenum()]
    }

    /// `node_page_state()`.
    pub fn page_state(&self, item: NodeStatItem) -> u64 {
        self.vm_stat[item as usize].load(Relaxed).max(0) as u64
    }

    /// `__mod_node_page_state()`.
    pub fn mod_page_state(&self, item: NodeStatItem, delta: i64) {
        self.vm_stat[item as usize].fetch_add(delta, Relaxed);
    }

    /// `global_zone_page_state()` for this (the only) node.
    pub fn zone_page_state_sum(&self, item: ZoneStatItem) -> u64 {
        self.node_zones.iter().map(|z| z.page_state(item)).sum()
    }

    /// `totalram_pages()`.
    pub fn totalram_pages(&self) -> u64 {
        self.node_zones.iter().map(Zone::managed).sum()
    }
}
