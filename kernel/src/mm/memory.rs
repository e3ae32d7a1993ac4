//! Page faults, unmapping and populating (mm/memory.c, mm/gup.c's
//! populate path, mm/mlock.c's page side).
//!
//! `handle_mm_fault` → `__handle_mm_fault` → `handle_pte_fault` →
//! `do_anonymous_page` (read faults map the shared zero page, write faults
//! a zeroed page of their own) or `do_fault` → `do_read_fault` /
//! `do_cow_fault` / `do_shared_fault` → `__do_fault` → `filemap_fault`;
//! writes to present read-only pages go to `do_wp_page` (`wp_page_shared`
//! in a shared mapping, a copy in a private one). Callers hold the mm's
//! `mmap_lock`. `unmap_mapping_range` takes a file's pages beyond a new
//! end out of every page table that maps them (truncation).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use bitflags::bitflags;

use super::filemap::{AddressSpace, filemap_fault};
use super::filemap::{folio_lock, folio_trylock, folio_unlock, folio_wait_writeback};
use super::gfp::Gfp;
use super::memcontrol::swap::mem_cgroup_swap_full;
use super::memcontrol::{count_memcg_event_mm, mem_cgroup_charge};
use super::mm_types::{MmCounter, MmStruct};
use super::mmap::{VmAreaStruct, VmFlags};
use super::mmzone::{PglistData, ZoneStatItem, node_data};
use super::page::{PAGE_SHIFT, PAGE_SIZE, Page, PageFlags};
use super::page_alloc::__free_pages;
use super::rmap::folio_add_anon_rmap_pte;
use super::rmap::{
    folio_add_file_rmap_pte, folio_add_new_anon_rmap, folio_dup_rmap_pte, folio_remove_rmap_pte,
    folio_test_anon,
};
use super::swap::{folio_add_lru, folio_move_evictable, folio_move_unevictable};
use super::swap_state::{lookup_swap_cache, swapin_readahead};
use super::swapfile::{
    __swap_count, folio_free_swap, free_swap_and_cache, swap_duplicate, swap_entry_valid,
    swap_free, swp_swapcount,
};
use super::swapops::{Pte, pte_to_swp_entry, swp_type};
use super::vmstat::{VmEventItem, count_vm_events};
use crate::arch::x86_64::pgtable::{
    Pgd, PteFlags, PteVal, next_pte_table_addr, pte_get, ptep_get, ptep_get_and_clear, ptep_modify,
    set_pte_at, set_swp_pte_at, swp_pte_clear,
};
use crate::uapi::errno::{Errno, KResult};

bitflags! {
    /// `enum fault_flag`, Linux's bits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FaultFlags: u32 {
        const FAULT_FLAG_WRITE = 1 << 0;
        const FAULT_FLAG_USER = 1 << 6;
        const FAULT_FLAG_REMOTE = 1 << 7;
        const FAULT_FLAG_INSTRUCTION = 1 << 8;
    }

    /// `vm_fault_t`, Linux's bits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct VmFaultReason: u32 {
        const VM_FAULT_OOM = 0x1;
        const VM_FAULT_SIGBUS = 0x2;
        const VM_FAULT_MAJOR = 0x4;
        const VM_FAULT_SIGSEGV = 0x40;
    }
}

/// `struct vm_fault`.
pub struct VmFault<'a> {
    pub mm: &'a MmStruct,
    pub vma: &'a VmAreaStruct,
    /// The faulting address, page aligned.
    pub address: u64,
    pub flags: FaultFlags,
    pub pgoff: u64,
}

impl VmFault<'_> {
    fn write(&self) -> bool {
        self.flags.contains(FaultFlags::FAULT_FLAG_WRITE)
    }
}

/// `empty_zero_page`: read faults on anonymous memory map this frame.
static ZERO_PFN: AtomicU64 = AtomicU64::new(0);

/// Set at boot to a zeroed frame reserved for the purpose.
pub fn set_zero_page(pfn: u64) {
    ZERO_PFN.store(pfn, Relaxed);
}

fn zero_pfn() -> u64 {
    ZERO_PFN.load(Relaxed)
}

fn node() -> &'static PglistData {
    node_data(0)
}

/// `vm_normal_page()`: the page a present PTE maps, None for the shared
/// zero page (which no one owns or counts).
pub fn vm_normal_page(pfn: u64) -> Option<&'static Page> {
    (pfn != zero_pfn()).then(|| node().pfn_to_page(pfn))
}

