//! The low-level entry and exit code; mirrors arch/x86/entry/entry_64.S.
//!
//! * `entry_SYSCALL_64`: the `syscall` instruction lands here (MSR_LSTAR).
//!   It switches to the current task's kernel stack, builds a
//!   `struct pt_regs` at its top, calls `do_syscall_64(regs, nr)` and
//!   returns with `sysretq` when `do_syscall_64` says that is safe, else
//!   with `iretq`.
//! * `asm_exc_*` (Linux's `idtentry` stubs, one per exception vector):
//!   `asm_exc_page_fault` → `exc_page_fault(regs, error_code)`,
//!   `asm_exc_divide_error` → `exc_divide_error(regs)`, ... For vectors
//!   where the CPU pushes an error code, the stub passes it and stores -1
//!   in its slot (`orig_ax`); for the others it pushes -1 there, so every
//!   handler sees a complete `pt_regs`. #DF, NMI and #MC run on their IST
//!   stacks throughout; `asm_exc_debug` (Linux's `idtentry_mce_db`) moves
//!   an entry from user mode off its IST stack onto the task's stack
//!   (`sync_regs`) before calling `noist_exc_debug`, because the exit to
//!   user mode may schedule or exit.
//! * `asm_common_interrupt` and its per-vector stubs `irq_entries_start`:
//!   every external vector 32..256 → `common_interrupt(regs, vector)`.
//! * `ret_from_fork_asm`: where a new task's first context switch returns
//!   to; calls `ret_from_fork(regs, fn, arg)` and leaves to user mode
//!   through the common `iretq` path (kernel threads never come back).
//! * `__switch_to_asm(prev_sp, next_sp)`: saves the callee-saved registers
//!   on the old stack, switches stacks, restores them from the new one.
//!
//! Every stub carries DWARF CFI describing the `pt_regs` frame (saved RIP,
//! RSP and the callee-saved registers), so gdb's `bt` from inside
//! `exc_page_fault`, `exc_int3` or `do_syscall_64` shows the stub and continues into
//! the interrupted code (the user RIP or the kernel function). Linux does
//! this with ORC unwind hints; we use the older `CFI_*` way. (Marking the
//! stubs `.cfi_signal_frame` would make gdb print `<signal handler
//! called>` instead of the stub's name.)
//!
//! Left out: swapgs and per-CPU data through GS (one CPU: two statics play
//! `pcpu_hot.top_of_stack` and the `rsp_scratch` slot), PTI, IBRS, FRED.
//! The stack below `pt_regs` gets 8 bytes of padding before each call so
//! that Rust code runs with the ABI's 16-byte stack alignment.

use core::arch::global_asm;
use core::sync::atomic::AtomicU64;

use super::entry_common::do_syscall_64;
use super::fault::exc_page_fault;
use super::irq::common_interrupt;
use super::process_64::ret_from_fork;
use super::traps::*;

/// `pcpu_hot.top_of_stack`: top of the current task's kernel stack, where
/// `entry_SYSCALL_64` builds `pt_regs`. Written by `__switch_to`.
pub static CPU_CURRENT_TOP_OF_STACK: AtomicU64 = AtomicU64::new(0);
/// Linux's `rsp_scratch`: the user RSP between `syscall` and the push.
static RSP_SCRATCH: AtomicU64 = AtomicU64::new(0);

unsafe extern "C" {
    /// Target of MSR_LSTAR; not callable from Rust.
    pub fn entry_SYSCALL_64();
    /// IDT vector 14.
    pub fn asm_exc_page_fault();
    /// The other exception vectors, by Linux's names (asm/idtentry.h).
    pub fn asm_exc_divide_error();
    pub fn asm_exc_debug();
    pub fn asm_exc_nmi();
    pub fn asm_exc_int3();
    pub fn asm_exc_overflow();
    pub fn asm_exc_bounds();
    pub fn asm_exc_invalid_op();
    pub fn asm_exc_device_not_available();
    pub fn asm_exc_double_fault();
    pub fn asm_exc_coproc_segment_overrun();
    pub fn asm_exc_invalid_tss();
    pub fn asm_exc_segment_not_present();
    pub fn asm_exc_stack_segment();
    pub fn asm_exc_general_protection();
    pub fn asm_exc_coprocessor_error();
    pub fn asm_exc_alignment_check();
    pub fn asm_exc_machine_check();
    pub fn asm_exc_simd_coprocessor_error();
    pub fn asm_exc_virtualization_exception();
    pub fn asm_exc_control_protection();
    pub fn asm_exc_hv_injection_exception();
    pub fn asm_exc_vmm_communication();
    pub fn asm_exc_security_exception();
    /// `NR_EXTERNAL_VECTORS` stubs of `IRQ_STUB_SIZE` bytes for vectors
    /// 32..256.
    pub fn irq_entries_start();
    /// A new task's first "return" from `__switch_to_asm`.
    pub fn ret_from_fork_asm();
    /// Switch kernel stacks: save RSP to `*prev_sp`, load `next_sp`.
    pub fn __switch_to_asm(prev_sp: *mut u64, next_sp: u64);
}

