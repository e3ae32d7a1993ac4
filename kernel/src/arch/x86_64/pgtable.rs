//! Page tables of user address spaces; mirrors arch/x86/include/asm/pgtable.h,
//! arch/x86/mm/pgtable.c (`pgd_alloc`, `pgd_free`, `ptep_test_and_clear_young`)
//! and the table allocation/freeing of mm/memory.c (`__pud_alloc`,
//! `__pmd_alloc`, `__pte_alloc`, `free_pgd_range`).
//!
//! 4-level paging. A [`Pgd`] owns one PML4 frame whose kernel half
//! (entries 256..512) is copied from the boot page table
//! (`swapper_pg_dir`), so the kernel stays mapped in every address space;
//! user-half tables are allocated on demand and counted in the node's
//! `nr_page_table_pages` (Linux's `NR_PAGETABLE`), one per PUD/PMD/PTE
//! table page (the PGD itself is not counted, as on x86 Linux 6.12).
//! Intermediate entries are `_PAGE_PRESENT | _PAGE_RW | _PAGE_USER`
//! (Linux's `_PAGE_TABLE`); the leaf decides the real permissions.
//!
//! Left out: huge pages, 5-level paging, PCID, the pgd list that Linux
//! keeps to sync later kernel-half PML4 changes into every pgd (tinymm
//! never adds a kernel PML4 entry after boot).

use core::sync::atomic::{AtomicU64, Ordering};

use ::x86_64::instructions::tlb;
use ::x86_64::registers::control::Cr3;
use ::x86_64::{PhysAddr, VirtAddr};
use bitflags::bitflags;

use crate::mm::gfp::Gfp;
use crate::mm::mmzone::{NodeStatItem, node_data};
use crate::mm::page::{DirectMap, PAGE_SHIFT};
use crate::mm::page_alloc::{alloc_pages, free_pages};
use crate::uapi::errno::{Errno, KResult};

bitflags! {
    /// Page-table entry bits (asm/pgtable_types.h), Linux's names and values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PteFlags: u64 {
        const _PAGE_PRESENT = 1 << 0;
        const _PAGE_RW = 1 << 1;
        const _PAGE_USER = 1 << 2;
        const _PAGE_PWT = 1 << 3;
        const _PAGE_PCD = 1 << 4;
        const _PAGE_ACCESSED = 1 << 5;
        const _PAGE_DIRTY = 1 << 6;
        const _PAGE_PSE = 1 << 7;
        const _PAGE_GLOBAL = 1 << 8;
        const _PAGE_NX = 1 << 63;
    }
}

/// `_PAGE_TABLE`: what an entry pointing at a lower table carries.
const _PAGE_TABLE: PteFlags = PteFlags::_PAGE_PRESENT
    .union(PteFlags::_PAGE_RW)
    .union(PteFlags::_PAGE_USER)
    .union(PteFlags::_PAGE_ACCESSED);
/// `PTE_PFN_MASK`: physical-address bits 12..52.
const PTE_PFN_MASK: u64 = 0x000f_ffff_ffff_f000;
const PTRS_PER_TABLE: usize = 512;
/// First PML4 index of the kernel half (`KERNEL_PGD_BOUNDARY`).
const KERNEL_PGD_BOUNDARY: usize = 256;
/// End of the user half of the address space.
const USER_HALF_END: u64 = 1 << 47;
/// Shifts of the PGD, PUD, PMD and PTE levels.
const PGDIR_SHIFT: u32 = 39;
const PUD_SHIFT: u32 = 30;
const PMD_SHIFT: u32 = 21;

/// Physical address of the boot page table (Linux's `swapper_pg_dir`,
/// `init_mm.pgd`); recorded by [`pgtable_init`].
static SWAPPER_PG_DIR: AtomicU64 = AtomicU64::new(0);

/// Records the boot page table as `init_mm`'s. Call once, early.
pub fn pgtable_init() {
    let (frame, _) = Cr3::read_raw();
    SWAPPER_PG_DIR.store(frame.start_address().as_u64(), Ordering::Relaxed);
}

/// Physical address of `init_mm.pgd`.
pub fn swapper_pg_dir() -> u64 {
    SWAPPER_PG_DIR.load(Ordering::Relaxed)
}

/// A table page seen through the direct map.
fn table(phys: u64) -> *mut u64 {
    DirectMap::va(phys).cast::<u64>()
}

fn read_entry(table_phys: u64, index: usize) -> u64 {
    debug_assert!(index < PTRS_PER_TABLE);
    // SAFETY: `table_phys` is a page-table page owned by a Pgd (or the boot
    // table), mapped by the direct map; index < 512 stays inside it.
    unsafe { table(table_phys).add(index).read_volatile() }
}

