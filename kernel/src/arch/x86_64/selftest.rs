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
