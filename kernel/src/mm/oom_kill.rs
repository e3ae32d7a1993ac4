//! The OOM killer (mm/oom_kill.c) for memory cgroups: when a memcg
//! cannot be brought under its limit, pick the task of its subtree whose
//! death frees the most (`oom_badness`: resident pages plus page tables,
//! biased by oom_score_adj; −1000 never dies), SIGKILL it, and with
//! memory.oom.group its whole group.
//!
//! Left out: the global OOM killer (an allocation that fails after
//! reclaim fails the fault instead), the OOM reaper (a victim frees its
//! memory when it exits), cpusets, `panic_on_oom`, sysctls, and the
//! memory dump of `dump_header` beyond the memcg's usage line.

/// `OOM_SCORE_ADJ_MIN`: a task with it is never killed.
pub const OOM_SCORE_ADJ_MIN: i32 = -1000;
/// `OOM_SCORE_ADJ_MAX`.
pub const OOM_SCORE_ADJ_MAX: i32 = 1000;

/// `oom_badness()`: how much killing a task frees, in pages, biased by
/// `oom_score_adj` in thousandths of `totalpages`; None if the task must
/// not be killed.
pub fn oom_badness(
    rss: u64,
    swapents: u64,
    pgtables: u64,
    oom_score_adj: i32,
    totalpages: u64,
) -> Option<i64> {
    if oom_score_adj == OOM_SCORE_ADJ_MIN {
        return None;
    }
    let points = i64::try_from(rss + swapents + pgtables).unwrap_or(i64::MAX);
    let adj = i64::from(oom_score_adj) * i64::try_from(totalpages / 1000).unwrap_or(i64::MAX);
    Some(points.saturating_add(adj))
}

#[cfg(target_os = "none")]
pub use kernel::out_of_memory;

#[cfg(target_os = "none")]
mod kernel {
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::sync::Arc;
    use alloc::vec::Vec;
    use core::sync::atomic::Ordering::Relaxed;

    use super::{OOM_SCORE_ADJ_MIN, oom_badness};
    use crate::cgroup::Cgroup;
    use crate::mm::memcontrol::{
        MEMORY_CGRP_SUBSYS, MemCgroup, MemcgMemoryEvent, mem_cgroup_from_css, mem_cgroup_from_task,
        mem_cgroup_get_max, mem_cgroup_get_oom_group, memcg_memory_event,
    };
    use crate::mm::mm_types::{MmCounter, MmStruct};
    use crate::mm::page::PAGE_SIZE;
    use crate::mm::page_counter::page_counter_read;
    use crate::mm::vmstat::{VmEventItem, count_vm_events};
    use crate::task::sched::schedule_timeout_killable;
    use crate::task::signal::{SIGKILL, fatal_signal_pending, send_sig};
    use crate::task::{TaskStruct, current, for_each_process};

    const K: u64 = PAGE_SIZE / 1024;

    /// The task's address space, if it still has one (`find_lock_task_mm`).
    fn task_mm(task: &TaskStruct) -> Option<Arc<MmStruct>> {
        task.mm.lock_irqsave().clone()
    }

    /// The user tasks whose memcg is `memcg` or below it
    /// (`mem_cgroup_scan_tasks`), init and kernel threads left out.
    fn memcg_tasks(memcg: &MemCgroup) -> Vec<Arc<TaskStruct>> {
        let mut tasks = Vec::new();
        for_each_process(|t| {
            if t.pid != 1
                && task_mm(t).is_some()
                && mem_cgroup_from_task(t).is_some_and(|m| m.is_descendant(memcg))
            {
                tasks.push(t.clone());
            }
        });
        tasks
    }

    /// `oom_badness()` of a task.
    fn task_badness(task: &TaskStruct, totalpages: u64) -> Option<i64> {
        let mm = task_mm(task)?;
        oom_badness(
            mm.get_mm_rss(),
            mm.get_mm_counter(MmCounter::SwapEnts),
            mm.pgd.nr_tables(),
            task.signal.oom_score_adj.load(Relaxed),
            totalpages,
        )
    }

    enum Chosen {
        None,
        /// A victim is still exiting: wait for it rather than kill more.
        Abort,
        Task(Arc<TaskStruct>, i64),
    }

