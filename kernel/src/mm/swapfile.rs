//! Swap areas and their slots; mirrors mm/swapfile.c of Linux 6.1 (with
//! `struct swap_info_struct`, the SWP_* flags and the swap_map values of
//! include/linux/swap.h, and `union swap_header`).
//!
//! An area is a block device that `mkswap` formatted: page 0 is the
//! header, every other page is a slot. [`SwapInfoStruct::swap_map`] has a
//! byte per slot: how many page-table entries (and shmem) refer to it, up
//! to [`SWAP_MAP_MAX`], plus [`SWAP_HAS_CACHE`] while a page of the swap
//! cache stands for it; the header and bad pages are [`SWAP_MAP_BAD`].
//! A count past SWAP_MAP_MAX (a 63rd sharer of one swapped page) would
//! need Linux's continuation pages, which tinymm does not have:
//! [`swap_duplicate`] then fails with ENOMEM, as Linux's does when it
//! cannot allocate a continuation page, and fork fails with it.
//!
//! Slots are handed out as Linux 6.1 does. On a non-rotational device
//! (`SWP_SOLIDSTATE`) the area has `cluster_info`, one entry per
//! [`SWAPFILE_CLUSTER`] slots, with a list of free clusters (built
//! interleaved, `SWAP_CLUSTER_COLS` apart, as Linux does), a per-CPU
//! cluster that allocation fills before taking the next free one
//! (`scan_swap_map_try_ssd_cluster`) and, with page discard, a list of
//! clusters waiting to be discarded. On a rotational device (virtio-blk
//! disks are, on Linux as here) there are no clusters: allocation runs
//! sequentially from `cluster_next`, looking for a free run of
//! SWAPFILE_CLUSTER slots every SWAPFILE_CLUSTER allocations. Areas are
//! tried in priority order ([`SwapTable::swap_avail_head`]), equal
//! priorities round robin (`plist_requeue`).
//!
//! One lock (`swap_lock`, a spin lock) covers the table, every area and
//! its clusters: Linux's `si->lock`, cluster locks and `swap_avail_lock`
//! are finer. tinymm has one CPU, so the per-CPU cluster and
//! `cluster_next_cpu` are single values; `prandom_u32_max` is a fixed-seed
//! generator, so runs repeat.
//!
//! Left out: swap files on a file system (`swap_file` + `bmap`: swapon of
//! a regular file fails with EINVAL, as on Linux for tmpfs, which has no
//! `read_folio`), the swap-slot cache (mm/swap_slots.c), THP clusters,
//! frontswap, reuse of slots held only by the swap cache when swap is
//! more than half full (`__try_to_reclaim_swap` needs the swap cache),
//! continuation pages (above).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use bitflags::bitflags;

use super::filemap::{folio_trylock, folio_unlock};
use super::memcontrol::swap::{mem_cgroup_swap_full, mem_cgroup_uncharge_swap};
use super::mmzone::{PglistData, node_data};
use super::page::{PAGE_SHIFT, PAGE_SIZE, Page, PageFlags};
use super::page_alloc::__free_pages;
use super::swap_cgroup::{swap_cgroup_swapoff, swap_cgroup_swapon};
use super::swap_state::{
    clear_shadow_from_swap_cache, delete_from_swap_cache, exit_swap_address_space,
    folio_swap_entry, init_swap_address_space, swap_cache_get,
};
use super::swapops::{
    MAX_SWAPFILES, SwpEntry, generic_max_swapfile_size, swp_entry, swp_offset, swp_type,
};
use crate::block::genhd::BlockDevice;
use crate::fs::DevT;
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::swap::{
    SWAP_FLAG_DISCARD, SWAP_FLAG_DISCARD_ONCE, SWAP_FLAG_DISCARD_PAGES, SWAP_FLAG_PREFER,
    SWAP_FLAG_PRIO_MASK, SWAP_FLAG_PRIO_SHIFT, SWAP_FLAGS_VALID,
};

/// `SWAP_HAS_CACHE`: a swap-cache page stands for the slot.
pub const SWAP_HAS_CACHE: u8 = 0x40;
/// `COUNT_CONTINUED`: the count goes on in a continuation page (never
/// set in tinymm).
const COUNT_CONTINUED: u8 = 0x80;
/// `SWAP_MAP_MAX`: the largest count a swap_map byte holds.
pub const SWAP_MAP_MAX: u8 = 0x3e;
/// `SWAP_MAP_BAD`: the slot is never used (header, bad page, being
/// discarded).
pub const SWAP_MAP_BAD: u8 = 0x3f;
/// `SWAP_MAP_SHMEM`: owned by shmem/tmpfs, never counted.
pub const SWAP_MAP_SHMEM: u8 = 0xbf;

/// `SWAPFILE_CLUSTER`: slots per cluster (without THP swap).
pub const SWAPFILE_CLUSTER: usize = 256;
/// `SWAP_BATCH`: most slots one `get_swap_pages` hands out.
pub const SWAP_BATCH: usize = 64;
/// `LATENCY_LIMIT`: slots scanned between breaks.
const LATENCY_LIMIT: i32 = 256;
/// `SWAP_ADDRESS_SPACE_SHIFT`: slots per swap-cache address space (log2).
const SWAP_ADDRESS_SPACE_SHIFT: u32 = 14;
const SWAP_ADDRESS_SPACE_PAGES: usize = 1 << SWAP_ADDRESS_SPACE_SHIFT;
/// `SWAP_CLUSTER_COLS`: max(64-byte cache line / 8-byte cluster_info,
/// clusters per swap address space) = 64; the free list is built that
/// many clusters apart.
const SWAP_CLUSTER_COLS: usize = {
    let info_cols = 64usize.div_ceil(8);
    let space_cols = SWAP_ADDRESS_SPACE_PAGES.div_ceil(SWAPFILE_CLUSTER);
    if info_cols > space_cols {
        info_cols
    } else {
        space_cols
    }
};

bitflags! {
    /// `enum` of SWP_* flags (include/linux/swap.h), Linux's values.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SwpFlags: u32 {
        /// The table entry is taken.
        const SWP_USED = 1 << 0;
        /// Slots may be allocated.
        const SWP_WRITEOK = 1 << 1;
        /// The device can discard.
        const SWP_DISCARDABLE = 1 << 2;
        /// Not rotational: clusters.
        const SWP_SOLIDSTATE = 1 << 4;
        /// A block device.
        const SWP_BLKDEV = 1 << 6;
        /// Discard the whole area at swapon.
        const SWP_AREA_DISCARD = 1 << 9;
        /// Discard clusters as they are freed.
        const SWP_PAGE_DISCARD = 1 << 10;
    }
}

/// What an area lives on: a block device as swapon claimed it. The
/// block layer implements it; host tests use memory.
pub trait SwapBacking: Send + Sync {
    /// The device size in pages (`i_size_read(inode) >> PAGE_SHIFT`).
    fn nr_pages(&self) -> u64;
    /// Read page `index` of the device (the header at swapon).
    fn read_page(&self, index: u64, buf: &mut [u8]) -> KResult<()>;
    /// `bdev_nonrot()`.
    fn nonrot(&self) -> bool;
    /// `bdev_max_discard_sectors()`: 0 when the device cannot discard.
    fn max_discard_sectors(&self) -> u64;
    /// `blkdev_issue_discard()` of 512-byte sectors.
    fn issue_discard(&self, sector: u64, nr_sectors: u64) -> KResult<()>;
    /// The disk, for swap I/O (`sis->bdev`); None for host test devices.
    fn block_device(&self) -> Option<Arc<BlockDevice>>;
}

/// `struct swap_cluster_info`: a count of used slots, or the next
/// cluster while on a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SwapClusterInfo {
    data: u32,
    flags: u8,
}

/// `CLUSTER_FLAG_FREE`: on the free list.
const CLUSTER_FLAG_FREE: u8 = 1;
/// `CLUSTER_FLAG_NEXT_NULL`: a list end (or an empty per-CPU cluster).
const CLUSTER_FLAG_NEXT_NULL: u8 = 2;

impl SwapClusterInfo {
    const NULL: Self = Self {
        data: 0,
        flags: CLUSTER_FLAG_NEXT_NULL,
    };

    /// `cluster_count()` / `cluster_next()`.
    pub fn count(&self) -> u32 {
        self.data
    }

    /// `cluster_is_free()`.
    pub fn is_free(&self) -> bool {
        self.flags & CLUSTER_FLAG_FREE != 0
    }

    fn is_null(&self) -> bool {
        self.flags & CLUSTER_FLAG_NEXT_NULL != 0
    }
}

/// `struct swap_cluster_list`: a singly linked list of clusters through
/// their `cluster_info` entries.
#[derive(Clone, Copy, Debug)]
struct SwapClusterList {
    head: SwapClusterInfo,
    tail: SwapClusterInfo,
}

impl SwapClusterList {
    const EMPTY: Self = Self {
        head: SwapClusterInfo::NULL,
        tail: SwapClusterInfo::NULL,
    };

    fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    fn first(&self) -> usize {
        self.head.data as usize
    }

