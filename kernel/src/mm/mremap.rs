//! `mremap(2)` (mm/mremap.c): resize a mapping in place (shrinking
//! unmaps the tail; growing takes the free range after it) or move it
//! (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP). A move carries the
//! page-table entries to the new place (`move_page_tables`): anonymous,
//! file and shmem pages stay where they are in memory, with their
//! references, map counts, memcg charges and RSS counts, and the new VMA
//! keeps the old `vm_pgoff`, by which the reverse map finds them.
//!
//! Left out: hugetlb alignment, userfaultfd, mseal (nothing is sealed),
//! VM_ACCOUNT commit charging, RLIMIT_AS (mmap does not check it either),
//! `max_map_count`, moves of a range spanning several VMAs (Linux 6.17's
//! `remap_move`: EFAULT here, as before it), and PMD-level moves (every
//! PTE is moved one by one).

use super::memory::{populate_vma_page_range, pte_walk_next};
use super::mm_types::{MmLocked, MmStruct, current_mm};
use super::mmap::sys::do_vmi_munmap;
use super::mmap::{MMAP_MIN_ADDR, TASK_SIZE, VmAreaStruct, VmFlags};
use super::page::{PAGE_SHIFT, PAGE_SIZE};
use crate::arch::x86_64::pgtable::{
    next_pte_table_addr, ptep_get_and_clear, set_pte_at, set_swp_pte_at, swp_pte_clear,
};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};
use core::sync::atomic::Ordering::Relaxed;

