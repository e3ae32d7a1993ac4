//! Virtual memory layout constants; mirrors arch/x86/include/asm/page_64_types.h.
//!
//! This file has no dependencies on purpose: the host program (`boot/`)
//! includes it with `#[path]` so the kernel, its bootloader configuration and
//! gdb's `symbol-file -o` all use the same numbers.

/// Base of the direct map of all physical memory (Linux's `__PAGE_OFFSET`
/// with 4-level paging). The bootloader maps physical memory here.
pub const PAGE_OFFSET: u64 = 0xffff_8880_0000_0000;

/// Where the kernel ELF (a PIE linked at 0) is loaded: Linux's
/// `__START_KERNEL_map`. It lies in the top 2 GiB, which the kernel code
/// model of x86_64-unknown-none needs.
pub const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;

/// Size of the boot kernel stack (Linux uses 16 KiB; reclaim paths under
/// debug builds nest deeper, so be generous).
pub const KERNEL_STACK_SIZE: u64 = 256 * 1024;

/// Where the bootloader puts what it maps dynamically (boot info, the boot
/// stack, the ramdisk): Linux's vmalloc area, so the lower half stays free
/// for user address spaces.
pub const VMALLOC_START: u64 = 0xffff_c900_0000_0000;
