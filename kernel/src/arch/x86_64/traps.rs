//! CPU exceptions; mirrors arch/x86/kernel/traps.c, with
//! `fpu__exception_code` from arch/x86/kernel/fpu/core.c and
//! `print_vma_addr` from mm/memory.c. #PF lives in fault.rs.
//!
//! Each vector enters through its stub in entry_64.rs (`asm_exc_*`),
//! which saves a `pt_regs` frame and calls the handler here by Linux's
//! name: `exc_divide_error(regs)`, `exc_general_protection(regs,
//! error_code)`, ... An exception from user mode becomes Linux's signal
//! (`force_sig_fault`, with Linux's `si_code` and address), the kernel log
//! gets Linux's `traps:` line (`show_signal`), and the signal is acted on
//! in the exit-to-user work (`irqentry_exit`) before ring 3 runs again.
//! From kernel mode an exception-table entry (uaccess.rs) may fix the
//! fault up; otherwise `die_regs` reports it and fails the run. The one
//! exception the kernel takes on purpose is the `int3` self-test, which
//! reports and resumes.
//!
//! Left out: notifiers (kprobes, kgdb, `notify_die`), `report_bug` (no
//! `BUG()`/`WARN()` tables: a kernel `ud2` is fatal), UMIP and IOPL
//! emulation, split-lock detection, vm86, hardware breakpoints (DR7 is
//! never set, so a kernel #DB with DR6 trap bits is a bug), the NMI
//! reason port and machine-check decoding (both stay fatal), and the
//! `show_unhandled_signals`/`unhandled_signal` filter (no handler can be
//! installed yet, so every such signal is unhandled).

use alloc::format;
use alloc::string::String;
use core::arch::asm;

use ::x86_64::registers::control::{Cr0, Cr0Flags, Cr2, Cr3};

use super::early_printk::emergency_print;
use super::entry_64::CPU_CURRENT_TOP_OF_STACK;
use super::irqflags::{local_irq_disable, local_irq_enable};
use super::ptrace::{PtRegs, X86_EFLAGS_IF, X86_EFLAGS_TF, user_mode};
use super::reboot::fail;
use super::uaccess::fixup_exception;
use crate::mm::page::PAGE_SHIFT;
use crate::task::signal::force_sig_fault;
use crate::uapi::signal::{
    BUS_ADRALN, FPE_FLTDIV, FPE_FLTINV, FPE_FLTOVF, FPE_FLTRES, FPE_FLTUND, FPE_INTDIV, ILL_ILLOPN,
    SI_KERNEL, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, TRAP_BRKPT, TRAP_HWBKPT, TRAP_TRACE,
};

/// Exception vectors (`enum x86_trap`, asm/trapnr.h).
pub const X86_TRAP_DE: u8 = 0;
pub const X86_TRAP_DB: u8 = 1;
pub const X86_TRAP_NMI: u8 = 2;
pub const X86_TRAP_BP: u8 = 3;
pub const X86_TRAP_OF: u8 = 4;
pub const X86_TRAP_BR: u8 = 5;
pub const X86_TRAP_UD: u8 = 6;
pub const X86_TRAP_NM: u8 = 7;
pub const X86_TRAP_DF: u8 = 8;
pub const X86_TRAP_OLD_MF: u8 = 9;
pub const X86_TRAP_TS: u8 = 10;
pub const X86_TRAP_NP: u8 = 11;
pub const X86_TRAP_SS: u8 = 12;
pub const X86_TRAP_GP: u8 = 13;
pub const X86_TRAP_MF: u8 = 16;
pub const X86_TRAP_AC: u8 = 17;
pub const X86_TRAP_MC: u8 = 18;
pub const X86_TRAP_XF: u8 = 19;
pub const X86_TRAP_VE: u8 = 20;
pub const X86_TRAP_CP: u8 = 21;
pub const X86_TRAP_HV: u8 = 28;
pub const X86_TRAP_VC: u8 = 29;
pub const X86_TRAP_SX: u8 = 30;

/// DR6 bits (asm/debugreg.h), in positive polarity after
/// `debug_read_clear_dr6`.
const DR_TRAP_BITS: u64 = 0xf;
const DR_STEP: u64 = 0x4000;
/// Bits that read as one in DR6 when nothing happened.
const DR6_RESERVED: u64 = 0xffff_0ff0;

