//! x86_64 support; mirrors Linux's arch/x86.
//!
//! Boot order (called from `start_kernel` before anything prints):
//! [`init`] brings up the serial console and the `log` logger
//! (early_printk.rs), then [`trap_init`] loads the GDT/TSS (desc.rs) and
//! the IDT (idt.rs) whose handlers live in traps.rs.
//!
//! Exit protocol with the host program `tinymm` (boot/): see reboot.rs.

pub mod desc;
pub mod early_printk;
pub mod idt;
pub mod page_64_types;
mod panic;
pub mod pgtable;
pub mod ptrace;
pub mod reboot;
pub mod selftest;
pub mod traps;
pub mod tsc;
pub mod uaccess;

pub use early_printk::{serial_getc, serial_read_byte};
pub use page_64_types::{KERNEL_BASE, KERNEL_STACK_SIZE, PAGE_OFFSET, VMALLOC_START};
pub use panic::panic;
pub use reboot::{fail, poweroff};
pub use tsc::{rdtsc, rdtsc_ordered};

/// Early architecture bring-up: console first (so later faults can be
/// reported), then the CPU tables.
pub fn init() {
    early_printk::setup_early_printk();
    trap_init();
    pgtable::pgtable_init();
}

/// Loads the GDT with the TSS and its IST stacks, then the IDT; like
/// Linux's `trap_init()` (`cpu_init_exception_handling()` + `idt_setup_traps()`).
pub fn trap_init() {
    desc::cpu_init_exception_handling();
    idt::idt_setup_traps();
}
