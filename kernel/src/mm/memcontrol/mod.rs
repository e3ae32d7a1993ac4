//! The memory cgroup controller: Linux's mm/memcontrol.c and
//! include/linux/memcontrol.h (≈ v6.12), cgroup v2 only.
//!
//! A [`MemCgroup`] per cgroup with the controller enabled: its `memory`
//! and `swap` page counters, its LRU lists (one node), statistics and
//! events. Pages are charged when they are faulted in or added to the page
//! cache (`mem_cgroup_charge` → `charge_memcg` → `try_charge_memcg`, with
//! the 64-page batch and the per-CPU stock) and uncharged when they are
//! freed (`uncharge_batch`). The owner is recorded in `page->memcg_data`
//! as the memcg's id; the id table keeps a memcg alive while pages are
//! charged to it, also after rmdir (a "zombie"), as css references do in
//! Linux. The control files are in [`files`], reclaim protection in
//! [`protection`], the throttling of memory.high here
//! (`mem_cgroup_handle_over_high`), the OOM killer in `mm/oom_kill.rs`.
//!
//! Left out: cgroup v1, kernel memory (slab, stacks, page tables and
//! sockets are not charged), swap (there is no swap device: the `swap`
//! counter stays at 0 and its limits are only stored), the rstat flush
//! (statistics are updated in place, hierarchically, so reads are exact),
//! `memory.pressure`, inotify notification of `memory.events`, and
//! `high_work` (charges never happen in interrupt context here).

pub mod files;
pub mod protection;
pub mod swap;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};

use crate::cgroup::{CgroupSubsys, Css};
use crate::mm::gfp::Gfp;
use crate::mm::mmzone::{Lruvec, NR_VM_NODE_STAT_ITEMS, NodeStatItem, PglistData, stat_items};
use crate::mm::page::Page;
use crate::mm::page_counter::{
    PageCounter, page_counter_charge, page_counter_read, page_counter_set_low,
    page_counter_set_min, page_counter_try_charge, page_counter_uncharge,
};
use crate::mm::vmscan::{MEMCG_RECLAIM_MAY_SWAP, SWAP_CLUSTER_MAX, try_to_free_mem_cgroup_pages};
use crate::mm::vmstat::{NR_VM_EVENT_ITEMS, VmEventItem};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// `MEMCG_CHARGE_BATCH`: pages charged at once and kept in the stock.
pub const MEMCG_CHARGE_BATCH: u64 = 64;
/// `MAX_RECLAIM_RETRIES`: zero-progress reclaim rounds before OOM.
pub const MAX_RECLAIM_RETRIES: u32 = 16;
/// `CONFIG_HZ`: the throttling delays are in jiffies of the tick.
const HZ: u64 = 1000;
#[cfg(target_os = "none")]
const _: () = assert!(HZ == crate::arch::x86_64::irq::HZ);
/// `MEMCG_MAX_HIGH_DELAY_JIFFIES`.
const MEMCG_MAX_HIGH_DELAY_JIFFIES: u64 = 2 * HZ;
/// `MEMCG_DELAY_PRECISION_SHIFT` / `MEMCG_DELAY_SCALING_SHIFT`.
const MEMCG_DELAY_PRECISION_SHIFT: u32 = 20;
const MEMCG_DELAY_SCALING_SHIFT: u32 = 14;
/// `THRESHOLDS_EVENTS_TARGET` / `SOFTLIMIT_EVENTS_TARGET`.
const THRESHOLDS_EVENTS_TARGET: u64 = 128;
const SOFTLIMIT_EVENTS_TARGET: u64 = 1024;

stat_items! {
    /// `enum memcg_memory_event`: memory.events (the first six) and
    /// memory.swap.events (the last three, shown as high, max, fail).
    MemcgMemoryEvent, MEMCG_NR_MEMORY_EVENTS {
        Low = "low",
        High = "high",
        Max = "max",
        Oom = "oom",
        OomKill = "oom_kill",
        OomGroupKill = "oom_group_kill",
        SwapHigh = "high",
        SwapMax = "max",
        SwapFail = "fail",
    }
}

/// `struct memcg_vmstats`: node-stat items and VM events of one memcg,
/// hierarchical (this memcg and its descendants) and local.
struct MemcgVmstats {
    state: [AtomicI64; NR_VM_NODE_STAT_ITEMS],
    state_local: [AtomicI64; NR_VM_NODE_STAT_ITEMS],
    events: [AtomicU64; NR_VM_EVENT_ITEMS],
    events_local: [AtomicU64; NR_VM_EVENT_ITEMS],
}

impl Default for MemcgVmstats {
    fn default() -> Self {
        Self {
            state: [const { AtomicI64::new(0) }; NR_VM_NODE_STAT_ITEMS],
            state_local: [const { AtomicI64::new(0) }; NR_VM_NODE_STAT_ITEMS],
            events: [const { AtomicU64::new(0) }; NR_VM_EVENT_ITEMS],
            events_local: [const { AtomicU64::new(0) }; NR_VM_EVENT_ITEMS],
        }
    }
}

