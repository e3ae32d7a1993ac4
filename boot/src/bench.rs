//! `tinymm bench`: boots tinymm in QEMU with deterministic guest time
//! (`-icount shift=0,sleep=off`), runs each benchmark's workload through a
//! scenario script (busybox is /init, and /init runs it as `sh
//! /scenario`), and prints a table of wall time and guest time. The
//! workloads time themselves (`--time`, or their own markers and rdtsc),
//! so the shell's forks and execs around them stay out of the guest
//! times.
//!
//! With `shift=0` one guest nanosecond is one executed instruction, so the
//! `anon: T ns` and `fileread: T ns` lines (CLOCK_MONOTONIC, which tinymm
//! derives from jiffies: 1 ms resolution) count instructions, not host
//! time. Wall time is host time: for the whole run (QEMU start to exit;
//! the disk image is built before) and for the measured part (between the
//! host arrival of the script's `bench: begin` and `bench: end` lines).
//!
//! The workloads run in a memory cgroup, `/sys/fs/cgroup/bench` (the
//! scenario's `sh` moves itself there), as the issue asks: 256 MiB of anonymous faults without a limit, and a 256 MiB
//! file read twice with memory.max=64M (memcg reclaim of clean page
//! cache). Two baselines run the same way without what is measured: the
//! anonymous faults in the root cgroup (whose pages are not charged to a
//! counter) and the reads in a memcg without a limit (no reclaim).
//!
//! Derived figures and how they are measured:
//!
//! * The charge paths, per page, in instructions: gdb single-steps whole
//!   `mem_cgroup_charge` calls of `anon` faults (QEMU's stub steps one
//!   instruction at a time with interrupts and timers off, so the count is
//!   exactly the instructions of the call, which under `-icount shift=0`
//!   is its guest time in ns). Each call is classified by the functions
//!   it entered: not `try_charge_memcg` = the root cgroup (no counter);
//!   `try_charge_memcg` but not `page_counter_try_charge` = the fast path
//!   (a stock hit, 63 of 64 charges); `page_counter_try_charge` = the slow
//!   path (the stock is empty: charge a 64-page batch up the hierarchy and
//!   stock the rest). A jiffy clock cannot time one charge, and no
//!   workload drains the stock on every charge, so the slow path cannot
//!   be isolated by guest time alone.
//! * The memcg's cost per anonymous fault from guest time: (anon in the
//!   memcg − anon in the root) / pages. It contains the charge (both paths
//!   in their 63:1 mix, less the root's charge call) and the memcg's
//!   statistics and LRU bookkeeping; the clock's 1 ms resolution makes it
//!   ±2 ms / 65536 pages ≈ ±31 ns.
//! * Reclaim cost per page reclaimed: (two passes with memory.max=64M −
//!   two cold passes without a limit) / pages reclaimed (memory.stat
//!   `pgsteal` of the memcg; memcg reclaim is not in /proc/vmstat's
//!   `pgsteal_direct`, as in Linux). The reads copy the same bytes either
//!   way, so the difference is what reclaiming costs: scanning,
//!   isolating, unmapping from the cache, uncharging, freeing, and the
//!   charge's slow path that triggers it.
//!
//! The fork+exec+wait benchmark (`user/c/forkexec.c`, built with glibc
//! by `tests/cbuild.rs`) forks, execs a static glibc `true` and waits for
//! it [`FORKEXEC_ITERATIONS`] times, on tinymm (from the shell, in the
//! root cgroup) and on Linux 6.1 (Debian's cloud kernel, `linux.rs`: the
//! program is its init) under the same QEMU. Its guest time is the rdtsc
//! delta, which under `-icount shift=0` counts instructions exactly (both
//! kernels' CLOCK_MONOTONIC are printed too; tinymm's has 1 ms
//! resolution); its wall time is host time between the program's own
//! `bench: begin` and `bench: end` lines. The figure the issue asks for
//! is the ratio of the two kernels' rates (target: tinymm ≥ 2× Linux).
//!
//! The pipe benchmark (`user/c/pipe.c`, glibc) forks; the child writes
//! [`PIPE_BYTES`] into a pipe in 64 KiB writes and the parent reads them
//! with 64 KiB reads, checks the count and the pattern's page stamps
//! (their sum is printed and checked here) and waits. It runs on both
//! kernels as fork+exec does (tinymm: from the shell, root cgroup; Linux:
//! as its init), with the same two clocks: the rdtsc delta from before
//! the fork to after the wait (instructions), and host time between the
//! program's markers. Its figures are MiB/s (2^20 bytes) and the ratio
//! of the two kernels' rates.
//!
//! The boot benchmark boots the same initramfs (busybox, /init, and
//! `/scenario` = `boottime`, `user/c/boottime.c`) on tinymm and on Linux
//! 6.1 (`run --linux`: `-kernel`/`-initrd`), and times QEMU's start to
//! the first line /init's scenario prints: in guest time, the time stamp
//! counter `boottime` reads (QEMU zeroes it at reset; under -icount it
//! counts instructions, firmware and boot loader included), and in wall
//! time, the host's arrival time of that line. The figure the issue asks
//! for is tinymm's over Linux's (target: below one half).
//!
//! The swap benchmark runs the same busybox scenario on both kernels
//! (Linux through `run --linux`, which loads its virtio modules) with a
//! fresh 512 MiB swap disk: `swapon /dev/vda`, then `swapbench 256`
//! (`user/c/swapbench.c`) in the memcg with memory.max=64M, which writes
//! 256 MiB of anonymous memory and reads it back, checking every word.
//! Per pass it prints the rdtsc delta and the idle + iowait time of
//! /proc/stat: -icount moves the clock while the CPU waits for the
//! disk, so a pass's instructions are the first less the second. A
//! pass's wall time is the host time of its line (from the begin marker
//! or the previous pass's) in the run without -icount. Targets: at least
//! 2x Linux's wall throughput, at most half its instructions.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::initramfs::{GuestFile, Source};
use crate::options::{Init, RunOptions};
use crate::qemu::run_captured;

const BEGIN: &str = "bench: begin";
const END: &str = "bench: end";
/// Printed before the memcg's memory.stat (outside the markers).
const MEMORY_STAT: &str = "bench: memory.stat";
/// The memcg the workloads run in.
const MEMCG: &str = "/sys/fs/cgroup/bench";
/// The file the read benchmarks read.
const BIG: &str = "/data/big";
const BIG_SIZE: u64 = 256 << 20;
/// fork+exec+wait iterations per run (each kernel's run takes well under
/// a minute of wall time on TCG).
pub const FORKEXEC_ITERATIONS: u32 = 200;
/// The program the benchmark execs, in both kernels' initramfs.
const TRUE: &str = "/bin/true";
/// What the pipe benchmark moves through its pipe: `pipe 1G`.
pub const PIPE_BYTES: u64 = 1 << 30;
const PIPE_ARG: &str = "1G";

/// How `tinymm bench` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Runs of every benchmark (at least 2, to check determinism).
    pub runs: u32,
    /// Per QEMU run.
    pub timeout: Duration,
    /// Only the benchmarks whose name contains this (and the charge-path
    /// count if "charge paths" does).
    pub only: Option<String>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            runs: 2,
            timeout: Duration::from_secs(600),
            only: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `anon SIZE --time`: pages per second.
    AnonFault,
    /// `fileread --time` runs: MB/s, and the reclaim counters.
    FileRead,
    /// `forkexec N /bin/true`: iterations per second.
    ForkExec,
    /// `pipe SIZE`: MiB/s through a pipe between two processes.
    Pipe,
    /// `boottime` as /init's first command: the time from QEMU's start.
    Boot,
    /// `swapbench SIZE_MIB` through a memory.max with swap: pages/s over
    /// the write and the read pass.
    Swap,
}

/// Which kernel a benchmark ran on.
#[derive(Debug, Clone, PartialEq)]
pub enum Kernel {
    Tinymm,
    /// The reference kernel (`linux.rs`).
    Linux,
}

/// Where a benchmark's workload runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cgroup {
    /// The root cgroup: pages are not charged to a counter.
    Root,
    /// [`MEMCG`] without a limit.
    Memcg,
    /// [`MEMCG`] with this memory.max.
    MemcgMax(&'static str),
}

struct Benchmark {
    name: &'static str,
    machine: &'static str,
    kind: Kind,
    cgroup: Cgroup,
    options: RunOptions,
    script: String,
}

/// The scenario: move the shell into the benchmark's cgroup, print the
/// counters, run `workload` between the markers, print them again.
fn scenario(cgroup: Cgroup, workload: &str) -> String {
    let mut script = String::new();
    if cgroup != Cgroup::Root {
        script.push_str("echo +memory > /sys/fs/cgroup/cgroup.subtree_control\n");
        let _ = writeln!(script, "mkdir {MEMCG}");
        if let Cgroup::MemcgMax(max) = cgroup {
            let _ = writeln!(script, "echo {max} > {MEMCG}/memory.max");
        }
        let _ = writeln!(script, "echo $$ > {MEMCG}/cgroup.procs");
    }
    let counters = |script: &mut String| {
        script.push_str("cat /proc/vmstat\n");
        if cgroup != Cgroup::Root {
            let _ = writeln!(script, "echo {MEMORY_STAT}\ncat {MEMCG}/memory.stat");
        }
    };
    counters(&mut script);
    let _ = writeln!(script, "echo {BEGIN}\n{workload}echo {END}");
    counters(&mut script);
    script
}