    /// `cluster_list_add_tail()`.
    fn add_tail(&mut self, ci: &mut [SwapClusterInfo], idx: usize) {
        let next = SwapClusterInfo {
            data: idx as u32,
            flags: 0,
        };
        if self.is_empty() {
            self.head = next;
        } else {
            ci[self.tail.data as usize].data = idx as u32;
        }
        self.tail = next;
    }

    /// `cluster_list_del_first()`.
    fn del_first(&mut self, ci: &[SwapClusterInfo]) -> usize {
        let idx = self.first();
        if self.tail.data as usize == idx {
            *self = Self::EMPTY;
        } else {
            self.head = SwapClusterInfo {
                data: ci[idx].data,
                flags: 0,
            };
        }
        idx
    }
}

/// `struct percpu_cluster`: the cluster this CPU allocates from and the
/// next slot to try in it.
#[derive(Clone, Copy, Debug)]
struct PercpuCluster {
    index: SwapClusterInfo,
    next: usize,
}

/// `struct swap_info_struct`: one swap area.
pub struct SwapInfoStruct {
    pub flags: SwpFlags,
    /// Priority; higher areas are used first.
    pub prio: i32,
    /// Index in the table: the entries' `swp_type`.
    pub type_: u32,
    /// Slots in the map, the header included (`last_page + 1`).
    pub max: usize,
    /// One byte per slot: the reference count (see the module doc).
    pub swap_map: Vec<u8>,
    /// Per cluster, on non-rotational devices only.
    pub cluster_info: Option<Vec<SwapClusterInfo>>,
    free_clusters: SwapClusterList,
    discard_clusters: SwapClusterList,
    percpu_cluster: PercpuCluster,
    /// `cluster_next_cpu`: where scanning starts on an SSD.
    cluster_next_cpu: usize,
    /// Where scanning starts on a rotational device, and how many more
    /// slots to take sequentially before looking for a free cluster.
    cluster_next: usize,
    cluster_nr: usize,
    /// First and last slot that may be free; `highest_bit` 0 when full.
    pub lowest_bit: usize,
    pub highest_bit: usize,
    /// Usable slots (not header, not bad).
    pub pages: usize,
    /// Slots in use.
    pub inuse_pages: usize,
    /// The file swapon opened, as /proc/swaps prints it (`d_path`).
    pub name: String,
    /// The device (`bd_dev`): swapoff and a second swapon find the area
    /// by it, as Linux does by the block device's mapping.
    pub dev: DevT,
    /// The claimed device.
    pub bdev: Option<Arc<dyn SwapBacking>>,
    /// `prandom` state for `set_cluster_next`.
    rnd: u32,
}

impl SwapInfoStruct {
    fn new(type_: u32) -> Self {
        Self {
            flags: SwpFlags::empty(),
            prio: 0,
            type_,
            max: 0,
            swap_map: Vec::new(),
            cluster_info: None,
            free_clusters: SwapClusterList::EMPTY,
            discard_clusters: SwapClusterList::EMPTY,
            percpu_cluster: PercpuCluster {
                index: SwapClusterInfo::NULL,
                next: 0,
            },
            cluster_next_cpu: 1,
            cluster_next: 1,
            cluster_nr: 0,
            lowest_bit: 0,
            highest_bit: 0,
            pages: 0,
            inuse_pages: 0,
            name: String::new(),
            dev: DevT::default(),
            bdev: None,
            rnd: 0x9e37_79b9,
        }
    }

    /// `prandom_u32_max()`: xorshift32, fixed seed per area.
    fn prandom_u32_max(&mut self, ceil: usize) -> usize {
        let mut x = self.rnd;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rnd = x;
        ((x as u64 * ceil as u64) >> 32) as usize
    }

    /// `alloc_cluster()`: take the free list's first cluster into use.
    fn alloc_cluster(&mut self, idx: usize) {
        let ci = self.cluster_info.as_mut().expect("clusters");
        debug_assert_eq!(self.free_clusters.first(), idx);
        self.free_clusters.del_first(ci);
        ci[idx] = SwapClusterInfo::default();
    }

    /// `__free_cluster()`.
    fn __free_cluster(&mut self, idx: usize) {
        let ci = self.cluster_info.as_mut().expect("clusters");
        ci[idx].flags = CLUSTER_FLAG_FREE;
        self.free_clusters.add_tail(ci, idx);
    }

    /// `free_cluster()`: back on the free list, or with page discard
    /// first onto the discard list, its slots marked bad until then
    /// (`swap_cluster_schedule_discard`).
    fn free_cluster(&mut self, idx: usize) {
        if self
            .flags
            .contains(SwpFlags::SWP_WRITEOK | SwpFlags::SWP_PAGE_DISCARD)
        {
            let start = idx * SWAPFILE_CLUSTER;
            self.swap_map[start..start + SWAPFILE_CLUSTER].fill(SWAP_MAP_BAD);
            let ci = self.cluster_info.as_mut().expect("clusters");
            self.discard_clusters.add_tail(ci, idx);
            return;
        }
        self.__free_cluster(idx);
    }

    /// `inc_cluster_info_page()`.
    fn inc_cluster_info_page(&mut self, page_nr: usize) {
        let idx = page_nr / SWAPFILE_CLUSTER;
        let Some(ci) = self.cluster_info.as_ref() else {
            return;
        };
        if ci[idx].is_free() {
            self.alloc_cluster(idx);
        }
        let ci = self.cluster_info.as_mut().expect("clusters");
        debug_assert!((ci[idx].data as usize) < SWAPFILE_CLUSTER);
        ci[idx].data += 1;
    }

    /// `dec_cluster_info_page()`.
    fn dec_cluster_info_page(&mut self, page_nr: usize) {
        let idx = page_nr / SWAPFILE_CLUSTER;
        let Some(ci) = self.cluster_info.as_mut() else {
            return;
        };
        debug_assert!(ci[idx].data > 0);
        ci[idx].data -= 1;
        if ci[idx].data == 0 {
            self.free_cluster(idx);
        }
    }

    /// `scan_swap_map_ssd_cluster_conflict()`: `offset` lies in a free
    /// cluster that is not the free list's first (taking it would break
    /// the list); drop the per-CPU cluster so a new one is taken.
    fn scan_swap_map_ssd_cluster_conflict(&mut self, offset: usize) -> bool {
        let idx = offset / SWAPFILE_CLUSTER;
        let ci = self.cluster_info.as_ref().expect("clusters");
        let conflict = !self.free_clusters.is_empty()
            && idx != self.free_clusters.first()
            && ci.get(idx).is_some_and(|c| c.is_free());
        if conflict {
            self.percpu_cluster.index = SwapClusterInfo::NULL;
        }
        conflict
    }

    /// `scan_swap_map_try_ssd_cluster()`: the next free slot of the
    /// per-CPU cluster, taking the first free cluster when it has none.
    /// False when no free cluster is left (discard clusters, if any, are
    /// the caller's to finish first: that needs the lock dropped).
    fn scan_swap_map_try_ssd_cluster(&mut self, offset: &mut usize, scan_base: &mut usize) -> bool {
        loop {
            if self.percpu_cluster.index.is_null() {
                if self.free_clusters.is_empty() {
                    return false;
                }
                self.percpu_cluster.index = self.free_clusters.head;
                self.percpu_cluster.next = self.free_clusters.first() * SWAPFILE_CLUSTER;
            }
            let mut tmp = self.percpu_cluster.next;
            let max = self
                .max
                .min((self.percpu_cluster.index.data as usize + 1) * SWAPFILE_CLUSTER);
            while tmp < max && self.swap_map[tmp] != 0 {
                tmp += 1;
            }
            if tmp >= max {
                self.percpu_cluster.index = SwapClusterInfo::NULL;
                continue;
            }
            self.percpu_cluster.next = tmp + 1;
            *offset = tmp;
            *scan_base = tmp;
            return true;
        }
    }

    /// `swap_range_alloc()`: count `nr` slots from `offset` in use; true
    /// when the area just became full (and leaves the avail list).
    fn swap_range_alloc(&mut self, offset: usize, nr: usize) -> bool {
        let end = offset + nr - 1;
        if offset == self.lowest_bit {
            self.lowest_bit += nr;
        }
        if end == self.highest_bit {
            self.highest_bit -= nr;
        }
        self.inuse_pages += nr;
        if self.inuse_pages == self.pages {
            self.lowest_bit = self.max;
            self.highest_bit = 0;
            return true;
        }
        false
    }

    /// `swap_range_free()`: `nr` slots from `offset` free again; true
    /// when a full area has room again (and goes back on the avail list).
    fn swap_range_free(&mut self, offset: usize, nr: usize) -> bool {
        let end = offset + nr - 1;
        let mut back = false;
        if offset < self.lowest_bit {
            self.lowest_bit = offset;
        }
        if end > self.highest_bit {
            let was_full = self.highest_bit == 0;
            self.highest_bit = end;
            back = was_full && self.flags.contains(SwpFlags::SWP_WRITEOK);
        }
        self.inuse_pages -= nr;
        back
    }

