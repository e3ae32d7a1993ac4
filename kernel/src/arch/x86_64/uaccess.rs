//! Copying to and from user space; mirrors arch/x86/include/asm/uaccess.h,
//! arch/x86/lib/copy_user_64.S, lib/strncpy_from_user.c and the exception
//! table of arch/x86/mm/extable.c.
//!
//! Every access runs between `stac` and `clac` (SMAP) in assembly whose
//! possibly-faulting instructions are listed in the exception table
//! (`__ex_table`: relative (instruction, fixup) pairs, as Linux's). A
//! fault on a user address inside a copy first goes to
//! `do_user_addr_fault` like any user fault (so a valid but unpopulated
//! page gets faulted in once mm does demand paging); only if that fails
//! does `fixup_exception` move RIP to the fixup, and the copy returns the
//! number of bytes left, which becomes EFAULT here.

use core::arch::global_asm;

use super::ptrace::PtRegs;
use crate::uapi::errno::{Errno, KResult};

/// `TASK_SIZE_MAX`: user addresses are below this (the last page below the
/// canonical hole stays unmapped, as on Linux).
pub const TASK_SIZE_MAX: u64 = 0x7fff_ffff_f000;

const PAGE_SIZE: u64 = 4096;

unsafe extern "C" {
    /// Copies `len` bytes; returns how many were not copied.
    fn copy_user_generic(dst: *mut u8, src: *const u8, len: usize) -> usize;
    /// Zeroes `len` user bytes; returns how many were not cleared.
    fn __clear_user(dst: *mut u8, len: usize) -> usize;
    static __start___ex_table: ExceptionTableEntry;
    static __stop___ex_table: ExceptionTableEntry;
}

global_asm!(
    r#"
    .pushsection .text.uaccess, "ax", @progbits
    .global copy_user_generic
    .type copy_user_generic, @function
    .p2align 4
copy_user_generic:
    .cfi_startproc
    // Quadwords, then the tail bytes: under TCG a `rep movsb` costs a
    // helper round per byte.
    mov rcx, rdx
    shr rcx, 3
    and edx, 7
    stac
10: rep movsq
    mov rcx, rdx
12: rep movsb
11: clac
    mov rax, rcx
    ret
    // A fault in the quadword loop: rcx quadwords and the tail are left;
    // copy them bytewise up to the faulting byte, for an exact count.
13: lea rcx, [rdx + rcx * 8]
    jmp 12b
    .cfi_endproc
    .size copy_user_generic, . - copy_user_generic

    .global __clear_user
    .type __clear_user, @function
    .p2align 4
__clear_user:
    .cfi_startproc
    mov rcx, rsi
    shr rcx, 3
    and esi, 7
    xor eax, eax
    stac
20: rep stosq
    mov rcx, rsi
22: rep stosb
21: clac
    mov rax, rcx
    ret
23: lea rcx, [rsi + rcx * 8]
    jmp 22b
    .cfi_endproc
    .size __clear_user, . - __clear_user
    .popsection

    .pushsection .rodata.__ex_table, "a", @progbits
    .p2align 2
    .global __start___ex_table
__start___ex_table:
    .long 10b - ., 13b - .
    .long 12b - ., 11b - .
    .long 20b - ., 23b - .
    .long 22b - ., 21b - .
    .global __stop___ex_table
__stop___ex_table:
    .popsection
"#
);

/// `struct exception_table_entry`: offsets from the fields themselves.
#[repr(C)]
struct ExceptionTableEntry {
    insn: i32,
    fixup: i32,
}

fn ex_table() -> &'static [ExceptionTableEntry] {
    let start = &raw const __start___ex_table;
    let stop = &raw const __stop___ex_table;
    let n = (stop as usize - start as usize) / core::mem::size_of::<ExceptionTableEntry>();
    // SAFETY: the assembly above emits `n` entries contiguously between
    // the two symbols, in a read-only section that lives forever.
    unsafe { core::slice::from_raw_parts(start, n) }
}

/// `search_exception_tables()`: the fixup address for a faulting `ip`.
pub fn search_exception_tables(ip: u64) -> Option<u64> {
    ex_table().iter().find_map(|e| {
        let base = e as *const ExceptionTableEntry as u64;
        let insn = base.wrapping_add_signed(i64::from(e.insn));
        let fixup = (base + 4).wrapping_add_signed(i64::from(e.fixup));
        (insn == ip).then_some(fixup)
    })
}

/// `fixup_exception()`: if the faulting instruction has an exception table
/// entry, resume at its fixup and return true.
#[inline(never)]
pub fn fixup_exception(regs: &mut PtRegs) -> bool {
    match search_exception_tables(regs.ip) {
        Some(fixup) => {
            regs.ip = fixup;
            true
        }
        None => false,
    }
}

/// `access_ok()`: the whole range lies below `TASK_SIZE_MAX`.
pub fn access_ok(addr: u64, len: usize) -> bool {
    addr.checked_add(len as u64)
        .is_some_and(|end| end <= TASK_SIZE_MAX)
}

/// `copy_from_user()`: all of `dst` from user address `src`, or EFAULT.
#[inline(never)]
pub fn copy_from_user(dst: &mut [u8], src: u64) -> KResult<()> {
    if !access_ok(src, dst.len()) {
        return Err(Errno::EFAULT);
    }
    if dst.is_empty() {
        return Ok(());
    }
    // SAFETY: `dst` is a valid kernel buffer of `dst.len()` bytes; the user
    // range was checked to lie below TASK_SIZE_MAX and a fault on it is
    // fixed up through the exception table.
    let left = unsafe { copy_user_generic(dst.as_mut_ptr(), src as *const u8, dst.len()) };
    if left == 0 {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// `copy_to_user()`: all of `src` to user address `dst`, or EFAULT.
#[inline(never)]
pub fn copy_to_user(dst: u64, src: &[u8]) -> KResult<()> {
    if !access_ok(dst, src.len()) {
        return Err(Errno::EFAULT);
    }
    if src.is_empty() {
        return Ok(());
    }
    // SAFETY: as in copy_from_user, with the roles swapped.
    let left = unsafe { copy_user_generic(dst as *mut u8, src.as_ptr(), src.len()) };
    if left == 0 {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// `clear_user()`: zero `len` user bytes at `dst`, or EFAULT.
#[inline(never)]
pub fn clear_user(dst: u64, len: usize) -> KResult<()> {
    if !access_ok(dst, len) {
        return Err(Errno::EFAULT);
    }
    if len == 0 {
        return Ok(());
    }
    // SAFETY: user range checked; faults are fixed up.
    let left = unsafe { __clear_user(dst as *mut u8, len) };
    if left == 0 {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// `strncpy_from_user()`: copies a NUL-terminated string into `dst` and
/// returns its length (without the NUL). ENAMETOOLONG if `dst` fills up
/// before a NUL; EFAULT on a bad address. Copies page by page so a string
/// ending just before an unmapped page is read without touching it.
#[inline(never)]
pub fn strncpy_from_user(dst: &mut [u8], src: u64) -> KResult<usize> {
    let mut done = 0usize;
    while done < dst.len() {
        let addr = src.checked_add(done as u64).ok_or(Errno::EFAULT)?;
        let in_page = (PAGE_SIZE - (addr & (PAGE_SIZE - 1))) as usize;
        let n = in_page.min(dst.len() - done);
        copy_from_user(&mut dst[done..done + n], addr)?;
        if let Some(nul) = dst[done..done + n].iter().position(|&b| b == 0) {
            return Ok(done + nul);
        }
        done += n;
    }
    Err(Errno::ENAMETOOLONG)
}
