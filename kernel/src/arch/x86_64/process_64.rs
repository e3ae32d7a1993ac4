//! Task creation and the context switch; mirrors arch/x86/kernel/process.c
//! and process_64.c (`copy_thread`, `ret_from_fork`, `__switch_to`).
//!
//! A task's kernel stack holds, at its top, the `pt_regs` it returns to
//! user mode with (`task_pt_regs`). Below them `copy_thread` puts the
//! frame `__switch_to_asm` pops for a task that never ran
//! (`struct fork_frame`): callee-saved registers (rbx = kernel-thread
//! function or 0, r12 = its argument) and the return address
//! `ret_from_fork_asm`.

use super::desc::{KERNEL_CS, KERNEL_DS, update_task_stack};
use super::entry_64::{__switch_to_asm, CPU_CURRENT_TOP_OF_STACK, ret_from_fork_asm};
use super::fpu::FxregsState;
use super::irqflags::local_irq_enable;
use super::ptrace::{PT_REGS_SIZE, PtRegs, X86_EFLAGS_FIXED};
use super::uaccess::TASK_SIZE_MAX;
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use ::x86_64::registers::model_specific::Msr;
use core::sync::atomic::{AtomicU64, Ordering};

const MSR_FS_BASE: u32 = 0xc000_0100;
const MSR_GS_BASE: u32 = 0xc000_0101;

/// `arch_prctl` codes (arch/x86/include/uapi/asm/prctl.h).
const ARCH_SET_GS: i32 = 0x1001;
const ARCH_SET_FS: i32 = 0x1002;
const ARCH_GET_FS: i32 = 0x1003;
const ARCH_GET_GS: i32 = 0x1004;

/// `struct thread_struct` (asm/processor.h): a thread's CPU state beyond
/// its `pt_regs`.
pub struct ThreadStruct {
    /// User FS and GS bases (the TLS pointer); loaded on every switch-in.
    pub fsbase: AtomicU64,
    pub gsbase: AtomicU64,
    /// x87/SSE registers while the thread is switched out (`thread.fpu`).
    pub fpu: SpinLock<FxregsState>,
    /// `trap_nr`, `error_code` and `cr2` of the last fault, for the
    /// signal frame's sigcontext.
    pub trap_nr: AtomicU64,
    pub error_code: AtomicU64,
    pub cr2: AtomicU64,
}

impl ThreadStruct {
    /// A fresh thread: no TLS, the initial FPU state (`fpstate_reset`).
    pub fn new() -> Self {
        Self {
            fsbase: AtomicU64::new(0),
            gsbase: AtomicU64::new(0),
            fpu: SpinLock::new(FxregsState::init()),
            trap_nr: AtomicU64::new(0),
            error_code: AtomicU64::new(0),
            cr2: AtomicU64::new(0),
        }
    }

    /// `fpu_clone()` + the fs/gs part of `copy_thread()`: the child of the
    /// running thread starts with its live FPU registers and its TLS bases
    /// (`tls` replaces the FS base for CLONE_SETTLS).
    pub fn clone_current(&self, tls: Option<u64>) -> Self {
        let mut fpu = FxregsState::init();
        fpu.save();
        Self {
            fsbase: AtomicU64::new(tls.unwrap_or(self.fsbase.load(Ordering::Relaxed))),
            gsbase: AtomicU64::new(self.gsbase.load(Ordering::Relaxed)),
            fpu: SpinLock::new(fpu),
            trap_nr: AtomicU64::new(0),
            error_code: AtomicU64::new(0),
            cr2: AtomicU64::new(0),
        }
    }

    /// The exec part of `start_thread` / `fpu_flush_thread`: no TLS, the
    /// initial FPU registers (the running thread's are live, so load them).
    pub fn flush_current(&self) {
        self.fsbase.store(0, Ordering::Relaxed);
        self.gsbase.store(0, Ordering::Relaxed);
        load_bases(self);
        FxregsState::init().restore();
    }
}

impl Default for ThreadStruct {
    fn default() -> Self {
        Self::new()
    }
}

fn load_bases(t: &ThreadStruct) {
    // SAFETY: the FS/GS base MSRs exist on x86_64; the values are
    // canonical user addresses (checked by arch_prctl) or 0. The kernel
    // does not use FS or GS itself.
    unsafe {
        Msr::new(MSR_FS_BASE).write(t.fsbase.load(Ordering::Relaxed));
        Msr::new(MSR_GS_BASE).write(t.gsbase.load(Ordering::Relaxed));
    }
}

/// The thread-state half of `__switch_to()`: save `prev`'s FPU registers
/// (`switch_fpu_prepare`), load `next`'s and its FS/GS bases
/// (`x86_fsgsbase_load`, `switch_fpu_finish`). Interrupts off.
pub fn switch_thread_state(prev: &ThreadStruct, next: &ThreadStruct) {
    prev.fpu.lock_irqsave().save();
    next.fpu.lock_irqsave().restore();
    load_bases(next);
}

