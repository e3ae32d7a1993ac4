//! What the boot loader hands over (arch/x86/kernel/setup.c).

use bootloader_api::BootInfo;

/// The initrd (initramfs image) the bootloader loaded, if any. Its frames
/// are in the memory map as bootloader-used, so memblock keeps them
/// reserved for the kernel's lifetime.
pub fn initrd(boot_info: &BootInfo) -> Option<&'static [u8]> {
    let addr = boot_info.ramdisk_addr.into_option()?;
    let len = usize::try_from(boot_info.ramdisk_len).ok()?;
    // SAFETY: the bootloader mapped `len` bytes at `addr` and marked the
    // frames as used; nothing in tinymm writes to or frees them.
    Some(unsafe { core::slice::from_raw_parts(addr as *const u8, len) })
}
