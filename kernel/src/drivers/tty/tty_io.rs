//! The tty core; mirrors drivers/tty/tty_io.c: `struct tty_struct`, the
//! character devices that open one (`/dev/ttyS0` 4:64, `/dev/tty` 5:0 —
//! the caller's controlling terminal — and `/dev/console` 5:1), and the
//! file operations (`tty_read`, `tty_write`, `tty_ioctl`, `tty_poll`)
//! that hand over to the N_TTY line discipline.
//!
//! There is one tty: the serial console, ttyS0. Opening `/dev/console`
//! never makes it a controlling terminal and its readers and writers are
//! not job-controlled (Linux's `redirected_tty_write` test); `TIOCSCTTY`
//! on it still works, as on Linux.
//!
//! Left out: hang-up of open files (`tty_hangup` only sends its signals
//! and clears the session, see tty_jobctrl.rs), other line disciplines,
//! ptys, `TIOCSTI`, modem-control ioctls.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};

use super::n_tty::{Ktermios, NTty, TtyOps};
use super::serial::serial8250;
use super::tty_jobctrl;
use crate::arch::x86_64::irq::HZ;
use crate::arch::x86_64::irqflags::{local_irq_restore, local_irq_save};
use crate::fs::char_dev::register_chrdev;
use crate::fs::file::File;
use crate::fs::select::PollTable;
use crate::fs::{DevT, FileOps};
use crate::sync::{SpinLock, SpinLockGuard};
use crate::task::sched::{schedule, schedule_timeout};
use crate::task::signal::signal_pending;
use crate::task::wait::WaitQueueHead;
use crate::task::{Pid, current};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{O_NOCTTY, O_NONBLOCK};
use crate::uapi::termbits::*;

/// `TTY_MAJOR` (ttyS*: minors from 64), `TTYAUX_MAJOR` (tty 0,
/// console 1).
pub const TTY_MAJOR: u32 = 4;
pub const TTYAUX_MAJOR: u32 = 5;

/// `struct winsize`: rows, columns, x and y pixels.
pub type Winsize = [u16; 4];

/// `struct tty_struct`.
pub struct TtyStruct {
    pub name: &'static str,
    /// The line discipline's state with the termios (`disc_data`,
    /// `termios`), taken with interrupts off: the UART's interrupt feeds
    /// it.
    ldisc: SpinLock<NTty>,
    pub read_wait: Arc<WaitQueueHead>,
    pub write_wait: Arc<WaitQueueHead>,
    /// `ctrl.session`, `ctrl.pgrp`; 0 is none.
    pub session: AtomicI32,
    pub pgrp: AtomicI32,
    pub winsize: SpinLock<Winsize>,
    /// The driver's receive interrupt is off (`TTY_THROTTLED`).
    throttled: AtomicBool,
    /// `tty_port_initialized()`: the UART was started by a first open.
    port_started: AtomicBool,
}

/// The driver side of the line discipline: bytes to the UART, signals
/// noted to be sent once the ldisc lock is dropped.
struct UartPort {
    sigs: Vec<i32>,
}

impl TtyOps for UartPort {
    fn write(&mut self, bytes: &[u8]) {
        serial8250::serial8250_write(bytes);
    }
    fn isig(&mut self, sig: i32) {
        self.sigs.push(sig);
    }
}

impl TtyStruct {
    fn new(name: &'static str, termios: Ktermios) -> Self {
        Self {
            name,
            ldisc: SpinLock::new(NTty::new(termios)),
            read_wait: Arc::new(WaitQueueHead::new()),
            write_wait: Arc::new(WaitQueueHead::new()),
            session: AtomicI32::new(0),
            pgrp: AtomicI32::new(0),
            winsize: SpinLock::new([0; 4]),
            throttled: AtomicBool::new(false),
            port_started: AtomicBool::new(false),
        }
    }