fn write_entry(table_phys: u64, index: usize, value: u64) {
    debug_assert!(index < PTRS_PER_TABLE);
    // SAFETY: as in read_entry; a Pgd's tables are only changed through
    // these functions, on one CPU.
    unsafe { table(table_phys).add(index).write_volatile(value) }
}

/// One zeroed page for a page table, counted in NR_PAGETABLE.
fn pagetable_alloc() -> KResult<u64> {
    let page = alloc_pages(Gfp::GFP_KERNEL | Gfp::__GFP_ZERO, 0).ok_or(Errno::ENOMEM)?;
    let pgdat = node_data(0);
    pgdat.mod_page_state(NodeStatItem::NrPagetable, 1);
    Ok(pgdat.page_to_pfn(page) << PAGE_SHIFT)
}

/// Frees a table page taken by [`pagetable_alloc`].
fn pagetable_free(phys: u64) {
    let pgdat = node_data(0);
    pgdat.mod_page_state(NodeStatItem::NrPagetable, -1);
    free_pages(pgdat.pfn_to_page(phys >> PAGE_SHIFT), 0);
}

/// A user address space's top-level page table (PML4): Linux's `pgd_t *`
/// of an `mm_struct`. Dropping it frees every user-half table page and the
/// PML4 (`pgd_free`), but not the frames the leaves map: mm unmaps and
/// frees those first.
#[derive(Debug)]
pub struct Pgd {
    phys: u64,
    /// Table pages below the PML4 (`mm_pgtables_bytes` / PAGE_SIZE), for
    /// the OOM killer's badness.
    nr_tables: AtomicU64,
}

impl Pgd {
    /// `pgd_alloc()`: a zeroed PML4 with the kernel half shared with
    /// `swapper_pg_dir`. None when out of memory.
    #[inline(never)]
    pub fn alloc() -> Option<Pgd> {
        let page = alloc_pages(Gfp::GFP_KERNEL | Gfp::__GFP_ZERO, 0)?;
        let phys = node_data(0).page_to_pfn(page) << PAGE_SHIFT;
        let swapper = swapper_pg_dir();
        assert_ne!(swapper, 0, "pgd_alloc before pgtable_init");
        for index in KERNEL_PGD_BOUNDARY..PTRS_PER_TABLE {
            write_entry(phys, index, read_entry(swapper, index));
        }
        Some(Pgd {
            phys,
            nr_tables: AtomicU64::new(0),
        })
    }

    /// Page-table pages below the PML4.
    pub fn nr_tables(&self) -> u64 {
        self.nr_tables.load(Ordering::Relaxed)
    }

    /// Physical address of the PML4 (what CR3 holds).
    pub fn phys(&self) -> u64 {
        self.phys
    }

    /// Whether this is the page table the CPU uses now.
    fn is_loaded(&self) -> bool {
        let (frame, _) = Cr3::read_raw();
        frame.start_address().as_u64() == self.phys
    }
}

impl Drop for Pgd {
    fn drop(&mut self) {
        if self.is_loaded() {
            switch_mm_phys(swapper_pg_dir());
        }
        for index in 0..KERNEL_PGD_BOUNDARY {
            let entry = read_entry(self.phys, index);
            if entry & PteFlags::_PAGE_PRESENT.bits() != 0 {
                free_table_tree(entry & PTE_PFN_MASK, 3);
            }
        }
        free_pages(node_data(0).pfn_to_page(self.phys >> PAGE_SHIFT), 0);
    }
}

/// Frees a table at `level` (3 = PUD, 2 = PMD, 1 = PTE table) and every
/// table below it; leaves are left alone.
fn free_table_tree(phys: u64, level: u32) {
    if level > 1 {
        for index in 0..PTRS_PER_TABLE {
            let entry = read_entry(phys, index);
            if entry & PteFlags::_PAGE_PRESENT.bits() != 0
                && entry & PteFlags::_PAGE_PSE.bits() == 0
            {
                free_table_tree(entry & PTE_PFN_MASK, level - 1);
            }
        }
    }
    pagetable_free(phys);
}

fn index_at(addr: u64, shift: u32) -> usize {
    ((addr >> shift) & (PTRS_PER_TABLE as u64 - 1)) as usize
}