fn benchmarks() -> Vec<Benchmark> {
    // Busybox is /init, and /init runs the scenario (`sh /scenario`).
    let base = RunOptions {
        icount: true,
        init: Init::Busybox,
        ..RunOptions::default()
    };
    let anon_machine = RunOptions {
        mem: "1G".into(),
        ..base.clone()
    };
    // UEFI: BIOS loads a ramdisk at ~2 MB/s under TCG. 1 GiB holds the
    // ramdisk's copy of the file and its page cache: no global reclaim.
    let file_machine = RunOptions {
        mem: "1G".into(),
        uefi: true,
        files: vec![GuestFile {
            path: BIG.into(),
            mode: 0o644,
            source: Source::Generated(BIG_SIZE),
        }],
        ..base.clone()
    };
    // The programs are built by `cbuild::build_bench`, before the first boot.
    let forkexec_machine = RunOptions {
        mem: "1G".into(),
        files: bench_files(&[("forkexec", "/bin/forkexec"), ("true", TRUE)]),
        ..base.clone()
    };
    let pipe_machine = RunOptions {
        mem: "1G".into(),
        files: bench_files(&[("pipe", "/bin/pipe")]),
        ..base.clone()
    };
    let boot_machine = RunOptions {
        mem: "1G".into(),
        files: bench_files(&[("boottime", BOOTTIME)]),
        ..base.clone()
    };
    let swap_machine = RunOptions {
        mem: "1G".into(),
        files: bench_files(&[("swapbench", SWAPBENCH)]),
        swap: Some(SWAP_SIZE),
        ..base
    };
    // The swap disk goes on before the counters and the markers.
    let swap_script = format!(
        "swapon /dev/vda\n{}",
        scenario(
            Cgroup::MemcgMax(SWAP_MAX),
            &format!("{SWAPBENCH} {SWAP_MIB} || exit 1\n")
        )
    );
    let anon = "anon 256M --time\n";
    // Two runs of fileread rather than `--repeat 2`, for a time per pass.
    let read_twice = format!("fileread {BIG} --time\nfileread {BIG} --time\n");
    vec![
        Benchmark {
            name: "anon fault 256M, memcg",
            machine: "BIOS, 1 GiB",
            kind: Kind::AnonFault,
            cgroup: Cgroup::Memcg,
            options: anon_machine.clone(),
            script: scenario(Cgroup::Memcg, anon),
        },
        // The baseline of the memcg's cost per fault.
        Benchmark {
            name: "anon fault 256M, root cgroup",
            machine: "BIOS, 1 GiB",
            kind: Kind::AnonFault,
            cgroup: Cgroup::Root,
            options: anon_machine,
            script: scenario(Cgroup::Root, anon),
        },
        Benchmark {
            name: "file read 2x256M, memory.max=64M",
            machine: "UEFI, 1 GiB",
            kind: Kind::FileRead,
            cgroup: Cgroup::MemcgMax("64M"),
            options: file_machine.clone(),
            script: scenario(Cgroup::MemcgMax("64M"), &read_twice),
        },
        // The same reads without a limit: the baseline of the reclaim cost.
        Benchmark {
            name: "file read 2x256M, memcg, no limit",
            machine: "UEFI, 1 GiB",
            kind: Kind::FileRead,
            cgroup: Cgroup::Memcg,
            options: file_machine,
            script: scenario(Cgroup::Memcg, &read_twice),
        },
        // The program prints its own markers; the counters around it.
        Benchmark {
            name: FORKEXEC_TINYMM,
            machine: "BIOS, 1 GiB",
            kind: Kind::ForkExec,
            cgroup: Cgroup::Root,
            options: forkexec_machine,
            script: format!(
                "cat /proc/vmstat\nforkexec {FORKEXEC_ITERATIONS} {TRUE}\ncat /proc/vmstat\n"
            ),
        },
        Benchmark {
            name: PIPE_TINYMM,
            machine: "BIOS, 1 GiB",
            kind: Kind::Pipe,
            cgroup: Cgroup::Root,
            options: pipe_machine,
            script: format!("cat /proc/vmstat\npipe {PIPE_ARG}\ncat /proc/vmstat\n"),
        },
        // The same initramfs on both kernels: the first line /init's
        // scenario prints is `boottime`'s.
        Benchmark {
            name: BOOT_TINYMM,
            machine: "BIOS, 1 GiB",
            kind: Kind::Boot,
            cgroup: Cgroup::Root,
            options: boot_machine.clone(),
            script: format!("{BOOTTIME}\n"),
        },
        Benchmark {
            name: BOOT_LINUX,
            machine: "-kernel, 1 GiB",
            kind: Kind::Boot,
            cgroup: Cgroup::Root,
            options: RunOptions {
                linux: true,
                ..boot_machine
            },
            script: format!("{BOOTTIME}\n"),
        },
        // The same scenario and swap disk on both kernels (Linux loads
        // its virtio modules from the initramfs, `disk.rs`).
        Benchmark {
            name: SWAP_TINYMM,
            machine: "BIOS, 1 GiB, 512M swap",
            kind: Kind::Swap,
            cgroup: Cgroup::MemcgMax(SWAP_MAX),
            options: swap_machine.clone(),
            script: swap_script.clone(),
        },
        Benchmark {
            name: SWAP_LINUX,
            machine: "-kernel, 1 GiB, 512M swap",
            kind: Kind::Swap,
            cgroup: Cgroup::MemcgMax(SWAP_MAX),
            options: RunOptions {
                linux: true,
                ..swap_machine
            },
            script: swap_script,
        },
    ]
}

const FORKEXEC_TINYMM: &str = "fork+exec+wait x200, tinymm";
const FORKEXEC_LINUX: &str = "fork+exec+wait x200, Linux";
const PIPE_TINYMM: &str = "pipe 1G, tinymm";
const PIPE_LINUX: &str = "pipe 1G, Linux";
const BOOT_TINYMM: &str = "boot to /init's first line, tinymm";
const BOOT_LINUX: &str = "boot to /init's first line, Linux";
/// The boot benchmark's program (`user/c/boottime.c`).
const BOOTTIME: &str = "/bin/boottime";
const SWAP_TINYMM: &str = "anon 256M written+read, memory.max=64M, swap, tinymm";
const SWAP_LINUX: &str = "anon 256M written+read, memory.max=64M, swap, Linux";
/// The swap benchmark's memory.max, swap disk and anonymous memory.
const SWAP_MAX: &str = "64M";
const SWAP_SIZE: u64 = 512 << 20;
const SWAP_MIB: u64 = 256;

/// The swap benchmark's program (`user/c/swapbench.c`); a wrong byte
/// fails it, and `|| exit 1` the run.
const SWAPBENCH: &str = "/bin/swapbench";

/// A benchmark that also runs on Linux, as its init.
struct LinuxBench {
    kind: Kind,
    /// Linux's row, without the release.
    name: &'static str,
    /// The program (`user/c/`), and its arguments.
    program: &'static str,
    args: String,
    /// Per boot, at most (and at most `--timeout`).
    timeout: Duration,
}

fn linux_benchmarks() -> [LinuxBench; 2] {
    [
        LinuxBench {
            kind: Kind::ForkExec,
            name: FORKEXEC_LINUX,
            program: "forkexec",
            args: format!("{FORKEXEC_ITERATIONS} {TRUE}"),
            timeout: Duration::from_secs(180),
        },
        // Linux copies with `rep movsb`, which TCG runs a byte at a time:
        // 1 GiB takes it minutes under -icount.
        LinuxBench {
            kind: Kind::Pipe,
            name: PIPE_LINUX,
            program: "pipe",
            args: PIPE_ARG.into(),
            timeout: Duration::from_secs(900),
        },
    ]
}

/// The benchmark programs (static glibc, `user/c/`) at their guest paths.
fn bench_files(programs: &[(&str, &str)]) -> Vec<GuestFile> {
    programs
        .iter()
        .map(|&(name, path)| GuestFile {
            path: path.into(),
            mode: 0o755,
            // Built without debug info: packed as they are.
            source: Source::Host(crate::cbuild::path("glibc", name)),
        })
        .collect()
}

/// What one run measured, parsed from its console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Every `PROG: T ns` line between the markers, in order.
    pub guest_ns: Vec<u64>,
    /// Host time from the begin marker to the arrival of each of those
    /// lines (a pass's wall time: tinymm's clock loses ticks under TCG
    /// without -icount).
    pub ns_at: Vec<Duration>,
    /// `anon: touched P pages`, summed.
    pub pages: u64,
    /// `fileread: read B bytes`, summed.
    pub bytes: u64,
    /// `fileread: sum X`, in order.
    pub sums: Vec<u64>,
    /// `forkexec: N iterations`, summed.
    pub iterations: u64,
    /// `forkexec: tsc D`, summed: instructions under -icount shift=0.
    pub tsc: u64,
    /// Every `PROG: tsc D` line between the markers, in order (one per
    /// pass of `swapbench`).
    pub tscs: Vec<u64>,
    /// `PROG: idle_ns I` lines, in order: the idle and iowait time of
    /// each `swapbench` pass (/proc/stat), which -icount counts as guest
    /// time without instructions.
    pub idle_ns: Vec<u64>,
    /// Host time between the arrival of the begin and end markers.
    pub measured: Duration,
    /// `/proc/vmstat` before the begin marker and after the end marker.
    pub vmstat_before: BTreeMap<String, u64>,
    pub vmstat_after: BTreeMap<String, u64>,
    /// The memcg's memory.stat, likewise (empty in the root cgroup).
    pub memstat_before: BTreeMap<String, u64>,
    pub memstat_after: BTreeMap<String, u64>,
}

impl Figures {
    pub fn guest_total_ns(&self) -> u64 {
        self.guest_ns.iter().sum()
    }

    /// How much a /proc/vmstat counter grew over the measured part.
    pub fn vmstat_delta(&self, key: &str) -> Option<u64> {
        let before = self.vmstat_before.get(key)?;
        self.vmstat_after.get(key)?.checked_sub(*before)
    }

    /// How much a memory.stat counter of the memcg grew.
    pub fn memstat_delta(&self, key: &str) -> Option<u64> {
        let before = self.memstat_before.get(key)?;
        self.memstat_after.get(key)?.checked_sub(*before)
    }

    /// The part that must repeat exactly under icount (all but host time).
    fn guest_part(&self) -> Figures {
        Figures {
            measured: Duration::ZERO,
            ns_at: Vec::new(),
            ..self.clone()
        }
    }
}

/// Parses a benchmark run's console lines (with host arrival times).
pub fn parse_run(lines: &[(Duration, String)]) -> Result<Figures, String> {
    let mut figures = Figures::default();
    let (mut begin, mut end) = (None, None);
    // Counter lines go to memory.stat's map after its marker line, else
    // to /proc/vmstat's.
    let mut in_memstat = false;
    for (at, line) in lines {
        let line = line.as_str();
        if line == BEGIN && begin.is_none() {
            begin = Some(*at);
            in_memstat = false;
            continue;
        }
        if line == END && begin.is_some() && end.is_none() {
            end = Some(*at);
            in_memstat = false;
            continue;
        }
        if begin.is_none() || end.is_some() {
            if line == MEMORY_STAT {
                in_memstat = true;
            } else if let Some((key, value)) = vmstat_line(line) {
                let map = match (begin.is_none(), in_memstat) {
                    (true, false) => &mut figures.vmstat_before,
                    (false, false) => &mut figures.vmstat_after,
                    (true, true) => &mut figures.memstat_before,
                    (false, true) => &mut figures.memstat_after,
                };
                map.insert(key.to_string(), value);
            }
            continue;
        }
        let Some((_prog, rest)) = line.split_once(": ") else {
            continue;
        };
        let words: Vec<&str> = rest.split(' ').collect();
        match words[..] {
            [t, "ns"] => {
                figures.guest_ns.push(number(t, line)?);
                figures.ns_at.push(*at - begin.unwrap_or_default());
            }
            ["touched", p, "pages"] => figures.pages += number(p, line)?,
            ["read", b, "bytes"] => figures.bytes += number(b, line)?,
            ["sum", x] => figures.sums.push(number(x, line)?),
            [n, "iterations"] => figures.iterations += number(n, line)?,
            ["idle_ns", i] => figures.idle_ns.push(number(i, line)?),
            ["tsc", d] => {
                let d = number(d, line)?;
                figures.tsc += d;
                figures.tscs.push(d);
            }
            _ => {}
        }
    }
    let (Some(begin), Some(end)) = (begin, end) else {
        return Err(format!("no `{BEGIN}` and `{END}` lines on the console"));
    };
    figures.measured = end - begin;
    if figures.guest_ns.is_empty() {
        return Err("no `T ns` line between the markers".into());
    }
    Ok(figures)
}

/// Parses a boot run's console: `boottime: tsc T` and `boottime: K ns`;
/// the measured wall time is the host's arrival time of the tsc line
/// (from QEMU's start).
pub fn parse_boot(lines: &[(Duration, String)]) -> Result<Figures, String> {
    let mut figures = Figures::default();
    let mut arrived = None;
    for (at, line) in lines {
        let Some(rest) = line.strip_prefix("boottime: ") else {
            continue;
        };
        match rest.split(' ').collect::<Vec<_>>()[..] {
            ["tsc", t] if arrived.is_none() => {
                figures.tsc = number(t, line)?;
                arrived = Some(*at);
            }
            [k, "ns"] => figures.guest_ns.push(number(k, line)?),
            _ => {}
        }
    }
    figures.measured = arrived.ok_or("no `boottime: tsc T` line on the console")?;
    Ok(figures)
}

fn number(text: &str, line: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("not a number in `{line}`: {text}"))
}

/// `name value` as /proc/vmstat and memory.stat print it.
fn vmstat_line(line: &str) -> Option<(&str, u64)> {
    let (key, value) = line.split_once(' ')?;
    let is_key = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !is_key {
        return None;
    }
    Some((key, value.parse().ok()?))
}

/// One run of one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// QEMU start to exit.
    pub wall: Duration,
    pub figures: Figures,
}