/// `PAGE_ALIGN()`, wrapping as Linux's does.
fn page_align_wrapping(len: u64) -> u64 {
    len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

/// `struct vma_remap_struct`: the request, threaded through the steps.
struct VmaRemap {
    addr: u64,
    old_len: u64,
    new_len: u64,
    flags: u64,
    new_addr: u64,
    /// `old_len.abs_diff(new_len)`.
    delta: u64,
    /// Was the VMA mlocked (the grown part is populated at the end)?
    mlocked: bool,
}

impl VmaRemap {
    /// `vrm_implies_new_addr()`.
    fn implies_new_addr(&self) -> bool {
        self.flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
    }

    fn set_delta(&mut self) {
        self.delta = self.old_len.abs_diff(self.new_len);
    }

    /// `vrm_overlaps()` (its sums wrap as Linux's unsigned ones do).
    fn overlaps(&self) -> bool {
        self.addr.wrapping_add(self.old_len) > self.new_addr
            && self.new_addr.wrapping_add(self.new_len) > self.addr
    }
}

/// `do_munmap()` of `len` bytes at `start` (None: past 2^64): EINVAL
/// past user space.
fn do_munmap(mm: &MmStruct, locked: &mut MmLocked, start: Option<u64>, len: u64) -> KResult<()> {
    let start = start.ok_or(Errno::EINVAL)?;
    if start > TASK_SIZE || len > TASK_SIZE - start {
        return Err(Errno::EINVAL);
    }
    do_vmi_munmap(mm, locked, start, start + len);
    Ok(())
}

/// `check_mremap_params()`: what can be refused before looking at the
/// address space.
fn check_mremap_params(vrm: &VmaRemap) -> KResult<()> {
    if vrm.flags & !(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP) != 0
        || !vrm.addr.is_multiple_of(PAGE_SIZE)
        || page_align_wrapping(vrm.new_len) == 0
    {
        return Err(Errno::EINVAL);
    }
    if !vrm.implies_new_addr() {
        return Ok(());
    }
    if !vrm.new_addr.is_multiple_of(PAGE_SIZE)
        || vrm.flags & MREMAP_MAYMOVE == 0
        || (vrm.flags & MREMAP_DONTUNMAP != 0 && vrm.old_len != vrm.new_len)
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// `remap_is_valid()`: may `vma` be moved or resized as asked?
fn remap_is_valid(vrm: &VmaRemap, vma: &VmAreaStruct) -> KResult<()> {
    // An old_len of 0 duplicates a shared mapping; a private one would
    // not be the same memory.
    if vrm.old_len == 0
        && !vma
            .vm_flags
            .intersects(VmFlags::VM_SHARED | VmFlags::VM_MAYSHARE)
    {
        return Err(Errno::EINVAL);
    }
    // Only one VMA is remapped.
    if vrm.old_len > vma.vm_end - vrm.addr {
        return Err(Errno::EFAULT);
    }
    if vrm.new_len == vrm.old_len {
        return Ok(());
    }
    let pgoff = vma.linear_page_index(vrm.addr);
    if pgoff.checked_add(vrm.new_len >> PAGE_SHIFT).is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// `move_ptes()` over [old, old + len): each present or swap entry leaves the old
/// address for the new one, the page keeping its reference and map
/// count. On a page-table allocation failure the entries already moved
/// go back and the error is returned.
#[inline(never)]
fn move_page_tables(mm: &MmStruct, old: u64, new: u64, len: u64) -> KResult<()> {
    let mut addr = next_pte_table_addr(&mm.pgd, old);
    while addr < old + len {
        let to = new + (addr - old);
        if let Some(raw) = swp_pte_clear(&mm.pgd, addr)
            && let Err(e) = set_swp_pte_at(&mm.pgd, to, raw)
        {
            let _ = set_swp_pte_at(&mm.pgd, addr, raw);
            let _ = move_page_tables(mm, new, old, addr - old);
            return Err(e);
        }
        if let Some((pfn, flags)) = ptep_get_and_clear(&mm.pgd, addr)
            && let Err(e) = set_pte_at(&mm.pgd, to, pfn, flags)
        {
            // The old slot's table is still there: this cannot fail.
            let _ = set_pte_at(&mm.pgd, addr, pfn, flags);
            // Move back what was moved (PTE tables exist at both ends).
            let _ = move_page_tables(mm, new, old, addr - old);
            return Err(e);
        }
        addr = pte_walk_next(&mm.pgd, addr);
    }
    Ok(())
}

/// `move_vma()`: a copy of the VMA at `new_addr` (`copy_vma`, keeping
/// the page offset), the page tables moved into it, and the old range
/// unmapped — or, with MREMAP_DONTUNMAP, kept mapped, empty and unlocked.
#[inline(never)]
fn move_vma(
    mm: &MmStruct,
    locked: &mut MmLocked,
    vrm: &mut VmaRemap,
    vma: &VmAreaStruct,
) -> KResult<u64> {
    let new_vma = VmAreaStruct {
        vm_start: vrm.new_addr,
        vm_end: vrm.new_addr + vrm.new_len,
        vm_pgoff: vma.linear_page_index(vrm.addr),
        ..vma.clone()
    };
    locked.vmas.insert(new_vma);
    if let Err(e) = move_page_tables(mm, vrm.addr, vrm.new_addr, vrm.old_len) {
        // The new range is unmapped instead of the old.
        do_vmi_munmap(mm, locked, vrm.new_addr, vrm.new_addr + vrm.new_len);
        return Err(e);
    }
    let pages = |len: u64| len >> PAGE_SHIFT;
    if vma.vm_flags.contains(VmFlags::VM_LOCKED) {
        mm.locked_vm.fetch_add(pages(vrm.new_len), Relaxed);
        vrm.mlocked = true;
    }
    let (start, end) = (vrm.addr, vrm.addr + vrm.old_len);
    if vrm.flags & MREMAP_DONTUNMAP != 0 {
        // dontunmap_complete(): the emptied range stays, no longer
        // locked (its pages are elsewhere now).
        if vma.vm_flags.contains(VmFlags::VM_LOCKED) && end > start {
            locked
                .vmas
                .change_flags(start, end, |v| Ok(v.vm_flags - VmFlags::VM_LOCKED))?;
            mm.locked_vm.fetch_sub(pages(vrm.old_len), Relaxed);
        }
    } else if end > start {
        // unmap_source_vma(): only empty page tables are left to free.
        do_vmi_munmap(mm, locked, start, end);
    }
    Ok(vrm.new_addr)
}

/// `vrm_set_new_addr()`: where the moved mapping goes: MREMAP_FIXED's
/// address, else a free range (MREMAP_DONTUNMAP's address as a hint).
fn vrm_set_new_addr(locked: &MmLocked, vrm: &mut VmaRemap) -> KResult<()> {
    if vrm.flags & MREMAP_FIXED != 0 {
        return Ok(());
    }
    let hint = if vrm.implies_new_addr() {
        vrm.new_addr
    } else {
        0
    };
    vrm.new_addr = locked.vmas.get_unmapped_area(hint, vrm.new_len)?;
    Ok(())
}

/// `mremap_to()`: a move to a given address (MREMAP_FIXED, replacing
/// what is there) or to a new one (MREMAP_DONTUNMAP).
#[inline(never)]
fn mremap_to(mm: &MmStruct, locked: &mut MmLocked, vrm: &mut VmaRemap) -> KResult<u64> {
    if vrm.new_len > TASK_SIZE || vrm.new_addr > TASK_SIZE - vrm.new_len || vrm.overlaps() {
        return Err(Errno::EINVAL);
    }
    if vrm.flags & MREMAP_FIXED != 0 {
        if vrm.new_addr < MMAP_MIN_ADDR {
            return Err(Errno::EPERM);
        }
        do_vmi_munmap(mm, locked, vrm.new_addr, vrm.new_addr + vrm.new_len);
    }
    if vrm.old_len > vrm.new_len {
        // shrink_vma(): the tail goes first, the rest moves.
        do_munmap(mm, locked, vrm.addr.checked_add(vrm.new_len), vrm.delta)?;
        vrm.old_len = vrm.new_len;
    }
    let vma = locked
        .vmas
        .vma_lookup(vrm.addr)
        .cloned()
        .ok_or(Errno::EFAULT)?;
    remap_is_valid(vrm, &vma)?;
    vrm_set_new_addr(locked, vrm)?;
    move_vma(mm, locked, vrm, &vma)
}

/// `vma_expandable()`: is the range after `vma` free for `delta` bytes,
/// within user space?
fn vma_expandable(locked: &MmLocked, vma: &VmAreaStruct, delta: u64) -> bool {
    match vma.vm_end.checked_add(delta) {
        Some(end) => end <= TASK_SIZE && !locked.vmas.intersects(vma.vm_end, end),
        None => false,
    }
}

/// `expand_vma()`: grow in place when the range reaches the end of its
/// VMA and the space after is free (`vma_merge_extend`), else move if
/// allowed (ENOMEM if not).
#[inline(never)]
fn expand_vma(
    mm: &MmStruct,
    locked: &mut MmLocked,
    vrm: &mut VmaRemap,
    vma: &VmAreaStruct,
) -> KResult<u64> {
    remap_is_valid(vrm, vma)?;
    if vma.vm_end - vrm.addr == vrm.old_len && vma_expandable(locked, vma, vrm.delta) {
        locked.vmas.extend(vma.vm_start, vma.vm_end + vrm.delta);
        if vma.vm_flags.contains(VmFlags::VM_LOCKED) {
            mm.locked_vm.fetch_add(vrm.delta >> PAGE_SHIFT, Relaxed);
            vrm.mlocked = true;
        }
        vrm.new_addr = vrm.addr;
        return Ok(vrm.addr);
    }
    if vrm.flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    vrm_set_new_addr(locked, vrm)?;
    move_vma(mm, locked, vrm, vma)
}

/// `mremap_at()`: resize where the mapping is, moving only if it must.
fn mremap_at(
    mm: &MmStruct,
    locked: &mut MmLocked,
    vrm: &mut VmaRemap,
    vma: &VmAreaStruct,
) -> KResult<u64> {
    if vrm.old_len == vrm.new_len {
        Ok(vrm.addr)
    } else if vrm.old_len > vrm.new_len {
        // shrink_vma(): always in place.
        do_munmap(mm, locked, vrm.addr.checked_add(vrm.new_len), vrm.delta)?;
        Ok(vrm.addr)
    } else {
        expand_vma(mm, locked, vrm, vma)
    }
}

/// `do_mremap()`.
#[inline(never)]
fn do_mremap(vrm: &mut VmaRemap) -> KResult<u64> {
    check_mremap_params(vrm)?;
    vrm.old_len = page_align_wrapping(vrm.old_len);
    vrm.new_len = page_align_wrapping(vrm.new_len);
    vrm.set_delta();
    let mm = current_mm()?;
    let mut locked = mm.mmap_lock.lock();
    let vma = locked
        .vmas
        .vma_lookup(vrm.addr)
        .cloned()
        .ok_or(Errno::EFAULT)?;
    let res = if vrm.implies_new_addr() {
        mremap_to(&mm, &mut locked, vrm)
    } else {
        mremap_at(&mm, &mut locked, vrm, &vma)
    }?;
    // An mlocked mapping that grew has its new part faulted in, as
    // mlock() promises (`mm_populate`); best effort, as in Linux.
    if vrm.mlocked && vrm.new_len > vrm.old_len {
        let start = vrm.new_addr + vrm.old_len;
        if let Some(v) = locked.vmas.vma_lookup(start).cloned() {
            let _ = populate_vma_page_range(&mm, &v, start, vrm.new_addr + vrm.new_len);
        }
    }
    Ok(res)
}

/// `SYSCALL_DEFINE5(mremap)`.
#[inline(never)]
pub fn sys_mremap(
    addr: u64,
    old_len: u64,
    new_len: u64,
    flags: u64,
    new_addr: u64,
) -> KResult<u64> {
    let mut vrm = VmaRemap {
        addr,
        old_len,
        new_len,
        flags,
        new_addr,
        delta: 0,
        mlocked: false,
    };
    do_mremap(&mut vrm)
}
