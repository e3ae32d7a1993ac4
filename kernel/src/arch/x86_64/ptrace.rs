//! `struct pt_regs` (arch/x86/include/asm/ptrace.h): the registers an entry
//! stub saves on the kernel stack, in Linux's order, so offsets, gdb's view
//! and the entry assembly agree with Linux's.

use super::desc::{USER_CS, USER_DS};

/// Linux's x86_64 `struct pt_regs`. `orig_rax` holds the syscall number on
/// a syscall, the error code (then -1) on an exception with one, and -1
/// otherwise.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PtRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub bp: u64,
    pub bx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub ax: u64,
    pub cx: u64,
    pub dx: u64,
    pub si: u64,
    pub di: u64,
    pub orig_ax: u64,
    pub ip: u64,
    pub cs: u64,
    pub flags: u64,
    pub sp: u64,
    pub ss: u64,
}

/// Size of `struct pt_regs` (21 quadwords), as the assembly assumes.
pub const PT_REGS_SIZE: usize = 21 * 8;
const _: () = assert!(core::mem::size_of::<PtRegs>() == PT_REGS_SIZE);

/// RFLAGS bits used by the entry code (asm/processor-flags.h).
pub const X86_EFLAGS_TF: u64 = 1 << 8;
pub const X86_EFLAGS_IF: u64 = 1 << 9;
pub const X86_EFLAGS_DF: u64 = 1 << 10;
pub const X86_EFLAGS_IOPL: u64 = 3 << 12;
pub const X86_EFLAGS_NT: u64 = 1 << 14;
pub const X86_EFLAGS_RF: u64 = 1 << 16;
pub const X86_EFLAGS_AC: u64 = 1 << 18;
/// Bit 1 of RFLAGS always reads as one.
pub const X86_EFLAGS_FIXED: u64 = 1 << 1;

/// `user_mode()`: whether the frame was saved on an entry from ring 3.
pub fn user_mode(regs: &PtRegs) -> bool {
    regs.cs & 3 == 3
}

impl PtRegs {
    /// The frame a new user task starts from (`start_thread`): all
    /// general registers zero, user segments, interrupts on.
    pub fn start_thread(ip: u64, sp: u64) -> Self {
        Self {
            ip,
            sp,
            cs: u64::from(USER_CS.0),
            ss: u64::from(USER_DS.0),
            flags: X86_EFLAGS_IF | X86_EFLAGS_FIXED,
            orig_ax: u64::MAX,
            ..Self::default()
        }
    }
}