/// Walks to the PTE table covering `addr`, allocating missing levels when
/// `alloc` (`__pud_alloc`, `__pmd_alloc`, `__pte_alloc`). Returns the PTE
/// table's physical address, or None if a level is missing and `alloc` is
/// false.
fn walk_to_pte_table(pgd: &Pgd, addr: u64, alloc: bool) -> KResult<Option<u64>> {
    if addr >= USER_HALF_END {
        return Err(Errno::EINVAL);
    }
    let mut table_phys = pgd.phys;
    for shift in [PGDIR_SHIFT, PUD_SHIFT, PMD_SHIFT] {
        let index = index_at(addr, shift);
        let entry = read_entry(table_phys, index);
        if entry & PteFlags::_PAGE_PRESENT.bits() == 0 {
            if !alloc {
                return Ok(None);
            }
            let new = match shift {
                PGDIR_SHIFT => __pud_alloc()?,
                PUD_SHIFT => __pmd_alloc()?,
                _ => __pte_alloc()?,
            };
            write_entry(table_phys, index, new | _PAGE_TABLE.bits());
            pgd.nr_tables.fetch_add(1, Ordering::Relaxed);
            table_phys = new;
        } else if entry & PteFlags::_PAGE_PSE.bits() != 0 {
            // Huge mappings are never made in user space here.
            return Err(Errno::EINVAL);
        } else {
            table_phys = entry & PTE_PFN_MASK;
        }
    }
    Ok(Some(table_phys))
}

/// Where a walk of user addresses from `addr` may find a present PTE: the
/// start of the first range at or above `addr` whose upper levels are all
/// present (as `zap_p4d_range`/`zap_pud_range`/`zap_pmd_range` skip
/// `p*d_none` entries), so unmapping a huge, mostly empty range does not
/// visit each of its pages.
pub fn next_pte_table_addr(pgd: &Pgd, mut addr: u64) -> u64 {
    'walk: while addr < USER_HALF_END {
        let mut table_phys = pgd.phys;
        for shift in [PGDIR_SHIFT, PUD_SHIFT, PMD_SHIFT] {
            let entry = read_entry(table_phys, index_at(addr, shift));
            if entry & PteFlags::_PAGE_PRESENT.bits() == 0 {
                addr = (addr | ((1u64 << shift) - 1)) + 1;
                continue 'walk;
            }
            if entry & PteFlags::_PAGE_PSE.bits() != 0 {
                return addr;
            }
            table_phys = entry & PTE_PFN_MASK;
        }
        return addr;
    }
    addr
}

/// `__pud_alloc()`: a PUD table for a PGD entry.
#[inline(never)]
fn __pud_alloc() -> KResult<u64> {
    pagetable_alloc()
}

/// `__pmd_alloc()`: a PMD table for a PUD entry.
#[inline(never)]
fn __pmd_alloc() -> KResult<u64> {
    pagetable_alloc()
}

/// `__pte_alloc()`: a PTE table for a PMD entry.
#[inline(never)]
fn __pte_alloc() -> KResult<u64> {
    pagetable_alloc()
}

/// `flush_tlb_one_user()`, only when `pgd` is the live page table.
fn flush_tlb_one_user(pgd: &Pgd, addr: u64) {
    if pgd.is_loaded() {
        tlb::flush(VirtAddr::new(addr));
    }
}

fn pte_unpack(entry: u64) -> (u64, PteFlags) {
    (
        (entry & PTE_PFN_MASK) >> PAGE_SHIFT,
        PteFlags::from_bits_truncate(entry & !PTE_PFN_MASK),
    )
}

/// `set_pte_at()`: map the page at `addr` to `pfn` with `flags`,
/// allocating missing page tables (ENOMEM when out of memory; EINVAL for
/// kernel-half addresses).
#[inline(never)]
pub fn set_pte_at(pgd: &Pgd, addr: u64, pfn: u64, flags: PteFlags) -> KResult<()> {
    let pte_table = walk_to_pte_table(pgd, addr, true)?.ok_or(Errno::ENOMEM)?;
    let index = index_at(addr, PAGE_SHIFT);
    let old = read_entry(pte_table, index);
    write_entry(
        pte_table,
        index,
        ((pfn << PAGE_SHIFT) & PTE_PFN_MASK) | flags.bits(),
    );
    if old & PteFlags::_PAGE_PRESENT.bits() != 0 {
        flush_tlb_one_user(pgd, addr);
    }
    Ok(())
}

/// Pointer-free lookup of the PTE slot for `addr`: (table, index).
fn pte_slot(pgd: &Pgd, addr: u64) -> Option<(u64, usize)> {
    let table = walk_to_pte_table(pgd, addr, false).ok()??;
    Some((table, index_at(addr, PAGE_SHIFT)))
}

