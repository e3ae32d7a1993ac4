//! Reverse-mapping bookkeeping (mm/rmap.c): map counts and the node
//! counters that follow them. An anonymous page records the mm that
//! faulted it and its linear page index in the VMA (`mapping` = mm id |
//! PAGE_MAPPING_ANON, `index` = `linear_page_index`, which is the
//! address >> PAGE_SHIFT until mremap moves the VMA, keeping its
//! `vm_pgoff`); an mm's `anon_lineage` lists the ids it inherited
//! (Linux's anon_vma chain), and each id has an anon_vma: the mms whose
//! lineage holds it. A walk visits those mms only and finds the page at
//! its linear index, or where a VMA's `vm_pgoff` range holds its index
//! (`vma_address`), if the page table still maps it there. A file page is
//! found through its file's mappings in every process (no `i_mmap`).

use core::sync::atomic::Ordering::Relaxed;

use super::memcontrol::lruvec_stat_mod_folio;
use super::mmzone::{NodeStatItem, PglistData};
use super::page::{PAGE_MAPPING_ANON, Page};

/// `folio_add_new_anon_rmap()`: a freshly allocated anonymous page gets
/// its first mapping.
#[inline(never)]
pub fn folio_add_new_anon_rmap(pgdat: &PglistData, page: &Page, mm_id: u64, index: u64) {
    page.mapping.store(mm_id | PAGE_MAPPING_ANON, Relaxed);
    page.index.store(index, Relaxed);
    let first = page.inc_mapcount();
    debug_assert!(first, "new anonymous page already mapped");
    lruvec_stat_mod_folio(pgdat, page, NodeStatItem::NrAnonMapped, 1);
}

/// `folio_add_anon_rmap_pte()`: a page back from swap is mapped at
/// linear index `index` of a VMA of an mm whose lineage's oldest id is
/// `root`. A page that lost its anonymous mapping (one read in by swap
/// readahead never had one) takes the root, which every mm of the
/// lineage may map (Linux's `vma->anon_vma->root` for a page that is not
/// exclusive).
#[inline(never)]
pub fn folio_add_anon_rmap_pte(pgdat: &PglistData, page: &Page, root: u64, index: u64) {
    if page.inc_mapcount() {
        if !folio_test_anon(page) {
            page.mapping.store(root | PAGE_MAPPING_ANON, Relaxed);
            page.index.store(index, Relaxed);
        }
        lruvec_stat_mod_folio(pgdat, page, NodeStatItem::NrAnonMapped, 1);
    }
}

/// `folio_dup_file_rmap_pte()` / `folio_try_dup_anon_rmap_pte()`: fork
/// copied a mapping of `page`.
#[inline(never)]
pub fn folio_dup_rmap_pte(pgdat: &PglistData, page: &Page) {
    if folio_test_anon(page) {
        page.inc_mapcount();
    } else {
        folio_add_file_rmap_pte(pgdat, page);
    }
}

/// `folio_add_file_rmap_pte()`.
#[inline(never)]
pub fn folio_add_file_rmap_pte(pgdat: &PglistData, page: &Page) {
    if page.inc_mapcount() {
        lruvec_stat_mod_folio(pgdat, page, NodeStatItem::NrFileMapped, 1);
    }
}

/// `folio_remove_rmap_pte()`: one mapping fewer; the node counter drops
/// with the last one.
#[inline(never)]
pub fn folio_remove_rmap_pte(pgdat: &PglistData, page: &Page) {
    if page.dec_mapcount() {
        let anon = page.mapping.load(Relaxed) & PAGE_MAPPING_ANON != 0;
        let item = if anon {
            NodeStatItem::NrAnonMapped
        } else {
            NodeStatItem::NrFileMapped
        };
        lruvec_stat_mod_folio(pgdat, page, item, -1);
    }
}

/// `folio_test_anon()`.
pub fn folio_test_anon(page: &Page) -> bool {
    page.mapping.load(Relaxed) & PAGE_MAPPING_ANON != 0
}

/// Linux's `anon_vma`s, one an mm id here: the mms whose lineage holds
/// the id (the mm and its fork descendants), which are the only ones
/// that may map an anonymous page whose `mapping` is the id. Weak: an mm
/// leaves in its teardown (`unlink_anon_vmas`).
#[cfg(target_os = "none")]
static ANON_VMAS: crate::sync::SpinLock<
    alloc::collections::BTreeMap<
        u64,
        alloc::vec::Vec<alloc::sync::Weak<super::mm_types::MmStruct>>,
    >,
