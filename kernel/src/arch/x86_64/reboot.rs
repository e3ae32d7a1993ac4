//! Power-off and failure exits through QEMU's isa-debug-exit device;
//! stands in for arch/x86/kernel/reboot.c (`machine_power_off`).
//!
//! Exit protocol, shared with the host program `tinymm` (boot/src/main.rs)
//! and README.md. QEMU runs with
//! `-device isa-debug-exit,iobase=0xf4,iosize=0x04` and exits with
//! `(value << 1) | 1` when the guest writes `value` to port 0xf4:
//!
//! * clean power-off: the kernel prints the line `tinymm: exit status N`
//!   (N = 0..=255, the console's or script's status), then writes 0x10:
//!   QEMU exits 33 and `tinymm run` exits N.
//! * kernel failure (fatal exception, panic): the kernel prints
//!   `tinymm: kernel failure`, then writes 0x11: QEMU exits 35 and
//!   `tinymm run` exits 125.

use ::x86_64::instructions::port::Port;
use ::x86_64::instructions::{hlt, interrupts};

use super::early_printk::{emergency_print, flush};

/// I/O port of QEMU's isa-debug-exit device.
pub const DEBUG_EXIT_PORT: u16 = 0xf4;
/// Written on a clean power-off (QEMU exit code 33).
pub const DEBUG_EXIT_POWEROFF: u32 = 0x10;
/// Written on a kernel failure (QEMU exit code 35).
pub const DEBUG_EXIT_FAILURE: u32 = 0x11;

/// Powers the machine off, reporting `status` to the host.
pub fn poweroff(status: u8) -> ! {
    crate::println!("tinymm: exit status {status}");
    qemu_exit(DEBUG_EXIT_POWEROFF)
}

/// Ends the run as a kernel failure. Safe to call from any context,
/// including with the console lock held by interrupted code.
pub fn fail() -> ! {
    interrupts::disable();
    emergency_print(format_args!("tinymm: kernel failure\n"));
    qemu_exit(DEBUG_EXIT_FAILURE)
}

fn qemu_exit(value: u32) -> ! {
    flush();
    let mut port = Port::<u32>::new(DEBUG_EXIT_PORT);
    // SAFETY: on the QEMU machine we run on, port 0xf4 is the
    // isa-debug-exit device, which only ends the emulator; elsewhere it is
    // unused and the write does nothing.
    unsafe { port.write(value) };
    // Not under QEMU, or the device is missing: stop here for good.
    loop {
        interrupts::disable();
        hlt();
    }
}
