//! The page cache (mm/filemap.c): each file's `address_space` maps page
//! indexes to frames holding the file's data, read in from its backing
//! store on first use and kept until reclaim or `drop_caches` drops them.
//!
//! Two kinds of files have one: those with `address_space_operations`
//! ([`AddressSpaceOperations`]: ext2 on a disk, and the initramfs image,
//! a read-only "block device" in memory), whose pages are read by
//! `read_folio` and are always clean, and tmpfs files (mm/shmem.rs,
//! Linux's `shmem_aops`), whose pages are the only copy of their data:
//! swap-backed, on the anonymous LRU lists, never dropped. A page is
//! added to the cache locked and not up to date, then read, as Linux's
//! `filemap_read_folio` does: a second reader sleeps on the page lock
//! instead of reading it again. Reads and faults of files whose device
//! has a readahead window go through mm/readahead.rs (`filemap_read`'s
//! `page_cache_sync_ra`/`page_cache_async_ra`, `filemap_fault`'s
//! `do_sync_mmap_readahead`/`do_async_mmap_readahead`). Reclaim leaves a
//! shadow entry where it evicts a page (mm/workingset.rs). Left out:
//! writeback, large folios.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::Ordering::Relaxed;

use super::gfp::Gfp;
use super::memcontrol::MemCgroup;
use super::memcontrol::{lruvec_stat_mod_folio, mem_cgroup_charge};
use super::mmzone::{NodeStatItem, PglistData};
use super::page::PageFlags;
use super::page::{PAGE_SHIFT, PAGE_SIZE, Page};
use super::page_alloc::{__alloc_pages, __free_pages};
use super::readahead::{FileRaState, page_cache_async_ra, page_cache_sync_ra};
use super::shmem::{Sgp, ShmemMapping, shmem_evict_mapping, shmem_file_read, shmem_get_folio};
use super::swap::{folio_add_lru, folio_mark_accessed, folio_rotate_reclaimable};
use super::workingset::{workingset_eviction, workingset_refault};
use crate::sync::SpinLock;
use crate::task::wait::WaitQueueHead;
use crate::uapi::errno::{Errno, KResult};

