//! The memory parts of `/proc/PID` (fs/proc/task_mmu.c): `task_mem()` for
//! status, `show_map_vma()` for maps, `show_smap()` for smaps and
//! smaps_rollup.

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt::{self, Write};
use core::sync::atomic::Ordering::Relaxed;

use crate::arch::x86_64::pgtable::{PteFlags, PteVal, next_pte_table_addr, ptep_get};
use crate::mm::memory::{pte_walk_next, vm_normal_page};
use crate::mm::mm_types::{MmCounter, MmStruct};
use crate::mm::mmap::{VmAreaStruct, VmFlags};
use crate::mm::page::{PAGE_SHIFT, PAGE_SIZE, Page, PageFlags};
use crate::mm::rmap::folio_test_anon;
use crate::mm::swapfile::swp_swapcount;
use crate::mm::swapops::{Pte, pte_to_swp_entry};
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

/// `show_vma_header_prefix()`: range, permissions, offset, device and
/// inode, as maps and smaps start a VMA's line.
fn show_vma_header_prefix(v: &VmAreaStruct) -> String {
    let f = v.vm_flags;
    let flag = |b: VmFlags, c: char| if f.contains(b) { c } else { '-' };
    let (pgoff, dev, ino) = match &v.vm_file {
        Some(file) => (v.vm_pgoff << PAGE_SHIFT, "00:01", file.ino),
        None => (0, "00:00", 0),
    };
    alloc::format!(
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
    )
}

/// `show_map_vma()`: a VMA's maps line; names start at column 73
/// (`seq_pad()`).
fn show_map_vma(m: &mut String, v: &VmAreaStruct) -> fmt::Result {
    let line = show_vma_header_prefix(v);
    match v.vm_file.as_ref().map(|file| &*file.path).or(v.name) {
        Some(name) => writeln!(m, "{line:<72} {name}"),
        None => writeln!(m, "{line} "),
    }
}

/// The address space of the process `pid`; None for a kernel thread or
/// a zombie (their maps files are empty).
fn task_mm(pid: Pid) -> Result<Option<Arc<MmStruct>>, fmt::Error> {
    let task = find_task_by_vpid(pid).ok_or(fmt::Error)?;
    Ok(task.mm.lock_irqsave().clone())
}

/// `/proc/PID/maps`: `show_map_vma()` for every VMA.
pub fn show_map(pid: Pid, m: &mut String) -> fmt::Result {
    let Some(mm) = task_mm(pid)? else {
        return Ok(());
    };
    let locked = mm.mmap_lock.lock();
    for v in locked.vmas.iter() {
        show_map_vma(m, v)?;
    }
    Ok(())
}

/// `PSS_SHIFT`: Pss is summed in fixed point so that a page shared by
/// three loses no more than rounding.
const PSS_SHIFT: u32 = 12;

/// `struct mem_size_stats`, in bytes (the `pss*` fields shifted by
/// `PSS_SHIFT`).
#[derive(Default)]
struct MemSizeStats {
    resident: u64,
    shared_clean: u64,
    shared_dirty: u64,
    private_clean: u64,
    private_dirty: u64,
    referenced: u64,
    anonymous: u64,
    lazyfree: u64,
    swap: u64,
    pss: u64,
    pss_dirty: u64,
    pss_locked: u64,
    pss_anon: u64,
    pss_file: u64,
    pss_shmem: u64,
    swap_pss: u64,
}

impl MemSizeStats {
    /// `smaps_page_accumulate()`.
    fn page_accumulate(&mut self, page: &Page, pss: u64, dirty: bool, locked: bool, private: bool) {
        self.pss += pss;
        if folio_test_anon(page) {
            self.pss_anon += pss;
        } else if page.test(PageFlags::SWAPBACKED) {
            self.pss_shmem += pss;
        } else {
            self.pss_file += pss;
        }
        if locked {
            self.pss_locked += pss;
        }
        let size = PAGE_SIZE;
        match (dirty || page.test(PageFlags::DIRTY), private) {
            (true, true) => self.private_dirty += size,
            (true, false) => self.shared_dirty += size,
            (false, true) => self.private_clean += size,
            (false, false) => self.shared_clean += size,
        }
        if dirty || page.test(PageFlags::DIRTY) {
            self.pss_dirty += pss;
        }
    }

    /// `smaps_account()` of one base page (tinymm has no THP).
    fn account(&mut self, page: &Page, young: bool, dirty: bool, locked: bool) {
        if folio_test_anon(page) {
            self.anonymous += PAGE_SIZE;
            if !page.test(PageFlags::SWAPBACKED) && !dirty && !page.test(PageFlags::DIRTY) {
                self.lazyfree += PAGE_SIZE;
            }
        }
        self.resident += PAGE_SIZE;
        if young || page.test(PageFlags::REFERENCED) {
            self.referenced += PAGE_SIZE;
        }
        let mapcount = u64::try_from(page.mapcount()).unwrap_or(0);
        let mut pss = PAGE_SIZE << PSS_SHIFT;
        if mapcount >= 2 {
            pss /= mapcount;
        }
        self.page_accumulate(page, pss, dirty, locked, mapcount < 2);
    }