/// Reports a fatal exception taken through an entry stub (Linux's `die`)
/// and ends the run:
/// `vector N (NAME) error_code=0x… RIP=0x… CR2=0x…` and the registers.
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

fn cond_local_irq_enable(regs: &PtRegs) {
    if regs.flags & X86_EFLAGS_IF != 0 {
        local_irq_enable();
    }
}

fn cond_local_irq_disable(regs: &PtRegs) {
    if regs.flags & X86_EFLAGS_IF != 0 {
        local_irq_disable();
    }
}

/// `irqentry_exit()`: an exception from user mode leaves through the
/// exit-to-user work, where a signal queued here is acted on. (The kernel
/// is not preemptible, so a return to kernel mode has nothing to do.)
fn irqentry_exit(regs: &mut PtRegs) {
    if user_mode(regs) {
        crate::task::entry_common::irqentry_exit_to_user_mode(regs);
    }
}

/// `sync_regs()`: called by `asm_exc_debug` on an IST stack for an entry
/// from user mode; copies the frame to the top of the task's stack
/// (where a non-IST entry from user mode would have put it) and returns
/// the copy, which the stub switches to.
pub extern "C" fn sync_regs(eregs: &PtRegs) -> *mut PtRegs {
    let top = CPU_CURRENT_TOP_OF_STACK.load(core::sync::atomic::Ordering::Relaxed);
    let regs = (top as *mut PtRegs).wrapping_sub(1);
    // SAFETY: the task was in user mode, so its kernel stack is empty and
    // the pt_regs slot at its top is free; `eregs` is the frame the stub
    // just built on the IST stack, which does not overlap the task stack.
    unsafe { regs.write(*eregs) };
    regs
}

/// `print_vma_addr(" in ", ip)`: the file mapped at `ip`, as
/// ` in NAME[OFFSET,START+SIZE]` (the offset in the file); empty for an
/// anonymous mapping, or when `mmap_lock` is taken (Linux's trylock).
fn print_vma_addr(ip: u64) -> String {
    let Some(mm) = crate::task::current().mm.lock_irqsave().clone() else {
        return String::new();
    };
    let Some(locked) = mm.mmap_lock.try_lock() else {
        return String::new();
    };
    let Some(vma) = locked.vmas.find_vma(ip) else {
        return String::new();
    };
    let Some(file) = &vma.vm_file else {
        return String::new();
    };
    let name = file.path.rsplit('/').next().unwrap_or("");
    let offset = ip
        .wrapping_sub(vma.vm_start)
        .wrapping_add(vma.vm_pgoff << PAGE_SHIFT);
    format!(
        " in {name}[{offset:x},{:x}+{:x}]",
        vma.vm_start,
        vma.vm_end - vma.vm_start
    )
}

/// `show_signal()`: Linux's `traps:` line for a fatal user exception, e.g.
/// `traps: fault[42] trap divide error ip:401136 sp:7ffe… error:0 in
/// fault[1136,401000+2000]`.
/// Only a signal that takes its default action is reported
/// (`unhandled_signal`). Also records the trap for the signal frame's
/// sigcontext (`thread.trap_nr`, `thread.error_code`).
fn show_signal(trapnr: u8, signr: i32, type_: &str, desc: &str, regs: &PtRegs, error_code: u64) {
    let task = crate::task::current();
    task.thread
        .trap_nr
        .store(u64::from(trapnr), core::sync::atomic::Ordering::Relaxed);
    task.thread
        .error_code
        .store(error_code, core::sync::atomic::Ordering::Relaxed);
    if !crate::task::signal::unhandled_signal(signr) {
        return;
    }
    log::info!(
        "traps: {}[{}] {type_}{desc} ip:{:x} sp:{:x} error:{error_code:x}{}",
        task.comm(),
        task.pid,
        regs.ip,
        regs.sp,
        print_vma_addr(regs.ip)
    );
}

/// `do_trap_no_signal()`: from kernel mode, an exception-table fixup or
/// `die`; returns true when the (user-mode) caller should signal.
fn do_trap_no_signal(trapnr: u8, str: &str, regs: &mut PtRegs, error_code: u64) -> bool {
    if !user_mode(regs) {
        if fixup_exception(regs) {
            return false;
        }
        die_regs(trapnr, str, regs, Some(error_code));
    }
    true
}

