//! The syscall table; mirrors arch/x86/entry/syscall_64.c (`x64_sys_call`)
//! with Linux's numbers (uapi/unistd_64.rs) and register convention
//! (rdi, rsi, rdx, r10, r8, r9; result in rax, `-errno` on failure).
//!
//! Arms are grouped by the layer that implements them. A number without
//! an arm gives ENOSYS, and the first time each does the kernel log names
//! the program and Linux's name for the call (`ni_syscall`).

use super::exit::{sys_exit, sys_exit_group, sys_wait4, sys_waitid};
use super::fork::{
    sys_clone, sys_clone3, sys_fork, sys_set_robust_list, sys_set_tid_address, sys_vfork,
};
use super::futex::sys_futex;
use super::sched::sys_sched_yield;
use super::signal::{
    sys_kill, sys_pause, sys_rt_sigaction, sys_rt_sigpending, sys_rt_sigprocmask,
    sys_rt_sigsuspend, sys_rt_sigtimedwait, sys_sigaltstack, sys_tgkill, sys_tkill,
};
use super::sys::*;
use super::time::{
    sys_clock_getres, sys_clock_gettime, sys_clock_nanosleep, sys_gettimeofday, sys_nanosleep,
    sys_restart_syscall, sys_time,
};
use super::utsname::{sys_newuname, sys_sethostname};
use crate::arch::x86_64::process_64::do_arch_prctl_64;
use crate::arch::x86_64::ptrace::PtRegs;
use crate::arch::x86_64::signal::sys_rt_sigreturn;
use crate::fs::dcache::sys_getcwd;
use crate::fs::exec::do_execve;
use crate::fs::ioctl::sys_ioctl;
use crate::fs::namei::{
    sys_linkat, sys_mkdirat, sys_mknodat, sys_renameat2, sys_rmdir, sys_symlinkat, sys_unlinkat,
};
use crate::fs::namespace::{sys_mount, sys_umount};
use crate::fs::open::{
    do_sys_openat, sys_chdir, sys_chroot, sys_creat, sys_faccessat2, sys_fchdir, sys_fchmod,
    sys_fchmodat, sys_fchown, sys_fchownat, sys_ftruncate, sys_truncate, sys_utimensat,
};
use crate::fs::pipe::do_pipe2;
use crate::fs::read_write::{
    do_readv_writev, ksys_dup3, ksys_lseek, ksys_pread64, ksys_pwrite64, ksys_read, ksys_write,
    sys_close, sys_dup, sys_dup2, sys_fcntl, sys_sendfile64,
};
use crate::fs::readdir::sys_getdents64;
use crate::fs::select::{sys_poll, sys_ppoll, sys_pselect6, sys_select};
use crate::fs::stat::{sys_fstat, sys_lstat, sys_newfstatat, sys_readlinkat, sys_stat, sys_statx};
use crate::fs::statfs::{sys_fstatfs, sys_statfs};
use crate::fs::sync::{do_fsync, sys_sync, sys_syncfs};
use crate::mm::madvise::sys_madvise;
use crate::mm::mlock::{sys_mlock, sys_munlock};
use crate::mm::mmap::sys::{ksys_mmap_pgoff, sys_brk, sys_munmap};
use crate::mm::mprotect::sys_mprotect;
use crate::mm::mremap::sys_mremap;
use crate::mm::msync::sys_msync;
use crate::mm::swapfile::{sys_swapoff, sys_swapon};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{AT_FDCWD, AT_SYMLINK_NOFOLLOW};
use crate::uapi::unistd_64::*;

/// A result as the value in rax.
fn ret<T: TryInto<i64>>(r: KResult<T>) -> i64 {
    match r {
        Ok(v) => v.try_into().unwrap_or(i64::MAX),
        Err(e) => e.as_ret(),
    }
}

/// The numbers of Linux's table already reported as not implemented, one
/// bit each (a fixed size: numbers come from user space).
static NI_REPORTED: SpinLock<[u64; SYSCALL_NAMES.len().div_ceil(64)]> =
    SpinLock::new([0; SYSCALL_NAMES.len().div_ceil(64)]);

