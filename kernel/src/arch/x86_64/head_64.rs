//! The 64-bit start of a kernel entered at its physical load address
//! (PVH); mirrors arch/x86/kernel/head_64.S (`startup_64`, the early page
//! tables, `early_gdt_descr`) and arch/x86/kernel/head64.c
//! (`x86_64_start_kernel`, `reset_early_page_tables`) with the part of
//! arch/x86/mm/init.c (`init_mem_mapping`) that maps RAM above 4 GiB.
//!
//! The early page tables are static data of the image (Linux's
//! `early_top_pgt` and `level3/level2_kernel_pgt`), with the physical
//! addresses the linker computes from the load address:
//!
//! * the kernel image at its link address `__START_KERNEL_map` +
//!   physical (KERNEL_BASE; 1 GiB of 2 MiB pages, as Linux's
//!   `level2_kernel_pgt` maps 512 MiB), executable;
//! * the direct map at PAGE_OFFSET of the first 4 GiB (2 MiB pages, NX):
//!   RAM below 4 GiB and the MMIO of the PCI hole (BARs, local and I/O
//!   APIC), which drivers reach through the direct map;
//! * a temporary identity map of the first GiB, through the kernel's
//!   level-2 table, for the instructions between turning paging on and
//!   jumping to the link address; `reset_early_page_tables` removes it.
//!
//! These tables become `init_mm.pgd` (`swapper_pg_dir`): every user
//! address space copies their kernel half. RAM above 4 GiB is mapped with
//! 1 GiB pages (Linux's gbpages) once the memory map is known. Left out:
//! W^X for the kernel image (Linux's `mark_rodata_ro`), 5-level paging.

use core::arch::global_asm;

use ::x86_64::instructions::tlb;

use super::page_64_types::{KERNEL_BASE, KERNEL_STACK_SIZE};
use super::platform::pvh::xen_prepare_pvh;
use super::setup::{BootParams, set_boot_params};

/// Page-table entry bits the early tables use (asm/pgtable_types.h).
const _PAGE_PRESENT: u64 = 1 << 0;
const _PAGE_RW: u64 = 1 << 1;
const _PAGE_PSE: u64 = 1 << 7;
const _PAGE_NX: u64 = 1 << 63;

global_asm!(
    r#"
    .pushsection .data..page_aligned, "aw"
    .balign 4096
    .globl early_top_pgt
early_top_pgt:
    .quad level3_ident_pgt - {kb} + 0x3
    .fill 272, 8, 0
    .quad level3_direct_pgt - {kb} + 0x3
    .fill 237, 8, 0
    .quad level3_kernel_pgt - {kb} + 0x3
level3_ident_pgt:
    .quad level2_kernel_pgt - {kb} + 0x3
    .fill 511, 8, 0
    .globl level3_direct_pgt
level3_direct_pgt:
    .quad level2_direct_pgt - {kb} + 0x3
    .quad level2_direct_pgt - {kb} + 0x1003
    .quad level2_direct_pgt - {kb} + 0x2003
    .quad level2_direct_pgt - {kb} + 0x3003
    .fill 508, 8, 0
level3_kernel_pgt:
    .fill 510, 8, 0
    .quad level2_kernel_pgt - {kb} + 0x3
    .quad 0
level2_kernel_pgt:
    .set i, 0
    .rept 512
    .quad (i << 21) | 0x83
    .set i, i + 1
    .endr
level2_direct_pgt:
    .set i, 0
    .rept 2048
    .quad (i << 21) | 0x83 | (1 << 63)
    .set i, i + 1
    .endr

    /* Linux's boot GDT: __KERNEL32_CS, __KERNEL_CS, __KERNEL_DS. */
    .balign 16
early_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
early_gdt_end:
    .globl early_gdt_descr_phys
early_gdt_descr_phys:
    .word early_gdt_end - early_gdt - 1
    .long early_gdt - {kb}
    .balign 8
early_gdt_descr:
    .word early_gdt_end - early_gdt - 1
    .quad early_gdt
    .popsection

    /* The boot stack: the idle task's (Linux's init_thread_union). */
    .pushsection .bss..boot_stack, "aw", @nobits
    .balign 4096
boot_stack:
    .skip {stack_size}
boot_stack_end:
    .popsection

    .pushsection .text.startup_64, "ax"
    .globl startup_64
startup_64:
    lgdt early_gdt_descr(%rip)
    mov $0x18, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    lea boot_stack_end(%rip), %rsp
    xor %ebp, %ebp
    /* %esi: the physical address of hvm_start_info. */
    mov %esi, %edi
    call {start}
    ud2
    .popsection
    "#,
    kb = const KERNEL_BASE,
    stack_size = const KERNEL_STACK_SIZE,
    start = sym x86_64_start_kernel,
    options(att_syntax)
);

unsafe extern "C" {
    /// The early PML4 (asm above), at its link address.
    static mut early_top_pgt: [u64; 512];
    /// The direct map's level-3 table (PML4 entry 273).
    static mut level3_direct_pgt: [u64; 512];
}

/// `x86_64_start_kernel()`: C code's first instructions after
/// `startup_64`, on the boot stack at the link address.
#[inline(never)]
extern "C" fn x86_64_start_kernel(start_info_phys: u32) -> ! {
    reset_early_page_tables();
    let mut bp = BootParams::new();
    xen_prepare_pvh(u64::from(start_info_phys), &mut bp);
    crate::init::start_kernel(set_boot_params(bp))
}

/// `reset_early_page_tables()`: only the kernel half stays (the
/// identity map was for the switch to the link address); user address
/// spaces own the lower half.
fn reset_early_page_tables() {
    for i in 0..256 {
        // SAFETY: early_top_pgt is the live PML4; the lower half maps only
        // the identity range, which nothing uses once at the link address.
        unsafe {
            (&raw mut early_top_pgt)
                .cast::<u64>()
                .add(i)
                .write_volatile(0)
        };
    }
    tlb::flush_all();
}

/// `init_mem_mapping()` for what the boot code left out: the direct map
/// of RAM between `mapped_end` (what the boot page tables map) and
/// `end` (memblock's end of DRAM), with 1 GiB pages.
pub fn init_mem_mapping(mapped_end: u64, end: u64) {
    const GB: u64 = 1 << 30;
    if end <= mapped_end {
        return;
    }
    // CPUID 0x80000001 EDX bit 26: X86_FEATURE_GBPAGES.
    let gbpages = ::core::arch::x86_64::__cpuid(0x8000_0001).edx & (1 << 26) != 0;
    assert!(
        gbpages,
        "tinymm: RAM above {mapped_end:#x} needs 1 GiB pages (pdpe1gb), which this CPU lacks"
    );
    let last = end.div_ceil(GB);
    assert!(last <= 512, "tinymm: RAM above 512 GiB is not mapped");
    for i in mapped_end / GB..last {
        let entry = (i * GB) | _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE | _PAGE_NX;
        // SAFETY: level3_direct_pgt is the direct map's live level-3
        // table; entries at and past `mapped_end` are empty (the boot
        // tables map below it), so nothing mapped changes.
        unsafe {
            (&raw mut level3_direct_pgt)
                .cast::<u64>()
                .add(i as usize)
                .write_volatile(entry)
        };
    }
}
