//! Signal delivery to user mode; mirrors arch/x86/kernel/signal.c and
//! signal_64.c: `arch_do_signal_or_restart` (syscall restarts and
//! `handle_signal`), the `rt_sigframe` that `x64_setup_rt_frame` builds
//! below the red zone (or on the alternate stack), and `rt_sigreturn`.
//!
//! Frame layout (`struct rt_sigframe`, asm/sigframe.h): `pretcode` (the
//! SA_RESTORER trampoline, popped by the handler's `ret`), `struct
//! ucontext` (flags, link, `uc_stack`, `struct sigcontext`, `uc_sigmask`),
//! `struct siginfo`; the 512-byte FXSAVE image sits above, 64-byte
//! aligned, pointed to by `sigcontext.fpstate`.

use core::sync::atomic::Ordering;

use super::desc::{USER_CS, USER_DS};
use super::fpu::{FXSAVE_SIZE, FxregsState};
use super::ptrace::{PtRegs, X86_EFLAGS_DF, X86_EFLAGS_RF, X86_EFLAGS_TF};
use super::uaccess::{TASK_SIZE_MAX, copy_from_user, copy_to_user};
use crate::task::current;
use crate::task::signal::{
    KSignal, force_sigsegv, get_signal, on_sig_stack, restore_saved_sigmask, set_current_blocked,
    sigmask_to_save, signal_setup_done,
};
use crate::uapi::errno::Errno;
use crate::uapi::signal::{SA_ONSTACK, SA_RESTART, SA_RESTORER, SIGSEGV, SS_AUTODISARM};
use crate::uapi::unistd_64::__NR_RESTART_SYSCALL;

/// `sizeof(struct rt_sigframe)` on x86_64.
const RT_SIGFRAME_SIZE: u64 = 440;
/// Offsets inside the frame.
const UC: usize = 8;
const UC_STACK: usize = UC + 16;
const SIGCONTEXT: usize = UC + 40;
const UC_SIGMASK: usize = UC + 296;
const INFO: usize = UC + 304;
/// `UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS`.
const UC_FLAGS: u64 = 0x2 | 0x4;
/// The RFLAGS bits sigreturn takes from the frame (`FIX_EFLAGS`).
const FIX_EFLAGS: u64 = 0x0000_0001 // CF
    | 0x0000_0004 // PF
    | 0x0000_0010 // AF
    | 0x0000_0040 // ZF
    | 0x0000_0080 // SF
    | X86_EFLAGS_TF
    | X86_EFLAGS_DF
    | 0x0000_0800 // OF
    | X86_EFLAGS_RF
    | super::ptrace::X86_EFLAGS_AC;

/// `struct sigcontext`'s general registers, in its order.
fn sigcontext_regs(regs: &PtRegs) -> [u64; 18] {
    [
        regs.r8, regs.r9, regs.r10, regs.r11, regs.r12, regs.r13, regs.r14, regs.r15, regs.di,
        regs.si, regs.bp, regs.bx, regs.dx, regs.ax, regs.cx, regs.sp, regs.ip, regs.flags,
    ]
}

fn put(frame: &mut [u8], off: usize, v: u64) {
    frame[off..off + 8].copy_from_slice(&v.to_ne_bytes());
}

fn get(frame: &[u8], off: usize) -> u64 {
    u64::from_ne_bytes(frame[off..off + 8].try_into().expect("8 bytes"))
}

/// `get_sigframe()`: where the frame and the FPU image go.
fn get_sigframe(ksig: &KSignal, regs: &PtRegs) -> (u64, u64) {
    let t = current();
    // The 128-byte red zone below the interrupted stack pointer.
    let mut sp = regs.sp.wrapping_sub(128);
    if ksig.ka.flags & SA_ONSTACK != 0 && !on_sig_stack(&t, sp) {
        let (ss_sp, ss_size, _) = *t.sas.lock_irqsave();
        if ss_size != 0 {
            sp = ss_sp + ss_size;
        }
    }
    let buf_fx = (sp.wrapping_sub(FXSAVE_SIZE as u64)) & !63;
    let frame = ((buf_fx.wrapping_sub(RT_SIGFRAME_SIZE) + 8) & !15) - 8;
    (frame, buf_fx)
}