/// All runs of one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub name: String,
    pub machine: String,
    kind: Kind,
    cgroup: Cgroup,
    pub kernel: Kernel,
    pub runs: Vec<Run>,
    /// One more run without -icount, as Linux's reference figures were
    /// taken: its wall clock is the comparable one.
    pub native: Option<Run>,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// A run's throughput over `seconds`: pages/s, MB/s (10^6 bytes), forks/s
/// or MiB/s (2^20 bytes).
/// A boot has a time, not a throughput: `-`.
fn throughput(kind: Kind, figures: &Figures, seconds: f64) -> String {
    match (kind, rate(kind, figures, seconds)) {
        (Kind::AnonFault, Some(rate)) => format!("{rate:.0} pages/s"),
        (Kind::FileRead, Some(rate)) => format!("{rate:.1} MB/s"),
        (Kind::ForkExec, Some(rate)) => format!("{rate:.1} forks/s"),
        (Kind::Pipe, Some(rate)) => format!("{rate:.1} MiB/s"),
        (Kind::Swap, Some(rate)) => format!("{rate:.0} pages/s"),
        _ => "-".into(),
    }
}

/// The number [`throughput`] prints.
fn rate(kind: Kind, figures: &Figures, seconds: f64) -> Option<f64> {
    Some(match kind {
        Kind::AnonFault => figures.pages as f64 / seconds,
        Kind::FileRead => figures.bytes as f64 / 1e6 / seconds,
        Kind::ForkExec => figures.iterations as f64 / seconds,
        Kind::Pipe => figures.bytes as f64 / (1u64 << 20) as f64 / seconds,
        // Each page is written once and read once.
        Kind::Swap => 2.0 * figures.pages as f64 / seconds,
        Kind::Boot => return None,
    })
}

/// A run's guest time in ns: the clock lines' sum, or for the programs
/// that read it the exact rdtsc count.
fn guest_time(kind: Kind, figures: &Figures) -> u64 {
    match kind {
        Kind::ForkExec | Kind::Pipe | Kind::Boot | Kind::Swap => figures.tsc,
        _ => figures.guest_total_ns(),
    }
}

// ---------------------------------------------------------------------
// The charge paths, counted instruction by instruction under gdb.

/// The classes of `mem_cgroup_charge` calls (see the module comment).
const CHARGE_KINDS: [&str; 3] = ["root", "fast", "slow"];

/// The scenario of the charge-path count: faults in the root cgroup, then
/// in a memcg without a limit.
fn charge_scenario() -> String {
    format!(
        "anon 64K\n\
         echo +memory > /sys/fs/cgroup/cgroup.subtree_control\n\
         mkdir {MEMCG}\necho $$ > {MEMCG}/cgroup.procs\nanon 1M\n"
    )
}

/// gdb's Python: from the first user fault on, single-step whole
/// `mem_cgroup_charge` calls of anonymous faults (entry to return; the
/// caller is `do_anonymous_page`, as in the `anon` program's faults, not
/// the page cache's or copy-on-write's charges of /init and busybox) and
/// write `charge: KIND N` lines to `@OUT@` until each class has enough
/// samples. Stepping's own output goes to /dev/null.
const CHARGE_PY: &str = r#"
import gdb
out = open(@OUT@, "w")
def locations(name):
    b = gdb.Breakpoint(name, internal=True)
    found = set(l.address for l in b.locations)
    b.delete()
    return found
try_charge_memcg = locations("try_charge_memcg")
page_counter_try_charge = locations("page_counter_try_charge")
gdb.execute("break do_user_addr_fault")
gdb.execute("continue")
gdb.execute("delete")
b = gdb.Breakpoint("mem_cgroup_charge")
gdb.execute("continue")
block = gdb.selected_frame().block()
while block.function is None:
    block = block.superblock
b.delete()
gdb.Breakpoint("*%d" % block.start)
gdb.execute("set logging file /dev/null")
gdb.execute("set logging redirect on")
gdb.execute("set logging enabled on")
want = {"root": 8, "fast": 64, "slow": 2}
got = {"root": 0, "fast": 0, "slow": 0}
calls = 0
while any(got[k] < want[k] for k in want) and calls < 1000:
    gdb.execute("continue")
    caller = gdb.selected_frame().older().name() or ""
    if not caller.endswith("::do_anonymous_page"):
        continue
    calls += 1
    sp0 = int(gdb.parse_and_eval("$sp"))
    n = 0
    memcg = slow = False
    while True:
        gdb.execute("stepi")
        n += 1
        pc = int(gdb.parse_and_eval("$pc"))
        if pc in try_charge_memcg:
            memcg = True
        elif pc in page_counter_try_charge:
            slow = True
        if int(gdb.parse_and_eval("$sp")) > sp0:
            break
    kind = "slow" if slow else ("fast" if memcg else "root")
    got[kind] += 1
    out.write("charge: %s %d\n" % (kind, n))
    out.flush()
gdb.execute("set logging enabled off")
out.write("charge: done\n")
out.close()
"#;

/// Instructions of each `mem_cgroup_charge` call by class, in call order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChargeCounts {
    pub calls: BTreeMap<String, Vec<u64>>,
}

impl ChargeCounts {
    /// The median and the range of a class, if it has samples.
    fn summary(&self, kind: &str) -> Option<(u64, u64, u64, usize)> {
        let mut v = self.calls.get(kind)?.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        Some((v[v.len() / 2], v[0], v[v.len() - 1], v.len()))
    }
}

/// Parses the `charge: KIND N` lines the gdb script wrote.
pub fn parse_charge_counts(text: &str) -> Result<ChargeCounts, String> {
    let mut counts = ChargeCounts::default();
    let mut done = false;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("charge: ") else {
            continue;
        };
        if rest == "done" {
            done = true;
            continue;
        }
        let (kind, n) = rest
            .split_once(' ')
            .ok_or_else(|| format!("bad line `{line}`"))?;
        if !CHARGE_KINDS.contains(&kind) {
            return Err(format!("bad class in `{line}`"));
        }
        counts
            .calls
            .entry(kind.to_string())
            .or_default()
            .push(number(n, line)?);
    }
    if !done {
        return Err("the gdb script did not finish".into());
    }
    if let Some(kind) = CHARGE_KINDS.iter().find(|k| counts.summary(k).is_none()) {
        return Err(format!("no `{kind}` charge was stepped"));
    }
    Ok(counts)
}

/// One gdb session (BIOS, 128 MiB; no -icount: stepping counts exactly
/// anyway) that counts the charge paths; its output is kept in `logs`.
fn measure_charge_paths(logs: &Path, run: u32, timeout: Duration) -> Result<ChargeCounts, String> {
    let script = logs.join("charge-paths.sh");
    let python = logs.join("charge-paths.py");
    let out = logs.join(format!("charge-paths-{run}.out"));
    let log = logs.join(format!("charge-paths-{run}.log"));
    let _ = fs::remove_file(&out);
    let write = |path: &Path, text: &str| {
        fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write(&script, &charge_scenario())?;
    let out_literal = format!("{:?}", out.display().to_string());
    write(&python, &CHARGE_PY.replace("@OUT@", &out_literal))?;
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let output = Command::new(exe)
        .args(["gdb", "--init", "busybox", "--batch", "--timeout"])
        .arg(timeout.as_secs().to_string())
        .arg("--script")
        .arg(&script)
        .arg("-x")
        .arg(&python)
        .output()
        .map_err(|e| format!("cannot start tinymm gdb: {e}"))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    let _ = fs::write(&log, &text);
    let counts = fs::read_to_string(&out).unwrap_or_default();
    parse_charge_counts(&counts).map_err(|e| format!("{e} (gdb's output: {})", log.display()))
}

/// The derived charge-path lines: per class, and the differences.
fn charge_lines(charge: &Result<Vec<ChargeCounts>, String>) -> Vec<String> {
    let runs = match charge {
        Ok(runs) if !runs.is_empty() => runs,
        Ok(_) => return vec!["charge paths: n/a (not measured)".into()],
        Err(e) => return vec![format!("charge paths: n/a ({e})")],
    };
    let first = &runs[0];
    let s = |kind| first.summary(kind).unwrap_or_default();
    let (root, fast, slow) = (s("root"), s("fast"), s("slow"));
    let line = |label: &str, (median, min, max, n): (u64, u64, u64, usize)| {
        format!("{label} {median} ns (median of {n} calls, {min}..{max})")
    };
    // Single calls vary by a few instructions, and which calls a run
    // samples depends on where host-timed ticks fall (the session runs
    // without -icount): compare the medians.
    let medians = |r: &ChargeCounts| CHARGE_KINDS.map(|k| r.summary(k).map(|s| s.0));
    let identical = runs.iter().all(|r| medians(r) == medians(first));
    vec![
        line(
            "charge fast path (stock hit), per page: mem_cgroup_charge  ",
            fast,
        ),
        line(
            "charge slow path (64-page batch + refill), per page:       ",
            slow,
        ),
        line(
            "charge in the root cgroup (no counter), per page:          ",
            root,
        ),
        format!(
            "  i.e. over the root's call: fast +{} ns, slow +{} ns; amortized over a batch (63 fast + 1 slow) +{:.1} ns per page",
            fast.0 as i64 - root.0 as i64,
            slow.0 as i64 - root.0 as i64,
            (63.0 * (fast.0 as f64 - root.0 as f64) + (slow.0 as f64 - root.0 as f64)) / 64.0
        ),
        format!(
            "  (instructions single-stepped by gdb, = guest ns under -icount shift=0; {})",
            if identical {
                format!("medians identical in {} run(s)", runs.len())
            } else {
                let per_run = |i: usize| {
                    let m: Vec<String> = runs
                        .iter()
                        .map(|r| medians(r)[i].map_or("?".into(), |v| v.to_string()))
                        .collect();
                    format!("{} {}", CHARGE_KINDS[i], m.join("/"))
                };
                format!(
                    "medians per run DIFFER: {}, {}, {}; the first run's shown",
                    per_run(1),
                    per_run(2),
                    per_run(0)
                )
            }
        ),
    ]
}

/// The table `tinymm bench` prints; `charge` is the charge-path count's
/// result (per run), `linux_missing` why Linux's runs are missing, if
/// they are (an `n/a` row for each benchmark tinymm ran).
pub fn format_table(
    measured: &[Measured],
    charge: &Result<Vec<ChargeCounts>, String>,
    linux_missing: Option<&str>,
) -> String {
    let mut out = String::new();
    let header = [
        "benchmark",
        "machine",
        "run",
        "wall total",
        "wall measured",
        "guest time",
        "throughput (guest)",
        "throughput (wall)",
    ];
    let mut rows: Vec<[String; 8]> = vec![header.map(String::from)];
    for m in measured {
        for (i, run) in m.runs.iter().enumerate() {
            let f = &run.figures;
            let guest_s = guest_time(m.kind, f) as f64 / 1e9;
            rows.push([
                m.name.clone(),
                m.machine.clone(),
                (i + 1).to_string(),
                format!("{:.2} s", secs(run.wall)),
                format!("{:.2} s", secs(f.measured)),
                format!("{} ns", guest_time(m.kind, f)),
                throughput(m.kind, f, guest_s),
                throughput(m.kind, f, secs(f.measured)),
            ]);
        }
        if let Some(run) = &m.native {
            let f = &run.figures;
            rows.push([
                m.name.clone(),
                m.machine.clone(),
                "no -icount".into(),
                format!("{:.2} s", secs(run.wall)),
                format!("{:.2} s", secs(f.measured)),
                "-".into(),
                "-".into(),
                throughput(m.kind, f, secs(f.measured)),
            ]);
        }
    }
    // A Linux row for each kind tinymm ran and Linux did not.
    if linux_missing.is_some() {
        let rows_of_linux = linux_benchmarks()
            .map(|LinuxBench { kind, name, .. }| (kind, name))
            .into_iter()
            .chain([(Kind::Boot, BOOT_LINUX), (Kind::Swap, SWAP_LINUX)]);
        for (kind, name) in rows_of_linux {
            let ran = |kernel: Kernel| {
                measured
                    .iter()
                    .any(|m| m.kind == kind && m.kernel == kernel)
            };
            if ran(Kernel::Tinymm) && !ran(Kernel::Linux) {
                rows.push([name, "-", "n/a", "-", "-", "-", "-", "-"].map(String::from));
            }
        }
    }
    let widths: Vec<usize> = (0..8)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }

    let _ = writeln!(
        out,
        "\nper pass (guest ns) and counters (deltas of /proc/vmstat, and of the memcg's memory.stat):"
    );
    for m in measured {
        let Some(run) = m.runs.first() else { continue };
        let f = &run.figures;
        if m.kind == Kind::ForkExec {
            let mut line = format!(
                "  {}: {} iterations, tsc {} (guest ns), CLOCK_MONOTONIC {} ns",
                m.name,
                f.iterations,
                f.tsc,
                f.guest_total_ns()
            );
            if m.kernel == Kernel::Tinymm {
                let delta = |key| f.vmstat_delta(key).map_or("?".into(), |d| d.to_string());
                let _ = write!(
                    line,
                    " (1 ms resolution); pgfault +{}, pgmajfault +{}",
                    delta("pgfault"),
                    delta("pgmajfault")
                );
            }
            let _ = writeln!(out, "{line}");
            continue;
        }
        if m.kind == Kind::Boot {
            let _ = writeln!(
                out,
                "  {}: tsc {} (guest ns from QEMU's start), the kernel's CLOCK_BOOTTIME {} ns",
                m.name,
                f.tsc,
                f.guest_total_ns()
            );
            continue;
        }
        if m.kind == Kind::Swap {
            let _ = writeln!(out, "  {}: {}", m.name, swap_counters(f));
            continue;
        }
        if m.kind == Kind::Pipe {
            let _ = writeln!(
                out,
                "  {}: {} bytes, stamp sum {}, tsc {} (guest ns), CLOCK_MONOTONIC {} ns",
                m.name,
                f.bytes,
                f.sums.first().copied().unwrap_or_default(),
                f.tsc,
                f.guest_total_ns()
            );
            continue;
        }
        let passes: Vec<String> = f.guest_ns.iter().map(u64::to_string).collect();
        let delta = |key| f.vmstat_delta(key).map_or("?".into(), |d| d.to_string());
        let allocstall: u64 = ["dma", "dma32", "normal", "movable"]
            .iter()
            .filter_map(|zone| f.vmstat_delta(&format!("allocstall_{zone}")))
            .sum();
        let mut line = format!(
            "  {}: passes {} ns; pgfault +{}, pgmajfault +{}, pgscan_direct +{}, pgsteal_direct +{}, allocstall_* +{allocstall}",
            m.name,
            passes.join(" + "),
            delta("pgfault"),
            delta("pgmajfault"),
            delta("pgscan_direct"),
            delta("pgsteal_direct"),
        );
        if m.cgroup != Cgroup::Root {
            let memstat = |key| f.memstat_delta(key).map_or("?".into(), |d| d.to_string());
            let _ = write!(
                line,
                "; memory.stat pgfault +{}, pgscan +{}, pgsteal +{}",
                memstat("pgfault"),
                memstat("pgscan"),
                memstat("pgsteal")
            );
        }
        let _ = writeln!(out, "{line}");
    }

    let _ = writeln!(
        out,
        "\nderived (guest time; the methods are in boot/src/bench.rs):"
    );
    for line in charge_lines(charge) {
        let _ = writeln!(out, "  {line}");
    }
    for line in memcg_fault_cost(measured) {
        let _ = writeln!(out, "  {line}");
    }
    for line in reclaim_cost(measured) {
        let _ = writeln!(out, "  {line}");
    }
    for line in forkexec_ratio(measured, linux_missing) {
        let _ = writeln!(out, "  {line}");
    }
    for line in pipe_ratio(measured, linux_missing) {
        let _ = writeln!(out, "  {line}");
    }
    for line in boot_ratio(measured, linux_missing) {
        let _ = writeln!(out, "  {line}");
    }
    for line in swap_ratio(measured, linux_missing) {
        let _ = writeln!(out, "  {line}");
    }

    let _ = writeln!(
        out,
        "\ndeterminism (guest figures, /proc/vmstat and memory.stat across runs):"
    );
    for m in measured {
        let _ = writeln!(out, "  {}: {}", m.name, determinism(m.kind, &m.runs));
    }
    out
}