    /// `set_cluster_next()`: where the next scan starts; on an SSD a
    /// random place when a swap address space boundary is crossed.
    fn set_cluster_next(&mut self, mut next: usize) {
        if !self.flags.contains(SwpFlags::SWP_SOLIDSTATE) {
            self.cluster_next = next;
            return;
        }
        let prev = self.cluster_next_cpu;
        if (prev >> SWAP_ADDRESS_SPACE_SHIFT) != (next >> SWAP_ADDRESS_SPACE_SHIFT) {
            if self.highest_bit <= self.lowest_bit {
                return;
            }
            next = self.lowest_bit + self.prandom_u32_max(self.highest_bit - self.lowest_bit + 1);
            next &= !(SWAP_ADDRESS_SPACE_PAGES - 1);
            next = next.max(self.lowest_bit);
        }
        self.cluster_next_cpu = next;
    }

    /// `scan_swap_map_slots()`: up to `nr` free slots, each set to
    /// `usage`, into `slots`; returns how many. The second value says
    /// whether the area became full.
    #[inline(never)]
    fn scan_swap_map_slots(
        &mut self,
        usage: u8,
        nr: usize,
        slots: &mut [SwpEntry],
    ) -> (usize, bool) {
        enum Step {
            Checks,
            Scan,
            Done,
        }
        let ssd = self.cluster_info.is_some();
        let mut scan_base = if self.flags.contains(SwpFlags::SWP_SOLIDSTATE) {
            self.cluster_next_cpu
        } else {
            self.cluster_next
        };
        let mut offset = scan_base;
        let mut latency_ration = LATENCY_LIMIT;
        let mut n_ret = 0;
        let mut full = false;
        let mut scanned_many = false;

        let mut step = Step::Checks;
        if ssd {
            if !self.scan_swap_map_try_ssd_cluster(&mut offset, &mut scan_base) {
                step = Step::Scan;
            }
        } else if self.cluster_nr == 0 {
            // Every SWAPFILE_CLUSTER allocations, look for a free run
            // of that many slots from the start, to keep swap compact.
            self.cluster_nr = SWAPFILE_CLUSTER - 1;
            if self.pages - self.inuse_pages >= SWAPFILE_CLUSTER {
                scan_base = self.lowest_bit;
                offset = scan_base;
                let mut last_in_cluster = offset + SWAPFILE_CLUSTER - 1;
                let mut found = false;
                while last_in_cluster <= self.highest_bit {
                    if self.swap_map[offset] != 0 {
                        last_in_cluster = offset + SWAPFILE_CLUSTER;
                    } else if offset == last_in_cluster {
                        offset -= SWAPFILE_CLUSTER - 1;
                        self.cluster_next = offset;
                        found = true;
                        break;
                    }
                    offset += 1;
                }
                if !found {
                    offset = scan_base;
                }
            }
        } else {
            self.cluster_nr -= 1;
        }

        loop {
            match step {
                Step::Checks => {
                    if ssd {
                        let mut next = None;
                        while self.scan_swap_map_ssd_cluster_conflict(offset) {
                            if n_ret > 0 {
                                next = Some(Step::Done);
                                break;
                            }
                            if !self.scan_swap_map_try_ssd_cluster(&mut offset, &mut scan_base) {
                                next = Some(Step::Scan);
                                break;
                            }
                        }
                        if let Some(next) = next {
                            step = next;
                            continue;
                        }
                    }
                    if !self.flags.contains(SwpFlags::SWP_WRITEOK) || self.highest_bit == 0 {
                        return (n_ret, full);
                    }
                    if offset > self.highest_bit {
                        offset = self.lowest_bit;
                        scan_base = offset;
                    }
                    if self.swap_map[offset] != 0 {
                        step = if n_ret == 0 { Step::Scan } else { Step::Done };
                        continue;
                    }
                    self.swap_map[offset] = usage;
                    self.inc_cluster_info_page(offset);
                    full |= self.swap_range_alloc(offset, 1);
                    slots[n_ret] = swp_entry(self.type_, offset as u64);
                    n_ret += 1;
                    if n_ret == nr || offset >= self.highest_bit {
                        step = Step::Done;
                        continue;
                    }
                    latency_ration -= 1;
                    if latency_ration < 0 {
                        step = Step::Done;
                        continue;
                    }
                    if ssd {
                        if self.scan_swap_map_try_ssd_cluster(&mut offset, &mut scan_base) {
                            continue;
                        }
                    } else if self.cluster_nr > 0 {
                        offset += 1;
                        if self.swap_map[offset] == 0 {
                            self.cluster_nr -= 1;
                            continue;
                        }
                    }
                    if !scanned_many {
                        let scan_limit = if offset < scan_base {
                            scan_base
                        } else {
                            self.highest_bit
                        };
                        let mut found = false;
                        while offset <= scan_limit {
                            latency_ration -= 1;
                            if latency_ration <= 0 {
                                break;
                            }
                            if self.swap_map[offset] == 0 {
                                found = true;
                                break;
                            }
                            offset += 1;
                        }
                        if found {
                            continue;
                        }
                    }
                    step = Step::Done;
                }
                Step::Done => {
                    self.set_cluster_next(offset + 1);
                    return (n_ret, full);
                }
                Step::Scan => {
                    // Linear: up to the end, then from the start to where
                    // this scan began.
                    let mut found = false;
                    offset += 1;
                    while offset <= self.highest_bit {
                        if self.swap_map[offset] == 0 {
                            found = true;
                            break;
                        }
                        latency_ration -= 1;
                        if latency_ration < 0 {
                            latency_ration = LATENCY_LIMIT;
                            scanned_many = true;
                        }
                        offset += 1;
                    }
                    if !found {
                        // Linux 6.1 stops short of scan_base, which the
                        // SSD path (coming here straight from a failed
                        // cluster search) never looked at: a lone free
                        // slot there would never be found.
                        offset = self.lowest_bit;
                        while offset <= scan_base && offset <= self.highest_bit {
                            if self.swap_map[offset] == 0 {
                                found = true;
                                break;
                            }
                            latency_ration -= 1;
                            if latency_ration < 0 {
                                latency_ration = LATENCY_LIMIT;
                                scanned_many = true;
                            }
                            offset += 1;
                        }
                    }
                    if !found {
                        return (n_ret, full);
                    }
                    step = Step::Checks;
                }
            }
        }
    }

    /// `__swap_entry_free_locked()`: drop one reference of `usage` (1
    /// for a mapping, SWAP_HAS_CACHE for the swap cache); returns what is
    /// left. A slot left with nothing keeps SWAP_HAS_CACHE until
    /// `swap_entry_free` (`free_swap_slot`) releases it.
    fn __swap_entry_free_locked(&mut self, offset: usize, usage: u8) -> u8 {
        let count = self.swap_map[offset];
        let mut has_cache = count & SWAP_HAS_CACHE;
        let mut count = count & !SWAP_HAS_CACHE;
        if usage == SWAP_HAS_CACHE {
            if has_cache == 0 {
                // A caller's bug (Linux: VM_BUG_ON); leave the slot be.
                log::error!("put_swap_folio: slot {offset} has no cache reference");
                return count;
            }
            has_cache = 0;
        } else if count == SWAP_MAP_SHMEM {
            count = 0;
        } else if count & !COUNT_CONTINUED <= SWAP_MAP_MAX && count > 0 {
            count -= 1;
        }
        let usage = count | has_cache;
        self.swap_map[offset] = if usage != 0 { usage } else { SWAP_HAS_CACHE };
        usage
    }

    /// `swap_entry_free()` (via `free_swap_slot`): the slot is free.
    /// True if the area has room again after being full.
    fn swap_entry_free(&mut self, offset: usize) -> bool {
        debug_assert_eq!(self.swap_map[offset], SWAP_HAS_CACHE);
        self.swap_map[offset] = 0;
        self.dec_cluster_info_page(offset);
        self.swap_range_free(offset, 1)
    }
}

/// Why `read_swap_header` refused a header, with Linux's message (none
/// for the checks Linux makes silently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapHeaderError {
    /// "Unable to find swap-space signature" (pr_err).
    NoSignature,
    /// "Unable to handle swap header version %d" (pr_warn).
    Version(i32),
    /// "Empty swap-file" (pr_warn).
    Empty,
    /// "Swap area shorter than signature indicates" (pr_warn).
    Shorter,
    /// More than MAX_SWAP_BADPAGES bad pages, a bad page out of range, or
    /// bad pages in a regular file: no message.
    BadPages,
}

impl SwapHeaderError {
    /// Logs Linux's message at Linux's level.
    fn log(self) {
        match self {
            Self::NoSignature => log::error!("{self}"),
            Self::BadPages => {}
            _ => log::warn!("{self}"),
        }
    }
}

impl fmt::Display for SwapHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSignature => f.write_str("Unable to find swap-space signature"),
            Self::Version(v) => write!(f, "Unable to handle swap header version {v}"),
            Self::Empty => f.write_str("Empty swap-file"),
            Self::Shorter => f.write_str("Swap area shorter than signature indicates"),
            Self::BadPages => f.write_str("bad page list"),
        }
    }
}

