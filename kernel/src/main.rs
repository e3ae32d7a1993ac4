//! The kernel binary: the bootloader's entry point and the panic handler.
//! Everything else lives in the `kernel` library.
#![no_std]
#![no_main]

use bootloader_api::config::{BootloaderConfig, Mapping};
use kernel::arch::x86_64::{KERNEL_BASE, KERNEL_STACK_SIZE, PAGE_OFFSET, VMALLOC_START};

/// Physical memory at Linux's direct-map base and the kernel at Linux's
/// `__START_KERNEL_map`, so addresses in tinymm read like Linux's and gdb can
/// load symbols at a fixed offset.
pub static BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    config.mappings.physical_memory = Some(Mapping::FixedAddress(PAGE_OFFSET));
    config.mappings.kernel_base = Mapping::FixedAddress(KERNEL_BASE);
    config.kernel_stack_size = KERNEL_STACK_SIZE;
    config.mappings.dynamic_range_start = Some(VMALLOC_START);
    config
};

bootloader_api::entry_point!(kernel_main, config = &BOOTLOADER_CONFIG);

fn kernel_main(boot_info: &'static mut bootloader_api::BootInfo) -> ! {
    kernel::init::start_kernel(boot_info)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kernel::arch::x86_64::panic(info)
}
