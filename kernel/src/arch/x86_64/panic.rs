//! The kernel's panic path; mirrors `panic()` in kernel/panic.c: print
//! `Kernel panic - not syncing: <message>` and stop (here: fail the run).

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use super::early_printk::emergency_print;
use super::reboot::fail;

static PANICKING: AtomicBool = AtomicBool::new(false);

/// Called by the kernel binary's `#[panic_handler]`.
pub fn panic(info: &PanicInfo) -> ! {
    ::x86_64::instructions::interrupts::disable();
    // A panic while printing a panic must not recurse forever.
    if PANICKING.swap(true, Ordering::SeqCst) {
        fail();
    }
    match info.location() {
        Some(location) => emergency_print(format_args!(
            "Kernel panic - not syncing: {} at {}:{}:{}\n",
            info.message(),
            location.file(),
            location.line(),
            location.column()
        )),
        None => emergency_print(format_args!(
            "Kernel panic - not syncing: {}\n",
            info.message()
        )),
    }
    fail()
}