    pub(super) fn ldisc(&self) -> SpinLockGuard<'_, NTty> {
        self.ldisc.lock_irqsave()
    }

    /// Run `f` on the line discipline with the driver as its output, then
    /// raise the signals it asked for (`__isig`) and wake sleepers.
    pub(super) fn with_ldisc<T>(&self, f: impl FnOnce(&mut NTty, &mut dyn TtyOps) -> T) -> T {
        let mut port = UartPort { sigs: Vec::new() };
        let r = f(&mut self.ldisc(), &mut port);
        for sig in port.sigs {
            let pgrp = self.pgrp.load(SeqCst);
            if pgrp > 0 {
                tty_jobctrl::kill_pgrp_priv(pgrp, sig);
            }
        }
        self.read_wait.wake_up();
        self.write_wait.wake_up();
        r
    }

    /// `tty_port_open()` → `uart_startup()`: the first open starts the
    /// UART, so bytes typed before then meet the termios the opener set.
    fn tty_port_open(&self) {
        if !self.port_started.swap(true, SeqCst) {
            serial8250::serial8250_startup();
        }
    }

    /// `tty_get_pgrp()`.
    pub fn tty_get_pgrp(&self) -> Pid {
        self.pgrp.load(SeqCst)
    }

    pub fn termios(&self) -> Ktermios {
        self.ldisc().termios
    }

    /// `flush_to_ldisc()` from the UART: as many received bytes as the
    /// line discipline has room for; when it is nearly full the receive
    /// interrupt goes off (`n_tty_check_throttle` → `tty_throttle_safe`).
    /// Interrupts stay off throughout, so that a push from a task (after
    /// an unthrottle) and one from the interrupt cannot reorder bytes.
    #[inline(never)]
    pub fn tty_flip_buffer_push(&self) {
        let flags = local_irq_save();
        self.flip_buffer_push_irqs_off();
        local_irq_restore(flags);
    }

    fn flip_buffer_push_irqs_off(&self) {
        loop {
            let room = self.ldisc().receive_room().min(16);
            let mut buf = [0u8; 16];
            let n = if room == 0 {
                0
            } else {
                serial8250::serial8250_rx_chars(&mut buf[..room])
            };
            if n > 0 {
                self.with_ldisc(|ld, ops| ld.n_tty_receive_buf(&buf[..n], ops));
            }
            if self.ldisc().should_throttle() || room == 0 {
                if !self.throttled.swap(true, SeqCst) {
                    serial8250::serial8250_throttle(true);
                }
                return;
            }
            if n == 0 {
                return;
            }
        }
    }

    /// `n_tty_check_unthrottle()`: after a read (or a flush) made room,
    /// the receive interrupt comes back and what waited is taken.
    pub(super) fn check_unthrottle(&self) {
        if self.throttled.load(SeqCst) && self.ldisc().may_unthrottle() {
            self.throttled.store(false, SeqCst);
            serial8250::serial8250_throttle(false);
            self.tty_flip_buffer_push();
        }
    }

    /// `n_tty_read()`: wait for a line (canonical) or for VMIN bytes with
    /// VTIME's timeouts; `redirected` for /dev/console, whose readers are
    /// not job-controlled. Background readers get SIGTTIN.
    #[inline(never)]
    pub fn n_tty_read(&self, buf: &mut [u8], nonblock: bool, redirected: bool) -> KResult<usize> {
        if !redirected {
            tty_jobctrl::__tty_check_change(self, crate::task::signal::SIGTTIN)?;
        }
        let (minimum, time, mut timeout) = self.ldisc().read_params(HZ);
        let me = current();
        let mut done = 0;
        let mut retval = Ok(0);
        while done < buf.len() {
            if !self.ldisc().input_available_p(false) {
                if timeout == Some(0) {
                    break;
                }
                if nonblock {
                    retval = Err(Errno::EAGAIN);
                    break;
                }
                if signal_pending(&me) {
                    retval = Err(Errno::ERESTARTSYS);
                    break;
                }
                // `wait_woken()`.
                self.read_wait.prepare_to_wait();
                if !self.ldisc().input_available_p(false) {
                    match timeout {
                        None => schedule(),
                        Some(t) => timeout = Some(schedule_timeout(t)),
                    }
                }
                self.read_wait.finish_wait();
                continue;
            }
            let (n, icanon) = {
                let mut ld = self.ldisc();
                (ld.copy_out(&mut buf[done..]), ld.icanon())
            };
            done += n;
            self.check_unthrottle();
            if icanon || done >= minimum {
                break;
            }
            if time > 0 {
                timeout = Some(time);
            }
        }
        if done > 0 { Ok(done) } else { retval }
    }

    /// `n_tty_write()`: OPOST processing to the UART; waits while output
    /// is stopped (^S, TCOOFF). With TOSTOP, background writers get
    /// SIGTTOU.
    #[inline(never)]
    pub fn n_tty_write(&self, buf: &[u8], nonblock: bool, redirected: bool) -> KResult<usize> {
        if self.termios().c_lflag & TOSTOP != 0 && !redirected {
            tty_jobctrl::tty_check_change(self)?;
        }
        let me = current();
        let mut done = 0;
        let mut retval = Ok(0);
        loop {
            if signal_pending(&me) {
                retval = Err(Errno::ERESTARTSYS);
                break;
            }
            done += self.with_ldisc(|ld, ops| ld.write_chunk(&buf[done..], ops));
            if done == buf.len() {
                break;
            }
            if nonblock {
                retval = Err(Errno::EAGAIN);
                break;
            }
            self.write_wait.prepare_to_wait();
            if self.ldisc().stopped() {
                schedule();
            }
            self.write_wait.finish_wait();
        }
        if done > 0 { Ok(done) } else { retval }
    }
}

