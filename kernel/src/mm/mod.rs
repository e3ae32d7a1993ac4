//! Linux's mm/, one file per Linux file mirrored.
//!
//! Everything here but the direct-map glue (`page::DirectMap`) and the
//! kernel heap (`slab`) is hardware-independent and tested on the host.

pub mod gfp;
pub mod memblock;
pub mod mm_init;
#[cfg(target_os = "none")]
pub mod mm_types;
pub mod mmzone;
pub mod page;
pub mod page_alloc;
#[cfg(target_os = "none")]
pub mod slab;
pub mod vmstat;

/// What only the machine can do to a frame; host tests supply their own.
pub trait PhysOps: Sync {
    /// Fill the frame with zeroes (Linux's `clear_page`).
    fn clear_page(&self, pfn: u64);
}
