//! mmap, munmap and brk on the running task's address space
//! (mm/mmap.c: `do_mmap`, `do_vmi_munmap`, `SYSCALL_DEFINE1(brk)`).
//! Shared mappings of tmpfs files may be writable; shared anonymous
//! memory is tmpfs's too (`shmem_zero_setup`).

use alloc::sync::Arc;

use super::{MMAP_MIN_ADDR, TASK_SIZE, VmAreaStruct, VmFile, VmFlags, vm_flags_for_prot};
use crate::fs::FileType;
use crate::mm::memory::{populate_vma_page_range, unmap_vmas};
use crate::mm::mm_types::{MmLocked, MmStruct, current_mm};
use crate::mm::page::{PAGE_SHIFT, PAGE_SIZE, page_align};
use crate::mm::shmem::shmem_zero_setup;
use crate::task::current_files;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::*;

/// Flags `MAP_SHARED_VALIDATE` accepts (`LEGACY_MAP_MASK` and friends).
const MAP_KNOWN: u32 = MAP_TYPE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_GROWSDOWN
    | MAP_DENYWRITE
    | MAP_EXECUTABLE
    | MAP_LOCKED
    | MAP_NORESERVE
    | MAP_POPULATE
    | MAP_NONBLOCK
    | MAP_STACK
    | MAP_FIXED_NOREPLACE;

/// Unmap [start, end) of `mm`: page tables first, then the VMAs.
pub fn do_vmi_munmap(mm: &MmStruct, locked: &mut MmLocked, start: u64, end: u64) {
    for vma in locked.vmas.remove_range(start, end) {
        unmap_vmas(mm, vma.vm_start, vma.vm_end);
        if vma.vm_flags.contains(VmFlags::VM_LOCKED) {
            mm.locked_vm.fetch_sub(
                vma.len() >> PAGE_SHIFT,
                core::sync::atomic::Ordering::Relaxed,
            );
        }
    }
    crate::arch::x86_64::pgtable::free_pgd_range(&mm.pgd, start, end);
}

