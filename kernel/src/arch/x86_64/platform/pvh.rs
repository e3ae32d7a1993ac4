//! The PVH boot protocol (x86/HVM direct boot); mirrors
//! arch/x86/platform/pvh/head.S (`pvh_start_xen`) and
//! arch/x86/platform/pvh/enlighten.c (`xen_prepare_pvh`).
//!
//! QEMU's `-kernel` loads an uncompressed ELF64 at its segments'
//! physical addresses (`p_paddr`) when the ELF carries a
//! `XEN_ELFNOTE_PHYS32_ENTRY` note, and its PVH option ROM (after
//! SeaBIOS, which assigned PCI BARs and interrupt lines) jumps to that
//! entry in 32-bit protected mode with paging off, `%ebx` holding the
//! physical address of a `struct hvm_start_info`: the E820 map
//! (`memmap_paddr`), the command line (`-append`), the RSDP and, as
//! module 0, the `-initrd` file, loaded through fw_cfg DMA.
//!
//! `pvh_start_xen` turns on long mode with the early page tables of
//! head_64.rs and jumps to `startup_64`; `xen_prepare_pvh` copies what
//! `hvm_start_info` describes into the protocol-neutral
//! [`BootParams`](super::super::setup::BootParams), as Linux fills
//! `pvh_bootparams`. Everything start_info points at lies below 4 GiB,
//! which the early direct map covers. A bad magic or an empty memory map
//! panics with a `tinymm:` message (the serial port works without setup).
//!
//! Left out: Xen itself (tinymm only runs on QEMU/KVM-style PVH),
//! start_info versions other than 0 and 1's fields used here, modules
//! past the first.

use core::arch::global_asm;

use super::super::page_64_types::KERNEL_BASE;
use super::super::setup::{BootParams, E820_MAX_ENTRIES, E820Entry};
use crate::mm::page::DirectMap;

/// `XEN_HVM_START_MAGIC_VALUE`: "xEn3" with the top bit of 0x33 set.
pub const XEN_HVM_START_MAGIC_VALUE: u32 = 0x336e_c578;

/// `struct hvm_start_info` (include/xen/interface/hvm/start_info.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct HvmStartInfo {
    pub magic: u32,
    pub version: u32,
    pub flags: u32,
    pub nr_modules: u32,
    pub modlist_paddr: u64,
    pub cmdline_paddr: u64,
    pub rsdp_paddr: u64,
    pub memmap_paddr: u64,
    pub memmap_entries: u32,
    pub reserved: u32,
}

/// `struct hvm_modlist_entry`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct HvmModlistEntry {
    pub paddr: u64,
    pub size: u64,
    pub cmdline_paddr: u64,
    pub reserved: u64,
}

/// `struct hvm_memmap_table_entry`: an E820 entry.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct HvmMemmapTableEntry {
    pub addr: u64,
    pub size: u64,
    pub type_: u32,
    pub reserved: u32,
}

// The ELF note QEMU looks for (`ELFNOTE(Xen, XEN_ELFNOTE_PHYS32_ENTRY,
// ...)` in head.S): type 18, owner "Xen", the entry's physical address.
// QEMU reads it as a 64-bit value (`read_pvh_start_addr`) after a name
// padded to the segment's alignment, so the note section is 4-aligned.
//
// pvh_start_xen runs at its physical address: every address it uses is
// a link address minus __START_KERNEL_map (KERNEL_BASE).
global_asm!(
    r#"
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long 18
    .asciz "Xen"
    .balign 4
    .quad pvh_start_xen - {kernel_base}
    .balign 4
    .popsection

    .pushsection .head.text, "ax"
    .code32
    .globl pvh_start_xen
pvh_start_xen:
    cli
    cld
    /* %ebx: start_info; %esi carries it to startup_64's first argument. */
    mov %ebx, %esi
    lgdt (early_gdt_descr_phys - {kernel_base})
    mov $0x18, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    /* CR4.PAE */
    mov %cr4, %eax
    or $0x20, %eax
    mov %eax, %cr4
    /* EFER.LME | EFER.NXE: the early direct map is NX. */
    mov $0xc0000080, %ecx
    rdmsr
    or $0x900, %eax
    wrmsr
    mov $(early_top_pgt - {kernel_base}), %eax
    mov %eax, %cr3
    /* CR0.PG | CR0.PE */
    mov %cr0, %eax
    or $0x80000001, %eax
    mov %eax, %cr0
    /* __KERNEL_CS: 64-bit, still at the identity-mapped address. */
    ljmp $0x10, $(2f - {kernel_base})
    .code64
2:
    movabs $startup_64, %rax
    jmp *%rax
    .popsection
    "#,
    kernel_base = const KERNEL_BASE,
    options(att_syntax)
);

