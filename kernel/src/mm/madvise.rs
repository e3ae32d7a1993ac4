//! `madvise` (mm/madvise.c): MADV_DONTNEED drops the pages of a range
//! (anonymous memory reads back as zeroes, file pages from the cache);
//! the access-pattern hints are recorded.

use super::memory::unmap_vmas;
use super::mm_types::current_mm;
use super::mmap::VmFlags;
use super::page::{PAGE_SIZE, page_align};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::{MADV_DONTNEED, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL};

/// `do_madvise()`.
#[inline(never)]
pub fn sys_madvise(start: u64, len: u64, advice: u32) -> KResult<u64> {
    if !start.is_multiple_of(PAGE_SIZE) || advice > MADV_DONTNEED {
        return Err(Errno::EINVAL);
    }
    let end = page_align(len)
        .and_then(|len| start.checked_add(len))
        .ok_or(Errno::EINVAL)?;
    if end == start {
        return Ok(0);
    }
    let mm = current_mm()?;
    let mut locked = mm.mmap_lock.lock();
    // Linux applies the advice to the mapped parts and reports ENOMEM
    // for any hole.
    let holes = !locked.vmas.covers(start, end);
    let pieces: alloc::vec::Vec<(u64, u64, bool)> = locked
        .vmas
        .iter()
        .filter(|v| v.vm_end > start && v.vm_start < end)
        .map(|v| {
            (
                v.vm_start.max(start),
                v.vm_end.min(end),
                v.vm_flags.contains(VmFlags::VM_LOCKED),
            )
        })
        .collect();
    match advice {
        MADV_DONTNEED => {
            // Locked pages cannot be dropped (EINVAL in Linux).
            if pieces.iter().any(|&(_, _, locked)| locked) {
                return Err(Errno::EINVAL);
            }
            for &(s, e, _) in &pieces {
                unmap_vmas(&mm, s, e);
            }
        }
        MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL => {
            let hint = match advice {
                MADV_RANDOM => VmFlags::VM_RAND_READ,
                MADV_SEQUENTIAL => VmFlags::VM_SEQ_READ,
                _ => VmFlags::empty(),
            };
            for &(s, e, _) in &pieces {
                locked.vmas.change_flags(s, e, |v| {
                    Ok((v.vm_flags - (VmFlags::VM_RAND_READ | VmFlags::VM_SEQ_READ)) | hint)
                })?;
            }
        }
        // Read-ahead hint: nothing to start, pages come on fault.
        _ => {}
    }
    if holes { Err(Errno::ENOMEM) } else { Ok(0) }
}
