//! Virtual memory areas (mm/mmap.c, mm/vma.c): the ordered set of a
//! process's mappings and the range operations mmap, munmap, mprotect,
//! mlock and brk are built from. Pure bookkeeping: page tables are handled
//! by the callers in memory.rs, so this file is tested on the host.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use bitflags::bitflags;

use super::filemap::AddressSpace;

#[cfg(target_os = "none")]
pub mod sys;

use super::page::{PAGE_SHIFT, PAGE_SIZE};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};

/// `TASK_SIZE_MAX`: the end of user space (4-level paging).
pub const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// `mmap_min_addr` default: nothing is mapped below 64 KiB.
pub const MMAP_MIN_ADDR: u64 = 0x10000;
/// Top of the user stack (no randomization, as with `norandmaps`).
pub const STACK_TOP: u64 = TASK_SIZE;
/// The stack rlimit (8 MiB) and `mmap_base` below it with Linux's minimum
/// gap of 128 MiB (`mmap_base()` without randomization).
pub const STACK_SIZE: u64 = 8 << 20;
pub const MMAP_BASE: u64 = STACK_TOP - (128 << 20);

bitflags! {
    /// `vm_flags` with Linux's bit values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct VmFlags: u64 {
        const VM_READ = 0x1;
        const VM_WRITE = 0x2;
        const VM_EXEC = 0x4;
        const VM_SHARED = 0x8;
        const VM_MAYREAD = 0x10;
        const VM_MAYWRITE = 0x20;
        const VM_MAYEXEC = 0x40;
        const VM_MAYSHARE = 0x80;
        const VM_GROWSDOWN = 0x100;
        const VM_LOCKED = 0x2000;
        const VM_SEQ_READ = 0x8000;
        const VM_RAND_READ = 0x10000;
    }
}

/// The file behind a mapping: its page cache and what /proc/PID/maps shows.
#[derive(Clone)]
pub struct VmFile {
    pub mapping: Arc<AddressSpace>,
    /// The file's path (`vm_file->f_path`): its mount stays busy while
    /// the file is mapped. None for the internal mount's files.
    pub f_path: Option<crate::fs::dcache::Path>,
    /// The open file's `f_ra`, for the faults' readahead.
    pub f_ra: Arc<crate::sync::SpinLock<super::readahead::FileRaState>>,
    pub path: Arc<str>,
    pub ino: u64,
}

/// `struct vm_area_struct`.
#[derive(Clone)]
pub struct VmAreaStruct {
    pub vm_start: u64,
    pub vm_end: u64,
    pub vm_flags: VmFlags,
    /// Offset in the file, in pages (for anonymous mappings, the start's
    /// page number, as Linux sets it).
    pub vm_pgoff: u64,
    pub vm_file: Option<VmFile>,
    /// What /proc/PID/maps names an anonymous mapping: `[heap]`, `[stack]`.
    pub name: Option<&'static str>,
}

impl VmAreaStruct {
    pub fn anonymous(vm_start: u64, vm_end: u64, vm_flags: VmFlags) -> Self {
        Self {
            vm_start,
            vm_end,
            vm_flags,
            vm_pgoff: vm_start >> PAGE_SHIFT,
            vm_file: None,
            name: None,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.vm_file.is_none()
    }

    /// `linear_page_index()`: the file page an address falls on.
    pub fn linear_page_index(&self, addr: u64) -> u64 {
        self.vm_pgoff + ((addr - self.vm_start) >> PAGE_SHIFT)
    }

    pub fn len(&self) -> u64 {
        self.vm_end - self.vm_start
    }

    pub fn is_empty(&self) -> bool {
        self.vm_end == self.vm_start
    }

    /// Can `next` (starting at our end) be merged into us (`vma_merge`)?
    fn can_merge(&self, next: &VmAreaStruct) -> bool {
        self.vm_end == next.vm_start
            && self.vm_flags == next.vm_flags
            && self.name == next.name
            // Pages are found by their index (file pages, and anonymous
            // pages through `vm_pgoff`, which mremap keeps), so the
            // offsets must continue.
            && self.linear_page_index(self.vm_end) == next.vm_pgoff
            && match (&self.vm_file, &next.vm_file) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(&a.mapping, &b.mapping),
                _ => false,
            }
    }
}

