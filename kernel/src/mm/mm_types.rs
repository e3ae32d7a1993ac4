//! `struct mm_struct` (include/linux/mm_types.h). PLACEHOLDER from the
//! tasks branch, replaced by mm's own file at merge: only the page table,
//! so tasks can own an address space.

use crate::arch::x86_64::pgtable::Pgd;

/// An address space.
pub struct MmStruct {
    pub pgd: Pgd,
}

impl MmStruct {
    /// `mm_alloc()`: an empty address space (kernel half mapped).
    pub fn new() -> Option<Self> {
        Some(Self { pgd: Pgd::alloc()? })
    }
}
