//! CPU exception handlers; mirrors arch/x86/kernel/traps.c and, for
//! `exc_page_fault`, arch/x86/mm/fault.c.
//!
//! Handlers carry Linux's `exc_*` names so gdb backtraces read like
//! Linux's. #BP (int3) reports and returns; every other exception is fatal
//! for now: it prints
//! `vector N (NAME) error_code=0x… RIP=0x… CR2=0x…` and the interrupt
//! frame, then fails the run (reboot.rs). #PF has its own assembly entry
//! (entry_64.rs) and lives in fault.rs.

use ::x86_64::registers::control::{Cr2, Cr3};
use ::x86_64::structures::idt::InterruptStackFrame;

use super::ptrace::PtRegs;

use super::early_printk::emergency_print;
use super::reboot::fail;

/// Reports a fatal exception and ends the run.
fn die(vector: u8, name: &str, frame: &InterruptStackFrame, error_code: Option<u64>) -> ! {
    ::x86_64::instructions::interrupts::disable();
    let cr2 = Cr2::read_raw();
    let (cr3_frame, _) = Cr3::read_raw();
    emergency_print(format_args!(
        "vector {vector} ({name}) error_code={:#x} RIP={:#x} CR2={cr2:#x}\n",
        error_code.unwrap_or(0),
        frame.instruction_pointer.as_u64(),
    ));
    emergency_print(format_args!(
        "RSP={:#x} RFLAGS={:#x} CS={:#x} SS={:#x} CR3={:#x}\n",
        frame.stack_pointer.as_u64(),
        frame.cpu_flags.bits(),
        frame.code_segment.0,
        frame.stack_segment.0,
        cr3_frame.start_address().as_u64(),
    ));
    fail()
}

/// Reports a fatal exception taken through an entry stub that saved a
/// `pt_regs` frame (same text as `die`) and ends the run.
pub fn die_regs(vector: u8, name: &str, regs: &PtRegs, error_code: Option<u64>) -> ! {
    ::x86_64::instructions::interrupts::disable();
    let cr2 = Cr2::read_raw();
    let (cr3_frame, _) = Cr3::read_raw();
    emergency_print(format_args!(
        "vector {vector} ({name}) error_code={:#x} RIP={:#x} CR2={cr2:#x}\n",
        error_code.unwrap_or(0),
        regs.ip,
    ));
    emergency_print(format_args!(
        "RSP={:#x} RFLAGS={:#x} CS={:#x} SS={:#x} CR3={:#x}\n",
        regs.sp,
        regs.flags,
        regs.cs,
        regs.ss,
        cr3_frame.start_address().as_u64(),
    ));
    emergency_print(format_args!(
        "RAX={:#x} RBX={:#x} RCX={:#x} RDX={:#x} RSI={:#x} RDI={:#x} RBP={:#x}\n",
        regs.ax, regs.bx, regs.cx, regs.dx, regs.si, regs.di, regs.bp,
    ));
    fail()
}

/// Defines a fatal handler for a vector without an error code.
macro_rules! fatal_trap {
    ($name:ident, $vector:literal, $text:literal) => {
        pub extern "x86-interrupt" fn $name(frame: InterruptStackFrame) {
            die($vector, $text, &frame, None)
        }
    };
}

/// Defines a fatal handler for a vector that pushes an error code.
macro_rules! fatal_trap_error {
    ($name:ident, $vector:literal, $text:literal) => {
        pub extern "x86-interrupt" fn $name(frame: InterruptStackFrame, error_code: u64) {
            die($vector, $text, &frame, Some(error_code))
        }
    };
}

fatal_trap!(exc_divide_error, 0, "divide error");
fatal_trap!(exc_debug, 1, "debug");
fatal_trap!(exc_nmi, 2, "NMI");
fatal_trap!(exc_overflow, 4, "overflow");
fatal_trap!(exc_bounds, 5, "bounds");
fatal_trap!(exc_invalid_op, 6, "invalid opcode");
fatal_trap!(exc_device_not_available, 7, "device not available");
fatal_trap_error!(exc_invalid_tss, 10, "invalid TSS");
fatal_trap_error!(exc_segment_not_present, 11, "segment not present");
fatal_trap_error!(exc_stack_segment, 12, "stack segment");
fatal_trap_error!(exc_general_protection, 13, "general protection fault");
fatal_trap!(exc_coprocessor_error, 16, "coprocessor error");
fatal_trap_error!(exc_alignment_check, 17, "alignment check");
fatal_trap!(exc_simd_coprocessor_error, 19, "SIMD coprocessor error");
fatal_trap!(exc_virtualization_exception, 20, "virtualization exception");
fatal_trap_error!(exc_control_protection, 21, "control protection");
fatal_trap!(exc_hv_injection_exception, 28, "HV injection");
fatal_trap_error!(exc_vmm_communication, 29, "VMM communication");
fatal_trap_error!(exc_security_exception, 30, "security exception");

/// #BP: report and resume after the `int3`.
pub extern "x86-interrupt" fn exc_int3(frame: InterruptStackFrame) {
    crate::println!(
        "int3: breakpoint at RIP={:#x}",
        frame.instruction_pointer.as_u64()
    );
}

/// #DF runs on its own IST stack, so it reports even a kernel stack overflow.
pub extern "x86-interrupt" fn exc_double_fault(frame: InterruptStackFrame, error_code: u64) -> ! {
    die(8, "double fault", &frame, Some(error_code))
}

pub extern "x86-interrupt" fn exc_machine_check(frame: InterruptStackFrame) -> ! {
    die(18, "machine check", &frame, None)
}

/// Vector 9 (coprocessor segment overrun) exists only on 386-era CPUs;
/// the x86_64 crate exposes it only through its general-handler macro.
pub fn exc_coproc_segment_overrun(frame: InterruptStackFrame, vector: u8, error_code: Option<u64>) {
    die(vector, "coprocessor segment overrun", &frame, error_code)
}

/// Any vector from 32 up: nothing is wired to the IDT yet, so an interrupt
/// here is a bug (Linux: `spurious_interrupt` / "No irq handler").
pub fn unexpected_interrupt(frame: InterruptStackFrame, vector: u8, error_code: Option<u64>) {
    die(vector, "unexpected interrupt", &frame, error_code)
}