/// `vm_get_page_prot()`: the PTE bits for a mapping of `vma`.
fn vm_get_page_prot(vma: &VmAreaStruct, writable: bool) -> PteFlags {
    let mut f = PteFlags::_PAGE_PRESENT | PteFlags::_PAGE_USER | PteFlags::_PAGE_ACCESSED;
    if writable {
        f |= PteFlags::_PAGE_RW | PteFlags::_PAGE_DIRTY;
    }
    if !vma.vm_flags.contains(VmFlags::VM_EXEC) {
        f |= PteFlags::_PAGE_NX;
    }
    f
}

/// `mlock_folio()`: a page in a VM_LOCKED mapping is unevictable.
fn mlock_folio(page: &Page) {
    if !page.test(PageFlags::MLOCKED) {
        page.set(PageFlags::MLOCKED);
        node()
            .page_zone(page)
            .mod_page_state(ZoneStatItem::NrMlock, 1);
        folio_move_unevictable(node(), page);
    }
}

/// `munlock_folio()`, when the last locked mapping goes.
pub fn munlock_folio(page: &Page) {
    if page.test(PageFlags::MLOCKED) {
        page.clear(PageFlags::MLOCKED);
        node()
            .page_zone(page)
            .mod_page_state(ZoneStatItem::NrMlock, -1);
        folio_move_evictable(node(), page);
    }
}

/// Map a new anonymous page at the fault address.
fn map_new_anon_page(vmf: &VmFault, page: &'static Page) -> VmFaultReason {
    let pgdat = node();
    let pfn = pgdat.page_to_pfn(page);
    folio_add_new_anon_rmap(pgdat, page, vmf.mm.id(), vmf.pgoff);
    if set_pte_at(
        &vmf.mm.pgd,
        vmf.address,
        pfn,
        vm_get_page_prot(vmf.vma, true),
    )
    .is_err()
    {
        folio_remove_rmap_pte(pgdat, page);
        __free_pages(pgdat, page, 0);
        return VmFaultReason::VM_FAULT_OOM;
    }
    vmf.mm.add_mm_counter(MmCounter::AnonPages, 1);
    // `__folio_mark_uptodate()`: its contents are valid (a swap-in that
    // finds it in the swap cache maps it as it is), and
    // folio_add_lru_vma(): swap-backed, on the inactive anon list.
    page.set(PageFlags::UPTODATE | PageFlags::SWAPBACKED);
    folio_add_lru(pgdat, page);
    if vmf.vma.vm_flags.contains(VmFlags::VM_LOCKED) {
        mlock_folio(page);
    }
    VmFaultReason::empty()
}

/// `do_anonymous_page()`.
#[inline(never)]
fn do_anonymous_page(vmf: &VmFault) -> VmFaultReason {
    if !vmf.write() {
        // Reads share the zero page until the first write.
        let prot = vm_get_page_prot(vmf.vma, false);
        return match set_pte_at(&vmf.mm.pgd, vmf.address, zero_pfn(), prot) {
            Ok(()) => VmFaultReason::empty(),
            Err(_) => VmFaultReason::VM_FAULT_OOM,
        };
    }
    let pgdat = node();
    let Some(page) =
        super::page_alloc::__alloc_pages(pgdat, Gfp::GFP_HIGHUSER_MOVABLE | Gfp::__GFP_ZERO, 0)
    else {
        return VmFaultReason::VM_FAULT_OOM;
    };
    if mem_cgroup_charge(pgdat, page, Gfp::GFP_HIGHUSER_MOVABLE).is_err() {
        __free_pages(pgdat, page, 0);
        return VmFaultReason::VM_FAULT_OOM;
    }
    map_new_anon_page(vmf, page)
}

/// `__do_fault()`: ask the mapping's owner (only files here) for the page.
#[inline(never)]
fn __do_fault(vmf: &VmFault) -> Result<(&'static Page, VmFaultReason), VmFaultReason> {
    let ret = filemap_fault(vmf);
    core::hint::black_box(());
    ret
}

/// `finish_fault()`: map the file page.
fn finish_fault(vmf: &VmFault, page: &'static Page, writable: bool) -> VmFaultReason {
    let pgdat = node();
    let pfn = pgdat.page_to_pfn(page);
    if set_pte_at(
        &vmf.mm.pgd,
        vmf.address,
        pfn,
        vm_get_page_prot(vmf.vma, writable),
    )
    .is_err()
    {
        __free_pages(pgdat, page, 0);
        return VmFaultReason::VM_FAULT_OOM;
    }
    folio_add_file_rmap_pte(pgdat, page);
    vmf.mm.add_mm_counter(mm_counter_file(page), 1);
    if vmf.vma.vm_flags.contains(VmFlags::VM_LOCKED) {
        mlock_folio(page);
    }
    VmFaultReason::empty()
}