/// `struct mem_cgroup`.
pub struct MemCgroup {
    /// `memcg->id`: what `page->memcg_data` holds.
    id: u64,
    pub memory: Arc<PageCounter>,
    /// Swap usage (always 0: no swap device) and memory.swap.{high,max}.
    pub swap: Arc<PageCounter>,
    parent: Option<Arc<MemCgroup>>,
    /// Children, online or zombie, for the pre-order walk of reclaim and
    /// the OOM killer; a child leaves when it is released.
    children: SpinLock<Vec<Arc<MemCgroup>>>,
    /// This memcg's LRU lists on node 0; the root memcg's pages use the
    /// node's own lruvec.
    lruvec: Lruvec,
    online: AtomicBool,
    /// memory.oom.group.
    oom_group: AtomicBool,
    memory_events: [AtomicU64; MEMCG_NR_MEMORY_EVENTS],
    memory_events_local: [AtomicU64; MEMCG_NR_MEMORY_EVENTS],
    vmstats: MemcgVmstats,
    /// Pages with this memcg in `memcg_data`, plus one while the stock
    /// holds pages of it: the css references that keep a zombie.
    css_refs: AtomicU64,
    /// `nr_page_events` and the two ratelimit targets of
    /// `memcg_check_events`.
    nr_page_events: AtomicU64,
    events_target: [AtomicU64; 2],
    /// The shared position of partial reclaim walks under this memcg (the
    /// id of the last memcg visited: `mem_cgroup_reclaim_iter`).
    reclaim_iter: AtomicU64,
    /// Open memory.peak / memory.swap.peak files that were written.
    pub(crate) peaks: files::PeakWatchers,
}

/// The id table (`mem_cgroup_idr`): id → memcg; slot 0 is never used.
static MEM_CGROUP_IDR: SpinLock<Vec<Option<Arc<MemCgroup>>>> = SpinLock::new(Vec::new());
/// `root_mem_cgroup`.
static ROOT_MEM_CGROUP: SpinLock<Option<Arc<MemCgroup>>> = SpinLock::new(None);

/// `root_mem_cgroup`, once cgroups are up.
pub fn root_mem_cgroup() -> Option<Arc<MemCgroup>> {
    ROOT_MEM_CGROUP.lock_irqsave().clone()
}

/// `mem_cgroup_from_id()`.
pub fn mem_cgroup_from_id(id: u64) -> Option<Arc<MemCgroup>> {
    MEM_CGROUP_IDR
        .lock_irqsave()
        .get(id as usize)
        .cloned()
        .flatten()
}