/// Byte offsets in `union swap_header` (4 KiB pages).
const SWAP_INFO_VERSION: usize = 1024;
const SWAP_INFO_LAST_PAGE: usize = 1028;
const SWAP_INFO_NR_BADPAGES: usize = 1032;
const SWAP_INFO_BADPAGES: usize = 1536;
const SWAP_MAGIC: usize = PAGE_SIZE as usize - 10;
/// `MAX_SWAP_BADPAGES`: the bad-page list runs up to the magic (637).
pub const MAX_SWAP_BADPAGES: u32 = ((SWAP_MAGIC - SWAP_INFO_BADPAGES) / 4) as u32;

/// `swap_header.info`, in the host's byte order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwapHeaderInfo {
    pub version: u32,
    pub last_page: u32,
    pub nr_badpages: u32,
    pub badpages: Vec<u32>,
}

/// `read_swap_header()`: checks the header page as Linux does and
/// returns the area's slot count (`maxpages`, header included) with the
/// header's fields. `dev_pages` is the device's size in pages;
/// `regular` says the area is a regular file (which may not list bad
/// pages). Logs Linux's messages.
pub fn read_swap_header(
    header: &[u8],
    dev_pages: u64,
    regular: bool,
) -> Result<(usize, SwapHeaderInfo), SwapHeaderError> {
    let r = parse_swap_header(header, dev_pages, regular);
    if let Err(e) = r {
        e.log();
    }
    r
}

fn parse_swap_header(
    header: &[u8],
    dev_pages: u64,
    regular: bool,
) -> Result<(usize, SwapHeaderInfo), SwapHeaderError> {
    if header.len() < PAGE_SIZE as usize || &header[SWAP_MAGIC..SWAP_MAGIC + 10] != b"SWAPSPACE2" {
        return Err(SwapHeaderError::NoSignature);
    }
    let word = |at: usize| u32::from_ne_bytes(header[at..at + 4].try_into().expect("4 bytes"));
    // The swap partition endianness hack: a header written by the other
    // byte order has every field swapped.
    let swapped = word(SWAP_INFO_VERSION).swap_bytes() == 1;
    let field = |at: usize| {
        if swapped {
            word(at).swap_bytes()
        } else {
            word(at)
        }
    };
    let version = field(SWAP_INFO_VERSION);
    let last_page = field(SWAP_INFO_LAST_PAGE);
    let nr_badpages = field(SWAP_INFO_NR_BADPAGES);
    if swapped && nr_badpages > MAX_SWAP_BADPAGES {
        return Err(SwapHeaderError::BadPages);
    }
    if version != 1 {
        return Err(SwapHeaderError::Version(version as i32));
    }
    if last_page == 0 {
        return Err(SwapHeaderError::Empty);
    }
    // last_page is 32 bits, far below generic_max_swapfile_size (2^50),
    // so Linux's "Truncating oversized swap area" cannot happen here.
    let maxpages = (u64::from(last_page) + 1).min(generic_max_swapfile_size()) as usize;
    if dev_pages != 0 && maxpages as u64 > dev_pages {
        return Err(SwapHeaderError::Shorter);
    }
    if (nr_badpages != 0 && regular) || nr_badpages > MAX_SWAP_BADPAGES {
        return Err(SwapHeaderError::BadPages);
    }
    let badpages = (0..nr_badpages as usize)
        .map(|i| field(SWAP_INFO_BADPAGES + 4 * i))
        .collect();
    Ok((
        maxpages,
        SwapHeaderInfo {
            version,
            last_page,
            nr_badpages,
            badpages,
        },
    ))
}

/// `setup_swap_map_and_extents()`: the swap map of an area of `maxpages`
/// slots (header and bad pages SWAP_MAP_BAD), its clusters when `si` has
/// `cluster_info`, `pages`/`max`/`lowest_bit`/`highest_bit`, and the one
/// extent of a block device. Returns the number of extents (1).
pub fn setup_swap_map_and_extents(
    si: &mut SwapInfoStruct,
    info: &SwapHeaderInfo,
    maxpages: usize,
) -> KResult<usize> {
    let nr_clusters = maxpages.div_ceil(SWAPFILE_CLUSTER);
    let col = si.cluster_next / SWAPFILE_CLUSTER % SWAP_CLUSTER_COLS;
    si.swap_map = vec![0; maxpages];
    if si.cluster_info.is_some() {
        si.cluster_info = Some(vec![SwapClusterInfo::default(); nr_clusters]);
    }
    si.free_clusters = SwapClusterList::EMPTY;
    si.discard_clusters = SwapClusterList::EMPTY;
    let mut nr_good_pages = maxpages - 1;
    for &page_nr in &info.badpages {
        if page_nr == 0 || page_nr > info.last_page {
            return Err(Errno::EINVAL);
        }
        let page_nr = page_nr as usize;
        if page_nr < maxpages && si.swap_map[page_nr] != SWAP_MAP_BAD {
            si.swap_map[page_nr] = SWAP_MAP_BAD;
            nr_good_pages -= 1;
            si.inc_cluster_info_page(page_nr);
        }
    }
    // The slots of the last cluster past the area's end count as used.
    for i in maxpages..nr_clusters * SWAPFILE_CLUSTER {
        si.inc_cluster_info_page(i);
    }
    if nr_good_pages == 0 {
        log::warn!("{}", SwapHeaderError::Empty);
        return Err(Errno::EINVAL);
    }
    si.swap_map[0] = SWAP_MAP_BAD;
    si.inc_cluster_info_page(0);
    si.max = maxpages;
    si.pages = nr_good_pages;
    si.lowest_bit = 1;
    si.highest_bit = maxpages - 1;
    si.cluster_next = 1;
    si.cluster_nr = 0;
    // add_swap_extent(si, 0, max, 0): a block device is one extent.
    let nr_extents = 1;
    if let Some(ci) = si.cluster_info.as_mut() {
        // Free clusters go on the list SWAP_CLUSTER_COLS apart, to keep
        // neighbouring allocations off shared cache lines and swap
        // address spaces.
        for k in 0..SWAP_CLUSTER_COLS {
            let j = (k + col) % SWAP_CLUSTER_COLS;
            for i in 0..nr_clusters.div_ceil(SWAP_CLUSTER_COLS) {
                let idx = i * SWAP_CLUSTER_COLS + j;
                if idx >= nr_clusters || ci[idx].data != 0 {
                    continue;
                }
                ci[idx].flags = CLUSTER_FLAG_FREE;
                si.free_clusters.add_tail(ci, idx);
            }
        }
    }
    Ok(nr_extents)
}

/// The part of `sys_swapon` after the device is claimed, before the
/// area is visible (so outside the lock, where it may allocate): the
/// header checks (`read_swap_header`, EINVAL), the map
/// (`setup_swap_map_and_extents`), clusters on a non-rotational device,
/// the discard flags. `header` is page 0 of `bdev`; `name` is the path
/// /proc/swaps shows. Returns the area and its number of extents.
pub fn setup_swap_area(
    name: &str,
    dev: DevT,
    bdev: Arc<dyn SwapBacking>,
    header: &[u8],
    swap_flags: i32,
) -> KResult<(SwapInfoStruct, usize)> {
    if swap_flags & !SWAP_FLAGS_VALID != 0 {
        return Err(Errno::EINVAL);
    }
    let (maxpages, info) =
        read_swap_header(header, bdev.nr_pages(), false).map_err(|_| Errno::EINVAL)?;
    let mut si = SwapInfoStruct::new(0);
    si.flags |= SwpFlags::SWP_BLKDEV;
    si.name = String::from(name);
    si.dev = dev;
    si.lowest_bit = 1;
    si.highest_bit = maxpages - 1;
    if bdev.nonrot() {
        si.flags |= SwpFlags::SWP_SOLIDSTATE;
        si.cluster_next_cpu = 1 + si.prandom_u32_max(si.highest_bit);
        si.cluster_info = Some(Vec::new());
    }
    let nr_extents = setup_swap_map_and_extents(&mut si, &info, maxpages)?;
    if swap_flags & SWAP_FLAG_DISCARD != 0 && bdev.max_discard_sectors() != 0 {
        si.flags |=
            SwpFlags::SWP_DISCARDABLE | SwpFlags::SWP_AREA_DISCARD | SwpFlags::SWP_PAGE_DISCARD;
        if swap_flags & SWAP_FLAG_DISCARD_ONCE != 0 {
            si.flags.remove(SwpFlags::SWP_PAGE_DISCARD);
        } else if swap_flags & SWAP_FLAG_DISCARD_PAGES != 0 {
            si.flags.remove(SwpFlags::SWP_AREA_DISCARD);
        }
    }
    si.bdev = Some(bdev);
    Ok((si, nr_extents))
}