/// Is `vma` a shared writable mapping, whose PTEs may be writable from
/// the start? (Its file is tmpfs, which needs no write notification:
/// Linux's `vm_page_prot` of such a VMA has the RW bit.)
fn vma_shared_writable(vma: &VmAreaStruct) -> bool {
    vma.vm_flags
        .contains(VmFlags::VM_SHARED | VmFlags::VM_WRITE)
}

/// `do_read_fault()`.
#[inline(never)]
fn do_read_fault(vmf: &VmFault) -> VmFaultReason {
    match __do_fault(vmf) {
        Ok((page, ret)) => ret | finish_fault(vmf, page, vma_shared_writable(vmf.vma)),
        Err(ret) => ret,
    }
}

/// `do_shared_fault()`: a write to a shared mapping maps the file's own
/// page writable (for tmpfs, `shmem_fault` fills a hole with a new page
/// charged to the faulting task's memcg), so the write is the file's at
/// once, for read(2) and every other mapping.
#[inline(never)]
fn do_shared_fault(vmf: &VmFault) -> VmFaultReason {
    let ret = match __do_fault(vmf) {
        Ok((page, ret)) => {
            // fault_dirty_shared_page()
            page.set(PageFlags::DIRTY);
            ret | finish_fault(vmf, page, true)
        }
        Err(ret) => ret,
    };
    keep_frame(ret)
}

/// `folio_prealloc()`: a page for a private copy, charged to the
/// faulting task's memcg; None if either fails.
fn folio_prealloc(pgdat: &PglistData, gfp: Gfp) -> Option<&'static Page> {
    let page = super::page_alloc::__alloc_pages(pgdat, gfp, 0)?;
    if mem_cgroup_charge(pgdat, page, gfp).is_err() {
        __free_pages(pgdat, page, 0);
        return None;
    }
    Some(page)
}

/// `do_cow_fault()`: a write to a private file mapping gets its own copy.
#[inline(never)]
fn do_cow_fault(vmf: &VmFault) -> VmFaultReason {
    let pgdat = node();
    let (page, ret) = match __do_fault(vmf) {
        Ok(r) => r,
        Err(ret) => return ret,
    };
    let Some(new) = folio_prealloc(pgdat, Gfp::GFP_HIGHUSER_MOVABLE) else {
        __free_pages(pgdat, page, 0);
        return VmFaultReason::VM_FAULT_OOM;
    };
    pgdat
        .phys
        .copy_page(pgdat.page_to_pfn(new), pgdat.page_to_pfn(page));
    __free_pages(pgdat, page, 0);
    ret | map_new_anon_page(vmf, new)
}

/// `do_fault()`.
#[inline(never)]
fn do_fault(vmf: &VmFault) -> VmFaultReason {
    keep_frame(if !vmf.write() {
        do_read_fault(vmf)
    } else if vmf.vma.vm_flags.contains(VmFlags::VM_SHARED) {
        do_shared_fault(vmf)
    } else {
        do_cow_fault(vmf)
    })
}

/// `do_wp_page()`: a write to a present read-only page of a writable
/// mapping: in a shared mapping the page itself becomes writable
/// (`wp_page_shared`); in a private one, reuse an anonymous page we alone
/// map, else copy.
#[inline(never)]
fn do_wp_page(vmf: &VmFault, pfn: u64, flags: PteFlags) -> VmFaultReason {
    let pgdat = node();
    if vmf.vma.vm_flags.contains(VmFlags::VM_SHARED) {
        return keep_frame(wp_page_shared(vmf, pfn, flags));
    }
    if pfn != zero_pfn() {
        let page = pgdat.pfn_to_page(pfn);
        if folio_test_anon(page) && wp_can_reuse_anon_folio(page) {
            // wp_page_reuse()
            ptep_modify(
                &vmf.mm.pgd,
                vmf.address,
                flags | PteFlags::_PAGE_RW | PteFlags::_PAGE_DIRTY,
            );
            return VmFaultReason::empty();
        }
    }
    wp_page_copy(vmf, pfn)
}

