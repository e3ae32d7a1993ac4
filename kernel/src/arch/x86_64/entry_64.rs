//! The low-level entry and exit code; mirrors arch/x86/entry/entry_64.S.
//!
//! * `entry_SYSCALL_64`: the `syscall` instruction lands here (MSR_LSTAR).
//!   It switches to the current task's kernel stack, builds a
//!   `struct pt_regs` at its top, calls `do_syscall_64(regs, nr)` and
//!   returns with `sysretq` when `do_syscall_64` says that is safe, else
//!   with `iretq`.
//! * `asm_exc_page_fault`: #PF (the CPU pushed an error code) →
//!   `exc_page_fault(regs, error_code)`.
//! * `asm_common_interrupt` and its per-vector stubs `irq_entries_start`:
//!   the 16 legacy PIC vectors → `common_interrupt(regs, vector)`.
//! * `ret_from_fork_asm`: where a new task's first context switch returns
//!   to; calls `ret_from_fork(regs, fn, arg)` and leaves to user mode
//!   through the common `iretq` path (kernel threads never come back).
//! * `__switch_to_asm(prev_sp, next_sp)`: saves the callee-saved registers
//!   on the old stack, switches stacks, restores them from the new one.
//!
//! Every stub carries DWARF CFI describing the `pt_regs` frame (saved RIP,
//! RSP and the callee-saved registers), so gdb's `bt` from inside
//! `exc_page_fault` or `do_syscall_64` shows the stub and continues into
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
    /// 16 stubs of `IRQ_STUB_SIZE` bytes for vectors 32..48.
    pub fn irq_entries_start();
    /// A new task's first "return" from `__switch_to_asm`.
    pub fn ret_from_fork_asm();
    /// Switch kernel stacks: save RSP to `*prev_sp`, load `next_sp`.
    pub fn __switch_to_asm(prev_sp: *mut u64, next_sp: u64);
}

/// Bytes per stub in `irq_entries_start` (Linux: `IDT_ALIGN`).
pub const IRQ_STUB_SIZE: u64 = 16;

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
    /* One 16-byte stub per legacy IRQ vector: push the vector into
       orig_ax's slot and join asm_common_interrupt. */
    .global irq_entries_start
    .type irq_entries_start, @function
    .p2align 4
irq_entries_start:
    .set vector, 32
    .rept 16
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
    mov rsi, qword ptr [rsp + 120]      /* vector */
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
);
