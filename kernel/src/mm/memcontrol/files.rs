//! The cgroup v2 control files of the memory controller (the
//! `memory_files[]` and `swap_files[]` cftypes of mm/memcontrol.c) with
//! Linux's formats, parsing and errors (reference §2.2, §3.13–§3.15).
//!
//! Left out: `memory.pressure` (no PSI), `memory.zswap.*` (no zswap),
//! and the O_NONBLOCK variants of the memory.max/high writes.

use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::{
    MemCgroup, MemcgMemoryEvent, current, drain_all_stock, mem_cgroup_from_css,
    mem_cgroup_out_of_memory, memcg_memory_event, set_oom_group,
};
use crate::cgroup::{CFTYPE_NOT_ON_ROOT, Cftype, Css, kstrtoint};
use crate::fs::FileOps;
use crate::fs::file::File;
use crate::mm::gfp::Gfp;
use crate::mm::mmzone::{NodeStatItem, PglistData, node_data};
use crate::mm::page::{PAGE_SHIFT, PAGE_SIZE};
use crate::mm::page_counter::{
    PAGE_COUNTER_MAX, PageCounter, memparse, page_counter_memparse, page_counter_read,
    page_counter_set_high, page_counter_set_low, page_counter_set_min,
};
use crate::mm::vmscan::{MEMCG_RECLAIM_MAY_SWAP, try_to_free_mem_cgroup_pages};
use crate::mm::vmstat::VmEventItem;
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

use super::MAX_RECLAIM_RETRIES;

/// Which file an open handle is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MemFile {
    Current,
    Min,
    Low,
    High,
    Max,
    Events,
    EventsLocal,
    Stat,
    NumaStat,
    OomGroup,
    Reclaim,
    Peak,
    SwapCurrent,
    SwapHigh,
    SwapMax,
    SwapPeak,
    SwapEvents,
}

impl MemFile {
    fn readable(self) -> bool {
        self != MemFile::Reclaim
    }

    fn writable(self) -> bool {
        matches!(
            self,
            MemFile::Min
                | MemFile::Low
                | MemFile::High
                | MemFile::Max
                | MemFile::OomGroup
                | MemFile::Reclaim
                | MemFile::Peak
                | MemFile::SwapHigh
                | MemFile::SwapMax
                | MemFile::SwapPeak
        )
    }
}

macro_rules! memory_files {
    ($($name:literal, $flags:expr, $file:expr;)*) => {
        &[$(Cftype {
            name: $name,
            flags: $flags,
            open: |css, write| open_file(css, write, $file),
        },)*]
    };
}

/// `memory_files[]` then `swap_files[]`, in Linux's order.
pub static MEMORY_FILES: &[Cftype] = memory_files! {
    "memory.current", CFTYPE_NOT_ON_ROOT, MemFile::Current;
    "memory.min", CFTYPE_NOT_ON_ROOT, MemFile::Min;
    "memory.low", CFTYPE_NOT_ON_ROOT, MemFile::Low;
    "memory.high", CFTYPE_NOT_ON_ROOT, MemFile::High;
    "memory.max", CFTYPE_NOT_ON_ROOT, MemFile::Max;
    "memory.events", CFTYPE_NOT_ON_ROOT, MemFile::Events;
    "memory.events.local", CFTYPE_NOT_ON_ROOT, MemFile::EventsLocal;
    "memory.stat", 0, MemFile::Stat;
    "memory.numa_stat", 0, MemFile::NumaStat;
    "memory.oom.group", CFTYPE_NOT_ON_ROOT, MemFile::OomGroup;
    "memory.reclaim", 0, MemFile::Reclaim;
    "memory.peak", CFTYPE_NOT_ON_ROOT, MemFile::Peak;
    "memory.swap.current", CFTYPE_NOT_ON_ROOT, MemFile::SwapCurrent;
    "memory.swap.high", CFTYPE_NOT_ON_ROOT, MemFile::SwapHigh;
    "memory.swap.max", CFTYPE_NOT_ON_ROOT, MemFile::SwapMax;
    "memory.swap.peak", CFTYPE_NOT_ON_ROOT, MemFile::SwapPeak;
    "memory.swap.events", CFTYPE_NOT_ON_ROOT, MemFile::SwapEvents;
};

