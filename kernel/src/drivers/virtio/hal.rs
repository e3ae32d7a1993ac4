//! The DMA side of the virtio rings (drivers/virtio/virtio_ring.c's
//! `vring_alloc_queue` and `vring_map_one_sg`, over kernel/dma/direct.c)
//! as the virtio-drivers crate's `Hal`: ring memory is zeroed buddy pages
//! seen through the direct map (`dma_direct_alloc`), and a buffer handed
//! to the device is its physical address (`dma_direct_map_page` without
//! an IOMMU). Buffers in the direct map translate by subtraction; others
//! (the boot stack, the kernel image) by a page-table walk. An audited
//! module: the `Hal` contract is `unsafe`.

use core::ptr::NonNull;

use virtio_drivers::{BufferDirection, Hal, PhysAddr};

use crate::arch::x86_64::PAGE_OFFSET;
use crate::arch::x86_64::pgtable::slow_virt_to_phys;
use crate::mm::gfp::Gfp;
use crate::mm::mmzone::node_data;
use crate::mm::page::{DirectMap, PAGE_SHIFT, PAGE_SIZE};
use crate::mm::page_alloc::{alloc_pages, free_pages};

/// The end of the direct map: physical memory is mapped up to here.
fn direct_map_end() -> u64 {
    let pgdat = node_data(0);
    PAGE_OFFSET + ((pgdat.node_start_pfn + pgdat.node_spanned_pages) << PAGE_SHIFT)
}

/// `virt_to_phys()` of a buffer a device will read or write: it must lie
/// in physically contiguous memory, which holds for the direct map and
/// is checked page by page elsewhere.
pub fn dma_map_single(vaddr: u64, len: usize) -> PhysAddr {
    if (PAGE_OFFSET..direct_map_end()).contains(&vaddr) {
        return vaddr - PAGE_OFFSET;
    }
    let phys = slow_virt_to_phys(vaddr).expect("DMA buffer not mapped");
    let mut page = vaddr & !(PAGE_SIZE - 1);
    while page + PAGE_SIZE < vaddr + len as u64 {
        page += PAGE_SIZE;
        assert_eq!(
            slow_virt_to_phys(page),
            Some(phys + (page - vaddr)),
            "DMA buffer spans non-contiguous frames"
        );
    }
    phys
}

/// The crate's platform hooks for tinymm.
pub struct VirtioHal;

// SAFETY: `dma_alloc` returns zeroed, physically contiguous pages the
// caller owns until `dma_dealloc`, with their direct-map address; `share`
// returns the physical address of the very memory the buffer occupies
// (the device sees what the CPU sees: no bounce, no IOMMU, coherent).
unsafe impl Hal for VirtioHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let order = pages.next_power_of_two().trailing_zeros() as usize;
        let Some(page) = alloc_pages(Gfp::GFP_KERNEL | Gfp::__GFP_ZERO, order) else {
            return (0, NonNull::dangling());
        };
        let phys = node_data(0).page_to_pfn(page) << PAGE_SHIFT;
        let vaddr = NonNull::new(DirectMap::va(phys)).expect("direct map is not null");
        (phys, vaddr)
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        let order = pages.next_power_of_two().trailing_zeros() as usize;
        free_pages(node_data(0).pfn_to_page(paddr >> PAGE_SHIFT), order);
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, _size: usize) -> NonNull<u8> {
        // The bootloader maps the first 4 GiB (the PCI hole included) at
        // PAGE_OFFSET; the BARs QEMU's firmware assigns lie there.
        assert!(paddr < 1 << 32, "BAR above 4 GiB is not mapped");
        NonNull::new(DirectMap::va(paddr)).expect("direct map is not null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        dma_map_single(buffer.as_ptr().cast::<u8>() as u64, buffer.len())
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}