fn find(measured: &[Measured], kind: Kind, limited: bool, cgroup: Cgroup) -> Option<&Run> {
    measured
        .iter()
        .find(|m| {
            m.kind == kind
                && match cgroup {
                    Cgroup::MemcgMax(_) => matches!(m.cgroup, Cgroup::MemcgMax(_)) == limited,
                    other => m.cgroup == other,
                }
        })
        .and_then(|m| m.runs.first())
}

/// The memcg's cost per anonymous fault: (memcg − root) guest time over
/// the pages touched.
fn memcg_fault_cost(measured: &[Measured]) -> Vec<String> {
    let (Some(memcg), Some(root)) = (
        find(measured, Kind::AnonFault, false, Cgroup::Memcg),
        find(measured, Kind::AnonFault, false, Cgroup::Root),
    ) else {
        return vec!["memcg cost per anonymous fault: n/a (a run is missing)".into()];
    };
    let pages = memcg.figures.pages;
    if pages == 0 || pages != root.figures.pages {
        return vec!["memcg cost per anonymous fault: n/a (page counts differ)".into()];
    }
    let (t_memcg, t_root) = (
        memcg.figures.guest_total_ns(),
        root.figures.guest_total_ns(),
    );
    let extra = t_memcg as i128 - t_root as i128;
    vec![format!(
        "memcg cost per anonymous fault (charge, memcg stats and LRU; ±{} ns by the 1 ms clock): {} ns = ({t_memcg} - {t_root}) ns / {pages}",
        2_000_000 / pages,
        extra / pages as i128
    )]
}

/// Reclaim cost per page reclaimed, from the file benchmarks: the limited
/// read's guest time over its memcg's pgsteal, and its extra guest time
/// over as many cold reads without a limit, per page reclaimed.
fn reclaim_cost(measured: &[Measured]) -> Vec<String> {
    let Some(limited) = find(measured, Kind::FileRead, true, Cgroup::MemcgMax("")) else {
        return vec!["reclaim cost per page: n/a (no reclaim benchmark ran)".into()];
    };
    let f = &limited.figures;
    let stolen = f.memstat_delta("pgsteal").unwrap_or(0);
    if stolen == 0 {
        return vec!["reclaim cost per page: n/a (nothing was reclaimed)".into()];
    }
    let mut lines = vec![format!(
        "read time per page reclaimed (whole read incl. copying; an upper bound): {} ns = {} ns / {stolen} (memory.stat pgsteal)",
        f.guest_total_ns() / stolen,
        f.guest_total_ns()
    )];
    if let Some(cold) = find(measured, Kind::FileRead, false, Cgroup::Memcg)
        && let Some(&cold_pass) = cold.figures.guest_ns.first()
    {
        let baseline = cold_pass * f.guest_ns.len() as u64;
        let extra = f.guest_total_ns() as i128 - baseline as i128;
        lines.push(format!(
            "reclaim cost per page reclaimed (extra over {} cold read(s) without a limit): {} ns = ({} - {baseline}) ns / {stolen}",
            f.guest_ns.len(),
            extra / stolen as i128,
            f.guest_total_ns()
        ));
    }
    lines
}

/// The tinymm and the Linux measurement of `kind`; without them, the
/// lines to print instead: none when tinymm's did not run (`--only`),
/// "n/a" when Linux's is missing.
fn both_kernels<'a>(
    measured: &'a [Measured],
    kind: Kind,
    name: &str,
    linux_missing: Option<&str>,
) -> Result<(&'a Measured, &'a Measured), Vec<String>> {
    let by = |kernel: Kernel| {
        measured
            .iter()
            .find(|m| m.kind == kind && m.kernel == kernel)
    };
    let tinymm = by(Kernel::Tinymm).ok_or_else(Vec::new)?;
    let linux = by(Kernel::Linux).ok_or_else(|| {
        vec![format!(
            "{name}, tinymm / Linux: n/a ({})",
            linux_missing.unwrap_or("a run is missing")
        )]
    })?;
    Ok((tinymm, linux))
}

/// tinymm's fork+exec+wait rate over Linux's: in guest time (instructions
/// per iteration, from the first runs) and in wall time (the runs
/// without -icount).
fn forkexec_ratio(measured: &[Measured], linux_missing: Option<&str>) -> Vec<String> {
    let (tinymm, linux) =
        match both_kernels(measured, Kind::ForkExec, "fork+exec+wait", linux_missing) {
            Ok(both) => both,
            Err(lines) => return lines,
        };
    let per_iteration = |m: &Measured| {
        let f = &m.runs.first()?.figures;
        (f.iterations > 0).then(|| f.tsc as f64 / f.iterations as f64)
    };
    let wall_rate = |m: &Measured| {
        let f = &m.native.as_ref()?.figures;
        let s = secs(f.measured);
        (s > 0.0).then(|| f.iterations as f64 / s)
    };
    let mut lines = Vec::new();
    match (per_iteration(tinymm), per_iteration(linux)) {
        (Some(t), Some(l)) => lines.push(format!(
            "fork+exec+wait per iteration (guest ns = instructions): tinymm {t:.0}, Linux {l:.0}; rate tinymm / Linux {:.2}x (target 2x)",
            l / t
        )),
        _ => lines.push("fork+exec+wait per iteration: n/a (no iterations)".into()),
    }
    if let (Some(t), Some(l)) = (wall_rate(tinymm), wall_rate(linux)) {
        lines.push(format!(
            "fork+exec+wait rate without -icount (wall): tinymm {t:.1}/s, Linux {l:.1}/s; tinymm / Linux {:.2}x",
            t / l
        ));
    }
    lines
}

/// tinymm's pipe throughput over Linux's: in guest time (instructions per
/// MiB, from the first runs) and in wall time (the runs without -icount).
/// Nothing when no pipe benchmark ran.
fn pipe_ratio(measured: &[Measured], linux_missing: Option<&str>) -> Vec<String> {
    let (tinymm, linux) = match both_kernels(measured, Kind::Pipe, "pipe", linux_missing) {
        Ok(both) => both,
        Err(lines) => return lines,
    };
    let guest = |m: &Measured| {
        let f = &m.runs.first()?.figures;
        (f.tsc > 0)
            .then(|| rate(Kind::Pipe, f, f.tsc as f64 / 1e9))
            .flatten()
    };
    let wall = |m: &Measured| {
        let f = &m.native.as_ref()?.figures;
        let s = secs(f.measured);
        (s > 0.0).then(|| rate(Kind::Pipe, f, s)).flatten()
    };
    let mut lines = Vec::new();
    match (guest(tinymm), guest(linux)) {
        (Some(t), Some(l)) => lines.push(format!(
            "pipe throughput (guest: instructions): tinymm {t:.1} MiB/s, Linux {l:.1} MiB/s \
             ({:.0} and {:.0} instructions per 4 KiB); tinymm / Linux {:.2}x",
            4096.0 * 1e9 / (t * (1u64 << 20) as f64),
            4096.0 * 1e9 / (l * (1u64 << 20) as f64),
            t / l
        )),
        _ => lines.push("pipe throughput (guest): n/a (no tsc)".into()),
    }
    if let (Some(t), Some(l)) = (wall(tinymm), wall(linux)) {
        lines.push(format!(
            "pipe throughput without -icount (wall): tinymm {t:.1} MiB/s, Linux {l:.1} MiB/s; tinymm / Linux {:.2}x",
            t / l
        ));
    }
    lines
}