impl MemCgroup {
    pub(crate) fn new(parent: Option<Arc<MemCgroup>>) -> Arc<Self> {
        let memcg = {
            let mut idr = MEM_CGROUP_IDR.lock_irqsave();
            let id = match idr.iter().skip(1).position(Option::is_none) {
                Some(free) => free as u64 + 1,
                None => idr.len().max(1) as u64,
            };
            let memcg = Arc::new(Self {
                id,
                memory: Arc::new(PageCounter::new(
                    parent.as_ref().map(|p| p.memory.clone()),
                    true,
                )),
                swap: Arc::new(PageCounter::new(
                    parent.as_ref().map(|p| p.swap.clone()),
                    false,
                )),
                parent: parent.clone(),
                children: SpinLock::new(Vec::new()),
                lruvec: Lruvec::default(),
                online: AtomicBool::new(true),
                oom_group: AtomicBool::new(false),
                memory_events: [const { AtomicU64::new(0) }; MEMCG_NR_MEMORY_EVENTS],
                memory_events_local: [const { AtomicU64::new(0) }; MEMCG_NR_MEMORY_EVENTS],
                vmstats: MemcgVmstats::default(),
                css_refs: AtomicU64::new(0),
                nr_page_events: AtomicU64::new(0),
                events_target: [const { AtomicU64::new(0) }; 2],
                reclaim_iter: AtomicU64::new(0),
                peaks: files::PeakWatchers::default(),
            });
            if idr.len() <= id as usize {
                idr.resize(id as usize + 1, None);
            }
            idr[id as usize] = Some(memcg.clone());
            memcg
        };
        if let Some(p) = &parent {
            p.children.lock_irqsave().push(memcg.clone());
        }
        memcg
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn parent(&self) -> Option<&Arc<MemCgroup>> {
        self.parent.as_ref()
    }

    /// `mem_cgroup_is_root()`.
    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    /// `mem_cgroup_online()`: not removed by rmdir.
    pub fn online(&self) -> bool {
        self.online.load(Relaxed)
    }

    pub fn oom_group(&self) -> bool {
        self.oom_group.load(Relaxed)
    }

    /// This memcg, then each ancestor up to the root.
    pub fn ancestors(&self) -> impl Iterator<Item = &MemCgroup> {
        core::iter::successors(Some(self), |m| m.parent.as_deref())
    }

    /// `mem_cgroup_is_descendant(self, root)`.
    pub fn is_descendant(&self, root: &MemCgroup) -> bool {
        self.ancestors().any(|m| core::ptr::eq(m, root))
    }

    /// The lruvec of this memcg on `pgdat` (`mem_cgroup_lruvec`).
    pub fn lruvec<'a>(&'a self, pgdat: &'a PglistData) -> &'a Lruvec {
        if self.is_root() {
            &pgdat.lruvec
        } else {
            &self.lruvec
        }
    }

    /// A memory.events counter: hierarchical or `local`.
    pub fn memory_event(&self, event: MemcgMemoryEvent, local: bool) -> u64 {
        let events = if local {
            &self.memory_events_local
        } else {
            &self.memory_events
        };
        events[event as usize].load(Relaxed)
    }

    /// A memory.stat state item in pages: hierarchical or `local`.
    pub fn page_state(&self, item: NodeStatItem, local: bool) -> u64 {
        let state = if local {
            &self.vmstats.state_local
        } else {
            &self.vmstats.state
        };
        u64::try_from(state[item as usize].load(Relaxed)).unwrap_or(0)
    }

    /// A memory.stat event count: hierarchical or `local`.
    pub fn events(&self, item: VmEventItem, local: bool) -> u64 {
        let events = if local {
            &self.vmstats.events_local
        } else {
            &self.vmstats.events
        };
        events[item as usize].load(Relaxed)
    }
}

/// `mem_cgroup_iter()` over a whole subtree: `root`, then its descendants
/// in pre-order, zombies included (reclaim must still empty them).
pub fn mem_cgroup_subtree(root: &Arc<MemCgroup>) -> Vec<Arc<MemCgroup>> {
    let mut out = Vec::new();
    let mut stack = alloc::vec![root.clone()];
    while let Some(m) = stack.pop() {
        stack.extend(m.children.lock_irqsave().iter().rev().cloned());
        out.push(m);
    }
    out
}

/// The reclaim walk's shared position (`mem_cgroup_iter` with a reclaim
/// cookie): where the last partial walk of `root` stopped, and how to
/// remember the next one. 0 means "start of a new round".
pub fn mem_cgroup_iter_position(root: &MemCgroup) -> u64 {
    root.reclaim_iter.load(Relaxed)
}

pub fn mem_cgroup_iter_set_position(root: &MemCgroup, id: u64) {
    root.reclaim_iter.store(id, Relaxed);
}

/// `mem_cgroup_from_css()`.
pub fn mem_cgroup_from_css(css: &Css) -> Option<Arc<MemCgroup>> {
    css.clone().downcast::<MemCgroup>().ok()
}

/// `mem_cgroup_css_alloc()`: the counters are children of the parent's
/// (hierarchical accounting); the first memcg is the root.
fn mem_cgroup_css_alloc(parent_css: Option<&Css>) -> KResult<Css> {
    let parent = match parent_css {
        Some(css) => Some(mem_cgroup_from_css(css).ok_or(Errno::EINVAL)?),
        None => None,
    };
    let is_root = parent.is_none();
    let memcg = MemCgroup::new(parent);
    if is_root {
        ROOT_MEM_CGROUP.lock_irqsave().get_or_insert(memcg.clone());
    }
    Ok(memcg)
}

/// `mem_cgroup_css_offline()`: a dead memcg protects nothing, its stock
/// goes back, and its pages stay charged to it (a zombie) until freed.
fn mem_cgroup_css_offline(css: &Css) {
    let Some(memcg) = mem_cgroup_from_css(css) else {
        return;
    };
    memcg.online.store(false, Relaxed);
    page_counter_set_min(&memcg.memory, 0);
    page_counter_set_low(&memcg.memory, 0);
    drain_all_stock(&memcg);
    mem_cgroup_try_release(&memcg);
}

/// Release an offline memcg that nothing references any more (no charged
/// page, no stock, no children), then its parent if that became free.
fn mem_cgroup_try_release(memcg: &Arc<MemCgroup>) {
    let mut m = memcg.clone();
    loop {
        if m.online() || m.css_refs.load(Relaxed) != 0 || !m.children.lock_irqsave().is_empty() {
            return;
        }
        let mut idr = MEM_CGROUP_IDR.lock_irqsave();
        let Some(slot) = idr.get_mut(m.id as usize) else {
            return;
        };
        if slot.take().is_none() {
            return;
        }
        drop(idr);
        let Some(parent) = m.parent.clone() else {
            return;
        };
        parent
            .children
            .lock_irqsave()
            .retain(|c| !Arc::ptr_eq(c, &m));
        m = parent;
    }
}

fn css_get(memcg: &MemCgroup, n: u64) {
    memcg.css_refs.fetch_add(n, Relaxed);
}

fn css_put(memcg: &Arc<MemCgroup>, n: u64) {
    if memcg.css_refs.fetch_sub(n, Relaxed) == n && !memcg.online() {
        mem_cgroup_try_release(memcg);
    }
}

/// `memory_cgrp_subsys`: the memory controller as cgroup core sees it.
pub static MEMORY_CGRP_SUBSYS: CgroupSubsys = CgroupSubsys {
    name: "memory",
    css_alloc: mem_cgroup_css_alloc,
    css_offline: Some(mem_cgroup_css_offline),
    css_free: None,
    attach: None,
    cftypes: files::MEMORY_FILES,
};

// ---------------------------------------------------------------------
// The task side: which memcg charges go to, and what the charging task
// is doing. The kernel asks `current`; host tests set an active memcg.

#[cfg(target_os = "none")]
mod current {
    use alloc::sync::Arc;
    use core::sync::atomic::Ordering::Relaxed;

    use super::{MEMORY_CGRP_SUBSYS, MemCgroup, mem_cgroup_from_css};
    use crate::cgroup::task_css;
    use crate::task::signal::{fatal_signal_pending, signal_pending};
    use crate::task::{TaskStruct, current, sched_running};

    /// `mem_cgroup_from_task()`.
    pub fn mem_cgroup_from_task(task: &TaskStruct) -> Option<Arc<MemCgroup>> {
        mem_cgroup_from_css(&task_css(task, &MEMORY_CGRP_SUBSYS))
    }

    /// `get_mem_cgroup_from_current()`; None before the scheduler and
    /// cgroups are up (boot-time page cache is not charged).
    pub fn get_mem_cgroup_from_current() -> Option<Arc<MemCgroup>> {
        if !sched_running() {
            return None;
        }
        super::root_mem_cgroup()?;
        mem_cgroup_from_task(&current())
    }

