//! The interrupt descriptor table; mirrors arch/x86/kernel/idt.c
//! (`idt_setup_traps`, `idt_setup_ist_traps`).
//!
//! Every architecturally defined exception vector gets a handler from
//! traps.rs, except #PF, whose assembly entry (entry_64.rs) saves a
//! `pt_regs` frame; #DF, NMI, #DB and #MC run on IST stacks. Vectors
//! 32..48 (the legacy PIC IRQs) go through `asm_common_interrupt`; the
//! rest report the vector and fail the run, so a stray interrupt is never
//! silent.

use ::x86_64::VirtAddr;
use ::x86_64::structures::idt::InterruptDescriptorTable;
use spin::Once;

use super::desc::{IST_INDEX_DB, IST_INDEX_DF, IST_INDEX_MCE, IST_INDEX_NMI};
use super::entry_64::{IRQ_STUB_SIZE, asm_exc_page_fault, irq_entries_start};
use super::irq::ISA_IRQ_VECTOR_BASE;
use super::traps::*;

static IDT: Once<InterruptDescriptorTable> = Once::new();

fn build_idt() -> InterruptDescriptorTable {
    let mut idt = InterruptDescriptorTable::new();
    idt.divide_error.set_handler_fn(exc_divide_error);
    idt.breakpoint.set_handler_fn(exc_int3);
    idt.overflow.set_handler_fn(exc_overflow);
    idt.bound_range_exceeded.set_handler_fn(exc_bounds);
    idt.invalid_opcode.set_handler_fn(exc_invalid_op);
    idt.device_not_available
        .set_handler_fn(exc_device_not_available);
    ::x86_64::set_general_handler!(&mut idt, exc_coproc_segment_overrun, 9);
    idt.invalid_tss.set_handler_fn(exc_invalid_tss);
    idt.segment_not_present
        .set_handler_fn(exc_segment_not_present);
    idt.stack_segment_fault.set_handler_fn(exc_stack_segment);
    idt.general_protection_fault
        .set_handler_fn(exc_general_protection);
    idt.x87_floating_point.set_handler_fn(exc_coprocessor_error);
    idt.alignment_check.set_handler_fn(exc_alignment_check);
    idt.simd_floating_point
        .set_handler_fn(exc_simd_coprocessor_error);
    idt.virtualization
        .set_handler_fn(exc_virtualization_exception);
    idt.cp_protection_exception
        .set_handler_fn(exc_control_protection);
    idt.hv_injection_exception
        .set_handler_fn(exc_hv_injection_exception);
    idt.vmm_communication_exception
        .set_handler_fn(exc_vmm_communication);
    idt.security_exception
        .set_handler_fn(exc_security_exception);
    ::x86_64::set_general_handler!(&mut idt, unexpected_interrupt, 32..=255);

    // SAFETY: these stubs (entry_64.rs) build a pt_regs frame, match the
    // CPU's frame for their vectors (#PF pushes an error code; IRQs do
    // not) and return with iretq.
    unsafe {
        idt.page_fault
            .set_handler_addr(VirtAddr::new(asm_exc_page_fault as *const () as u64));
        for irq in 0..16u64 {
            let stub = irq_entries_start as *const () as u64 + irq * IRQ_STUB_SIZE;
            idt[(ISA_IRQ_VECTOR_BASE + irq) as u8].set_handler_addr(VirtAddr::new(stub));
        }
    }

    // SAFETY: each index names an IST slot that desc.rs fills with its own
    // stack, and no other handler uses these slots.
    unsafe {
        idt.double_fault
            .set_handler_fn(exc_double_fault)
            .set_stack_index(IST_INDEX_DF);
        idt.non_maskable_interrupt
            .set_handler_fn(exc_nmi)
            .set_stack_index(IST_INDEX_NMI);
        idt.debug
            .set_handler_fn(exc_debug)
            .set_stack_index(IST_INDEX_DB);
        idt.machine_check
            .set_handler_fn(exc_machine_check)
            .set_stack_index(IST_INDEX_MCE);
    }
    idt
}

/// Builds and loads the IDT. Needs the TSS (IST stacks) loaded first.
pub fn idt_setup_traps() {
    IDT.call_once(build_idt).load();
}