/// `do_wp_page()`'s test for reusing an anonymous page: only this
/// mapping holds it — once its swap-cache copy, if any, could be dropped.
fn wp_can_reuse_anon_folio(page: &Page) -> bool {
    let swapcache = i32::from(page.test(PageFlags::SWAPCACHE));
    if page.mapcount() != 1 || page.refcount() > 1 + swapcache {
        return false;
    }
    if swapcache == 1 {
        if !folio_trylock(page) {
            return false;
        }
        folio_free_swap(node(), page);
        folio_unlock(page);
    }
    page.refcount() == 1
}

/// `should_try_to_free_swap()`: after a swap-in, drop the swap copy when
/// swap is getting full, the page is locked in memory, or a write will
/// make the copy stale anyway and nobody else holds the page.
fn should_try_to_free_swap(page: &Page, vma: &VmAreaStruct, write: bool) -> bool {
    if !page.test(PageFlags::SWAPCACHE) {
        return false;
    }
    if mem_cgroup_swap_full(page)
        || vma.vm_flags.contains(VmFlags::VM_LOCKED)
        || page.test(PageFlags::MLOCKED)
    {
        return true;
    }
    write && page.refcount() == 2
}

/// `do_swap_page()`: the PTE holds a swap entry. The page comes from the
/// swap cache, or is read in with its neighbours (a major fault); the
/// slot loses this PTE's reference and the page is mapped again — for
/// writing at once if no one else can see it, else read-only with the
/// write going on to `do_wp_page`. A page whose read failed is SIGBUS.
#[inline(never)]
fn do_swap_page(vmf: &VmFault, raw: u64) -> VmFaultReason {
    let pgdat = node();
    let entry = pte_to_swp_entry(Pte(raw));
    if !swap_entry_valid(entry) {
        log::error!(
            "BUG: Bad page map in process {}  pte:{raw:016x} addr:{:#x}",
            crate::task::current().comm(),
            vmf.address
        );
        return VmFaultReason::VM_FAULT_SIGBUS;
    }
    let mut ret = VmFaultReason::empty();
    let page = match lookup_swap_cache(pgdat, entry) {
        Some(page) => page,
        None => {
            let Some(page) = swapin_readahead(pgdat, entry, Gfp::GFP_HIGHUSER_MOVABLE) else {
                // Somebody else mapped it meanwhile, or there is no memory.
                if ptep_get(&vmf.mm.pgd, vmf.address) != PteVal::Swap(raw) {
                    return ret;
                }
                return VmFaultReason::VM_FAULT_OOM;
            };
            ret = VmFaultReason::VM_FAULT_MAJOR;
            count_vm_events(VmEventItem::Pgmajfault, 1);
            count_memcg_event_mm(VmEventItem::Pgmajfault);
            page
        }
    };
    folio_lock(page);
    // The page may have left the swap cache, or the PTE changed, while
    // we slept: let the fault happen again.
    if !page.test(PageFlags::SWAPCACHE)
        || page.private() != entry.val
        || ptep_get(&vmf.mm.pgd, vmf.address) != PteVal::Swap(raw)
    {
        folio_unlock(page);
        __free_pages(pgdat, page, 0);
        return ret;
    }
    if !page.test(PageFlags::UPTODATE) {
        folio_unlock(page);
        __free_pages(pgdat, page, 0);
        return VmFaultReason::VM_FAULT_SIGBUS;
    }
    // Nobody else maps the page or refers to the slot.
    let exclusive = page.mapcount() == 0 && swp_swapcount(entry) == 1;
    swap_free(entry);
    if should_try_to_free_swap(page, vmf.vma, vmf.write()) {
        folio_free_swap(pgdat, page);
    }
    let writable = vmf.write() && (exclusive || page.refcount() == 1);
    folio_add_anon_rmap_pte(pgdat, page, vmf.mm.anon_root(), vmf.pgoff);
    let prot = vm_get_page_prot(vmf.vma, writable);
    // The table exists: the swap entry sat in it.
    let mapped = set_pte_at(&vmf.mm.pgd, vmf.address, pgdat.page_to_pfn(page), prot);
    debug_assert!(mapped.is_ok());
    vmf.mm.add_mm_counter(MmCounter::AnonPages, 1);
    vmf.mm.add_mm_counter(MmCounter::SwapEnts, -1);
    if vmf.vma.vm_flags.contains(VmFlags::VM_LOCKED) {
        mlock_folio(page);
    }
    folio_unlock(page);
    if vmf.write() && !writable {
        ret |= do_wp_page(vmf, pgdat.page_to_pfn(page), prot);
    }
    keep_frame(ret)
}

