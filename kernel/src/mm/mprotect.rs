//! `mprotect` (mm/mprotect.c): new protections for a range, splitting
//! VMAs; present pages lose write access at once, and gain it lazily
//! through write faults (`do_wp_page`).

use super::memory::pte_walk_next;
use super::mm_types::current_mm;
use super::mmap::VmFlags;
use super::page::{PAGE_SIZE, page_align};
use crate::arch::x86_64::pgtable::{PteFlags, next_pte_table_addr, pte_get, ptep_modify};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};

/// `do_mprotect_pkey()`.
#[inline(never)]
pub fn sys_mprotect(start: u64, len: u64, prot: u32) -> KResult<u64> {
    if !start.is_multiple_of(PAGE_SIZE) || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let end = page_align(len)
        .and_then(|len| start.checked_add(len))
        .ok_or(Errno::ENOMEM)?;
    let mm = current_mm()?;
    let mut locked = mm.mmap_lock.lock();
    let want = super::mmap::vm_flags_for_prot(prot)
        & (VmFlags::VM_READ | VmFlags::VM_WRITE | VmFlags::VM_EXEC);
    // Like Linux, walk the VMAs from `start` and change each in turn
    // (`mprotect_fixup`): a hole ends the walk with ENOMEM and a VMA that
    // may not get the protection with EACCES, the VMAs before it changed.
    let mut pieces = alloc::vec::Vec::new();
    let mut at = start;
    while at < end {
        let Some(v) = locked.vmas.vma_lookup(at) else {
            break;
        };
        pieces.push((at, v.vm_end.min(end)));
        at = v.vm_end.min(end);
    }
    let mut result = if at < end { Err(Errno::ENOMEM) } else { Ok(0) };
    let mut changed = alloc::vec::Vec::new();
    for (s, e) in pieces {
        let piece = locked.vmas.change_flags(s, e, |v| {
            // A permission the mapping may never have (a shared read-only
            // file mapping asked for write) is EACCES.
            let may = (v.vm_flags.bits() >> 4) & 0x7;
            if want.bits() & !may != 0 {
                return Err(Errno::EACCES);
            }
            Ok((v.vm_flags - (VmFlags::VM_READ | VmFlags::VM_WRITE | VmFlags::VM_EXEC)) | want)
        });
        match piece {
            Ok(vmas) => changed.extend(vmas),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    // change_pte_range(): apply write and exec removal to present pages.
    for vma in changed {
        let mut addr = next_pte_table_addr(&mm.pgd, vma.vm_start);
        while addr < vma.vm_end {
            if let Some((_, mut f)) = pte_get(&mm.pgd, addr) {
                if !vma.vm_flags.contains(VmFlags::VM_WRITE) {
                    f -= PteFlags::_PAGE_RW;
                }
                f.set(PteFlags::_PAGE_NX, !vma.vm_flags.contains(VmFlags::VM_EXEC));
                ptep_modify(&mm.pgd, addr, f);
            }
            addr = pte_walk_next(&mm.pgd, addr);
        }
    }
    result
}
