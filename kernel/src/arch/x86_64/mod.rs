//! x86_64 support; mirrors Linux's arch/x86.
//!
//! Boot order (called from `start_kernel` before anything prints):
//! [`init`] brings up the serial console and the `log` logger
//! (early_printk.rs), then [`trap_init`] loads the GDT/TSS (desc.rs) and
//! the IDT (idt.rs) whose handlers live in traps.rs and fault.rs, and
//! cpu.rs turns on NX/WP/SMEP/SMAP and `syscall`. `time_init` (irq.rs)
//! starts the PIT tick once the scheduler exists.
//!
//! Ring 3: entry_64.rs (entry stubs), entry_common.rs (`do_syscall_64`),
//! process_64.rs (`copy_thread`, `__switch_to`), pgtable.rs (user page
//! tables), uaccess.rs (user copies and the exception table).
//!
//! Exit protocol with the host program `tinymm` (boot/): see reboot.rs.

pub mod archrandom;
pub mod cpu;
pub mod desc;
pub mod early_printk;
pub mod entry_64;
pub mod entry_common;
pub mod fault;
pub mod fpu;
pub mod head_64;
pub mod idt;
pub mod irq;
pub mod irqflags;
pub mod page_64_types;
mod panic;
pub mod pgtable;
pub mod platform;
pub mod proc;
pub mod process_64;
pub mod ptrace;
pub mod reboot;
pub mod rtc;
pub mod selftest;
pub mod setup;
pub mod signal;
pub mod traps;
pub mod tsc;
pub mod uaccess;

pub use irq::time_init;
pub use page_64_types::{KERNEL_BASE, KERNEL_STACK_SIZE, PAGE_OFFSET, VMALLOC_START};
pub use panic::panic;
pub use reboot::{fail, poweroff};
pub use tsc::{rdtsc, rdtsc_ordered};

/// Early architecture bring-up: console first (so later faults can be
/// reported), then the CPU tables, then the CPU features user tasks rely
/// on (NX, WP, SMEP, SMAP, the syscall MSRs) and the record of the boot
/// page table (`init_mm.pgd`).
pub fn init() {
    early_printk::setup_early_printk();
    trap_init();
    cpu::cpu_init();
    fpu::fpu__init_cpu();
    pgtable::pgtable_init();
}

/// Loads the GDT with the TSS and its IST stacks, then the IDT; like
/// Linux's `trap_init()` (`cpu_init_exception_handling()` + `idt_setup_traps()`).
pub fn trap_init() {
    desc::cpu_init_exception_handling();
    idt::idt_setup_traps();
}