    /// `select_bad_process()` → `oom_evaluate_task()` over the memcg.
    fn select_bad_process(memcg: &MemCgroup, totalpages: u64) -> Chosen {
        let mut chosen = Chosen::None;
        for task in memcg_tasks(memcg) {
            if task.oom_victim.load(Relaxed) {
                return Chosen::Abort;
            }
            let Some(points) = task_badness(&task, totalpages) else {
                continue;
            };
            // Ties go to the task seen later, as in Linux.
            if let Chosen::Task(_, best) = chosen
                && points < best
            {
                continue;
            }
            chosen = Chosen::Task(task, points);
        }
        chosen
    }

    /// `mark_oom_victim()`.
    fn mark_oom_victim(task: &TaskStruct) {
        task.oom_victim.store(true, Relaxed);
    }

    /// `__oom_kill_process()`: SIGKILL, counted as `oom_kill` in the
    /// victim's memcg and in /proc/vmstat.
    fn __oom_kill_process(victim: &Arc<TaskStruct>, message: &str) {
        let Some(mm) = task_mm(victim) else {
            return;
        };
        count_vm_events(VmEventItem::OomKill, 1);
        if let Some(memcg) = mem_cgroup_from_task(victim) {
            memcg_memory_event(&memcg, MemcgMemoryEvent::OomKill);
        }
        let _ = send_sig(SIGKILL, victim);
        mark_oom_victim(victim);
        let total_vm = total_vm_pages(&mm) * K;
        log::error!(
            "{message}: Killed process {} ({}) total-vm:{total_vm}kB, anon-rss:{}kB, \
             file-rss:{}kB, shmem-rss:{}kB, UID:0 pgtables:{}kB oom_score_adj:{}",
            victim.pid,
            victim.comm(),
            mm.get_mm_counter(MmCounter::AnonPages) * K,
            mm.get_mm_counter(MmCounter::FilePages) * K,
            mm.get_mm_counter(MmCounter::ShmemPages) * K,
            mm.pgd.nr_tables() * K,
            victim.signal.oom_score_adj.load(Relaxed),
        );
    }

    /// `cgroup_path()` of a task's cgroup.
    fn task_cgroup_path(task: &TaskStruct) -> String {
        let cgrp = task.cgroups.lock_irqsave().clone();
        cgroup_path(&cgrp)
    }