    /// `task_is_dying()`: an OOM victim, or killed, or exiting.
    pub fn task_is_dying() -> bool {
        let curr = current();
        curr.oom_victim.load(Relaxed) || fatal_signal_pending(&curr)
    }

    pub fn current_signal_pending() -> bool {
        signal_pending(&current())
    }

    /// `current->memcg_nr_pages_over_high += n` and TIF_NOTIFY_RESUME.
    pub fn add_nr_pages_over_high(n: u64) {
        let curr = current();
        curr.memcg_nr_pages_over_high.fetch_add(n, Relaxed);
        curr.notify_resume.store(true, Relaxed);
    }

    pub fn nr_pages_over_high() -> u64 {
        current().memcg_nr_pages_over_high.load(Relaxed)
    }

    pub fn take_nr_pages_over_high() -> u64 {
        current().memcg_nr_pages_over_high.swap(0, Relaxed)
    }

    /// `schedule_timeout_killable()`.
    pub fn schedule_timeout_killable(jiffies: u64) {
        crate::task::sched::schedule_timeout_killable(jiffies);
    }

    /// `mem_cgroup_out_of_memory()`'s call into the OOM killer.
    pub fn out_of_memory(memcg: &Arc<MemCgroup>, order: u32) -> bool {
        crate::mm::oom_kill::out_of_memory(memcg, order)
    }
}

#[cfg(not(target_os = "none"))]
mod current {
    use alloc::sync::Arc;

    use super::{MemCgroup, MemcgStock};

    /// What the kernel keeps in `current` and in this CPU's data: in host
    /// tests each test thread is a task on a CPU of its own.
    #[derive(Default)]
    pub struct HostTask {
        active_memcg: Option<Arc<MemCgroup>>,
        over_high: u64,
        pub stock: MemcgStock,
    }

    #[cfg(test)]
    pub fn with_host_task<R>(f: impl FnOnce(&mut HostTask) -> R) -> R {
        std::thread_local! {
            static TASK: core::cell::RefCell<HostTask> = core::cell::RefCell::default();
        }
        TASK.with(|t| f(&mut t.borrow_mut()))
    }

    /// A host build that is not a test has no threads to tell apart.
    #[cfg(not(test))]
    pub fn with_host_task<R>(f: impl FnOnce(&mut HostTask) -> R) -> R {
        static TASK: crate::sync::SpinLock<Option<HostTask>> = crate::sync::SpinLock::new(None);
        f(TASK.lock_irqsave().get_or_insert_with(HostTask::default))
    }

    /// `set_active_memcg()`: charges of this thread go to `memcg`.
    pub fn set_active_memcg(memcg: Option<Arc<MemCgroup>>) {
        with_host_task(|t| t.active_memcg = memcg);
    }

    pub fn get_mem_cgroup_from_current() -> Option<Arc<MemCgroup>> {
        with_host_task(|t| t.active_memcg.clone())
    }

    pub fn add_nr_pages_over_high(n: u64) {
        with_host_task(|t| t.over_high += n);
    }

    pub fn nr_pages_over_high() -> u64 {
        with_host_task(|t| t.over_high)
    }

    pub fn take_nr_pages_over_high() -> u64 {
        with_host_task(|t| core::mem::take(&mut t.over_high))
    }

    pub fn task_is_dying() -> bool {
        false
    }

    pub fn current_signal_pending() -> bool {
        false
    }

    /// Host tests have no clock: the throttling delay is not slept.
    pub fn schedule_timeout_killable(_jiffies: u64) {}

