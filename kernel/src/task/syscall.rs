//! The syscall table; mirrors arch/x86/entry/syscall_64.c (`x64_sys_call`)
//! with Linux's numbers (uapi/unistd_64.rs) and register convention
//! (rdi, rsi, rdx, r10, r8, r9; result in rax, `-errno` on failure).
//!
//! Arms are grouped by owner: tasks and time here; the mm and fs arms are
//! added by those layers. `write` to fd 1/2 is a TEMPORARY console path
//! for the task self-tests, marked below, until the VFS provides
//! read/write/open.

use super::exit::{sys_exit, sys_exit_group, sys_wait4};
use super::sched::sys_sched_yield;
use super::signal::sys_kill;
use super::sys::{sys_getpid, sys_getppid, sys_newuname};
use super::time::{sys_clock_gettime, sys_nanosleep};
use crate::arch::x86_64::ptrace::PtRegs;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::unistd_64::*;

fn ret(r: KResult<i64>) -> i64 {
    r.unwrap_or_else(Errno::as_ret)
}

/// `x64_sys_call()`: dispatch on the low 32 bits of `regs.orig_ax` (Linux
/// takes the number as an `unsigned int`); unknown numbers give `-ENOSYS`.
#[inline(never)]
pub fn x64_sys_call(regs: &mut PtRegs) -> i64 {
    let (a0, a1, a2, a3) = (regs.di, regs.si, regs.dx, regs.r10);
    match regs.orig_ax as u32 as usize {
        // --- tasks, signals, time (task/) ---
        __NR_GETPID => sys_getpid(),
        __NR_GETPPID => sys_getppid(),
        __NR_EXIT => sys_exit(a0 as i32),
        __NR_EXIT_GROUP => sys_exit_group(a0 as i32),
        __NR_WAIT4 => ret(sys_wait4(a0 as i32, a1, a2 as i32, a3)),
        __NR_KILL => ret(sys_kill(a0 as i32, a1 as i32)),
        __NR_NANOSLEEP => ret(sys_nanosleep(a0, a1)),
        __NR_CLOCK_GETTIME => ret(sys_clock_gettime(a0 as i32, a1)),
        __NR_SCHED_YIELD => sys_sched_yield(),
        __NR_UNAME => ret(sys_newuname(a0)),

        // --- TEMPORARY (task self-tests only): write(1|2) to the console.
        // The VFS replaces this arm with its read/write/open/... arms. ---
        __NR_WRITE => ret(console_write_temporary(a0 as i32, a1, a2 as usize)),

        _ => Errno::ENOSYS.as_ret(),
    }
}

/// TEMPORARY: `write(fd, buf, count)` for fd 1 and 2 straight to the
/// serial console; EBADF for any other fd. Replaced by the VFS.
fn console_write_temporary(fd: i32, buf: u64, count: usize) -> KResult<i64> {
    if fd != 1 && fd != 2 {
        return Err(Errno::EBADF);
    }
    let mut chunk = [0u8; 256];
    let mut done = 0usize;
    while done < count {
        let n = (count - done).min(chunk.len());
        if let Err(e) =
            crate::arch::x86_64::uaccess::copy_from_user(&mut chunk[..n], buf + done as u64)
        {
            return if done == 0 { Err(e) } else { Ok(done as i64) };
        }
        crate::arch::x86_64::early_printk::console_write_bytes(&chunk[..n]);
        done += n;
    }
    Ok(done as i64)
}
