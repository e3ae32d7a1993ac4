//! `/proc/PID/{stat,statm,status}` (fs/proc/array.c): `do_task_stat`,
//! `proc_pid_statm` and `proc_pid_status`, in Linux's order and format.
//! The formatting is host-tested; gathering a task's values needs the
//! kernel.
//!
//! Every reader is root, so every field `ptrace_may_access` guards is
//! shown. Left out of status: the credentials beyond uid/gid 0, signal
//! queues and capabilities lines tinymm does not keep.

use core::fmt::{self, Write};

/// `USER_HZ`: the unit of the clock-tick fields.
pub const USER_HZ: u64 = 100;

/// `task_state_array[]`: the letters and names of `get_task_state()`.
pub const TASK_STATE_ARRAY: [&str; 9] = [
    "R (running)",
    "S (sleeping)",
    "D (disk sleep)",
    "T (stopped)",
    "t (tracing stop)",
    "X (dead)",
    "Z (zombie)",
    "P (parked)",
    "I (idle)",
];

/// `PF_EXITING`: the task is exiting (set in `do_exit`).
pub const PF_EXITING: u32 = 0x0000_0004;
/// `PF_FORKNOEXEC`: forked and has not exec'd since.
pub const PF_FORKNOEXEC: u32 = 0x0000_0040;

/// Everything `do_task_stat()` prints, gathered (times in clock ticks).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskStat {
    pub pid: i32,
    pub comm: alloc::string::String,
    /// A `TASK_STATE_ARRAY` index.
    pub state: usize,
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    pub tty_nr: i32,
    pub tpgid: i32,
    pub flags: u32,
    pub min_flt: u64,
    pub cmin_flt: u64,
    pub maj_flt: u64,
    pub cmaj_flt: u64,
    pub utime: u64,
    pub stime: u64,
    pub cutime: u64,
    pub cstime: u64,
    pub priority: i64,
    pub nice: i64,
    pub num_threads: i64,
    pub start_time: u64,
    /// Bytes.
    pub vsize: u64,
    /// Pages.
    pub rss: u64,
    pub rsslim: u64,
    /// None without an address space (kernel threads, zombies).
    pub mm: Option<StatMm>,
    pub pending: u64,
    pub blocked: u64,
    pub sigign: u64,
    pub sigcatch: u64,
    /// 1 if the task sleeps somewhere (`wchan` is no longer an address).
    pub wchan: u64,
    pub exit_signal: i32,
    pub exit_code: i32,
}

/// The address-space fields of stat (`mm_struct`'s).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatMm {
    pub start_code: u64,
    pub end_code: u64,
    pub start_stack: u64,
    pub start_data: u64,
    pub end_data: u64,
    pub start_brk: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

/// `do_task_stat()`'s line: 52 fields. The old signal fields keep only
/// the first 31 signals (`& 0x7fffffff`), as Linux 2.0 printed them; esp
/// and eip read 0 as for a task that is not dumping core; the processor
/// is 0, real-time priority, policy (SCHED_NORMAL), block-I/O delay and
/// guest times 0.
pub fn do_task_stat_show(m: &mut impl Write, t: &TaskStat) -> fmt::Result {
    let state = TASK_STATE_ARRAY[t.state].as_bytes()[0] as char;
    write!(
        m,
        "{} ({}) {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} 0 {} {} {} {}",
        t.pid,
        t.comm,
        state,
        t.ppid,
        t.pgrp,
        t.session,
        t.tty_nr,
        t.tpgid,
        t.flags,
        t.min_flt,
        t.cmin_flt,
        t.maj_flt,
        t.cmaj_flt,
        t.utime,
        t.stime,
        t.cutime,
        t.cstime,
        t.priority,
        t.nice,
        t.num_threads,
        t.start_time,
        t.vsize,
        t.rss,
        t.rsslim,
    )?;
    let (start_code, end_code, start_stack) =
        t.mm.map_or((0, 0, 0), |mm| (mm.start_code, mm.end_code, mm.start_stack));
    const OLD_SIGNALS: u64 = 0x7fff_ffff;
    write!(
        m,
        " {start_code} {end_code} {start_stack} 0 0 {} {} {} {} {} 0 0 {} 0 0 0 0 0 0",
        t.pending & OLD_SIGNALS,
        t.blocked & OLD_SIGNALS,
        t.sigign & OLD_SIGNALS,
        t.sigcatch & OLD_SIGNALS,
        t.wchan,
        t.exit_signal,
    )?;
    match t.mm {
        Some(s) => {
            write!(
                m,
                " {} {} {} {} {} {} {}",
                s.start_data,
                s.end_data,
                s.start_brk,
                s.arg_start,
                s.arg_end,
                s.env_start,
                s.env_end
            )?;
        }
        None => m.write_str(" 0 0 0 0 0 0 0")?,
    }
    writeln!(m, " {}", t.exit_code)
}