    /// Host tests have no tasks: there is never a victim.
    pub fn out_of_memory(_memcg: &Arc<MemCgroup>, _order: u32) -> bool {
        false
    }
}

pub use current::get_mem_cgroup_from_current;
#[cfg(target_os = "none")]
pub use current::mem_cgroup_from_task;
#[cfg(not(target_os = "none"))]
pub use current::set_active_memcg;
use current::{
    add_nr_pages_over_high, nr_pages_over_high, schedule_timeout_killable, take_nr_pages_over_high,
    task_is_dying,
};

// ---------------------------------------------------------------------
// Statistics and events.

/// `folio_memcg()`: the memcg a page is charged to.
pub fn folio_memcg(page: &Page) -> Option<Arc<MemCgroup>> {
    match page.memcg_data.load(Relaxed) {
        0 => None,
        id => mem_cgroup_from_id(id),
    }
}

/// `__mod_memcg_lruvec_state()`: `delta` pages of `item` in `memcg`, kept
/// locally and in every ancestor's hierarchical total.
pub fn mod_memcg_state(memcg: &MemCgroup, item: NodeStatItem, delta: i64) {
    memcg.vmstats.state_local[item as usize].fetch_add(delta, Relaxed);
    for m in memcg.ancestors() {
        m.vmstats.state[item as usize].fetch_add(delta, Relaxed);
    }
}

/// `lruvec_stat_mod_folio()`: a node counter and, if the page is charged,
/// its memcg's.
pub fn lruvec_stat_mod_folio(pgdat: &PglistData, page: &Page, item: NodeStatItem, delta: i64) {
    pgdat.mod_page_state(item, delta);
    if let Some(memcg) = folio_memcg(page) {
        mod_memcg_state(&memcg, item, delta);
    }
}

/// `count_memcg_events()`.
pub fn count_memcg_events(memcg: &MemCgroup, item: VmEventItem, n: u64) {
    if n == 0 {
        return;
    }
    memcg.vmstats.events_local[item as usize].fetch_add(n, Relaxed);
    for m in memcg.ancestors() {
        m.vmstats.events[item as usize].fetch_add(n, Relaxed);
    }
}

/// `count_memcg_event_mm()`: an event of the current task (a fault).
pub fn count_memcg_event_mm(item: VmEventItem) {
    if let Some(memcg) = get_mem_cgroup_from_current() {
        count_memcg_events(&memcg, item, 1);
    }
}

/// `memcg_memory_event()`: counted locally, and hierarchically in this
/// memcg and every ancestor below the root.
pub fn memcg_memory_event(memcg: &MemCgroup, event: MemcgMemoryEvent) {
    memcg.memory_events_local[event as usize].fetch_add(1, Relaxed);
    memcg.memory_events[event as usize].fetch_add(1, Relaxed);
    for m in memcg.ancestors().skip(1).take_while(|m| !m.is_root()) {
        m.memory_events[event as usize].fetch_add(1, Relaxed);
    }
}

/// `mem_cgroup_event_ratelimit()`: whether this memcg's page events passed
/// the next target of kind `target` (0: thresholds, 1: soft limit).
fn mem_cgroup_event_ratelimit(memcg: &MemCgroup, target: usize) -> bool {
    let val = memcg.nr_page_events.load(Relaxed);
    let next = memcg.events_target[target].load(Relaxed);
    if (val.wrapping_sub(next) as i64) < 0 {
        return false;
    }
    let step = [THRESHOLDS_EVENTS_TARGET, SOFTLIMIT_EVENTS_TARGET][target];
    memcg.events_target[target].store(val + step, Relaxed);
    true
}

/// `memcg_check_events()`: rate-limited work after charges and uncharges.
/// Every 128 page events the usage thresholds would be checked, every
/// 1024 the soft-limit tree updated; cgroup v2 has neither thresholds nor
/// a soft limit, so only the ratelimit itself advances, as in Linux.
#[inline(never)]
pub fn memcg_check_events(memcg: &MemCgroup, _nid: usize) {
    if mem_cgroup_event_ratelimit(memcg, 0) {
        mem_cgroup_event_ratelimit(memcg, 1);
    }
    core::hint::black_box(());
}

// ---------------------------------------------------------------------
// The per-CPU charge stock (one CPU).

/// `struct memcg_stock_pcp`.
#[derive(Default)]
pub struct MemcgStock {
    cached: Option<Arc<MemCgroup>>,
    nr_pages: u64,
}

#[cfg(target_os = "none")]
static MEMCG_STOCK: SpinLock<MemcgStock> = SpinLock::new(MemcgStock {
    cached: None,
    nr_pages: 0,
});

/// Run `f` on this CPU's stock (host tests: each thread is a CPU).
fn with_stock<R>(f: impl FnOnce(&mut MemcgStock) -> R) -> R {
    #[cfg(target_os = "none")]
    {
        f(&mut MEMCG_STOCK.lock_irqsave())
    }
    #[cfg(not(target_os = "none"))]
    {
        current::with_host_task(|t| f(&mut t.stock))
    }
}

/// `consume_stock()`: take `nr_pages` pre-charged pages of `memcg`.
fn consume_stock(memcg: &MemCgroup, nr_pages: u64) -> bool {
    if nr_pages > MEMCG_CHARGE_BATCH {
        return false;
    }
    with_stock(|stock| match &stock.cached {
        Some(cached) if core::ptr::eq(&**cached, memcg) && stock.nr_pages >= nr_pages => {
            stock.nr_pages -= nr_pages;
            true
        }
        _ => false,
    })
}

/// `drain_stock()`: give the stocked pages back to their counter.
fn drain_stock(stock: &mut MemcgStock) -> Option<Arc<MemCgroup>> {
    let old = stock.cached.take()?;
    if stock.nr_pages > 0 {
        page_counter_uncharge(&old.memory, stock.nr_pages);
        stock.nr_pages = 0;
    }
    Some(old)
}

/// `refill_stock()`: keep `nr_pages` charged pages for later charges.
fn refill_stock(memcg: &Arc<MemCgroup>, nr_pages: u64) {
    let released = with_stock(|stock| {
        let mut released = None;
        if !stock.cached.as_ref().is_some_and(|c| Arc::ptr_eq(c, memcg)) {
            released = drain_stock(stock);
            css_get(memcg, 1);
            stock.cached = Some(memcg.clone());
        }
        stock.nr_pages += nr_pages;
        // Too much: everything goes back.
        let overflow = if stock.nr_pages > MEMCG_CHARGE_BATCH {
            drain_stock(stock)
        } else {
            None
        };
        (released, overflow)
    });
    for old in [released.0, released.1].into_iter().flatten() {
        css_put(&old, 1);
    }
}

/// `drain_all_stock()`: return the stock if it holds pages of `root` or
/// of a descendant.
pub fn drain_all_stock(root: &MemCgroup) {
    let released = with_stock(|stock| {
        if stock.cached.as_ref().is_some_and(|c| c.is_descendant(root)) {
            drain_stock(stock)
        } else {
            None
        }
    });
    if let Some(old) = released {
        css_put(&old, 1);
    }
}

// ---------------------------------------------------------------------
// Charging.

/// `mem_cgroup_margin()`: pages that can still be charged before `max`.
pub fn mem_cgroup_margin(memcg: &MemCgroup) -> u64 {
    memcg
        .memory
        .max()
        .saturating_sub(page_counter_read(&memcg.memory))
}

/// The memcg whose counter is `counter` (the failing level of a charge):
/// `mem_cgroup_from_counter()`.
fn mem_cgroup_from_counter<'a>(memcg: &'a MemCgroup, counter: &PageCounter) -> &'a MemCgroup {
    memcg
        .ancestors()
        .find(|m| core::ptr::eq(&*m.memory, counter))
        .unwrap_or(memcg)
}