    /// `walk_page_vma()` with `smaps_pte_range()` → `smaps_pte_entry()`:
    /// present pages, and swap entries with their share of the slot.
    fn walk_vma(&mut self, mm: &MmStruct, v: &VmAreaStruct) {
        let locked = v.vm_flags.contains(VmFlags::VM_LOCKED);
        let mut addr = next_pte_table_addr(&mm.pgd, v.vm_start);
        while addr < v.vm_end {
            match ptep_get(&mm.pgd, addr) {
                PteVal::Present(pfn, f) => {
                    if let Some(page) = vm_normal_page(pfn) {
                        let young = f.contains(PteFlags::_PAGE_ACCESSED);
                        self.account(page, young, f.contains(PteFlags::_PAGE_DIRTY), locked);
                    }
                }
                PteVal::Swap(raw) => {
                    self.swap += PAGE_SIZE;
                    let mapcount = u64::from(swp_swapcount(pte_to_swp_entry(Pte(raw))));
                    self.swap_pss += if mapcount >= 2 {
                        (PAGE_SIZE << PSS_SHIFT) / mapcount
                    } else {
                        PAGE_SIZE << PSS_SHIFT
                    };
                }
                PteVal::None => {}
            }
            addr = pte_walk_next(&mm.pgd, addr);
        }
    }

    /// `__show_smap()`: the counters, each a `SEQ_PUT_DEC` line in kB;
    /// the rollup adds Pss by kind.
    fn show(&self, m: &mut String, rollup: bool) -> fmt::Result {
        let line =
            |m: &mut String, name: &str, bytes: u64| writeln!(m, "{name:<16}{:>8} kB", bytes >> 10);
        line(m, "Rss:", self.resident)?;
        line(m, "Pss:", self.pss >> PSS_SHIFT)?;
        line(m, "Pss_Dirty:", self.pss_dirty >> PSS_SHIFT)?;
        if rollup {
            line(m, "Pss_Anon:", self.pss_anon >> PSS_SHIFT)?;
            line(m, "Pss_File:", self.pss_file >> PSS_SHIFT)?;
            line(m, "Pss_Shmem:", self.pss_shmem >> PSS_SHIFT)?;
        }
        line(m, "Shared_Clean:", self.shared_clean)?;
        line(m, "Shared_Dirty:", self.shared_dirty)?;
        line(m, "Private_Clean:", self.private_clean)?;
        line(m, "Private_Dirty:", self.private_dirty)?;
        line(m, "Referenced:", self.referenced)?;
        line(m, "Anonymous:", self.anonymous)?;
        line(m, "LazyFree:", self.lazyfree)?;
        line(m, "AnonHugePages:", 0)?;
        line(m, "ShmemPmdMapped:", 0)?;
        line(m, "FilePmdMapped:", 0)?;
        line(m, "Shared_Hugetlb:", 0)?;
        writeln!(m, "Private_Hugetlb: {:>7} kB", 0)?;
        line(m, "Swap:", self.swap)?;
        line(m, "SwapPss:", self.swap_pss >> PSS_SHIFT)?;
        line(m, "Locked:", self.pss_locked >> PSS_SHIFT)
    }
}

/// `show_smap_vma_flags()`: the two-letter names of the VMA's flags, in
/// bit order.
fn show_smap_vma_flags(m: &mut String, f: VmFlags) -> fmt::Result {
    const MNEMONICS: [(VmFlags, &str); 12] = [
        (VmFlags::VM_READ, "rd"),
        (VmFlags::VM_WRITE, "wr"),
        (VmFlags::VM_EXEC, "ex"),
        (VmFlags::VM_SHARED, "sh"),
        (VmFlags::VM_MAYREAD, "mr"),
        (VmFlags::VM_MAYWRITE, "mw"),
        (VmFlags::VM_MAYEXEC, "me"),
        (VmFlags::VM_MAYSHARE, "ms"),
        (VmFlags::VM_GROWSDOWN, "gd"),
        (VmFlags::VM_LOCKED, "lo"),
        (VmFlags::VM_SEQ_READ, "sr"),
        (VmFlags::VM_RAND_READ, "rr"),
    ];
    m.push_str("VmFlags: ");
    for (flag, name) in MNEMONICS {
        if f.contains(flag) {
            write!(m, "{name} ")?;
        }
    }
    m.push('\n');
    Ok(())
}

/// `/proc/PID/smaps`: `show_smap()` for every VMA. Left out as the
/// kernel lacks them: THP (its lines are 0, `THPeligible` 0), protection
/// keys (Linux prints `ProtectionKey` only when the CPU's are on), soft
/// dirty bits (`sd`) and `VM_ACCOUNT` (`ac`).
pub fn show_smap(pid: Pid, m: &mut String) -> fmt::Result {
    let Some(mm) = task_mm(pid)? else {
        return Ok(());
    };
    let locked = mm.mmap_lock.lock();
    for v in locked.vmas.iter() {
        let mut mss = MemSizeStats::default();
        mss.walk_vma(&mm, v);
        show_map_vma(m, v)?;
        writeln!(m, "Size:           {:>8} kB", v.len() >> 10)?;
        writeln!(m, "KernelPageSize: {:>8} kB", PAGE_SIZE >> 10)?;
        writeln!(m, "MMUPageSize:    {:>8} kB", PAGE_SIZE >> 10)?;
        mss.show(m, false)?;
        writeln!(m, "THPeligible:    0")?;
        show_smap_vma_flags(m, v.vm_flags)?;
    }
    Ok(())
}

/// `/proc/PID/smaps_rollup`: every VMA's counters summed, under one
/// header from the first VMA's start to the last one's end.
pub fn show_smaps_rollup(pid: Pid, m: &mut String) -> fmt::Result {
    let Some(mm) = task_mm(pid)? else {
        return Ok(());
    };
    let locked = mm.mmap_lock.lock();
    let mut mss = MemSizeStats::default();
    let (mut first, mut last) = (None, 0);
    for v in locked.vmas.iter() {
        first.get_or_insert(v.vm_start);
        last = v.vm_end;
        mss.walk_vma(&mm, v);
    }
    let Some(first) = first else {
        return Ok(());
    };
    let header = alloc::format!("{first:08x}-{last:08x} ---p 00000000 00:00 0");
    writeln!(m, "{header:<72} [rollup]")?;
    mss.show(m, true)
}
