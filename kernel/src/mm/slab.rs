//! The kernel heap, in the role of Linux's slab allocators (mm/slub.c,
//! mm/slab_common.c): `kmalloc`-style memory carved out of buddy pages, so
//! that kernel objects show up in the page allocator's numbers as they do
//! in Linux.
//!
//! Each arena is one max-order block (4 MiB) from `alloc_pages`, managed
//! by linked_list_allocator; a new arena is taken when the others are full.
//! Left out: per-size caches, per-CPU slabs, giving arenas back.

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

pub struct KernelHeap {
    arenas: SpinLock<[Heap; MAX_ARENAS]>,
}

#[global_allocator]
static KMALLOC: KernelHeap = KernelHeap {
    arenas: SpinLock::new([const { Heap::empty() }; MAX_ARENAS]),
};

/// `allocate_slab()`: give `heap` a fresh arena of buddy pages; false if
/// the page allocator is out.
#[inline(never)]
fn allocate_slab(heap: &mut Heap) -> bool {
    let Some(page) = alloc_pages(Gfp::GFP_KERNEL, ARENA_ORDER) else {
        return false;
    };
    let pfn = node_data(0).page_to_pfn(page);
    // SAFETY: the block of 2^ARENA_ORDER pages was just allocated for the
    // heap alone and is never freed; the direct map covers it.
    unsafe { heap.init(DirectMap::va(pfn << PAGE_SHIFT), ARENA_BYTES) };
    true
}

/// `kmem_cache_init()`: the first arena, taken at boot from the buddy
/// allocator before anything in the kernel allocates.
#[inline(never)]
pub fn kmem_cache_init() {
    let mut arenas = KMALLOC.arenas.lock_irqsave();
    assert!(
        allocate_slab(&mut arenas[0]),
        "no memory for the kernel heap"
    );
}

// SAFETY: every pointer handed out comes from one arena's allocator and
// goes back to the arena whose range contains it, under the lock.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut arenas = self.arenas.lock_irqsave();
        for heap in arenas.iter_mut().filter(|h| h.size() != 0) {
            if let Ok(p) = heap.allocate_first_fit(layout) {
                return p.as_ptr();
            }
        }
        // Too big for any arena: fail as kmalloc fails above its largest size.
        if layout.size() + layout.align() > ARENA_BYTES {
            return null_mut();
        }
        let Some(heap) = arenas.iter_mut().find(|h| h.size() == 0) else {
            return null_mut();
        };
        if !allocate_slab(heap) {
            return null_mut();
        }
        heap.allocate_first_fit(layout)
            .map_or(null_mut(), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let mut arenas = self.arenas.lock_irqsave();
        let heap = arenas
            .iter_mut()
            .find(|h| h.size() != 0 && h.bottom() <= ptr && ptr < h.top())
            .expect("kfree of a pointer that no arena handed out");
        // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` with
        // this layout, and it lies in this arena.
        unsafe { heap.deallocate(NonNull::new_unchecked(ptr), layout) };
    }
}