/// What `task_statm()` counts, in pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statm {
    pub size: u64,
    pub resident: u64,
    pub shared: u64,
    pub text: u64,
    pub data: u64,
}

/// `proc_pid_statm()`: size resident shared text lib data dt (lib and
/// dt are always 0 since Linux 2.6).
pub fn proc_pid_statm_show(m: &mut impl Write, s: &Statm) -> fmt::Result {
    writeln!(
        m,
        "{} {} {} {} 0 {} 0",
        s.size, s.resident, s.shared, s.text, s.data
    )
}

/// `render_sigset_t()`: 64 signals as 16 hex digits, highest first.
pub fn render_sigset_t(m: &mut impl Write, header: &str, set: u64) -> fmt::Result {
    writeln!(m, "{header}\t{set:016x}")
}

#[cfg(target_os = "none")]
pub use gather::*;

/// Reading a task's values.
#[cfg(target_os = "none")]
mod gather {
    use alloc::string::String;
    use alloc::sync::Arc;
    use core::fmt::{self, Write};
    use core::sync::atomic::Ordering::Relaxed;

    use super::super::task_mmu::{task_mem, vm_counts};
    use super::*;
    use crate::mm::mm_types::MmCounter;
    use crate::mm::page::{PAGE_SHIFT, PAGE_SIZE};
    use crate::task::signal::thread_group;
    use crate::task::{TaskState, TaskStruct};
    use crate::uapi::resource::RLIMIT_RSS;
    use crate::uapi::signal::{_NSIG, SIG_DFL, SIG_IGN};

    /// `get_task_state()`'s index for the task.
    fn task_state_index(t: &TaskStruct) -> usize {
        match t.state() {
            TaskState::Running => 0,
            TaskState::Interruptible => 1,
            TaskState::Uninterruptible => 2,
            TaskState::Stopped => 3,
            TaskState::Dead => 5,
            TaskState::Zombie => 6,
        }
    }

    /// `collect_sigign_sigcatch()`.
    fn sigign_sigcatch(t: &TaskStruct) -> (u64, u64) {
        let actions = *t.sighand.lock_irqsave().action.lock_irqsave();
        let (mut ign, mut catch) = (0u64, 0u64);
        for (i, ka) in actions.iter().enumerate().take(_NSIG as usize) {
            if ka.handler == SIG_IGN {
                ign |= 1 << i;
            } else if ka.handler != SIG_DFL {
                catch |= 1 << i;
            }
        }
        (ign, catch)
    }

    /// Ticks (HZ=1000) to clock ticks (USER_HZ).
    fn to_clock_t(jiffies: u64) -> u64 {
        jiffies / (1000 / USER_HZ)
    }

