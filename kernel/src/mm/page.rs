//! `struct page` and the `mem_map` array (include/linux/mm_types.h,
//! include/linux/page-flags.h, FLATMEM's `pfn_to_page`).
//!
//! One 64-byte entry per physical frame from pfn 0 to `max_pfn`, holes
//! included, found by PFN arithmetic. Fields are atomics so that the array
//! can be shared; list links hold PFNs instead of pointers. Left out:
//! folios larger than a page, page_type, compound heads.

use core::sync::atomic::{AtomicI32, AtomicU64, Ordering::Relaxed};

use bitflags::bitflags;

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

/// `PAGE_ALIGN()`: round up to a page boundary; None on overflow.
pub fn page_align(x: u64) -> Option<u64> {
    x.checked_add(PAGE_SIZE - 1).map(|v| v & !(PAGE_SIZE - 1))
}

/// Low bit of `mapping` marking an anonymous page (`PAGE_MAPPING_ANON`);
/// the rest identifies its address space.
pub const PAGE_MAPPING_ANON: u64 = 0x1;

/// "No page" in a PFN-linked list.
pub const NIL_PFN: u64 = u64::MAX;

bitflags! {
    /// Linux's `enum pageflags`, the subset tinymm uses.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PageFlags: u64 {
        const LOCKED = 1 << 0;
        const REFERENCED = 1 << 2;
        const UPTODATE = 1 << 3;
        const DIRTY = 1 << 4;
        const LRU = 1 << 5;
        const ACTIVE = 1 << 7;
        const WORKINGSET = 1 << 8;
        /// `PG_swapcache` (`PG_owner_priv_1`): in the swap cache, with
        /// the swap entry in `private`.
        const SWAPCACHE = 1 << 9;
        const RESERVED = 1 << 10;
        const PRIVATE = 1 << 11;
        const WRITEBACK = 1 << 13;
        /// `PG_reclaim`: written back for reclaim, rotated to the tail
        /// of the inactive list when the write ends; on a page fresh from
        /// swap readahead it is `PG_readahead` (Linux's alias).
        const RECLAIM = 1 << 18;
        /// `PG_readahead`: reaching this page of the page cache starts
        /// the next readahead window (mm/readahead.rs). Linux's alias of
        /// PG_reclaim, which only pages under writeback carry.
        const READAHEAD = 1 << 18;
        const SWAPBACKED = 1 << 19;
        const UNEVICTABLE = 1 << 20;
        const MLOCKED = 1 << 21;
        /// Free and in the buddy allocator; Linux keeps this in page_type.
        const BUDDY = 1 << 30;
    }
}

/// The zone number lives in the top bits of `flags`, as Linux's
/// `ZONES_PGSHIFT`/`page_zonenum()`.
const ZONES_PGSHIFT: u32 = 60;
const ZONES_MASK: u64 = 0x7;

/// One physical frame's metadata, 64 bytes like Linux's.
#[repr(C, align(64))]
pub struct Page {
    flags: AtomicU64,
    /// `lru.next` / `lru.prev`: free-list or LRU links, as PFNs.
    lru_next: AtomicU64,
    lru_prev: AtomicU64,
    pub mapping: AtomicU64,
    pub index: AtomicU64,
    /// Buddy order while on a free list (`page_private`).
    private: AtomicU64,
    refcount: AtomicI32,
    mapcount: AtomicI32,
    /// Owning memory cgroup, for the memcg issue.
    pub memcg_data: AtomicU64,
}

const _: () = assert!(core::mem::size_of::<Page>() == 64);

impl Page {
    /// `__init_single_page` followed by `SetPageReserved`: every frame
    /// starts reserved until memblock hands it to the buddy allocator.
    pub const fn new_reserved(zone: usize) -> Self {
        Self {
            flags: AtomicU64::new(PageFlags::RESERVED.bits() | ((zone as u64) << ZONES_PGSHIFT)),
            lru_next: AtomicU64::new(NIL_PFN),
            lru_prev: AtomicU64::new(NIL_PFN),
            mapping: AtomicU64::new(0),
            index: AtomicU64::new(0),
            private: AtomicU64::new(0),
            refcount: AtomicI32::new(1),
            mapcount: AtomicI32::new(-1),
            memcg_data: AtomicU64::new(0),
        }
    }

    pub fn flags(&self) -> PageFlags {
        PageFlags::from_bits_truncate(self.flags.load(Relaxed))
    }