/// `x64_setup_rt_frame()`: write the frame and point the registers at
/// the handler. Err when the frame cannot be written (bad stack) or the
/// action has no restorer (Linux refuses those on x86_64).
fn x64_setup_rt_frame(ksig: &KSignal, regs: &mut PtRegs) -> Result<(), Errno> {
    if ksig.ka.flags & SA_RESTORER == 0 {
        return Err(Errno::EFAULT);
    }
    let t = current();
    let (frame_addr, buf_fx) = get_sigframe(ksig, regs);
    let mut frame = [0u8; RT_SIGFRAME_SIZE as usize];
    put(&mut frame, 0, ksig.ka.restorer);
    put(&mut frame, UC, UC_FLAGS);
    let (ss_sp, ss_size, ss_flags) = *t.sas.lock_irqsave();
    let stack_flags = if ss_size == 0 {
        2 // SS_DISABLE
    } else if on_sig_stack(&t, regs.sp) {
        1 // SS_ONSTACK
    } else {
        0
    } | ss_flags;
    put(&mut frame, UC_STACK, ss_sp);
    frame[UC_STACK + 8..UC_STACK + 12].copy_from_slice(&stack_flags.to_ne_bytes());
    put(&mut frame, UC_STACK + 16, ss_size);
    for (i, v) in sigcontext_regs(regs).into_iter().enumerate() {
        put(&mut frame, SIGCONTEXT + i * 8, v);
    }
    let segs = SIGCONTEXT + 144;
    frame[segs..segs + 2].copy_from_slice(&(regs.cs as u16).to_ne_bytes());
    frame[segs + 6..segs + 8].copy_from_slice(&(regs.ss as u16).to_ne_bytes());
    let mask = sigmask_to_save();
    put(
        &mut frame,
        SIGCONTEXT + 152,
        t.thread.error_code.load(Ordering::Relaxed),
    );
    put(
        &mut frame,
        SIGCONTEXT + 160,
        t.thread.trap_nr.load(Ordering::Relaxed),
    );
    put(&mut frame, SIGCONTEXT + 168, mask);
    put(
        &mut frame,
        SIGCONTEXT + 176,
        t.thread.cr2.load(Ordering::Relaxed),
    );
    put(&mut frame, SIGCONTEXT + 184, buf_fx);
    put(&mut frame, UC_SIGMASK, mask);
    frame[INFO..INFO + 128].copy_from_slice(&ksig.info.to_user());

    // `copy_fpstate_to_sigframe()`: the live registers, through a kernel
    // buffer; the software-reserved tail stays zero (no XSAVE magic).
    let mut fx = FxregsState::init();
    fx.save();
    fx.0[464..].fill(0);
    copy_to_user(buf_fx, &fx.0)?;
    copy_to_user(frame_addr, &frame)?;
    if ss_flags & SS_AUTODISARM != 0 {
        *t.sas.lock_irqsave() = (0, 0, 0);
    }

    regs.di = ksig.sig as u64;
    regs.si = frame_addr + INFO as u64;
    regs.dx = frame_addr + UC as u64;
    regs.ax = 0;
    regs.sp = frame_addr;
    regs.ip = ksig.ka.handler;
    regs.cs = u64::from(USER_CS.0);
    regs.ss = u64::from(USER_DS.0);
    regs.flags &= !(X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF);
    // The handler starts with a clean FPU (`fpu__clear_user_states`).
    FxregsState::init().restore();
    Ok(())
}

/// `handle_signal()`: fix up an interrupted syscall, build the frame,
/// block what the action asks.
#[inline(never)]
fn handle_signal(ksig: &KSignal, regs: &mut PtRegs) {
    if (regs.orig_ax as i64) >= 0 {
        let ret = regs.ax as i64;
        if ret == Errno::ERESTART_RESTARTBLOCK.as_ret() || ret == Errno::ERESTARTNOHAND.as_ret() {
            regs.ax = Errno::EINTR.as_ret() as u64;
        } else if ret == Errno::ERESTARTSYS.as_ret() {
            if ksig.ka.flags & SA_RESTART == 0 {
                regs.ax = Errno::EINTR.as_ret() as u64;
            } else {
                regs.ax = regs.orig_ax;
                regs.ip -= 2;
            }
        } else if ret == Errno::ERESTARTNOINTR.as_ret() {
            regs.ax = regs.orig_ax;
            regs.ip -= 2;
        }
    }
    if x64_setup_rt_frame(ksig, regs).is_err() {
        force_sigsegv(ksig.sig);
        return;
    }
    signal_setup_done(ksig);
}