/// `calc_vm_prot_bits()` + the MAY bits `do_mmap` adds.
pub fn vm_flags_for_prot(prot: u32) -> VmFlags {
    let mut f = VmFlags::VM_MAYREAD | VmFlags::VM_MAYWRITE | VmFlags::VM_MAYEXEC;
    if prot & PROT_READ != 0 {
        f |= VmFlags::VM_READ;
    }
    if prot & PROT_WRITE != 0 {
        f |= VmFlags::VM_WRITE;
    }
    if prot & PROT_EXEC != 0 {
        f |= VmFlags::VM_EXEC;
    }
    f
}

/// The VMA tree of one address space (Linux's maple tree), keyed by start.
#[derive(Default, Clone)]
pub struct VmaTree {
    vmas: BTreeMap<u64, VmAreaStruct>,
}

impl VmaTree {
    pub fn iter(&self) -> impl Iterator<Item = &VmAreaStruct> {
        self.vmas.values()
    }

    /// `find_vma()`: the first VMA ending above `addr`.
    pub fn find_vma(&self, addr: u64) -> Option<&VmAreaStruct> {
        // The VMA containing addr starts at or below it; else the next one.
        if let Some((_, v)) = self.vmas.range(..=addr).next_back()
            && v.vm_end > addr
        {
            return Some(v);
        }
        self.vmas.range(addr + 1..).next().map(|(_, v)| v)
    }

    /// `vma_lookup()`: the VMA containing `addr`.
    pub fn vma_lookup(&self, addr: u64) -> Option<&VmAreaStruct> {
        self.find_vma(addr).filter(|v| v.vm_start <= addr)
    }

    /// Is any part of [start, end) mapped?
    pub fn intersects(&self, start: u64, end: u64) -> bool {
        self.find_vma(start).is_some_and(|v| v.vm_start < end)
    }