/// `struct address_space_operations` with the `host` inode it serves:
/// how the pages of one file are read from its backing store.
pub trait AddressSpaceOperations: Send + Sync {
    /// `i_size_read(mapping->host)`.
    fn i_size(&self) -> u64;
    /// `read_folio`: fill the locked `page` with the file's bytes at page
    /// `index`, zeroes past the end of the file and in holes; EIO if the
    /// store cannot be read. The caller marks it up to date.
    fn read_folio(&self, pgdat: &PglistData, page: &'static Page, index: u64) -> KResult<()>;
    /// Whether the host is a block device (`S_ISBLK(mapping->host->i_mode)`):
    /// its pages are the file systems' metadata, "Buffers" in meminfo.
    fn is_bdev(&self) -> bool {
        false
    }
    /// The backing device's readahead window in pages (`bdi->ra_pages`):
    /// 0 reads page by page.
    fn ra_pages(&self) -> u64 {
        0
    }
    /// `readahead`: start reading the locked, new pages of a readahead
    /// window, in index order; each is marked up to date (or not, on an
    /// error) and unlocked when its read ends, maybe later from a bio's
    /// completion. By default one `read_folio` after another.
    fn readahead(&self, pgdat: &PglistData, batch: &[(u64, &'static Page)]) {
        for &(index, page) in batch {
            if self.read_folio(pgdat, page, index).is_ok() {
                page.set(PageFlags::UPTODATE);
            }
            folio_unlock(page);
        }
    }
}

/// The initramfs image's bytes as a file's backing store.
struct ImageAops(&'static [u8]);

impl AddressSpaceOperations for ImageAops {
    fn i_size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_folio(&self, pgdat: &PglistData, page: &'static Page, index: u64) -> KResult<()> {
        let pfn = pgdat.page_to_pfn(page);
        let start = ((index << PAGE_SHIFT) as usize).min(self.0.len());
        let end = (start + PAGE_SIZE as usize).min(self.0.len());
        if end - start < PAGE_SIZE as usize {
            pgdat.phys.clear_page(pfn);
        }
        pgdat.phys.copy_to_page(pfn, 0, &self.0[start..end]);
        Ok(())
    }
}

/// Where a file's data come from.
pub enum Backing {
    /// `a_ops`: pages are read from a store and are clean.
    Aops(Arc<dyn AddressSpaceOperations>),
    /// tmpfs: the pages are the data (`shmem_aops`).
    Shmem(ShmemMapping),
}

/// `struct address_space`.
pub struct AddressSpace {
    /// `i_pages`: page index → pfn. The cache holds one reference on each.
    pub(super) i_pages: SpinLock<BTreeMap<u64, u64>>,
    /// Shadow entries of evicted pages (mm/workingset.rs), by index;
    /// Linux keeps them in `i_pages` as value entries.
    shadows: SpinLock<BTreeMap<u64, u64>>,
    pub(super) backing: Backing,
    node: &'static PglistData,
}

/// Every live address space with `a_ops`, for `drop_caches` and for
/// reclaim to find a page's file (Linux walks the superblocks' inode
/// lists and follows `folio->mapping`). Weak: a file's mapping goes
/// with its inode.
static MAPPINGS: SpinLock<Vec<Weak<AddressSpace>>> = SpinLock::new(Vec::new());

impl AddressSpace {
    /// A file of the initramfs image, whose bytes are `backing`.
    pub fn new(node: &'static PglistData, backing: &'static [u8]) -> Arc<Self> {
        Self::new_aops(node, Arc::new(ImageAops(backing)))
    }

    /// A file read through `a_ops` (`inode_init_always` + `i_data`).
    pub fn new_aops(
        node: &'static PglistData,
        a_ops: Arc<dyn AddressSpaceOperations>,
    ) -> Arc<Self> {
        let mapping = Arc::new(Self {
            i_pages: SpinLock::new(BTreeMap::new()),
            shadows: SpinLock::new(BTreeMap::new()),
            backing: Backing::Aops(a_ops),
            node,
        });
        let mut all = MAPPINGS.lock_irqsave();
        all.retain(|m| m.strong_count() != 0);
        all.push(Arc::downgrade(&mapping));
        mapping
    }

    /// A tmpfs file's mapping. It is not on the `drop_caches` list, and
    /// its pages go when the last reference to it does.
    pub fn new_shmem(node: &'static PglistData, shmem: ShmemMapping) -> Arc<Self> {
        Arc::new(Self {
            i_pages: SpinLock::new(BTreeMap::new()),
            shadows: SpinLock::new(BTreeMap::new()),
            backing: Backing::Shmem(shmem),
            node,
        })
    }

    /// `i_size_read()`.
    pub fn size(&self) -> u64 {
        match &self.backing {
            Backing::Aops(a) => a.i_size(),
            Backing::Shmem(s) => s.i_size.load(Relaxed),
        }
    }

    /// The tmpfs side of a tmpfs file's mapping.
    pub fn shmem(&self) -> Option<&ShmemMapping> {
        match &self.backing {
            Backing::Shmem(s) => Some(s),
            Backing::Aops(_) => None,
        }
    }

    /// `ra_pages` of the file's device.
    pub fn ra_pages(&self) -> u64 {
        match &self.backing {
            Backing::Aops(a) => a.ra_pages(),
            Backing::Shmem(_) => 0,
        }
    }

    /// `aops->readahead` of a batch of new, locked pages.
    pub(super) fn readahead(&self, batch: &[(u64, &'static Page)]) {
        if let Backing::Aops(a) = &self.backing {
            a.readahead(self.node, batch);
        }
    }

    /// Whether a page (not a shadow) is cached at `index`.
    pub fn has_folio(&self, index: u64) -> bool {
        self.i_pages.lock_irqsave().contains_key(&index)
    }

    /// `mapping->nrpages`.
    pub fn nrpages(&self) -> u64 {
        self.i_pages.lock_irqsave().len() as u64
    }

    /// What `page->mapping` holds for a page of this file.
    pub fn id(&self) -> u64 {
        self as *const Self as u64
    }

    pub fn node(&self) -> &'static PglistData {
        self.node
    }
}

impl Drop for AddressSpace {
    /// The last reference to a file's mapping (its inode's, an open
    /// file's, a mapping's) takes its pages: `shmem_evict_inode` for
    /// tmpfs, `truncate_inode_pages_final` for the others.
    fn drop(&mut self) {
        if self.shmem().is_some() {
            shmem_evict_mapping(self);
        } else {
            truncate_inode_pages_final(self);
        }
    }
}

/// `folio_wait_table`: sleepers on a page's lock or writeback. Linux
/// hashes pages over 256 queues; one queue whose sleepers recheck their
/// own page does the same job on one CPU.
static FOLIO_WAIT_TABLE: WaitQueueHead = WaitQueueHead::new();

/// `folio_trylock()`: take PG_locked if it is free.
pub fn folio_trylock(page: &Page) -> bool {
    page.test_and_set(PageFlags::LOCKED)
}

/// `folio_lock()`: take PG_locked, sleeping (uninterruptibly) while
/// another holds it — a page being read in from swap is locked until the
/// read ends.
#[cfg(target_os = "none")]
#[inline(never)]
pub fn folio_lock(page: &Page) {
    if !folio_trylock(page) {
        FOLIO_WAIT_TABLE.wait_event_io(|| folio_trylock(page));
    }
}

/// `folio_lock()` in host tests, which run one task: nobody else can
/// hold the lock.
#[cfg(not(target_os = "none"))]
pub fn folio_lock(page: &Page) {
    assert!(folio_trylock(page), "a page locked by nobody's task");
}

/// `folio_unlock()`: release PG_locked and wake its sleepers. Callable
/// from a bio's completion (interrupt context).
pub fn folio_unlock(page: &Page) {
    debug_assert!(
        page.test(PageFlags::LOCKED),
        "folio_unlock of an unlocked page"
    );
    page.clear(PageFlags::LOCKED);
    FOLIO_WAIT_TABLE.wake_up();
}

/// `folio_wait_writeback()`: sleep until the page's write ends.
#[cfg(target_os = "none")]
pub fn folio_wait_writeback(page: &Page) {
    if page.test(PageFlags::WRITEBACK) {
        FOLIO_WAIT_TABLE.wait_event_io(|| !page.test(PageFlags::WRITEBACK));
    }
}

/// `folio_end_writeback()`: the write of a page ended (from a bio's
/// completion). A page written for reclaim goes to the tail of the
/// inactive list, to be freed by the next scan
/// (`folio_rotate_reclaimable`).
#[inline(never)]
pub fn folio_end_writeback(pgdat: &PglistData, page: &Page) {
    if page.test(PageFlags::RECLAIM) {
        page.clear(PageFlags::RECLAIM);
        folio_rotate_reclaimable(pgdat, page);
    }
    page.clear(PageFlags::WRITEBACK);
    lruvec_stat_mod_folio(pgdat, page, NodeStatItem::NrWriteback, -1);
    pgdat.mod_page_state(NodeStatItem::NrWritten, 1);
    FOLIO_WAIT_TABLE.wake_up();
}

/// `filemap_get_folio()`: the cached page at `index` with a reference
/// taken, or None.
pub fn filemap_get_folio(mapping: &AddressSpace, index: u64) -> Option<&'static Page> {
    let pages = mapping.i_pages.lock_irqsave();
    let page = mapping.node.pfn_to_page(*pages.get(&index)?);
    page.get();
    Some(page)
}

/// `__filemap_add_folio()`: charge the page to the reader's memcg (which
/// may reclaim, so before taking the cache's lock), then insert it.
#[inline(never)]
fn __filemap_add_folio(
    mapping: &AddressSpace,
    page: &'static Page,
    index: u64,
) -> KResult<Option<u64>> {
    mem_cgroup_charge(mapping.node, page, Gfp::GFP_HIGHUSER_MOVABLE)?;
    let mut pages = mapping.i_pages.lock_irqsave();
    if pages.contains_key(&index) {
        return Err(Errno::EEXIST);
    }
    pages.insert(index, mapping.node.page_to_pfn(page));
    page.mapping.store(mapping.id(), Relaxed);
    page.index.store(index, Relaxed);
    page.get();
    lruvec_stat_mod_folio(mapping.node, page, NodeStatItem::NrFilePages, 1);
    let shadow = mapping.shadows.lock_irqsave().remove(&index);
    core::hint::black_box(());
    Ok(shadow)
}

/// `filemap_add_folio()`: insert a new page at `index`. The cache keeps
/// the caller's reference and the caller gets another. EEXIST if another
/// page got there first, ENOMEM if the reader's memcg cannot take it.
#[inline(never)]
pub fn filemap_add_folio(mapping: &AddressSpace, page: &'static Page, index: u64) -> KResult<()> {
    // A page evicted only recently comes back active, as any page used
    // again soon.
    if let Some(shadow) = __filemap_add_folio(mapping, page, index)? {
        workingset_refault(mapping.node, page, shadow);
    }
    folio_add_lru(mapping.node, page);
    Ok(())
}

/// `filemap_read_folio()`: read the locked page at `index` and mark it
/// up to date; on an error it stays in the cache, not up to date, for
/// the next reader to try again, as in Linux.
fn filemap_read_folio(
    mapping: &AddressSpace,
    a_ops: &dyn AddressSpaceOperations,
    page: &'static Page,
    index: u64,
) -> KResult<()> {
    let ret = a_ops.read_folio(mapping.node, page, index);
    if ret.is_ok() {
        page.set(PageFlags::UPTODATE);
    }
    folio_unlock(page);
    ret
}

/// `filemap_update_page()`: a cached page that is not up to date is
/// being read by another task (its lock is waited for) or failed to read
/// (it is read again). True if this call read it.
fn filemap_update_page(
    mapping: &AddressSpace,
    a_ops: &dyn AddressSpaceOperations,
    page: &'static Page,
    index: u64,
) -> KResult<bool> {
    if page.test(PageFlags::UPTODATE) {
        return Ok(false);
    }
    folio_lock(page);
    if page.test(PageFlags::UPTODATE) {
        folio_unlock(page);
        return Ok(false);
    }
    filemap_read_folio(mapping, a_ops, page, index)?;
    Ok(true)
}

/// The page at `index`, read in if it is not cached; with a reference.
/// The bool is true when it had to be read (a major fault's I/O). A
/// tmpfs file's hole gets a new zeroed page (`shmem_get_folio` with
/// SGP_CACHE), which is no I/O. A page another task is reading is waited
/// for on its lock (`filemap_update_page`).
#[inline(never)]
pub fn __filemap_get_folio(mapping: &AddressSpace, index: u64) -> KResult<(&'static Page, bool)> {
    let a_ops = match &mapping.backing {
        Backing::Aops(a) => a.as_ref(),
        Backing::Shmem(_) => {
            let page = shmem_get_folio(mapping, index, Sgp::Cache)?.ok_or(Errno::EINVAL)?;
            return Ok((page, false));
        }
    };
    loop {
        if let Some(page) = filemap_get_folio(mapping, index) {
            return match filemap_update_page(mapping, a_ops, page, index) {
                Ok(read) => Ok((page, read)),
                Err(e) => {
                    __free_pages(mapping.node, page, 0);
                    Err(e)
                }
            };
        }
        let page =
            __alloc_pages(mapping.node, Gfp::GFP_HIGHUSER_MOVABLE, 0).ok_or(Errno::ENOMEM)?;
        page.set(PageFlags::LOCKED);
        match filemap_add_folio(mapping, page, index) {
            Ok(()) => {}
            // Someone else added the page first: use theirs.
            Err(Errno::EEXIST) => {
                page.clear(PageFlags::LOCKED);
                __free_pages(mapping.node, page, 0);
                continue;
            }
            Err(e) => {
                page.clear(PageFlags::LOCKED);
                __free_pages(mapping.node, page, 0);
                return Err(e);
            }
        }
        // The allocation's reference now belongs to the cache; the
        // caller's is the one filemap_add_folio took.
        if let Err(e) = filemap_read_folio(mapping, a_ops, page, index) {
            __free_pages(mapping.node, page, 0);
            return Err(e);
        }
        return Ok((page, true));
    }
}

/// `filemap_get_pages()` for one page of a read that ends before page
/// `last_index`: a miss starts readahead (`page_cache_sync_ra`), a
/// PG_readahead page the next window (`page_cache_async_ra`), and a
/// page still missing is read alone.
fn filemap_get_pages(
    mapping: &AddressSpace,
    ra: &mut FileRaState,
    index: u64,
    last_index: u64,
) -> KResult<&'static Page> {
    let Backing::Aops(a_ops) = &mapping.backing else {
        return Err(Errno::EINVAL);
    };
    let mut page = filemap_get_folio(mapping, index);
    if page.is_none() {
        page_cache_sync_ra(mapping, ra, index, last_index - index);
        page = filemap_get_folio(mapping, index);
    }
    let Some(page) = page else {
        return __filemap_get_folio(mapping, index).map(|(page, _)| page);
    };
    if page.test(PageFlags::READAHEAD) {
        page_cache_async_ra(mapping, ra, page, index, last_index - index);
    }
    if let Err(e) = filemap_update_page(mapping, a_ops.as_ref(), page, index) {
        __free_pages(mapping.node, page, 0);
        return Err(e);
    }
    Ok(page)
}

/// `MMAP_LOTSAMISS`: after this many faults that missed the cache, a
/// mapping is read page by page.
#[cfg(target_os = "none")]
const MMAP_LOTSAMISS: u32 = 100;

/// `do_sync_mmap_readahead()`: a fault missed the cache at `pgoff`.
/// Read around it: a window of `ra_pages` centred on it, its last
/// quarter ahead of the marker; MADV_SEQUENTIAL reads ahead instead,
/// MADV_RANDOM not at all.
#[cfg(target_os = "none")]
#[inline(never)]
fn do_sync_mmap_readahead(
    mapping: &AddressSpace,
    ra: &mut FileRaState,
    vm_flags: super::mmap::VmFlags,
    pgoff: u64,
) {
    if vm_flags.contains(super::mmap::VmFlags::VM_RAND_READ) || ra.ra_pages == 0 {
        return;
    }
    if vm_flags.contains(super::mmap::VmFlags::VM_SEQ_READ) {
        page_cache_sync_ra(mapping, ra, pgoff, ra.ra_pages);
        return;
    }
    if ra.mmap_miss < MMAP_LOTSAMISS * 10 {
        ra.mmap_miss += 1;
    }
    if ra.mmap_miss > MMAP_LOTSAMISS {
        return;
    }
    ra.start = pgoff.saturating_sub(ra.ra_pages / 2);
    ra.size = ra.ra_pages;
    ra.async_size = ra.ra_pages / 4;
    super::readahead::do_page_cache_ra(mapping, ra.start, ra.size, ra.async_size);
    core::hint::black_box(());
}

/// `do_async_mmap_readahead()`: a fault found the page; a hit counts
/// against `mmap_miss`, and a PG_readahead page starts the next window.
#[cfg(target_os = "none")]
fn do_async_mmap_readahead(
    mapping: &AddressSpace,
    ra: &mut FileRaState,
    vm_flags: super::mmap::VmFlags,
    page: &Page,
    pgoff: u64,
) {
    if vm_flags.contains(super::mmap::VmFlags::VM_RAND_READ) || ra.ra_pages == 0 {
        return;
    }
    ra.mmap_miss = ra.mmap_miss.saturating_sub(1);
    if page.test(PageFlags::READAHEAD) {
        page_cache_async_ra(mapping, ra, page, pgoff, ra.ra_pages);
    }
}

/// `filemap_fault()`: the file page for the fault, with a reference for
/// the mapping; read in if it was not cached (a major fault), with
/// readahead through the file's `f_ra`. A tmpfs file's page comes from
/// `shmem_fault`. A read error or a fault past the end is SIGBUS, a
/// memcg that cannot take the page OOM.
#[cfg(target_os = "none")]
#[inline(never)]
pub fn filemap_fault(
    vmf: &super::memory::VmFault,
) -> Result<(&'static Page, super::memory::VmFaultReason), super::memory::VmFaultReason> {
    use super::memcontrol::count_memcg_event_mm;
    use super::memory::VmFaultReason;
    use super::vmstat::{VmEventItem, count_vm_events};

    let file = vmf
        .vma
        .vm_file
        .as_ref()
        .ok_or(VmFaultReason::VM_FAULT_SIGBUS)?;
    let mapping = &file.mapping;
    if vmf.pgoff >= mapping.size().div_ceil(PAGE_SIZE) {
        return Err(VmFaultReason::VM_FAULT_SIGBUS);
    }
    let a_ops = match &mapping.backing {
        Backing::Aops(a) => a.as_ref(),
        Backing::Shmem(_) => {
            // `shmem_fault()`: no I/O; a full tmpfs is SIGBUS, a full memcg OOM.
            return match super::shmem::shmem_fault(mapping, vmf.pgoff) {
                Ok(page) => Ok((page, VmFaultReason::empty())),
                Err(Errno::ENOMEM) => Err(VmFaultReason::VM_FAULT_OOM),
                Err(_) => Err(VmFaultReason::VM_FAULT_SIGBUS),
            };
        }
    };
    let (vm_flags, pgoff) = (vmf.vma.vm_flags, vmf.pgoff);
    let mut ra = *file.f_ra.lock_irqsave();
    let ret = match filemap_get_folio(mapping, pgoff) {
        Some(page) => {
            do_async_mmap_readahead(mapping, &mut ra, vm_flags, page, pgoff);
            match filemap_update_page(mapping, a_ops, page, pgoff) {
                Ok(_) => Ok((page, VmFaultReason::empty())),
                Err(e) => {
                    __free_pages(mapping.node, page, 0);
                    Err(e)
                }
            }
        }
        None => {
            count_vm_events(VmEventItem::Pgmajfault, 1);
            count_memcg_event_mm(VmEventItem::Pgmajfault);
            do_sync_mmap_readahead(mapping, &mut ra, vm_flags, pgoff);
            __filemap_get_folio(mapping, pgoff)
                .map(|(page, _)| (page, VmFaultReason::VM_FAULT_MAJOR))
        }
    };
    *file.f_ra.lock_irqsave() = ra;
    ret.map_err(|e| match e {
        Errno::ENOMEM => VmFaultReason::VM_FAULT_OOM,
        _ => VmFaultReason::VM_FAULT_SIGBUS,
    })
}

/// The page-sized pieces of a read of `len` bytes at `pos` in a file of
/// `size` bytes: (page index, offset in the page, offset in the buffer,
/// length), stopping at the end of the file.
pub fn read_chunks(
    pos: u64,
    len: usize,
    size: u64,
) -> impl Iterator<Item = (u64, usize, usize, usize)> {
    let mut done = 0usize;
    core::iter::from_fn(move || {
        let at = pos + done as u64;
        if done >= len || at >= size {
            return None;
        }
        let (index, offset) = (at >> PAGE_SHIFT, (at % PAGE_SIZE) as usize);
        let n = (PAGE_SIZE as usize - offset)
            .min(len - done)
            .min((size - at) as usize);
        let chunk = (index, offset, done, n);
        done += n;
        Some(chunk)
    })
}

/// `filemap_read()`: copy file bytes at `pos` into `buf` through the page
/// cache, with readahead through `ra` (the file's `f_ra`; a reader
/// without a file gets a fresh state); returns the number of bytes (0 at
/// end of file). An error after some bytes were copied ends the read
/// short, as in Linux.
#[inline(never)]
pub fn filemap_read(
    mapping: &AddressSpace,
    ra: Option<&mut FileRaState>,
    pos: u64,
    buf: &mut [u8],
) -> KResult<usize> {
    if mapping.shmem().is_some() {
        return shmem_file_read(mapping, pos, buf);
    }
    let mut fresh = FileRaState::new(mapping);
    let ra = ra.unwrap_or(&mut fresh);
    let last_index = (pos + buf.len() as u64).div_ceil(PAGE_SIZE);
    let mut done = 0;
    for (index, offset, at, n) in read_chunks(pos, buf.len(), mapping.size()) {
        let page = match filemap_get_pages(mapping, ra, index, last_index) {
            Ok(page) => page,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        };
        let pfn = mapping.node.page_to_pfn(page);
        mapping
            .node
            .phys
            .copy_from_page(pfn, offset, &mut buf[at..at + n]);
        folio_mark_accessed(mapping.node, page);
        __free_pages(mapping.node, page, 0);
        done = at + n;
        ra.prev_pos = (pos + done as u64) as i64;
    }
    Ok(done)
}

/// `invalidate_mapping_pages()`: drop every cached page nobody else uses
/// (not mapped, no other reference); all pages are clean. The file's
/// shadow entries go too (Linux 6.1's `invalidate_exceptional_entry`),
/// and the pages it drops leave none: they were not reclaimed. Returns
/// how many were dropped.
pub fn invalidate_mapping_pages(mapping: &AddressSpace) -> u64 {
    if mapping.shmem().is_some() {
        // A tmpfs page is the only copy of its data (always dirty in
        // Linux, so `mapping_evict_folio` keeps it).
        return 0;
    }
    let mut dropped = 0;
    let mut pages = mapping.i_pages.lock_irqsave();
    mapping.shadows.lock_irqsave().clear();
    pages.retain(|_, &mut pfn| {
        let page = mapping.node.pfn_to_page(pfn);
        if page.mapcount() != 0 || page.refcount() != 1 {
            return true;
        }
        page.mapping.store(0, Relaxed);
        lruvec_stat_mod_folio(mapping.node, page, NodeStatItem::NrFilePages, -1);
        __free_pages(mapping.node, page, 0);
        dropped += 1;
        false
    });
    dropped
}

/// `__remove_mapping()`: take an isolated, unmapped, clean page out of
/// its file's cache or the swap cache if nobody but the cache and the
/// isolating caller holds it; the cache's reference is dropped (the
/// caller's remains). A swap-cache page leaves its slot behind, still
/// charged to the memcg's swap counter.
#[inline(never)]
pub fn __remove_mapping(pgdat: &PglistData, page: &Page, target: Option<&MemCgroup>) -> bool {
    if page.test(PageFlags::SWAPCACHE) {
        if page.refcount() != 2 || page.mapcount() != 0 || page.test(PageFlags::DIRTY) {
            return false;
        }
        let entry = super::swap_state::folio_swap_entry(page);
        let shadow = workingset_eviction(pgdat, page, target);
        super::memcontrol::swap::mem_cgroup_swapout(page, entry);
        super::swap_state::__delete_from_swap_cache(pgdat, page, entry, Some(shadow));
        super::swapfile::put_swap_folio(entry);
        __free_pages(pgdat, page, 0);
        core::hint::black_box(());
        return true;
    }
    let id = page.mapping.load(Relaxed);
    let Some(mapping) = MAPPINGS
        .lock_irqsave()
        .iter()
        .filter_map(Weak::upgrade)
        .find(|m| m.id() == id)
    else {
        return false;
    };
    let mut pages = mapping.i_pages.lock_irqsave();
    let index = page.index.load(Relaxed);
    if page.refcount() != 2
        || page.mapcount() != 0
        || pages.get(&index) != Some(&mapping.node.page_to_pfn(page))
    {
        return false;
    }
    pages.remove(&index);
    // Reclaim leaves a shadow where a page of the file LRU was.
    if !page.test(PageFlags::SWAPBACKED) {
        let shadow = workingset_eviction(pgdat, page, target);
        mapping.shadows.lock_irqsave().insert(index, shadow);
    }
    page.mapping.store(0, Relaxed);
    lruvec_stat_mod_folio(mapping.node, page, NodeStatItem::NrFilePages, -1);
    __free_pages(mapping.node, page, 0);
    true
}

/// `drop_pagecache_sb()` over every file: `echo 1 > /proc/sys/vm/drop_caches`.
pub fn drop_pagecache() -> u64 {
    let mappings: Vec<Arc<AddressSpace>> = MAPPINGS
        .lock_irqsave()
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    mappings.iter().map(|m| invalidate_mapping_pages(m)).sum()
}

/// `nr_blockdev_pages()`: the pages in block devices' page caches.
pub fn nr_blockdev_pages() -> u64 {
    MAPPINGS
        .lock_irqsave()
        .iter()
        .filter_map(Weak::upgrade)
        .filter(|m| matches!(&m.backing, Backing::Aops(a) if a.is_bdev()))
        .map(|m| m.nrpages())
        .sum()
}

/// `truncate_inode_pages_final()`: the inode is going; every page leaves
/// its cache (nobody maps them: a mapping holds the file). A page
/// reclaim has isolated keeps the isolator's reference and is freed
/// when it is put back.
fn truncate_inode_pages_final(mapping: &AddressSpace) {
    mapping.shadows.lock_irqsave().clear();
    let pages = core::mem::take(&mut *mapping.i_pages.lock_irqsave());
    for pfn in pages.into_values() {
        let page = mapping.node.pfn_to_page(pfn);
        // A page still being read is the bio's until the read ends.
        folio_lock(page);
        folio_unlock(page);
        page.mapping.store(0, Relaxed);
        lruvec_stat_mod_folio(mapping.node, page, NodeStatItem::NrFilePages, -1);
        __free_pages(mapping.node, page, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::mmzone::ZoneStatItem;
    use crate::mm::testing::node;

    fn setup(len: usize) -> (Arc<AddressSpace>, &'static PglistData, &'static [u8]) {
        let (pgdat, _) = node(&[(0x1000, 16 << 20)], &[]);
        let pgdat: &'static PglistData = Box::leak(Box::new(pgdat));
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let data: &'static [u8] = data.leak();
        (AddressSpace::new(pgdat, data), pgdat, data)
    }

    #[test]
    fn reads_go_through_the_cache_and_drop_returns_every_page() {
        let (mapping, pgdat, data) = setup(5 * 4096 + 100);
        let free0 = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
        let mut buf = vec![0u8; data.len() + 50];
        assert_eq!(
            filemap_read(&mapping, None, 0, &mut buf).unwrap(),
            data.len()
        );
        assert_eq!(&buf[..data.len()], data);
        assert_eq!(mapping.nrpages(), 6);
        assert_eq!(pgdat.page_state(NodeStatItem::NrFilePages), 6);
        assert_eq!(
            pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages),
            free0 - 6
        );
        // A second read allocates nothing.
        let mut part = [0u8; 300];
        assert_eq!(filemap_read(&mapping, None, 4000, &mut part).unwrap(), 300);
        assert_eq!(&part[..], &data[4000..4300]);
        assert_eq!(
            pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages),
            free0 - 6
        );
        assert_eq!(
            filemap_read(&mapping, None, data.len() as u64, &mut part).unwrap(),
            0
        );
        // A page in use (an extra reference, as a mapping would hold) stays.
        let held = filemap_get_folio(&mapping, 2).unwrap();
        assert_eq!(invalidate_mapping_pages(&mapping), 5);
        assert_eq!(mapping.nrpages(), 1);
        __free_pages(pgdat, held, 0);
        assert_eq!(invalidate_mapping_pages(&mapping), 1);
        assert_eq!(pgdat.page_state(NodeStatItem::NrFilePages), 0);
        assert_eq!(pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages), free0);
    }

    #[test]
    fn tail_of_last_page_is_zero() {
        let (mapping, pgdat, _) = setup(10);
        let (page, read) = __filemap_get_folio(&mapping, 0).unwrap();
        assert!(read);
        let mut tail = [1u8; 16];
        pgdat
            .phys
            .copy_from_page(pgdat.page_to_pfn(page), 4080, &mut tail);
        assert_eq!(tail, [0; 16]);
        assert!(!__filemap_get_folio(&mapping, 0).unwrap().1);
        __free_pages(pgdat, page, 0);
        __free_pages(pgdat, page, 0);
        assert_eq!(invalidate_mapping_pages(&mapping), 1);
    }
}
