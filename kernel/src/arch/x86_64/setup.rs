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

/// The memory the initramfs's compressed member inflates into: `len`
/// bytes at `phys`, which memblock reserved for it before the buddy
/// allocator took the rest, through the direct map.
pub fn initrd_output(phys: u64, len: usize) -> &'static mut [u8] {
    // SAFETY: memblock reserved `len` bytes at `phys` for this buffer
    // alone and never frees them; the direct map covers all of RAM.
    unsafe { core::slice::from_raw_parts_mut(crate::mm::page::DirectMap::va(phys), len) }
}