/// `do_trap()`: report and queue `signr`; `sicode` 0 means Linux's
/// `force_sig()`, which sends SI_KERNEL with no address.
#[inline(never)]
fn do_trap(
    trapnr: u8,
    signr: i32,
    str: &str,
    regs: &mut PtRegs,
    error_code: u64,
    sicode: i32,
    addr: u64,
) {
    if !do_trap_no_signal(trapnr, str, regs, error_code) {
        return;
    }
    show_signal(trapnr, signr, "trap ", str, regs, error_code);
    if sicode == 0 {
        force_sig_fault(signr, SI_KERNEL, 0);
    } else {
        force_sig_fault(signr, sicode, addr);
    }
}

/// `do_error_trap()`: `do_trap` with interrupts as the trapping context
/// had them.
#[inline(never)]
fn do_error_trap(
    regs: &mut PtRegs,
    error_code: u64,
    str: &str,
    trapnr: u8,
    signr: i32,
    sicode: i32,
    addr: u64,
) {
    cond_local_irq_enable(regs);
    do_trap(trapnr, signr, str, regs, error_code, sicode, addr);
    cond_local_irq_disable(regs);
}

/// `DEFINE_IDTENTRY(exc_divide_error)`: SIGFPE/FPE_INTDIV at the
/// instruction (POSIX wants `si_addr` = the faulting instruction).
pub extern "C" fn exc_divide_error(regs: &mut PtRegs) {
    let ip = regs.ip;
    do_error_trap(regs, 0, "divide error", X86_TRAP_DE, SIGFPE, FPE_INTDIV, ip);
    irqentry_exit(regs);
}

/// `exc_overflow`: `into` with OF set (invalid in 64-bit code, so only
/// reachable as `int 4`, which the SYSG gate allows).
pub extern "C" fn exc_overflow(regs: &mut PtRegs) {
    do_error_trap(regs, 0, "overflow", X86_TRAP_OF, SIGSEGV, 0, 0);
    irqentry_exit(regs);
}

/// `exc_bounds`: `bound` (invalid in 64-bit code) or `int 5`.
pub extern "C" fn exc_bounds(regs: &mut PtRegs) {
    cond_local_irq_enable(regs);
    if !user_mode(regs) {
        die_regs(X86_TRAP_BR, "bounds", regs, Some(0));
    }
    do_trap(X86_TRAP_BR, SIGSEGV, "bounds", regs, 0, 0, 0);
    cond_local_irq_disable(regs);
    irqentry_exit(regs);
}

/// `handle_invalid_op()`: SIGILL/ILL_ILLOPN at the instruction.
#[inline(never)]
fn handle_invalid_op(regs: &mut PtRegs) {
    let ip = regs.ip;
    do_error_trap(
        regs,
        0,
        "invalid opcode",
        X86_TRAP_UD,
        SIGILL,
        ILL_ILLOPN,
        ip,
    );
}

/// `exc_invalid_op`: #UD (`ud2`, an unknown opcode, SSE with CR4.OSFXSR
/// clear, ...).
pub extern "C" fn exc_invalid_op(regs: &mut PtRegs) {
    handle_invalid_op(regs);
    irqentry_exit(regs);
}

pub extern "C" fn exc_coproc_segment_overrun(regs: &mut PtRegs) {
    do_error_trap(
        regs,
        0,
        "coprocessor segment overrun",
        X86_TRAP_OLD_MF,
        SIGFPE,
        0,
        0,
    );
    irqentry_exit(regs);
}

pub extern "C" fn exc_invalid_tss(regs: &mut PtRegs, error_code: u64) {
    do_error_trap(regs, error_code, "invalid TSS", X86_TRAP_TS, SIGSEGV, 0, 0);
    irqentry_exit(regs);
}

pub extern "C" fn exc_segment_not_present(regs: &mut PtRegs, error_code: u64) {
    do_error_trap(
        regs,
        error_code,
        "segment not present",
        X86_TRAP_NP,
        SIGBUS,
        0,
        0,
    );
    irqentry_exit(regs);
}

