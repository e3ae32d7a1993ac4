//! The kernel binary: the bootloader crate's entry point (UEFI,
//! `tinymm run --uefi`) and the panic handler. The PVH entry that
//! `-kernel` uses, `pvh_start_xen`, lives in the library
//! (arch/x86_64/platform/pvh.rs); both end in `start_kernel` with a
//! `BootParams`. Everything else lives in the `kernel` library.
#![no_std]
#![no_main]

use bootloader_api::BootInfo;
use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::info::MemoryRegionKind;
use kernel::arch::x86_64::setup::{
    BootParams, E820_MAX_ENTRIES, E820_TYPE_RAM, E820_TYPE_RESERVED, E820_TYPE_RESERVED_KERN,
    E820Entry, set_boot_params,
};
use kernel::arch::x86_64::{KERNEL_STACK_SIZE, PAGE_OFFSET, VMALLOC_START};

/// Physical memory at Linux's direct-map base, so addresses in tinymm
/// read like Linux's. The kernel is an ET_EXEC linked at
/// `__START_KERNEL_map` + 16 MiB (vmlinux.lds), which the bootloader
/// maps at its link address (`kernel_base` must stay dynamic for that).
pub static BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.physical_memory = Some(Mapping::FixedAddress(PAGE_OFFSET));
    config.kernel_stack_size = KERNEL_STACK_SIZE;
    config.mappings.dynamic_range_start = Some(VMALLOC_START);
    config
};

bootloader_api::entry_point!(kernel_main, config = &BOOTLOADER_CONFIG);

/// The bootloader's memory map as E820 entries; what the bootloader
/// used (the kernel's frames among them) stays reserved.
fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    let mut bp = BootParams::new();
    // UEFI's map lists every allocation: adjacent regions of one type
    // merge (Linux's `e820__update_table`) to fit the table.
    let mut n = 0;
    for r in boot_info.memory_regions.iter() {
        let type_ = match r.kind {
            MemoryRegionKind::Usable => E820_TYPE_RAM,
            MemoryRegionKind::Bootloader => E820_TYPE_RESERVED_KERN,
            _ => E820_TYPE_RESERVED,
        };
        if n > 0 {
            let last: &mut E820Entry = &mut bp.e820_table[n - 1];
            if last.type_ == type_ && last.addr + last.size == r.start {
                last.size = r.end - last.addr;
                continue;
            }
        }
        assert!(
            n < E820_MAX_ENTRIES,
            "tinymm: more than {E820_MAX_ENTRIES} memory regions"
        );
        bp.e820_table[n] = E820Entry {
            addr: r.start,
            size: r.end - r.start,
            type_,
        };
        n += 1;
    }
    bp.e820_entries = n;
    bp.acpi_rsdp_addr = boot_info.rsdp_addr.into_option().unwrap_or(0);
    if let Some(addr) = boot_info.ramdisk_addr.into_option() {
        // SAFETY: the bootloader mapped `ramdisk_len` bytes at `addr` and
        // marked the frames as used; nothing in tinymm writes to or
        // frees them.
        bp.initrd = Some(unsafe {
            core::slice::from_raw_parts(addr as *const u8, boot_info.ramdisk_len as usize)
        });
    }
    // The bootloader maps all physical memory (and at least 4 GiB).
    bp.direct_mapped_end = u64::MAX;
    kernel::init::start_kernel(set_boot_params(bp))
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::arch::x86_64::panic(info)
}