    /// `do_task_stat()`'s values; `whole` for /proc/PID/stat (the
    /// process: faults and times of its live threads summed), not for
    /// /proc/PID/task/TID/stat.
    pub fn task_stat(task: &Arc<TaskStruct>, whole: bool) -> TaskStat {
        let sig = &task.signal;
        let threads = thread_group(task.tgid);
        let num_threads = threads.len().max(1) as i64;
        let one = core::slice::from_ref(task);
        let counted = if whole { &threads[..] } else { one };
        let sum = |f: fn(&TaskStruct) -> u64| counted.iter().map(|t| f(t)).sum::<u64>();
        let state = task_state_index(task);
        let (sigign, sigcatch) = sigign_sigcatch(task);
        let mm = task.mm.lock_irqsave().clone();
        let (vsize, rss, stat_mm) = match &mm {
            Some(mm) => {
                let locked = mm.mmap_lock.lock();
                let vsize = locked.vmas.total_vm() * PAGE_SIZE;
                let s = locked.spans;
                let stat_mm = StatMm {
                    start_code: s.start_code,
                    end_code: s.end_code,
                    start_stack: locked.start_stack,
                    start_data: s.start_data,
                    end_data: s.end_data,
                    start_brk: locked.start_brk,
                    arg_start: s.arg_start,
                    arg_end: s.arg_end,
                    env_start: s.env_start,
                    env_end: s.env_end,
                };
                (vsize, mm.get_mm_rss(), Some(stat_mm))
            }
            None => (0, 0, None),
        };
        let mut flags = 0;
        if task.forknoexec.load(Relaxed) {
            flags |= PF_FORKNOEXEC;
        }
        if matches!(task.state(), TaskState::Zombie | TaskState::Dead) {
            flags |= PF_EXITING;
        }
        TaskStat {
            pid: task.pid,
            comm: String::from(task.comm()),
            state,
            ppid: task.ppid(),
            pgrp: sig.pgrp.load(Relaxed),
            session: sig.session.load(Relaxed),
            // No controlling terminals yet: tty_nr 0, tpgid -1.
            tty_nr: 0,
            tpgid: -1,
            flags,
            min_flt: sum(|t| t.min_flt.load(Relaxed)),
            cmin_flt: sig.cmin_flt.load(Relaxed),
            maj_flt: sum(|t| t.maj_flt.load(Relaxed)),
            cmaj_flt: sig.cmaj_flt.load(Relaxed),
            utime: to_clock_t(sum(|t| t.utime.load(Relaxed))),
            stime: to_clock_t(sum(|t| t.stime.load(Relaxed))),
            cutime: to_clock_t(sig.cutime.load(Relaxed)),
            cstime: to_clock_t(sig.cstime.load(Relaxed)),
            // task_prio() of a SCHED_NORMAL task at nice 0.
            priority: 20,
            nice: 0,
            num_threads,
            start_time: to_clock_t(task.start_time),
            vsize,
            rss,
            rsslim: sig.rlim.lock_irqsave().cur(RLIMIT_RSS),
            mm: stat_mm,
            pending: task.pending.set(),
            blocked: task.blocked.load(Relaxed),
            sigign,
            sigcatch,
            wchan: u64::from(state != 0 && (!whole || num_threads < 2)),
            exit_signal: task.exit_signal(),
            exit_code: task.exit_code(),
        }
    }

    /// `proc_tgid_stat()` / `proc_tid_stat()`.
    pub fn proc_pid_stat(task: &Arc<TaskStruct>, whole: bool, m: &mut String) -> fmt::Result {
        do_task_stat_show(m, &task_stat(task, whole))
    }

    /// `proc_pid_statm()` with `task_statm()`'s counts.
    pub fn proc_pid_statm(task: &Arc<TaskStruct>, m: &mut String) -> fmt::Result {
        let mm = task.mm.lock_irqsave().clone();
        let statm = match mm {
            Some(mm) => {
                let c = vm_counts(&mm);
                let spans = mm.mmap_lock.lock().spans;
                let file = mm.get_mm_counter(MmCounter::FilePages)
                    + mm.get_mm_counter(MmCounter::ShmemPages);
                let text_end = spans.end_code.next_multiple_of(PAGE_SIZE);
                let text_start = spans.start_code & !(PAGE_SIZE - 1);
                Statm {
                    size: c.total,
                    resident: mm.get_mm_rss(),
                    shared: file,
                    text: text_end.saturating_sub(text_start) >> PAGE_SHIFT,
                    data: c.data + c.stack,
                }
            }
            None => Statm::default(),
        };
        proc_pid_statm_show(m, &statm)
    }

