//! GDT, TSS and the IST exception stacks; mirrors arch/x86/kernel/cpu/common.c
//! (`cpu_init_exception_handling`) and the layout of
//! arch/x86/include/asm/segment.h.
//!
//! The GDT has Linux's 64-bit layout so selectors match Linux's
//! (`__KERNEL_CS` = 0x10, `__USER_CS` = 0x33, ...) and a later `syscall`
//! setup can use Linux's STAR values. Exceptions that can hit with a broken
//! stack (#DF, NMI, #DB, #MC) switch to their own IST stack, as on Linux.

use ::x86_64::PrivilegeLevel;
use ::x86_64::VirtAddr;
use ::x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use ::x86_64::instructions::tables::load_tss;
use ::x86_64::registers::segmentation::SegmentSelector;
use ::x86_64::structures::gdt::{Descriptor, DescriptorFlags, GlobalDescriptorTable};
use ::x86_64::structures::tss::TaskStateSegment;
use core::cell::UnsafeCell;
use spin::Once;

/// IST slots, numbered like Linux's `IST_INDEX_*` (asm/page_64_types.h).
pub const IST_INDEX_DF: u16 = 0;
pub const IST_INDEX_NMI: u16 = 1;
pub const IST_INDEX_DB: u16 = 2;
pub const IST_INDEX_MCE: u16 = 3;
const N_EXCEPTION_STACKS: usize = 4;

/// Linux uses 4 KiB (8 KiB with KASAN); our fatal handlers format text on
/// these stacks in debug builds, so give them room.
const EXCEPTION_STKSZ: usize = 16 * 1024;

pub const GDT_ENTRY_KERNEL32_CS: u16 = 1;
pub const GDT_ENTRY_KERNEL_CS: u16 = 2;
pub const GDT_ENTRY_KERNEL_DS: u16 = 3;
pub const GDT_ENTRY_DEFAULT_USER32_CS: u16 = 4;
pub const GDT_ENTRY_DEFAULT_USER_DS: u16 = 5;
pub const GDT_ENTRY_DEFAULT_USER_CS: u16 = 6;
pub const GDT_ENTRY_TSS: u16 = 8;
const GDT_ENTRIES: usize = 10;

pub const KERNEL_CS: SegmentSelector =
    SegmentSelector::new(GDT_ENTRY_KERNEL_CS, PrivilegeLevel::Ring0);
pub const KERNEL_DS: SegmentSelector =
    SegmentSelector::new(GDT_ENTRY_KERNEL_DS, PrivilegeLevel::Ring0);
pub const USER32_CS: SegmentSelector =
    SegmentSelector::new(GDT_ENTRY_DEFAULT_USER32_CS, PrivilegeLevel::Ring3);
pub const USER_DS: SegmentSelector =
    SegmentSelector::new(GDT_ENTRY_DEFAULT_USER_DS, PrivilegeLevel::Ring3);
pub const USER_CS: SegmentSelector =
    SegmentSelector::new(GDT_ENTRY_DEFAULT_USER_CS, PrivilegeLevel::Ring3);
pub const TSS_SELECTOR: SegmentSelector =
    SegmentSelector::new(GDT_ENTRY_TSS, PrivilegeLevel::Ring0);

#[repr(C, align(16))]
struct ExceptionStack([u8; EXCEPTION_STKSZ]);

/// Only the CPU writes these (through RSP after an IST switch); Rust code
/// never forms references to them.
static mut EXCEPTION_STACKS: [ExceptionStack; N_EXCEPTION_STACKS] =
    [const { ExceptionStack([0; EXCEPTION_STKSZ]) }; N_EXCEPTION_STACKS];

/// The TSS: the CPU reads `rsp0` from it on every entry from user mode,
/// and `__switch_to` rewrites that field for the next task (Linux's
/// `cpu_tss_rw`). One CPU, so one TSS.
struct TssCell(UnsafeCell<TaskStateSegment>);

// SAFETY: one CPU; `rsp0` is written only by `update_task_stack` with
// interrupts off (from the scheduler), everything else only at boot.
unsafe impl Sync for TssCell {}