/// tinymm's boot time over Linux's, to the same line of the same /init:
/// in guest time (the first runs' tsc) and in wall time (host time of
/// the line, the runs without -icount). Nothing when no boot ran.
fn boot_ratio(measured: &[Measured], linux_missing: Option<&str>) -> Vec<String> {
    let (tinymm, linux) = match both_kernels(measured, Kind::Boot, "boot", linux_missing) {
        Ok(both) => both,
        Err(lines) => return lines,
    };
    let mut lines = Vec::new();
    if let (Some(t), Some(l)) = (tinymm.runs.first(), linux.runs.first()) {
        let (t, l) = (&t.figures, &l.figures);
        lines.push(format!(
            "boot to /init's first line (guest ns from QEMU's start): tinymm {}, Linux {}; tinymm / Linux {:.3} (target < 0.5)",
            t.tsc,
            l.tsc,
            t.tsc as f64 / l.tsc as f64
        ));
        lines.push(format!(
            "  of which the kernel's CLOCK_BOOTTIME: tinymm {} ns, Linux {} ns",
            t.guest_total_ns(),
            l.guest_total_ns()
        ));
    }
    if let (Some(t), Some(l)) = (&tinymm.native, &linux.native) {
        let (t, l) = (secs(t.figures.measured), secs(l.figures.measured));
        lines.push(format!(
            "boot to /init's first line without -icount (wall): tinymm {t:.3} s, Linux {l:.3} s; tinymm / Linux {:.3} (target < 0.5)",
            t / l
        ));
    }
    lines
}

/// The swap benchmark's passes and counters: each pass's instructions
/// (rdtsc) and clock, /proc/vmstat's swap and fault counters and the
/// memcg's reclaim counters.
fn swap_counters(f: &Figures) -> String {
    let delta = |key| f.vmstat_delta(key).map_or("?".into(), |d| d.to_string());
    let memstat = |key| f.memstat_delta(key).map_or("?".into(), |d| d.to_string());
    let pass = |i: usize| {
        let idle = f.idle_ns.get(i).copied().unwrap_or_default();
        format!(
            "tsc {} (idle {idle}: {} instructions, {} per page), clock {} ns",
            f.tscs.get(i).copied().unwrap_or_default(),
            busy(f, i).unwrap_or_default(),
            busy(f, i).unwrap_or_default() / f.pages.max(1),
            f.guest_ns.get(i).copied().unwrap_or_default()
        )
    };
    format!(
        "write {}; read {}; pswpout +{}, pswpin +{}, pgmajfault +{}; memory.stat pgscan +{}, pgsteal +{}",
        pass(0),
        pass(1),
        delta("pswpout"),
        delta("pswpin"),
        delta("pgmajfault"),
        memstat("pgscan"),
        memstat("pgsteal"),
    )
}

/// The instructions of pass `i`: its guest ns (rdtsc) less its idle time.
fn busy(f: &Figures, i: usize) -> Option<u64> {
    f.tscs.get(i)?.checked_sub(*f.idle_ns.get(i)?)
}

/// Host seconds of pass `i`: from the begin marker (the first) or the
/// previous pass's line to this pass's `T ns` line.
fn pass_wall(f: &Figures, i: usize) -> Option<f64> {
    let end = *f.ns_at.get(i)?;
    let start = match i {
        0 => Duration::ZERO,
        _ => *f.ns_at.get(i - 1)?,
    };
    Some(secs(end - start)).filter(|&s| s > 0.0)
}

/// tinymm's swap benchmark against Linux's, pass by pass: instructions
/// (the first runs' rdtsc deltas; target at most half Linux's) and the
/// host time of the passes in the runs without -icount (target at least
/// 2x Linux's throughput). Nothing when
/// no swap benchmark ran.
fn swap_ratio(measured: &[Measured], linux_missing: Option<&str>) -> Vec<String> {
    let (tinymm, linux) = match both_kernels(measured, Kind::Swap, "swap", linux_missing) {
        Ok(both) => both,
        Err(lines) => return lines,
    };
    let mut lines = Vec::new();
    let passes = ["write", "read back"];
    if let (Some(t), Some(l)) = (tinymm.runs.first(), linux.runs.first()) {
        let (t, l) = (&t.figures, &l.figures);
        for (i, pass) in passes.iter().enumerate() {
            if let (Some(ti), Some(li)) = (busy(t, i), busy(l, i)) {
                lines.push(format!(
                    "swap {pass} pass (guest instructions: rdtsc less idle): tinymm {ti} ({} per page), Linux {li} ({} per page); tinymm / Linux {:.3} (target <= 0.5)",
                    ti / t.pages.max(1),
                    li / l.pages.max(1),
                    ti as f64 / li as f64
                ));
            }
            if let (Some(&ti), Some(&li)) = (t.tscs.get(i), l.tscs.get(i)) {
                lines.push(format!(
                    "  guest time with idle (rdtsc): tinymm {ti}, Linux {li}; tinymm / Linux {:.3}",
                    ti as f64 / li as f64
                ));
            }
        }
    }
    if let (Some(t), Some(l)) = (&tinymm.native, &linux.native) {
        let (t, l) = (&t.figures, &l.figures);
        for (i, pass) in passes.iter().enumerate() {
            if let (Some(ti), Some(li)) = (pass_wall(t, i), pass_wall(l, i)) {
                lines.push(format!(
                    "swap {pass} pass without -icount (wall, host time of the pass's line): tinymm {ti:.3} s, Linux {li:.3} s; throughput tinymm / Linux {:.2}x (target >= 2x)",
                    li / ti
                ));
            }
        }
        let (tw, lw) = (secs(t.measured), secs(l.measured));
        lines.push(format!(
            "swap benchmark without -icount (wall between the markers, swapon included): tinymm {tw:.3} s, Linux {lw:.3} s; tinymm / Linux {:.3}",
            tw / lw
        ));
    }
    lines
}

/// The checks of a run's results beyond their shape: the file's sum for
/// the reads, the iterations of fork+exec, the pipe's bytes and stamps.
fn check_figures(kind: Kind, figures: &Figures, expected_sum: Option<u64>) -> Result<(), String> {
    match kind {
        Kind::FileRead => {
            if let Some(sum) = expected_sum
                && figures.sums.iter().any(|&s| s != sum)
            {
                return Err(format!(
                    "fileread sums {:?}, the file's is {sum}",
                    figures.sums
                ));
            }
        }
        Kind::ForkExec => {
            if figures.iterations != u64::from(FORKEXEC_ITERATIONS) || figures.tsc == 0 {
                return Err(format!(
                    "{} iterations, tsc {}: not {FORKEXEC_ITERATIONS} iterations",
                    figures.iterations, figures.tsc
                ));
            }
        }
        Kind::Pipe => {
            let pages = PIPE_BYTES / 4096;
            let sum = pages * (pages + 1) / 2;
            if figures.bytes != PIPE_BYTES || figures.sums != [sum] || figures.tsc == 0 {
                return Err(format!(
                    "{} bytes, stamp sums {:?}, tsc {}: not {PIPE_BYTES} bytes with the sum {sum}",
                    figures.bytes, figures.sums, figures.tsc
                ));
            }
        }
        Kind::Boot => {
            if figures.tsc == 0 || figures.guest_ns.len() != 1 {
                return Err(format!(
                    "tsc {}, clock lines {:?}: not boottime's two lines",
                    figures.tsc, figures.guest_ns
                ));
            }
        }
        Kind::Swap => {
            let pages = SWAP_MIB << 8;
            let lines = [&figures.tscs, &figures.guest_ns, &figures.idle_ns].map(Vec::len);
            if figures.pages != pages || lines != [2, 2, 2] {
                return Err(format!(
                    "{} pages, tsc {:?}, clock lines {:?}, idle {:?}: not swapbench's two passes of {pages} pages",
                    figures.pages, figures.tscs, figures.guest_ns, figures.idle_ns
                ));
            }
        }
        Kind::AnonFault => {}
    }
    Ok(())
}

/// Whether every run's guest figures equal the first's, and if not, how
/// far the guest times spread.
fn determinism(kind: Kind, runs: &[Run]) -> String {
    let Some(first) = runs.first() else {
        return "no runs".into();
    };
    if runs.len() < 2 {
        return "one run: nothing to compare".into();
    }
    let reference = first.figures.guest_part();
    if runs.iter().all(|r| r.figures.guest_part() == reference) {
        return format!(
            "identical in {} runs (guest time {} ns)",
            runs.len(),
            guest_time(kind, &first.figures)
        );
    }
    let times: Vec<u64> = runs.iter().map(|r| guest_time(kind, &r.figures)).collect();
    let (min, max) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    let mut changed: Vec<String> = Vec::new();
    for run in &runs[1..] {
        let maps = [
            ("", &first.figures.vmstat_after, &run.figures.vmstat_after),
            (
                "memory.stat ",
                &first.figures.memstat_after,
                &run.figures.memstat_after,
            ),
        ];
        for (prefix, a, b) in maps {
            for (key, value) in b {
                let name = format!("{prefix}{key}");
                if a.get(key) != Some(value) && !changed.contains(&name) {
                    changed.push(name);
                }
            }
        }
    }
    format!(
        "DIFFER: guest time {min}..{max} ns (spread {} ns, {:.3}%); counters that differ: {}",
        max - min,
        (max - min) as f64 * 100.0 / *min.max(&1) as f64,
        if changed.is_empty() {
            "none".to_string()
        } else {
            changed.join(", ")
        }
    )
}

/// One QEMU run of `b` with `run_options`, its script as /init's
/// `/scenario` (kept as `<logs>/<name>.sh`); its console is kept as
/// `<logs>/<name>-<tag>.log`. Errors are reported here.
fn run_one(
    b: &Benchmark,
    run_options: &RunOptions,
    logs: &Path,
    tag: &str,
    expected_sum: Option<u64>,
    timeout: Duration,
) -> Result<Run, ()> {
    let stem = b.name.replace([' ', ',', '=', '/', '\''], "_");
    let script = logs.join(format!("{stem}.sh"));
    if let Err(e) = fs::write(&script, &b.script) {
        eprintln!("bench: {}: {}: {e}", b.name, script.display());
        return Err(());
    }
    let run_options = RunOptions {
        script: Some(script),
        ..run_options.clone()
    };
    let captured = match run_captured(&run_options, timeout) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench: {}: {e}", b.name);
            return Err(());
        }
    };
    let log = logs.join(format!("{stem}-{tag}.log"));
    let text: String = captured
        .lines
        .iter()
        .map(|(at, line)| format!("[{:9.3}] {line}\n", secs(*at)))
        .collect();
    let _ = fs::write(&log, text);
    if captured.status != 0 {
        eprintln!(
            "bench: {}: the run exited {} (console: {})",
            b.name,
            captured.status,
            log.display()
        );
        return Err(());
    }
    let parse = if b.kind == Kind::Boot {
        parse_boot
    } else {
        parse_run
    };
    let figures = match parse(&captured.lines) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("bench: {}: {e} (console: {})", b.name, log.display());
            return Err(());
        }
    };
    if let Err(e) = check_figures(b.kind, &figures, expected_sum) {
        eprintln!("bench: {}: {e} (console: {})", b.name, log.display());
        return Err(());
    }
    Ok(Run {
        wall: captured.wall,
        figures,
    })
}