/// `ksys_mmap_pgoff()` → `do_mmap()`.
#[inline(never)]
pub fn ksys_mmap_pgoff(
    addr: u64,
    len: u64,
    prot: u32,
    flags: u32,
    fd: i32,
    off: u64,
) -> KResult<u64> {
    if !off.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len)
        .filter(|&l| l <= TASK_SIZE)
        .ok_or(Errno::ENOMEM)?;
    let map_type = flags & MAP_TYPE;
    if !matches!(map_type, MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE) {
        return Err(Errno::EINVAL);
    }
    if map_type == MAP_SHARED_VALIDATE && flags & !MAP_KNOWN != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let shared = map_type != MAP_PRIVATE;
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    if fixed && (!addr.is_multiple_of(PAGE_SIZE) || addr < MMAP_MIN_ADDR || addr > TASK_SIZE - len)
    {
        return Err(if !addr.is_multiple_of(PAGE_SIZE) {
            Errno::EINVAL
        } else {
            Errno::EPERM
        });
    }
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut vm_flags = vm_flags_for_prot(prot);
    let mut pgoff = off >> PAGE_SHIFT;
    let file = if flags & MAP_ANONYMOUS != 0 {
        if shared {
            // shmem_zero_setup(): an unlinked tmpfs file of the mapping's
            // size, mapped from its start whatever the offset.
            vm_flags |= VmFlags::VM_SHARED | VmFlags::VM_MAYSHARE;
            pgoff = 0;
            Some(shmem_zero_setup(crate::mm::mmzone::node_data(0), len))
        } else {
            None
        }
    } else {
        let file = current_files().get(fd)?;
        let mapping = file.inode().mapping().cloned().ok_or(Errno::ENODEV)?;
        if file.inode().file_type() != FileType::Reg {
            return Err(Errno::ENODEV);
        }
        // Only tmpfs files can be written through a mapping: every other
        // file is read-only.
        let writable = file.writable() && mapping.shmem().is_some();
        if shared {
            if prot & PROT_WRITE != 0 && !writable {
                return Err(Errno::EACCES);
            }
            vm_flags |= VmFlags::VM_SHARED | VmFlags::VM_MAYSHARE;
            // A file not open for writing: never writable, so in effect
            // private (still shown as shared).
            if !writable {
                vm_flags -= VmFlags::VM_MAYWRITE | VmFlags::VM_SHARED;
            }
        }
        if !file.readable() {
            return Err(Errno::EACCES);
        }
        Some(VmFile {
            mapping,
            f_path: Some(file.f_path.clone()),
            f_ra: file.f_ra.clone(),
            path: Arc::from(
                crate::fs::dcache::d_path(&file.f_path, &crate::task::current_fs().root()).as_str(),
            ),
            ino: file.inode().ino(),
        })
    };
    if flags & MAP_LOCKED != 0 {
        vm_flags |= VmFlags::VM_LOCKED;
    }

    let mm = current_mm()?;
    let mut locked = mm.mmap_lock.lock();
    let start = if fixed {
        if locked.vmas.intersects(addr, addr + len) {
            if flags & MAP_FIXED_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            do_vmi_munmap(&mm, &mut locked, addr, addr + len);
        }
        addr
    } else {
        locked.vmas.get_unmapped_area(addr, len)?
    };
    let vma = VmAreaStruct {
        vm_start: start,
        vm_end: start + len,
        vm_flags,
        vm_pgoff: if file.is_some() {
            pgoff
        } else {
            start >> PAGE_SHIFT
        },
        vm_file: file,
        name: None,
    };
    locked.vmas.insert(vma.clone());
    if vm_flags.contains(VmFlags::VM_LOCKED) {
        mm.locked_vm
            .fetch_add(len >> PAGE_SHIFT, core::sync::atomic::Ordering::Relaxed);
    }
    if flags & MAP_POPULATE != 0 || vm_flags.contains(VmFlags::VM_LOCKED) {
        // Populating is best effort in Linux too: the mapping stays.
        let _ = populate_vma_page_range(&mm, &vma, vma.vm_start, vma.vm_end);
    }
    Ok(start)
}

/// `SYSCALL_DEFINE2(munmap)`.
#[inline(never)]
pub fn sys_munmap(addr: u64, len: u64) -> KResult<u64> {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_align(len).ok_or(Errno::EINVAL)?;
    if addr > TASK_SIZE || len > TASK_SIZE - addr {
        return Err(Errno::EINVAL);
    }
    let mm = current_mm()?;
    let mut locked = mm.mmap_lock.lock();
    do_vmi_munmap(&mm, &mut locked, addr, addr + len);
    Ok(0)
}

/// `SYSCALL_DEFINE1(brk)`: move the end of the heap; returns the new end,
/// or the old one if the request cannot be met.
#[inline(never)]
pub fn sys_brk(brk: u64) -> KResult<u64> {
    let mm = current_mm()?;
    let mut locked = mm.mmap_lock.lock();
    let (start_brk, old) = (locked.start_brk, locked.brk);
    if brk < start_brk || brk > TASK_SIZE {
        return Ok(old);
    }
    let (new_end, old_end) = (
        page_align(brk).ok_or(Errno::ENOMEM)?,
        page_align(old).ok_or(Errno::ENOMEM)?,
    );
    if new_end < old_end {
        do_vmi_munmap(&mm, &mut locked, new_end, old_end);
    } else if new_end > old_end {
        if locked.vmas.intersects(old_end, new_end) {
            return Ok(old);
        }
        let heap = old_end > start_brk && locked.vmas.set_end(old_end, new_end);
        if !heap {
            let mut vma = VmAreaStruct::anonymous(
                old_end,
                new_end,
                vm_flags_for_prot(PROT_READ | PROT_WRITE),
            );
            vma.name = Some("[heap]");
            locked.vmas.insert(vma);
        }
    }
    locked.brk = brk;
    Ok(brk)
}