/// One open memory.peak / memory.swap.peak file's reset value
/// (`struct cgroup_of_peak`); `u64::MAX` until its first write.
pub struct PeakFd {
    value: AtomicU64,
}

/// The open peak files of a memcg that were written (`memcg->peaks`,
/// `memcg->swap_peaks`); a closed file drops out.
#[derive(Default)]
pub struct PeakWatchers {
    memory: SpinLock<Vec<Weak<PeakFd>>>,
    swap: SpinLock<Vec<Weak<PeakFd>>>,
}

/// An open control file (`kernfs_open_file` + the cftype's handlers).
struct MemcgFile {
    memcg: Arc<MemCgroup>,
    file: MemFile,
    peak: Arc<PeakFd>,
}

/// The cftype `open`: EACCES for a direction the file does not have, as
/// `kernfs_fop_open` answers.
fn open_file(css: &Css, write: bool, file: MemFile) -> KResult<Arc<dyn FileOps>> {
    let memcg = mem_cgroup_from_css(css).ok_or(Errno::ENODEV)?;
    if write && !file.writable() || !write && !file.readable() {
        return Err(Errno::EACCES);
    }
    Ok(Arc::new(MemcgFile {
        memcg,
        file,
        peak: Arc::new(PeakFd {
            value: AtomicU64::new(u64::MAX),
        }),
    }))
}

/// `strstrip()`.
fn strstrip(buf: &[u8]) -> &[u8] {
    buf.trim_ascii()
}

/// `seq_puts_memcg_tunable()`.
fn show_tunable(m: &mut String, pages: u64) -> fmt::Result {
    if pages == PAGE_COUNTER_MAX {
        writeln!(m, "max")
    } else {
        writeln!(m, "{}", pages * PAGE_SIZE)
    }
}

/// The memory.stat state items tinymm keeps, in Linux's order (kernel
/// memory, slab, THP and zswap are not accounted and not shown).
const MEMORY_STATS: [(&str, NodeStatItem); 19] = [
    ("anon", NodeStatItem::NrAnonMapped),
    ("file", NodeStatItem::NrFilePages),
    ("shmem", NodeStatItem::NrShmem),
    ("file_mapped", NodeStatItem::NrFileMapped),
    ("file_dirty", NodeStatItem::NrFileDirty),
    ("file_writeback", NodeStatItem::NrWriteback),
    ("swapcached", NodeStatItem::NrSwapcached),
    ("inactive_anon", NodeStatItem::NrInactiveAnon),
    ("active_anon", NodeStatItem::NrActiveAnon),
    ("inactive_file", NodeStatItem::NrInactiveFile),
    ("active_file", NodeStatItem::NrActiveFile),
    ("unevictable", NodeStatItem::NrUnevictable),
    (
        "workingset_refault_anon",
        NodeStatItem::WorkingsetRefaultAnon,
    ),
    (
        "workingset_refault_file",
        NodeStatItem::WorkingsetRefaultFile,
    ),
    (
        "workingset_activate_anon",
        NodeStatItem::WorkingsetActivateAnon,
    ),
    (
        "workingset_activate_file",
        NodeStatItem::WorkingsetActivateFile,
    ),
    (
        "workingset_restore_anon",
        NodeStatItem::WorkingsetRestoreAnon,
    ),
    (
        "workingset_restore_file",
        NodeStatItem::WorkingsetRestoreFile,
    ),
    (
        "workingset_nodereclaim",
        NodeStatItem::WorkingsetNodereclaim,
    ),
];

