//! Serial drivers (drivers/tty/serial/): the 8250/16550 UART of COM1.

pub mod serial8250;