static TSS_RW: TssCell = TssCell(UnsafeCell::new(TaskStateSegment::new()));
static TSS: Once<()> = Once::new();
static GDT: Once<GlobalDescriptorTable<GDT_ENTRIES>> = Once::new();

fn exception_stack_top(index: usize) -> VirtAddr {
    let stacks = &raw mut EXCEPTION_STACKS;
    let base = stacks.cast::<ExceptionStack>().wrapping_add(index);
    // Stacks grow down: the IST entry is the end of the array element.
    VirtAddr::from_ptr(base.wrapping_add(1))
}

fn build_tss() {
    // SAFETY: runs once (under `Once`) before the TSS is loaded, so nothing
    // else reads or writes it yet; the reference ends with this function.
    let tss = unsafe { &mut *TSS_RW.0.get() };
    for index in [IST_INDEX_DF, IST_INDEX_NMI, IST_INDEX_DB, IST_INDEX_MCE] {
        tss.interrupt_stack_table[usize::from(index)] = exception_stack_top(usize::from(index));
    }
}

/// `update_task_stack()`: the stack the CPU switches to on an interrupt or
/// exception from user mode (`TSS.rsp0`), set to the top of the next
/// task's kernel stack on every context switch.
pub fn update_task_stack(sp0: u64) {
    // The CPU reads rsp0 only on a privilege change, which cannot happen
    // here (ring 0, interrupts off, one CPU). The TSS is packed, hence the
    // unaligned write through a raw pointer (no reference is formed).
    // SAFETY: as above: no other reader or writer exists meanwhile.
    unsafe {
        let field = &raw mut (*TSS_RW.0.get()).privilege_stack_table[0];
        field.write_unaligned(VirtAddr::new(sp0));
    }
}

fn build_gdt() -> GlobalDescriptorTable<GDT_ENTRIES> {
    let mut gdt = GlobalDescriptorTable::empty();
    let selectors = [
        gdt.append(Descriptor::UserSegment(
            DescriptorFlags::KERNEL_CODE32.bits(),
        )),
        gdt.append(Descriptor::kernel_code_segment()),
        gdt.append(Descriptor::kernel_data_segment()),
        gdt.append(Descriptor::UserSegment(DescriptorFlags::USER_CODE32.bits())),
        gdt.append(Descriptor::user_data_segment()),
        gdt.append(Descriptor::user_code_segment()),
        // Slot 7 is unused on Linux too; it keeps the TSS at entry 8.
        gdt.append(Descriptor::UserSegment(0)),
        // SAFETY: the TSS is a static, valid for the whole run.
        gdt.append(unsafe { Descriptor::tss_segment_unchecked(TSS_RW.0.get()) }),
    ];
    let expected = [
        GDT_ENTRY_KERNEL32_CS,
        GDT_ENTRY_KERNEL_CS,
        GDT_ENTRY_KERNEL_DS,
        GDT_ENTRY_DEFAULT_USER32_CS,
        GDT_ENTRY_DEFAULT_USER_DS,
        GDT_ENTRY_DEFAULT_USER_CS,
        7,
        GDT_ENTRY_TSS,
    ];
    for (selector, index) in selectors.iter().zip(expected) {
        assert_eq!(selector.index(), index, "GDT layout differs from Linux's");
    }
    gdt
}

/// Loads the GDT, reloads the segment registers and loads the TSS (with
/// its IST stacks). Runs once, on the boot CPU.
pub fn cpu_init_exception_handling() {
    TSS.call_once(build_tss);
    let gdt = GDT.call_once(build_gdt);
    gdt.load();
    // SAFETY: the GDT just loaded holds a 64-bit kernel code segment at
    // KERNEL_CS and a writable data segment at KERNEL_DS; the null selector
    // is valid for DS/ES in 64-bit mode.
    unsafe {
        CS::set_reg(KERNEL_CS);
        SS::set_reg(KERNEL_DS);
        DS::set_reg(SegmentSelector(0));
        ES::set_reg(SegmentSelector(0));
    }
    // SAFETY: TSS_SELECTOR points at an available 64-bit TSS descriptor for
    // a TSS that lives in a static for the rest of the run.
    unsafe { load_tss(TSS_SELECTOR) };
}