fn arc_of(m: &MemCgroup) -> Option<Arc<MemCgroup>> {
    mem_cgroup_from_id(m.id)
}

/// `gfpflags_allow_blocking()`.
fn gfpflags_allow_blocking(gfp: Gfp) -> bool {
    gfp.contains(Gfp::__GFP_DIRECT_RECLAIM)
}

/// `try_charge_memcg()`: charge `nr_pages` to `memcg`, reclaiming, and in
/// the end OOM-killing, to make room (reference §3.3).
#[inline(never)]
pub fn try_charge_memcg(
    pgdat: &PglistData,
    memcg: &Arc<MemCgroup>,
    gfp: Gfp,
    nr_pages: u64,
) -> KResult<()> {
    let mut batch = MEMCG_CHARGE_BATCH.max(nr_pages);
    let mut nr_retries = MAX_RECLAIM_RETRIES;
    let (mut passed_oom, mut drained, mut raised_max_event) = (false, false, false);
    let mem_over_limit = loop {
        if consume_stock(memcg, nr_pages) {
            return Ok(());
        }
        let over = match page_counter_try_charge(&memcg.memory, batch) {
            Ok(()) => {
                done_restock(pgdat, memcg, gfp, batch, nr_pages);
                return Ok(());
            }
            Err(counter) => {
                arc_of(mem_cgroup_from_counter(memcg, counter)).unwrap_or_else(|| memcg.clone())
            }
        };
        if batch > nr_pages {
            batch = nr_pages;
            continue;
        }
        if !gfpflags_allow_blocking(gfp) {
            break over;
        }
        memcg_memory_event(&over, MemcgMemoryEvent::Max);
        raised_max_event = true;
        let nr_reclaimed =
            try_to_free_mem_cgroup_pages(pgdat, &over, nr_pages, gfp, MEMCG_RECLAIM_MAY_SWAP, None);
        if mem_cgroup_margin(&over) >= nr_pages {
            continue;
        }
        if !drained {
            drain_all_stock(&over);
            drained = true;
            continue;
        }
        if gfp.contains(Gfp::__GFP_NORETRY) {
            break over;
        }
        // Progress for a small charge: try again without using a retry.
        if nr_reclaimed > 0 && nr_pages <= 1 << 3 {
            continue;
        }
        if nr_retries > 0 {
            nr_retries -= 1;
            continue;
        }
        if gfp.contains(Gfp::__GFP_RETRY_MAYFAIL) {
            break over;
        }
        // A task that passed the OOM killer and is dying fails the charge
        // instead of invoking it again.
        if passed_oom && task_is_dying() {
            break over;
        }
        if mem_cgroup_oom(&over, gfp, nr_pages.next_power_of_two().trailing_zeros()) {
            passed_oom = true;
            nr_retries = MAX_RECLAIM_RETRIES;
            continue;
        }
        break over;
    };
    // nomem:
    if !gfp.intersects(Gfp::__GFP_NOFAIL | Gfp::__GFP_HIGH) {
        return Err(Errno::ENOMEM);
    }
    // force: over the limit, the caller must not fail.
    if !raised_max_event {
        memcg_memory_event(&mem_over_limit, MemcgMemoryEvent::Max);
    }
    page_counter_charge(&memcg.memory, nr_pages);
    Ok(())
}

/// `try_charge_memcg()`'s `done_restock`: stock the rest of the batch and
/// note memory.high overage for throttling on the way back to user space.
fn done_restock(pgdat: &PglistData, memcg: &Arc<MemCgroup>, gfp: Gfp, batch: u64, nr_pages: u64) {
    if batch > nr_pages {
        refill_stock(memcg, batch - nr_pages);
    }
    for m in memcg.ancestors() {
        let mem_high = page_counter_read(&m.memory) > m.memory.high();
        let swap_high = page_counter_read(&m.swap) > m.swap.high();
        if mem_high || swap_high {
            add_nr_pages_over_high(batch);
            break;
        }
    }
    // Many pages over high in one kernel entry (a huge mlock, say):
    // throttle now rather than on return to user space.
    if nr_pages_over_high() > MEMCG_CHARGE_BATCH && gfpflags_allow_blocking(gfp) {
        mem_cgroup_handle_over_high(pgdat, gfp);
    }
}

/// `try_charge()`: the root memcg is never charged.
fn try_charge(pgdat: &PglistData, memcg: &Arc<MemCgroup>, gfp: Gfp, nr_pages: u64) -> KResult<()> {
    if memcg.is_root() {
        return Ok(());
    }
    let ret = try_charge_memcg(pgdat, memcg, gfp, nr_pages);
    core::hint::black_box(());
    ret
}

/// `commit_charge()`: the page now belongs to `memcg`.
fn commit_charge(page: &Page, memcg: &MemCgroup) {
    css_get(memcg, 1);
    page.memcg_data.store(memcg.id, Relaxed);
}

