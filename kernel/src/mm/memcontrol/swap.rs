//! Swap accounting of mm/memcontrol.c (`CONFIG_SWAP`, cgroup v2): each
//! swap slot is charged to the `swap` counter of the memcg whose page it
//! holds, from `folio_alloc_swap` until the slot is freed, and recorded
//! in the `swap_cgroup` map so that swap-in charges the page back to
//! that memcg. Memory and swap are separate counters: a page's memory
//! charge goes when the page is freed, its slot's swap charge when the
//! slot is (`__mem_cgroup_uncharge_swap`).

use alloc::sync::Arc;

use super::{
    MemCgroup, MemcgMemoryEvent, charge_memcg, css_get, css_put, folio_memcg,
    get_mem_cgroup_from_current, mem_cgroup_from_id, memcg_memory_event,
};
use crate::mm::gfp::Gfp;
use crate::mm::mmzone::PglistData;
use crate::mm::page::Page;
use crate::mm::page_counter::{page_counter_read, page_counter_try_charge, page_counter_uncharge};
use crate::mm::swap_cgroup::{lookup_swap_cgroup_id, swap_cgroup_record};
use crate::mm::swapfile::{get_nr_swap_pages, total_swap_pages};
use crate::mm::swapops::SwpEntry;
use crate::uapi::errno::{Errno, KResult};

/// `mem_cgroup_id_get_online()`: the memcg itself if online, else its
/// nearest online ancestor (a dead memcg's slots go to its parent).
fn mem_cgroup_id_get_online(memcg: Arc<MemCgroup>) -> Arc<MemCgroup> {
    let mut m = memcg;
    while !m.online() && !m.is_root() {
        m = match m.parent() {
            Some(p) => p.clone(),
            None => break,
        };
    }
    css_get(&m, 1);
    m
}

/// `__mem_cgroup_try_charge_swap()` (through `mem_cgroup_try_charge_swap`):
/// charge `entry` to the swap counter of `page`'s memcg. ENOMEM (and the
/// `max` and `fail` swap events) when memory.swap.max is reached; no
/// entry at all (swap is full) is a `fail` event.
#[inline(never)]
pub fn __mem_cgroup_try_charge_swap(page: &Page, entry: SwpEntry) -> KResult<()> {
    let Some(memcg) = folio_memcg(page) else {
        return Ok(());
    };
    if entry.val == 0 {
        memcg_memory_event(&memcg, MemcgMemoryEvent::SwapFail);
        return Ok(());
    }
    let memcg = mem_cgroup_id_get_online(memcg);
    if !memcg.is_root() && page_counter_try_charge(&memcg.swap, 1).is_err() {
        memcg_memory_event(&memcg, MemcgMemoryEvent::SwapMax);
        memcg_memory_event(&memcg, MemcgMemoryEvent::SwapFail);
        css_put(&memcg, 1);
        return Err(Errno::ENOMEM);
    }
    let old = swap_cgroup_record(entry, memcg.id() as u16, 1);
    debug_assert_eq!(old, 0, "swap slot charged twice");
    Ok(())
}

/// `mem_cgroup_try_charge_swap()`.
#[inline(never)]
pub fn mem_cgroup_try_charge_swap(page: &Page, entry: SwpEntry) -> KResult<()> {
    let ret = __mem_cgroup_try_charge_swap(page, entry);
    core::hint::black_box(());
    ret
}

/// `__mem_cgroup_uncharge_swap()` (through `mem_cgroup_uncharge_swap`):
/// the slot is free; its memcg's swap counter drops.
#[inline(never)]
pub fn mem_cgroup_uncharge_swap(entry: SwpEntry) {
    let id = swap_cgroup_record(entry, 0, 1);
    if id != 0
        && let Some(memcg) = mem_cgroup_from_id(u64::from(id))
    {
        if !memcg.is_root() {
            page_counter_uncharge(&memcg.swap, 1);
        }
        css_put(&memcg, 1);
    }
}

/// `mem_cgroup_swapin_charge_folio()`: charge a page read in from swap
/// to the memcg that owns the slot, or to the current task's when that
/// one is gone.
#[inline(never)]
pub fn mem_cgroup_swapin_charge_folio(
    pgdat: &PglistData,
    page: &Page,
    gfp: Gfp,
    entry: SwpEntry,
) -> KResult<()> {
    let id = lookup_swap_cgroup_id(entry);
    let owner = (id != 0)
        .then(|| mem_cgroup_from_id(u64::from(id)))
        .flatten()
        .filter(|m| m.online());
    let Some(memcg) = owner.or_else(get_mem_cgroup_from_current) else {
        return Ok(());
    };
    let ret = charge_memcg(pgdat, page, &memcg, gfp);
    core::hint::black_box(());
    ret
}

/// `mem_cgroup_swapin_uncharge_swap()`: with cgroup1's memory+swap
/// counter the slot would be uncharged here; cgroup2's swap counter
/// keeps it charged until the slot is freed, so there is nothing to do.
#[inline(never)]
pub fn mem_cgroup_swapin_uncharge_swap(_entry: SwpEntry) {
    core::hint::black_box(());
}

/// `mem_cgroup_swapout()`: a page leaves memory for its slot. With
/// cgroup1's memory+swap counter the charge would move to the slot here;
/// under cgroup2 the memory charge goes when the page is freed and the
/// slot was charged at `folio_alloc_swap`, so Linux returns at once.
#[inline(never)]
pub fn mem_cgroup_swapout(_page: &Page, _entry: SwpEntry) {
    core::hint::black_box(());
}

/// `vm_swap_full()`: more than half of all swap is in use.
pub fn vm_swap_full() -> bool {
    get_nr_swap_pages() * 2 < total_swap_pages()
}

/// `mem_cgroup_swap_full()`: swap is full for `page` — globally, or its
/// memcg or an ancestor uses half its swap.high or swap.max. Swap-in then
/// frees the slot at once instead of keeping the swap copy.
pub fn mem_cgroup_swap_full(page: &Page) -> bool {
    if vm_swap_full() {
        return true;
    }
    let Some(memcg) = folio_memcg(page) else {
        return false;
    };
    memcg.ancestors().filter(|m| !m.is_root()).any(|m| {
        let usage = page_counter_read(&m.swap);
        usage * 2 >= m.swap.high() || usage * 2 >= m.swap.max()
    })
}

/// `mem_cgroup_get_nr_swap_pages()`: the slots `memcg` may still take —
/// free slots, bounded by every non-root ancestor's swap.max.
pub fn mem_cgroup_get_nr_swap_pages(memcg: &MemCgroup) -> i64 {
    let mut nr = get_nr_swap_pages();
    for m in memcg.ancestors().filter(|m| !m.is_root()) {
        let room = m.swap.max().saturating_sub(page_counter_read(&m.swap));
        nr = nr.min(i64::try_from(room).unwrap_or(i64::MAX));
    }
    nr
}