/// The global swap state: Linux's `swap_info[]`, `nr_swapfiles`,
/// `nr_swap_pages`, `total_swap_pages`, `least_priority`,
/// `swap_active_head` and `swap_avail_heads`, under `swap_lock`.
pub struct SwapTable {
    /// `swap_info[]`: entries are never freed, only reused.
    swap_info: Vec<SwapInfoStruct>,
    /// `nr_swap_pages`: free slots over the enabled areas.
    pub nr_swap_pages: i64,
    /// `total_swap_pages`.
    pub total_swap_pages: i64,
    /// The last priority handed out without SWAP_FLAG_PREFER.
    least_priority: i32,
    /// `swap_active_head`: enabled areas by priority, highest first,
    /// equal ones in the order they came.
    swap_active_head: Vec<u32>,
    /// `swap_avail_head`: the enabled areas that are not full, in the
    /// same order; allocation requeues an area behind its equals.
    swap_avail_head: Vec<u32>,
}

/// What swapon reports: the `Adding ...` line's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swapon {
    pub type_: u32,
    pub prio: i32,
    pub nr_extents: usize,
}

impl Default for SwapTable {
    fn default() -> Self {
        Self::new()
    }
}

impl SwapTable {
    pub const fn new() -> Self {
        Self {
            swap_info: Vec::new(),
            nr_swap_pages: 0,
            total_swap_pages: 0,
            least_priority: -1,
            swap_active_head: Vec::new(),
            swap_avail_head: Vec::new(),
        }
    }

    /// `swap_type_to_swap_info()`.
    pub fn swap_info(&self, type_: u32) -> Option<&SwapInfoStruct> {
        self.swap_info.get(type_ as usize)
    }

    fn si_mut(&mut self, type_: u32) -> &mut SwapInfoStruct {
        &mut self.swap_info[type_ as usize]
    }

    /// Inserts `type_` into a priority list behind its equals (plist_add).
    fn plist_add(&self, list: &mut Vec<u32>, type_: u32) {
        let prio = self.swap_info[type_ as usize].prio;
        let at = list
            .iter()
            .position(|&t| self.swap_info[t as usize].prio < prio)
            .unwrap_or(list.len());
        list.insert(at, type_);
    }

    /// Onto the avail list (again), behind its equals. The lists have
    /// room for every area (`alloc_swap_info` reserved it), so this never
    /// allocates.
    fn add_to_avail_list(&mut self, type_: u32) {
        let mut list = core::mem::take(&mut self.swap_avail_head);
        list.retain(|&t| t != type_);
        self.plist_add(&mut list, type_);
        self.swap_avail_head = list;
    }

    fn del_from_avail_list(&mut self, type_: u32) {
        self.swap_avail_head.retain(|&t| t != type_);
    }

    /// `alloc_swap_info()`: a free table entry (EPERM when all
    /// MAX_SWAPFILES are taken, as Linux).
    fn alloc_swap_info(&mut self) -> KResult<u32> {
        self.swap_active_head.reserve(MAX_SWAPFILES);
        self.swap_avail_head.reserve(MAX_SWAPFILES);
        match self
            .swap_info
            .iter()
            .position(|si| !si.flags.contains(SwpFlags::SWP_USED))
        {
            Some(t) => Ok(t as u32),
            None if self.swap_info.len() < MAX_SWAPFILES => {
                let t = self.swap_info.len() as u32;
                self.swap_info.push(SwapInfoStruct::new(t));
                Ok(t)
            }
            None => Err(Errno::EPERM),
        }
    }

    /// `setup_swap_info()` + `_enable_swap_info()`: priority, then on the
    /// active and avail lists with its slots counted.
    fn enable_swap_info(&mut self, type_: u32, prio: i32) {
        let prio = if prio >= 0 {
            prio
        } else {
            self.least_priority -= 1;
            self.least_priority
        };
        self._enable_swap_info(type_, prio);
    }

    /// `_enable_swap_info()`: slots counted, onto the lists.
    fn _enable_swap_info(&mut self, type_: u32, prio: i32) {
        let si = self.si_mut(type_);
        si.prio = prio;
        si.flags |= SwpFlags::SWP_WRITEOK;
        let pages = si.pages as i64;
        self.nr_swap_pages += pages;
        self.total_swap_pages += pages;
        let mut list = core::mem::take(&mut self.swap_active_head);
        self.plist_add(&mut list, type_);
        self.swap_active_head = list;
        self.add_to_avail_list(type_);
    }

    /// The area on device `dev`, if one is on.
    pub fn find_dev(&self, dev: DevT) -> Option<u32> {
        self.swap_info
            .iter()
            .find(|si| si.flags.contains(SwpFlags::SWP_USED) && si.dev == dev && si.max > 0)
            .map(|si| si.type_)
    }

    /// The end of `sys_swapon`, under the lock: an area that
    /// [`setup_swap_area`] prepared takes a table entry (EBUSY if its
    /// device is on already), its priority and its place on the lists.
    /// The caller logs the `Adding` line (`adding_swap_message`) and
    /// issues the area discard (`discard_swap`) when SWP_AREA_DISCARD is
    /// set.
    pub fn swapon(
        &mut self,
        mut si: SwapInfoStruct,
        nr_extents: usize,
        swap_flags: i32,
    ) -> KResult<Swapon> {
        if self.find_dev(si.dev).is_some() {
            return Err(Errno::EBUSY);
        }
        let type_ = self.alloc_swap_info()?;
        swap_cgroup_swapon(type_, si.max as u64)?;
        if let Err(e) = init_swap_address_space(type_, si.max as u64) {
            swap_cgroup_swapoff(type_);
            return Err(e);
        }
        si.type_ = type_;
        si.flags |= SwpFlags::SWP_USED;
        self.swap_info[type_ as usize] = si;
        let prio = if swap_flags & SWAP_FLAG_PREFER != 0 {
            (swap_flags & SWAP_FLAG_PRIO_MASK) >> SWAP_FLAG_PRIO_SHIFT
        } else {
            -1
        };
        self.enable_swap_info(type_, prio);
        Ok(Swapon {
            type_,
            prio: self.si_mut(type_).prio,
            nr_extents,
        })
    }

    /// The `Adding %uk swap on %s.  Priority:%d extents:%d across:%lluk
    /// %s%s%s%s` line swapon logs (pr_info): `name` as swapon(2) was given
    /// it; `across` is the pages the extents span (a block device:
    /// `pages`).
    pub fn adding_swap_message(
        &self,
        on: &Swapon,
        name: &str,
        out: &mut impl Write,
    ) -> fmt::Result {
        let si = &self.swap_info[on.type_ as usize];
        let kb = (si.pages as u64) << (PAGE_SHIFT - 10);
        let f = si.flags;
        write!(
            out,
            "Adding {kb}k swap on {name}.  Priority:{} extents:{} across:{kb}k {}{}{}{}",
            si.prio,
            on.nr_extents,
            if f.contains(SwpFlags::SWP_SOLIDSTATE) {
                "SS"
            } else {
                ""
            },
            if f.contains(SwpFlags::SWP_DISCARDABLE) {
                "D"
            } else {
                ""
            },
            if f.contains(SwpFlags::SWP_AREA_DISCARD) {
                "s"
            } else {
                ""
            },
            if f.contains(SwpFlags::SWP_PAGE_DISCARD) {
                "c"
            } else {
                ""
            },
        )
    }

    /// The first steps of `sys_swapoff`, under the lock: find the area
    /// on `dev` (EINVAL if none), take it off the avail and active lists
    /// with its slots, raise the auto-assigned priorities below it.
    pub fn swapoff_begin(&mut self, dev: DevT) -> KResult<u32> {
        let type_ = self
            .swap_active_head
            .iter()
            .copied()
            .find(|&t| {
                let si = &self.swap_info[t as usize];
                si.flags.contains(SwpFlags::SWP_WRITEOK) && si.dev == dev
            })
            .ok_or(Errno::EINVAL)?;
        self.del_from_avail_list(type_);
        let prio = self.swap_info[type_ as usize].prio;
        if prio < 0 {
            let at = self
                .swap_active_head
                .iter()
                .position(|&t| t == type_)
                .expect("on the active list");
            for &t in &self.swap_active_head[at + 1..] {
                self.swap_info[t as usize].prio += 1;
            }
            self.least_priority += 1;
        }
        self.swap_active_head.retain(|&t| t != type_);
        let si = self.si_mut(type_);
        si.flags.remove(SwpFlags::SWP_WRITEOK);
        let pages = si.pages as i64;
        self.nr_swap_pages -= pages;
        self.total_swap_pages -= pages;
        Ok(type_)
    }

    /// `try_to_unuse` failed: `reinsert_swap_info()`. As on Linux, an
    /// auto-assigned priority becomes the new lowest one.
    pub fn swapoff_abort(&mut self, type_: u32) {
        let prio = self.swap_info[type_ as usize].prio;
        self.enable_swap_info(type_, prio);
    }

    /// The end of `sys_swapoff`: the entry is reusable; the old area
    /// comes back for the caller to release its device and free its map
    /// outside the lock.
    pub fn swapoff_end(&mut self, type_: u32) -> SwapInfoStruct {
        exit_swap_address_space(type_);
        swap_cgroup_swapoff(type_);
        core::mem::replace(self.si_mut(type_), SwapInfoStruct::new(type_))
    }

