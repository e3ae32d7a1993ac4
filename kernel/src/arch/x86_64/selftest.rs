//! Deliberate faults for console self-tests (`selftest int3`,
//! `selftest pagefault`): they check that the exception path reports and,
//! for fatal faults, fails the run the way tests/boot.rs expects.

use ::x86_64::registers::control::Cr3;
use ::x86_64::structures::paging::{PageTable, PageTableFlags};

use super::PAGE_OFFSET;

/// Address `page_fault` writes to: low, page-aligned, easy to spot in
/// `CR2=0xdead000`, and above the RAM a test VM has, so the bootloader's
/// identity mappings cannot reach it (checked before the write anyway).
pub const SELFTEST_FAULT_ADDR: u64 = 0xdead000;

/// Executes `int3`; `exc_int3` reports it and execution continues here.
#[inline(never)]
pub fn int3() {
    ::x86_64::instructions::interrupts::int3();
}

/// Whether `addr` has a present translation in the current page tables.
pub fn is_mapped(addr: u64) -> bool {
    let (mut table_phys, _) = Cr3::read();
    // Index bits of levels 4, 3, 2, 1.
    for shift in [39u32, 30, 21, 12] {
        let table_virt = PAGE_OFFSET + table_phys.start_address().as_u64();
        // SAFETY: the bootloader maps all physical memory at PAGE_OFFSET and
        // page-table frames are physical memory; we only read.
        let table = unsafe { &*(table_virt as *const PageTable) };
        let entry = &table[((addr >> shift) & 0x1ff) as usize];
        if !entry.flags().contains(PageTableFlags::PRESENT) {
            return false;
        }
        if shift == 12 || entry.flags().contains(PageTableFlags::HUGE_PAGE) {
            return true;
        }
        match entry.frame() {
            Ok(frame) => table_phys = frame,
            Err(_) => return true,
        }
    }
    true
}

/// Writes to the unmapped [`SELFTEST_FAULT_ADDR`]: a kernel page fault,
/// which `exc_page_fault` turns into a failed run.
pub fn page_fault() -> ! {
    assert!(
        !is_mapped(SELFTEST_FAULT_ADDR),
        "selftest address {SELFTEST_FAULT_ADDR:#x} is mapped"
    );
    // SAFETY: the address has no translation (checked above), so the write
    // cannot corrupt memory: it raises #PF, whose handler never returns.
    unsafe { core::ptr::write_volatile(SELFTEST_FAULT_ADDR as *mut u64, 0x5a5a) };
    unreachable!("write to unmapped {SELFTEST_FAULT_ADDR:#x} did not fault")
}

/// Hand-written ring-3 programs for the task self-tests
/// (task/selftest.rs), position independent, copied into a user page at
/// run time. Each ends in `exit` (60) with a status the test checks.
/// `[rsp]` holds the task's parameter (placed there like argc).
pub mod user {
    use core::arch::global_asm;