    fn cgroup_path(cgrp: &Arc<Cgroup>) -> String {
        let mut names = Vec::new();
        let mut c = Some(cgrp);
        while let Some(g) = c.filter(|g| !g.is_root()) {
            names.push(g.name().to_string());
            c = g.parent();
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// The path of the cgroup whose memcg is `memcg`, found from a task
    /// below it (a memcg does not know its cgroup).
    fn memcg_path(memcg: &MemCgroup, below: &TaskStruct) -> String {
        let mut c = Some(below.cgroups.lock_irqsave().clone());
        while let Some(g) = c {
            let css = g.ssid(&MEMORY_CGRP_SUBSYS).and_then(|ssid| g.css(ssid));
            if css
                .and_then(|css| mem_cgroup_from_css(&css))
                .is_some_and(|m| core::ptr::eq(&*m, memcg))
            {
                return cgroup_path(&g);
            }
            c = g.parent().cloned();
        }
        String::from("/")
    }

    /// `dump_header()` for a memcg OOM: who asked, the memcg's usage, and
    /// its tasks (`dump_tasks`).
    fn dump_header(memcg: &MemCgroup) {
        let curr = current();
        log::warn!(
            "{} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj={}",
            curr.comm(),
            curr.signal.oom_score_adj.load(Relaxed)
        );
        log::info!(
            "memory: usage {}kB, limit {}kB, failcnt {}",
            page_counter_read(&memcg.memory) * K,
            mem_cgroup_get_max(memcg) * K,
            memcg.memory.failcnt()
        );
        log::info!("Tasks state (memory values in pages):");
        log::info!(
            "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name"
        );
        for t in memcg_tasks(memcg) {
            let Some(mm) = task_mm(&t) else { continue };
            log::info!(
                "[{:>7}] {:>5} {:>5} {:>8} {:>8} {:>8} {:>8} {:>9} {:>14} {:>8} {:>13} {}",
                t.pid,
                0,
                t.tgid,
                total_vm_pages(&mm),
                mm.get_mm_rss(),
                mm.get_mm_counter(MmCounter::AnonPages),
                mm.get_mm_counter(MmCounter::FilePages),
                mm.get_mm_counter(MmCounter::ShmemPages),
                mm.pgd.nr_tables() * PAGE_SIZE,
                mm.get_mm_counter(MmCounter::SwapEnts),
                t.signal.oom_score_adj.load(Relaxed),
                t.comm()
            );
        }
    }

    /// The mm's mapped pages; the victim may be the charging task, inside
    /// its own mmap_lock, so a busy lock reads 0.
    fn total_vm_pages(mm: &MmStruct) -> u64 {
        mm.mmap_lock
            .try_lock()
            .map_or(0, |locked| locked.vmas.total_vm())
    }

    /// `oom_kill_process()`: kill the victim, and with memory.oom.group
    /// every task of the group but those with oom_score_adj −1000 (the
    /// victim again among them, so it counts twice, as in Linux).
    fn oom_kill_process(memcg: &Arc<MemCgroup>, victim: Arc<TaskStruct>, message: &str) {
        if fatal_signal_pending(&victim) {
            // It is dying anyway: let it go with its memory.
            mark_oom_victim(&victim);
            return;
        }
        dump_header(memcg);
        log::info!(
            "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,\
             oom_memcg={},task_memcg={},task={},pid={},uid=0",
            memcg_path(memcg, &victim),
            task_cgroup_path(&victim),
            victim.comm(),
            victim.pid
        );
        let oom_group = mem_cgroup_from_task(&victim)
            .and_then(|victim_memcg| mem_cgroup_get_oom_group(&victim_memcg, memcg));
        __oom_kill_process(&victim, message);
        if let Some(group) = oom_group {
            memcg_memory_event(&group, MemcgMemoryEvent::OomGroupKill);
            log::info!(
                "Tasks in {} are going to be killed due to memory.oom.group set",
                memcg_path(&group, &victim)
            );
            for task in memcg_tasks(&group) {
                if task.signal.oom_score_adj.load(Relaxed) != OOM_SCORE_ADJ_MIN {
                    __oom_kill_process(&task, message);
                }
            }
        }
    }

    /// `out_of_memory()` for a memcg OOM: true if a task was killed (or
    /// one is still dying), false if there is nothing to kill.
    #[inline(never)]
    pub fn out_of_memory(memcg: &Arc<MemCgroup>, _order: u32) -> bool {
        let totalpages = mem_cgroup_get_max(memcg).max(1);
        match select_bad_process(memcg, totalpages) {
            Chosen::None => {
                dump_header(memcg);
                log::warn!("Out of memory and no killable processes...");
                false
            }
            Chosen::Abort => {
                // One CPU: the victim must run to exit and free.
                schedule_timeout_killable(1);
                true
            }
            Chosen::Task(victim, _) => {
                let other = victim.pid != current().pid;
                oom_kill_process(memcg, victim, "Memory cgroup out of memory");
                // One CPU: let the victim run to its exit (Linux's victim
                // exits on another CPU, helped by the OOM reaper) before
                // the charge is retried.
                if other {
                    schedule_timeout_killable(1);
                }
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §5.16: rss decides; oom_score_adj 500 with memory.max = 30M
    /// (7680 pages) adds 500 × 7 = 3500 points; −1000 is never chosen.
    #[test]
    fn badness_follows_rss_and_adj() {
        let total = 7680;
        let small = oom_badness(2560, 0, 0, 0, total).unwrap();
        let big = oom_badness(5120, 0, 0, 0, total).unwrap();
        assert!(big > small);
        assert_eq!(oom_badness(5120, 0, 3, 500, total), Some(5120 + 3 + 3500));
        assert_eq!(oom_badness(5120, 0, 0, -1000, total), None);
        assert_eq!(oom_badness(100, 0, 0, -999, total), Some(100 - 999 * 7));
    }
}
