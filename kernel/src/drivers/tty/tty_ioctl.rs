//! tty ioctls; mirrors `tty_ioctl()` of drivers/tty/tty_io.c and
//! drivers/tty/tty_ioctl.c (`tty_mode_ioctl`, `set_termios`,
//! `n_tty_ioctl_helper`) with N_TTY's own (`n_tty_ioctl`: TIOCINQ,
//! TIOCOUTQ). Job-control ioctls are tty_jobctrl.rs's; anything else is
//! ENOTTY.

use alloc::sync::Arc;

use super::n_tty::{Ktermios, TERMIOS_SIZE, TERMIOS2_SIZE};
use super::tty_io::{TtyStruct, Winsize};
use super::tty_jobctrl::{kill_pgrp_priv, tty_check_change, tty_jobctrl_ioctl};
use crate::arch::x86_64::uaccess::{copy_from_user, copy_to_user};
use crate::fs::file::File;
use crate::task::current;
use crate::task::signal::{SIGWINCH, signal_pending};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::termbits::*;

fn put_int(arg: u64, v: i32) -> KResult<u64> {
    copy_to_user(arg, &v.to_ne_bytes()).map(|()| 0)
}

/// `set_termios()`: TCSETS* and TCSETS2*; `wait` drains output first
/// (already drained: the UART is written synchronously) and `flush`
/// drops unread input.
fn set_termios(
    tty: &Arc<TtyStruct>,
    arg: u64,
    size: usize,
    wait: bool,
    flush: bool,
) -> KResult<u64> {
    tty_check_change(tty)?;
    let mut b = [0u8; TERMIOS2_SIZE];
    copy_from_user(&mut b[..size], arg)?;
    let new = Ktermios::from_user(&b[..size]);
    if flush {
        tty.with_ldisc(|ld, _| ld.flush(true, true));
    }
    if wait && signal_pending(&current()) {
        return Err(Errno::ERESTARTSYS);
    }
    tty.with_ldisc(|ld, ops| ld.set_termios(new, ops));
    tty.check_unthrottle();
    Ok(0)
}

/// `tiocswinsz()`: a new size raises SIGWINCH in the foreground group.
fn tiocswinsz(tty: &Arc<TtyStruct>, arg: u64) -> KResult<u64> {
    let mut b = [0u8; 8];
    copy_from_user(&mut b, arg)?;
    let ws: Winsize = core::array::from_fn(|i| u16::from_ne_bytes([b[2 * i], b[2 * i + 1]]));
    let changed = {
        let mut cur = tty.winsize.lock_irqsave();
        let changed = *cur != ws;
        *cur = ws;
        changed
    };
    let pgrp = tty.tty_get_pgrp();
    if changed && pgrp > 0 {
        kill_pgrp_priv(pgrp, SIGWINCH);
    }
    Ok(0)
}

/// `tty_mode_ioctl()` and `n_tty_ioctl_helper()`.
fn tty_mode_ioctl(tty: &Arc<TtyStruct>, cmd: u32, arg: u64) -> KResult<u64> {
    match cmd {
        TCGETS => copy_to_user(arg, &tty.termios().to_termios()).map(|()| 0),
        TCGETS2 => copy_to_user(arg, &tty.termios().to_termios2()).map(|()| 0),
        TCSETS => set_termios(tty, arg, TERMIOS_SIZE, false, false),
        TCSETSW => set_termios(tty, arg, TERMIOS_SIZE, true, false),
        TCSETSF => set_termios(tty, arg, TERMIOS_SIZE, true, true),
        TCSETS2 => set_termios(tty, arg, TERMIOS2_SIZE, false, false),
        TCSETSW2 => set_termios(tty, arg, TERMIOS2_SIZE, true, false),
        TCSETSF2 => set_termios(tty, arg, TERMIOS2_SIZE, true, true),
        TCXONC => {
            tty_check_change(tty)?;
            match arg {
                TCOOFF | TCOON => {
                    tty.with_ldisc(|ld, ops| ld.tco_flow(arg == TCOON, ops));
                    Ok(0)
                }
                // `tty_send_xchar()`: a STOP or START byte to the other
                // end, unless that character is disabled.
                TCIOFF | TCION => {
                    let c = tty.termios().c_cc[if arg == TCIOFF { VSTOP } else { VSTART }];
                    if c != 0 {
                        super::serial::serial8250::serial8250_write(&[c]);
                    }
                    Ok(0)
                }
                _ => Err(Errno::EINVAL),
            }
        }
        TCFLSH => {
            tty_check_change(tty)?;
            let (input, output) = match arg {
                TCIFLUSH => (true, false),
                TCOFLUSH => (false, true),
                TCIOFLUSH => (true, true),
                _ => return Err(Errno::EINVAL),
            };
            tty.with_ldisc(|ld, _| ld.flush(input, output));
            tty.check_unthrottle();
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// `tty_ioctl()`.
#[inline(never)]
pub fn tty_ioctl(tty: &Arc<TtyStruct>, _file: &File, cmd: u32, arg: u64) -> KResult<u64> {
    match cmd {
        TIOCGWINSZ => {
            let ws = *tty.winsize.lock_irqsave();
            let mut b = [0u8; 8];
            for (i, v) in ws.iter().enumerate() {
                b[2 * i..2 * i + 2].copy_from_slice(&v.to_ne_bytes());
            }
            return copy_to_user(arg, &b).map(|()| 0);
        }
        TIOCSWINSZ => return tiocswinsz(tty, arg),
        // `tiocgetd()` / `tiocsetd()`: N_TTY is the only discipline.
        TIOCGETD => return put_int(arg, N_TTY),
        TIOCSETD => {
            let mut b = [0u8; 4];
            copy_from_user(&mut b, arg)?;
            return match i32::from_ne_bytes(b) {
                N_TTY => Ok(0),
                _ => Err(Errno::EINVAL),
            };
        }
        // The 8250 driver here has no `break_ctl`, so a break is only
        // the wait for output to drain, which is immediate.
        TCSBRK | TCSBRKP => {
            tty_check_change(tty)?;
            return if signal_pending(&current()) {
                Err(Errno::EINTR)
            } else {
                Ok(0)
            };
        }
        _ => {}
    }
    if let Some(r) = tty_jobctrl_ioctl(tty, cmd, arg) {
        return r;
    }
    match cmd {
        // `n_tty_ioctl()`: output is never queued in the driver.
        TIOCOUTQ => put_int(arg, 0),
        TIOCINQ => put_int(arg, tty.ldisc().inq() as i32),
        _ => tty_mode_ioctl(tty, cmd, arg),
    }
}