    /// `_swap_info_get()`: the area of a used entry, or None with Linux's
    /// message for a stale one.
    fn _swap_info_get(&self, entry: SwpEntry) -> Option<u32> {
        if entry.val == 0 {
            return None;
        }
        let type_ = swp_type(entry);
        let Some(si) = self.swap_info(type_) else {
            log::error!("_swap_info_get: Bad swap file entry {:08x}", entry.val);
            return None;
        };
        if !si.flags.contains(SwpFlags::SWP_USED) {
            log::error!("_swap_info_get: Unused swap file entry {:08x}", entry.val);
            return None;
        }
        let offset = swp_offset(entry) as usize;
        if offset >= si.max {
            log::error!("_swap_info_get: Bad swap offset entry {:08x}", entry.val);
            return None;
        }
        if si.swap_map[offset] == 0 {
            log::error!("_swap_info_get: Unused swap offset entry {:08x}", entry.val);
            return None;
        }
        Some(type_)
    }

    /// `get_swap_device()`: the area if `entry` lies inside an enabled or
    /// draining one (used or not); Linux's message for a bad one.
    fn get_swap_device(&self, entry: SwpEntry) -> Option<u32> {
        if entry.val == 0 {
            return None;
        }
        let type_ = swp_type(entry);
        let Some(si) = self.swap_info(type_) else {
            log::error!("get_swap_device: Bad swap file entry {:08x}", entry.val);
            return None;
        };
        if !si.flags.contains(SwpFlags::SWP_USED) || si.max == 0 {
            return None;
        }
        if swp_offset(entry) as usize >= si.max {
            log::error!("get_swap_device: Bad swap offset entry {:08x}", entry.val);
            return None;
        }
        Some(type_)
    }

    /// `get_swap_pages()`: up to `n_goal` (at most SWAP_BATCH and
    /// `swp_entries.len()`) free slots, each marked SWAP_HAS_CACHE, from
    /// the highest-priority area that has room, equal priorities in turn.
    /// Allocates no memory: reclaim calls it.
    #[inline(never)]
    pub fn get_swap_pages(&mut self, n_goal: usize, swp_entries: &mut [SwpEntry]) -> usize {
        if self.nr_swap_pages <= 0 {
            return 0;
        }
        let n_goal = n_goal
            .min(SWAP_BATCH)
            .min(swp_entries.len())
            .min(self.nr_swap_pages as usize);
        self.nr_swap_pages -= n_goal as i64;
        let mut n_ret = 0;
        // plist_for_each_entry_safe: the order as it was, each area
        // requeued behind its equals before it is tried.
        let mut order = [0u32; MAX_SWAPFILES];
        let n = self.swap_avail_head.len();
        order[..n].copy_from_slice(&self.swap_avail_head);
        for &type_ in &order[..n] {
            if !self.swap_avail_head.contains(&type_) {
                continue;
            }
            self.add_to_avail_list(type_);
            let si = self.si_mut(type_);
            if si.highest_bit == 0 || !si.flags.contains(SwpFlags::SWP_WRITEOK) {
                self.del_from_avail_list(type_);
                continue;
            }
            let (n, full) = si.scan_swap_map_slots(SWAP_HAS_CACHE, n_goal, swp_entries);
            n_ret = n;
            if full {
                self.del_from_avail_list(type_);
            }
            if n_ret > 0 {
                break;
            }
        }
        self.nr_swap_pages += (n_goal - n_ret) as i64;
        n_ret
    }

    /// `__swap_duplicate()`: one more reference of `usage` (1, or
    /// SWAP_HAS_CACHE for `swapcache_prepare`). EINVAL for a bad entry,
    /// ENOENT for a free or bad slot, EEXIST if the cache already has
    /// it, ENOMEM past SWAP_MAP_MAX (no continuation pages).
    fn __swap_duplicate(&mut self, entry: SwpEntry, usage: u8) -> KResult<()> {
        let type_ = self.get_swap_device(entry).ok_or(Errno::EINVAL)?;
        let offset = swp_offset(entry) as usize;
        let si = self.si_mut(type_);
        let count = si.swap_map[offset];
        if count & !SWAP_HAS_CACHE == SWAP_MAP_BAD {
            return Err(Errno::ENOENT);
        }
        let mut has_cache = count & SWAP_HAS_CACHE;
        let mut count = count & !SWAP_HAS_CACHE;
        if usage == SWAP_HAS_CACHE {
            if has_cache == 0 && count != 0 {
                has_cache = SWAP_HAS_CACHE;
            } else if has_cache != 0 {
                return Err(Errno::EEXIST);
            } else {
                return Err(Errno::ENOENT);
            }
        } else if count != 0 || has_cache != 0 {
            if count & !COUNT_CONTINUED < SWAP_MAP_MAX {
                count += usage;
            } else if count & !COUNT_CONTINUED > SWAP_MAP_MAX {
                return Err(Errno::EINVAL);
            } else {
                return Err(Errno::ENOMEM);
            }
        } else {
            return Err(Errno::ENOENT);
        }
        si.swap_map[offset] = count | has_cache;
        Ok(())
    }

    /// `__swap_entry_free()`: drop a mapping's reference; returns the
    /// usage left (`SWAP_HAS_CACHE` alone: only the swap cache holds it,
    /// which `free_swap_and_cache` then tries to drop). None for a stale
    /// entry (logged).
    pub fn __swap_entry_free(&mut self, entry: SwpEntry) -> Option<u8> {
        let type_ = self._swap_info_get(entry)?;
        let offset = swp_offset(entry) as usize;
        let usage = self.si_mut(type_).__swap_entry_free_locked(offset, 1);
        if usage == 0 {
            self.free_swap_slot(type_, offset);
        }
        Some(usage)
    }

    /// `free_swap_slot()` → `swapcache_free_entries()` →
    /// `swap_entry_free()`: the slot goes back to the area.
    fn free_swap_slot(&mut self, type_: u32, offset: usize) {
        let si = self.si_mut(type_);
        let back = si.swap_entry_free(offset);
        mem_cgroup_uncharge_swap(swp_entry(type_, offset as u64));
        clear_shadow_from_swap_cache(swp_entry(type_, offset as u64));
        // Also for an area being switched off: swapoff took all its
        // pages off nr_swap_pages, in use or not.
        self.nr_swap_pages += 1;
        if back {
            self.add_to_avail_list(type_);
        }
    }

    /// `put_swap_folio()`: the swap cache lets go of `entry`.
    pub fn put_swap_folio(&mut self, entry: SwpEntry) {
        let Some(type_) = self._swap_info_get(entry) else {
            return;
        };
        let offset = swp_offset(entry) as usize;
        if self
            .si_mut(type_)
            .__swap_entry_free_locked(offset, SWAP_HAS_CACHE)
            == 0
        {
            self.free_swap_slot(type_, offset);
        }
    }

    /// `swap_count()` of the slot, 0 for an entry outside any area.
    pub fn __swap_count(&self, entry: SwpEntry) -> u8 {
        self.get_swap_device(entry).map_or(0, |t| {
            self.swap_info[t as usize].swap_map[swp_offset(entry) as usize] & !SWAP_HAS_CACHE
        })
    }

    /// `swp_swapcount()`: mappings of the slot (exact: no continuations).
    pub fn swp_swapcount(&self, entry: SwpEntry) -> u32 {
        self._swap_info_get(entry).map_or(0, |t| {
            u32::from(
                self.swap_info[t as usize].swap_map[swp_offset(entry) as usize] & !SWAP_HAS_CACHE,
            )
        })
    }

    /// `find_next_to_unuse()`: the next slot after `prev` that is in use
    /// (not free, not bad); 0 when there is none.
    pub fn find_next_to_unuse(&self, type_: u32, prev: usize) -> usize {
        let si = &self.swap_info[type_ as usize];
        (prev + 1..si.max)
            .find(|&i| {
                let count = si.swap_map[i];
                count != 0 && count & !SWAP_HAS_CACHE != SWAP_MAP_BAD
            })
            .unwrap_or(0)
    }

