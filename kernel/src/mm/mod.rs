//! Linux's mm/, one file per Linux file mirrored.
//!
//! Everything here but the direct-map glue (`page::DirectMap`) and the
//! kernel heap (`slab`) is hardware-independent and tested on the host.

pub mod filemap;
pub mod gfp;
#[cfg(target_os = "none")]
pub mod madvise;
pub mod memblock;
pub mod memcontrol;
#[cfg(target_os = "none")]
pub mod memory;
#[cfg(target_os = "none")]
pub mod mlock;
pub mod mm_init;
#[cfg(target_os = "none")]
pub mod mm_types;
pub mod mmap;
pub mod mmzone;
#[cfg(target_os = "none")]
pub mod mprotect;
#[cfg(target_os = "none")]
pub mod mremap;
#[cfg(target_os = "none")]
pub mod msync;
pub mod oom_kill;
pub mod page;
pub mod page_alloc;
pub mod page_counter;
#[cfg(target_os = "none")]
pub mod page_io;
pub mod readahead;
pub mod rmap;
pub mod shmem;
#[cfg(target_os = "none")]
pub mod slab;
pub mod swap;
pub mod swap_cgroup;
pub mod swap_state;
pub mod swapfile;
pub mod swapops;
pub mod vmscan;
pub mod vmstat;
pub mod workingset;

/// What only the machine can do to a frame's contents; host tests supply
/// a simulated memory.
pub trait PhysOps: Sync {
    /// Fill the frame with zeroes (Linux's `clear_page`).
    fn clear_page(&self, pfn: u64);
    /// Copy `src` into the frame at `offset` (`memcpy_to_page`).
    fn copy_to_page(&self, pfn: u64, offset: usize, src: &[u8]);
    /// Copy from the frame at `offset` into `dst` (`memcpy_from_page`).
    fn copy_from_page(&self, pfn: u64, offset: usize, dst: &mut [u8]);
    /// `folio_referenced()`: test and clear the accessed bit of every page
    /// table entry mapping the page (found through the reverse map);
    /// returns how many were set and whether a mapping is executable.
    /// In cgroup reclaim only mappings of mms whose owner is in the
    /// target memcg's subtree count (and are cleared).
    fn folio_referenced(
        &self,
        page: &page::Page,
        memcg: Option<&memcontrol::MemCgroup>,
    ) -> (u32, bool);
    /// `try_to_unmap()`: remove every mapping of the page; false if one
    /// could not be removed (mlocked, or its mm busy).
    fn try_to_unmap(&self, page: &page::Page) -> bool;
    /// Copy a whole frame (`copy_highpage`).
    fn copy_page(&self, dst_pfn: u64, src_pfn: u64) {
        let mut buf = [0u8; page::PAGE_SIZE as usize];
        self.copy_from_page(src_pfn, 0, &mut buf);
        self.copy_to_page(dst_pfn, 0, &buf);
    }
}

#[cfg(test)]
pub mod testing;