/// `unuse_pte()` (mm/swapfile.c): map `page`, read back for swapoff,
/// where the swap entry `raw` was — read-only, as a read fault would.
/// EIO if the page could not be read (the area then stays).
fn unuse_pte(
    mm: &MmStruct,
    vma: &VmAreaStruct,
    addr: u64,
    raw: u64,
    page: &'static Page,
) -> KResult<()> {
    let pgdat = node();
    if ptep_get(&mm.pgd, addr) != PteVal::Swap(raw) {
        return Ok(());
    }
    if !page.test(PageFlags::UPTODATE) {
        return Err(Errno::EIO);
    }
    let prot = vm_get_page_prot(vma, false) - PteFlags::_PAGE_ACCESSED;
    set_pte_at(&mm.pgd, addr, pgdat.page_to_pfn(page), prot)?;
    page.get();
    folio_add_anon_rmap_pte(pgdat, page, mm.anon_root(), vma.linear_page_index(addr));
    mm.add_mm_counter(MmCounter::SwapEnts, -1);
    mm.add_mm_counter(MmCounter::AnonPages, 1);
    if vma.vm_flags.contains(VmFlags::VM_LOCKED) {
        mlock_folio(page);
    }
    swap_free(pte_to_swp_entry(Pte(raw)));
    Ok(())
}

/// `unuse_mm()` → `unuse_vma()` → `unuse_pte_range()` (mm/swapfile.c):
/// bring back every page of area `type_` that `mm` has swapped out.
/// ENOMEM when one cannot be had (its memcg is full, or memory is).
#[inline(never)]
pub fn unuse_mm(mm: &MmStruct, type_: u32) -> KResult<()> {
    let pgdat = node();
    let locked = mm.mmap_lock.lock();
    for vma in locked.vmas.iter() {
        let mut addr = next_pte_table_addr(&mm.pgd, vma.vm_start);
        while addr < vma.vm_end {
            if let PteVal::Swap(raw) = ptep_get(&mm.pgd, addr) {
                let entry = pte_to_swp_entry(Pte(raw));
                if swp_type(entry) == type_ {
                    let page = lookup_swap_cache(pgdat, entry)
                        .or_else(|| swapin_readahead(pgdat, entry, Gfp::GFP_HIGHUSER_MOVABLE));
                    let Some(page) = page else {
                        if __swap_count(entry) == 0 {
                            addr = pte_walk_next(&mm.pgd, addr);
                            continue;
                        }
                        return Err(Errno::ENOMEM);
                    };
                    folio_lock(page);
                    folio_wait_writeback(page);
                    let ret = unuse_pte(mm, vma, addr, raw, page);
                    if ret.is_ok() {
                        folio_free_swap(pgdat, page);
                    }
                    folio_unlock(page);
                    __free_pages(pgdat, page, 0);
                    ret?;
                }
            }
            addr = pte_walk_next(&mm.pgd, addr);
        }
    }
    Ok(())
}

/// `wp_page_shared()` → `wp_page_reuse()`: the shared page is made
/// writable and dirty where it is.
#[inline(never)]
fn wp_page_shared(vmf: &VmFault, pfn: u64, flags: PteFlags) -> VmFaultReason {
    node().pfn_to_page(pfn).set(PageFlags::DIRTY);
    ptep_modify(
        &vmf.mm.pgd,
        vmf.address,
        flags | PteFlags::_PAGE_RW | PteFlags::_PAGE_DIRTY | PteFlags::_PAGE_ACCESSED,
    );
    VmFaultReason::empty()
}

/// `wp_page_copy()`: replace the mapped page (the zero page or a file
/// page) by a private anonymous copy.
#[inline(never)]
fn wp_page_copy(vmf: &VmFault, old_pfn: u64) -> VmFaultReason {
    let pgdat = node();
    let zero = old_pfn == zero_pfn();
    let gfp = Gfp::GFP_HIGHUSER_MOVABLE | if zero { Gfp::__GFP_ZERO } else { Gfp::empty() };
    let Some(new) = folio_prealloc(pgdat, gfp) else {
        return VmFaultReason::VM_FAULT_OOM;
    };
    if !zero {
        pgdat.phys.copy_page(pgdat.page_to_pfn(new), old_pfn);
    }
    ptep_get_and_clear(&vmf.mm.pgd, vmf.address);
    if !zero {
        put_mapped_page(vmf.mm, pgdat.pfn_to_page(old_pfn));
    }
    map_new_anon_page(vmf, new)
}