/// The memory.stat event items after `pgscan` and `pgsteal`, in Linux's
/// order (`memcg_vm_event_stat[]`).
const MEMCG_VM_EVENT_STAT: [VmEventItem; 13] = [
    VmEventItem::Pswpin,
    VmEventItem::Pswpout,
    VmEventItem::PgscanKswapd,
    VmEventItem::PgscanDirect,
    VmEventItem::PgstealKswapd,
    VmEventItem::PgstealDirect,
    VmEventItem::Pgfault,
    VmEventItem::Pgmajfault,
    VmEventItem::Pgrefill,
    VmEventItem::Pgactivate,
    VmEventItem::Pgdeactivate,
    VmEventItem::Pglazyfree,
    VmEventItem::Pglazyfreed,
];

/// `memcg_page_state_output()`: pages in bytes; the workingset items are
/// event counts, shown as they are (`memcg_page_state_unit`).
fn memcg_page_state_output(memcg: &MemCgroup, item: NodeStatItem) -> u64 {
    let v = memcg.page_state(item, false);
    match item {
        NodeStatItem::WorkingsetRefaultAnon
        | NodeStatItem::WorkingsetRefaultFile
        | NodeStatItem::WorkingsetActivateAnon
        | NodeStatItem::WorkingsetActivateFile
        | NodeStatItem::WorkingsetRestoreAnon
        | NodeStatItem::WorkingsetRestoreFile
        | NodeStatItem::WorkingsetNodereclaim => v,
        _ => v << PAGE_SHIFT,
    }
}

/// `memory_stat_format()`.
fn memory_stat_format(memcg: &MemCgroup, m: &mut String) -> fmt::Result {
    for (name, item) in MEMORY_STATS {
        writeln!(m, "{name} {}", memcg_page_state_output(memcg, item))?;
    }
    let ev = |item| memcg.events(item, false);
    writeln!(
        m,
        "pgscan {}",
        ev(VmEventItem::PgscanKswapd) + ev(VmEventItem::PgscanDirect)
    )?;
    writeln!(
        m,
        "pgsteal {}",
        ev(VmEventItem::PgstealKswapd) + ev(VmEventItem::PgstealDirect)
    )?;
    for item in MEMCG_VM_EVENT_STAT {
        writeln!(m, "{} {}", item.name(), ev(item))?;
    }
    Ok(())
}

/// `memory_numa_stat_show()`: one node.
fn memory_numa_stat_show(memcg: &MemCgroup, m: &mut String) -> fmt::Result {
    for (name, item) in MEMORY_STATS {
        writeln!(m, "{name} N0={}", memcg_page_state_output(memcg, item))?;
    }
    Ok(())
}

fn show_events(
    memcg: &MemCgroup,
    events: &[MemcgMemoryEvent],
    local: bool,
    m: &mut String,
) -> fmt::Result {
    for &e in events {
        writeln!(m, "{} {}", e.name(), memcg.memory_event(e, local))?;
    }
    Ok(())
}

const MEMORY_EVENTS: [MemcgMemoryEvent; 6] = [
    MemcgMemoryEvent::Low,
    MemcgMemoryEvent::High,
    MemcgMemoryEvent::Max,
    MemcgMemoryEvent::Oom,
    MemcgMemoryEvent::OomKill,
    MemcgMemoryEvent::OomGroupKill,
];

const SWAP_EVENTS: [MemcgMemoryEvent; 3] = [
    MemcgMemoryEvent::SwapHigh,
    MemcgMemoryEvent::SwapMax,
    MemcgMemoryEvent::SwapFail,
];

impl MemcgFile {
    fn peak_counter(&self) -> (&PageCounter, &SpinLock<Vec<Weak<PeakFd>>>) {
        if self.file == MemFile::SwapPeak {
            (&self.memcg.swap, &self.memcg.peaks.swap)
        } else {
            (&self.memcg.memory, &self.memcg.peaks.memory)
        }
    }

    /// `peak_show()`: the all-time peak, or since this file's last reset.
    fn peak_show(&self, m: &mut String) -> fmt::Result {
        let (counter, _) = self.peak_counter();
        let fd = self.peak.value.load(Relaxed);
        let peak = if fd == u64::MAX {
            counter.watermark()
        } else {
            fd.max(counter.local_watermark())
        };
        writeln!(m, "{}", peak * PAGE_SIZE)
    }