pub extern "C" fn exc_stack_segment(regs: &mut PtRegs, error_code: u64) {
    do_error_trap(regs, error_code, "stack segment", X86_TRAP_SS, SIGBUS, 0, 0);
    irqentry_exit(regs);
}

/// `exc_alignment_check`: an unaligned access in ring 3 with EFLAGS.AC
/// and CR0.AM set: SIGBUS/BUS_ADRALN (no address, as Linux's).
pub extern "C" fn exc_alignment_check(regs: &mut PtRegs, error_code: u64) {
    // Ring 0 is never alignment-checked; Linux's only kernel #AC is a
    // split-lock detection, which tinymm does not enable.
    if !user_mode(regs) {
        die_regs(X86_TRAP_AC, "alignment check", regs, Some(error_code));
    }
    local_irq_enable();
    do_trap(
        X86_TRAP_AC,
        SIGBUS,
        "alignment check",
        regs,
        error_code,
        BUS_ADRALN,
        0,
    );
    local_irq_disable();
    irqentry_exit(regs);
}

const GPFSTR: &str = "general protection fault";

/// `exc_general_protection`: from user mode (a privileged instruction
/// such as `cli`, `int N` through a DPL-0 gate, a non-canonical address)
/// SIGSEGV with SI_KERNEL; from kernel mode a fixup or `die`.
pub extern "C" fn exc_general_protection(regs: &mut PtRegs, error_code: u64) {
    cond_local_irq_enable(regs);
    if user_mode(regs) {
        show_signal(X86_TRAP_GP, SIGSEGV, "", GPFSTR, regs, error_code);
        force_sig_fault(SIGSEGV, SI_KERNEL, 0);
    } else if !fixup_exception(regs) {
        let desc = if error_code != 0 {
            "segment-related general protection fault"
        } else {
            GPFSTR
        };
        die_regs(X86_TRAP_GP, desc, regs, Some(error_code));
    }
    cond_local_irq_disable(regs);
    irqentry_exit(regs);
}

/// `do_int3_user()`: SIGTRAP as Linux's `force_sig()` sends it
/// (SI_KERNEL, no address); the saved RIP is after the `int3`.
#[inline(never)]
fn do_int3_user(regs: &mut PtRegs) {
    cond_local_irq_enable(regs);
    do_trap(X86_TRAP_BP, SIGTRAP, "int3", regs, 0, 0, 0);
    cond_local_irq_disable(regs);
}

/// `do_int3()`: the kernel's breakpoint users (Linux's kprobes and kgdb)
/// come first. tinymm's one user is the `int3` self-test: report and
/// resume after the instruction.
#[inline(never)]
fn do_int3(regs: &PtRegs) {
    crate::println!("int3: breakpoint at RIP={:#x}", regs.ip);
}

/// `exc_int3`: #BP, from ring 3 a SIGTRAP, in the kernel `do_int3`.
pub extern "C" fn exc_int3(regs: &mut PtRegs) {
    if user_mode(regs) {
        do_int3_user(regs);
        irqentry_exit(regs);
    } else {
        do_int3(regs);
    }
}

/// `debug_read_clear_dr6()`: DR6 in positive polarity, reset for the next
/// #DB (the CPU never clears it itself). Out of line so that a gdb
/// breakpoint on the #DB handlers stops in their own frame.
#[inline(never)]
fn debug_read_clear_dr6() -> u64 {
    let mut dr6: u64;
    // SAFETY: reading and writing DR6 in ring 0 has no effect beyond the
    // register; DR6_RESERVED is its architectural reset value.
    unsafe {
        asm!("mov {0}, dr6", out(reg) dr6, options(nomem, nostack, preserves_flags));
        asm!("mov dr6, {0}", in(reg) DR6_RESERVED, options(nomem, nostack, preserves_flags));
    }
    dr6 ^= DR6_RESERVED;
    dr6
}

/// `get_si_code()`: a single step, a hardware breakpoint, else `int1`.
fn get_si_code(dr6: u64) -> i32 {
    if dr6 & DR_STEP != 0 {
        TRAP_TRACE
    } else if dr6 & DR_TRAP_BITS != 0 {
        TRAP_HWBKPT
    } else {
        TRAP_BRKPT
    }
}

