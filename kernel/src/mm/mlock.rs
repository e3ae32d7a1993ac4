//! `mlock` / `munlock` (mm/mlock.c): VM_LOCKED on a range, its pages
//! faulted in and marked mlocked (counted in Mlocked/nr_mlock).

use core::sync::atomic::Ordering::Relaxed;

use super::memory::{munlock_vma_pages_range, populate_vma_page_range};
use super::mm_types::current_mm;
use super::mmap::VmFlags;
use super::page::{PAGE_SHIFT, PAGE_SIZE, page_align};
use crate::uapi::errno::{Errno, KResult};

fn page_range(start: u64, len: u64) -> KResult<(u64, u64)> {
    let s = start & !(PAGE_SIZE - 1);
    let e = start
        .checked_add(len)
        .and_then(page_align)
        .ok_or(Errno::EINVAL)?;
    Ok((s, e))
}

/// `do_mlock()`.
#[inline(never)]
pub fn sys_mlock(start: u64, len: u64) -> KResult<u64> {
    let (start, end) = page_range(start, len)?;
    if start == end {
        return Ok(0);
    }
    let mm = current_mm()?;
    let mut locked = mm.mmap_lock.lock();
    // `apply_vma_lock_flags()`: the VMAs from `start` up to a hole are
    // locked, then a hole is ENOMEM. Linux leaves the pages of that part
    // to fault in later; tinymm populates them too, because populating is
    // how pages already present get marked mlocked.
    let mut mapped_end = start;
    while mapped_end < end {
        match locked.vmas.vma_lookup(mapped_end) {
            Some(v) => mapped_end = v.vm_end.min(end),
            None => break,
        }
    }
    if mapped_end == start {
        return Err(Errno::ENOMEM);
    }
    // `mlock_fixup()`: only pages not locked yet add to locked_vm.
    let newly: u64 = locked
        .vmas
        .iter()
        .filter(|v| {
            v.vm_end > start && v.vm_start < mapped_end && !v.vm_flags.contains(VmFlags::VM_LOCKED)
        })
        .map(|v| (v.vm_end.min(mapped_end) - v.vm_start.max(start)) >> PAGE_SHIFT)
        .sum();
    let changed = locked
        .vmas
        .change_flags(start, mapped_end, |v| Ok(v.vm_flags | VmFlags::VM_LOCKED))?;
    mm.locked_vm.fetch_add(newly, Relaxed);
    for vma in &changed {
        populate_vma_page_range(&mm, vma, vma.vm_start, vma.vm_end)?;
    }
    if mapped_end < end {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

/// `SYSCALL_DEFINE2(munlock)`.
#[inline(never)]
pub fn sys_munlock(start: u64, len: u64) -> KResult<u64> {
    let (start, end) = page_range(start, len)?;
    if start == end {
        return Ok(0);
    }
    let mm = current_mm()?;
    let mut locked = mm.mmap_lock.lock();
    let before: u64 = locked
        .vmas
        .iter()
        .filter(|v| v.vm_end > start && v.vm_start < end && v.vm_flags.contains(VmFlags::VM_LOCKED))
        .map(|v| (v.vm_end.min(end) - v.vm_start.max(start)) >> PAGE_SHIFT)
        .sum();
    locked
        .vmas
        .change_flags(start, end, |v| Ok(v.vm_flags - VmFlags::VM_LOCKED))?;
    mm.locked_vm.fetch_sub(before, Relaxed);
    munlock_vma_pages_range(&mm, start, end);
    Ok(0)
}