/// `do_arch_prctl_64()`: set or get the running thread's FS/GS base.
#[inline(never)]
pub fn do_arch_prctl_64(thread: &ThreadStruct, option: i32, arg2: u64) -> KResult<i64> {
    match option {
        ARCH_SET_FS | ARCH_SET_GS => {
            if arg2 >= TASK_SIZE_MAX {
                return Err(Errno::EPERM);
            }
            let slot = if option == ARCH_SET_FS {
                &thread.fsbase
            } else {
                &thread.gsbase
            };
            slot.store(arg2, Ordering::Relaxed);
            load_bases(thread);
            Ok(0)
        }
        ARCH_GET_FS | ARCH_GET_GS => {
            let v = if option == ARCH_GET_FS {
                thread.fsbase.load(Ordering::Relaxed)
            } else {
                thread.gsbase.load(Ordering::Relaxed)
            };
            super::uaccess::copy_to_user(arg2, &v.to_ne_bytes())?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// How a kernel thread's function ends.
pub enum KthreadReturn {
    /// The thread exits with this status.
    Exit(i32),
    /// `kernel_execve()` made the thread a user program: it leaves for
    /// user mode with these registers (`start_thread`), as a Linux kernel
    /// thread does that returns to `ret_from_fork` after a successful
    /// `kernel_execve()` (`kernel_init` becoming /init).
    User(PtRegs),
}

/// How a new task starts.
#[derive(Clone, Copy, Debug)]
pub enum ThreadStart {
    /// A kernel thread running `f(arg)`.
    Kernel {
        f: fn(usize) -> KthreadReturn,
        arg: usize,
    },
    /// A user task entering ring 3 at `ip` with stack pointer `sp`.
    User { ip: u64, sp: u64 },
    /// A fork or clone child, returning to user mode with these registers.
    Fork(PtRegs),
}

/// Words in the switch frame below pt_regs: r15 r14 r13 r12 rbx rbp ret.
const FORK_FRAME_WORDS: u64 = 7;

/// `task_pt_regs()`: where a task's user registers live on its stack.
pub fn task_pt_regs_addr(stack_top: u64) -> u64 {
    stack_top - PT_REGS_SIZE as u64
}

/// `copy_thread()`: lay out a new task's kernel stack (`stack_top` is the
/// 16-byte-aligned end of memory the caller owns exclusively) and return
/// its initial saved stack pointer (`thread.sp`).
pub fn copy_thread(stack_top: u64, start: ThreadStart) -> u64 {
    assert_eq!(
        stack_top % 16,
        0,
        "kernel stack top must be 16-byte aligned"
    );
    let regs_addr = task_pt_regs_addr(stack_top);
    let (regs, fn_word, arg_word) = match start {
        ThreadStart::Kernel { f, arg } => {
            let regs = PtRegs {
                cs: u64::from(KERNEL_CS.0),
                ss: u64::from(KERNEL_DS.0),
                flags: X86_EFLAGS_FIXED,
                orig_ax: u64::MAX,
                ..PtRegs::default()
            };
            (regs, f as usize as u64, arg as u64)
        }
        ThreadStart::User { ip, sp } => (PtRegs::start_thread(ip, sp), 0, 0),
        ThreadStart::Fork(regs) => (regs, 0, 0),
    };
    let frame_addr = regs_addr - FORK_FRAME_WORDS * 8;
    let frame: [u64; FORK_FRAME_WORDS as usize] = [
        0,                                     // r15
        0,                                     // r14
        0,                                     // r13
        arg_word,                              // r12
        fn_word,                               // rbx
        0,                                     // rbp
        ret_from_fork_asm as *const () as u64, // return address
    ];
    // SAFETY: the caller owns [stack_top - stack size, stack_top) and no one
    // runs on it yet; both writes fall inside its top 224 bytes and are
    // 8-byte aligned.
    unsafe {
        (regs_addr as *mut PtRegs).write(regs);
        (frame_addr as *mut [u64; FORK_FRAME_WORDS as usize]).write(frame);
    }
    frame_addr
}

/// `ret_from_fork()`: a new task's first code, on its own stack, with
/// interrupts off (the scheduler switched to it). A kernel thread runs
/// its function and exits with its return value, or, if the function
/// exec'd a program, leaves for it; a user task goes through the
/// exit-to-user work and `ret_from_fork_asm` `iretq`s to `regs`.
pub extern "C" fn ret_from_fork(regs: &mut PtRegs, f: usize, arg: usize) {
    crate::task::sched::schedule_tail();
    if f != 0 {
        type KthreadFn = fn(usize) -> KthreadReturn;
        // SAFETY: copy_thread stored a `KthreadFn` in rbx for kernel
        // threads (and 0 for user tasks); fn pointers and usize have the
        // same size and this one came from a real function item.
        let f: KthreadFn = unsafe { core::mem::transmute::<usize, KthreadFn>(f) };
        local_irq_enable();
        match f(arg) {
            KthreadReturn::Exit(ret) => crate::task::exit::do_exit((ret & 0xff) << 8),
            KthreadReturn::User(user) => *regs = user,
        }
    }
    crate::task::fork::schedule_tail_user();
    crate::task::entry_common::syscall_exit_to_user_mode(regs);
}

/// `__switch_to()`: make `next_stack_top` the stack for entries from user
/// mode (TSS.rsp0 and the syscall stack), then switch kernel stacks.
/// Returns when the previous task is switched back in. Interrupts must be
/// off. `next_stack_top` 0 means "keep" (the idle task never enters from
/// user mode).
// `prev_sp` is a raw pointer on purpose: the scheduler parks the previous
// task's Arc in a static across the switch (a borrow could not outlive
// the move), and the pointer is only handed to the assembly.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
#[inline(never)]
pub fn __switch_to(prev_sp: *mut u64, next_sp: u64, next_stack_top: u64) {
    if next_stack_top != 0 {
        update_task_stack(next_stack_top);
        CPU_CURRENT_TOP_OF_STACK.store(next_stack_top, Ordering::Relaxed);
    }
    // `prev_sp` is the running task's `thread.sp`, kept alive by the
    // scheduler past the switch; `next_sp` was saved here or made by
    // copy_thread for a stack that is still allocated.
    // SAFETY: both stack pointers are valid as stated above.
    unsafe { __switch_to_asm(prev_sp, next_sp) };
}