/// Whether `ax` holds one of the kernel-internal restart codes.
pub fn is_restart_code(ax: u64) -> bool {
    (Errno::ERESTARTSYS.as_ret()..=Errno::ERESTARTNOINTR.as_ret()).contains(&(ax as i64))
        || ax as i64 == Errno::ERESTART_RESTARTBLOCK.as_ret()
}

/// `arch_do_signal_or_restart()`: on the way back to user mode, run a
/// handler if a signal has one; otherwise restart an interrupted
/// syscall and put back a mask sigsuspend replaced.
#[inline(never)]
pub fn arch_do_signal_or_restart(regs: &mut PtRegs) {
    if let Some(ksig) = get_signal() {
        handle_signal(&ksig, regs);
        return;
    }
    if (regs.orig_ax as i64) >= 0 && is_restart_code(regs.ax) {
        let ret = regs.ax as i64;
        regs.ax = if ret == Errno::ERESTART_RESTARTBLOCK.as_ret() {
            __NR_RESTART_SYSCALL as u64
        } else {
            regs.orig_ax
        };
        regs.ip -= 2;
    }
    restore_saved_sigmask();
}

/// `rt_sigreturn()`: back to the interrupted context from the frame at
/// `sp - 8`. A frame that cannot be read or restored is a SIGSEGV.
#[inline(never)]
pub fn sys_rt_sigreturn(regs: &mut PtRegs) -> i64 {
    let frame_addr = regs.sp.wrapping_sub(8);
    let mut frame = [0u8; RT_SIGFRAME_SIZE as usize];
    if copy_from_user(&mut frame, frame_addr).is_err() || !restore_sigcontext(regs, &frame) {
        log::info!(
            "{}[{}] bad frame in rt_sigreturn frame:{frame_addr:016x} ip:{:x} sp:{:x} orax:{:x}",
            current().comm(),
            current().pid,
            regs.ip,
            regs.sp,
            regs.orig_ax
        );
        force_sigsegv(SIGSEGV);
        return regs.ax as i64;
    }
    regs.ax as i64
}

/// `restore_sigcontext()` + `restore_altstack()` + `fpu__restore_sig()`.
fn restore_sigcontext(regs: &mut PtRegs, frame: &[u8]) -> bool {
    let r: [u64; 18] = core::array::from_fn(|i| get(frame, SIGCONTEXT + i * 8));
    // An iretq to a non-canonical address would fault in the kernel.
    if r[16] >= TASK_SIZE_MAX || r[15] >= TASK_SIZE_MAX {
        return false;
    }
    let fpstate = get(frame, SIGCONTEXT + 184);
    let fx = if fpstate != 0 {
        let mut fx = FxregsState::init();
        if copy_from_user(&mut fx.0, fpstate).is_err() || !fx.mxcsr_valid() {
            return false;
        }
        fx
    } else {
        FxregsState::init()
    };
    let mut new = *regs;
    [
        new.r8, new.r9, new.r10, new.r11, new.r12, new.r13, new.r14, new.r15, new.di, new.si,
        new.bp, new.bx, new.dx, new.ax, new.cx, new.sp, new.ip,
    ] = core::array::from_fn(|i| r[i]);
    new.flags = (regs.flags & !FIX_EFLAGS) | (r[17] & FIX_EFLAGS);
    new.cs = u64::from(USER_CS.0);
    new.ss = u64::from(USER_DS.0);
    // No restart of the syscall that was interrupted.
    new.orig_ax = u64::MAX;
    *regs = new;
    fx.restore();
    set_current_blocked(get(frame, UC_SIGMASK));
    // `restore_altstack()`: errors are ignored, as on Linux.
    let ss_sp = get(frame, UC_STACK);
    let ss_flags = u32::from_ne_bytes(
        frame[UC_STACK + 8..UC_STACK + 12]
            .try_into()
            .expect("4 bytes"),
    );
    let ss_size = get(frame, UC_STACK + 16);
    let t = current();
    if !on_sig_stack(&t, regs.sp) {
        *t.sas.lock_irqsave() = if ss_flags & 2 != 0 || ss_size < crate::uapi::signal::MINSIGSTKSZ {
            (0, 0, 0)
        } else {
            (ss_sp, ss_size, ss_flags & SS_AUTODISARM)
        };
    }
    true
}