> = crate::sync::SpinLock::new(alloc::collections::BTreeMap::new());

/// `anon_vma_fork()` / `anon_vma_prepare()`: a new mm joins the anon_vma
/// of every id of its lineage.
#[cfg(target_os = "none")]
pub fn anon_vma_fork(mm: &alloc::sync::Arc<super::mm_types::MmStruct>) {
    let mut anon_vmas = ANON_VMAS.lock_irqsave();
    for id in &mm.anon_lineage {
        anon_vmas
            .entry(*id)
            .or_default()
            .push(alloc::sync::Arc::downgrade(mm));
    }
}

/// `unlink_anon_vmas()`: a dying mm leaves them; an anon_vma with no mm
/// left goes.
#[cfg(target_os = "none")]
pub fn unlink_anon_vmas(mm: &super::mm_types::MmStruct) {
    let mut anon_vmas = ANON_VMAS.lock_irqsave();
    for id in &mm.anon_lineage {
        if let Some(mms) = anon_vmas.get_mut(id) {
            mms.retain(|w| !core::ptr::eq(w.as_ptr(), mm));
            if mms.is_empty() {
                anon_vmas.remove(id);
            }
        }
    }
}

/// The mms that may map `page`: for an anonymous page its anon_vma's
/// (`rmap_walk_anon`), for a file page every process's (tinymm keeps no
/// `i_mmap` tree). The first apart, so that the usual anon_vma of one mm
/// allocates nothing.
#[cfg(target_os = "none")]
fn rmap_mms(page: &Page) -> impl Iterator<Item = alloc::sync::Arc<super::mm_types::MmStruct>> {
    use alloc::sync::{Arc, Weak};
    use alloc::vec::Vec;

    let mapping = page.mapping.load(Relaxed);
    let mut first: Option<Arc<super::mm_types::MmStruct>> = None;
    let mut rest = Vec::new();
    let mut add = |mm: Arc<super::mm_types::MmStruct>| {
        if first.is_none() {
            first = Some(mm);
        } else {
            rest.push(mm);
        }
    };
    if folio_test_anon(page) {
        // Upgraded under the lock, dropped after it: the last reference
        // of an mm unlinks it, which takes the lock.
        if let Some(mms) = ANON_VMAS
            .lock_irqsave()
            .get(&(mapping & !PAGE_MAPPING_ANON))
        {
            mms.iter().filter_map(Weak::upgrade).for_each(&mut add);
        }
    } else {
        let mut seen: Vec<Arc<super::mm_types::MmStruct>> = Vec::new();
        crate::task::for_each_process(|t| {
            if let Some(mm) = t.mm.lock_irqsave().as_ref()
                && !seen.iter().any(|m| Arc::ptr_eq(m, mm))
            {
                seen.push(mm.clone());
            }
        });
        seen.into_iter().for_each(&mut add);
    }
    first.into_iter().chain(rest)
}

/// Every place `page` is mapped: (mm, its VMAs, address, PTE flags),
/// found from `mapping`/`index` (`rmap_walk_anon` / `rmap_walk_file`)
/// and checked in the page table (`page_vma_mapped_walk`). A mm whose
/// `mmap_lock` is held (the reclaiming task's own, in a fault) is skipped
/// and reported as busy through the bool.
#[cfg(target_os = "none")]
fn rmap_walk(
    page: &Page,
    mut visit: impl FnMut(
        &alloc::sync::Arc<super::mm_types::MmStruct>,
        &super::mmap::VmaTree,
        u64,
        crate::arch::x86_64::pgtable::PteFlags,
    ),
) -> bool {
    use super::page::PAGE_SHIFT;
    use crate::arch::x86_64::pgtable::pte_get;

    let mapping = page.mapping.load(Relaxed);
    let index = page.index.load(Relaxed);
    let anon = folio_test_anon(page);
    let pfn = super::mmzone::node_data(0).page_to_pfn(page);
    let mut complete = true;
    for mm in rmap_mms(page) {
        let Some(locked) = mm.mmap_lock.try_lock() else {
            complete = false;
            continue;
        };
        let vmas = &locked.vmas;
        // An anonymous page is mapped once in an mm at most, most often
        // where it was faulted in: at its linear index, until mremap
        // moved its VMA (what Linux's anon_vma interval tree finds first).
        if anon
            && let Some((p, pte)) = pte_get(&mm.pgd, index << PAGE_SHIFT)
            && p == pfn
        {
            visit(&mm, vmas, index << PAGE_SHIFT, pte);
            continue;
        }
        for vma in vmas.iter() {
            let pages = vma.len() >> PAGE_SHIFT;
            if index < vma.vm_pgoff || index >= vma.vm_pgoff + pages {
                continue;
            }
            if !anon
                && !vma
                    .vm_file
                    .as_ref()
                    .is_some_and(|file| file.mapping.id() == mapping)
            {
                continue;
            }
            // A fork relative maps an anonymous page only where it did
            // not copy it.
            let addr = vma.vm_start + ((index - vma.vm_pgoff) << PAGE_SHIFT);
            if let Some((p, pte)) = pte_get(&mm.pgd, addr)
                && p == pfn
            {
                visit(&mm, vmas, addr, pte);
            }
        }
    }
    complete
}

