//! What the boot protocol hands over (arch/x86/kernel/setup.c,
//! arch/x86/include/uapi/asm/bootparam.h, asm/e820/types.h).
//!
//! Two protocols reach `start_kernel`: PVH (`-kernel`, the default;
//! platform/pvh.rs fills [`BootParams`] from `hvm_start_info`) and the
//! bootloader crate's (UEFI, `--uefi`; the kernel binary's main.rs fills
//! it from `bootloader_api::BootInfo`). Both describe the machine the
//! same way, as Linux's `struct boot_params` does for its boot paths.

/// `E820_MAX_ENTRIES_ZEROPAGE`: the table in `struct boot_params`.
pub const E820_MAX_ENTRIES: usize = 128;
/// `COMMAND_LINE_SIZE` on x86.
pub const COMMAND_LINE_SIZE: usize = 2048;

/// `enum e820_type`: the values the firmware reports.
pub const E820_TYPE_RAM: u32 = 1;
pub const E820_TYPE_RESERVED: u32 = 2;
/// Linux's `E820_TYPE_RESERVED_KERN`: RAM the boot code used and the
/// kernel keeps (the bootloader crate's page tables, boot info, stack
/// and ramdisk): memblock adds and reserves it.
pub const E820_TYPE_RESERVED_KERN: u32 = 128;

/// `struct boot_e820_entry`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct E820Entry {
    pub addr: u64,
    pub size: u64,
    pub type_: u32,
}

/// The boot protocol's description of the machine (Linux's `struct
/// boot_params`, cut down to what tinymm reads).
pub struct BootParams {
    pub e820_table: [E820Entry; E820_MAX_ENTRIES],
    pub e820_entries: usize,
    /// Physical ranges (start, size; size 0: none) memblock reserves on
    /// top of the map: the kernel image (`_text` to `_end`) and the
    /// initrd, as Linux's `early_reserve_memory()` and
    /// `early_reserve_initrd()` do. Empty when the map says it already.
    pub early_reserve: [(u64, u64); 2],
    /// The initramfs image, if one was loaded.
    pub initrd: Option<&'static [u8]>,
    /// `acpi_rsdp_addr`: the ACPI RSDP's physical address, or 0.
    pub acpi_rsdp_addr: u64,
    /// The command line (`boot_command_line`), `cmdline_len` bytes.
    pub cmdline: [u8; COMMAND_LINE_SIZE],
    pub cmdline_len: usize,
    /// Physical memory below this is in the direct map already; RAM above
    /// it is mapped by `init_mem_mapping`.
    pub direct_mapped_end: u64,
}

impl BootParams {
    pub const fn new() -> Self {
        Self {
            e820_table: [E820Entry {
                addr: 0,
                size: 0,
                type_: 0,
            }; E820_MAX_ENTRIES],
            e820_entries: 0,
            early_reserve: [(0, 0); 2],
            initrd: None,
            acpi_rsdp_addr: 0,
            cmdline: [0; COMMAND_LINE_SIZE],
            cmdline_len: 0,
            direct_mapped_end: 0,
        }
    }

    /// The E820 entries.
    pub fn e820(&self) -> &[E820Entry] {
        &self.e820_table[..self.e820_entries]
    }

    /// `boot_command_line`. Bytes that are not UTF-8 end it.
    pub fn command_line(&self) -> &str {
        let bytes = &self.cmdline[..self.cmdline_len];
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl Default for BootParams {
    fn default() -> Self {
        Self::new()
    }
}

static BOOT_PARAMS: spin::Once<BootParams> = spin::Once::new();

/// Stores the boot parameters for the kernel's lifetime (once, at boot).
pub fn set_boot_params(bp: BootParams) -> &'static BootParams {
    BOOT_PARAMS.call_once(|| bp)
}

/// The kernel's text, `_stext` to `_etext` (vmlinux.lds).
pub fn kernel_text() -> (u64, u64) {
    unsafe extern "C" {
        static _stext: u8;
        static _etext: u8;
    }
    ((&raw const _stext) as u64, (&raw const _etext) as u64)
}

/// The boot parameters (`boot_params`); None before `start_kernel`.
pub fn boot_params() -> Option<&'static BootParams> {
    BOOT_PARAMS.get()
}

/// The memory the initramfs's compressed member inflates into: `len`
/// bytes at `phys`, which memblock reserved for it before the buddy
/// allocator took the rest, through the direct map.
pub fn initrd_output(phys: u64, len: usize) -> &'static mut [u8] {
    // SAFETY: memblock reserved `len` bytes at `phys` for this buffer
    // alone and never frees them; the direct map covers all of RAM.
    unsafe { core::slice::from_raw_parts_mut(crate::mm::page::DirectMap::va(phys), len) }
}
