//! The 8250/16550 UART as the tty ttyS0; mirrors
//! drivers/tty/serial/8250/8250_port.c (`serial8250_do_startup`,
//! `serial8250_handle_irq`, `serial8250_rx_chars`, throttling by
//! `serial8250_stop_rx`/`start_rx`) for COM1 on IRQ 4. The register work
//! is in arch/x86_64/early_printk.rs, which owns the port.
//!
//! Left out: the transmit interrupt (output is written synchronously, as
//! the console is), modem status, break, line-status errors.

use super::super::tty_io::console_tty;
use crate::arch::x86_64::early_printk;
use crate::arch::x86_64::irq::{COM1_IRQ, enable_8259a_irq};

/// `serial8250_do_startup()`: the receive interrupt on, IRQ 4 unmasked,
/// and whatever was typed before taken.
pub fn serial8250_startup() {
    early_printk::serial8250_rx_irq(true);
    enable_8259a_irq(COM1_IRQ);
    serial8250_handle_irq();
}

/// `serial8250_handle_irq()`: IRQ 4, received data (or a character
/// timeout) to the line discipline.
#[inline(never)]
pub fn serial8250_handle_irq() {
    match console_tty() {
        Some(tty) => tty.tty_flip_buffer_push(),
        // Not reachable: the interrupt is on only once ttyS0 exists.
        None => early_printk::serial8250_rx_irq(false),
    }
}

/// `serial8250_throttle()` / `serial8250_unthrottle()`.
pub fn serial8250_throttle(on: bool) {
    early_printk::serial8250_rx_irq(!on);
}

pub use early_printk::{serial8250_rx_chars, serial8250_write};