    /// `peak_write()`: restart this file's peak (and the counter's local
    /// peak) from the current usage; other reset files keep at least it.
    fn peak_write(&self) {
        let (counter, watchers) = self.peak_counter();
        let mut watchers = watchers.lock_irqsave();
        let usage = page_counter_read(counter);
        counter.set_local_watermark(usage);
        watchers.retain(|w| w.strong_count() > 0);
        for peer in watchers.iter().filter_map(Weak::upgrade) {
            peer.value.fetch_max(usage, Relaxed);
        }
        if self.peak.value.load(Relaxed) == u64::MAX {
            watchers.push(Arc::downgrade(&self.peak));
        }
        self.peak.value.store(usage, Relaxed);
    }

    fn show(&self, m: &mut String) -> fmt::Result {
        let memcg = &*self.memcg;
        match self.file {
            MemFile::Current => writeln!(m, "{}", page_counter_read(&memcg.memory) * PAGE_SIZE),
            MemFile::Min => show_tunable(m, memcg.memory.min()),
            MemFile::Low => show_tunable(m, memcg.memory.low()),
            MemFile::High => show_tunable(m, memcg.memory.high()),
            MemFile::Max => show_tunable(m, memcg.memory.max()),
            MemFile::Events => show_events(memcg, &MEMORY_EVENTS, false, m),
            MemFile::EventsLocal => show_events(memcg, &MEMORY_EVENTS, true, m),
            MemFile::Stat => memory_stat_format(memcg, m),
            MemFile::NumaStat => memory_numa_stat_show(memcg, m),
            MemFile::OomGroup => writeln!(m, "{}", u8::from(memcg.oom_group())),
            MemFile::Peak | MemFile::SwapPeak => self.peak_show(m),
            MemFile::SwapCurrent => writeln!(m, "{}", page_counter_read(&memcg.swap) * PAGE_SIZE),
            MemFile::SwapHigh => show_tunable(m, memcg.swap.high()),
            MemFile::SwapMax => show_tunable(m, memcg.swap.max()),
            MemFile::SwapEvents => show_events(memcg, &SWAP_EVENTS, false, m),
            MemFile::Reclaim => Ok(()),
        }
    }
}

/// `memory_high_write()`: set the limit, then reclaim down to it without
/// OOM; the write succeeds whatever reclaim achieved.
pub(crate) fn memory_high_write(pgdat: &PglistData, memcg: &Arc<MemCgroup>, high: u64) {
    page_counter_set_high(&memcg.memory, high);
    let mut nr_retries = MAX_RECLAIM_RETRIES;
    let mut drained = false;
    loop {
        let nr_pages = page_counter_read(&memcg.memory);
        if nr_pages <= high || current::current_signal_pending() {
            break;
        }
        if !drained {
            drain_all_stock(memcg);
            drained = true;
            continue;
        }
        let reclaimed = try_to_free_mem_cgroup_pages(
            pgdat,
            memcg,
            nr_pages - high,
            Gfp::GFP_KERNEL,
            MEMCG_RECLAIM_MAY_SWAP,
            None,
        );
        if reclaimed == 0 {
            if nr_retries == 0 {
                break;
            }
            nr_retries -= 1;
        }
    }
}

/// `memory_max_write()`: install the limit unconditionally, reclaim down
/// to it, and when reclaim cannot, OOM-kill inside the memcg until the
/// usage fits or there is no victim left.
pub(crate) fn memory_max_write(pgdat: &PglistData, memcg: &Arc<MemCgroup>, max: u64) {
    memcg.memory.xchg_max(max);
    let mut nr_reclaims = MAX_RECLAIM_RETRIES;
    let mut drained = false;
    loop {
        let nr_pages = page_counter_read(&memcg.memory);
        if nr_pages <= max || current::current_signal_pending() {
            break;
        }
        if !drained {
            drain_all_stock(memcg);
            drained = true;
            continue;
        }
        if nr_reclaims > 0 {
            if try_to_free_mem_cgroup_pages(
                pgdat,
                memcg,
                nr_pages - max,
                Gfp::GFP_KERNEL,
                MEMCG_RECLAIM_MAY_SWAP,
                None,
            ) == 0
            {
                nr_reclaims -= 1;
            }
            continue;
        }
        memcg_memory_event(memcg, MemcgMemoryEvent::Oom);
        if !mem_cgroup_out_of_memory(memcg, 0) {
            break;
        }
    }
}

