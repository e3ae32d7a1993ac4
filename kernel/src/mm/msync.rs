//! `msync(2)` (mm/msync.c). Every file that can be mapped shared is
//! either read-only or tmpfs, whose pages are the data: there is nothing
//! to write back, so MS_SYNC's `vfs_fsync_range` has nothing to do and a
//! valid call only checks the range.

use super::mm_types::current_mm;
use super::page::PAGE_SIZE;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::{MS_ASYNC, MS_INVALIDATE, MS_SYNC};

/// `SYSCALL_DEFINE3(msync)`: EINVAL for bad flags or an unaligned start,
/// EBUSY for MS_INVALIDATE over locked memory, ENOMEM when part of the
/// range is not mapped (at once for a bare MS_ASYNC, after the mapped
/// parts otherwise).
#[inline(never)]
pub fn sys_msync(start: u64, len: u64, flags: u32) -> KResult<u64> {
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || !start.is_multiple_of(PAGE_SIZE)
        || (flags & MS_ASYNC != 0 && flags & MS_SYNC != 0)
    {
        return Err(Errno::EINVAL);
    }
    let len = len.wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    let end = start.checked_add(len).ok_or(Errno::ENOMEM)?;
    if end == start {
        return Ok(0);
    }
    let mm = current_mm()?;
    let locked = mm.mmap_lock.lock();
    let mut start = start;
    let mut unmapped = false;
    let mut vma = locked.vmas.find_vma(start);
    loop {
        let Some(v) = vma else {
            return Err(Errno::ENOMEM);
        };
        if start < v.vm_start {
            if flags == MS_ASYNC {
                return Err(Errno::ENOMEM);
            }
            start = v.vm_start;
            if start >= end {
                return Err(Errno::ENOMEM);
            }
            unmapped = true;
        }
        if flags & MS_INVALIDATE != 0 && v.vm_flags.contains(super::mmap::VmFlags::VM_LOCKED) {
            return Err(Errno::EBUSY);
        }
        start = v.vm_end;
        if start >= end {
            break;
        }
        vma = locked.vmas.find_vma(start);
    }
    if unmapped { Err(Errno::ENOMEM) } else { Ok(0) }
}