/// `sys_ni_syscall()`: ENOSYS, and for a number of Linux's table one log
/// line, the first time, naming the program, its pid, the number and
/// Linux's name for it. Numbers past the table are ENOSYS silently, as
/// on Linux (and there is no end of them to remember).
#[inline(never)]
fn sys_ni_syscall(nr: u32) -> i64 {
    let nr = nr as usize;
    if nr >= SYSCALL_NAMES.len() {
        return Errno::ENOSYS.as_ret();
    }
    let first = {
        let mut reported = NI_REPORTED.lock_irqsave();
        let (word, bit) = (nr / 64, 1u64 << (nr % 64));
        let first = reported[word] & bit == 0;
        reported[word] |= bit;
        first
    };
    if first {
        let curr = super::current();
        match syscall_name(nr) {
            Some(name) => log::info!(
                "tinymm: {}[{}]: syscall {nr} ({name}) is not implemented",
                curr.comm(),
                curr.tgid
            ),
            None => log::info!(
                "tinymm: {}[{}]: syscall {nr} is not implemented",
                curr.comm(),
                curr.tgid
            ),
        }
    }
    Errno::ENOSYS.as_ret()
}

/// `x64_sys_call()`: dispatch on the low 32 bits of `regs.orig_ax` (Linux
/// takes the number as an `unsigned int`); unknown numbers give `-ENOSYS`.
#[inline(never)]
pub fn x64_sys_call(regs: &mut PtRegs) -> i64 {
    let (a0, a1, a2, a3) = (regs.di, regs.si, regs.dx, regs.r10);
    let nr = regs.orig_ax as u32;
    match nr as usize {
        // --- tasks, signals, time (task/) ---
        __NR_GETPID => sys_getpid(),
        __NR_GETPPID => sys_getppid(),
        __NR_EXIT => sys_exit(a0 as i32),
        __NR_EXIT_GROUP => sys_exit_group(a0 as i32),
        __NR_WAIT4 => ret(sys_wait4(a0 as i32, a1, a2 as i32, a3)),
        __NR_WAITID => ret(sys_waitid(a0 as i32, a1 as i32, a2, a3 as i32, regs.r8)),
        __NR_CLONE => ret(sys_clone(regs)),
        __NR_CLONE3 => ret(sys_clone3(a0, a1, regs)),
        __NR_FORK => ret(sys_fork(regs)),
        __NR_VFORK => ret(sys_vfork(regs)),
        __NR_GETTID => i64::from(super::current().pid),
        __NR_SET_TID_ADDRESS => sys_set_tid_address(a0),
        __NR_SET_ROBUST_LIST => ret(sys_set_robust_list(a0, a1)),
        // Restartable sequences are not offered (CONFIG_RSEQ=n): libcs
        // then mark them unregistered, as linux-abi.md §2 recommends.
        __NR_RSEQ => Errno::ENOSYS.as_ret(),
        __NR_ARCH_PRCTL => ret(do_arch_prctl_64(&super::current().thread, a0 as i32, a1)),
        __NR_KILL => ret(sys_kill(a0 as i32, a1 as i32)),
        __NR_TKILL => ret(sys_tkill(a0 as i32, a1 as i32)),
        __NR_TGKILL => ret(sys_tgkill(a0 as i32, a1 as i32, a2 as i32)),
        __NR_RT_SIGACTION => ret(sys_rt_sigaction(a0 as i32, a1, a2, a3)),
        __NR_RT_SIGPROCMASK => ret(sys_rt_sigprocmask(a0 as i32, a1, a2, a3)),
        __NR_RT_SIGPENDING => ret(sys_rt_sigpending(a0, a1)),
        __NR_RT_SIGSUSPEND => ret(sys_rt_sigsuspend(a0, a1)),
        __NR_RT_SIGTIMEDWAIT => ret(sys_rt_sigtimedwait(a0, a1, a2, a3)),
        __NR_PAUSE => ret(sys_pause()),
        __NR_RESTART_SYSCALL => ret(sys_restart_syscall()),
        __NR_RT_SIGRETURN => sys_rt_sigreturn(regs),
        __NR_SIGALTSTACK => ret(sys_sigaltstack(a0, a1, regs.sp)),
        __NR_NANOSLEEP => ret(sys_nanosleep(a0, a1)),
        __NR_CLOCK_GETTIME => ret(sys_clock_gettime(a0 as i32, a1)),
        __NR_SCHED_YIELD => sys_sched_yield(),
        __NR_UNAME => ret(sys_newuname(a0)),
        __NR_SETHOSTNAME => ret(sys_sethostname(false, a0, a1 as i32)),
        __NR_SETDOMAINNAME => ret(sys_sethostname(true, a0, a1 as i32)),
        __NR_EXECVE => ret(do_execve(regs, a0, a1, a2)),
        __NR_CLOCK_GETRES => ret(sys_clock_getres(a0 as i32, a1)),
        __NR_CLOCK_NANOSLEEP => ret(sys_clock_nanosleep(a0 as i32, a1 as i32, a2, a3)),
        __NR_GETTIMEOFDAY => ret(sys_gettimeofday(a0, a1)),
        __NR_TIME => ret(sys_time(a0)),
        __NR_FUTEX => ret(sys_futex(
            a0,
            a1 as i32,
            a2 as u32,
            a3,
            regs.r8,
            regs.r9 as u32,
        )),

        // --- process-wide state (task/sys.rs) ---
        __NR_GETUID | __NR_GETEUID | __NR_GETGID | __NR_GETEGID => sys_getuid(),
        __NR_GETRESUID | __NR_GETRESGID => ret(sys_getresuid(a0, a1, a2)),
        __NR_GETGROUPS => ret(sys_getgroups(a0 as i32)),
        __NR_SETUID | __NR_SETGID => ret(sys_setuid(a0 as u32)),
        __NR_UMASK => sys_umask(a0 as u32),
        __NR_SETPGID => ret(sys_setpgid(a0 as i32, a1 as i32)),
        __NR_GETPGID => ret(sys_getpgid(a0 as i32)),
        __NR_GETPGRP => sys_getpgrp(),
        __NR_SETSID => ret(sys_setsid()),
        __NR_GETSID => ret(sys_getsid(a0 as i32)),
        __NR_GETRLIMIT => ret(sys_getrlimit(a0 as u32, a1)),
        __NR_SETRLIMIT => ret(sys_setrlimit(a0 as u32, a1)),
        __NR_PRLIMIT64 => ret(sys_prlimit64(a0 as i32, a1 as u32, a2, a3)),
        __NR_GETRUSAGE => ret(sys_getrusage(a0 as i32, a1)),
        __NR_TIMES => ret(sys_times(a0)),
        __NR_SYSINFO => ret(sys_sysinfo(a0)),
        __NR_PRCTL => ret(sys_prctl(a0 as i32, a1)),
        __NR_GETRANDOM => ret(sys_getrandom(a0, a1 as usize, a2 as u32)),
        __NR_SCHED_GETAFFINITY => ret(sys_sched_getaffinity(a0 as i32, a1 as u32, a2)),
        __NR_SCHED_SETAFFINITY => ret(sys_sched_setaffinity(a0 as i32, a1 as u32, a2)),
        __NR_SCHED_GETSCHEDULER => ret(sys_sched_getscheduler(a0 as i32)),
        __NR_SCHED_GETPARAM => ret(sys_sched_getparam(a0 as i32, a1)),
        __NR_REBOOT => ret(super::reboot::sys_reboot(
            a0 as u32, a1 as u32, a2 as u32, a3,
        )),

        // --- the kernel log (printk/) ---
        __NR_SYSLOG => ret(crate::printk::printk::sys_syslog(a0 as i32, a1, a2 as i32)),

        // --- files (fs/) ---
        __NR_READ => ret(ksys_read(a0 as i32, a1, a2)),
        __NR_WRITE => ret(ksys_write(a0 as i32, a1, a2)),
        __NR_DUP => ret(sys_dup(a0 as i32)),
        __NR_DUP2 => ret(sys_dup2(a0 as i32, a1 as i32)),
        __NR_DUP3 => ret(ksys_dup3(a0 as i32, a1 as i32, a2 as u32)),
        __NR_PIPE => ret(do_pipe2(a0, 0)),
        __NR_PIPE2 => ret(do_pipe2(a0, a1 as u32)),
        __NR_READV => ret(do_readv_writev(a0 as i32, a1, a2, false)),
        __NR_WRITEV => ret(do_readv_writev(a0 as i32, a1, a2, true)),
        __NR_OPEN => ret(do_sys_openat(AT_FDCWD, a0, a1 as u32, a2 as u32)),
        __NR_OPENAT => ret(do_sys_openat(a0 as i32, a1, a2 as u32, a3 as u32)),
        __NR_CREAT => ret(sys_creat(a0, a1 as u32)),
        __NR_CLOSE => ret(sys_close(a0 as i32)),
        __NR_FCNTL => ret(sys_fcntl(a0 as i32, a1 as u32, a2)),
        __NR_LSEEK => ret(ksys_lseek(a0 as i32, a1 as i64, a2 as u32)),
        __NR_PREAD64 => ret(ksys_pread64(a0 as i32, a1, a2, a3 as i64)),
        __NR_PWRITE64 => ret(ksys_pwrite64(a0 as i32, a1, a2, a3 as i64)),
        __NR_SENDFILE => ret(sys_sendfile64(a0 as i32, a1 as i32, a2, a3)),
        __NR_STAT => ret(sys_stat(a0, a1)),
        __NR_LSTAT => ret(sys_lstat(a0, a1)),
        __NR_FSTAT => ret(sys_fstat(a0 as i32, a1)),
        __NR_NEWFSTATAT => ret(sys_newfstatat(a0 as i32, a1, a2, a3 as u32)),
        __NR_STATX => ret(sys_statx(a0 as i32, a1, a2 as u32, a3 as u32, regs.r8)),
        __NR_READLINK => ret(sys_readlinkat(AT_FDCWD, a0, a1, a2 as i32)),
        __NR_READLINKAT => ret(sys_readlinkat(a0 as i32, a1, a2, a3 as i32)),
        __NR_GETDENTS64 => ret(sys_getdents64(a0 as i32, a1, a2 as u32)),
        __NR_GETCWD => ret(sys_getcwd(a0, a1)),
        __NR_CHDIR => ret(sys_chdir(a0)),
        __NR_FCHDIR => ret(sys_fchdir(a0 as i32)),
        __NR_CHROOT => ret(sys_chroot(a0)),
        __NR_ACCESS => ret(sys_faccessat2(AT_FDCWD, a0, a1 as u32, 0)),
        __NR_FACCESSAT => ret(sys_faccessat2(a0 as i32, a1, a2 as u32, 0)),
        __NR_FACCESSAT2 => ret(sys_faccessat2(a0 as i32, a1, a2 as u32, a3 as u32)),
        __NR_MKDIR => ret(sys_mkdirat(AT_FDCWD, a0, a1 as u32)),
        __NR_MKDIRAT => ret(sys_mkdirat(a0 as i32, a1, a2 as u32)),
        __NR_RMDIR => ret(sys_rmdir(a0)),
        __NR_UNLINK => ret(sys_unlinkat(AT_FDCWD, a0, 0)),
        __NR_UNLINKAT => ret(sys_unlinkat(a0 as i32, a1, a2 as u32)),
        __NR_SYMLINK => ret(sys_symlinkat(a0, AT_FDCWD, a1)),
        __NR_SYMLINKAT => ret(sys_symlinkat(a0, a1 as i32, a2)),
        __NR_LINK => ret(sys_linkat(AT_FDCWD, a0, AT_FDCWD, a1, 0)),
        __NR_LINKAT => ret(sys_linkat(a0 as i32, a1, a2 as i32, a3, regs.r8 as u32)),
        __NR_RENAME => ret(sys_renameat2(AT_FDCWD, a0, AT_FDCWD, a1, 0)),
        __NR_RENAMEAT => ret(sys_renameat2(a0 as i32, a1, a2 as i32, a3, 0)),
        __NR_RENAMEAT2 => ret(sys_renameat2(a0 as i32, a1, a2 as i32, a3, regs.r8 as u32)),
        __NR_MKNOD => ret(sys_mknodat(AT_FDCWD, a0, a1 as u32, a2)),
        __NR_MKNODAT => ret(sys_mknodat(a0 as i32, a1, a2 as u32, a3)),
        __NR_TRUNCATE => ret(sys_truncate(a0, a1 as i64)),
        __NR_FTRUNCATE => ret(sys_ftruncate(a0 as i32, a1 as i64)),
        __NR_UTIMENSAT => ret(sys_utimensat(a0 as i32, a1, a2, a3 as u32)),
        __NR_CHMOD => ret(sys_fchmodat(AT_FDCWD, a0, a1 as u32)),
        __NR_FCHMOD => ret(sys_fchmod(a0 as i32, a1 as u32)),
        __NR_FCHMODAT => ret(sys_fchmodat(a0 as i32, a1, a2 as u32)),
        __NR_CHOWN => ret(sys_fchownat(AT_FDCWD, a0, a1 as u32, a2 as u32, 0)),
        __NR_LCHOWN => ret(sys_fchownat(
            AT_FDCWD,
            a0,
            a1 as u32,
            a2 as u32,
            AT_SYMLINK_NOFOLLOW,
        )),
        __NR_FCHOWN => ret(sys_fchown(a0 as i32, a1 as u32, a2 as u32)),
        __NR_FCHOWNAT => ret(sys_fchownat(
            a0 as i32,
            a1,
            a2 as u32,
            a3 as u32,
            regs.r8 as u32,
        )),
        __NR_STATFS => ret(sys_statfs(a0, a1)),
        __NR_FSTATFS => ret(sys_fstatfs(a0 as i32, a1)),
        __NR_SYNC => sys_sync(),
        __NR_SYNCFS => ret(sys_syncfs(a0 as i32)),
        __NR_FSYNC | __NR_FDATASYNC => ret(do_fsync(a0 as i32)),
        __NR_MOUNT => ret(sys_mount(a0, a1, a2, a3, regs.r8)),
        __NR_UMOUNT2 => ret(sys_umount(a0, a1 as u32)),
        __NR_IOCTL => ret(sys_ioctl(a0 as i32, a1 as u32, a2)),
        __NR_POLL => ret(sys_poll(a0, a1 as u32, a2 as i32)),
        __NR_PPOLL => ret(sys_ppoll(a0, a1 as u32, a2, a3, regs.r8)),
        __NR_SELECT => ret(sys_select(a0 as i32, a1, a2, a3, regs.r8)),
        __NR_PSELECT6 => ret(sys_pselect6(a0 as i32, a1, a2, a3, regs.r8, regs.r9)),

        // --- memory (mm/) ---
        __NR_MMAP => ret(ksys_mmap_pgoff(
            a0,
            a1,
            a2 as u32,
            a3 as u32,
            regs.r8 as i32,
            regs.r9,
        )),
        __NR_MUNMAP => ret(sys_munmap(a0, a1)),
        __NR_MPROTECT => ret(sys_mprotect(a0, a1, a2 as u32)),
        __NR_MREMAP => ret(sys_mremap(a0, a1, a2, a3, regs.r8)),
        __NR_MSYNC => ret(sys_msync(a0, a1, a2 as u32)),
        __NR_SWAPON => ret(sys_swapon(a0, a1 as i32)),
        __NR_SWAPOFF => ret(sys_swapoff(a0)),
        __NR_MADVISE => ret(sys_madvise(a0, a1, a2 as u32)),
        __NR_MLOCK => ret(sys_mlock(a0, a1)),
        __NR_MUNLOCK => ret(sys_munlock(a0, a1)),
        __NR_BRK => ret(sys_brk(a0)),

        _ => sys_ni_syscall(nr),
    }
}
