//! The interrupt descriptor table; mirrors arch/x86/kernel/idt.c
//! (`def_idts`, `idt_setup_traps`, `idt_setup_ist_traps`,
//! `idt_setup_apic_and_irq_gates`).
//!
//! Every architecturally defined exception vector gets its assembly stub
//! from entry_64.rs (`asm_exc_*`, which saves a `pt_regs` frame and calls
//! the handler in traps.rs or fault.rs). All are interrupt gates (IF
//! cleared on entry); #BP and #OF are reachable from ring 3 (`int3`,
//! `into`), as Linux's `SYSG` gates, the rest raise #GP when user code
//! names them with `int N`. #DF, NMI, #DB and #MC run on IST stacks.
//! Vectors 32..256 go through `irq_entries_start` to `common_interrupt`,
//! which reports any vector nothing is wired to, so a stray interrupt is
//! never silent.

use ::x86_64::structures::idt::{Entry, EntryOptions, InterruptDescriptorTable};
use ::x86_64::{PrivilegeLevel, VirtAddr};
use spin::Once;

use super::desc::{IST_INDEX_DB, IST_INDEX_DF, IST_INDEX_MCE, IST_INDEX_NMI};
use super::entry_64::*;

static IDT: Once<InterruptDescriptorTable> = Once::new();

/// Points `entry` at the stub `asm`: an interrupt gate, DPL 0, no IST.
///
/// # Safety
///
/// `asm` must be an entry stub that matches the CPU's frame for the
/// vector (an error code exactly where the CPU pushes one) and returns
/// with `iretq` or never.
unsafe fn set_stub<F>(entry: &mut Entry<F>, asm: unsafe extern "C" fn()) -> &mut EntryOptions {
    // SAFETY: as the caller promised.
    unsafe { entry.set_handler_addr(VirtAddr::new(asm as *const () as u64)) }
}

fn build_idt() -> InterruptDescriptorTable {
    let mut idt = InterruptDescriptorTable::new();
    // Each `asm_exc_*` stub of entry_64.rs is written for the
    // vector it is set on: IDTENTRY's `has_error_code` is 1 exactly for
    // #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC and #SX. Each IST index
    // names a slot that desc.rs fills with its own stack, used by no other
    // vector. Slot `i` of `irq_entries_start` pushes its vector and joins
    // asm_common_interrupt, which expects no error code (external
    // interrupts push none).
    // SAFETY: sound for the reasons just given.
    unsafe {
        set_stub(&mut idt.divide_error, asm_exc_divide_error);
        set_stub(&mut idt.breakpoint, asm_exc_int3).set_privilege_level(PrivilegeLevel::Ring3);
        set_stub(&mut idt.overflow, asm_exc_overflow).set_privilege_level(PrivilegeLevel::Ring3);
        set_stub(&mut idt.bound_range_exceeded, asm_exc_bounds);
        set_stub(&mut idt.invalid_opcode, asm_exc_invalid_op);
        set_stub(&mut idt.device_not_available, asm_exc_device_not_available);
        set_stub(&mut idt[9], asm_exc_coproc_segment_overrun);
        set_stub(&mut idt.invalid_tss, asm_exc_invalid_tss);
        set_stub(&mut idt.segment_not_present, asm_exc_segment_not_present);
        set_stub(&mut idt.stack_segment_fault, asm_exc_stack_segment);
        set_stub(
            &mut idt.general_protection_fault,
            asm_exc_general_protection,
        );
        set_stub(&mut idt.page_fault, asm_exc_page_fault);
        set_stub(&mut idt.x87_floating_point, asm_exc_coprocessor_error);
        set_stub(&mut idt.alignment_check, asm_exc_alignment_check);
        set_stub(&mut idt.simd_floating_point, asm_exc_simd_coprocessor_error);
        set_stub(&mut idt.virtualization, asm_exc_virtualization_exception);
        set_stub(&mut idt.cp_protection_exception, asm_exc_control_protection);
        set_stub(
            &mut idt.hv_injection_exception,
            asm_exc_hv_injection_exception,
        );
        set_stub(
            &mut idt.vmm_communication_exception,
            asm_exc_vmm_communication,
        );
        set_stub(&mut idt.security_exception, asm_exc_security_exception);

        set_stub(&mut idt.double_fault, asm_exc_double_fault).set_stack_index(IST_INDEX_DF);
        set_stub(&mut idt.non_maskable_interrupt, asm_exc_nmi).set_stack_index(IST_INDEX_NMI);
        set_stub(&mut idt.debug, asm_exc_debug).set_stack_index(IST_INDEX_DB);
        set_stub(&mut idt.machine_check, asm_exc_machine_check).set_stack_index(IST_INDEX_MCE);

        for i in 0..NR_EXTERNAL_VECTORS {
            let stub = irq_entries_start as *const () as u64 + i * IRQ_STUB_SIZE;
            idt[(FIRST_EXTERNAL_VECTOR + i) as u8].set_handler_addr(VirtAddr::new(stub));
        }
    }
    idt
}

/// Builds and loads the IDT. Needs the TSS (IST stacks) loaded first.
pub fn idt_setup_traps() {
    IDT.call_once(build_idt).load();
}
