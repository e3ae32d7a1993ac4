//! `struct mm_struct` (include/linux/mm_types.h, kernel/fork.c): a
//! process's address space — its page table, its VMAs under `mmap_lock`,
//! its RSS counters — and its teardown (`exit_mmap` in mm/mmap.c).

use alloc::sync::{Arc, Weak};
use core::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use super::memory::unmap_vmas;
use super::mmap::VmaTree;
use crate::arch::x86_64::pgtable::{Pgd, free_pgd_range};
use crate::task::TaskStruct;
use crate::uapi::errno::{Errno, KResult};

/// `enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES }`.
#[derive(Clone, Copy, Debug)]
pub enum MmCounter {
    FilePages = 0,
    AnonPages = 1,
    SwapEnts = 2,
    ShmemPages = 3,
}

pub const NR_MM_COUNTERS: usize = 4;

/// Where exec put the program's parts (`mm_struct`'s `start_code` ..
/// `env_end`), for /proc/PID/stat, cmdline and environ; fork copies them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MmSpans {
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

/// What `mmap_lock` protects.
#[derive(Default)]
pub struct MmLocked {
    pub vmas: VmaTree,
    pub start_brk: u64,
    pub brk: u64,
    pub start_stack: u64,
    pub spans: MmSpans,
}

/// Source of `MmStruct::id`s (even: bit 0 is `PAGE_MAPPING_ANON`).
static NEXT_MM_ID: AtomicU64 = AtomicU64::new(2);

pub struct MmStruct {
    pub pgd: Pgd,
    id: u64,
    /// The ids whose anonymous pages this mm may map: its own and its
    /// fork ancestors' (Linux's anon_vma chain, flattened).
    pub anon_lineage: alloc::vec::Vec<u64>,
    /// Linux's `mmap_lock`. Page faults take it; no path may hold it while
    /// touching user memory (that would fault into it again).
    pub mmap_lock: spin::Mutex<MmLocked>,
    rss_stat: [AtomicI64; NR_MM_COUNTERS],
    /// `hiwater_rss`: the peak of file + anon + shmem pages (VmHWM).
    hiwater_rss: AtomicU64,
    /// `locked_vm`: pages in VM_LOCKED mappings (VmLck).
    pub locked_vm: AtomicU64,
    /// `exe_file`: the program exec loaded (/proc/PID/exe).
    pub exe_file: crate::sync::SpinLock<Option<crate::fs::dcache::Path>>,
    /// `owner` (CONFIG_MEMCG): the task whose memcg cgroup reclaim judges
    /// the mm by (`mm_match_cgroup`); exec and fork set it, and when it
    /// has exited another user of the mm takes over
    /// (`mm_update_next_owner`).
    owner: crate::sync::SpinLock<Weak<TaskStruct>>,
}

impl MmStruct {
    /// `mm_alloc()`: an empty address space with the kernel mapped, on
    /// the reverse map's list of its own anonymous pages' mms.
    pub fn new() -> Option<Arc<Self>> {
        Self::with_lineage(&[])
    }

    fn with_lineage(inherited: &[u64]) -> Option<Arc<Self>> {
        let id = NEXT_MM_ID.fetch_add(2, Relaxed);
        let mut anon_lineage = alloc::vec![id];
        anon_lineage.extend_from_slice(inherited);
        let mm = Arc::new(Self {
            pgd: Pgd::alloc()?,
            id,
            anon_lineage,
            mmap_lock: spin::Mutex::new(MmLocked::default()),
            rss_stat: Default::default(),
            hiwater_rss: AtomicU64::new(0),
            locked_vm: AtomicU64::new(0),
            exe_file: crate::sync::SpinLock::new(None),
            owner: crate::sync::SpinLock::new(Weak::new()),
        });
        super::rmap::anon_vma_fork(&mm);
        Some(mm)
    }

    /// What `page->mapping` of this mm's anonymous pages holds.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The oldest id of the lineage (`anon_vma->root`).
    pub fn anon_root(&self) -> u64 {
        *self
            .anon_lineage
            .last()
            .expect("an mm's lineage holds its own id")
    }

    /// A new empty mm for a fork child of `self` (`mm_alloc` +
    /// `anon_vma_fork`): it inherits the anonymous-page lineage.
    pub fn new_child(&self) -> Option<Arc<Self>> {
        Self::with_lineage(&self.anon_lineage)
    }

    /// exec's new mm is `tsk`'s (Linux's `mm_init_owner` from
    /// `bprm_mm_init`).
    pub fn set_owner(&self, tsk: &Arc<TaskStruct>) {
        *self.owner.lock_irqsave() = Arc::downgrade(tsk);
    }

    /// `mm_init_owner()` for a task fork made: a new mm (fork's copy) is
    /// the child's; one it shares (CLONE_VM) keeps its owner while that
    /// lives.
    pub fn mm_init_owner(&self, tsk: &Arc<TaskStruct>) {
        let mut owner = self.owner.lock_irqsave();
        if owner.strong_count() == 0 {
            *owner = Arc::downgrade(tsk);
        }
    }

    /// `mm->owner`, or after its exit another task using the mm
    /// (`mm_update_next_owner`), or None once nothing uses it.
    pub fn owner(self: &Arc<Self>) -> Option<Arc<TaskStruct>> {
        if let Some(owner) = self.owner.lock_irqsave().upgrade() {
            return Some(owner);
        }
        let mut next = None;
        crate::task::for_each_process(|t| {
            if next.is_none()
                && t.mm
                    .lock_irqsave()
                    .as_ref()
                    .is_some_and(|mm| Arc::ptr_eq(mm, self))
            {
                next = Some(t.clone());
            }
        });
        if let Some(t) = &next {
            self.set_owner(t);
        }
        next
    }

    /// `get_mm_counter()`.
    pub fn get_mm_counter(&self, c: MmCounter) -> u64 {
        self.rss_stat[c as usize].load(Relaxed).max(0) as u64
    }

    /// `add_mm_counter()`, keeping the RSS high-water mark.
    pub fn add_mm_counter(&self, c: MmCounter, delta: i64) {
        self.rss_stat[c as usize].fetch_add(delta, Relaxed);
        if delta > 0 {
            self.hiwater_rss.fetch_max(self.get_mm_rss(), Relaxed);
        }
    }

    /// `get_mm_rss()`: resident pages.
    pub fn get_mm_rss(&self) -> u64 {
        self.get_mm_counter(MmCounter::FilePages)
            + self.get_mm_counter(MmCounter::AnonPages)
            + self.get_mm_counter(MmCounter::ShmemPages)
    }

    pub fn hiwater_rss(&self) -> u64 {
        self.hiwater_rss.load(Relaxed).max(self.get_mm_rss())
    }
}

/// The running task's address space; EFAULT for a kernel thread.
pub fn current_mm() -> KResult<Arc<MmStruct>> {
    crate::task::current()
        .mm
        .lock_irqsave()
        .clone()
        .ok_or(Errno::EFAULT)
}

impl Drop for MmStruct {
    /// `exit_mmap()`: unmap every VMA and free the page tables; the `Pgd`
    /// then frees its top level.
    fn drop(&mut self) {
        super::rmap::unlink_anon_vmas(self);
        let vmas = core::mem::take(&mut self.mmap_lock.get_mut().vmas);
        for vma in vmas.iter() {
            unmap_vmas(self, vma.vm_start, vma.vm_end);
        }
        free_pgd_range(&self.pgd, 0, super::mmap::TASK_SIZE);
    }
}