    macro_rules! user_programs {
        ($($name:ident),* $(,)?) => {
            unsafe extern "C" {
                $(
                    #[link_name = concat!("uprog_", stringify!($name), "_start")]
                    static $name: u8;
                )*
            }
            /// The machine code of the program called `name`.
            pub fn program(name: &str) -> Option<&'static [u8]> {
                let start = match name {
                    $(stringify!($name) => &raw const $name,)*
                    _ => return None,
                };
                // SAFETY: each program is a byte string in .rodata that
                // starts with a u64 length (emitted by the assembly
                // below) followed by that many bytes of code.
                unsafe {
                    let len = start.cast::<u64>().read_unaligned() as usize;
                    Some(core::slice::from_raw_parts(start.add(8), len))
                }
            }
        };
    }

    user_programs!(
        exit7,
        getpid,
        enosys,
        write,
        spin,
        spin_forever,
        segv,
        kexec,
        kread,
        nxexec,
        efault,
        einval,
        sleep,
        uname,
        getppid,
        yield_,
        clockinval,
        realtime,
        longsleep,
    );

    global_asm!(
        r#"
    .pushsection .rodata.user_programs, "a", @progbits
    .macro UPROG name
        .global uprog_\name\()_start
        .p2align 3
uprog_\name\()_start:
        .quad 2f - 1f
1:
    .endm
    .macro UEND
2:
    .endm
    .macro EXIT_EDI
        mov eax, 60
        syscall
        ud2
    .endm

    UPROG exit7
        mov edi, 7
        EXIT_EDI
    UEND

    UPROG getpid
        mov eax, 39
        syscall
        mov edi, eax
        EXIT_EDI
    UEND

    UPROG enosys
        mov eax, 1000
        syscall
        neg eax
        mov edi, eax
        EXIT_EDI
    UEND

    UPROG write
        lea rsi, [rip + 3f]
        mov edx, 18                     /* length of the string */
        mov edi, 1
        mov eax, 1
        syscall
        mov edi, eax
        EXIT_EDI
3:      .ascii "hello from ring 3\n"
4:
    UEND

    /* [rsp] = exit code, [rsp+8] = loop count */
    UPROG spin
        mov rdi, qword ptr [rsp]
        mov rcx, qword ptr [rsp + 8]
5:      dec rcx
        jnz 5b
        EXIT_EDI
    UEND

    UPROG spin_forever
6:      pause
        jmp 6b
    UEND

    UPROG segv
        mov eax, 0x1000
        mov qword ptr [rax], 1
        mov edi, 100
        EXIT_EDI
    UEND

    UPROG kexec
        movabs rax, 0xffffffff80000000
        jmp rax
    UEND

    UPROG kread
        movabs rax, 0xffff888000000000
        mov rax, qword ptr [rax]
        mov edi, 100
        EXIT_EDI
    UEND

    /* jump into the (NX) stack page */
    UPROG nxexec
        mov word ptr [rsp - 16], 0x9090
        lea rax, [rsp - 16]
        jmp rax
    UEND

    /* nanosleep(0x1000 (unmapped), NULL) -> -EFAULT; exit(14) */
    UPROG efault
        mov edi, 0x1000
        xor esi, esi
        mov eax, 35
        syscall
        neg eax
        mov edi, eax
        EXIT_EDI
    UEND

    /* nanosleep(0 s + 1000000000 ns) -> -EINVAL; exit(22) */
    UPROG einval
        sub rsp, 16
        mov qword ptr [rsp], 0
        mov qword ptr [rsp + 8], 1000000000
        mov rdi, rsp
        xor esi, esi
        mov eax, 35
        syscall
        neg eax
        mov edi, eax
        EXIT_EDI
    UEND

    /* t0 = clock_gettime(MONOTONIC); nanosleep 5 ms; t1; exit(ms) */
    UPROG sleep
        sub rsp, 48
        mov edi, 1
        lea rsi, [rsp + 16]
        mov eax, 228
        syscall
        test rax, rax
        jnz 7f
        mov qword ptr [rsp], 0
        mov qword ptr [rsp + 8], 5000000
        mov rdi, rsp
        xor esi, esi
        mov eax, 35
        syscall
        test rax, rax
        jnz 7f
        mov edi, 1
        lea rsi, [rsp + 32]
        mov eax, 228
        syscall
        test rax, rax
        jnz 7f
        mov rax, qword ptr [rsp + 32]
        sub rax, qword ptr [rsp + 16]
        imul rax, rax, 1000000000
        add rax, qword ptr [rsp + 40]
        sub rax, qword ptr [rsp + 24]
        xor edx, edx
        mov ecx, 1000000
        div rcx
        mov edi, eax
        EXIT_EDI
7:      mov edi, 200
        EXIT_EDI
    UEND

    /* uname(buf); write(1, sysname, 5); write(1, machine, 6); exit(0) */
    UPROG uname
        sub rsp, 400
        mov rdi, rsp
        mov eax, 63
        syscall
        test rax, rax
        jnz 8f
        mov edi, 1
        mov rsi, rsp
        mov edx, 5
        mov eax, 1
        syscall
        mov edi, 1
        lea rsi, [rsp + 260]
        mov edx, 6
        mov eax, 1
        syscall
        xor edi, edi
        EXIT_EDI
8:      mov edi, 200
        EXIT_EDI
    UEND

    UPROG getppid
        mov eax, 110
        syscall
        mov edi, eax
        EXIT_EDI
    UEND

    UPROG yield_
        mov eax, 24
        syscall
        mov edi, eax
        EXIT_EDI
    UEND

    /* clock_gettime(99, buf) -> -EINVAL; exit(22) */
    UPROG clockinval
        sub rsp, 16
        mov edi, 99
        mov rsi, rsp
        mov eax, 228
        syscall
        neg eax
        mov edi, eax
        EXIT_EDI
    UEND

    /* clock_gettime(CLOCK_REALTIME): exit(0) if after 2023-11-14 */
    UPROG realtime
        sub rsp, 16
        xor edi, edi
        mov rsi, rsp
        mov eax, 228
        syscall
        test rax, rax
        jnz 9f
        mov rax, qword ptr [rsp]
        mov ecx, 1700000000
        cmp rax, rcx
        jb 9f
        xor edi, edi
        EXIT_EDI
9:      mov edi, 1
        EXIT_EDI
    UEND

    /* nanosleep(100 s); exit(1) if it ever returns */
    UPROG longsleep
        sub rsp, 16
        mov qword ptr [rsp], 100
        mov qword ptr [rsp + 8], 0
        mov rdi, rsp
        xor esi, esi
        mov eax, 35
        syscall
        mov edi, 1
        EXIT_EDI
    UEND

    .popsection
"#
    );
}

/// Reads user address `addr` from ring 0 without `stac`: with SMAP on,
/// this is a kernel page fault (`selftest smap` expects the run to fail).
pub fn smap_violation(addr: u64) -> ! {
    // SAFETY: deliberately faulting: the caller mapped `addr` as a present
    // user page, so the only effect is the SMAP #PF, which never returns.
    let v = unsafe { core::ptr::read_volatile(addr as *const u64) };
    panic!("read of user address {addr:#x} gave {v:#x}: SMAP is off")
}