/// `memory_reclaim()`: `SIZE [swappiness=N]`; reclaim until SIZE is
/// reclaimed, EAGAIN after 17 reclaim calls in a row got nothing.
fn memory_reclaim(memcg: &Arc<MemCgroup>, buf: &[u8]) -> KResult<()> {
    let buf = strstrip(buf);
    let (bytes, rest) = memparse(buf);
    if rest.len() == buf.len() {
        return Err(Errno::EINVAL);
    }
    let nr_to_reclaim = bytes / PAGE_SIZE;
    let mut swappiness = None;
    for token in strstrip(rest)
        .split(|&b| b == b' ')
        .filter(|t| !t.is_empty())
    {
        let value = token.strip_prefix(b"swappiness=").ok_or(Errno::EINVAL)?;
        let value = kstrtoint(value).map_err(|_| Errno::EINVAL)?;
        if !(0..=200).contains(&value) {
            return Err(Errno::EINVAL);
        }
        swappiness = Some(value as u32);
    }
    let mut nr_reclaimed = 0;
    let mut nr_retries = MAX_RECLAIM_RETRIES;
    while nr_reclaimed < nr_to_reclaim {
        // Ask for a quarter of what is left: reclaim overshoots by its
        // batch (at least 32 pages), so smaller steps converge.
        let batch = (nr_to_reclaim - nr_reclaimed) / 4;
        if current::current_signal_pending() {
            return Err(Errno::EINTR);
        }
        let reclaimed = try_to_free_mem_cgroup_pages(
            node_data(0),
            memcg,
            batch,
            Gfp::GFP_KERNEL,
            // Linux adds MEMCG_RECLAIM_PROACTIVE, which only keeps
            // vmpressure out of it; tinymm has no vmpressure.
            MEMCG_RECLAIM_MAY_SWAP,
            swappiness,
        );
        if reclaimed == 0 {
            if nr_retries == 0 {
                return Err(Errno::EAGAIN);
            }
            nr_retries -= 1;
        }
        nr_reclaimed += reclaimed;
    }
    Ok(())
}

impl FileOps for MemcgFile {
    fn read(&self, _file: &File, pos: u64, buf: &mut [u8]) -> KResult<usize> {
        let mut text = String::new();
        self.show(&mut text).map_err(|_| Errno::ENOMEM)?;
        let bytes = text.as_bytes();
        let start = usize::try_from(pos).unwrap_or(usize::MAX).min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    fn write(&self, _file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        let memcg = &self.memcg;
        let limit = || page_counter_memparse(strstrip(buf), b"max");
        match self.file {
            MemFile::Min => page_counter_set_min(&memcg.memory, limit()?),
            MemFile::Low => page_counter_set_low(&memcg.memory, limit()?),
            MemFile::High => memory_high_write(node_data(0), memcg, limit()?),
            MemFile::Max => memory_max_write(node_data(0), memcg, limit()?),
            MemFile::SwapHigh => page_counter_set_high(&memcg.swap, limit()?),
            MemFile::SwapMax => {
                memcg.swap.xchg_max(limit()?);
            }
            MemFile::OomGroup => match kstrtoint(strstrip(buf))? {
                v @ (0 | 1) => set_oom_group(memcg, v == 1),
                _ => return Err(Errno::EINVAL),
            },
            MemFile::Reclaim => memory_reclaim(memcg, buf)?,
            MemFile::Peak | MemFile::SwapPeak => self.peak_write(),
            _ => return Err(Errno::EINVAL),
        }
        Ok(buf.len())
    }
}