    /// Discards to issue for an SSD area with page discard: clusters
    /// taken off the discard list, as (type, cluster).
    pub fn take_discard_clusters(&mut self) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        for si in &mut self.swap_info {
            let Some(ci) = si.cluster_info.as_ref() else {
                continue;
            };
            while !si.discard_clusters.is_empty() {
                let idx = si.discard_clusters.del_first(ci);
                out.push((si.type_, idx));
            }
        }
        out
    }

    /// After a cluster's discard (`swap_do_scheduled_discard`): free
    /// again, its slots usable.
    pub fn discard_done(&mut self, type_: u32, idx: usize) {
        let si = self.si_mut(type_);
        if si.cluster_info.is_none() || si.max == 0 {
            return;
        }
        si.__free_cluster(idx);
        let start = idx * SWAPFILE_CLUSTER;
        si.swap_map[start..start + SWAPFILE_CLUSTER].fill(0);
    }

    /// `si_swapinfo()`: (free, total) swap pages; slots still in use on
    /// an area being switched off count in both.
    pub fn si_swapinfo(&self) -> (u64, u64) {
        let to_be_unused: i64 = self
            .swap_info
            .iter()
            .filter(|si| {
                si.flags.contains(SwpFlags::SWP_USED) && !si.flags.contains(SwpFlags::SWP_WRITEOK)
            })
            .map(|si| si.inuse_pages as i64)
            .sum();
        (
            (self.nr_swap_pages + to_be_unused).max(0) as u64,
            (self.total_swap_pages + to_be_unused).max(0) as u64,
        )
    }

    /// `swap_show()` over every area: /proc/swaps.
    pub fn swaps_show(&self, m: &mut impl Write) -> fmt::Result {
        m.write_str("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n")?;
        for si in &self.swap_info {
            if !si.flags.contains(SwpFlags::SWP_USED) || si.max == 0 {
                continue;
            }
            let bytes = (si.pages as u64) << (PAGE_SHIFT - 10);
            let inuse = (si.inuse_pages as u64) << (PAGE_SHIFT - 10);
            // seq_file_path(swap, file, " \t\n\\"): those escaped as
            // octal, then padded to column 40.
            let mut len = 0;
            for c in si.name.chars() {
                if " \t\n\\".contains(c) {
                    write!(m, "\\{:03o}", c as u32)?;
                    len += 4;
                } else {
                    m.write_char(c)?;
                    len += c.len_utf8();
                }
            }
            let pad = if len < 40 { 40 - len } else { 1 };
            writeln!(
                m,
                "{:pad$}{}\t{bytes}\t{}{inuse}\t{}{}",
                " ",
                if si.flags.contains(SwpFlags::SWP_BLKDEV) {
                    "partition"
                } else {
                    "file\t"
                },
                if bytes < 10_000_000 { "\t" } else { "" },
                if inuse < 10_000_000 { "\t" } else { "" },
                si.prio,
            )?;
        }
        Ok(())
    }
}

/// `swap_lock` and everything it guards.
static SWAP_LOCK: SpinLock<SwapTable> = SpinLock::new(SwapTable::new());

/// The global table, locked.
pub fn swap_lock() -> crate::sync::SpinLockGuard<'static, SwapTable> {
    SWAP_LOCK.lock_irqsave()
}

/// `swap_do_scheduled_discard()`: discard the freed clusters of SSD
/// areas with page discard, outside the lock, then free them (Linux's
/// `discard_work`; here at the end of the call that freed them, which
/// hands over the lock it holds).
fn swap_discard_work(mut table: crate::sync::SpinLockGuard<'static, SwapTable>) {
    let todo = table.take_discard_clusters();
    drop(table);
    for (type_, idx) in todo {
        let bdev = swap_lock().swap_info(type_).and_then(|si| si.bdev.clone());
        if let Some(bdev) = bdev {
            let sectors_per_page = PAGE_SIZE >> 9;
            let start = (idx * SWAPFILE_CLUSTER) as u64 * sectors_per_page;
            // A failed discard leaves the data, which is harmless.
            let _ = bdev.issue_discard(start, SWAPFILE_CLUSTER as u64 * sectors_per_page);
        }
        swap_lock().discard_done(type_, idx);
    }
}

/// `get_swap_pages()` on the global table: the slot part of
/// `folio_alloc_swap`. Entries come back marked SWAP_HAS_CACHE.
#[inline(never)]
pub fn get_swap_pages(n_goal: usize, swp_entries: &mut [SwpEntry]) -> usize {
    let mut table = swap_lock();
    let n = table.get_swap_pages(n_goal, swp_entries);
    if n == 0 {
        // An SSD area may have its free clusters waiting for discard.
        swap_discard_work(table);
    }
    n
}

/// `swap_duplicate()`: one more page-table reference to `entry` (fork,
/// try_to_unmap). ENOMEM past SWAP_MAP_MAX references; other failures
/// (a corrupt entry) are reported as success, as Linux does.
#[inline(never)]
pub fn swap_duplicate(entry: SwpEntry) -> KResult<()> {
    match swap_lock().__swap_duplicate(entry, 1) {
        Err(Errno::ENOMEM) => Err(Errno::ENOMEM),
        _ => Ok(()),
    }
}

/// `swapcache_prepare()`: claim the swap-cache reference of a used
/// entry before reading it in; EEXIST if the cache has it already,
/// ENOENT if the entry is no longer used, EINVAL if it is bad.
#[inline(never)]
pub fn swapcache_prepare(entry: SwpEntry) -> KResult<()> {
    swap_lock().__swap_duplicate(entry, SWAP_HAS_CACHE)
}

/// `swapcache_clear()`: undo `swapcache_prepare` (the read-in gave up).
#[inline(never)]
pub fn swapcache_clear(entry: SwpEntry) {
    put_swap_folio(entry);
}

/// `put_swap_folio()`: the swap cache dropped the page for `entry`.
#[inline(never)]
pub fn put_swap_folio(entry: SwpEntry) {
    let mut table = swap_lock();
    table.put_swap_folio(entry);
    swap_discard_work(table);
}

/// `swap_free()`: drop a page-table reference to `entry`.
#[inline(never)]
pub fn swap_free(entry: SwpEntry) {
    __swap_entry_free(entry);
}

/// `__swap_entry_free()` on the global table: see
/// [`SwapTable::__swap_entry_free`].
#[inline(never)]
pub fn __swap_entry_free(entry: SwpEntry) -> Option<u8> {
    let mut table = swap_lock();
    let usage = table.__swap_entry_free(entry);
    swap_discard_work(table);
    usage
}

/// `__swap_count()`.
pub fn __swap_count(entry: SwpEntry) -> u8 {
    swap_lock().__swap_count(entry)
}

/// `swp_swapcount()`.
pub fn swp_swapcount(entry: SwpEntry) -> u32 {
    swap_lock().swp_swapcount(entry)
}

/// `swap_page_sector()`: the disk sector of an entry's slot. A block
/// device is one extent from sector 0, so slot n is at sector 8n.
pub fn swap_page_sector(entry: SwpEntry) -> u64 {
    swp_offset(entry) << (PAGE_SHIFT - 9)
}

/// `swp_swap_info(entry)->bdev`: the disk of the area `entry` belongs
/// to, for swap I/O; None for an entry of no area.
pub fn swp_swap_bdev(entry: SwpEntry) -> Option<Arc<BlockDevice>> {
    swap_lock()
        .swap_info(swp_type(entry))
        .and_then(|si| si.bdev.as_ref()?.block_device())
}

/// `si_swapinfo()`: (freeswap, totalswap) in pages.
pub fn si_swapinfo() -> (u64, u64) {
    swap_lock().si_swapinfo()
}

/// `nr_swap_pages`: free slots.
pub fn get_nr_swap_pages() -> i64 {
    swap_lock().nr_swap_pages
}

/// `total_swap_pages`.
pub fn total_swap_pages() -> i64 {
    swap_lock().total_swap_pages
}

/// /proc/swaps.
pub fn swaps_proc_show(m: &mut impl Write) -> fmt::Result {
    swap_lock().swaps_show(m)
}

/// `si->max` of area `type_`: its slots, the header included (0 for no
/// area).
pub fn swap_info_max(type_: u32) -> u64 {
    swap_lock().swap_info(type_).map_or(0, |si| si.max as u64)
}

/// Whether `entry` names a slot of an enabled (or draining) area
/// (`get_swap_device` succeeds); a PTE holding anything else is corrupt.
pub fn swap_entry_valid(entry: SwpEntry) -> bool {
    swap_lock().get_swap_device(entry).is_some()
}

/// `folio_free_swap()` (6.1's `try_to_free_swap`): drop a swap-cache
/// page's slot if no page table refers to it and the page is not being
/// written; the page, now the only copy, is dirty. The caller holds the
/// page lock. True if the slot went.
#[inline(never)]
pub fn folio_free_swap(pgdat: &PglistData, page: &Page) -> bool {
    if !page.test(PageFlags::SWAPCACHE) || page.test(PageFlags::WRITEBACK) {
        return false;
    }
    if __swap_count(folio_swap_entry(page)) != 0 {
        return false;
    }
    delete_from_swap_cache(pgdat, page);
    page.set(PageFlags::DIRTY);
    true
}

/// `__try_to_reclaim_swap()` with `TTRS_UNMAPPED | TTRS_FULL`: the slot
/// of `entry` is held only by the swap cache; free it (and the cache's
/// page) if the page is not mapped, or swap is short.
fn __try_to_reclaim_swap(pgdat: &PglistData, entry: SwpEntry) {
    let Some(page) = swap_cache_get(pgdat, entry) else {
        return;
    };
    if folio_trylock(page) {
        if page.mapcount() == 0 || mem_cgroup_swap_full(page) {
            folio_free_swap(pgdat, page);
        }
        folio_unlock(page);
    }
    __free_pages(pgdat, page, 0);
}

/// `free_swap_and_cache()`: a page table's swap entry goes (munmap,
/// exit); when only the swap cache still holds the slot, the cached page
/// may go with it.
#[inline(never)]
pub fn free_swap_and_cache(entry: SwpEntry) {
    if __swap_entry_free(entry) == Some(SWAP_HAS_CACHE) {
        __try_to_reclaim_swap(node_data(0), entry);
    }
}

