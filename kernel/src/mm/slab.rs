//! The kernel heap, in the role of Linux's slab allocators (mm/slub.c,
//! mm/slab_common.c): `kmalloc`-style memory carved out of buddy pages, so
//! that kernel objects show up in the page allocator's numbers as they do
//! in Linux.
//!
//! Each arena is one max-order block (4 MiB) from `alloc_pages`, managed
//! by linked_list_allocator; a new arena is taken when the others are full.
//! Objects of up to 2 KiB come from the `kmalloc-8` … `kmalloc-2048`
//! caches: power-of-two size classes, each a free list of objects carved
//! from 16 KiB slabs taken from the arenas, so the hot small allocations
//! (page-cache tree nodes, reclaim's folio lists) cost a list pop instead
//! of a first-fit search of a fragmented arena. Left out: per-CPU slabs,
//! giving slabs and arenas back.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{NonNull, null_mut};

use linked_list_allocator::Heap;

use super::gfp::Gfp;
use super::mmzone::{MAX_PAGE_ORDER, node_data};
use super::page::{DirectMap, PAGE_SHIFT};
use super::page_alloc::alloc_pages;
use crate::sync::SpinLock;

const ARENA_ORDER: usize = MAX_PAGE_ORDER;
const ARENA_BYTES: usize = 1 << (ARENA_ORDER + PAGE_SHIFT as usize);
/// 64 arenas of 4 MiB: at most 256 MiB of kernel heap.
const MAX_ARENAS: usize = 64;

/// `kmalloc-8` … `kmalloc-2048`.
const KMALLOC_SHIFT_LOW: u32 = 3;
const KMALLOC_SHIFT_HIGH: u32 = 11;
const NR_KMALLOC_CACHES: usize = (KMALLOC_SHIFT_HIGH - KMALLOC_SHIFT_LOW + 1) as usize;
/// What one cache takes from an arena at a time.
const SLAB_BYTES: usize = 16 << 10;

struct Kmem {
    arenas: [Heap; MAX_ARENAS],
    /// Each cache's free objects: the address of the first, each holding
    /// the address of the next (0 ends the list).
    freelist: [usize; NR_KMALLOC_CACHES],
}

pub struct KernelHeap {
    kmem: SpinLock<Kmem>,
}

#[global_allocator]
static KMALLOC: KernelHeap = KernelHeap {
    kmem: SpinLock::new(Kmem {
        arenas: [const { Heap::empty() }; MAX_ARENAS],
        freelist: [0; NR_KMALLOC_CACHES],
    }),
};

/// Pages the arenas hold (`NR_SLAB_UNRECLAIMABLE_B` in pages: nothing in
/// the heap can be shrunk, and arenas are never given back).
static SLAB_PAGES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The kernel heap's pages, /proc/meminfo's `Slab:` and `SUnreclaim:`.
pub fn slab_unreclaimable_pages() -> u64 {
    SLAB_PAGES.load(core::sync::atomic::Ordering::Relaxed)
}

/// `kmalloc_index()`: the cache for `layout`, None above 2 KiB.
fn kmalloc_index(layout: Layout) -> Option<usize> {
    let size = layout
        .size()
        .max(layout.align())
        .max(1 << KMALLOC_SHIFT_LOW);
    let shift = size.next_power_of_two().trailing_zeros();
    (shift <= KMALLOC_SHIFT_HIGH).then(|| (shift - KMALLOC_SHIFT_LOW) as usize)
}

/// `allocate_slab()`: give `heap` a fresh arena of buddy pages; false if
/// the page allocator is out.
#[inline(never)]
fn allocate_slab(heap: &mut Heap) -> bool {
    let Some(page) = alloc_pages(Gfp::GFP_KERNEL, ARENA_ORDER) else {
        return false;
    };
    let pfn = node_data(0).page_to_pfn(page);
    SLAB_PAGES.fetch_add(1 << ARENA_ORDER, core::sync::atomic::Ordering::Relaxed);
    // SAFETY: the block of 2^ARENA_ORDER pages was just allocated for the
    // heap alone and is never freed; the direct map covers it.
    unsafe { heap.init(DirectMap::va(pfn << PAGE_SHIFT), ARENA_BYTES) };
    true
}

/// `kmem_cache_init()`: the first arena, taken at boot from the buddy
/// allocator before anything in the kernel allocates.
#[inline(never)]
pub fn kmem_cache_init() {
    let mut kmem = KMALLOC.kmem.lock_irqsave();
    assert!(
        allocate_slab(&mut kmem.arenas[0]),
        "no memory for the kernel heap"
    );
}

impl Kmem {
    /// First fit in the arenas, taking a new arena when they are full.
    fn arena_alloc(&mut self, layout: Layout) -> *mut u8 {
        for heap in self.arenas.iter_mut().filter(|h| h.size() != 0) {
            if let Ok(p) = heap.allocate_first_fit(layout) {
                return p.as_ptr();
            }
        }
        // Too big for any arena: fail as kmalloc fails above its largest size.
        if layout.size() + layout.align() > ARENA_BYTES {
            return null_mut();
        }
        let Some(heap) = self.arenas.iter_mut().find(|h| h.size() == 0) else {
            return null_mut();
        };
        if !allocate_slab(heap) {
            return null_mut();
        }
        heap.allocate_first_fit(layout)
            .map_or(null_mut(), NonNull::as_ptr)
    }

    /// An object of cache `index`: pop the free list, refilling it with a
    /// new slab's objects when empty.
    fn cache_alloc(&mut self, index: usize) -> *mut u8 {
        let size = 1usize << (index as u32 + KMALLOC_SHIFT_LOW);
        if self.freelist[index] == 0 {
            let Ok(layout) = Layout::from_size_align(SLAB_BYTES, size) else {
                return null_mut();
            };
            let slab = self.arena_alloc(layout);
            if slab.is_null() {
                return null_mut();
            }
            for offset in (0..SLAB_BYTES).step_by(size).rev() {
                // SAFETY: the slab is ours alone, each object is `size`
                // (≥ 8) bytes inside it and aligned to `size`.
                unsafe { slab.add(offset).cast::<usize>().write(self.freelist[index]) };
                self.freelist[index] = slab as usize + offset;
            }
        }
        let object = self.freelist[index] as *mut u8;
        // SAFETY: a free object's first word holds the next free one.
        self.freelist[index] = unsafe { object.cast::<usize>().read() };
        object
    }
}

// SAFETY: every pointer handed out comes from one arena's allocator and
// goes back to the arena whose range contains it, under the lock.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut kmem = self.kmem.lock_irqsave();
        match kmalloc_index(layout) {
            Some(index) => kmem.cache_alloc(index),
            None => kmem.arena_alloc(layout),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let mut kmem = self.kmem.lock_irqsave();
        if let Some(index) = kmalloc_index(layout) {
            // SAFETY: GlobalAlloc's contract: `ptr` is an object of this
            // cache (same layout), no longer used; it becomes the head.
            unsafe { ptr.cast::<usize>().write(kmem.freelist[index]) };
            kmem.freelist[index] = ptr as usize;
            return;
        }
        let heap = kmem
            .arenas
            .iter_mut()
            .find(|h| h.size() != 0 && h.bottom() <= ptr && ptr < h.top())
            .expect("kfree of a pointer that no arena handed out");
        // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` with
        // this layout, and it lies in this arena.
        unsafe { heap.deallocate(NonNull::new_unchecked(ptr), layout) };
    }
}
