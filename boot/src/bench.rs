//! `tinymm bench`: boots tinymm in QEMU with deterministic guest time
//! (`-icount shift=0,sleep=off`), runs each benchmark's workload through a
//! scenario script, and prints a table of wall time and guest time.
//!
//! With `shift=0` one guest nanosecond is one executed instruction, so the
//! `anon: T ns` and `fileread: T ns` lines (CLOCK_MONOTONIC, which tinymm
//! derives from jiffies: 1 ms resolution) count instructions, not host
//! time. Wall time is host time: for the whole run (QEMU start to exit;
//! the disk image is built before) and for the measured part (between the
//! host arrival of the script's `bench: begin` and `bench: end` lines).
//!
//! tinymm has no memory cgroups yet: the workloads run in the root, the
//! file benchmark constrains memory by the machine's RAM size instead of
//! memory.max, and the charge paths cannot be measured.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use crate::initramfs::{GuestFile, Source};
use crate::options::RunOptions;
use crate::qemu::run_captured;

const BEGIN: &str = "bench: begin";
const END: &str = "bench: end";
/// The file the read benchmarks read.
const BIG: &str = "/data/big";
const BIG_SIZE: u64 = 256 << 20;

/// How `tinymm bench` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Runs of every benchmark (at least 2, to check determinism).
    pub runs: u32,
    /// Per QEMU run.
    pub timeout: Duration,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            runs: 2,
            timeout: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `anon SIZE --time`: pages per second.
    AnonFault,
    /// `fileread --time` runs: MB/s, and the reclaim counters.
    FileRead,
}

struct Benchmark {
    name: &'static str,
    machine: &'static str,
    kind: Kind,
    options: RunOptions,
    script: String,
}

fn benchmarks() -> Vec<Benchmark> {
    let base = RunOptions {
        icount: true,
        ..RunOptions::default()
    };
    let big = GuestFile {
        path: BIG.into(),
        mode: 0o644,
        source: Source::Generated(BIG_SIZE),
    };
    // Two runs of fileread rather than `--repeat 2`, for a time per pass.
    let read_twice = format!(
        "cat /proc/vmstat\necho {BEGIN}\nfileread {BIG} --time\nfileread {BIG} --time\necho {END}\ncat /proc/vmstat\n"
    );
    vec![
        Benchmark {
            name: "anon fault 256M",
            machine: "BIOS, 1 GiB",
            kind: Kind::AnonFault,
            options: RunOptions {
                mem: "1G".into(),
                ..base.clone()
            },
            script: format!(
                "cat /proc/vmstat\necho {BEGIN}\nanon 256M --time\necho {END}\ncat /proc/vmstat\n"
            ),
        },
        // The initramfs holds the file in RAM as well (UEFI: BIOS loads a
        // ramdisk at ~2 MB/s under TCG). 384 MiB leaves ~110 MiB for the
        // page cache, so reading 256 MiB must reclaim; OVMF cannot place
        // the ramdisk in 336 MiB.
        Benchmark {
            name: "file read 2x256M, reclaim",
            machine: "UEFI, 384 MiB",
            kind: Kind::FileRead,
            options: RunOptions {
                mem: "384M".into(),
                uefi: true,
                files: vec![big.clone()],
                ..base.clone()
            },
            script: read_twice.clone(),
        },
        // The same reads with memory to spare: the baseline for the cost
        // of reclaim.
        Benchmark {
            name: "file read 2x256M, no reclaim",
            machine: "UEFI, 1 GiB",
            kind: Kind::FileRead,
            options: RunOptions {
                mem: "1G".into(),
                uefi: true,
                files: vec![big],
                ..base
            },
            script: read_twice,
        },
    ]
}

/// What one run measured, parsed from its console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Every `PROG: T ns` line between the markers, in order.
    pub guest_ns: Vec<u64>,
    /// `anon: touched P pages`, summed.
    pub pages: u64,
    /// `fileread: read B bytes`, summed.
    pub bytes: u64,
    /// `fileread: sum X`, in order.
    pub sums: Vec<u64>,
    /// Host time between the arrival of the begin and end markers.
    pub measured: Duration,
    /// `/proc/vmstat` before the begin marker and after the end marker.
    pub vmstat_before: BTreeMap<String, u64>,
    pub vmstat_after: BTreeMap<String, u64>,
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

    /// The part that must repeat exactly under icount (all but host time).
    fn guest_part(&self) -> Figures {
        Figures {
            measured: Duration::ZERO,
            ..self.clone()
        }
    }
}