/// Reads a `T` at physical address `phys` through the direct map.
fn read_phys<T: Copy>(phys: u64) -> T {
    // SAFETY: the PVH loader's structures lie in RAM or ROM below 4 GiB,
    // all of which the early direct map covers; they are plain integers
    // and read unaligned.
    unsafe { DirectMap::va(phys).cast::<T>().read_unaligned() }
}

/// `xen_prepare_pvh()` + `init_pvh_bootparams()`: the boot parameters
/// from the `hvm_start_info` at `start_info_phys`.
#[inline(never)]
pub fn xen_prepare_pvh(start_info_phys: u64, bp: &mut BootParams) {
    let si: HvmStartInfo = read_phys(start_info_phys);
    if si.magic != XEN_HVM_START_MAGIC_VALUE {
        panic!(
            "tinymm: PVH start_info at {start_info_phys:#x} has magic {:#010x}, not {XEN_HVM_START_MAGIC_VALUE:#010x}",
            si.magic
        );
    }
    if si.memmap_paddr == 0 || si.memmap_entries == 0 {
        panic!("tinymm: PVH start_info has no memory map (memmap_entries 0)");
    }
    let n = (si.memmap_entries as usize).min(E820_MAX_ENTRIES);
    for (i, entry) in bp.e820_table[..n].iter_mut().enumerate() {
        let e: HvmMemmapTableEntry =
            read_phys(si.memmap_paddr + (i * size_of::<HvmMemmapTableEntry>()) as u64);
        *entry = E820Entry {
            addr: e.addr,
            size: e.size,
            type_: e.type_,
        };
    }
    bp.e820_entries = n;
    bp.acpi_rsdp_addr = si.rsdp_paddr;
    if si.cmdline_paddr != 0 {
        // A NUL-terminated string; at most COMMAND_LINE_SIZE - 1 bytes.
        let mut len = 0;
        while len < bp.cmdline.len() - 1 {
            let b: u8 = read_phys(si.cmdline_paddr + len as u64);
            if b == 0 {
                break;
            }
            bp.cmdline[len] = b;
            len += 1;
        }
        bp.cmdline_len = len;
    }
    // The kernel image, as loaded at its physical addresses.
    unsafe extern "C" {
        static _text: u8;
        static _end: u8;
    }
    let text = (&raw const _text) as u64 - KERNEL_BASE;
    let end = (&raw const _end) as u64 - KERNEL_BASE;
    bp.early_reserve[0] = (text, end - text);
    if si.nr_modules > 0 && si.modlist_paddr != 0 {
        let m: HvmModlistEntry = read_phys(si.modlist_paddr);
        if m.size > 0 {
            bp.early_reserve[1] = (m.paddr, m.size);
            // SAFETY: module 0 is the initrd the loader put at `paddr`
            // (RAM below 4 GiB), reserved in memblock by `early_reserve`
            // and never written.
            bp.initrd = Some(unsafe {
                core::slice::from_raw_parts(DirectMap::va(m.paddr), m.size as usize)
            });
        }
    }
    // Everything below 4 GiB; init_mem_mapping maps RAM above it.
    bp.direct_mapped_end = 1 << 32;
}