/// Bytes per stub in `irq_entries_start` (Linux: `IDT_ALIGN`).
pub const IRQ_STUB_SIZE: u64 = 16;
/// `FIRST_EXTERNAL_VECTOR`: vectors below are the CPU's exceptions.
pub const FIRST_EXTERNAL_VECTOR: u64 = 32;
/// `NR_EXTERNAL_VECTORS`: 32..256 each get a stub.
pub const NR_EXTERNAL_VECTORS: u64 = 256 - FIRST_EXTERNAL_VECTOR;

global_asm!(
    r#"
    /* DWARF numbers: rbx 3, rbp 6, rsp 7, r12-r15 12-15, rip 16. */
    /* CFI for a complete pt_regs at CFA-168 (CFA = end of pt_regs). */
    .macro PT_REGS_CFI
        .cfi_offset 16, -40
        .cfi_offset 7, -16
        .cfi_offset 6, -136
        .cfi_offset 3, -128
        .cfi_offset 12, -144
        .cfi_offset 13, -152
        .cfi_offset 14, -160
        .cfi_offset 15, -168
    .endm

    /* Push rdi..r15 below orig_rax, keeping the CFA offset right. */
    .macro PUSH_REGS
        push rdi
        .cfi_adjust_cfa_offset 8
        push rsi
        .cfi_adjust_cfa_offset 8
        push rdx
        .cfi_adjust_cfa_offset 8
        push rcx
        .cfi_adjust_cfa_offset 8
        push rax
        .cfi_adjust_cfa_offset 8
        push r8
        .cfi_adjust_cfa_offset 8
        push r9
        .cfi_adjust_cfa_offset 8
        push r10
        .cfi_adjust_cfa_offset 8
        push r11
        .cfi_adjust_cfa_offset 8
        push rbx
        .cfi_adjust_cfa_offset 8
        push rbp
        .cfi_adjust_cfa_offset 8
        push r12
        .cfi_adjust_cfa_offset 8
        push r13
        .cfi_adjust_cfa_offset 8
        push r14
        .cfi_adjust_cfa_offset 8
        push r15
        .cfi_adjust_cfa_offset 8
        PT_REGS_CFI
    .endm

    /* idtentry: a stub for exception vector `name` that builds pt_regs
       and calls `handler(regs)`, or `handler(regs, error_code)` when the
       CPU pushed an error code (which sits in orig_ax's slot; -1 replaces
       it there, as without one). */
    .macro IDTENTRY name, handler, has_error_code
    .global \name
    .type \name, @function
    .p2align 4
\name:
    .cfi_startproc simple
    .if \has_error_code
    .cfi_def_cfa 7, 48
    .else
    .cfi_def_cfa 7, 40
    .endif
    .cfi_offset 16, -40
    .cfi_offset 7, -16
    cld
    clac                                /* SMAP on in the handler (ASM_CLAC) */
    .if \has_error_code == 0
    push -1                             /* pt_regs->orig_ax */
    .cfi_adjust_cfa_offset 8
    .endif
    PUSH_REGS
    mov rdi, rsp
    .if \has_error_code
    mov rsi, qword ptr [rsp + 120]      /* error code */
    mov qword ptr [rsp + 120], -1       /* orig_ax = -1 */
    .endif
    sub rsp, 8
    .cfi_adjust_cfa_offset 8
    call \handler
    add rsp, 8
    .cfi_adjust_cfa_offset -8
    jmp restore_regs_and_iret
    .cfi_endproc
    .size \name, . - \name
    .endm

    .pushsection .text.entry_64, "ax", @progbits

    /* ---------------------------------------------------------------- */
    .global entry_SYSCALL_64
    .type entry_SYSCALL_64, @function
    .p2align 4
entry_SYSCALL_64:
    .cfi_startproc simple
    /* Still on the user stack; the return RIP is in rcx. */
    .cfi_def_cfa 7, 0
    .cfi_register 16, 2
    mov qword ptr [rip + {scratch}], rsp
    mov rsp, qword ptr [rip + {top}]
    .cfi_undefined 16
    push 0x2b                           /* pt_regs->ss = __USER_DS */
    push qword ptr [rip + {scratch}]    /* pt_regs->sp */
    push r11                            /* pt_regs->flags */
    push 0x33                           /* pt_regs->cs = __USER_CS */
    push rcx                            /* pt_regs->ip */
    .cfi_def_cfa 7, 40
    .cfi_offset 16, -40
    .cfi_offset 7, -16
    push rax                            /* pt_regs->orig_ax */
    .cfi_adjust_cfa_offset 8
    push rdi
    .cfi_adjust_cfa_offset 8
    push rsi
    .cfi_adjust_cfa_offset 8
    push rdx
    .cfi_adjust_cfa_offset 8
    push rcx
    .cfi_adjust_cfa_offset 8
    push -38                            /* pt_regs->ax = -ENOSYS */
    .cfi_adjust_cfa_offset 8
    push r8
    .cfi_adjust_cfa_offset 8
    push r9
    .cfi_adjust_cfa_offset 8
    push r10
    .cfi_adjust_cfa_offset 8
    push r11
    .cfi_adjust_cfa_offset 8
    push rbx
    .cfi_adjust_cfa_offset 8
    push rbp
    .cfi_adjust_cfa_offset 8
    push r12
    .cfi_adjust_cfa_offset 8
    push r13
    .cfi_adjust_cfa_offset 8
    push r14
    .cfi_adjust_cfa_offset 8
    push r15
    .cfi_adjust_cfa_offset 8
    PT_REGS_CFI
    mov rdi, rsp
    movsxd rsi, eax
    sub rsp, 8
    .cfi_adjust_cfa_offset 8
    call {do_syscall_64}
    add rsp, 8
    .cfi_adjust_cfa_offset -8
    test al, al
    jz 1f
    /* sysretq: rcx == ip and r11 == flags were checked by do_syscall_64. */
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    pop r11
    pop r10
    pop r9
    pop r8
    pop rax
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    mov rsp, qword ptr [rsp + 32]       /* pt_regs->sp, from orig_ax's slot */
    sysretq
1:
    jmp restore_regs_and_iret
    .cfi_endproc
    .size entry_SYSCALL_64, . - entry_SYSCALL_64

    /* ---------------------------------------------------------------- */
    /* Common exit: pop pt_regs, skip orig_ax, iretq (to user or kernel). */
    .global restore_regs_and_iret
    .type restore_regs_and_iret, @function
    .p2align 4
restore_regs_and_iret:
    .cfi_startproc simple
    .cfi_def_cfa 7, 168
    PT_REGS_CFI
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    pop r11
    pop r10
    pop r9
    pop r8
    pop rax
    pop rcx
    pop rdx
    pop rsi
    pop rdi
    add rsp, 8
    iretq
    .cfi_endproc
    .size restore_regs_and_iret, . - restore_regs_and_iret

    /* ---------------------------------------------------------------- */
    .global asm_exc_page_fault
    .type asm_exc_page_fault, @function
    .p2align 4
asm_exc_page_fault:
    .cfi_startproc simple
    /* The CPU pushed ss, rsp, rflags, cs, rip and the error code, which
       sits in pt_regs->orig_ax's slot. */
    .cfi_def_cfa 7, 48
    .cfi_offset 16, -40
    .cfi_offset 7, -16
    cld
    clac                                /* SMAP on in the handler (ASM_CLAC) */
    PUSH_REGS
    mov rdi, rsp
    mov rsi, qword ptr [rsp + 120]      /* error code */
    mov qword ptr [rsp + 120], -1       /* orig_ax = -1 */
    sub rsp, 8
    .cfi_adjust_cfa_offset 8
    call {exc_page_fault}
    add rsp, 8
    .cfi_adjust_cfa_offset -8
    jmp restore_regs_and_iret
    .cfi_endproc
    .size asm_exc_page_fault, . - asm_exc_page_fault

    /* ---------------------------------------------------------------- */
    /* The exception vectors (Linux's idtentry lines, asm/idtentry.h). */
    IDTENTRY asm_exc_divide_error, {exc_divide_error}, 0
    IDTENTRY asm_exc_nmi, {exc_nmi}, 0
    IDTENTRY asm_exc_int3, {exc_int3}, 0
    IDTENTRY asm_exc_overflow, {exc_overflow}, 0
    IDTENTRY asm_exc_bounds, {exc_bounds}, 0
    IDTENTRY asm_exc_invalid_op, {exc_invalid_op}, 0
    IDTENTRY asm_exc_device_not_available, {exc_device_not_available}, 0
    IDTENTRY asm_exc_double_fault, {exc_double_fault}, 1
    IDTENTRY asm_exc_coproc_segment_overrun, {exc_coproc_segment_overrun}, 0
    IDTENTRY asm_exc_invalid_tss, {exc_invalid_tss}, 1
    IDTENTRY asm_exc_segment_not_present, {exc_segment_not_present}, 1
    IDTENTRY asm_exc_stack_segment, {exc_stack_segment}, 1
    IDTENTRY asm_exc_general_protection, {exc_general_protection}, 1
    IDTENTRY asm_exc_coprocessor_error, {exc_coprocessor_error}, 0
    IDTENTRY asm_exc_alignment_check, {exc_alignment_check}, 1
    IDTENTRY asm_exc_machine_check, {exc_machine_check}, 0
    IDTENTRY asm_exc_simd_coprocessor_error, {exc_simd_coprocessor_error}, 0
    IDTENTRY asm_exc_virtualization_exception, {exc_virtualization_exception}, 0
    IDTENTRY asm_exc_control_protection, {exc_control_protection}, 1
    IDTENTRY asm_exc_hv_injection_exception, {exc_hv_injection_exception}, 0
    IDTENTRY asm_exc_vmm_communication, {exc_vmm_communication}, 1
    IDTENTRY asm_exc_security_exception, {exc_security_exception}, 1

    /* ---------------------------------------------------------------- */
    /* #DB (idtentry_mce_db): arrives on its IST stack. From kernel mode
       `exc_debug` runs there; from user mode `sync_regs` copies pt_regs
       to the top of the task's stack and `noist_exc_debug` runs on that,
       so the exit to user mode may schedule and a nested #DB cannot
       overwrite the frame. */
    .global asm_exc_debug
    .type asm_exc_debug, @function
    .p2align 4
asm_exc_debug:
    .cfi_startproc simple
    .cfi_def_cfa 7, 40
    .cfi_offset 16, -40
    .cfi_offset 7, -16
    cld
    clac
    push -1                             /* pt_regs->orig_ax */
    .cfi_adjust_cfa_offset 8
    PUSH_REGS
    test byte ptr [rsp + 136], 3        /* pt_regs->cs: from user mode? */
    jnz 1f
    mov rdi, rsp
    sub rsp, 8
    .cfi_adjust_cfa_offset 8
    call {exc_debug}
    add rsp, 8
    .cfi_adjust_cfa_offset -8
    jmp restore_regs_and_iret
1:
    mov rdi, rsp
    sub rsp, 8
    .cfi_adjust_cfa_offset 8
    call {sync_regs}
    mov rsp, rax                        /* the copy on the task stack */
    .cfi_adjust_cfa_offset -8
    mov rdi, rsp
    sub rsp, 8
    .cfi_adjust_cfa_offset 8
    call {noist_exc_debug}
    add rsp, 8
    .cfi_adjust_cfa_offset -8
    jmp restore_regs_and_iret
    .cfi_endproc
    .size asm_exc_debug, . - asm_exc_debug

    /* ---------------------------------------------------------------- */
    /* One 16-byte stub per external vector: push the vector into
       orig_ax's slot (as a sign-extended imm8, hence the movzx below)
       and join asm_common_interrupt. */
    .global irq_entries_start
    .type irq_entries_start, @function
    .p2align 4
irq_entries_start:
    .set vector, {first_vector}
    .rept {nr_vectors}
    .p2align 4
    .cfi_startproc simple
    .cfi_def_cfa 7, 40
    .cfi_offset 16, -40
    .cfi_offset 7, -16
    .byte 0x6a, vector                  /* push imm8 */
    .cfi_adjust_cfa_offset 8
    jmp asm_common_interrupt
    .cfi_endproc
    .set vector, vector + 1
    .endr
    .size irq_entries_start, . - irq_entries_start

    .global asm_common_interrupt
    .type asm_common_interrupt, @function
    .p2align 4
asm_common_interrupt:
    .cfi_startproc simple
    .cfi_def_cfa 7, 48
    .cfi_offset 16, -40
    .cfi_offset 7, -16
    cld
    clac                                /* SMAP on in the handler (ASM_CLAC) */
    PUSH_REGS
    mov rdi, rsp
    movzx esi, byte ptr [rsp + 120]     /* vector */
    mov qword ptr [rsp + 120], -1
    sub rsp, 8
    .cfi_adjust_cfa_offset 8
    call {common_interrupt}
    add rsp, 8
    .cfi_adjust_cfa_offset -8
    jmp restore_regs_and_iret
    .cfi_endproc
    .size asm_common_interrupt, . - asm_common_interrupt

    /* ---------------------------------------------------------------- */
    /* Reached by __switch_to_asm's ret on a new task's stack: rsp points
       at its pt_regs, rbx holds the kernel-thread function (0 for a user
       task) and r12 its argument (see copy_thread). */
    .global ret_from_fork_asm
    .type ret_from_fork_asm, @function
    .p2align 4
ret_from_fork_asm:
    .cfi_startproc simple
    .cfi_def_cfa 7, 168
    PT_REGS_CFI
    mov rdi, rsp
    mov rsi, rbx
    mov rdx, r12
    sub rsp, 8
    .cfi_adjust_cfa_offset 8
    call {ret_from_fork}
    add rsp, 8
    .cfi_adjust_cfa_offset -8
    jmp restore_regs_and_iret
    .cfi_endproc
    .size ret_from_fork_asm, . - ret_from_fork_asm

    /* ---------------------------------------------------------------- */
    /* __switch_to_asm(rdi = &prev->thread.sp, rsi = next->thread.sp) */
    .global __switch_to_asm
    .type __switch_to_asm, @function
    .p2align 4
__switch_to_asm:
    .cfi_startproc
    push rbp
    .cfi_adjust_cfa_offset 8
    push rbx
    .cfi_adjust_cfa_offset 8
    push r12
    .cfi_adjust_cfa_offset 8
    push r13
    .cfi_adjust_cfa_offset 8
    push r14
    .cfi_adjust_cfa_offset 8
    push r15
    .cfi_adjust_cfa_offset 8
    mov qword ptr [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    .cfi_adjust_cfa_offset -48
    ret
    .cfi_endproc
    .size __switch_to_asm, . - __switch_to_asm

    .popsection
"#,
    scratch = sym RSP_SCRATCH,
    top = sym CPU_CURRENT_TOP_OF_STACK,
    do_syscall_64 = sym do_syscall_64,
    exc_page_fault = sym exc_page_fault,
    common_interrupt = sym common_interrupt,
    ret_from_fork = sym ret_from_fork,
    first_vector = const FIRST_EXTERNAL_VECTOR,
    nr_vectors = const NR_EXTERNAL_VECTORS,
    exc_divide_error = sym exc_divide_error,
    exc_debug = sym exc_debug,
    noist_exc_debug = sym noist_exc_debug,
    sync_regs = sym sync_regs,
    exc_nmi = sym exc_nmi,
    exc_int3 = sym exc_int3,
    exc_overflow = sym exc_overflow,
    exc_bounds = sym exc_bounds,
    exc_invalid_op = sym exc_invalid_op,
    exc_device_not_available = sym exc_device_not_available,
    exc_double_fault = sym exc_double_fault,
    exc_coproc_segment_overrun = sym exc_coproc_segment_overrun,
    exc_invalid_tss = sym exc_invalid_tss,
    exc_segment_not_present = sym exc_segment_not_present,
    exc_stack_segment = sym exc_stack_segment,
    exc_general_protection = sym exc_general_protection,
    exc_coprocessor_error = sym exc_coprocessor_error,
    exc_alignment_check = sym exc_alignment_check,
    exc_machine_check = sym exc_machine_check,
    exc_simd_coprocessor_error = sym exc_simd_coprocessor_error,
    exc_virtualization_exception = sym exc_virtualization_exception,
    exc_control_protection = sym exc_control_protection,
    exc_hv_injection_exception = sym exc_hv_injection_exception,
    exc_vmm_communication = sym exc_vmm_communication,
    exc_security_exception = sym exc_security_exception,
);