/// Parses a benchmark run's console lines (with host arrival times).
pub fn parse_run(lines: &[(Duration, String)]) -> Result<Figures, String> {
    let mut figures = Figures::default();
    let (mut begin, mut end) = (None, None);
    for (at, line) in lines {
        let line = line.as_str();
        if line == BEGIN && begin.is_none() {
            begin = Some(*at);
            continue;
        }
        if line == END && begin.is_some() && end.is_none() {
            end = Some(*at);
            continue;
        }
        if begin.is_none() || end.is_some() {
            if let Some((key, value)) = vmstat_line(line) {
                let map = if begin.is_none() {
                    &mut figures.vmstat_before
                } else {
                    &mut figures.vmstat_after
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
            [t, "ns"] => figures.guest_ns.push(number(t, line)?),
            ["touched", p, "pages"] => figures.pages += number(p, line)?,
            ["read", b, "bytes"] => figures.bytes += number(b, line)?,
            ["sum", x] => figures.sums.push(number(x, line)?),
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

fn number(text: &str, line: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("not a number in `{line}`: {text}"))
}

/// `name value` as /proc/vmstat prints it.
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
    pub runs: Vec<Run>,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Guest throughput of a run: pages/s or MB/s (10^6 bytes) over `seconds`.
fn throughput(kind: Kind, figures: &Figures, seconds: f64) -> String {
    match kind {
        Kind::AnonFault => format!("{:.0} pages/s", figures.pages as f64 / seconds),
        Kind::FileRead => format!("{:.1} MB/s", figures.bytes as f64 / 1e6 / seconds),
    }
}

/// The table `tinymm bench` prints.
pub fn format_table(measured: &[Measured]) -> String {
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
            let guest_s = f.guest_total_ns() as f64 / 1e9;
            rows.push([
                m.name.clone(),
                m.machine.clone(),
                (i + 1).to_string(),
                format!("{:.2} s", secs(run.wall)),
                format!("{:.2} s", secs(f.measured)),
                format!("{} ns", f.guest_total_ns()),
                throughput(m.kind, f, guest_s),
                throughput(m.kind, f, secs(f.measured)),
            ]);
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
        "\nper pass (guest ns) and reclaim counters (/proc/vmstat deltas):"
    );
    for m in measured {
        let Some(run) = m.runs.first() else { continue };
        let f = &run.figures;
        let passes: Vec<String> = f.guest_ns.iter().map(u64::to_string).collect();
        let delta = |key| f.vmstat_delta(key).map_or("?".into(), |d| d.to_string());
        let allocstall: u64 = ["dma", "dma32", "normal", "movable"]
            .iter()
            .filter_map(|zone| f.vmstat_delta(&format!("allocstall_{zone}")))
            .sum();
        let _ = writeln!(
            out,
            "  {}: passes {} ns; pgfault +{}, pgmajfault +{}, pgscan_direct +{}, pgsteal_direct +{}, allocstall_* +{allocstall}",
            m.name,
            passes.join(" + "),
            delta("pgfault"),
            delta("pgmajfault"),
            delta("pgscan_direct"),
            delta("pgsteal_direct"),
        );
    }

    let _ = writeln!(out, "\nderived (guest time):");
    let _ = writeln!(
        out,
        "  charge fast path (stock hit), per page: n/a (memcg not implemented)"
    );
    let _ = writeln!(
        out,
        "  charge slow path, per page:             n/a (memcg not implemented)"
    );
    for line in reclaim_cost(measured) {
        let _ = writeln!(out, "  {line}");
    }

    let _ = writeln!(
        out,
        "\ndeterminism (guest figures and /proc/vmstat across runs):"
    );
    for m in measured {
        let _ = writeln!(out, "  {}: {}", m.name, determinism(&m.runs));
    }
    out
}

/// Reclaim cost per page stolen, from the file benchmarks: the reclaiming
/// read's guest time over its pgsteal, and the extra guest time over a cold
/// first read with memory to spare, per page stolen.
fn reclaim_cost(measured: &[Measured]) -> Vec<String> {
    let file = |reclaim: bool| {
        measured
            .iter()
            .find(|m| m.kind == Kind::FileRead && m.name.ends_with(", reclaim") == reclaim)
    };
    let Some(reclaiming) = file(true).and_then(|m| m.runs.first()) else {
        return vec!["reclaim cost per page: n/a (no reclaim benchmark ran)".into()];
    };
    let f = &reclaiming.figures;
    let stolen = f.vmstat_delta("pgsteal_direct").unwrap_or(0);
    if stolen == 0 {
        return vec!["reclaim cost per page: n/a (nothing was reclaimed)".into()];
    }
    let mut lines = vec![format!(
        "read time per page stolen (whole read incl. copying; upper bound): {} ns = {} ns / {stolen}",
        f.guest_total_ns() / stolen,
        f.guest_total_ns()
    )];
    if let Some(cold) = file(false).and_then(|m| m.runs.first())
        && let Some(&cold_pass) = cold.figures.guest_ns.first()
    {
        let baseline = cold_pass * f.guest_ns.len() as u64;
        let extra = f.guest_total_ns() as i128 - baseline as i128;
        lines.push(format!(
            "reclaim cost per page stolen (extra over {} cold read(s) without reclaim): {} ns = ({} - {baseline}) ns / {stolen}",
            f.guest_ns.len(),
            extra / stolen as i128,
            f.guest_total_ns()
        ));
    }
    lines
}

/// Whether every run's guest figures equal the first's, and if not, how
/// far the guest times spread.
fn determinism(runs: &[Run]) -> String {
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
            first.figures.guest_total_ns()
        );
    }
    let times: Vec<u64> = runs.iter().map(|r| r.figures.guest_total_ns()).collect();
    let (min, max) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    let mut changed: Vec<&str> = Vec::new();
    for run in &runs[1..] {
        for (key, value) in &run.figures.vmstat_after {
            if first.figures.vmstat_after.get(key) != Some(value) && !changed.contains(&&**key) {
                changed.push(key);
            }
        }
    }
    format!(
        "DIFFER: guest time {min}..{max} ns (spread {} ns, {:.3}%); vmstat keys that differ: {}",
        max - min,
        (max - min) as f64 * 100.0 / *min.max(&1) as f64,
        if changed.is_empty() {
            "none".to_string()
        } else {
            changed.join(", ")
        }
    )
}

/// Runs every benchmark `options.runs` times, prints the table, and
/// returns the exit status (0, or 1 if a run failed).
pub fn bench(options: &BenchOptions) -> u8 {
    let logs = PathBuf::from(crate::KERNEL_ELF)
        .parent()
        .map(|dir| dir.join("bench"))
        .unwrap_or_else(|| PathBuf::from("bench"));
    let _ = fs::create_dir_all(&logs);
    let expected_sum = crate::initramfs::checksum(BIG, BIG_SIZE).ok();
    let mut measured = Vec::new();
    for b in benchmarks() {
        let mut runs = Vec::new();
        for i in 1..=options.runs {
            eprintln!(
                "bench: {} ({}), run {i}/{}",
                b.name, b.machine, options.runs
            );
            let captured = match run_captured(&b.options, b.script.as_bytes(), options.timeout) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("bench: {}: {e}", b.name);
                    return 1;
                }
            };
            let log = logs.join(format!("{}-{i}.log", b.name.replace([' ', ','], "_")));
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
                return 1;
            }
            let figures = match parse_run(&captured.lines) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("bench: {}: {e} (console: {})", b.name, log.display());
                    return 1;
                }
            };
            if b.kind == Kind::FileRead
                && let Some(sum) = expected_sum
                && figures.sums.iter().any(|&s| s != sum)
            {
                eprintln!(
                    "bench: {}: fileread sums {:?}, the file's is {sum}",
                    b.name, figures.sums
                );
                return 1;
            }
            runs.push(Run {
                wall: captured.wall,
                figures,
            });
        }
        measured.push(Measured {
            name: b.name.into(),
            machine: b.machine.into(),
            kind: b.kind,
            runs,
        });
    }
    println!(
        "tinymm bench: QEMU TCG, q35, -cpu max, 1 vCPU, -icount shift=0,sleep=off\n\
         guest time: 1 ns = 1 instruction (CLOCK_MONOTONIC from jiffies, 1 ms resolution); \
         wall: host seconds, QEMU start to exit (total) and the workload alone (measured)\n\
         no memory cgroups yet: workloads run in the root cgroup; reclaim is forced by RAM size, not memory.max\n"
    );
    print!("{}", format_table(&measured));
    0
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
allocstall_movable 7
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
allocstall_movable 3132
tinymm: exit status 0";

    #[test]
    fn parses_a_file_run() {
        let f = parse_run(&console(FILE_RUN)).unwrap();
        assert_eq!(f.guest_ns, [2_000_000_000, 2_500_000_000]);
        assert_eq!(f.guest_total_ns(), 4_500_000_000);
        assert_eq!(f.bytes, 2 << 28);
        assert_eq!(f.sums, [42, 42]);
        assert_eq!(f.pages, 0);
        // Lines 7 and 17 of the console, 100 ms apart.
        assert_eq!(f.measured, Duration::from_millis(1000));
        assert_eq!(f.vmstat_delta("pgsteal_direct"), Some(100_000));
        assert_eq!(f.vmstat_delta("pgscan_direct"), Some(120_000));
        assert_eq!(f.vmstat_delta("nr_free_pages"), None, "it shrank");
        assert_eq!(f.vmstat_delta("pgfault"), None, "not printed");
    }

    #[test]
    fn parses_an_anon_run_and_rejects_broken_ones() {
        let run = "bench: begin\nanon: touched 65536 pages\nanon: 118000000 ns\nbench: end";
        let f = parse_run(&console(run)).unwrap();
        assert_eq!((f.pages, f.guest_ns.clone()), (65536, vec![118_000_000]));
        assert!(parse_run(&console("anon: 5 ns\nbench: end")).is_err());
        assert!(parse_run(&console("bench: begin\nanon: 5 ns")).is_err());
        assert!(parse_run(&console("bench: begin\nbench: end")).is_err());
        assert!(parse_run(&console("bench: begin\nanon: x ns\nbench: end")).is_err());
        assert_eq!(vmstat_line("pgfault 12"), Some(("pgfault", 12)));
        assert_eq!(vmstat_line("# cat /proc/vmstat"), None);
        assert_eq!(vmstat_line("Node 0, zone DMA"), None);
    }

    fn measured(name: &str, kind: Kind, runs: Vec<Figures>) -> Measured {
        Measured {
            name: name.into(),
            machine: "m".into(),
            kind,
            runs: runs
                .into_iter()
                .map(|figures| Run {
                    wall: Duration::from_secs(10),
                    figures,
                })
                .collect(),
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
        let table = format_table(&[
            measured("anon fault 256M", Kind::AnonFault, vec![anon.clone(), anon]),
            measured(
                "file read 2x256M, reclaim",
                Kind::FileRead,
                vec![reclaim.clone(), reclaim],
            ),
            measured("file read 2x256M, no reclaim", Kind::FileRead, vec![cold]),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("benchmark"), "{table}");
        // 65536 pages in 0.5 guest s and in 2 wall s.
        assert!(lines[1].contains("500000000 ns"), "{}", lines[1]);
        assert!(lines[1].contains("131072 pages/s"), "{}", lines[1]);
        assert!(lines[1].contains("32768 pages/s"), "{}", lines[1]);
        // 536.870912 MB in 4.5 guest s and in 1 wall s.
        assert!(lines[3].contains("119.3 MB/s"), "{}", lines[3]);
        assert!(lines[3].contains("536.9 MB/s"), "{}", lines[3]);
        assert!(
            table.contains("passes 2000000000 + 2500000000 ns"),
            "{table}"
        );
        assert!(
            table.contains("pgsteal_direct +100000, allocstall_* +3125"),
            "{table}"
        );
        assert!(
            table.contains("charge fast path (stock hit), per page: n/a (memcg not implemented)")
        );
        // 4.5e9 / 1e5 and (4.5e9 - 2 * 1.5e9) / 1e5.
        assert!(table.contains("upper bound): 45000 ns"), "{table}");
        assert!(table.contains("without reclaim): 15000 ns"), "{table}");
        assert!(table.contains("anon fault 256M: identical in 2 runs (guest time 500000000 ns)"));
        assert!(table.contains("file read 2x256M, no reclaim: one run"));
    }

    #[test]
    fn differing_runs_are_reported() {
        let a = parse_run(&console(FILE_RUN)).unwrap();
        let mut b = a.clone();
        b.guest_ns[1] += 1_000_000;
        b.vmstat_after.insert("pgscan_direct".into(), 120_032);
        let report = determinism(&[
            Run {
                wall: Duration::from_secs(1),
                figures: a.clone(),
            },
            Run {
                wall: Duration::from_secs(2),
                figures: b,
            },
        ]);
        assert_eq!(
            report,
            "DIFFER: guest time 4500000000..4501000000 ns (spread 1000000 ns, 0.022%); vmstat keys that differ: pgscan_direct"
        );
        // Host time alone does not count.
        let mut c = a.clone();
        c.measured = Duration::from_secs(99);
        let runs = [a, c].map(|figures| Run {
            wall: Duration::ZERO,
            figures,
        });
        assert!(determinism(&runs).starts_with("identical in 2 runs"));
    }
}
