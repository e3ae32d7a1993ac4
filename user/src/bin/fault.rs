//! `fault KIND`: misbehaves on purpose so tests can check the kernel kills
//! the process (SIGSEGV) and keeps running.
//!
//! * `null`: write to address 0;
//! * `wrro`: write into the program's own read-only .rodata;
//! * `execstack`: call code placed on the stack (NX);
//! * `readkernel`: read the kernel's direct map at 0xffff888000000000;
//! * `badptr`: write(1, 1, 10) must fail with -EFAULT (-14): prints the
//!   returned value and exits 0 if it is -14, else 1.
//!
//! The accesses are inline asm: as Rust they would be undefined behaviour
//! the compiler may assume away.

#![no_std]
#![no_main]

use core::arch::asm;

use user::io::{Bytes, usage};
use user::sys;
use user::unistd_64::__NR_WRITE;
use user::{Args, errln, outln};

user::entry!(main);

const USAGE: &str = "fault null|wrro|execstack|readkernel|badptr";

/// Lives in .rodata, which the ELF maps without write permission.
static READ_ONLY: [u8; 8] = *b"rodata!\0";

fn main(args: Args) -> i32 {
    let (Some(kind), 2) = (args.get(1), args.len()) else {
        usage("fault", format_args!("need one argument"), USAGE);
    };
    match kind.to_bytes() {
        b"null" => {
            // SAFETY: deliberately faults: the kernel kills us with SIGSEGV
            // before the store completes, so no Rust-visible memory changes.
            unsafe { asm!("mov byte ptr [{addr}], 1", addr = in(reg) 0usize, options(nostack)) };
        }
        b"wrro" => {
            let addr = core::hint::black_box(READ_ONLY.as_ptr());
            // SAFETY: deliberately faults on the read-only page (SIGSEGV);
            // if it did not, only a byte no code reads after this changes.
            unsafe { asm!("mov byte ptr [{addr}], 1", addr = in(reg) addr, options(nostack)) };
        }
        b"execstack" => {
            // `ret`: harmless if the stack were executable.
            let code = core::hint::black_box([0xc3u8; 16]);
            // SAFETY: deliberately faults (NX stack → SIGSEGV); were the
            // stack executable, the code is a lone `ret`, and every
            // register a C call may clobber is declared clobbered.
            unsafe { asm!("call {code}", code = in(reg) code.as_ptr(), clobber_abi("C")) };
        }
        b"readkernel" => {
            let value: u64;
            // SAFETY: deliberately faults (a kernel address from user mode
            // → SIGSEGV); a read changes no memory.
            unsafe {
                asm!(
                    "mov {value}, qword ptr [{addr}]",
                    addr = in(reg) 0xffff_8880_0000_0000usize,
                    value = out(reg) value,
                    options(nostack, readonly),
                );
            }
            errln!("fault: readkernel: read {value:#x}");
        }
        b"badptr" => {
            // SAFETY: the kernel must refuse the unmapped buffer at address
            // 1 with EFAULT; it only reads from it, so even a buggy kernel
            // cannot corrupt our memory this way.
            let ret = unsafe { sys::syscall6(__NR_WRITE, [1, 1, 10, 0, 0, 0]) };
            outln!("fault: badptr: write returned {ret}");
            return if ret == -14 { 0 } else { 1 };
        }
        other => usage(
            "fault",
            format_args!("unknown kind {}", Bytes(other)),
            USAGE,
        ),
    }
    errln!("fault: {}: did not fault", Bytes(kind.to_bytes()));
    1
}
