//! The C side of the syscall entry; mirrors arch/x86/entry/common.c
//! (`do_syscall_64`). The generic exit work lives in task/entry_common.rs.

use super::desc::{USER_CS, USER_DS};
use super::irqflags::local_irq_enable;
use super::ptrace::{PtRegs, X86_EFLAGS_RF, X86_EFLAGS_TF};
use super::uaccess::TASK_SIZE_MAX;

/// `do_syscall_64()`: called by `entry_SYSCALL_64` with interrupts off and
/// `regs` at the top of the task's kernel stack. Runs the syscall with
/// interrupts on, then the exit-to-user work. Returns true when the
/// return may use `sysretq` (Linux's checks: RCX/R11 untouched, default
/// segments, canonical user RIP, no TF/RF), false for `iretq`.
#[inline(never)]
pub extern "C" fn do_syscall_64(regs: &mut PtRegs, nr: i64) -> bool {
    local_irq_enable();
    if nr >= 0 {
        regs.ax = crate::task::syscall::x64_sys_call(regs) as u64;
    }
    crate::task::entry_common::syscall_exit_to_user_mode(regs);
    regs.cx == regs.ip
        && regs.r11 == regs.flags
        && regs.cs == u64::from(USER_CS.0)
        && regs.ss == u64::from(USER_DS.0)
        && regs.ip < TASK_SIZE_MAX
        && regs.flags & (X86_EFLAGS_RF | X86_EFLAGS_TF) == 0
}