static TTYS0: spin::Once<Arc<TtyStruct>> = spin::Once::new();

/// The serial console's tty, once `tty_init` made it.
pub fn console_tty() -> Option<&'static Arc<TtyStruct>> {
    TTYS0.get()
}

/// `tty_init()` + `serial8250_init()`: make ttyS0; its UART starts
/// feeding it at the first open.
pub fn tty_init() {
    TTYS0.call_once(|| Arc::new(TtyStruct::new("ttyS0", Ktermios::tty_std_termios())));
    register_chrdev(TTY_MAJOR, 64..65, "ttyS", tty_open).expect("ttyS registered twice");
    register_chrdev(TTYAUX_MAJOR, 0..1, "/dev/tty", tty_open).expect("tty registered twice");
    register_chrdev(TTYAUX_MAJOR, 1..2, "/dev/console", tty_open)
        .expect("console registered twice");
    for (name, mode, dev) in [
        ("ttyS0", 0o660, DevT::new(TTY_MAJOR, 64)),
        ("tty", 0o666, DevT::new(TTYAUX_MAJOR, 0)),
        ("console", 0o600, DevT::new(TTYAUX_MAJOR, 1)),
    ] {
        crate::fs::devices::devtmpfs_node(name, mode, dev);
    }
}

/// Which device node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TtyDevice {
    /// `/dev/ttyS0`.
    Serial,
    /// `/dev/tty`: the opener's controlling terminal.
    CurrentTty,
    /// `/dev/console`.
    Console,
}

/// `tty_open()`: `/dev/tty` (5:0) is the caller's controlling terminal
/// (`tty_open_current_tty`), ENXIO without one; `/dev/console` (5:1) and
/// `/dev/ttyS0` (4:64) are the serial port's tty.
fn tty_open(dev: DevT, _flags: u32) -> KResult<Arc<dyn FileOps>> {
    let dev = match (dev.major, dev.minor) {
        (TTY_MAJOR, 64) => TtyDevice::Serial,
        (TTYAUX_MAJOR, 0) => TtyDevice::CurrentTty,
        (TTYAUX_MAJOR, 1) => TtyDevice::Console,
        _ => return Err(Errno::ENXIO),
    };
    let tty = match dev {
        TtyDevice::CurrentTty => tty_jobctrl::get_current_tty().ok_or(Errno::ENXIO)?,
        _ => console_tty().ok_or(Errno::ENODEV)?.clone(),
    };
    tty.tty_port_open();
    Ok(Arc::new(TtyFile { tty, dev }))
}

/// An open tty (`file->private_data`: `struct tty_file_private`).
pub struct TtyFile {
    pub tty: Arc<TtyStruct>,
    dev: TtyDevice,
}

impl TtyFile {
    fn redirected(&self) -> bool {
        self.dev == TtyDevice::Console
    }
}

impl FileOps for TtyFile {
    /// The rest of `tty_open()`: a session leader without a controlling
    /// terminal acquires this one, unless O_NOCTTY, `/dev/tty` or
    /// `/dev/console` (`tty_open_proc_set_tty`).
    fn open(&self, file: &File) -> KResult<()> {
        let noctty = file.f_flags() & O_NOCTTY != 0 || self.dev != TtyDevice::Serial;
        if !noctty {
            tty_jobctrl::tty_open_proc_set_tty(file, &self.tty);
        }
        Ok(())
    }

    fn read(&self, file: &File, _pos: u64, buf: &mut [u8]) -> KResult<usize> {
        self.tty
            .n_tty_read(buf, file.f_flags() & O_NONBLOCK != 0, self.redirected())
    }

    fn write(&self, file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        self.tty
            .n_tty_write(buf, file.f_flags() & O_NONBLOCK != 0, self.redirected())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, file: &File, cmd: u32, arg: u64) -> KResult<u64> {
        super::tty_ioctl::tty_ioctl(&self.tty, file, cmd, arg)
    }

    /// `n_tty_poll()`.
    fn poll(&self, _file: &File, pt: &mut PollTable) -> u32 {
        pt.poll_wait(&self.tty.read_wait);
        pt.poll_wait(&self.tty.write_wait);
        let ld = self.tty.ldisc();
        let mut mask = 0;
        if ld.input_available_p(true) {
            mask |= POLLIN | POLLRDNORM;
        }
        if !ld.stopped() {
            mask |= POLLOUT | POLLWRNORM;
        }
        mask
    }
}