/// `ptep_get()`: the pfn and flags of a present PTE at `addr`.
pub fn pte_get(pgd: &Pgd, addr: u64) -> Option<(u64, PteFlags)> {
    let (table, index) = pte_slot(pgd, addr)?;
    let entry = read_entry(table, index);
    (entry & PteFlags::_PAGE_PRESENT.bits() != 0).then(|| pte_unpack(entry))
}

/// What a PTE holds: nothing (`pte_none`), a present page, or a
/// non-present entry that is not empty (`is_swap_pte`: its bits are a
/// swap entry in mm/swapops.rs's encoding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PteVal {
    None,
    Present(u64, PteFlags),
    Swap(u64),
}

/// `ptep_get()` of any entry at `addr`, present or not.
pub fn ptep_get(pgd: &Pgd, addr: u64) -> PteVal {
    let Some((table, index)) = pte_slot(pgd, addr) else {
        return PteVal::None;
    };
    match read_entry(table, index) {
        0 => PteVal::None,
        e if e & PteFlags::_PAGE_PRESENT.bits() != 0 => {
            let (pfn, flags) = pte_unpack(e);
            PteVal::Present(pfn, flags)
        }
        e => PteVal::Swap(e),
    }
}

/// `set_pte_at()` of a swap entry (`swp_entry_to_pte`): `raw` must not
/// have `_PAGE_PRESENT`. Allocates missing tables (ENOMEM).
#[inline(never)]
pub fn set_swp_pte_at(pgd: &Pgd, addr: u64, raw: u64) -> KResult<()> {
    debug_assert!(raw != 0 && raw & PteFlags::_PAGE_PRESENT.bits() == 0);
    let pte_table = walk_to_pte_table(pgd, addr, true)?.ok_or(Errno::ENOMEM)?;
    let index = index_at(addr, PAGE_SHIFT);
    let old = read_entry(pte_table, index);
    write_entry(pte_table, index, raw);
    if old & PteFlags::_PAGE_PRESENT.bits() != 0 {
        flush_tlb_one_user(pgd, addr);
    }
    Ok(())
}

/// `pte_clear()` of a swap entry at `addr`, returning it; None (and
/// nothing changed) if the entry there is not a swap entry.
pub fn swp_pte_clear(pgd: &Pgd, addr: u64) -> Option<u64> {
    let (table, index) = pte_slot(pgd, addr)?;
    let entry = read_entry(table, index);
    if entry == 0 || entry & PteFlags::_PAGE_PRESENT.bits() != 0 {
        return None;
    }
    write_entry(table, index, 0);
    Some(entry)
}

/// `ptep_get_and_clear()`: unmap `addr`, returning what was mapped.
#[inline(never)]
pub fn ptep_get_and_clear(pgd: &Pgd, addr: u64) -> Option<(u64, PteFlags)> {
    let (table, index) = pte_slot(pgd, addr)?;
    let entry = read_entry(table, index);
    if entry & PteFlags::_PAGE_PRESENT.bits() == 0 {
        return None;
    }
    write_entry(table, index, 0);
    flush_tlb_one_user(pgd, addr);
    Some(pte_unpack(entry))
}

/// `ptep_modify_prot_commit()`-style: replace the flags of a present PTE,
/// keeping its pfn. False if nothing is mapped at `addr`.
#[inline(never)]
pub fn ptep_modify(pgd: &Pgd, addr: u64, flags: PteFlags) -> bool {
    let Some((table, index)) = pte_slot(pgd, addr) else {
        return false;
    };
    let entry = read_entry(table, index);
    if entry & PteFlags::_PAGE_PRESENT.bits() == 0 {
        return false;
    }
    write_entry(table, index, (entry & PTE_PFN_MASK) | flags.bits());
    flush_tlb_one_user(pgd, addr);
    true
}

/// `ptep_test_and_clear_young()`: clear the accessed bit, returning
/// whether it was set.
#[inline(never)]
pub fn ptep_test_and_clear_young(pgd: &Pgd, addr: u64) -> bool {
    let Some((table, index)) = pte_slot(pgd, addr) else {
        return false;
    };
    let entry = read_entry(table, index);
    let young =
        entry & PteFlags::_PAGE_PRESENT.bits() != 0 && entry & PteFlags::_PAGE_ACCESSED.bits() != 0;
    if young {
        write_entry(table, index, entry & !PteFlags::_PAGE_ACCESSED.bits());
        flush_tlb_one_user(pgd, addr);
    }
    young
}