    /// `proc_pid_status()`: the lines tinymm has.
    pub fn proc_pid_status(task: &Arc<TaskStruct>, m: &mut String) -> fmt::Result {
        let stat = task_stat(task, true);
        writeln!(m, "Name:\t{}", task.comm())?;
        writeln!(m, "Umask:\t{:04o}", task.signal.umask.load(Relaxed))?;
        writeln!(m, "State:\t{}", TASK_STATE_ARRAY[stat.state])?;
        writeln!(m, "Tgid:\t{}", task.tgid)?;
        writeln!(m, "Ngid:\t0")?;
        writeln!(m, "Pid:\t{}", task.pid)?;
        writeln!(m, "PPid:\t{}", task.ppid())?;
        writeln!(m, "TracerPid:\t0")?;
        writeln!(m, "Uid:\t0\t0\t0\t0")?;
        writeln!(m, "Gid:\t0\t0\t0\t0")?;
        let mm = task.mm.lock_irqsave().clone();
        if let Some(mm) = mm {
            task_mem(m, &mm)?;
        }
        writeln!(m, "Threads:\t{}", stat.num_threads)?;
        render_sigset_t(m, "SigPnd:", stat.pending)?;
        render_sigset_t(m, "ShdPnd:", task.signal.shared_pending.set())?;
        render_sigset_t(m, "SigBlk:", stat.blocked)?;
        render_sigset_t(m, "SigIgn:", stat.sigign)?;
        render_sigset_t(m, "SigCgt:", stat.sigcatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    /// The `cat` line of the host above, as the fields came in.
    fn cat_like() -> TaskStat {
        TaskStat {
            pid: 18610,
            comm: "cat".into(),
            state: 0,
            ppid: 18608,
            pgrp: 18608,
            session: 17519,
            tty_nr: 0,
            tpgid: -1,
            flags: 4194304,
            min_flt: 100,
            num_threads: 1,
            priority: 20,
            start_time: 1282885,
            vsize: 3133440,
            rss: 360,
            rsslim: u64::MAX,
            mm: Some(StatMm {
                start_code: 94399633899520,
                end_code: 94399633919401,
                start_stack: 140725222340976,
                start_data: 94399633935408,
                end_data: 94399633937024,
                start_brk: 94399643660288,
                arg_start: 140725222349538,
                arg_end: 140725222349558,
                env_start: 140725222349558,
                env_end: 140725222350827,
            }),
            exit_signal: 17,
            ..TaskStat::default()
        }
    }

    #[test]
    fn stat_line_is_linuxs() {
        let mut m = String::new();
        do_task_stat_show(&mut m, &cat_like()).unwrap();
        // The host's `cat /proc/self/stat`, with the processor field 0.
        assert_eq!(
            m,
            "18610 (cat) R 18608 18608 17519 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 \
             1282885 3133440 360 18446744073709551615 94399633899520 94399633919401 \
             140725222340976 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94399633935408 \
             94399633937024 94399643660288 140725222349538 140725222349558 \
             140725222349558 140725222350827 0\n"
        );
        assert_eq!(m.split_whitespace().count(), 52);
    }

    #[test]
    fn stat_of_a_zombie_has_no_mm_fields() {
        let t = TaskStat {
            pid: 7,
            comm: "a b)".into(),
            state: 6,
            mm: None,
            sigign: 1 << 40 | 6,
            sigcatch: 1 << 16,
            wchan: 1,
            exit_code: 9,
            ..cat_like()
        };
        let mut m = String::new();
        do_task_stat_show(&mut m, &t).unwrap();
        let fields: alloc::vec::Vec<&str> = m.rsplit_once(") ").unwrap().1.split(' ').collect();
        assert_eq!(fields.len(), 50, "52 fields, the name has a space");
        assert_eq!(fields[0], "Z");
        // startcode, endcode, startstack (fields 26-28) and 45-51 are 0.
        assert_eq!(&fields[23..26], ["0", "0", "0"]);
        // signal, blocked, sigignore, sigcatch (31 signals), wchan, 0, 0.
        assert_eq!(&fields[28..35], ["0", "0", "6", "65536", "1", "0", "0"]);
        assert!(fields[42..49].iter().all(|f| *f == "0"));
        assert_eq!(fields[49], "9\n");
    }

    #[test]
    fn statm_and_sigsets() {
        let mut m = String::new();
        proc_pid_statm_show(
            &mut m,
            &Statm {
                size: 765,
                resident: 424,
                shared: 397,
                text: 5,
                data: 123,
            },
        )
        .unwrap();
        assert_eq!(m, "765 424 397 5 0 123 0\n");
        m.clear();
        render_sigset_t(&mut m, "SigCgt:", (1 << 1) | (1 << 16) | (1 << 63)).unwrap();
        assert_eq!(m, "SigCgt:\t8000000000010002\n");
    }
}
