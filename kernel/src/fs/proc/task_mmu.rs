//! The memory parts of `/proc/PID` (fs/proc/task_mmu.c): `task_mem()` for
//! status and `show_map_vma()` for maps.

use alloc::string::String;
use core::fmt::{self, Write};
use core::sync::atomic::Ordering::Relaxed;

use crate::mm::mm_types::{MmCounter, MmStruct};
use crate::mm::mmap::VmFlags;
use crate::mm::page::{PAGE_SHIFT, PAGE_SIZE};
use crate::task::{Pid, find_task_by_vpid};

/// One `Name:\t%8lu kB` line (`SEQ_PUT_DEC`).
fn kb(m: &mut String, name: &str, pages: u64) -> fmt::Result {
    writeln!(m, "{name}:\t{:>8} kB", pages << (PAGE_SHIFT - 10))
}

/// An address space's page counts by kind of mapping (`total_vm`,
/// `data_vm`, `stack_vm`, `exec_vm` as `vm_stat_account` keeps them).
pub struct VmCounts {
    pub total: u64,
    pub data: u64,
    pub stack: u64,
    pub exec: u64,
}

/// Counts `mm`'s pages by kind of mapping.
pub fn vm_counts(mm: &MmStruct) -> VmCounts {
    let locked = mm.mmap_lock.lock();
    let mut c = VmCounts {
        total: locked.vmas.total_vm(),
        data: 0,
        stack: 0,
        exec: 0,
    };
    for v in locked.vmas.iter() {
        let pages = v.len() / PAGE_SIZE;
        let f = v.vm_flags;
        if f.contains(VmFlags::VM_GROWSDOWN) {
            c.stack += pages;
        } else if f.contains(VmFlags::VM_WRITE) && !f.contains(VmFlags::VM_SHARED) {
            c.data += pages;
        } else if f.contains(VmFlags::VM_EXEC) && !f.contains(VmFlags::VM_WRITE) {
            c.exec += pages;
        }
    }
    c
}

/// `task_mem()`: the Vm* and Rss* lines. VmPeak and VmPTE are left out:
/// tinymm keeps neither a total_vm high-water mark nor per-mm page-table
/// counts.
pub fn task_mem(m: &mut String, mm: &MmStruct) -> fmt::Result {
    let VmCounts {
        total,
        data,
        stack,
        exec,
    } = vm_counts(mm);
    let anon = mm.get_mm_counter(MmCounter::AnonPages);
    let file = mm.get_mm_counter(MmCounter::FilePages);
    let shmem = mm.get_mm_counter(MmCounter::ShmemPages);
    kb(m, "VmSize", total)?;
    kb(m, "VmLck", mm.locked_vm.load(Relaxed))?;
    kb(m, "VmPin", 0)?;
    kb(m, "VmHWM", mm.hiwater_rss())?;
    kb(m, "VmRSS", anon + file + shmem)?;
    kb(m, "RssAnon", anon)?;
    kb(m, "RssFile", file)?;
    kb(m, "RssShmem", shmem)?;
    kb(m, "VmData", data)?;
    kb(m, "VmStk", stack)?;
    kb(m, "VmExe", exec)?;
    kb(m, "VmLib", 0)?;
    kb(m, "VmSwap", mm.get_mm_counter(MmCounter::SwapEnts))
}

/// `/proc/PID/maps`: `show_map_vma()` for every VMA.
pub fn show_map(pid: Pid, m: &mut String) -> fmt::Result {
    let Some(task) = find_task_by_vpid(pid) else {
        return Err(fmt::Error);
    };
    let Some(mm) = task.mm.lock_irqsave().clone() else {
        return Ok(());
    };
    let locked = mm.mmap_lock.lock();
    for v in locked.vmas.iter() {
        let f = v.vm_flags;
        let flag = |b: VmFlags, c: char| if f.contains(b) { c } else { '-' };
        let (pgoff, dev, ino) = match &v.vm_file {
            Some(file) => (v.vm_pgoff << PAGE_SHIFT, "00:01", file.ino),
            None => (0, "00:00", 0),
        };
        let line = alloc::format!(
            "{:08x}-{:08x} {}{}{}{} {:08x} {} {}",
            v.vm_start,
            v.vm_end,
            flag(VmFlags::VM_READ, 'r'),
            flag(VmFlags::VM_WRITE, 'w'),
            flag(VmFlags::VM_EXEC, 'x'),
            if f.contains(VmFlags::VM_MAYSHARE) {
                's'
            } else {
                'p'
            },
            pgoff,
            dev,
            ino
        );
        let name = v.vm_file.as_ref().map(|file| &*file.path).or(v.name);
        match name {
            // `seq_pad()`: names start at column 73.
            Some(name) => writeln!(m, "{line:<72} {name}")?,
            None => writeln!(m, "{line} ")?,
        }
    }
    Ok(())
}
