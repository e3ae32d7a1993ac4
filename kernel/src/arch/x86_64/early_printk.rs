//! Serial console on COM1; mirrors arch/x86/kernel/early_printk.c (the
//! `earlyprintk=serial` console), and `print!`/`println!` for what goes to
//! the console without entering the kernel log (the self-tests' reports,
//! the exit-status line). Kernel messages go through printk (`printk/`),
//! which prints them here.
//!
//! Output converts `\n` to `\r\n`. Input is polled until the tty layer
//! takes the port over (drivers/tty/serial/serial8250.rs), which turns on
//! the receive interrupt and reads through [`serial8250_rx_chars`].
//!
//! Programming the UART resets its receive FIFO, so bytes sent before that
//! are lost (as on Linux). The first line printed afterwards is Linux's
//! `printk: console [ttyS0] enabled`; the host program waits for it before
//! it forwards piped input to the console.

use core::fmt::{self, Write};
use core::hint;

use ::x86_64::instructions::interrupts;
use spin::Mutex;
use uart_16550::backend::PioBackend;
use uart_16550::{BaudRate, Config, Uart16550};

/// I/O port base of the first serial port on every PC (and QEMU q35).
const COM1_BASE: u16 = 0x3f8;

const fn com1() -> Uart16550<PioBackend> {
    // SAFETY: ports 0x3f8..=0x3ff are COM1 on PC-compatible machines and
    // only this module touches them.
    match unsafe { Uart16550::new_port(COM1_BASE) } {
        Ok(uart) => uart,
        Err(_) => panic!("COM1 base port range overflows"),
    }
}

static COM1: Mutex<Uart16550<PioBackend>> = Mutex::new(com1());

/// Programs COM1 (115200 8N1, FIFO on, no interrupts) and logs that the
/// console is there. Output written before this still reaches QEMU's
/// serial model, which ignores line settings.
pub fn setup_early_printk() {
    let config = Config {
        baud_rate: BaudRate::Baud115200,
        ..Config::DEFAULT
    };
    {
        let mut uart = COM1.lock();
        // A missing UART just means a silent console; the kernel can still
        // run (and exit through the debug-exit port).
        if uart.init(config).is_ok() {
            let _ = uart.test_loopback();
        }
    }
    log::info!("{CONSOLE_READY}");
}

/// Printed once the console can receive; see the module comment.
pub const CONSOLE_READY: &str = "printk: console [ttyS0] enabled";

/// Writes to the UART, turning `\n` into `\r\n` for terminals.
struct SerialWriter<'a>(&'a mut Uart16550<PioBackend>);

impl Write for SerialWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut lines = s.split('\n');
        if let Some(first) = lines.next() {
            self.0.send_bytes_exact(first.as_bytes());
        }
        for line in lines {
            self.0.send_bytes_exact(b"\r\n");
            self.0.send_bytes_exact(line.as_bytes());
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    // An interrupt handler that prints must not spin on a lock its own CPU
    // holds.
    interrupts::without_interrupts(|| {
        let mut uart = COM1.lock();
        let _ = SerialWriter(&mut uart).write_fmt(args);
    });
}

/// Printing for paths that never return (panic, fatal exceptions): if the
/// console lock is held, its holder was interrupted on this, the only, CPU
/// and will never run again, so the lock is taken over.
pub fn emergency_print(args: fmt::Arguments) {
    if COM1.is_locked() {
        // SAFETY: see above; callers never return to the holder.
        unsafe { COM1.force_unlock() };
    }
    _print(args);
}

/// Waits until the UART has sent every queued byte, so nothing is lost
/// when QEMU exits right after.
pub fn flush() {
    interrupts::without_interrupts(|| {
        let mut uart = COM1.lock();
        while !uart
            .lsr()
            .contains(uart_16550::spec::registers::LSR::TRANSMITTER_EMPTY)
        {
            hint::spin_loop();
        }
    });
}

/// `serial8250_start_rx()` / `serial8250_stop_rx()`: the UART's
/// received-data interrupt (IER.RDI, IRQ 4) on or off. Off is how the
/// tty throttles input: bytes then wait in the UART's FIFO and, behind
/// it, in QEMU.
pub fn serial8250_rx_irq(on: bool) {
    interrupts::without_interrupts(|| {
        let mut uart = COM1.lock();
        if on {
            uart.enable_interrupts(uart_16550::spec::registers::IER::DATA_READY);
        } else {
            uart.disable_interrupts(uart_16550::spec::registers::IER::DATA_READY);
        }
    });
}

/// `serial8250_rx_chars()`: received bytes into `buf`, at most its
/// length; the rest stay in the UART.
pub fn serial8250_rx_chars(buf: &mut [u8]) -> usize {
    interrupts::without_interrupts(|| {
        let mut uart = COM1.lock();
        let mut n = 0;
        while n < buf.len() {
            match uart.try_receive_byte() {
                Ok(b) => {
                    buf[n] = b;
                    n += 1;
                }
                Err(_) => break,
            }
        }
        n
    })
}

/// Bytes to the UART as they are: the tty's output, which the line
/// discipline has processed (OPOST) already.
pub fn serial8250_write(bytes: &[u8]) {
    interrupts::without_interrupts(|| COM1.lock().send_bytes_exact(bytes));
}

/// Raw bytes to the console (a user task's `write`), `\n` → `\r\n`.
pub fn console_write_bytes(bytes: &[u8]) {
    interrupts::without_interrupts(|| {
        let mut uart = COM1.lock();
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            match line.split_last() {
                Some((b'\n', head)) => {
                    uart.send_bytes_exact(head);
                    uart.send_bytes_exact(b"\r\n");
                }
                _ => uart.send_bytes_exact(line),
            }
        }
    });
}

/// `print!` to the serial console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::arch::x86_64::early_printk::_print(format_args!($($arg)*))
    };
}

/// `println!` to the serial console.
#[macro_export]
macro_rules! println {
    () => {
        $crate::print!("\n")
    };
    ($($arg:tt)*) => {
        $crate::arch::x86_64::early_printk::_print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