/// `charge_memcg()`.
#[inline(never)]
fn charge_memcg(pgdat: &PglistData, page: &Page, memcg: &Arc<MemCgroup>, gfp: Gfp) -> KResult<()> {
    try_charge(pgdat, memcg, gfp, 1)?;
    commit_charge(page, memcg);
    memcg.nr_page_events.fetch_add(1, Relaxed);
    memcg_check_events(memcg, 0);
    Ok(())
}

/// `__mem_cgroup_charge()`: charge to the current task's memcg.
#[inline(never)]
fn __mem_cgroup_charge(pgdat: &PglistData, page: &Page, gfp: Gfp) -> KResult<()> {
    let Some(memcg) = get_mem_cgroup_from_current() else {
        return Ok(());
    };
    let ret = charge_memcg(pgdat, page, &memcg, gfp);
    core::hint::black_box(());
    ret
}

/// `mem_cgroup_charge()`: charge a new anonymous or page-cache page to
/// the memcg of the task that brings it in; ENOMEM if that memcg is at
/// its limit and nothing could be reclaimed or killed. (Linux passes the
/// faulting mm, whose task is always `current` here, and finds the node
/// to reclaim from itself; tinymm passes the node.)
#[inline(never)]
pub fn mem_cgroup_charge(pgdat: &PglistData, page: &Page, gfp: Gfp) -> KResult<()> {
    let ret = __mem_cgroup_charge(pgdat, page, gfp);
    core::hint::black_box(());
    ret
}

// ---------------------------------------------------------------------
// Uncharging.

/// `struct uncharge_gather`.
#[derive(Default)]
struct UnchargeGather {
    memcg: Option<Arc<MemCgroup>>,
    nr_memory: u64,
    pgpgout: u64,
    nid: usize,
}

/// `uncharge_batch()`: one counter walk for a run of pages of one memcg.
#[inline(never)]
fn uncharge_batch(ug: &UnchargeGather) {
    let Some(memcg) = &ug.memcg else {
        return;
    };
    if ug.nr_memory > 0 {
        page_counter_uncharge(&memcg.memory, ug.nr_memory);
    }
    memcg.nr_page_events.fetch_add(ug.pgpgout, Relaxed);
    memcg_check_events(memcg, ug.nid);
    core::hint::black_box(());
    css_put(memcg, ug.pgpgout);
}

/// `uncharge_folio()`: add `page` to the gather, flushing it first if the
/// page belongs to another memcg.
fn uncharge_folio(page: &Page, ug: &mut UnchargeGather) {
    let Some(memcg) = folio_memcg(page) else {
        return;
    };
    if !ug.memcg.as_ref().is_some_and(|m| Arc::ptr_eq(m, &memcg)) {
        if ug.memcg.is_some() {
            uncharge_batch(ug);
        }
        *ug = UnchargeGather {
            memcg: Some(memcg.clone()),
            ..UnchargeGather::default()
        };
    }
    // LRU pages of the root memcg were never charged to a counter.
    if !memcg.is_root() {
        ug.nr_memory += 1;
    }
    ug.pgpgout += 1;
    page.memcg_data.store(0, Relaxed);
}

/// `mem_cgroup_uncharge()`: a page is being freed.
pub fn mem_cgroup_uncharge(page: &Page) {
    if page.memcg_data.load(Relaxed) == 0 {
        return;
    }
    let mut ug = UnchargeGather::default();
    uncharge_folio(page, &mut ug);
    uncharge_batch(&ug);
}

/// `__mem_cgroup_uncharge_list()`.
#[inline(never)]
fn __mem_cgroup_uncharge_list(pages: &[&Page]) {
    let mut ug = UnchargeGather::default();
    for page in pages {
        uncharge_folio(page, &mut ug);
    }
    if ug.memcg.is_some() {
        uncharge_batch(&ug);
    }
    core::hint::black_box(());
}

/// `mem_cgroup_uncharge_list()`: pages reclaim is about to free.
#[inline(never)]
pub fn mem_cgroup_uncharge_list(pages: &[&Page]) {
    __mem_cgroup_uncharge_list(pages);
    core::hint::black_box(());
}

// ---------------------------------------------------------------------
// memory.high.

/// `reclaim_high()`: reclaim from `memcg` and every ancestor (not the
/// root) that is over its memory.high.
fn reclaim_high(pgdat: &PglistData, memcg: &MemCgroup, nr_pages: u64, gfp: Gfp) -> u64 {
    let mut nr_reclaimed = 0;
    for m in memcg.ancestors().filter(|m| !m.is_root()) {
        if page_counter_read(&m.memory) <= m.memory.high() {
            continue;
        }
        memcg_memory_event(m, MemcgMemoryEvent::High);
        if let Some(m) = arc_of(m) {
            nr_reclaimed += try_to_free_mem_cgroup_pages(
                pgdat,
                &m,
                nr_pages,
                gfp,
                MEMCG_RECLAIM_MAY_SWAP,
                None,
            );
        }
    }
    nr_reclaimed
}

/// `calculate_overage()`: how far `usage` is over `high`, as a fraction
/// with 20 bits after the point.
pub fn calculate_overage(usage: u64, high: u64) -> u64 {
    if usage <= high {
        return 0;
    }
    let high = high.max(1);
    u64::try_from((u128::from(usage - high) << MEMCG_DELAY_PRECISION_SHIFT) / u128::from(high))
        .unwrap_or(u64::MAX)
}