    pub fn test(&self, f: PageFlags) -> bool {
        self.flags().contains(f)
    }

    pub fn set(&self, f: PageFlags) {
        self.flags.fetch_or(f.bits(), Relaxed);
    }

    /// `test_and_set_bit()` of one flag: set it, true if it was clear.
    pub fn test_and_set(&self, f: PageFlags) -> bool {
        self.flags.fetch_or(f.bits(), Relaxed) & f.bits() == 0
    }

    /// `test_and_clear_bit()` of one flag: clear it, true if it was set.
    pub fn test_and_clear(&self, f: PageFlags) -> bool {
        self.flags.fetch_and(!f.bits(), Relaxed) & f.bits() != 0
    }

    pub fn clear(&self, f: PageFlags) {
        self.flags.fetch_and(!f.bits(), Relaxed);
    }

    /// `page_zonenum()`.
    pub fn zonenum(&self) -> usize {
        ((self.flags.load(Relaxed) >> ZONES_PGSHIFT) & ZONES_MASK) as usize
    }

    pub fn lru_next(&self) -> u64 {
        self.lru_next.load(Relaxed)
    }

    pub fn lru_prev(&self) -> u64 {
        self.lru_prev.load(Relaxed)
    }

    pub fn set_lru_links(&self, prev: u64, next: u64) {
        self.lru_prev.store(prev, Relaxed);
        self.lru_next.store(next, Relaxed);
    }

    pub fn set_lru_next(&self, next: u64) {
        self.lru_next.store(next, Relaxed);
    }

    pub fn set_lru_prev(&self, prev: u64) {
        self.lru_prev.store(prev, Relaxed);
    }

    pub fn private(&self) -> u64 {
        self.private.load(Relaxed)
    }

    pub fn set_private(&self, v: u64) {
        self.private.store(v, Relaxed);
    }

    /// `page_ref_count()`.
    pub fn refcount(&self) -> i32 {
        self.refcount.load(Relaxed)
    }

    /// `set_page_count()`.
    pub fn set_refcount(&self, v: i32) {
        self.refcount.store(v, Relaxed);
    }

    /// `get_page()`.
    pub fn get(&self) {
        self.refcount.fetch_add(1, Relaxed);
    }

    /// `put_page_testzero()`: drop a reference, true if it was the last.
    /// Returns None when the count was already zero (a double free).
    pub fn put_testzero(&self) -> Option<bool> {
        self.refcount
            .try_update(Relaxed, Relaxed, |c| (c > 0).then(|| c - 1))
            .ok()
            .map(|old| old == 1)
    }

    /// `page_mapcount()`: number of page tables mapping the frame.
    pub fn mapcount(&self) -> i32 {
        self.mapcount.load(Relaxed) + 1
    }

    /// One more page table maps the frame; true if it is the first
    /// (`atomic_inc_and_test(&page->_mapcount)`).
    pub fn inc_mapcount(&self) -> bool {
        self.mapcount.fetch_add(1, Relaxed) == -1
    }

    /// One page table fewer; true if none is left
    /// (`atomic_add_negative(-1, &page->_mapcount)`).
    pub fn dec_mapcount(&self) -> bool {
        self.mapcount.fetch_sub(1, Relaxed) == 0
    }
}

/// A list of pages threaded through their `lru` links by PFN (Linux's
/// `struct list_head` on `page->lru`): the buddy free lists and the LRU
/// lists. `head` is the young end, `tail` the old one.
#[derive(Clone, Copy, Debug)]
pub struct PageList {
    pub head: u64,
    pub tail: u64,
    pub len: u64,
}

impl PageList {
    pub const EMPTY: PageList = PageList {
        head: NIL_PFN,
        tail: NIL_PFN,
        len: 0,
    };

    /// `list_add()` (or `list_add_tail()` with `to_tail`).
    pub fn add(&mut self, map: &MemMap, pfn: u64, to_tail: bool) {
        let page = map.pfn_to_page(pfn);
        if to_tail && self.tail != NIL_PFN {
            page.set_lru_links(self.tail, NIL_PFN);
            map.pfn_to_page(self.tail).set_lru_next(pfn);
            self.tail = pfn;
        } else {
            page.set_lru_links(NIL_PFN, self.head);
            match self.head {
                NIL_PFN => self.tail = pfn,
                head => map.pfn_to_page(head).set_lru_prev(pfn),
            }
            self.head = pfn;
        }
        self.len += 1;
    }