/// `send_sigtrap()`: SIGTRAP at the user RIP.
fn send_sigtrap(regs: &PtRegs, si_code: i32) {
    let addr = if user_mode(regs) { regs.ip } else { 0 };
    force_sig_fault(SIGTRAP, si_code, addr);
}

/// `exc_debug_user()`: a single step (EFLAGS.TF) or `int1` (icebp) in
/// ring 3: SIGTRAP, no `traps:` line (Linux prints none).
#[inline(never)]
fn exc_debug_user(regs: &mut PtRegs, dr6: u64) {
    // With no reason in DR6, this was `int1`, for which the user wants a
    // SIGTRAP.
    let icebp = dr6 == 0;
    local_irq_enable();
    if dr6 & (DR_STEP | DR_TRAP_BITS) != 0 || icebp {
        send_sigtrap(regs, get_si_code(dr6));
    }
    local_irq_disable();
}

/// `exc_debug_kernel()`: the kernel neither single-steps itself nor sets
/// DR7, so only a stray TF (QEMU's gdb stub can leak one) is survivable.
#[inline(never)]
fn exc_debug_kernel(regs: &mut PtRegs, dr6: u64) {
    if dr6 == 0 {
        return;
    }
    if dr6 & DR_STEP != 0 {
        log::warn!("#DB: single step in kernel mode at {:#x}", regs.ip);
        regs.flags &= !X86_EFLAGS_TF;
        return;
    }
    die_regs(X86_TRAP_DB, "debug", regs, Some(0))
}

/// `DEFINE_IDTENTRY_DEBUG(exc_debug)`: #DB from kernel mode, on its IST
/// stack.
pub extern "C" fn exc_debug(regs: &mut PtRegs) {
    let dr6 = debug_read_clear_dr6();
    exc_debug_kernel(regs, dr6);
}

/// `DEFINE_IDTENTRY_DEBUG_USER(exc_debug)`: #DB from user mode, moved to
/// the task stack by `asm_exc_debug`.
pub extern "C" fn noist_exc_debug(regs: &mut PtRegs) {
    let dr6 = debug_read_clear_dr6();
    exc_debug_user(regs, dr6);
    irqentry_exit(regs);
}

/// `fnstcw`/`fnstsw`: the x87 control and status words (the no-wait forms,
/// which do not raise the pending exception again).
fn x87_control_status() -> (u16, u16) {
    let mut cwd: u16 = 0;
    let mut swd: u16 = 0;
    // SAFETY: CR0.EM is clear (cpu_init), so x87 stores execute; they
    // write only the two locals.
    unsafe {
        asm!(
            "fnstcw word ptr [{cwd}]",
            "fnstsw word ptr [{swd}]",
            cwd = in(reg) &raw mut cwd,
            swd = in(reg) &raw mut swd,
            options(nostack, preserves_flags),
        );
    }
    (cwd, swd)
}

/// `stmxcsr`: the SSE control/status register.
fn read_mxcsr() -> u32 {
    let mut mxcsr: u32 = 0;
    // SAFETY: CR4.OSFXSR is set (cpu_init), so `stmxcsr` executes; it
    // writes only the local.
    unsafe {
        asm!(
            "stmxcsr dword ptr [{0}]",
            in(reg) &raw mut mxcsr,
            options(nostack, preserves_flags),
        );
    }
    mxcsr
}

/// `fpu__exception_code()`: which unmasked exception the x87 status word
/// (#MF) or MXCSR (#XM) reports, as a SIGFPE `si_code`; 0 for a spurious
/// trap. The user's FPU registers are still live: nothing in the kernel
/// touches them before this runs.
#[allow(non_snake_case)] // Linux's name
fn fpu__exception_code(trapnr: u8) -> i32 {
    let err = if trapnr == X86_TRAP_MF {
        let (cwd, swd) = x87_control_status();
        u32::from(swd & !cwd)
    } else {
        // The mask bits (12:7) sit 7 above the flag bits (5:0).
        let mxcsr = read_mxcsr();
        !(mxcsr >> 7) & mxcsr
    };
    if err & 0x001 != 0 {
        FPE_FLTINV
    } else if err & 0x004 != 0 {
        FPE_FLTDIV
    } else if err & 0x008 != 0 {
        FPE_FLTOVF
    } else if err & 0x012 != 0 {
        FPE_FLTUND
    } else if err & 0x020 != 0 {
        FPE_FLTRES
    } else {
        0
    }
}