/// Runs every benchmark (or those `options.only` selects) `options.runs`
/// times, prints the table, and returns the exit status (0, or 1 if a
/// tinymm run failed; Linux failing to download or boot is reported in
/// the table).
pub fn bench(options: &BenchOptions) -> u8 {
    let logs = PathBuf::from(crate::KERNEL_ELF)
        .parent()
        .map(|dir| dir.join("bench"))
        .unwrap_or_else(|| PathBuf::from("bench"));
    let _ = fs::create_dir_all(&logs);
    let selected = |name: &str| options.only.as_ref().is_none_or(|only| name.contains(only));
    let chosen: Vec<Benchmark> = benchmarks()
        .into_iter()
        .filter(|b| selected(b.name))
        .collect();
    let expected_sum = chosen
        .iter()
        .any(|b| b.kind == Kind::FileRead)
        .then(|| crate::initramfs::checksum(BIG, BIG_SIZE).ok())
        .flatten();
    // The kinds that run programs of user/c/, also on Linux.
    let on_linux: Vec<Kind> = chosen
        .iter()
        .map(|b| b.kind)
        .filter(|&kind| linux_benchmarks().iter().any(|l| l.kind == kind))
        .collect();
    let uses_cprogs = chosen.iter().any(|b| {
        matches!(
            b.kind,
            Kind::ForkExec | Kind::Pipe | Kind::Boot | Kind::Swap
        )
    });
    if uses_cprogs && let Err(e) = crate::cbuild::build_bench() {
        eprintln!("bench: building the benchmark programs: {e}");
        return 1;
    }
    let mut measured = Vec::new();
    let mut linux_missing = None;
    for b in chosen {
        // A Linux boot (`--linux`) that fails leaves `n/a`, as the Linux
        // runs of measure_linux do; a tinymm run that fails ends the bench.
        let (name, kernel) = if b.options.linux {
            match crate::linux::fetch(&crate::linux::default_dir()) {
                Ok(l) => (
                    format!("{} {} ({})", b.name, l.release, l.version),
                    Kernel::Linux,
                ),
                Err(e) => {
                    eprintln!("bench: Linux: {e}");
                    linux_missing = Some(format!("Linux: {e}"));
                    continue;
                }
            }
        } else {
            (b.name.to_string(), Kernel::Tinymm)
        };
        let mut runs = Vec::new();
        let native_options = RunOptions {
            icount: false,
            ..b.options.clone()
        };
        let tags = (1..=options.runs).map(|i| i.to_string());
        for tag in tags.chain(["native".to_string()]) {
            let (run_options, what) = match tag.as_str() {
                "native" => (&native_options, "without -icount".to_string()),
                i => (&b.options, format!("run {i}/{}", options.runs)),
            };
            eprintln!("bench: {name} ({}), {what}", b.machine);
            match run_one(&b, run_options, &logs, &tag, expected_sum, options.timeout) {
                Ok(run) => runs.push(run),
                Err(()) if kernel == Kernel::Linux => {
                    linux_missing = Some(format!("Linux: {name} failed, see above"));
                    break;
                }
                Err(()) => return 1,
            }
        }
        if runs.len() != options.runs as usize + 1 {
            continue;
        }
        let native = runs.pop();
        measured.push(Measured {
            name,
            machine: b.machine.into(),
            kind: b.kind,
            cgroup: b.cgroup,
            kernel,
            runs,
            native,
        });
    }
    if !on_linux.is_empty() {
        match measure_linux(&logs, options, &on_linux) {
            Ok(m) => measured.extend(m),
            Err(e) => {
                eprintln!("bench: Linux: {e}");
                linux_missing = Some(format!("Linux: {e}"));
            }
        }
    }
    // The charge paths: a failure here (no gdb, say) leaves "n/a".
    let mut charge = Ok(Vec::new());
    let charge_runs = if selected("charge paths") {
        options.runs
    } else {
        0
    };
    for i in 1..=charge_runs {
        eprintln!(
            "bench: charge paths (gdb single-steps mem_cgroup_charge), run {i}/{}",
            options.runs
        );
        match measure_charge_paths(&logs, i, options.timeout) {
            Ok(counts) => {
                if let Ok(runs) = &mut charge {
                    runs.push(counts);
                }
            }
            Err(e) => {
                eprintln!("bench: charge paths: {e}");
                charge = Err(e);
                break;
            }
        }
    }
    println!(
        "tinymm bench: QEMU TCG, q35, -cpu max, 1 vCPU, -icount shift=0,sleep=off \
         (and one run each without -icount, for the wall clock)\n\
         guest time: 1 ns = 1 instruction (CLOCK_MONOTONIC from jiffies, 1 ms resolution); \
         wall: host seconds, QEMU start to exit (total) and the workload alone (measured)\n\
         workloads run in the memcg {MEMCG} (memory.max as named) or, as a baseline, in the root cgroup; \
         fork+exec+wait and pipe: guest time is the rdtsc delta (= instructions), Linux boots with -kernel/-initrd\n"
    );
    print!(
        "{}",
        format_table(&measured, &charge, linux_missing.as_deref())
    );
    0
}

/// The Linux runs of the benchmarks of `kinds` (see [`linux_benchmarks`]):
/// each `options.runs` times under -icount and once without, each a boot
/// of the reference kernel with the program as init.
fn measure_linux(
    logs: &Path,
    options: &BenchOptions,
    kinds: &[Kind],
) -> Result<Vec<Measured>, String> {
    let dir = crate::linux::default_dir();
    let linux = crate::linux::fetch(&dir)?;
    let machine = "-kernel, 1 GiB";
    let mut measured = Vec::new();
    for LinuxBench {
        kind,
        name: row,
        program,
        args,
        timeout,
    } in linux_benchmarks()
    {
        if !kinds.contains(&kind) {
            continue;
        }
        let timeout = options.timeout.min(timeout);
        let initrd = dir.join(format!("initramfs-{program}.cpio"));
        let path = |name| crate::cbuild::path("glibc", name);
        crate::linux::write_initramfs(
            &initrd,
            &[("/init", &path(program)), (TRUE, &path("true"))],
        )?;
        let name = format!("{row} {} ({})", linux.release, linux.version);
        let boot = |icount: bool, tag: &str| -> Result<Run, String> {
            eprintln!("bench: {name} ({machine}), {tag}");
            let command = crate::linux::qemu_command(&linux, &initrd, "1G", icount, &args)?;
            let crate::qemu::CapturedCommand {
                lines,
                wall,
                status,
            } = crate::qemu::capture_command(command, timeout)?;
            let log = logs.join(format!("{program}-linux-{tag}.log").replace(' ', "_"));
            let text: String = lines
                .iter()
                .map(|(at, line)| format!("[{:9.3}] {line}\n", secs(*at)))
                .collect();
            let _ = fs::write(&log, text);
            let figures = parse_linux_run(&lines, status, program, kind)
                .map_err(|e| format!("{e} (console: {})", log.display()))?;
            Ok(Run { wall, figures })
        };
        let mut runs = Vec::new();
        for i in 1..=options.runs {
            runs.push(boot(true, &format!("run {i}"))?);
        }
        let native = boot(false, "without -icount")?;
        measured.push(Measured {
            name,
            machine: machine.into(),
            kind,
            cgroup: Cgroup::Root,
            kernel: Kernel::Linux,
            runs,
            native: Some(native),
        });
    }
    Ok(measured)
}

