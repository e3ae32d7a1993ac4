//! The tty layer (drivers/tty/): the N_TTY line discipline (n_tty.rs),
//! host-tested; the tty core (tty_io.rs), its ioctls (tty_ioctl.rs), job
//! control (tty_jobctrl.rs) and the 8250 UART driver (serial/) run in the
//! kernel only.

pub mod n_tty;
#[cfg(target_os = "none")]
pub mod serial;
#[cfg(target_os = "none")]
pub mod tty_io;
#[cfg(target_os = "none")]
pub mod tty_ioctl;
#[cfg(target_os = "none")]
pub mod tty_jobctrl;