/// `mm_counter_file()`: a file page counts as shmem when it is
/// swap-backed (tmpfs, shared anonymous memory), else as a file page.
pub fn mm_counter_file(page: &Page) -> MmCounter {
    if page.test(PageFlags::SWAPBACKED) {
        MmCounter::ShmemPages
    } else {
        MmCounter::FilePages
    }
}

/// `mm_counter()`: the RSS counter a mapped page is counted in.
pub fn mm_counter(page: &Page) -> MmCounter {
    if folio_test_anon(page) {
        MmCounter::AnonPages
    } else {
        mm_counter_file(page)
    }
}

/// `free_swap_cache()`: an anonymous page nobody maps any more loses its
/// swap copy, which only a later swap-in would have used.
fn free_swap_cache(page: &Page) {
    if page.test(PageFlags::SWAPCACHE) && page.mapcount() == 0 && folio_trylock(page) {
        folio_free_swap(node(), page);
        folio_unlock(page);
    }
}

/// Drop one mapping of a page: rmap, RSS counter, mlock state, reference
/// (`free_page_and_swap_cache` for a swap-cache page).
fn put_mapped_page(mm: &MmStruct, page: &'static Page) {
    let pgdat = node();
    let counter = mm_counter(page);
    folio_remove_rmap_pte(pgdat, page);
    if page.mapcount() == 0 {
        munlock_folio(page);
    }
    free_swap_cache(page);
    mm.add_mm_counter(counter, -1);
    __free_pages(pgdat, page, 0);
}

/// Keeps the caller's frame (no tail call), so that backtraces show every
/// function of Linux's chain.
fn keep_frame(ret: VmFaultReason) -> VmFaultReason {
    core::hint::black_box(());
    ret
}

/// `handle_pte_fault()`.
#[inline(never)]
fn handle_pte_fault(vmf: &VmFault) -> VmFaultReason {
    let ret = match ptep_get(&vmf.mm.pgd, vmf.address) {
        PteVal::None if vmf.vma.is_anonymous() => do_anonymous_page(vmf),
        PteVal::None => do_fault(vmf),
        PteVal::Swap(raw) => do_swap_page(vmf, raw),
        PteVal::Present(pfn, flags) if vmf.write() && !flags.contains(PteFlags::_PAGE_RW) => {
            do_wp_page(vmf, pfn, flags)
        }
        PteVal::Present(_, flags) => {
            // Present and allowed (another path mapped it first): just
            // mark it young, and dirty on a write.
            let mut f = flags | PteFlags::_PAGE_ACCESSED;
            if vmf.write() {
                f |= PteFlags::_PAGE_DIRTY;
            }
            ptep_modify(&vmf.mm.pgd, vmf.address, f);
            VmFaultReason::empty()
        }
    };
    keep_frame(ret)
}

/// `__handle_mm_fault()`.
#[inline(never)]
fn __handle_mm_fault(
    mm: &MmStruct,
    vma: &VmAreaStruct,
    address: u64,
    flags: FaultFlags,
) -> VmFaultReason {
    let address = address & !(PAGE_SIZE - 1);
    let vmf = VmFault {
        mm,
        vma,
        address,
        flags,
        pgoff: vma.linear_page_index(address),
    };
    keep_frame(handle_pte_fault(&vmf))
}

/// `handle_mm_fault()`: resolve a fault on `address` inside `vma`.
#[inline(never)]
pub fn handle_mm_fault(
    mm: &MmStruct,
    vma: &VmAreaStruct,
    address: u64,
    flags: FaultFlags,
) -> VmFaultReason {
    count_vm_events(VmEventItem::Pgfault, 1);
    count_memcg_event_mm(VmEventItem::Pgfault);
    keep_frame(__handle_mm_fault(mm, vma, address, flags))
}