    /// Is all of [start, end) mapped, without holes?
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        while at < end {
            match self.vma_lookup(at) {
                Some(v) => at = v.vm_end,
                None => return false,
            }
        }
        true
    }

    /// `get_unmapped_area()`, top-down below `mmap_base` as x86_64's
    /// default layout does; a free hint is taken as is.
    pub fn get_unmapped_area(&self, hint: u64, len: u64) -> KResult<u64> {
        if len > TASK_SIZE - MMAP_MIN_ADDR {
            return Err(Errno::ENOMEM);
        }
        let hint = hint & !(PAGE_SIZE - 1);
        if hint >= MMAP_MIN_ADDR && hint <= TASK_SIZE - len && !self.intersects(hint, hint + len) {
            return Ok(hint);
        }
        let mut top = MMAP_BASE;
        for v in self.vmas.range(..MMAP_BASE).rev().map(|(_, v)| v) {
            if v.vm_end <= top && top - v.vm_end >= len {
                return Ok(top - len);
            }
            top = top.min(v.vm_start);
        }
        if top >= MMAP_MIN_ADDR + len {
            Ok(top - len)
        } else {
            Err(Errno::ENOMEM)
        }
    }

    /// Insert a VMA over a free range, merging with equal neighbours.
    pub fn insert(&mut self, vma: VmAreaStruct) {
        debug_assert!(!self.intersects(vma.vm_start, vma.vm_end));
        self.vmas.insert(vma.vm_start, vma);
        self.merge_around(self.vmas.iter().map(|(&k, _)| k).collect());
    }

    /// Merge each listed VMA with the VMA right after it where allowed.
    fn merge_around(&mut self, mut starts: Vec<u64>) {
        starts.sort_unstable();
        starts.dedup();
        for start in starts.into_iter().rev() {
            let Some(v) = self.vmas.get(&start) else {
                continue;
            };
            let end = v.vm_end;
            let mergeable = self.vmas.get(&end).is_some_and(|next| v.can_merge(next));
            if mergeable {
                let next = self.vmas.remove(&end).expect("checked");
                self.vmas.get_mut(&start).expect("present").vm_end = next.vm_end;
            }
            if let Some((&pstart, prev)) = self.vmas.range(..start).next_back()
                && let Some(cur) = self.vmas.get(&start)
                && prev.can_merge(cur)
            {
                let cur = self.vmas.remove(&start).expect("present");
                self.vmas.get_mut(&pstart).expect("present").vm_end = cur.vm_end;
            }
        }
    }

    /// `split_vma()`: make `addr` a VMA boundary.
    fn split_at(&mut self, addr: u64) {
        let Some(v) = self.vma_lookup(addr) else {
            return;
        };
        if v.vm_start == addr {
            return;
        }
        let mut tail = v.clone();
        tail.vm_pgoff = v.linear_page_index(addr);
        tail.vm_start = addr;
        self.vmas
            .get_mut(&v.vm_start.clone())
            .expect("present")
            .vm_end = addr;
        self.vmas.insert(addr, tail);
    }

    /// Take [start, end) out of the tree (`do_vmi_munmap`'s bookkeeping);
    /// returns the pieces removed, whose pages the caller must unmap.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<VmAreaStruct> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.vmas.range(start..end).map(|(&k, _)| k).collect();
        keys.into_iter()
            .filter_map(|k| self.vmas.remove(&k))
            .collect()
    }

    /// Apply `f` to the flags of every VMA piece in [start, end), which
    /// must be fully mapped (ENOMEM otherwise, as mprotect and mlock
    /// report). `f` may refuse with an error before anything changes.
    pub fn change_flags(
        &mut self,
        start: u64,
        end: u64,
        f: impl Fn(&VmAreaStruct) -> KResult<VmFlags>,
    ) -> KResult<Vec<VmAreaStruct>> {
        if !self.covers(start, end) {
            return Err(Errno::ENOMEM);
        }
        let new: Vec<VmFlags> = self
            .iter()
            .filter(|v| v.vm_end > start && v.vm_start < end)
            .map(&f)
            .collect::<KResult<_>>()?;
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.vmas.range(start..end).map(|(&k, _)| k).collect();
        let mut changed = Vec::new();
        for (k, flags) in keys.iter().zip(new) {
            let v = self.vmas.get_mut(k).expect("present");
            v.vm_flags = flags;
            changed.push(v.clone());
        }
        self.merge_around(keys);
        Ok(changed)
    }

    /// Remove `flags` from every VMA (fork: mlock is not inherited).
    pub fn clear_flags(&mut self, flags: VmFlags) {
        let keys: Vec<u64> = self.vmas.keys().copied().collect();
        for v in self.vmas.values_mut() {
            v.vm_flags.remove(flags);
        }
        self.merge_around(keys);
    }

    /// Move the end of the VMA that ends at `old_end` (brk).
    pub fn set_end(&mut self, old_end: u64, new_end: u64) -> bool {
        let Some(v) = self.find_vma(old_end - 1) else {
            return false;
        };
        if v.vm_end != old_end {
            return false;
        }
        let start = v.vm_start;
        self.vmas.get_mut(&start).expect("present").vm_end = new_end;
        true
    }

    /// `vma_merge_extend()`: the VMA starting at `start` grows to
    /// `new_end` over free space and merges with the next one if it can.
    pub fn extend(&mut self, start: u64, new_end: u64) {
        let end = self.vmas.get(&start).expect("a VMA starts there").vm_end;
        debug_assert!(!self.intersects(end, new_end));
        self.vmas.get_mut(&start).expect("present").vm_end = new_end;
        self.merge_around(alloc::vec![start]);
    }

    /// `total_vm`, in pages.
    pub fn total_vm(&self) -> u64 {
        self.iter().map(|v| v.len() >> PAGE_SHIFT).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RW: VmFlags = VmFlags::VM_READ
        .union(VmFlags::VM_WRITE)
        .union(VmFlags::VM_MAYREAD)
        .union(VmFlags::VM_MAYWRITE)
        .union(VmFlags::VM_MAYEXEC);

    fn spans(t: &VmaTree) -> Vec<(u64, u64)> {
        t.iter().map(|v| (v.vm_start, v.vm_end)).collect()
    }

    #[test]
    fn top_down_allocation_and_merging() {
        let mut t = VmaTree::default();
        let a = t.get_unmapped_area(0, 0x3000).unwrap();
        assert_eq!(a, MMAP_BASE - 0x3000);
        t.insert(VmAreaStruct::anonymous(a, a + 0x3000, RW));
        let b = t.get_unmapped_area(0, 0x1000).unwrap();
        assert_eq!(b, a - 0x1000);
        t.insert(VmAreaStruct::anonymous(b, b + 0x1000, RW));
        // Adjacent anonymous mappings with equal flags merge, as in Linux.
        assert_eq!(spans(&t), [(b, a + 0x3000)]);
        // A free hint is used as given.
        assert_eq!(t.get_unmapped_area(0x400000, 0x1000).unwrap(), 0x400000);
        assert_eq!(t.get_unmapped_area(b, 0x1000).unwrap(), b - 0x1000);
    }

    #[test]
    fn munmap_in_the_middle_splits() {
        let mut t = VmaTree::default();
        t.insert(VmAreaStruct::anonymous(0x10000, 0x20000, RW));
        let removed = t.remove_range(0x14000, 0x16000);
        assert_eq!(removed.len(), 1);
        assert_eq!((removed[0].vm_start, removed[0].vm_end), (0x14000, 0x16000));
        assert_eq!(spans(&t), [(0x10000, 0x14000), (0x16000, 0x20000)]);
        assert_eq!(t.vma_lookup(0x16000).unwrap().vm_pgoff, 0x16);
        assert!(t.vma_lookup(0x15000).is_none());
        assert_eq!(t.find_vma(0x15000).unwrap().vm_start, 0x16000);
        assert_eq!(t.total_vm(), 14);
        assert!(t.remove_range(0x30000, 0x40000).is_empty());
    }

    #[test]
    fn mprotect_splits_and_remerges() {
        let mut t = VmaTree::default();
        t.insert(VmAreaStruct::anonymous(0x10000, 0x20000, RW));
        let ro = |v: &VmAreaStruct| Ok(v.vm_flags - VmFlags::VM_WRITE);
        let changed = t.change_flags(0x12000, 0x13000, ro).unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!(
            spans(&t),
            [(0x10000, 0x12000), (0x12000, 0x13000), (0x13000, 0x20000)]
        );
        let rw = |v: &VmAreaStruct| Ok(v.vm_flags | VmFlags::VM_WRITE);
        t.change_flags(0x12000, 0x13000, rw).unwrap();
        assert_eq!(spans(&t), [(0x10000, 0x20000)]);
        // A hole in the range: ENOMEM and nothing changes.
        t.remove_range(0x18000, 0x19000);
        assert_eq!(
            t.change_flags(0x17000, 0x1a000, ro).err(),
            Some(Errno::ENOMEM)
        );
        assert_eq!(spans(&t), [(0x10000, 0x18000), (0x19000, 0x20000)]);
        // A refusal leaves the tree as it was.
        assert_eq!(
            t.change_flags(0x11000, 0x12000, |_| Err(Errno::EACCES))
                .err(),
            Some(Errno::EACCES)
        );
        assert_eq!(spans(&t), [(0x10000, 0x18000), (0x19000, 0x20000)]);
    }

    #[test]
    fn moved_anonymous_vma_merges_only_where_offsets_continue() {
        let mut t = VmaTree::default();
        t.insert(VmAreaStruct::anonymous(0x10000, 0x12000, RW));
        // What mremap leaves: a VMA at 0x12000 keeping the page offset it
        // had at 0x40000 does not continue the first one's offsets.
        let mut moved = VmAreaStruct::anonymous(0x12000, 0x14000, RW);
        moved.vm_pgoff = 0x40;
        t.insert(moved);
        assert_eq!(spans(&t), [(0x10000, 0x12000), (0x12000, 0x14000)]);
        // Growing in place takes the free range and merges with a next
        // VMA whose offsets continue the grown one's.
        let mut next = VmAreaStruct::anonymous(0x16000, 0x18000, RW);
        next.vm_pgoff = 0x44;
        t.insert(next);
        assert_eq!(t.vmas.len(), 3);
        t.extend(0x12000, 0x16000);
        assert_eq!(spans(&t), [(0x10000, 0x12000), (0x12000, 0x18000)]);
        assert_eq!(
            t.vma_lookup(0x17000).unwrap().linear_page_index(0x17000),
            0x45
        );
    }

    #[test]
    fn address_space_exhaustion_is_enomem() {
        let t = VmaTree::default();
        assert_eq!(t.get_unmapped_area(0, TASK_SIZE).err(), Some(Errno::ENOMEM));
        assert_eq!(t.get_unmapped_area(0, MMAP_BASE).err(), Some(Errno::ENOMEM));
        assert!(t.get_unmapped_area(0, MMAP_BASE - MMAP_MIN_ADDR).is_ok());
    }
}
