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

use ::x86_64::registers::control::Cr2;

use super::irqflags::local_irq_enable;
use super::ptrace::{PtRegs, X86_EFLAGS_AC, X86_EFLAGS_IF, user_mode};
use super::traps::die_regs;
use super::uaccess::{TASK_SIZE_MAX, fixup_exception};
use crate::mm::memory::{FaultFlags, VmFaultReason, handle_mm_fault};
use crate::mm::mmap::VmFlags;
use crate::task::signal::{SIGBUS, SIGSEGV};

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
    // No tail call: keep this frame in backtraces, as Linux's has it.
    core::hint::black_box(());
}

/// `do_kern_addr_fault()`: kernel addresses are never faulted in. From
/// user mode that is a SIGSEGV; from kernel mode an oops (unless an
/// exception-table entry covers the instruction).
#[inline(never)]
pub fn do_kern_addr_fault(regs: &mut PtRegs, error_code: u64, address: u64) {
    bad_area_nosemaphore(regs, error_code, address, SEGV_ACCERR);
}

/// `do_user_addr_fault()`: a fault on a user address, from user mode or
/// from a kernel user copy: find the VMA under `mmap_lock`, check the
/// access against it, and let `handle_mm_fault` map the page.
#[inline(never)]
pub fn do_user_addr_fault(regs: &mut PtRegs, error_code: u64, address: u64) {
    // A kernel-mode access to user memory with AC clear broke SMAP: a
    // kernel bug, never fixed up.
    if error_code & X86_PF_USER == 0 && regs.flags & X86_EFLAGS_AC == 0 {
        page_fault_oops(regs, error_code, address, "SMAP violation");
    }
    // handle_mm_fault may allocate at length: run with interrupts as the
    // interrupted context had them.
    if regs.flags & X86_EFLAGS_IF != 0 {
        local_irq_enable();
    }
    let Some(mm) = crate::task::current().mm.lock_irqsave().clone() else {
        bad_area_nosemaphore(regs, error_code, address, SEGV_MAPERR);
        return;
    };
    let mut flags = FaultFlags::empty();
    if error_code & X86_PF_WRITE != 0 {
        flags |= FaultFlags::FAULT_FLAG_WRITE;
    }
    if user_mode(regs) {
        flags |= FaultFlags::FAULT_FLAG_USER;
    }
    if error_code & X86_PF_INSTR != 0 {
        flags |= FaultFlags::FAULT_FLAG_INSTRUCTION;
    }
    // lock_mm_and_find_vma(), then fault on a copy of the VMA with the
    // lock dropped: the task is single-threaded and the kernel does not
    // preempt, so nothing changes the VMA meanwhile, and reclaim entered
    // from this fault can walk this mm through the reverse map.
    let vma = {
        let locked = mm.mmap_lock.lock();
        locked.vmas.vma_lookup(address).cloned()
    };
    let Some(vma) = vma else {
        bad_area_nosemaphore(regs, error_code, address, SEGV_MAPERR);
        return;
    };
    if access_error(error_code, vma.vm_flags) {
        bad_area_nosemaphore(regs, error_code, address, SEGV_ACCERR);
        return;
    }
    let fault = handle_mm_fault(&mm, &vma, address, flags);
    crate::task::sys::mm_account_fault(fault);
    if fault.contains(VmFaultReason::VM_FAULT_OOM) {
        pagefault_out_of_memory(regs, error_code, address);
    } else if fault.intersects(VmFaultReason::VM_FAULT_SIGBUS | VmFaultReason::VM_FAULT_SIGSEGV) {
        let sig = if fault.contains(VmFaultReason::VM_FAULT_SIGBUS) {
            SIGBUS
        } else {
            SIGSEGV
        };
        if !user_mode(regs) {
            kernelmode_fixup_or_oops(regs, error_code, address);
            return;
        }
        set_fault_info(error_code, address);
        // do_sigbus(): BUS_ADRERR; a SIGSEGV result keeps SEGV_MAPERR.
        let code = if sig == SIGBUS {
            crate::uapi::signal::BUS_ADRERR
        } else {
            SEGV_MAPERR
        };
        crate::task::signal::force_sig_fault(sig, code, address);
    }
}

/// What a signal frame's sigcontext reports of a page fault
/// (`thread.cr2`, `error_code`, `trap_nr`).
fn set_fault_info(error_code: u64, address: u64) {
    let t = &crate::task::current().thread;
    t.cr2.store(address, core::sync::atomic::Ordering::Relaxed);
    t.error_code.store(
        error_code | X86_PF_USER,
        core::sync::atomic::Ordering::Relaxed,
    );
    t.trap_nr.store(14, core::sync::atomic::Ordering::Relaxed);
}

/// `access_error()`: does the VMA forbid this kind of access?
fn access_error(error_code: u64, vm_flags: VmFlags) -> bool {
    if error_code & X86_PF_WRITE != 0 {
        return !vm_flags.contains(VmFlags::VM_WRITE);
    }
    if error_code & X86_PF_INSTR != 0 {
        return !vm_flags.contains(VmFlags::VM_EXEC);
    }
    // A read of a present page that faulted: PROT_NONE.
    if error_code & X86_PF_PROT != 0 {
        return true;
    }
    !vm_flags.intersects(VmFlags::VM_READ | VmFlags::VM_WRITE | VmFlags::VM_EXEC)
}

/// `pagefault_out_of_memory()`: no page could be had. Until memcg and the
/// OOM killer exist, the faulting task dies (SIGKILL); a kernel copy gets
/// its exception-table fixup.
#[inline(never)]
fn pagefault_out_of_memory(regs: &mut PtRegs, error_code: u64, address: u64) {
    if !user_mode(regs) {
        kernelmode_fixup_or_oops(regs, error_code, address);
        return;
    }
    let me = crate::task::current();
    // Killed (by the OOM killer, say): it dies on the way out.
    if crate::task::signal::fatal_signal_pending(&me) {
        return;
    }
    // A memcg at its limit with nothing left to kill: Linux retries the
    // fault until memory is freed.
    if crate::mm::memcontrol::mem_cgroup_from_task(&me)
        .is_some_and(|m| !m.is_root() && crate::mm::memcontrol::mem_cgroup_margin(&m) == 0)
    {
        log::warn!("Huh VM_FAULT_OOM leaked out to the #PF handler. Retrying PF");
        crate::task::sched::schedule_timeout_killable(1);
        return;
    }
    // There is no global OOM killer: the faulting task goes.
    log::error!(
        "Out of memory: Killed process {} ({}) on a page fault at {address:#x}",
        me.pid,
        me.comm()
    );
    let _ = crate::task::signal::send_sig(crate::task::signal::SIGKILL, &me);
}

/// `bad_area_nosemaphore()` → `__bad_area_nosemaphore()`: SIGSEGV for user
/// mode, the exception table or an oops for kernel mode.
#[inline(never)]
pub fn bad_area_nosemaphore(regs: &mut PtRegs, error_code: u64, address: u64, si_code: i32) {
    if !user_mode(regs) {
        kernelmode_fixup_or_oops(regs, error_code, address);
        return;
    }
    if crate::task::signal::unhandled_signal(SIGSEGV) {
        crate::task::signal::show_signal_msg(regs, error_code, address);
    }
    set_fault_info(error_code, address);
    crate::task::signal::force_sig_fault(SIGSEGV, si_code, address);
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
