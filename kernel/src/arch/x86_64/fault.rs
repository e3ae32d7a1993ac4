//! Page faults; mirrors arch/x86/mm/fault.c.
//!
//! `asm_exc_page_fault` → [`exc_page_fault`] → [`handle_page_fault`] →
//! [`do_user_addr_fault`] for addresses below `TASK_SIZE_MAX`, or
//! [`do_kern_addr_fault`] above. A kernel-mode fault on a user address is
//! legitimate only inside a user copy (an exception-table entry, AC set);
//! anything else is a kernel bug and ends in [`page_fault_oops`], which
//! prints Linux's report plus the `vector 14 ... CR2=` line and fails the
//! run.
//!
//! `do_user_addr_fault` here only knows `bad_area`: the lead's mm code
//! replaces its body with the VMA lookup and `handle_mm_fault`.

use ::x86_64::registers::control::Cr2;

use super::irqflags::local_irq_enable;
use super::ptrace::{PtRegs, X86_EFLAGS_AC, X86_EFLAGS_IF, user_mode};
use super::traps::die_regs;
use super::uaccess::{TASK_SIZE_MAX, fixup_exception};

/// Page-fault error-code bits (`enum x86_pf_error_code`).
pub const X86_PF_PROT: u64 = 1 << 0;
pub const X86_PF_WRITE: u64 = 1 << 1;
pub const X86_PF_USER: u64 = 1 << 2;
pub const X86_PF_RSVD: u64 = 1 << 3;
pub const X86_PF_INSTR: u64 = 1 << 4;

/// `si_code`s for SIGSEGV.
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;

/// `DEFINE_IDTENTRY_RAW_ERRORCODE(exc_page_fault)`: called by
/// `asm_exc_page_fault` with interrupts off; reads CR2 before anything can
/// fault again.
pub extern "C" fn exc_page_fault(regs: &mut PtRegs, error_code: u64) {
    let address = Cr2::read_raw();
    handle_page_fault(regs, error_code, address);
    if user_mode(regs) {
        crate::task::entry_common::irqentry_exit_to_user_mode(regs);
    }
}

/// `handle_page_fault()`: split by the faulting address's half.
#[inline(never)]
pub fn handle_page_fault(regs: &mut PtRegs, error_code: u64, address: u64) {
    if address >= TASK_SIZE_MAX {
        do_kern_addr_fault(regs, error_code, address);
    } else {
        do_user_addr_fault(regs, error_code, address);
    }
}

/// `do_kern_addr_fault()`: kernel addresses are never faulted in. From
/// user mode that is a SIGSEGV; from kernel mode an oops (unless an
/// exception-table entry covers the instruction).
#[inline(never)]
pub fn do_kern_addr_fault(regs: &mut PtRegs, error_code: u64, address: u64) {
    bad_area_nosemaphore(regs, error_code, address, SEGV_ACCERR);
}

/// `do_user_addr_fault()`: a fault on a user address, from user mode or
/// from a kernel user copy. Minimal version: no VMAs yet, so every fault
/// is a bad area (mm replaces this body with `find_vma` +
/// `handle_mm_fault`).
#[inline(never)]
pub fn do_user_addr_fault(regs: &mut PtRegs, error_code: u64, address: u64) {
    // A kernel-mode access to user memory with AC clear broke SMAP: a
    // kernel bug, never fixed up.
    if error_code & X86_PF_USER == 0 && regs.flags & X86_EFLAGS_AC == 0 {
        let why = if error_code & X86_PF_PROT != 0 {
            "SMAP violation"
        } else {
            "kernel access to a user address outside a user copy"
        };
        page_fault_oops(regs, error_code, address, why);
    }
    // The lead's handle_mm_fault may sleep: run with interrupts as the
    // interrupted context had them.
    if regs.flags & X86_EFLAGS_IF != 0 {
        local_irq_enable();
    }
    let si_code = if error_code & X86_PF_PROT != 0 {
        SEGV_ACCERR
    } else {
        SEGV_MAPERR
    };
    bad_area_nosemaphore(regs, error_code, address, si_code);
}

/// `bad_area_nosemaphore()` → `__bad_area_nosemaphore()`: SIGSEGV for user
/// mode, the exception table or an oops for kernel mode.
#[inline(never)]
pub fn bad_area_nosemaphore(regs: &mut PtRegs, error_code: u64, address: u64, si_code: i32) {
    if !user_mode(regs) {
        kernelmode_fixup_or_oops(regs, error_code, address);
        return;
    }
    crate::task::signal::show_signal_msg(regs, error_code, address);
    crate::task::signal::force_sig_fault(crate::task::signal::SIGSEGV, si_code, address);
}

/// `kernelmode_fixup_or_oops()`.
#[inline(never)]
pub fn kernelmode_fixup_or_oops(regs: &mut PtRegs, error_code: u64, address: u64) {
    if fixup_exception(regs) {
        return;
    }
    page_fault_oops(regs, error_code, address, "kernel bug");
}

/// `page_fault_oops()`: Linux's report, then the fatal `vector 14` line.
#[inline(never)]
pub fn page_fault_oops(regs: &PtRegs, error_code: u64, address: u64, why: &str) -> ! {
    let access = if error_code & X86_PF_INSTR != 0 {
        "instruction fetch"
    } else if error_code & X86_PF_WRITE != 0 {
        "write access"
    } else {
        "read access"
    };
    let mode = if error_code & X86_PF_USER != 0 {
        "user"
    } else {
        "kernel"
    };
    let reason = if error_code & X86_PF_PROT != 0 {
        "permissions violation"
    } else {
        "not-present page"
    };
    super::early_printk::emergency_print(format_args!(
        "BUG: unable to handle page fault for address: {address:#x} ({why})\n\
         #PF: supervisor {access} in {mode} mode\n\
         #PF: error_code({error_code:#06x}) - {reason}\n",
    ));
    die_regs(14, "page fault", regs, Some(error_code))
}