/// A Linux run's figures: QEMU must have exited 0 (the power-off), after
/// `program`'s `PROGRAM: exit status 0` and its results.
fn parse_linux_run(
    lines: &[(Duration, String)],
    status: Option<i32>,
    program: &str,
    kind: Kind,
) -> Result<Figures, String> {
    let Some(status) = status else {
        return Err("timed out".into());
    };
    let prefix = format!("{program}: exit status ");
    let ended = lines
        .iter()
        .rev()
        .find_map(|(_, line)| line.strip_prefix(prefix.as_str()));
    match (status, ended) {
        (0, Some("0")) => {}
        (_, Some(code)) => return Err(format!("{program} exited {code}, QEMU {status}")),
        (_, None) => return Err(format!("QEMU exited {status} before {program} ended")),
    }
    let figures = parse_run(lines)?;
    check_figures(kind, &figures, None).map_err(|e| format!("{e}: not the program's results"))?;
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn console(text: &str) -> Vec<(Duration, String)> {
        text.lines()
            .enumerate()
            .map(|(i, l)| (Duration::from_millis(100 * i as u64), l.to_string()))
            .collect()
    }

    const FILE_RUN: &str = "\
printk: console [ttyS0] enabled
# cat /proc/vmstat
nr_free_pages 90000
pgscan_direct 0
pgsteal_direct 0
pgfault 10
allocstall_movable 7
# echo bench: memory.stat
bench: memory.stat
# cat /sys/fs/cgroup/bench/memory.stat
anon 0
pgscan 0
pgsteal 0
pgfault 3
# echo bench: begin
bench: begin
# fileread /data/big --time
fileread: read 268435456 bytes
fileread: sum 42
fileread: 2000000000 ns
# fileread /data/big --time
fileread: read 268435456 bytes
fileread: sum 42
fileread: 2500000000 ns
# echo bench: end
bench: end
# cat /proc/vmstat
nr_free_pages 1000
pgscan_direct 120000
pgsteal_direct 100000
pgfault 30
allocstall_movable 3132
# echo bench: memory.stat
bench: memory.stat
# cat /sys/fs/cgroup/bench/memory.stat
anon 4096
pgscan 110000
pgsteal 100000
pgfault 13
tinymm: exit status 0";

    #[test]
    fn parses_a_file_run() {
        let f = parse_run(&console(FILE_RUN)).unwrap();
        assert_eq!(f.guest_ns, [2_000_000_000, 2_500_000_000]);
        assert_eq!(f.guest_total_ns(), 4_500_000_000);
        assert_eq!(f.bytes, 2 << 28);
        assert_eq!(f.sums, [42, 42]);
        assert_eq!(f.pages, 0);
        // Lines 15 and 25 of the console, 100 ms apart.
        assert_eq!(f.measured, Duration::from_millis(1000));
        assert_eq!(f.vmstat_delta("pgsteal_direct"), Some(100_000));
        assert_eq!(f.vmstat_delta("pgscan_direct"), Some(120_000));
        assert_eq!(f.vmstat_delta("nr_free_pages"), None, "it shrank");
        assert_eq!(f.vmstat_delta("pgfault"), Some(20), "not memory.stat's");
        assert_eq!(f.vmstat_delta("pgmajfault"), None, "not printed");
        assert_eq!(f.memstat_delta("pgsteal"), Some(100_000));
        assert_eq!(f.memstat_delta("pgscan"), Some(110_000));
        assert_eq!(f.memstat_delta("pgfault"), Some(10));
        assert_eq!(f.memstat_delta("nr_free_pages"), None);
    }

    #[test]
    fn parses_an_anon_run_and_rejects_broken_ones() {
        let run = "bench: begin\nanon: touched 65536 pages\nanon: 118000000 ns\nbench: end";
        let f = parse_run(&console(run)).unwrap();
        assert_eq!((f.pages, f.guest_ns.clone()), (65536, vec![118_000_000]));
        assert!(f.memstat_before.is_empty() && f.memstat_after.is_empty());
        assert!(parse_run(&console("anon: 5 ns\nbench: end")).is_err());
        assert!(parse_run(&console("bench: begin\nanon: 5 ns")).is_err());
        assert!(parse_run(&console("bench: begin\nbench: end")).is_err());
        assert!(parse_run(&console("bench: begin\nanon: x ns\nbench: end")).is_err());
        assert_eq!(vmstat_line("pgfault 12"), Some(("pgfault", 12)));
        assert_eq!(vmstat_line("# cat /proc/vmstat"), None);
        assert_eq!(vmstat_line("Node 0, zone DMA"), None);
        assert_eq!(vmstat_line("anon: touched 5 pages"), None);
    }

    #[test]
    fn scenarios_move_the_shell_into_the_memcg() {
        let root = scenario(Cgroup::Root, "anon 1M\n");
        assert_eq!(
            root,
            "cat /proc/vmstat\necho bench: begin\nanon 1M\necho bench: end\ncat /proc/vmstat\n"
        );
        let limited = scenario(Cgroup::MemcgMax("64M"), "w\n");
        assert!(
            limited.starts_with(
                "echo +memory > /sys/fs/cgroup/cgroup.subtree_control\nmkdir /sys/fs/cgroup/bench\n\
                 echo 64M > /sys/fs/cgroup/bench/memory.max\necho $$ > /sys/fs/cgroup/bench/cgroup.procs\n"
            ),
            "{limited}"
        );
        assert!(limited.ends_with(
            "echo bench: end\ncat /proc/vmstat\necho bench: memory.stat\ncat /sys/fs/cgroup/bench/memory.stat\n"
        ));
        assert!(!scenario(Cgroup::Memcg, "w\n").contains("memory.max"));
    }

    #[test]
    fn parses_charge_counts() {
        let text = "charge: root 234\ncharge: fast 300\ncharge: fast 302\ncharge: fast 301\n\
                    charge: slow 583\ncharge: root 236\ncharge: done\n";
        let c = parse_charge_counts(text).unwrap();
        assert_eq!(c.summary("fast"), Some((301, 300, 302, 3)));
        assert_eq!(c.summary("root"), Some((236, 234, 236, 2)));
        assert_eq!(c.summary("slow"), Some((583, 583, 583, 1)));
        assert!(parse_charge_counts("charge: root 1\ncharge: fast 2\ncharge: slow 3\n").is_err());
        assert!(parse_charge_counts("charge: root 1\ncharge: fast 2\ncharge: done\n").is_err());
        assert!(parse_charge_counts("charge: odd 1\ncharge: done\n").is_err());
    }

    fn measured(name: &str, kind: Kind, cgroup: Cgroup, runs: Vec<Figures>) -> Measured {
        Measured {
            name: name.into(),
            machine: "m".into(),
            kind,
            cgroup,
            kernel: Kernel::Tinymm,
            runs: runs
                .into_iter()
                .map(|figures| Run {
                    wall: Duration::from_secs(10),
                    figures,
                })
                .collect(),
            native: None,
        }
    }

    #[test]
    fn table_and_derived_figures() {
        let reclaim = parse_run(&console(FILE_RUN)).unwrap();
        let mut cold = reclaim.clone();
        cold.guest_ns = vec![1_500_000_000, 300_000_000];
        let anon = Figures {
            guest_ns: vec![500_000_000],
            pages: 65536,
            measured: Duration::from_secs(2),
            ..Figures::default()
        };
        let root = Figures {
            guest_ns: vec![495_000_000],
            ..anon.clone()
        };
        let charge = parse_charge_counts(
            "charge: root 234\ncharge: fast 300\ncharge: slow 583\ncharge: done\n",
        )
        .unwrap();
        let table = format_table(
            &[
                measured(
                    "anon fault 256M, memcg",
                    Kind::AnonFault,
                    Cgroup::Memcg,
                    vec![anon.clone(), anon],
                ),
                measured("anon root", Kind::AnonFault, Cgroup::Root, vec![root]),
                measured(
                    "file read 2x256M, memory.max=64M",
                    Kind::FileRead,
                    Cgroup::MemcgMax("64M"),
                    vec![reclaim.clone(), reclaim],
                ),
                measured("file no limit", Kind::FileRead, Cgroup::Memcg, vec![cold]),
            ],
            &Ok(vec![charge.clone(), charge.clone()]),
            None,
        );
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("benchmark"), "{table}");
        // 65536 pages in 0.5 guest s and in 2 wall s.
        assert!(lines[1].contains("500000000 ns"), "{}", lines[1]);
        assert!(lines[1].contains("131072 pages/s"), "{}", lines[1]);
        assert!(lines[1].contains("32768 pages/s"), "{}", lines[1]);
        // 536.870912 MB in 4.5 guest s and in 1 wall s.
        assert!(lines[4].contains("119.3 MB/s"), "{}", lines[4]);
        assert!(lines[4].contains("536.9 MB/s"), "{}", lines[4]);
        assert!(
            table.contains("passes 2000000000 + 2500000000 ns"),
            "{table}"
        );
        assert!(
            table.contains(
                "pgsteal_direct +100000, allocstall_* +3125; memory.stat pgfault +10, pgscan +110000, pgsteal +100000"
            ),
            "{table}"
        );
        assert!(
            table.contains("charge fast path (stock hit), per page: mem_cgroup_charge   300 ns"),
            "{table}"
        );
        assert!(table.contains("fast +66 ns, slow +349 ns"), "{table}");
        assert!(table.contains("+70.4 ns per page"), "{table}");
        assert!(table.contains("medians identical in 2 run(s)"), "{table}");
        // 5e6 ns / 65536 pages.
        assert!(
            table.contains("by the 1 ms clock): 76 ns = (500000000 - 495000000) ns / 65536"),
            "{table}"
        );
        // 4.5e9 / 1e5 and (4.5e9 - 2 * 1.5e9) / 1e5.
        assert!(table.contains("upper bound): 45000 ns"), "{table}");
        assert!(table.contains("without a limit): 15000 ns"), "{table}");
        assert!(
            table.contains("anon fault 256M, memcg: identical in 2 runs (guest time 500000000 ns)")
        );
        assert!(table.contains("file no limit: one run"));
        let other = parse_charge_counts(
            "charge: root 234\ncharge: fast 301\ncharge: slow 583\ncharge: done\n",
        )
        .unwrap();
        let lines = charge_lines(&Ok(vec![charge.clone(), other]));
        assert!(
            lines[4].contains("medians per run DIFFER: fast 300/301, slow 583/583, root 234/234"),
            "{lines:?}"
        );
        let failed = format_table(&[], &Err("gdb: not found".into()), None);
        assert!(
            failed.contains("charge paths: n/a (gdb: not found)"),
            "{failed}"
        );
        assert!(failed.contains("memcg cost per anonymous fault: n/a"));
    }

    #[test]
    fn differing_runs_are_reported() {
        let a = parse_run(&console(FILE_RUN)).unwrap();
        let mut b = a.clone();
        b.guest_ns[1] += 1_000_000;
        b.vmstat_after.insert("pgscan_direct".into(), 120_032);
        b.memstat_after.insert("pgscan".into(), 110_032);
        let report = determinism(
            Kind::FileRead,
            &[
                Run {
                    wall: Duration::from_secs(1),
                    figures: a.clone(),
                },
                Run {
                    wall: Duration::from_secs(2),
                    figures: b,
                },
            ],
        );
        assert_eq!(
            report,
            "DIFFER: guest time 4500000000..4501000000 ns (spread 1000000 ns, 0.022%); counters that differ: pgscan_direct, memory.stat pgscan"
        );
        // Host time alone does not count.
        let mut c = a.clone();
        c.measured = Duration::from_secs(99);
        let runs = [a, c].map(|figures| Run {
            wall: Duration::ZERO,
            figures,
        });
        assert!(determinism(Kind::FileRead, &runs).starts_with("identical in 2 runs"));
    }

    /// A Linux run's console: the kernel's lines around the program's.
    const LINUX_RUN: &str = "\
bench: begin
forkexec: 200 iterations
forkexec: 152779897 ns
forkexec: tsc 152779818
bench: end
forkexec: exit status 0
[    1.752720] reboot: Power down";

    #[test]
    fn parses_fork_exec_runs() {
        let f = parse_linux_run(&console(LINUX_RUN), Some(0), "forkexec", Kind::ForkExec).unwrap();
        assert_eq!((f.iterations, f.tsc), (200, 152_779_818));
        assert_eq!(f.guest_ns, [152_779_897]);
        assert_eq!(guest_time(Kind::ForkExec, &f), 152_779_818);
        assert_eq!(guest_time(Kind::AnonFault, &f), 152_779_897);
        // Lines 0 and 4, 100 ms apart.
        assert_eq!(f.measured, Duration::from_millis(400));
        assert_eq!(
            parse_linux_run(&console(LINUX_RUN), None, "forkexec", Kind::ForkExec),
            Err("timed out".into())
        );
        let failed = LINUX_RUN.replace("exit status 0", "exit status 1");
        assert_eq!(
            parse_linux_run(&console(&failed), Some(0), "forkexec", Kind::ForkExec),
            Err("forkexec exited 1, QEMU 0".into())
        );
        let short = LINUX_RUN.replace("200 iterations", "20 iterations");
        assert!(parse_linux_run(&console(&short), Some(0), "forkexec", Kind::ForkExec).is_err());
        assert!(
            parse_linux_run(
                &console("Kernel panic - not syncing"),
                Some(0),
                "forkexec",
                Kind::ForkExec
            )
            .is_err()
        );
        // tinymm's run: the shell's lines and the counters around it.
        let tinymm = "pgfault 10\n# forkexec 200 /bin/true\nbench: begin\nforkexec: 200 iterations\n\
                      forkexec: 156000000 ns\nforkexec: tsc 156256257\nbench: end\n# cat /proc/vmstat\npgfault 11879";
        let f = parse_run(&console(tinymm)).unwrap();
        assert_eq!((f.iterations, f.tsc), (200, 156_256_257));
        assert_eq!(f.vmstat_delta("pgfault"), Some(11869));
    }

    #[test]
    fn fork_exec_table_and_ratio() {
        let linux_figures =
            parse_linux_run(&console(LINUX_RUN), Some(0), "forkexec", Kind::ForkExec).unwrap();
        // Half Linux's instructions, in a quarter of its wall time.
        let tinymm_figures = Figures {
            tsc: linux_figures.tsc / 2,
            measured: linux_figures.measured / 4,
            ..linux_figures.clone()
        };
        let native = |figures: &Figures| {
            Some(Run {
                wall: Duration::from_secs(5),
                figures: figures.clone(),
            })
        };
        let mut tinymm = measured(
            FORKEXEC_TINYMM,
            Kind::ForkExec,
            Cgroup::Root,
            vec![tinymm_figures.clone()],
        );
        tinymm.native = native(&tinymm_figures);
        let mut linux = measured(
            FORKEXEC_LINUX,
            Kind::ForkExec,
            Cgroup::Root,
            vec![linux_figures.clone()],
        );
        linux.kernel = Kernel::Linux;
        linux.native = native(&linux_figures);
        let table = format_table(&[tinymm.clone(), linux], &Ok(Vec::new()), None);
        let lines: Vec<&str> = table.lines().collect();
        // 200 iterations in 76389909 guest ns, and in 0.1 wall s.
        assert!(lines[1].contains("76389909 ns"), "{table}");
        assert!(lines[1].contains("2618.1 forks/s"), "{table}");
        assert!(lines[1].contains("2000.0 forks/s"), "{table}");
        assert!(lines[3].contains("1309.1 forks/s"), "{table}");
        assert!(
            table.contains("tinymm 381950, Linux 763899; rate tinymm / Linux 2.00x (target 2x)"),
            "{table}"
        );
        assert!(
            table.contains("tinymm 2000.0/s, Linux 500.0/s; tinymm / Linux 4.00x"),
            "{table}"
        );
        assert!(table.contains(
            "x200, Linux: 200 iterations, tsc 152779818 (guest ns), CLOCK_MONOTONIC 152779897 ns\n"
        ));
        let missing = format_table(&[tinymm], &Ok(Vec::new()), Some("Linux: no network"));
        assert!(
            missing
                .lines()
                .any(|l| l.starts_with("fork+exec+wait x200, Linux") && l.contains("n/a")),
            "{missing}"
        );
        assert!(
            missing.contains("fork+exec+wait, tinymm / Linux: n/a (Linux: no network)"),
            "{missing}"
        );
    }

    /// A Linux pipe run: 1 GiB, the stamps' sum n(n+1)/2 of 262144 pages.
    const LINUX_PIPE_RUN: &str = "\
bench: begin
pipe: read 1073741824 bytes
pipe: sum 34359869440
pipe: 3600000000 ns
pipe: tsc 3591246848
bench: end
pipe: exit status 0
[    9.000000] reboot: Power down";

    #[test]
    fn pipe_runs_table_and_ratio() {
        let linux_figures =
            parse_linux_run(&console(LINUX_PIPE_RUN), Some(0), "pipe", Kind::Pipe).unwrap();
        assert_eq!(
            (
                linux_figures.bytes,
                linux_figures.sums.clone(),
                linux_figures.tsc
            ),
            (PIPE_BYTES, vec![34_359_869_440], 3_591_246_848)
        );
        // Lines 0 and 5, 100 ms apart.
        assert_eq!(linux_figures.measured, Duration::from_millis(500));
        assert_eq!(guest_time(Kind::Pipe, &linux_figures), 3_591_246_848);
        let short = LINUX_PIPE_RUN.replace("1073741824", "1073741823");
        assert!(parse_linux_run(&console(&short), Some(0), "pipe", Kind::Pipe).is_err());
        let wrong = LINUX_PIPE_RUN.replace("sum 34359869440", "sum 34359869439");
        assert!(parse_linux_run(&console(&wrong), Some(0), "pipe", Kind::Pipe).is_err());
        assert_eq!(
            parse_linux_run(&console(LINUX_PIPE_RUN), Some(1), "forkexec", Kind::Pipe),
            Err("QEMU exited 1 before forkexec ended".into())
        );
        // A quarter of Linux's instructions, in half its wall time.
        let tinymm_figures = Figures {
            tsc: linux_figures.tsc / 4,
            measured: linux_figures.measured / 2,
            ..linux_figures.clone()
        };
        let with_native = |mut m: Measured, figures: &Figures| {
            m.native = Some(Run {
                wall: Duration::from_secs(5),
                figures: figures.clone(),
            });
            m
        };
        let tinymm = with_native(
            measured(
                PIPE_TINYMM,
                Kind::Pipe,
                Cgroup::Root,
                vec![tinymm_figures.clone()],
            ),
            &tinymm_figures,
        );
        let mut linux = with_native(
            measured(
                PIPE_LINUX,
                Kind::Pipe,
                Cgroup::Root,
                vec![linux_figures.clone()],
            ),
            &linux_figures,
        );
        linux.kernel = Kernel::Linux;
        let table = format_table(&[tinymm.clone(), linux], &Ok(Vec::new()), None);
        let lines: Vec<&str> = table.lines().collect();
        // 1024 MiB in 0.897811712 guest s, and in 0.25 wall s.
        assert!(lines[1].contains("897811712 ns"), "{table}");
        assert!(lines[1].contains("1140.6 MiB/s"), "{table}");
        assert!(lines[1].contains("4096.0 MiB/s"), "{table}");
        assert!(lines[3].contains("285.1 MiB/s"), "{table}");
        assert!(
            table.contains(
                "pipe throughput (guest: instructions): tinymm 1140.6 MiB/s, Linux 285.1 MiB/s \
                 (3425 and 13700 instructions per 4 KiB); tinymm / Linux 4.00x"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "pipe throughput without -icount (wall): tinymm 4096.0 MiB/s, Linux 2048.0 MiB/s; tinymm / Linux 2.00x"
            ),
            "{table}"
        );
        assert!(table.contains(
            "pipe 1G, Linux: 1073741824 bytes, stamp sum 34359869440, tsc 3591246848 (guest ns), CLOCK_MONOTONIC 3600000000 ns\n"
        ));
        let missing = format_table(&[tinymm], &Ok(Vec::new()), Some("Linux: no network"));
        // The n/a row is the pipe's alone: fork+exec did not run.
        let rows: Vec<&str> = missing.lines().filter(|l| l.contains("  n/a")).collect();
        assert_eq!(rows.len(), 1, "{missing}");
        assert!(rows[0].starts_with("pipe 1G, Linux "), "{missing}");
        assert!(
            missing.contains("pipe, tinymm / Linux: n/a (Linux: no network)"),
            "{missing}"
        );
    }

    /// A boot run's console: the kernel's lines, then boottime's.
    const BOOT_RUN: &str = "\
printk: console [ttyS0] enabled
Run /init as init process
boottime: tsc 208397649
boottime: 10000000 ns
reboot: Power down
tinymm: exit status 0";

    #[test]
    fn boot_runs_table_and_ratio() {
        let f = parse_boot(&console(BOOT_RUN)).unwrap();
        assert_eq!((f.tsc, f.guest_ns.clone()), (208_397_649, vec![10_000_000]));
        // Line 2 arrived 200 ms after QEMU's start.
        assert_eq!(f.measured, Duration::from_millis(200));
        assert_eq!(guest_time(Kind::Boot, &f), 208_397_649);
        assert!(check_figures(Kind::Boot, &f, None).is_ok());
        assert!(parse_boot(&console("Run /init as init process")).is_err());
        let no_clock = parse_boot(&console("boottime: tsc 5")).unwrap();
        assert!(check_figures(Kind::Boot, &no_clock, None).is_err());
        // Linux: eight times the instructions, and 1.4 s to tinymm's 0.2 s.
        let linux_figures = Figures {
            tsc: f.tsc * 8,
            measured: f.measured * 7,
            guest_ns: vec![1_600_000_000],
            ..f.clone()
        };
        let with_native = |mut m: Measured, figures: &Figures| {
            m.native = Some(Run {
                wall: Duration::from_secs(2),
                figures: figures.clone(),
            });
            m
        };
        let tinymm = with_native(
            measured(BOOT_TINYMM, Kind::Boot, Cgroup::Root, vec![f.clone()]),
            &f,
        );
        let mut linux = with_native(
            measured(
                BOOT_LINUX,
                Kind::Boot,
                Cgroup::Root,
                vec![linux_figures.clone()],
            ),
            &linux_figures,
        );
        linux.kernel = Kernel::Linux;
        let table = format_table(&[tinymm.clone(), linux], &Ok(Vec::new()), None);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[1].contains("208397649 ns   -"), "{table}");
        assert!(
            table.contains(
                "boot to /init's first line (guest ns from QEMU's start): tinymm 208397649, \
                 Linux 1667181192; tinymm / Linux 0.125 (target < 0.5)"
            ),
            "{table}"
        );
        assert!(table.contains(
            "of which the kernel's CLOCK_BOOTTIME: tinymm 10000000 ns, Linux 1600000000 ns"
        ));
        assert!(
            table.contains("(wall): tinymm 0.200 s, Linux 1.400 s; tinymm / Linux 0.143"),
            "{table}"
        );
        let missing = format_table(&[tinymm], &Ok(Vec::new()), Some("Linux: no network"));
        let rows: Vec<&str> = missing.lines().filter(|l| l.contains("  n/a")).collect();
        assert_eq!(rows.len(), 1, "{missing}");
        assert!(rows[0].starts_with("boot to /init's first line, Linux "));
        assert!(missing.contains("boot, tinymm / Linux: n/a (Linux: no network)"));
    }

    /// A swap run's console: the counters, swapbench's two passes.
    const SWAP_RUN: &str = "\
pswpin 0
pswpout 0
pgmajfault 3
bench: memory.stat
pgscan 0
pgsteal 0
bench: begin
swapbench: 2000000000 ns
swapbench: tsc 1000000000
swapbench: idle_ns 200000000
swapbench: touched 65536 pages
swapbench: 1000000000 ns
swapbench: tsc 600000000
swapbench: idle_ns 0
swapbench: verified 65536 pages, 0 bad
bench: end
pswpin 48000
pswpout 49400
pgmajfault 6003
bench: memory.stat
pgscan 164000
pgsteal 49400
tinymm: exit status 0";

    #[test]
    fn swap_runs_table_and_ratio() {
        let f = parse_run(&console(SWAP_RUN)).unwrap();
        assert_eq!(f.tscs, [1_000_000_000, 600_000_000]);
        assert_eq!(f.tsc, 1_600_000_000);
        assert_eq!(f.guest_ns, [2_000_000_000, 1_000_000_000]);
        assert_eq!(f.pages, 65536);
        // Lines 8 and 12, the begin marker line 7, 100 ms apart.
        assert_eq!(
            f.ns_at,
            [Duration::from_millis(100), Duration::from_millis(500)]
        );
        assert_eq!(f.idle_ns, [200_000_000, 0]);
        assert_eq!(
            (busy(&f, 0), busy(&f, 1)),
            (Some(800_000_000), Some(600_000_000))
        );
        assert_eq!(guest_time(Kind::Swap, &f), 1_600_000_000);
        assert!(check_figures(Kind::Swap, &f, None).is_ok());
        let one_pass = Figures {
            tscs: vec![1],
            ..f.clone()
        };
        assert!(check_figures(Kind::Swap, &one_pass, None).is_err());
        assert_eq!(
            swap_counters(&f),
            "write tsc 1000000000 (idle 200000000: 800000000 instructions, 12207 per page), \
             clock 2000000000 ns; read tsc 600000000 (idle 0: 600000000 instructions, \
             9155 per page), clock 1000000000 ns; \
             pswpout +49400, pswpin +48000, pgmajfault +6000; memory.stat pgscan +164000, pgsteal +49400"
        );
        // Linux: four times the instructions and three times the time.
        let l = Figures {
            tscs: vec![4_000_000_000, 2_400_000_000],
            idle_ns: vec![800_000_000, 0],
            guest_ns: vec![6_000_000_000, 3_000_000_000],
            measured: f.measured * 3,
            ns_at: f.ns_at.iter().map(|d| *d * 3).collect(),
            ..f.clone()
        };
        let with_native = |mut m: Measured, figures: &Figures| {
            m.native = Some(Run {
                wall: Duration::from_secs(20),
                figures: figures.clone(),
            });
            m
        };
        let cgroup = Cgroup::MemcgMax(SWAP_MAX);
        let tinymm = with_native(
            measured(SWAP_TINYMM, Kind::Swap, cgroup, vec![f.clone()]),
            &f,
        );
        let mut linux = with_native(
            measured(SWAP_LINUX, Kind::Swap, cgroup, vec![l.clone()]),
            &l,
        );
        linux.kernel = Kernel::Linux;
        let table = format_table(&[tinymm.clone(), linux], &Ok(Vec::new()), None);
        assert!(
            table.contains(
                "swap write pass (guest instructions: rdtsc less idle): tinymm 800000000 (12207 per page), \
                 Linux 3200000000 (48828 per page); tinymm / Linux 0.250 (target <= 0.5)"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "swap read back pass without -icount (wall, host time of the pass's line): \
                 tinymm 0.400 s, Linux 1.200 s; throughput tinymm / Linux 3.00x (target >= 2x)"
            ),
            "{table}"
        );
        // Both passes, 2 x 65536 pages, in 1.6 s of guest time.
        assert!(table.contains("81920 pages/s"), "{table}");
        let missing = format_table(&[tinymm], &Ok(Vec::new()), Some("Linux: no network"));
        assert!(
            missing.contains("swap, tinymm / Linux: n/a (Linux: no network)"),
            "{missing}"
        );
        let rows: Vec<&str> = missing.lines().filter(|l| l.contains("  n/a")).collect();
        assert_eq!(rows.len(), 1, "{missing}");
        assert!(rows[0].starts_with(SWAP_LINUX), "{missing}");
    }
}