/// `folio_referenced()`: accessed bits of every mapping, tested and
/// cleared; and whether one of the mappings that had it is executable
/// (`pra->vm_flags`). With a `memcg` (cgroup reclaim), mappings of mms
/// owned outside its subtree are skipped (`invalid_folio_referenced_vma`;
/// asked only of young mappings, the only ones it can change).
#[cfg(target_os = "none")]
#[inline(never)]
pub fn folio_referenced(page: &Page, memcg: Option<&super::memcontrol::MemCgroup>) -> (u32, bool) {
    use crate::arch::x86_64::pgtable::{PteFlags, ptep_test_and_clear_young};

    let mut referenced = 0;
    let mut exec = false;
    rmap_walk(page, |mm, vmas, addr, pte| {
        if !pte.contains(PteFlags::_PAGE_ACCESSED) {
            return;
        }
        // mm_match_cgroup()
        if let Some(memcg) = memcg
            && !mm
                .owner()
                .and_then(|owner| super::memcontrol::mem_cgroup_from_task(&owner))
                .is_some_and(|m| m.is_descendant(memcg))
        {
            return;
        }
        if ptep_test_and_clear_young(&mm.pgd, addr) {
            referenced += 1;
            exec |= vmas
                .vma_lookup(addr)
                .is_some_and(|v| v.vm_flags.contains(super::mmap::VmFlags::VM_EXEC));
        }
    });
    (referenced, exec)
}

/// `try_to_unmap()` → `try_to_unmap_one()`: take the page out of every
/// page table mapping it. A dirty PTE dirties the page. An anonymous page
/// must be in the swap cache: each PTE becomes its swap entry (one more
/// reference on the slot, `MM_SWAPENTS` for `MM_ANONPAGES`).
#[cfg(target_os = "none")]
#[inline(never)]
pub fn try_to_unmap(page: &Page) -> bool {
    use super::page::PageFlags;
    use super::swapfile::swap_duplicate;
    use super::swapops::{SwpEntry, swp_entry_to_pte};
    use crate::arch::x86_64::pgtable::{PteFlags, ptep_get_and_clear, set_pte_at, set_swp_pte_at};
    use crate::mm::mm_types::MmCounter;

    let pgdat = super::mmzone::node_data(0);
    let pfn = pgdat.page_to_pfn(page);
    let anon = folio_test_anon(page);
    if anon && !page.test(PageFlags::SWAPCACHE) {
        return false;
    }
    let entry = SwpEntry {
        val: page.private(),
    };
    let mut failed = false;
    let complete = rmap_walk(page, |mm, vmas, addr, _| {
        if failed {
            return;
        }
        if vmas
            .vma_lookup(addr)
            .is_some_and(|v| v.vm_flags.contains(super::mmap::VmFlags::VM_LOCKED))
        {
            failed = true;
            return;
        }
        let Some((_, pteval)) = ptep_get_and_clear(&mm.pgd, addr) else {
            return;
        };
        if pteval.contains(PteFlags::_PAGE_DIRTY) {
            page.set(PageFlags::DIRTY);
        }
        if anon {
            // The table is there (the page was mapped through it), so
            // writing the swap entry needs no memory.
            if swap_duplicate(entry).is_err() {
                let _ = set_pte_at(&mm.pgd, addr, pfn, pteval);
                failed = true;
                return;
            }
            let written = set_swp_pte_at(&mm.pgd, addr, swp_entry_to_pte(entry).pte_val());
            debug_assert!(written.is_ok());
            mm.add_mm_counter(MmCounter::AnonPages, -1);
            mm.add_mm_counter(MmCounter::SwapEnts, 1);
        } else {
            mm.add_mm_counter(crate::mm::memory::mm_counter(page), -1);
        }
        folio_remove_rmap_pte(pgdat, page);
        super::page_alloc::__free_pages(pgdat, page, 0);
    });
    complete && !failed && page.mapcount() == 0
}