/// `free_pgd_range()`: free the page-table pages whose whole span lies in
/// `[start, end)` and that map nothing (Linux's `free_pgtables` role,
/// after the range was unmapped). The PGD itself stays.
#[inline(never)]
pub fn free_pgd_range(pgd: &Pgd, start: u64, end: u64) {
    let end = end.min(USER_HALF_END);
    if start >= end {
        return;
    }
    let mut freed = 0;
    free_range_level(pgd.phys, PGDIR_SHIFT, 0, start, end, &mut freed);
    pgd.nr_tables.fetch_sub(freed, Ordering::Relaxed);
    // Freed tables may sit in the CPU's paging-structure caches.
    if pgd.is_loaded() {
        tlb::flush_all();
    }
}

/// Visits the entries of a table at level `shift` whose span starts at
/// `base`; frees child tables that are empty and lie wholly in
/// `[start, end)`. Returns whether this table is now empty.
fn free_range_level(
    table_phys: u64,
    shift: u32,
    base: u64,
    start: u64,
    end: u64,
    freed: &mut u64,
) -> bool {
    let span = 1u64 << shift;
    let mut empty = true;
    for index in 0..PTRS_PER_TABLE {
        let lo = base + index as u64 * span;
        if shift == PGDIR_SHIFT && index >= KERNEL_PGD_BOUNDARY {
            break;
        }
        let entry = read_entry(table_phys, index);
        if entry == 0 {
            continue;
        }
        let overlaps = lo < end && lo.saturating_add(span) > start;
        if shift == PAGE_SHIFT || entry & PteFlags::_PAGE_PSE.bits() != 0 || !overlaps {
            empty = false;
            continue;
        }
        let child = entry & PTE_PFN_MASK;
        let child_empty = free_range_level(child, shift - 9, lo, start, end, freed);
        if child_empty && lo >= start && lo + span <= end {
            write_entry(table_phys, index, 0);
            pagetable_free(child);
            *freed += 1;
        } else {
            empty = false;
        }
    }
    empty
}

/// `switch_mm()`: load `pgd` into CR3 unless it is already there.
#[inline(never)]
pub fn switch_mm(pgd: &Pgd) {
    switch_mm_phys(pgd.phys);
}

/// Loads the page table at `phys` if CR3 holds another one.
pub fn switch_mm_phys(phys: u64) {
    let (frame, flags) = Cr3::read_raw();
    if frame.start_address().as_u64() == phys {
        return;
    }
    let frame = ::x86_64::structures::paging::PhysFrame::containing_address(PhysAddr::new(phys));
    // SAFETY: `phys` is either swapper_pg_dir or a Pgd whose kernel half
    // is a copy of it, so the kernel (code, stacks, direct map) stays
    // mapped identically across the switch.
    unsafe { Cr3::write_raw(frame, flags) };
}

/// `memcpy_to_page()`: copy `bytes` into the frame `pfn` at `offset`
/// through the direct map. Panics if the copy would leave the frame.
pub fn memcpy_to_page(pfn: u64, offset: usize, bytes: &[u8]) {
    assert!(
        offset
            .checked_add(bytes.len())
            .is_some_and(|end| end <= 1 << PAGE_SHIFT),
        "memcpy_to_page out of the page"
    );
    let dst = DirectMap::va((pfn << PAGE_SHIFT) + offset as u64);
    // SAFETY: the range lies inside one frame (checked above), which the
    // caller owns; the direct map covers all physical memory.
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) };
}

/// `slow_virt_to_phys()` (arch/x86/mm/pat/set_memory.c): the physical
/// address a kernel virtual address maps to, by walking the boot page
/// table (huge 1 GiB and 2 MiB leaves included); None if unmapped. For
/// addresses outside the direct map (the boot stack, the kernel image)
/// that a device must reach by DMA.
pub fn slow_virt_to_phys(addr: u64) -> Option<u64> {
    let mut table_phys = swapper_pg_dir();
    for shift in [PGDIR_SHIFT, PUD_SHIFT, PMD_SHIFT, PAGE_SHIFT] {
        let entry = read_entry(table_phys, index_at(addr, shift));
        if entry & PteFlags::_PAGE_PRESENT.bits() == 0 {
            return None;
        }
        let leaf = shift == PAGE_SHIFT
            || (shift != PGDIR_SHIFT && entry & PteFlags::_PAGE_PSE.bits() != 0);
        if leaf {
            let mask = (1u64 << shift) - 1;
            return Some((entry & PTE_PFN_MASK & !mask) | (addr & mask));
        }
        table_phys = entry & PTE_PFN_MASK;
    }
    None
}