#[cfg(target_os = "none")]
pub use sys::{sys_swapoff, sys_swapon};

/// The syscalls: the steps that need files, tasks and disks.
#[cfg(target_os = "none")]
mod sys {
    use super::*;
    use crate::block::{
        BLK_OPEN_EXCL, BLK_OPEN_WRITE, Holder, REQ_OP_READ, SECTOR_SHIFT, bio_add_page, bio_alloc,
        blkdev_get_by_dev, blkdev_put, submit_bio_wait,
    };
    use crate::fs::FileType;
    use crate::fs::dcache::d_path;
    use crate::fs::file::filp_open;
    use crate::fs::namei::getname;
    use crate::mm::PhysOps;
    use crate::mm::gfp::Gfp;
    use crate::mm::mmzone::node_data;
    use crate::mm::page::DirectMap;
    use crate::mm::page_alloc::{alloc_pages, free_pages};
    use crate::task::current_fs;
    use crate::uapi::fcntl::{O_LARGEFILE, O_RDWR};

    /// A claimed disk as an area's backing.
    struct SwapBdev(Arc<BlockDevice>);

    impl SwapBacking for SwapBdev {
        fn nr_pages(&self) -> u64 {
            self.0.nr_bytes() >> PAGE_SHIFT
        }

        /// `read_mapping_page()` of the disk: one page read with a bio.
        fn read_page(&self, index: u64, buf: &mut [u8]) -> KResult<()> {
            let page = alloc_pages(Gfp::GFP_KERNEL, 0).ok_or(Errno::ENOMEM)?;
            let mut bio = bio_alloc(&self.0, 1, REQ_OP_READ);
            bio.bi_iter.bi_sector = index << (PAGE_SHIFT - SECTOR_SHIFT);
            bio_add_page(&mut bio, page, PAGE_SIZE as u32, 0);
            let r = submit_bio_wait(bio);
            if r.is_ok() {
                DirectMap.copy_from_page(node_data(0).page_to_pfn(page), 0, buf);
            }
            free_pages(page, 0);
            r
        }

        /// virtio-blk queues are rotational, on Linux as here.
        fn nonrot(&self) -> bool {
            false
        }

        /// The block layer has no REQ_OP_DISCARD: discard is accepted and
        /// ignored, as Linux does for a disk that cannot.
        fn max_discard_sectors(&self) -> u64 {
            0
        }

        fn issue_discard(&self, _sector: u64, _nr_sectors: u64) -> KResult<()> {
            Err(Errno::EOPNOTSUPP)
        }

        fn block_device(&self) -> Option<Arc<BlockDevice>> {
            Some(self.0.clone())
        }
    }

    /// Who claims swap disks (Linux passes the swap_info_struct; one
    /// holder for all areas is enough, as the table refuses a device
    /// that is on already).
    fn swap_holder() -> Holder {
        core::ptr::addr_of!(SWAP_LOCK) as Holder
    }

    /// `claim_swapfile()` and the header read: the disk behind a block
    /// device node, claimed exclusively (EBUSY when someone else holds
    /// it), and its page 0. A regular file is EINVAL: tinymm's file
    /// systems (tmpfs, ramfs) have no `read_folio`, which is where Linux
    /// refuses tmpfs files, silently; other files have none either.
    fn claim_swapfile(inode: &dyn crate::fs::Inode) -> KResult<(DevT, Arc<BlockDevice>, Vec<u8>)> {
        if inode.file_type() != FileType::Blk {
            return Err(Errno::EINVAL);
        }
        let bdev = blkdev_get_by_dev(inode.rdev(), SWAP_OPEN_MODE, swap_holder())?;
        let mut header = vec![0; PAGE_SIZE as usize];
        if let Err(e) = SwapBdev(bdev.clone()).read_page(0, &mut header) {
            blkdev_put(&bdev, SWAP_OPEN_MODE, swap_holder());
            return Err(e);
        }
        Ok((inode.rdev(), bdev, header))
    }

    /// `FMODE_READ | FMODE_WRITE | FMODE_EXCL`.
    const SWAP_OPEN_MODE: u32 = BLK_OPEN_WRITE | BLK_OPEN_EXCL;

    /// `SYSCALL_DEFINE2(swapon)`.
    #[inline(never)]
    pub fn sys_swapon(specialfile: u64, swap_flags: i32) -> KResult<i64> {
        if swap_flags & !SWAP_FLAGS_VALID != 0 {
            return Err(Errno::EINVAL);
        }
        let name = getname(specialfile)?;
        let swap_file = filp_open(&name, O_RDWR | O_LARGEFILE, 0)?;
        let path = d_path(&swap_file.f_path, &current_fs().root());
        let (dev, bdev, header) = claim_swapfile(&**swap_file.f_path.inode())?;
        let backing = Arc::new(SwapBdev(bdev.clone()));
        let on = match setup_swap_area(&path, dev, backing, &header, swap_flags)
            .and_then(|(si, nr_extents)| swap_lock().swapon(si, nr_extents, swap_flags))
        {
            Ok(on) => on,
            Err(e) => {
                blkdev_put(&bdev, SWAP_OPEN_MODE, swap_holder());
                return Err(e);
            }
        };
        let mut line = String::new();
        let t = swap_lock();
        let _ = t.adding_swap_message(&on, &name, &mut line);
        let area_discard = t
            .swap_info(on.type_)
            .filter(|si| si.flags.contains(SwpFlags::SWP_AREA_DISCARD))
            .and_then(|si| Some((si.bdev.clone()?, si.max)));
        drop(t);
        if let Some((bdev, max)) = area_discard {
            discard_swap(&*bdev, max);
        }
        log::info!("{line}");
        Ok(0)
    }

    /// `discard_swap()`: the whole area but the header, at swapon.
    fn discard_swap(bdev: &dyn SwapBacking, max: usize) {
        let per_page = PAGE_SIZE >> 9;
        if let Err(e) = bdev.issue_discard(per_page, (max as u64 - 1) * per_page) {
            log::error!("swapon: discard_swap: {}", -(e as i32));
        }
    }

    /// The area's slots in use (`si->inuse_pages`).
    fn inuse_pages(type_: u32) -> usize {
        swap_lock().swap_info(type_).map_or(0, |si| si.inuse_pages)
    }

    /// `try_to_unuse()`: bring every page swapped out to area `type_` back
    /// into memory — each mm's swap entries (`unuse_mm`), then the swap
    /// cache's pages nobody maps — until no slot is in use. ENOMEM when a
    /// page cannot be had, EIO when one cannot be read, EINTR on a signal;
    /// swapoff then puts the area back.
    #[inline(never)]
    fn try_to_unuse(type_: u32) -> KResult<()> {
        use crate::mm::filemap::{folio_lock, folio_wait_writeback};
        use crate::mm::memory::unuse_mm;
        use crate::task::signal::signal_pending;

        let pgdat = node_data(0);
        let me = crate::task::current();
        while inuse_pages(type_) != 0 {
            let mut mms: Vec<Arc<crate::mm::mm_types::MmStruct>> = Vec::new();
            crate::task::for_each_process(|t| {
                if let Some(mm) = t.mm.lock_irqsave().clone()
                    && !mms.iter().any(|m| Arc::ptr_eq(m, &mm))
                {
                    mms.push(mm);
                }
            });
            for mm in mms {
                if inuse_pages(type_) == 0 || signal_pending(&me) {
                    break;
                }
                unuse_mm(&mm, type_)?;
            }
            let mut i = 0;
            while inuse_pages(type_) != 0 && !signal_pending(&me) {
                i = swap_lock().find_next_to_unuse(type_, i);
                if i == 0 {
                    break;
                }
                let Some(page) = swap_cache_get(pgdat, swp_entry(type_, i as u64)) else {
                    continue;
                };
                folio_lock(page);
                folio_wait_writeback(page);
                folio_free_swap(pgdat, page);
                folio_unlock(page);
                __free_pages(pgdat, page, 0);
            }
            if inuse_pages(type_) != 0 && signal_pending(&me) {
                return Err(Errno::EINTR);
            }
        }
        Ok(())
    }

    /// `SYSCALL_DEFINE1(swapoff)`: EINVAL unless `specialfile` is an area
    /// that is on.
    #[inline(never)]
    pub fn sys_swapoff(specialfile: u64) -> KResult<i64> {
        let name = getname(specialfile)?;
        let victim = filp_open(&name, O_RDWR | O_LARGEFILE, 0)?;
        let inode = victim.f_path.inode();
        if inode.file_type() != FileType::Blk {
            return Err(Errno::EINVAL);
        }
        let type_ = swap_lock().swapoff_begin(inode.rdev())?;
        if let Err(e) = try_to_unuse(type_) {
            swap_lock().swapoff_abort(type_);
            return Err(e);
        }
        // The map is freed when `old` goes, after the lock.
        let old = swap_lock().swapoff_end(type_);
        if let Some(bdev) = old.bdev.as_ref().and_then(|b| b.block_device()) {
            blkdev_put(&bdev, SWAP_OPEN_MODE, swap_holder());
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests;
