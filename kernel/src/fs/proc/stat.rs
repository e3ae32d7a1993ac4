//! `/proc/stat` (fs/proc/stat.c `show_stat`): CPU time by kind in clock
//! ticks, the whole machine's and each CPU's (one here), interrupts per
//! IRQ, context switches, boot time, forks, runnable and blocked tasks,
//! and softirqs (tinymm has none: all 0).

use core::fmt::{self, Write};

/// The values `show_stat()` prints.
pub struct KernelStat<'a> {
    /// `cpustat[]` by `enum cpu_usage_stat`, in clock ticks.
    pub cpustat: [u64; 10],
    /// Interrupts per IRQ number.
    pub irqs: &'a [u64],
    pub ctxt: u64,
    pub btime: u64,
    pub processes: u64,
    pub procs_running: u64,
    pub procs_blocked: u64,
}

/// `NR_SOFTIRQS`.
const NR_SOFTIRQS: usize = 10;

/// `show_stat()` for one CPU.
pub fn show_stat(m: &mut impl Write, s: &KernelStat) -> fmt::Result {
    for name in ["cpu ", "cpu0"] {
        m.write_str(name)?;
        for v in s.cpustat {
            write!(m, " {v}")?;
        }
        m.write_char('\n')?;
    }
    write!(m, "intr {}", s.irqs.iter().sum::<u64>())?;
    for v in s.irqs {
        write!(m, " {v}")?;
    }
    writeln!(m)?;
    writeln!(
        m,
        "ctxt {}\nbtime {}\nprocesses {}\nprocs_running {}\nprocs_blocked {}",
        s.ctxt, s.btime, s.processes, s.procs_running, s.procs_blocked
    )?;
    write!(m, "softirq 0")?;
    for _ in 0..NR_SOFTIRQS {
        m.write_str(" 0")?;
    }
    writeln!(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_in_linuxs_order() {
        let mut m = alloc::string::String::new();
        let s = KernelStat {
            cpustat: [5, 0, 7, 300, 0, 0, 0, 0, 0, 0],
            irqs: &[312, 0, 0, 0, 4],
            ctxt: 99,
            btime: 1796160517,
            processes: 12,
            procs_running: 1,
            procs_blocked: 0,
        };
        show_stat(&mut m, &s).unwrap();
        assert_eq!(
            m,
            "cpu  5 0 7 300 0 0 0 0 0 0\n\
             cpu0 5 0 7 300 0 0 0 0 0 0\n\
             intr 316 312 0 0 0 4\n\
             ctxt 99\n\
             btime 1796160517\n\
             processes 12\n\
             procs_running 1\n\
             procs_blocked 0\n\
             softirq 0 0 0 0 0 0 0 0 0 0 0\n"
        );
    }
}
