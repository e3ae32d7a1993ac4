//! Process entry and panics. `user::entry!(main)` in a program defines
//! `_start`, which hands the initial stack to `main(Args) -> i32` and exits
//! with its status.

/// Defines `_start` for a program whose `main(args: Args) -> i32`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        extern "C" fn __user_start(sp: *const usize) -> ! {
            // SAFETY: `_start` passes the stack pointer the kernel entered
            // with, which points at Linux's argc/argv/envp/auxv block.
            let args = unsafe { $crate::Args::from_initial_stack(sp) };
            let main: fn($crate::Args) -> i32 = $main;
            $crate::sys::exit(main(args))
        }

        /// The ELF entry point: the kernel jumps here with rsp at argc and
        /// rsp 16-byte aligned; `call` leaves the callee the usual
        /// rsp % 16 == 8.
        // SAFETY: a naked function that only moves the initial stack
        // pointer into the first argument register and calls Rust; it
        // never returns (`ud2` guards the impossible return).
        #[unsafe(no_mangle)]
        #[unsafe(naked)]
        pub extern "C" fn _start() -> ! {
            core::arch::naked_asm!(
                "xor ebp, ebp",
                "mov rdi, rsp",
                "and rsp, -16",
                "call {start}",
                "ud2",
                start = sym __user_start,
            )
        }
    };
}

/// A panic is a bug in the program: report it on stderr, exit 101 (Rust's
/// status for a panicking std program).
#[cfg(all(not(test), target_os = "none"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    crate::io::print_to(2, format_args!("panic: {info}\n"));
    crate::sys::exit(101)
}