/// `mem_find_max_overage()`: the largest memory overage of the memcg and
/// its ancestors (the root has no limit).
fn mem_find_max_overage(memcg: &MemCgroup) -> u64 {
    memcg
        .ancestors()
        .filter(|m| !m.is_root())
        .map(|m| calculate_overage(page_counter_read(&m.memory), m.memory.high()))
        .max()
        .unwrap_or(0)
}

/// `swap_find_max_overage()`; raises `swap high` on each memcg over.
fn swap_find_max_overage(memcg: &MemCgroup) -> u64 {
    let mut max_overage = 0;
    for m in memcg.ancestors().filter(|m| !m.is_root()) {
        let overage = calculate_overage(page_counter_read(&m.swap), m.swap.high());
        if overage > 0 {
            memcg_memory_event(m, MemcgMemoryEvent::SwapHigh);
        }
        max_overage = max_overage.max(overage);
    }
    max_overage
}

/// `calculate_high_delay()`: the throttling delay in jiffies for
/// `nr_pages` charged at `max_overage`: quadratic in the overage, about
/// 64 s × r² per 64-page batch.
pub fn calculate_high_delay(nr_pages: u64, max_overage: u64) -> u64 {
    if max_overage == 0 {
        return 0;
    }
    let penalty = u128::from(max_overage) * u128::from(max_overage) * u128::from(HZ);
    let penalty = penalty >> MEMCG_DELAY_PRECISION_SHIFT >> MEMCG_DELAY_SCALING_SHIFT;
    u64::try_from(penalty * u128::from(nr_pages) / u128::from(MEMCG_CHARGE_BATCH))
        .unwrap_or(u64::MAX)
}

/// `mem_cgroup_handle_over_high()`: the task charged pages over
/// memory.high; reclaim, and if that cannot bring the usage down, sleep
/// in proportion to the overage (at most 2 s).
#[inline(never)]
pub fn mem_cgroup_handle_over_high(pgdat: &PglistData, gfp: Gfp) {
    let nr_pages = take_nr_pages_over_high();
    if nr_pages == 0 {
        return;
    }
    let Some(memcg) = get_mem_cgroup_from_current() else {
        return;
    };
    let mut nr_retries = MAX_RECLAIM_RETRIES;
    let mut in_retry = false;
    let penalty_jiffies = loop {
        if task_is_dying() {
            return;
        }
        // The first pass reclaims what was charged over; retries a
        // cluster each, so that a task does not reclaim far more than it
        // charged.
        let target = if in_retry { SWAP_CLUSTER_MAX } else { nr_pages };
        let nr_reclaimed = reclaim_high(pgdat, &memcg, target, gfp);
        let penalty = calculate_high_delay(nr_pages, mem_find_max_overage(&memcg))
            + calculate_high_delay(nr_pages, swap_find_max_overage(&memcg));
        let penalty = penalty.min(MEMCG_MAX_HIGH_DELAY_JIFFIES);
        // Not worth sleeping for: the allocator already slows down.
        if penalty <= HZ / 100 {
            return;
        }
        if nr_reclaimed > 0 || nr_retries > 0 {
            if nr_reclaimed == 0 {
                nr_retries -= 1;
            }
            in_retry = true;
            continue;
        }
        break penalty;
    };
    schedule_timeout_killable(penalty_jiffies);
}

// ---------------------------------------------------------------------
// OOM.

/// `mem_cgroup_oom()`: the charge cannot be satisfied; let the OOM killer
/// free memory in the memcg. True if the charge should be retried.
#[inline(never)]
fn mem_cgroup_oom(memcg: &Arc<MemCgroup>, _gfp: Gfp, order: u32) -> bool {
    // No OOM kills for costly orders: callers fall back to small pages.
    if order > 3 {
        return false;
    }
    memcg_memory_event(memcg, MemcgMemoryEvent::Oom);
    mem_cgroup_out_of_memory(memcg, order)
}

/// `mem_cgroup_out_of_memory()`: kill a task of `memcg`'s subtree unless
/// memory was freed meanwhile; false if there was nothing to kill.
#[inline(never)]
pub fn mem_cgroup_out_of_memory(memcg: &Arc<MemCgroup>, order: u32) -> bool {
    if mem_cgroup_margin(memcg) >= 1 << order {
        return true;
    }
    let ret = task_is_dying() || current::out_of_memory(memcg, order);
    core::hint::black_box(());
    ret
}

/// `mem_cgroup_get_oom_group()`: the highest memcg with memory.oom.group
/// set between the victim's memcg and the OOM domain (inclusive), whose
/// tasks all die together; None if the victim is outside the domain.
pub fn mem_cgroup_get_oom_group(
    victim_memcg: &Arc<MemCgroup>,
    oom_domain: &MemCgroup,
) -> Option<Arc<MemCgroup>> {
    if victim_memcg.is_root() || !victim_memcg.is_descendant(oom_domain) {
        return None;
    }
    let mut group = None;
    for m in victim_memcg.ancestors() {
        if m.oom_group() {
            group = Some(m);
        }
        if core::ptr::eq(m, oom_domain) {
            break;
        }
    }
    group.and_then(arc_of)
}

/// `mem_cgroup_get_max()`: the OOM killer's `totalpages` for a memcg OOM
/// (no swap to add).
pub fn mem_cgroup_get_max(memcg: &MemCgroup) -> u64 {
    memcg.memory.max()
}

/// memory.oom.group.
pub fn set_oom_group(memcg: &MemCgroup, on: bool) {
    memcg.oom_group.store(on, Relaxed);
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod proptests;