/// `copy_page_range()` → `copy_pte_range()` → `copy_present_pte()`:
/// fork's copy of `vma`'s page table from `src` into `dst`. Every mapped
/// page gains a mapping in the child; in a private writable mapping both
/// copies lose write access, so the first write copies (`do_wp_page`).
#[inline(never)]
pub fn copy_page_range(dst: &MmStruct, src: &MmStruct, vma: &VmAreaStruct) -> KResult<()> {
    let pgdat = node();
    let cow =
        !vma.vm_flags.contains(VmFlags::VM_SHARED) && vma.vm_flags.contains(VmFlags::VM_MAYWRITE);
    let mut addr = next_pte_table_addr(&src.pgd, vma.vm_start);
    while addr < vma.vm_end {
        let pte = ptep_get(&src.pgd, addr);
        if let PteVal::Swap(raw) = pte {
            // copy_nonpresent_pte(): the child refers to the slot too.
            let entry = pte_to_swp_entry(Pte(raw));
            swap_duplicate(entry)?;
            if let Err(e) = set_swp_pte_at(&dst.pgd, addr, raw) {
                swap_free(entry);
                return Err(e);
            }
            dst.add_mm_counter(MmCounter::SwapEnts, 1);
        }
        if let PteVal::Present(pfn, mut flags) = pte {
            if cow && flags.contains(PteFlags::_PAGE_RW) {
                flags.remove(PteFlags::_PAGE_RW);
                ptep_modify(&src.pgd, addr, flags);
            }
            set_pte_at(&dst.pgd, addr, pfn, flags - PteFlags::_PAGE_ACCESSED)?;
            if pfn != zero_pfn() {
                let page = pgdat.pfn_to_page(pfn);
                page.get();
                folio_dup_rmap_pte(pgdat, page);
                dst.add_mm_counter(mm_counter(page), 1);
            }
        }
        addr = pte_walk_next(&src.pgd, addr);
    }
    Ok(())
}

/// `unmap_vmas()` → `zap_pte_range()`: take the pages of [start, end)
/// out of the page table and drop their references; swap entries give
/// their slot reference back (`free_swap_and_cache`).
#[inline(never)]
pub fn unmap_vmas(mm: &MmStruct, start: u64, end: u64) {
    let pgdat = node();
    let mut addr = next_pte_table_addr(&mm.pgd, start);
    while addr < end {
        if let Some((pfn, _)) = ptep_get_and_clear(&mm.pgd, addr) {
            if pfn != zero_pfn() {
                put_mapped_page(mm, pgdat.pfn_to_page(pfn));
            }
        } else if let Some(raw) = swp_pte_clear(&mm.pgd, addr) {
            mm.add_mm_counter(MmCounter::SwapEnts, -1);
            free_swap_and_cache(pte_to_swp_entry(Pte(raw)));
        }
        addr = pte_walk_next(&mm.pgd, addr);
    }
}

/// `unmap_mapping_range()` with `even_cows` (truncation): take every page
/// at file index `first` or beyond out of each page table mapping
/// `mapping`, private copies in private mappings too, in every address
/// space. Takes each mm's `mmap_lock`, so the caller holds none.
#[inline(never)]
pub fn unmap_mapping_range(mapping: &AddressSpace, first: u64) {
    let mut mms: Vec<Arc<MmStruct>> = Vec::new();
    crate::task::for_each_process(|t| {
        if let Some(mm) = t.mm.lock_irqsave().clone()
            && !mms.iter().any(|m| Arc::ptr_eq(m, &mm))
        {
            mms.push(mm);
        }
    });
    for mm in mms {
        let locked = mm.mmap_lock.lock();
        for vma in locked.vmas.iter() {
            let Some(file) = &vma.vm_file else {
                continue;
            };
            // unmap_mapping_range_tree() → unmap_mapping_range_vma()
            let last = vma.vm_pgoff + (vma.len() >> PAGE_SHIFT);
            if !core::ptr::eq(&*file.mapping, mapping) || last <= first {
                continue;
            }
            let start = vma.vm_start + (first.saturating_sub(vma.vm_pgoff) << PAGE_SHIFT);
            unmap_vmas(&mm, start, vma.vm_end);
        }
    }
}

/// The next address a walk over a range's PTEs looks at after `addr`:
/// the next page, or, where a PTE table ends, the first address with a
/// table, past the upper-level entries that are empty (Linux's
/// `p?d_none_or_clear_bad()` skips). A walk thus costs what is mapped,
/// not the size of the range: a heap grown by 32 TiB holds a few pages.
pub fn pte_walk_next(pgd: &Pgd, addr: u64) -> u64 {
    let next = addr + PAGE_SIZE;
    if next.is_multiple_of(1 << 21) {
        next_pte_table_addr(pgd, next)
    } else {
        next
    }
}