/// `math_error()`: SIGFPE with the x87/SSE cause at the instruction; no
/// `traps:` line (Linux prints none). A spurious trap is retried.
#[inline(never)]
fn math_error(regs: &mut PtRegs, trapnr: u8) {
    let str = if trapnr == X86_TRAP_MF {
        "fpu exception"
    } else {
        "simd exception"
    };
    let si_code = if user_mode(regs) {
        fpu__exception_code(trapnr)
    } else {
        0
    };
    cond_local_irq_enable(regs);
    if !user_mode(regs) {
        if !fixup_exception(regs) {
            die_regs(trapnr, str, regs, Some(0));
        }
    } else if si_code != 0 {
        force_sig_fault(SIGFPE, si_code, regs.ip);
    }
    cond_local_irq_disable(regs);
}

/// `exc_coprocessor_error`: #MF, an unmasked x87 exception (reported at
/// the next x87 instruction, CR0.NE set).
pub extern "C" fn exc_coprocessor_error(regs: &mut PtRegs) {
    math_error(regs, X86_TRAP_MF);
    irqentry_exit(regs);
}

/// `exc_simd_coprocessor_error`: #XM, an unmasked SSE exception
/// (CR4.OSXMMEXCPT set).
pub extern "C" fn exc_simd_coprocessor_error(regs: &mut PtRegs) {
    math_error(regs, X86_TRAP_XF);
    irqentry_exit(regs);
}

/// `exc_device_not_available`: #NM. The FPU is always on (CR0.EM and
/// CR0.TS clear), so this means CR0.TS got set: clear it and go on, as
/// Linux does; anything else is fatal.
pub extern "C" fn exc_device_not_available(regs: &mut PtRegs) {
    let cr0 = Cr0::read();
    if cr0.contains(Cr0Flags::TASK_SWITCHED) {
        log::warn!("CR0.TS was set");
        // SAFETY: clearing TS only lets FPU instructions run again.
        unsafe { Cr0::write(cr0 - Cr0Flags::TASK_SWITCHED) };
    } else {
        die_regs(X86_TRAP_NM, "unexpected #NM exception", regs, None);
    }
    irqentry_exit(regs);
}

/// #DF runs on its own IST stack, so it reports even a kernel stack
/// overflow.
pub extern "C" fn exc_double_fault(regs: &mut PtRegs, error_code: u64) -> ! {
    die_regs(X86_TRAP_DF, "double fault", regs, Some(error_code))
}

/// NMI: nothing in tinymm's machine sends one; report it and stop.
pub extern "C" fn exc_nmi(regs: &mut PtRegs) -> ! {
    die_regs(X86_TRAP_NMI, "NMI", regs, None)
}

pub extern "C" fn exc_machine_check(regs: &mut PtRegs) -> ! {
    die_regs(X86_TRAP_MC, "machine check", regs, None)
}

/// #VE (TDX guests), #CP (CET, not enabled), #HV and #VC (SEV-SNP guests)
/// and #SX (SVM): none can happen on this machine, so one is a bug.
pub extern "C" fn exc_virtualization_exception(regs: &mut PtRegs) -> ! {
    die_regs(X86_TRAP_VE, "virtualization exception", regs, None)
}

pub extern "C" fn exc_control_protection(regs: &mut PtRegs, error_code: u64) -> ! {
    die_regs(X86_TRAP_CP, "control protection", regs, Some(error_code))
}

pub extern "C" fn exc_hv_injection_exception(regs: &mut PtRegs) -> ! {
    die_regs(X86_TRAP_HV, "HV injection", regs, None)
}

pub extern "C" fn exc_vmm_communication(regs: &mut PtRegs, error_code: u64) -> ! {
    die_regs(X86_TRAP_VC, "VMM communication", regs, Some(error_code))
}

pub extern "C" fn exc_security_exception(regs: &mut PtRegs, error_code: u64) -> ! {
    die_regs(X86_TRAP_SX, "security exception", regs, Some(error_code))
}