    /// `list_del()`.
    pub fn del(&mut self, map: &MemMap, pfn: u64) {
        let page = map.pfn_to_page(pfn);
        let (prev, next) = (page.lru_prev(), page.lru_next());
        match prev {
            NIL_PFN => self.head = next,
            p => map.pfn_to_page(p).set_lru_next(next),
        }
        match next {
            NIL_PFN => self.tail = prev,
            n => map.pfn_to_page(n).set_lru_prev(prev),
        }
        page.set_lru_links(NIL_PFN, NIL_PFN);
        self.len -= 1;
    }
}

/// The `mem_map` array: `struct page` for every PFN below `max_pfn`.
#[derive(Clone, Copy)]
pub struct MemMap {
    pages: &'static [Page],
}

impl MemMap {
    pub fn new(pages: &'static [Page]) -> Self {
        Self { pages }
    }

    /// Number of PFNs covered (`max_pfn`).
    pub fn max_pfn(&self) -> u64 {
        self.pages.len() as u64
    }

    /// `pfn_to_page()`.
    pub fn pfn_to_page(&self, pfn: u64) -> &'static Page {
        &self.pages[pfn as usize]
    }

    /// `page_to_pfn()`: the entry's index in the array.
    pub fn page_to_pfn(&self, page: &Page) -> u64 {
        let base = self.pages.as_ptr() as usize;
        let addr = page as *const Page as usize;
        debug_assert!(addr >= base && addr < base + self.pages.len() * 64);
        ((addr - base) / core::mem::size_of::<Page>()) as u64
    }
}

/// Frames seen through the bootloader's map of all physical memory at
/// `PAGE_OFFSET` (Linux's direct map).
#[cfg(target_os = "none")]
pub struct DirectMap;

#[cfg(target_os = "none")]
impl DirectMap {
    /// `__va()`: the direct-map address of a physical address.
    pub fn va(phys: u64) -> *mut u8 {
        (crate::arch::x86_64::PAGE_OFFSET + phys) as *mut u8
    }

    /// Build the `mem_map` array in frames that memblock reserved for it.
    pub fn mem_map_at(phys: u64, max_pfn: u64, zone_of: impl Fn(u64) -> usize) -> MemMap {
        let base = Self::va(phys) as *mut Page;
        for pfn in 0..max_pfn {
            // SAFETY: memblock reserved `max_pfn * 64` bytes at `phys` for
            // this array alone; the direct map covers all physical memory
            // and `base` is 64-byte aligned (the region is page aligned).
            unsafe {
                base.add(pfn as usize)
                    .write(Page::new_reserved(zone_of(pfn)))
            };
        }
        // SAFETY: every entry was initialised above and the frames stay
        // reserved (never handed to the buddy allocator) for the kernel's life.
        MemMap::new(unsafe { core::slice::from_raw_parts(base, max_pfn as usize) })
    }
}

#[cfg(target_os = "none")]
impl crate::mm::PhysOps for DirectMap {
    fn clear_page(&self, pfn: u64) {
        // SAFETY: the frame belongs to the caller (just allocated) and the
        // direct map covers it.
        unsafe { core::ptr::write_bytes(Self::va(pfn << PAGE_SHIFT), 0, PAGE_SIZE as usize) };
    }

    fn copy_to_page(&self, pfn: u64, offset: usize, src: &[u8]) {
        assert!(offset + src.len() <= PAGE_SIZE as usize);
        // SAFETY: the range lies inside the frame (asserted); the caller
        // owns the frame; `src` is kernel memory that cannot overlap it
        // through a different mapping while we hold the page.
        unsafe {
            let dst = Self::va(pfn << PAGE_SHIFT).add(offset);
            core::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len())
        };
    }

    fn folio_referenced(
        &self,
        page: &Page,
        memcg: Option<&crate::mm::memcontrol::MemCgroup>,
    ) -> (u32, bool) {
        crate::mm::rmap::folio_referenced(page, memcg)
    }

    fn try_to_unmap(&self, page: &Page) -> bool {
        crate::mm::rmap::try_to_unmap(page)
    }

    fn copy_from_page(&self, pfn: u64, offset: usize, dst: &mut [u8]) {
        assert!(offset + dst.len() <= PAGE_SIZE as usize);
        // SAFETY: as in copy_to_page, in the other direction.
        unsafe {
            let src = Self::va(pfn << PAGE_SHIFT).add(offset);
            core::ptr::copy_nonoverlapping(src, dst.as_mut_ptr(), dst.len())
        };
    }
}
