//! `fault KIND`: misbehaves on purpose so tests can check the kernel kills
//! the process with Linux's signal and keeps running.
//!
//! Page faults (SIGSEGV):
//! * `null`: write to address 0;
//! * `wrro`: write into the program's own read-only .rodata;
//! * `execstack`: call code placed on the stack (NX);
//! * `readkernel`: read the kernel's direct map at 0xffff888000000000;
//!
//! Other CPU exceptions (arch/x86/kernel/traps.c):
//! * `ud2`: #UD, SIGILL;
//! * `div0`: integer division by zero, #DE, SIGFPE;
//! * `cli`: a privileged instruction in ring 3, #GP, SIGSEGV;
//! * `int3`: #BP, SIGTRAP;
//! * `sse`: `divss` by zero with the divide-by-zero exception unmasked in
//!   MXCSR, #XM, SIGFPE;
//! * `x87`: `fdiv` by zero with the x87 divide-by-zero exception unmasked,
//!   reported at the next `fwait` as #MF, SIGFPE;
//! * `ac`: an unaligned load with EFLAGS.AC set, #AC, SIGBUS;
//! * `step`: EFLAGS.TF set, so the next instruction ends in #DB (single
//!   step), SIGTRAP;
//!
//! and one that must not fault:
//! * `badptr`: write(1, 1, 10) must fail with -EFAULT (-14): prints the
//!   returned value and exits 0 if it is -14, else 1.
//!
//! The accesses are inline asm: as Rust they would be undefined behaviour
//! the compiler may assume away. Each exception mode leaves the registers
//! and flags it changed as they were in case the exception does not come,
//! so the program can report that and exit 1.

#![no_std]
#![no_main]

use core::arch::asm;

use user::io::{Bytes, usage};
use user::sys;
use user::unistd_64::__NR_WRITE;
use user::{Args, errln, outln};

user::entry!(main);

const USAGE: &str = "fault null|wrro|execstack|readkernel|ud2|div0|cli|int3|sse|x87|ac|step|badptr";

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
        b"ud2" => {
            // SAFETY: #UD: the kernel kills us with SIGILL; nothing runs
            // after it.
            unsafe { asm!("ud2", options(nomem, nostack)) };
        }
        b"div0" => {
            let divisor = core::hint::black_box(0u32);
            // SAFETY: `div` by zero raises #DE (SIGFPE) before writing
            // eax/edx, which are declared clobbered anyway.
            unsafe {
                asm!(
                    "div {divisor:e}",
                    divisor = in(reg) divisor,
                    inout("eax") 1u32 => _,
                    inout("edx") 0u32 => _,
                    options(nomem, nostack),
                );
            }
        }
        b"cli" => {
            // SAFETY: `cli` at CPL 3 with IOPL 0 raises #GP (SIGSEGV); it
            // cannot change IF from ring 3.
            unsafe { asm!("cli", options(nomem, nostack)) };
        }
        b"int3" => {
            // SAFETY: #BP: the kernel kills us with SIGTRAP.
            unsafe { asm!("int3", options(nomem, nostack)) };
        }
        b"sse" => {
            // Clears MXCSR's divide-by-zero mask (bit 9) and
            // divides 1.0 by 0.0 with `divss`: #XM (SIGFPE, FPE_FLTDIV).
            // xmm0, xmm1 and MXCSR are saved on the stack and restored in
            // case no exception comes (this target's Rust code uses no
            // SSE registers, so none are declared as operands).
            // SAFETY: sound for the reasons just given.
            unsafe {
                asm!(
                    "sub rsp, 48",
                    "movups [rsp], xmm0",
                    "movups [rsp + 16], xmm1",
                    "stmxcsr [rsp + 32]",
                    "mov eax, [rsp + 32]",
                    "and eax, ~0x200",
                    "mov [rsp + 36], eax",
                    "ldmxcsr [rsp + 36]",
                    "mov eax, 0x3f800000",
                    "movd xmm0, eax",
                    "xorps xmm1, xmm1",
                    "divss xmm0, xmm1",
                    "ldmxcsr [rsp + 32]",
                    "movups xmm1, [rsp + 16]",
                    "movups xmm0, [rsp]",
                    "add rsp, 48",
                    out("eax") _,
                );
            }
        }
        b"x87" => {
            // Clears the x87 control word's divide-by-zero mask
            // (bit 2), divides 1.0 by a 0.0 in memory and waits: #MF
            // (SIGFPE, FPE_FLTDIV). Without the exception, the flags are
            // cleared, the control word restored and the x87 stack
            // popped, leaving it empty as Rust expects.
            // SAFETY: sound for the reasons just given.
            unsafe {
                asm!(
                    "sub rsp, 16",
                    "fnstcw [rsp]",
                    "mov ax, [rsp]",
                    "and ax, ~0x4",
                    "mov [rsp + 2], ax",
                    "mov dword ptr [rsp + 4], 0",
                    "fldcw [rsp + 2]",
                    "fld1",
                    "fdiv dword ptr [rsp + 4]",
                    "fwait",
                    "fnclex",
                    "fldcw [rsp]",
                    "fstp st(0)",
                    "add rsp, 16",
                    out("eax") _,
                );
            }
        }
        b"ac" => {
            let buf = core::hint::black_box([0u64; 2]);
            // SAFETY: sets EFLAGS.AC and loads a dword from an odd
            // address inside `buf`: #AC (SIGBUS, BUS_ADRALN). Without the
            // exception the load reads `buf` and AC is cleared again.
            unsafe {
                asm!(
                    "pushfq",
                    "or dword ptr [rsp], 0x40000",
                    "popfq",
                    "mov eax, dword ptr [{addr} + 1]",
                    "pushfq",
                    "and dword ptr [rsp], ~0x40000",
                    "popfq",
                    addr = in(reg) buf.as_ptr(),
                    out("eax") _,
                    options(readonly),
                );
            }
        }
        b"step" => {
            // SAFETY: sets EFLAGS.TF: the instruction after `popfq` ends in
            // a single-step #DB (SIGTRAP, TRAP_TRACE). Without it, TF is
            // cleared again.
            unsafe {
                asm!(
                    "pushfq",
                    "or dword ptr [rsp], 0x100",
                    "popfq",
                    "nop",
                    "pushfq",
                    "and dword ptr [rsp], ~0x100",
                    "popfq",
                );
            }
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
