#![no_std]
#![no_main]
bootloader_api::entry_point!(kernel_main);
fn kernel_main(_b: &'static mut bootloader_api::BootInfo) -> ! {
    loop {}
}
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