/// `populate_vma_page_range()`: fault in every page of [start, end), for
/// writing where the mapping is writable and private (MAP_POPULATE, mlock).
pub fn populate_vma_page_range(
    mm: &MmStruct,
    vma: &VmAreaStruct,
    start: u64,
    end: u64,
) -> KResult<()> {
    let write =
        vma.vm_flags.contains(VmFlags::VM_WRITE) && !vma.vm_flags.contains(VmFlags::VM_SHARED);
    let flags = if write {
        FaultFlags::FAULT_FLAG_WRITE
    } else {
        FaultFlags::empty()
    };
    let mut addr = start;
    while addr < end {
        let present = pte_get(&mm.pgd, addr);
        let needs_fault = match present {
            None => true,
            Some((_, f)) => write && !f.contains(PteFlags::_PAGE_RW),
        };
        if needs_fault {
            let ret = handle_mm_fault(mm, vma, addr, flags);
            if ret.contains(VmFaultReason::VM_FAULT_OOM) {
                return Err(Errno::ENOMEM);
            }
            if ret.intersects(VmFaultReason::VM_FAULT_SIGBUS | VmFaultReason::VM_FAULT_SIGSEGV) {
                return Err(Errno::EFAULT);
            }
        } else if vma.vm_flags.contains(VmFlags::VM_LOCKED)
            && let Some((pfn, _)) = present
            && pfn != zero_pfn()
        {
            mlock_folio(node().pfn_to_page(pfn));
        }
        addr += PAGE_SIZE;
    }
    Ok(())
}

/// Clear the mlock state of the pages of a range that stops being locked.
pub fn munlock_vma_pages_range(mm: &MmStruct, start: u64, end: u64) {
    let mut addr = next_pte_table_addr(&mm.pgd, start);
    while addr < end {
        if let Some((pfn, _)) = pte_get(&mm.pgd, addr)
            && pfn != zero_pfn()
        {
            munlock_folio(node().pfn_to_page(pfn));
        }
        addr = pte_walk_next(&mm.pgd, addr);
    }
}

/// `access_remote_vm()` for reading (`get_user_pages_remote` +
/// copy): up to `buf.len()` bytes at `addr` in `mm`, which need not be
/// the running one, faulting missing pages in as a read would; stops at
/// the first address no VMA maps. Returns the bytes copied (/proc/PID/
/// cmdline and environ). Caller holds mmap_lock.
pub fn access_remote_vm(
    mm: &MmStruct,
    vmas: &super::mmap::VmaTree,
    addr: u64,
    buf: &mut [u8],
) -> usize {
    let pgdat = node();
    let mut done = 0;
    while done < buf.len() {
        let at = addr + done as u64;
        let offset = (at % PAGE_SIZE) as usize;
        let n = (PAGE_SIZE as usize - offset).min(buf.len() - done);
        let Some(vma) = vmas.vma_lookup(at) else {
            break;
        };
        if pte_get(&mm.pgd, at).is_none() {
            let ret = handle_mm_fault(mm, vma, at, FaultFlags::FAULT_FLAG_REMOTE);
            if !ret.difference(VmFaultReason::VM_FAULT_MAJOR).is_empty() {
                break;
            }
        }
        let Some((pfn, _)) = pte_get(&mm.pgd, at) else {
            break;
        };
        pgdat
            .phys
            .copy_from_page(pfn, offset, &mut buf[done..done + n]);
        done += n;
    }
    done
}

/// `access_remote_vm()` for writing: store `data` at `addr` in `mm`
/// (which need not be the running one), faulting pages in as a write
/// would. Used to build a new program's stack. Caller holds mmap_lock.
pub fn access_remote_vm_write(
    mm: &MmStruct,
    vmas: &super::mmap::VmaTree,
    addr: u64,
    data: &[u8],
) -> KResult<()> {
    let pgdat = node();
    let mut done = 0;
    while done < data.len() {
        let at = addr + done as u64;
        let offset = (at % PAGE_SIZE) as usize;
        let n = (PAGE_SIZE as usize - offset).min(data.len() - done);
        let vma = vmas.vma_lookup(at).ok_or(Errno::EFAULT)?;
        let writable = pte_get(&mm.pgd, at).is_some_and(|(_, f)| f.contains(PteFlags::_PAGE_RW));
        if !writable {
            let ret = handle_mm_fault(
                mm,
                vma,
                at,
                FaultFlags::FAULT_FLAG_WRITE | FaultFlags::FAULT_FLAG_REMOTE,
            );
            if !ret.difference(VmFaultReason::VM_FAULT_MAJOR).is_empty() {
                return Err(Errno::EFAULT);
            }
        }
        let (pfn, _) = pte_get(&mm.pgd, at).ok_or(Errno::EFAULT)?;
        pgdat.phys.copy_to_page(pfn, offset, &data[done..done + n]);
        done += n;
    }
    Ok(())
}
