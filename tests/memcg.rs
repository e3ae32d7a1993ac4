//! The memory cgroup controller in QEMU, driven by busybox scripts as
//! Linux's `tools/testing/selftests/cgroup/test_memcontrol.c` drives it
//! (reference §1): every case that needs neither swap nor sockets, with
//! the selftest's checks and tolerances (`values_close`), plus the
//! headline behaviours of reference §5 that a scenario can observe, and a
//! "nothing is lost" check of free memory and the root's memory.stat.
//!
//! How the selftest's C maps onto a script: `cg_run(cg, fn)` is `cgexec
//! CG PROGRAM` (a child moves itself into the cgroup and execs the
//! workload), or, where the few pages the shell itself charges there do
//! not matter, the shell moving itself into the cgroup (`echo $$ >
//! cgroup.procs`), starting a workload program and moving back; the checks the selftest's child makes
//! "from inside the cgroup" are the program's `--cat` output, printed while
//! it still holds its memory. Page cache comes from one generated file,
//! each child reading its own region (`fileread --offset`). Where the
//! selftest uses inotify (high_sync) the shell polls `memory.events`.
//!
//! The protection tests (min, low) take their expectations from a host
//! re-implementation of Linux's `memcg_protection.m` model (§1.6), run on
//! the selftest's tree and on the same tree scaled by 1/2 and by 2.

mod common;

use std::collections::BTreeMap;
use std::time::Instant;

use common::{boot_with, lines};

const M: i64 = 1 << 20;

/// The selftest's `values_close()` (lib/cgroup_util.c): the difference is
/// at most `err` percent of the sum, with C's integer division first.
fn values_close(a: i64, b: i64, err: i64) -> bool {
    (a - b).abs() <= ((a + b) / 100) * err
}

/// Every script starts like the selftest's main(): memory enabled for the
/// root's children.
const PRELUDE: &str = "G=/sys/fs/cgroup\necho +memory > $G/cgroup.subtree_control\n";

/// A booted scenario's console, without the shell's echo of its input
/// (`# ` for a command, `> ` for the continuation lines of a construct).
struct Out {
    lines: Vec<String>,
}

/// Boots with `mem` (UEFI if `uefi`), `--icount` if `icount`, and the
/// extra options; runs `PRELUDE` + `script`; the script must end with
/// status 0.
fn run(mem: &str, uefi: bool, icount: bool, script: &str, extra: &[&str]) -> Out {
    let mut args = Vec::new();
    if icount {
        args.push("--icount");
    }
    args.extend_from_slice(extra);
    let start = Instant::now();
    let (status, out) = boot_with(
        mem,
        uefi,
        &format!("{PRELUDE}{script}echo end-of-script\n"),
        &args,
    );
    eprintln!("wall time: {:.1} s", start.elapsed().as_secs_f64());
    assert_eq!(status, 0, "the script failed (status {status})");
    assert!(!out.contains("panicked"), "kernel panic");
    Out {
        lines: lines(&out)
            .into_iter()
            .filter(|l| !l.starts_with("# ") && !l.starts_with("> "))
            .map(str::to_string)
            .collect(),
    }
}

impl Out {
    /// The text after `key=` on the first line that starts with it, up to
    /// the next space.
    fn value(&self, key: &str) -> &str {
        let prefix = format!("{key}=");
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(|v| v.split(' ').next().unwrap_or(""))
            .unwrap_or_else(|| panic!("no {key}= in the output"))
    }

    fn num(&self, key: &str) -> i64 {
        let v = self.value(key);
        v.parse()
            .unwrap_or_else(|_| panic!("{key}={v} is not a number"))
    }

    fn has(&self, line: &str) -> bool {
        self.lines.iter().any(|l| l == line)
    }

    /// Index of the line `line`.
    fn position(&self, line: &str) -> usize {
        self.lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("no line {line:?}"))
    }

    /// The lines between `=== name` and the next `=== ` line (scripts
    /// end a section with `=== .`).
    fn section(&self, name: &str) -> &[String] {
        let start = self.position(&format!("=== {name}")) + 1;
        let len = self.lines[start..]
            .iter()
            .position(|l| l.starts_with("=== "))
            .unwrap_or(self.lines.len() - start);
        &self.lines[start..start + len]
    }

    /// `key value` lines of a section (memory.events, memory.stat,
    /// /proc/meminfo) as numbers.
    fn keyed(&self, name: &str) -> BTreeMap<String, i64> {
        keyed(self.section(name).iter().map(String::as_str))
    }

    /// What a program printed for its `--cat PATH`: `PROG: PATH: LINE`.
    fn cat(&self, prog: &str, path: &str) -> Vec<&str> {
        let prefix = format!("{prog}: {path}: ");
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix(&prefix))
            .collect()
    }

    /// The number a `--cat` of a one-value file printed; `nth` run.
    fn cat_num(&self, prog: &str, path: &str, nth: usize) -> i64 {
        let all = self.cat(prog, path);
        let v = all
            .get(nth)
            .unwrap_or_else(|| panic!("no {nth}th {prog} --cat {path}: {all:?}"));
        v.parse().unwrap_or_else(|_| panic!("{path}: {v}"))
    }

    /// The results `cgfd` printed for `step` (`cgfd: STEP = N`), in order.
    fn cgfd(&self, step: &str) -> Vec<i64> {
        let prefix = format!("cgfd: {step} = ");
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix(&prefix))
            .map(|v| v.parse().unwrap_or_else(|_| panic!("cgfd {step}: {v}")))
            .collect()
    }

    /// Key `key` of the `nth` `--cat` of a keyed file (memory.stat).
    fn cat_key(&self, prog: &str, path: &str, key: &str, nth: usize) -> i64 {
        let all = self.cat(prog, path);
        let mut found = all
            .iter()
            .filter_map(|l| l.strip_prefix(&format!("{key} ")))
            .filter_map(|v| v.parse().ok());
        found
            .nth(nth)
            .unwrap_or_else(|| panic!("no {key} in {prog} --cat {path}"))
    }
}

fn keyed<'a>(lines: impl Iterator<Item = &'a str>) -> BTreeMap<String, i64> {
    let mut map = BTreeMap::new();
    for l in lines {
        let mut words = l.split_whitespace();
        if let (Some(k), Some(v)) = (words.next(), words.next())
            && let Ok(v) = v.parse()
        {
            map.entry(k.trim_end_matches(':').to_string()).or_insert(v);
        }
    }
    map
}

const EINVAL: &str = "sh: write error: Invalid argument";
const EAGAIN: &str = "sh: write error: Resource temporarily unavailable";

/// Shell: `TAG.rc=$?` after a write, and whatever the write printed in
/// between `TAG.w` and that line; returns (error lines, rc).
fn write_result<'a>(out: &'a Out, tag: &str) -> (Vec<&'a str>, i64) {
    let start = out.position(&format!("{tag}.w"));
    let end = start
        + out.lines[start..]
            .iter()
            .position(|l| l.starts_with(&format!("{tag}.rc=")))
            .unwrap_or_else(|| panic!("no {tag}.rc="));
    let errors = out.lines[start + 1..end]
        .iter()
        .map(String::as_str)
        .collect();
    (errors, out.num(&format!("{tag}.rc")))
}

/// Shell: the selftest's `reclaim_until(CG, GOAL)`: up to five reads of
/// memory.current; stop when it is below GOAL or within 3% of it; write
/// the difference to memory.reclaim. Prints `TAG.ru=1` if it returned
/// true. Non-EAGAIN errors are checked by [`assert_reclaim_until`].
fn reclaim_until(tag: &str, cg: &str, goal: i64) -> String {
    r#"echo "TAG.ru_begin"
ok=0; res=""; i=0
while [ $i -lt 5 ]; do
  cur=$(cat CG/memory.current)
  if [ $cur -gt GOAL ]; then d=$((cur - GOAL)); else d=$((GOAL - cur)); fi
  lim=$(( (cur + GOAL) / 100 * 3 ))
  if [ $cur -lt GOAL ] || [ $d -le $lim ]; then res=$ok; break; fi
  if [ $ok -eq 1 ]; then res=0; break; fi
  echo $((cur - GOAL)) > CG/memory.reclaim && ok=1
  i=$((i + 1))
done
if [ -z "$res" ]; then res=$ok; fi
echo "TAG.ru=$res"
echo "TAG.ru_end=$(cat CG/memory.current)"
"#
    .replace("TAG", tag)
    .replace("CG", cg)
    .replace("GOAL", &goal.to_string())
}

/// `reclaim_until` returned true and no write failed but with EAGAIN.
fn assert_reclaim_until(out: &Out, tag: &str) {
    let start = out.position(&format!("{tag}.ru_begin"));
    let end = start
        + out.lines[start..]
            .iter()
            .position(|l| l.starts_with(&format!("{tag}.ru=")))
            .unwrap();
    for l in &out.lines[start + 1..end] {
        assert!(
            !l.starts_with("sh: ") || l == EAGAIN,
            "{tag}: reclaim_until: {l}"
        );
    }
    assert_eq!(
        out.value(&format!("{tag}.ru")),
        "1",
        "{tag}: reclaim_until failed, memory.current ends at {}",
        out.value(&format!("{tag}.ru_end"))
    );
}

/// Shell: poll (every 0.2 s, at most `tries` times) until CG's
/// memory.current is within `err`% of TARGET; print it as `TAG=`.
fn wait_close(tag: &str, cg: &str, target: i64, err: i64, tries: u32) -> String {
    r#"i=0
while [ $i -lt TRIES ]; do
  cur=$(cat CG/memory.current)
  if [ $cur -gt TARGET ]; then d=$((cur - TARGET)); else d=$((TARGET - cur)); fi
  lim=$(( (cur + TARGET) / 100 * ERR ))
  if [ $d -le $lim ]; then break; fi
  sleep 0.2
  i=$((i + 1))
done
echo "TAG=$(cat CG/memory.current)"
"#
    .replace("TAG", tag)
    .replace("CG", cg)
    .replace("TARGET", &target.to_string())
    .replace("ERR", &err.to_string())
    .replace("TRIES", &tries.to_string())
}

/// The six memory.events keys, in Linux's order.
const EVENTS: [&str; 6] = ["low", "high", "max", "oom", "oom_kill", "oom_group_kill"];

fn events(out: &Out, section: &str) -> BTreeMap<String, i64> {
    let lines = out.section(section);
    let keys: Vec<&str> = lines.iter().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(keys, EVENTS, "{section}: memory.events lines");
    out.keyed(section)
}

// ---------------------------------------------------------------------
// test_memcg_subtree_control, and fresh cgroups' files (§5.1).

#[test]
fn subtree_control_and_fresh_cgroup_defaults() {
    let out = run(
        "128M",
        false,
        true,
        r#"mkdir $G/memcg_test_0 $G/memcg_test_0/memcg_test_1
echo +memory > $G/memcg_test_0/cgroup.subtree_control
echo "c0=[$(cat $G/memcg_test_0/memcg_test_1/cgroup.controllers)]"
mkdir $G/memcg_test_1 $G/memcg_test_1/memcg_test_1
cat $G/memcg_test_1/memcg_test_1/cgroup.controllers
echo "read1=$?"
echo "c1=[$(cat $G/memcg_test_1/memcg_test_1/cgroup.controllers)]"
test -e $G/memcg_test_1/memcg_test_1/memory.current; echo "c1.current=$?"
test -e $G/memcg_test_0/memcg_test_1/memory.current; echo "c0.current=$?"
rmdir $G/memcg_test_0/memcg_test_1 $G/memcg_test_0 $G/memcg_test_1/memcg_test_1 $G/memcg_test_1
echo "rmdir=$?"
mkdir $G/t
for f in current peak min low high max swap.max swap.high swap.current oom.group; do
  echo "$f=$(cat $G/t/memory.$f)"
done
echo "=== events"
cat $G/t/memory.events
echo "=== events.local"
cat $G/t/memory.events.local
echo "=== ."
for f in current min low high max events events.local peak oom.group swap.max; do
  test -e $G/memory.$f; echo "root.$f=$?"
done
for f in stat reclaim; do
  test -e $G/memory.$f; echo "root.$f=$?"
done
rmdir $G/t
"#,
        &[],
    );
    // §1.3.
    assert_eq!(out.value("c0"), "[memory]");
    assert_eq!(out.num("read1"), 0);
    assert_eq!(out.value("c1"), "[]");
    assert_eq!(out.num("c1.current"), 1, "no memory files without +memory");
    assert_eq!(out.num("c0.current"), 0);
    assert_eq!(out.num("rmdir"), 0);
    // §5.1.
    for (f, want) in [
        ("current", "0"),
        ("peak", "0"),
        ("min", "0"),
        ("low", "0"),
        ("high", "max"),
        ("max", "max"),
        ("swap.max", "max"),
        ("swap.high", "max"),
        ("swap.current", "0"),
        ("oom.group", "0"),
    ] {
        assert_eq!(out.value(f), want, "memory.{f}");
    }
    for s in ["events", "events.local"] {
        assert!(events(&out, s).values().all(|&v| v == 0), "{s}");
    }
    for f in [
        "current",
        "min",
        "low",
        "high",
        "max",
        "events",
        "events.local",
        "peak",
        "oom.group",
        "swap.max",
    ] {
        assert_eq!(out.num(&format!("root.{f}")), 1, "root has no memory.{f}");
    }
    assert_eq!(out.num("root.stat"), 0);
    assert_eq!(out.num("root.reclaim"), 0);
}

// ---------------------------------------------------------------------
// §5.2: limit parsing; every malformed write fails with Linux's errno and
// changes nothing.

#[test]
fn limit_parsing_and_bad_input() {
    let mut script = String::from(
        "mkdir $G/p $G/r\necho $$ > $G/r/cgroup.procs\n/bin/fileread /bin/vmcheck\n\
         /bin/fileread /bin/anon\necho $$ > $G/cgroup.procs\n",
    );
    // Good values, as §5.2 lists them, on every v2 limit file.
    let good = [
        ("30M", "31457280"),
        ("4097", "4096"),
        ("4095", "0"),
        ("0x2000", "8192"),
        ("1g", "1073741824"),
        ("max", "max"),
        (" 30M", "31457280"),
        ("max ", "max"),
    ];
    let files = ["max", "high", "low", "min", "swap.max", "swap.high"];
    for f in files {
        for (i, (input, _)) in good.iter().enumerate() {
            script += &format!(
                "echo \"{input}\" > $G/p/memory.{f}; echo \"good.{f}.{i}=$? $(cat $G/p/memory.{f})\"\n"
            );
        }
    }
    // Bad values: each after a known good one (30M), which must stay.
    let bad = ["1.0", "1xx", "xx", "-1", "30MB"];
    for f in files {
        script += &format!("echo 30M > $G/p/memory.{f}\n");
        for (i, input) in bad.iter().enumerate() {
            let tag = format!("bad.{f}.{i}");
            script += &format!(
                "echo \"{tag}.w\"; echo \"{input}\" > $G/p/memory.{f}; echo \"{tag}.rc=$?\"; \
                 echo \"{tag}.now=$(cat $G/p/memory.{f})\"\n"
            );
        }
    }
    // memory.oom.group: 2 is EINVAL (and changes nothing), 1 is fine.
    script += r#"echo "og2.w"; echo 2 > $G/p/memory.oom.group; echo "og2.rc=$?"; echo "og2.now=$(cat $G/p/memory.oom.group)"
echo "og1.w"; echo 1 > $G/p/memory.oom.group; echo "og1.rc=$?"; echo "og1.now=$(cat $G/p/memory.oom.group)"
echo "ogx.w"; echo x > $G/p/memory.oom.group; echo "ogx.rc=$?"; echo "ogx.now=$(cat $G/p/memory.oom.group)"
echo "r.before=$(cat $G/r/memory.current)"
echo "=== r.stat.before"
cat $G/r/memory.stat
echo "=== r.end"
"#;
    let bad_reclaim = ["10M swappiness=201", "10M foo=1", "abc"];
    for (i, input) in bad_reclaim.iter().enumerate() {
        let tag = format!("rcl.{i}");
        script += &format!(
            "echo \"{tag}.w\"; echo \"{input}\" > $G/r/memory.reclaim; echo \"{tag}.rc=$?\"; \
             echo \"{tag}.now=$(cat $G/r/memory.current)\"\n"
        );
    }
    script += r#"echo "rcl0.w"; echo 0 > $G/r/memory.reclaim; echo "rcl0.rc=$?"; echo "rcl0.now=$(cat $G/r/memory.current)"
echo "=== r.stat.after"
cat $G/r/memory.stat
echo "=== r.end2"
echo "=== p.events"
cat $G/p/memory.events
echo "=== ."
rmdir $G/p $G/r
echo "rmdir=$?"
"#;
    let out = run("128M", false, true, &script, &[]);
    for f in files {
        for (i, (input, want)) in good.iter().enumerate() {
            assert_eq!(
                out.value(&format!("good.{f}.{i}")),
                "0",
                "memory.{f} <- {input:?}"
            );
            let line = out
                .lines
                .iter()
                .find_map(|l| l.strip_prefix(&format!("good.{f}.{i}=0 ")))
                .unwrap_or_else(|| panic!("memory.{f} <- {input:?} failed"));
            assert_eq!(line, *want, "memory.{f} <- {input:?}");
        }
        for (i, input) in bad.iter().enumerate() {
            let tag = format!("bad.{f}.{i}");
            let (errors, rc) = write_result(&out, &tag);
            assert_eq!(rc, 1, "memory.{f} <- {input:?} must fail");
            assert_eq!(errors, [EINVAL], "memory.{f} <- {input:?}");
            assert_eq!(
                out.value(&format!("{tag}.now")),
                "31457280",
                "memory.{f} <- {input:?} changed the value"
            );
        }
    }
    let (errors, rc) = write_result(&out, "og2");
    assert_eq!((errors, rc), (vec![EINVAL], 1), "memory.oom.group <- 2");
    assert_eq!(out.value("og2.now"), "0");
    assert_eq!(write_result(&out, "og1"), (vec![], 0));
    assert_eq!(out.value("og1.now"), "1");
    let (errors, rc) = write_result(&out, "ogx");
    assert_eq!((errors, rc), (vec![EINVAL], 1), "memory.oom.group <- x");
    assert_eq!(out.value("ogx.now"), "1");
    let before = out.num("r.before");
    assert!(before > 0, "the reader's page cache is charged to r");
    for (i, input) in bad_reclaim.iter().enumerate() {
        let tag = format!("rcl.{i}");
        assert_eq!(
            write_result(&out, &tag),
            (vec![EINVAL], 1),
            "memory.reclaim <- {input:?}"
        );
        assert_eq!(
            out.num(&format!("{tag}.now")),
            before,
            "memory.reclaim <- {input:?} reclaimed"
        );
    }
    assert_eq!(write_result(&out, "rcl0"), (vec![], 0));
    assert_eq!(out.num("rcl0.now"), before);
    let (stat_before, stat_after) = (out.keyed("r.stat.before"), out.keyed("r.stat.after"));
    assert!(stat_before["file"] > 0);
    assert_eq!(stat_before["file"], stat_after["file"]);
    assert_eq!(
        stat_after["pgscan"], 0,
        "bad reclaim writes scanned nothing"
    );
    assert!(events(&out, "p.events").values().all(|&v| v == 0));
    assert_eq!(out.num("rmdir"), 0);
}

// ---------------------------------------------------------------------
// §5.3: the 64-page charge batch and the stock.

#[test]
fn charge_batching_and_stock() {
    let out = run(
        "128M",
        false,
        true,
        r#"/bin/anon 4K
mkdir $G/b0 $G/b1 $G/b2 $G/b3
cgexec b0 /bin/anon 4K --cat $G/b0/memory.current
r0=$(cat $G/b0/memory.current)
own=$((64 - r0 / 4096 - 1))
echo "own=$own"
cgexec b1 /bin/anon $(( (64 - own) * 4096 )) --cat $G/b1/memory.current
cgexec b2 /bin/anon $(( (65 - own) * 4096 )) --cat $G/b2/memory.current
echo "b1.after=$(cat $G/b1/memory.current)"
echo "b2.after=$(cat $G/b2/memory.current)"
cgexec b3 /bin/anon 4K --cat $G/b3/memory.current
echo "b2.drained=$(cat $G/b2/memory.current)"
echo "b3.stock=$(cat $G/b3/memory.current)"
echo 0 > $G/b3/memory.max
echo "b3.max0=$? $(cat $G/b3/memory.current)"
echo "=== b3.events"
cat $G/b3/memory.events
echo "=== ."
rmdir $G/b0 $G/b1 $G/b2 $G/b3
echo "rmdir=$?"
"#,
        &[],
    );
    // The first fault of a fresh memcg charges a whole batch.
    assert_eq!(
        out.cat_num("anon", "/sys/fs/cgroup/b0/memory.current", 0),
        262144
    );
    let own = out.num("own");
    assert!((0..16).contains(&own), "anon's own pages: {own}");
    // 64 pages in all: still the first batch; the 65th: a second one.
    assert_eq!(
        out.cat_num("anon", "/sys/fs/cgroup/b1/memory.current", 0),
        262144
    );
    assert_eq!(
        out.cat_num("anon", "/sys/fs/cgroup/b2/memory.current", 0),
        524288
    );
    // Freeing lowers the usage by exactly what was freed: the stock of
    // b1 was used up; b2 keeps 128 - 65 = 63 pages of stock.
    assert_eq!(out.num("b1.after"), 0);
    assert_eq!(out.num("b2.after"), 258048);
    // Another memcg charging on this CPU drains b2's stock.
    assert_eq!(out.num("b2.drained"), 0);
    let stock = out.num("b3.stock");
    assert_eq!(stock, (64 - 1 - own) * 4096);
    // A limit write below the usage drains the stock: no OOM, no kill.
    assert_eq!(out.value("b3.max0"), "0");
    assert!(
        out.has("b3.max0=0 0"),
        "the stock is drained by the limit write"
    );
    let ev = events(&out, "b3.events");
    assert_eq!(ev["oom"], 0);
    assert_eq!(ev["oom_kill"], 0);
    assert_eq!(out.num("rmdir"), 0);
}

// ---------------------------------------------------------------------
// test_memcg_current_peak, §5.5, §5.6, §5.19.

/// The generated file the page-cache scenarios read, each child its own
/// 50M region of it. UEFI: the BIOS loader is too slow for it.
const FILE_150M: [&str; 2] = ["--gen", "/data/f:150M"];

#[test]
fn current_peak() {
    let out = run(
        "512M",
        true,
        false,
        r#"mkdir $G/memcg_test
echo "current0=$(cat $G/memcg_test/memory.current)"
echo "peak0=$(cat $G/memcg_test/memory.peak)"
echo $$ > $G/memcg_test/cgroup.procs
/bin/anon 50M --cat $G/memcg_test/memory.current --cat $G/memcg_test/memory.stat
echo "anon.st=$?"
echo $$ > $G/cgroup.procs
echo "peak1=$(cat $G/memcg_test/memory.peak)"
CG=$G/memcg_test
/bin/cgfd open:1:$CG/memory.peak open:2:$CG/memory.peak open:3:$CG/memory.peak \
  'write:1:reset\n' 'write:2:reset\n' 'write:3:reset\n' cat:$CG/memory.peak \
  close:2 open:4:$CG/memory.peak 'write:4:reset\n' read:1 \
  join:$CG readfile:/data/f:0:50M cat:$CG/memory.current cat:$CG/memory.stat join:$G \
  cat:$CG/memory.peak read:1 read:4 close:3 close:4
echo "cgfd.st=$?"
"#,
        &FILE_150M,
    );
    assert_eq!(out.num("current0"), 0);
    assert_eq!(out.num("peak0"), 0);
    // alloc_anon_50M_check, from inside the cgroup (§5.5).
    assert_eq!(out.num("anon.st"), 0);
    let cg = "/sys/fs/cgroup/memcg_test";
    let current = out.cat_num("anon", &format!("{cg}/memory.current"), 0);
    assert!(current >= 50 * M, "current {current}");
    assert!(values_close(50 * M, current, 3), "current {current}");
    let anon = out.cat_key("anon", &format!("{cg}/memory.stat"), "anon", 0);
    assert!(
        values_close(anon, current, 3),
        "anon {anon} vs current {current}"
    );
    assert!(out.num("peak1") >= 50 * M);
    assert_eq!(out.num("cgfd.st"), 0);
    // Three fds on memory.peak, each reset with "reset\n\0" (7 bytes).
    for n in 1..=4 {
        assert_eq!(out.cgfd(&format!("open {n}")), [0]);
        assert_eq!(out.cgfd(&format!("write {n}")), [7], "reset of fd {n}");
    }
    // A fresh open still shows the global peak.
    let peak_path = format!("{cg}/memory.peak");
    assert!(out.cat_num("cgfd", &peak_path, 0) >= 50 * M);
    assert_eq!(out.cgfd("close 2"), [0]);
    // fd1's peak: the usage at the last reset, the 50M task is gone.
    let fd1 = out.cgfd("read 1");
    assert!((0..=30 * M).contains(&fd1[0]), "fd1 {}", fd1[0]);
    // alloc_pagecache_50M_check (§5.6) from inside the cgroup.
    assert_eq!(out.cgfd("readfile"), [50 * M]);
    let current = out.cat_num("cgfd", &format!("{cg}/memory.current"), 0);
    assert!(current >= 50 * M, "current {current}");
    let file = out.cat_key("cgfd", &format!("{cg}/memory.stat"), "file", 0);
    assert!(
        values_close(file, current, 10),
        "file {file} vs current {current}"
    );
    // After it: the global peak, fd1 and fd4 all saw the 50M.
    assert!(out.cat_num("cgfd", &peak_path, 1) >= 50 * M);
    assert!(fd1[1] >= 50 * M, "fd1 {}", fd1[1]);
    assert!(out.cgfd("read 4")[0] >= 50 * M);
    assert_eq!(out.cgfd("close 3"), [0]);
    assert_eq!(out.cgfd("close 4"), [0]);
}

// ---------------------------------------------------------------------
// test_memcg_min / test_memcg_low (§1.5), §5.10, §5.11, against the
// memcg_protection.m model (§1.6) on the selftest's tree scaled by 1/2,
// 1 and 2.

/// Linux's `tools/testing/selftests/cgroup/memcg_protection.m`: one level
/// of siblings under a parent with effective protection `parent_e`,
/// nominal protections `n` and initial usages `c` (MiB); returns the
/// usages where reclaim settles (MiB). The script's own units (GB),
/// constants and float arithmetic, the recursive-protection term included.
fn memcg_protection_model(parent_e: f64, n: [f64; 4], c: [f64; 4]) -> [f64; 4] {
    let gb = |v: f64| v / 1024.0;
    let e_parent = gb(parent_e);
    let n = n.map(gb);
    let mut c = c.map(gb);
    let cluster = 32.0 * 4.0 / 2f64.powi(20);
    let alpha = 0.1;
    let epsilon = 1e-7;
    for _ in 0..1000 {
        let protected: [f64; 4] = std::array::from_fn(|i| n[i].min(c[i]));
        let siblings: f64 = protected.iter().sum();
        let mut e = protected.map(|p| p * (e_parent / siblings).min(1.0));
        let unclaimed = (e_parent - siblings).max(0.0);
        let parent_overuse = c.iter().sum::<f64>() - siblings;
        if unclaimed > 0.0 && parent_overuse > 0.0 {
            for i in 0..4 {
                let overuse = (c[i] - protected[i]).max(0.0);
                e[i] += unclaimed * (overuse / parent_overuse);
            }
        }
        let mut r: [f64; 4] = std::array::from_fn(|i| {
            let sz = e[i].max(c[i]);
            alpha * c[i] * (1.0 - (e[i] + epsilon) / (sz + epsilon))
        });
        if r.iter().all(|&x| x < epsilon) {
            break;
        }
        for i in 0..4 {
            r[i] = r[i].max(if r[i] > epsilon { cluster } else { 0.0 });
            c[i] = (c[i] - r[i]).max(0.0);
        }
    }
    c.map(|v| v * 1024.0)
}

/// The model gives the numbers the selftest's ~29M / ~21M come from.
#[test]
fn protection_model_reproduces_the_selftest_numbers() {
    let c = memcg_protection_model(50.0, [75.0, 25.0, 0.0, 500.0], [50.0, 50.0, 50.0, 0.0]);
    let want = [28.78, 21.05, 0.13, 0.0];
    for i in 0..4 {
        assert!((c[i] - want[i]).abs() < 0.01, "{c:?}");
    }
}

/// A scale factor num/den for every size of the protection tree.
#[derive(Clone, Copy)]
struct Scale(i64, i64);

impl Scale {
    /// `mib` MiB scaled, in bytes.
    fn bytes(self, mib: i64) -> i64 {
        mib * M * self.0 / self.1
    }

    fn mib(self, mib: f64) -> f64 {
        mib * self.0 as f64 / self.1 as f64
    }

    fn tag(self) -> String {
        format!("s{}_{}", self.0, self.1)
    }
}

const SCALES: [Scale; 3] = [Scale(1, 2), Scale(1, 1), Scale(2, 1)];

/// One run of `test_memcg_protection` at `scale`, its keys prefixed with
/// the scale's tag.
fn protection_script(attr: &str, scale: Scale) -> String {
    let tag = scale.tag();
    let s = |mib| scale.bytes(mib).to_string();
    let mut script = r#"mkdir $G/A $G/A/B $G/A/G
echo "TAG.a_attr=$(cat $G/A/memory.ATTR)"
echo +memory > $G/A/cgroup.subtree_control
echo AMAX > $G/A/memory.max
echo 0 > $G/A/memory.swap.max
echo +memory > $G/A/B/cgroup.subtree_control
mkdir $G/A/B/C $G/A/B/D $G/A/B/E $G/A/B/F
echo $$ > $G/A/B/C/cgroup.procs
/bin/fileread /data/f --offset 0 --size USAGE --hold &
pc=$!
echo $$ > $G/A/B/D/cgroup.procs
/bin/fileread /data/f --offset USAGE --size USAGE --hold &
pd=$!
echo $$ > $G/A/B/E/cgroup.procs
/bin/fileread /data/f --offset OFF2 --size USAGE --hold &
pe=$!
echo $$ > $G/cgroup.procs
echo BPROT > $G/A/B/memory.ATTR
echo CPROT > $G/A/B/C/memory.ATTR
echo DPROT > $G/A/B/D/memory.ATTR
echo 0 > $G/A/B/E/memory.ATTR
echo FPROT > $G/A/B/F/memory.ATTR
"#
    .to_string();
    script += &wait_close("TAG.b0", "$G/A/B", 3 * scale.bytes(50), 3, 300);
    script += r#"echo $$ > $G/A/G/cgroup.procs
/bin/anon G1
echo "TAG.g1=$?"
echo $$ > $G/cgroup.procs
echo "TAG.B=$(cat $G/A/B/memory.current)"
for x in C D E F; do echo "TAG.$x=$(cat $G/A/B/$x/memory.current)"; done
echo $$ > $G/A/G/cgroup.procs
/bin/anon G2 &
pg=$!
echo $$ > $G/cgroup.procs
wait $pg
echo "TAG.g2=$?"
echo "TAG.B2=$(cat $G/A/B/memory.current)"
"#;
    script += &reclaim_until("TAG", "$G/A/B/C", scale.bytes(10));
    script += r#"for x in C D E F; do echo "=== TAG.$x.events"; cat $G/A/B/$x/memory.events; done
echo "=== ."
kill -9 $pc
kill -9 $pd
kill -9 $pe
wait $pc
wait $pd
wait $pe
echo 3 > /proc/sys/vm/drop_caches
rmdir $G/A/B/C $G/A/B/D $G/A/B/E $G/A/B/F $G/A/B $G/A/G $G/A
echo "TAG.rmdir=$?"
"#;
    script
        .replace("TAG", &tag)
        .replace("ATTR", attr)
        .replace("AMAX", &s(200))
        .replace("USAGE", &s(50))
        .replace("OFF2", &s(100))
        .replace("BPROT", &s(50))
        .replace("CPROT", &s(75))
        .replace("DPROT", &s(25))
        .replace("FPROT", &s(500))
        .replace("G1", &s(148))
        .replace("G2", &s(170))
}

fn test_memcg_protection(min: bool) {
    let attr = if min { "min" } else { "low" };
    let script: String = SCALES.iter().map(|&s| protection_script(attr, s)).collect();
    // The largest tree reads 300M of the file and limits A to 400M.
    let out = run(
        "1280M",
        true,
        false,
        &script,
        &["--gen", "/data/f:300M", "--timeout", "600"],
    );
    for scale in SCALES {
        let t = scale.tag();
        let key = |k: &str| out.num(&format!("{t}.{k}"));
        assert_eq!(key("a_attr"), 0, "{t}: A's memory.{attr}");
        eprintln!("{t}: B before G: {}", key("b0"));
        assert_eq!(key("g1"), 0, "{t}: G's first allocation");
        let b = key("B");
        assert!(values_close(b, scale.bytes(50), 3), "{t}: B {b}");
        let model = memcg_protection_model(
            scale.mib(50.0),
            [75.0, 25.0, 0.0, 500.0].map(|v| scale.mib(v)),
            [50.0, 50.0, 50.0, 0.0].map(|v| scale.mib(v)),
        );
        let model = model.map(|mib| (mib * M as f64) as i64);
        let (c, d) = (key("C"), key("D"));
        eprintln!(
            "{t}: C {c} D {d} E {} F {}; model C {} D {}",
            key("E"),
            key("F"),
            model[0],
            model[1]
        );
        assert!(
            values_close(c, model[0], 15),
            "{t}: C {c}, model {}",
            model[0]
        );
        assert!(
            values_close(d, model[1], 20),
            "{t}: D {d}, model {}",
            model[1]
        );
        assert_eq!(key("F"), 0, "{t}: F");
        let b2 = key("B2");
        if min {
            assert_ne!(
                key("g2"),
                0,
                "{t}: memory.min must make G's second allocation fail"
            );
            assert!(values_close(b2, scale.bytes(50), 3), "{t}: B {b2}");
        } else {
            assert_eq!(
                key("g2"),
                0,
                "{t}: memory.low prevents from allocating anon memory"
            );
            assert!(values_close(b2, scale.bytes(30), 3), "{t}: B {b2}");
        }
        assert_reclaim_until(&out, &t);
        if !min {
            for (i, x) in ["C", "D", "E", "F"].iter().enumerate() {
                let ev = events(&out, &format!("{t}.{x}.events"));
                assert_eq!(ev["oom"], 0, "{t}: {x} oom");
                if i < 2 {
                    assert!(ev["low"] > 0, "{t}: {x} low");
                } else {
                    // No memory_recursiveprot: E gets none of B's
                    // protection; F has no usage.
                    assert_eq!(ev["low"], 0, "{t}: {x} low");
                }
            }
        }
        assert_eq!(key("rmdir"), 0, "{t}: rmdir");
    }
}

#[test]
fn memcg_min() {
    test_memcg_protection(true);
}

#[test]
fn memcg_low() {
    test_memcg_protection(false);
}

// ---------------------------------------------------------------------
// test_memcg_high (§1.7), §5.8.

#[test]
fn memcg_high() {
    let out = run(
        "512M",
        true,
        false,
        r#"mkdir $G/memcg_test
echo "high0=$(cat $G/memcg_test/memory.high)"
echo 0 > $G/memcg_test/memory.swap.max
echo 30M > $G/memcg_test/memory.high
echo $$ > $G/memcg_test/cgroup.procs
/bin/anon 31M
echo "anon.st=$?"
echo "=== events.anon"
cat $G/memcg_test/memory.events
echo "=== ."
/bin/fileread /data/f --size 50M --cat $G/memcg_test/memory.current
echo "check.st=$?"
/bin/fileread /data/f --offset 50M --size 50M --cat $G/memcg_test/memory.high --cat $G/memcg_test/memory.max --cat $G/memcg_test/memory.current
echo "max30.st=$?"
echo $$ > $G/cgroup.procs
echo "=== events"
cat $G/memcg_test/memory.events
echo "=== ."
"#,
        &FILE_150M,
    );
    let cg = "/sys/fs/cgroup/memcg_test";
    assert_eq!(out.value("high0"), "max");
    // memory.high never OOM-kills: the 31M task is only throttled.
    assert_eq!(out.num("anon.st"), 0);
    let ev = events(&out, "events.anon");
    assert_eq!((ev["oom"], ev["oom_kill"], ev["max"]), (0, 0, 0));
    assert!(ev["high"] > 0);
    // alloc_pagecache_50M_check must fail: the cache is held near 30M.
    assert_eq!(out.num("check.st"), 0);
    let current = out.cat_num("fileread", &format!("{cg}/memory.current"), 0);
    assert!(
        current < 50 * M,
        "current {current} reached 50M over a 30M high"
    );
    // alloc_pagecache_max_30M.
    assert_eq!(out.num("max30.st"), 0);
    assert_eq!(
        out.cat_num("fileread", &format!("{cg}/memory.high"), 0),
        30 * M
    );
    assert_eq!(out.cat("fileread", &format!("{cg}/memory.max")), ["max"]);
    let current = out.cat_num("fileread", &format!("{cg}/memory.current"), 1);
    assert!(values_close(current, 30 * M, 5), "current {current}");
    let ev = events(&out, "events");
    assert!(ev["high"] > 0);
    assert_eq!((ev["oom"], ev["oom_kill"]), (0, 0));
}

// ---------------------------------------------------------------------
// test_memcg_high_sync (§1.8), §5.9: polling memory.events every jiffy
// instead of inotify; under --icount the poll is deterministic. (The poll
// sleeps: a busy loop of the shell, a kernel thread, starves the task.)

#[test]
fn memcg_high_sync() {
    let out = run(
        "384M",
        false,
        true,
        r#"mkdir $G/memcg_test
echo "=== pre"
cat $G/memcg_test/memory.events
echo "=== ."
echo 0 > $G/memcg_test/memory.swap.max
echo 30M > $G/memcg_test/memory.high
echo 140M > $G/memcg_test/memory.max
pre=$(cat $G/memcg_test/memory.events)
cgexec memcg_test /bin/anon 200M --mlock &
p=$!
i=0
while [ $i -lt 20000 ]; do
  e=$(cat $G/memcg_test/memory.events)
  if [ "$e" != "$pre" ]; then break; fi
  sleep 0.001
  i=$((i + 1))
done
echo "polls=$i"
echo "=== post"
echo "$e"
echo "=== ."
echo "current=$(cat $G/memcg_test/memory.current)"
kill -9 $p
wait $p
echo "st=$?"
mkdir $G/u $G/h
echo 30M > $G/h/memory.high
echo 0 > $G/h/memory.swap.max
cgexec u /bin/anon 31M --time
cgexec h /bin/anon 31M --time
echo "h.st=$?"
echo "h.residue=$(cat $G/h/memory.current)"
echo "=== h.events"
cat $G/h/memory.events
echo "=== ."
"#,
        &[],
    );
    let (pre, post) = (events(&out, "pre"), events(&out, "post"));
    assert!(out.num("polls") < 20000, "memory.events never changed");
    assert_ne!(post["high"], pre["high"], "the first event must be high");
    assert_eq!(
        post["max"], pre["max"],
        "memory.max was hit before memory.high throttled"
    );
    assert!(out.num("current") < 140 * M);
    assert_eq!(out.num("st"), 137);
    // §5.8's throttling delay: 31M over a 30M memory.high, in a fresh
    // memcg, against the same allocation without a limit.
    assert_eq!(out.num("h.st"), 0);
    let times: Vec<i64> = out
        .lines
        .iter()
        .filter_map(|l| l.strip_prefix("anon: ")?.strip_suffix(" ns")?.parse().ok())
        .collect();
    let [free, throttled] = times[..] else {
        panic!("anon --time: {times:?}")
    };
    let expected =
        expected_high_delay_ms(31 * M / 4096, 30 * M / 4096, out.num("h.residue") / 4096);
    let extra = (throttled - free) / 1_000_000;
    eprintln!("throttled {throttled} ns, free {free} ns: {extra} ms extra, model {expected} ms");
    assert!(
        extra + 4 >= expected && extra <= expected + expected / 10 + 10,
        "memory.high throttled {extra} ms, Linux's formula gives {expected} ms"
    );
    let ev = events(&out, "h.events");
    assert!(ev["high"] > 0);
    assert_eq!((ev["max"], ev["oom"]), (0, 0));
}

/// The sleeps of `mem_cgroup_handle_over_high()` (reference §3.5) for a
/// task that charges `pages` (plus a few of its own) one at a time over
/// `high`: on the return to user space after each 64-page batch that
/// ends above `high`, `calculate_high_delay()` of the overage, nothing if
/// at most 10 ms, at most 2 s. `residue`: the stock left after the task
/// exited, which tells how many batches it charged in all.
fn expected_high_delay_ms(pages: i64, high: i64, residue: i64) -> i64 {
    const BATCH: i64 = 64;
    // The task charged 64 * batches - residue pages, at least `pages`.
    let batches = (pages + residue + BATCH - 1) / BATCH;
    assert!(BATCH * batches - residue >= pages, "residue {residue}");
    (1..=batches)
        .map(|k| k * BATCH)
        .filter(|&usage| usage > high)
        .map(|usage| {
            let overage = (((usage - high) as u128) << 20) / high as u128;
            // Times nr_pages / MEMCG_CHARGE_BATCH, which is 1 here.
            let delay = ((overage * overage * 1000) >> 20 >> 14) as i64;
            if delay <= 10 { 0 } else { delay.min(2000) }
        })
        .sum()
}

// ---------------------------------------------------------------------
// test_memcg_max (§1.9), §5.7.

#[test]
fn memcg_max() {
    let out = run(
        "512M",
        true,
        false,
        r#"mkdir $G/memcg_test
echo "max0=$(cat $G/memcg_test/memory.max)"
echo 0 > $G/memcg_test/memory.swap.max
echo 30M > $G/memcg_test/memory.max
echo $$ > $G/memcg_test/cgroup.procs
/bin/anon 100M &
p=$!
echo $$ > $G/cgroup.procs
wait $p
echo "anon.st=$?"
echo "procs=[$(cat $G/memcg_test/cgroup.procs)]"
echo $$ > $G/memcg_test/cgroup.procs
/bin/fileread /data/f --size 50M --cat $G/memcg_test/memory.max --cat $G/memcg_test/memory.current
echo "file.st=$?"
echo $$ > $G/cgroup.procs
echo "after=$(cat $G/memcg_test/memory.current)"
echo "peak=$(cat $G/memcg_test/memory.peak)"
echo "=== events"
cat $G/memcg_test/memory.events
echo "=== ."
"#,
        &FILE_150M,
    );
    let cg = "/sys/fs/cgroup/memcg_test";
    assert_eq!(out.value("max0"), "max");
    assert_eq!(
        out.num("anon.st"),
        137,
        "100M over a 30M max must be OOM-killed"
    );
    assert_eq!(out.value("procs"), "[]");
    assert_eq!(out.num("file.st"), 0);
    assert_eq!(
        out.cat_num("fileread", &format!("{cg}/memory.max"), 0),
        30 * M
    );
    let current = out.cat_num("fileread", &format!("{cg}/memory.current"), 0);
    assert!(values_close(current, 30 * M, 5), "current {current}");
    let after = out.num("after");
    assert!(after > 0 && after <= 30 * M, "after {after}");
    // Never above the limit.
    assert!(out.num("peak") <= 30 * M);
    let ev = events(&out, "events");
    assert!(ev["max"] > 0);
    assert_eq!((ev["oom"], ev["oom_kill"]), (1, 1));
}

// ---------------------------------------------------------------------
// test_memcg_reclaim (§1.10), memory.reclaim (§5.15).

#[test]
fn memcg_reclaim() {
    let mut script = String::from(
        r#"mkdir $G/memcg_test $G/r
echo "current0=$(cat $G/memcg_test/memory.current)"
echo $$ > $G/memcg_test/cgroup.procs
/bin/fileread /data/f --size 50M --hold &
p=$!
echo $$ > $G/cgroup.procs
"#,
    );
    script += &wait_close("c1", "$G/memcg_test", 50 * M, 10, 25);
    script += &reclaim_until("t", "$G/memcg_test", 30 * M);
    script += r#"kill -9 $p
wait $p
echo $$ > $G/r/cgroup.procs
/bin/fileread /data/f --offset 50M --size 50M
echo $$ > $G/cgroup.procs
echo "r0=$(cat $G/r/memory.current)"
echo "r20.w"; echo 20M > $G/r/memory.reclaim; echo "r20.rc=$?"
echo "r1=$(cat $G/r/memory.current)"
echo "r100.w"; echo 100M > $G/r/memory.reclaim; echo "r100.rc=$?"
echo "r2=$(cat $G/r/memory.current)"
echo "=== r.stat"
cat $G/r/memory.stat
echo "=== ."
"#;
    let out = run("512M", true, false, &script, &FILE_150M);
    assert_eq!(out.num("current0"), 0);
    let c1 = out.num("c1");
    assert!(values_close(c1, 50 * M, 10), "current {c1}");
    assert_reclaim_until(&out, "t");
    let r0 = out.num("r0");
    assert!(r0 >= 50 * M, "r0 {r0}");
    assert_eq!(write_result(&out, "r20"), (vec![], 0));
    let r1 = out.num("r1");
    assert!(r0 - r1 >= 20 * M, "memory.reclaim 20M: {r0} -> {r1}");
    assert_eq!(write_result(&out, "r100"), (vec![EAGAIN], 1));
    let r2 = out.num("r2");
    assert!(
        r2 < M,
        "memory.reclaim 100M reclaimed what it could: {r2} left"
    );
    let stat = out.keyed("r.stat");
    assert!(stat["pgsteal"] >= (r0 - r2) / 4096, "{stat:?}");
    assert_eq!(stat["anon"], 0);
}

// ---------------------------------------------------------------------
// §5.13 protection is relative to the reclaim target; §5.14 memory.low
// is best effort, memory.min is not.

#[test]
fn protection_target_and_low_best_effort() {
    let out = run(
        "512M",
        true,
        false,
        r#"mkdir $G/P $G/P/C
echo +memory > $G/P/cgroup.subtree_control
echo 1G > $G/P/C/memory.min
cgexec P/C /bin/fileread /data/f --size 50M
echo "c0=$(cat $G/P/C/memory.current)"
echo "p40.w"; echo 40M > $G/P/memory.reclaim; echo "p40.rc=$?"
echo "c1=$(cat $G/P/C/memory.current)"
echo "c40.w"; echo 40M > $G/P/C/memory.reclaim; echo "c40.rc=$?"
echo "c2=$(cat $G/P/C/memory.current)"
for t in L M; do
  mkdir $G/$t $G/$t/C $G/$t/G
  echo +memory > $G/$t/cgroup.subtree_control
  echo 0 > $G/$t/memory.swap.max
  echo 60M > $G/$t/memory.max
done
echo 100M > $G/L/C/memory.low
echo 100M > $G/M/C/memory.min
cgexec L/C /bin/fileread /data/f --offset 50M --size 40M
cgexec M/C /bin/fileread /data/f --offset 90M --size 40M
for t in L M; do
  echo "$t.c0=$(cat $G/$t/C/memory.current)"
  cgexec $t/G /bin/anon 40M &
  p=$!
  wait $p
  echo "$t.st=$?"
  echo "$t.c1=$(cat $G/$t/C/memory.current)"
  echo "=== $t.C.events"
  cat $G/$t/C/memory.events
  echo "=== $t.events"
  cat $G/$t/memory.events
  echo "=== ."
done
"#,
        &FILE_150M,
    );
    // §5.13.
    let c0 = out.num("c0");
    assert!(c0 >= 50 * M);
    assert_eq!(
        write_result(&out, "p40"),
        (vec![EAGAIN], 1),
        "parent's reclaim"
    );
    assert_eq!(
        out.num("c1"),
        c0,
        "C's memory.min protects it from its parent's reclaim"
    );
    assert_eq!(write_result(&out, "c40"), (vec![], 0), "C's own reclaim");
    let c2 = out.num("c2");
    assert!(
        c0 - c2 >= 40 * M,
        "C's own memory.reclaim ignores its memory.min: {c0} -> {c2}"
    );
    // §5.14, memory.low: the anon allocation succeeds by reclaiming the
    // protected cache, and C counts low events.
    assert_eq!(out.num("L.st"), 0, "memory.low is best effort");
    let (l0, l1) = (out.num("L.c0"), out.num("L.c1"));
    assert!(l0 >= 40 * M);
    assert!(
        l1 <= 21 * M,
        "C's cache was reclaimed below its low: {l0} -> {l1}"
    );
    let ev = events(&out, "L.C.events");
    assert!(ev["low"] > 0);
    assert_eq!(ev["oom"], 0);
    assert_eq!(events(&out, "L.events")["oom"], 0);
    // memory.min: nothing is reclaimed from C; the allocation is OOM-killed.
    assert_eq!(out.num("M.st"), 137, "memory.min is not best effort");
    assert_eq!(out.num("M.c1"), out.num("M.c0"));
    assert_eq!(events(&out, "M.C.events")["low"], 0);
    let ev = events(&out, "M.events");
    assert!(ev["oom"] >= 1);
    assert_eq!(ev["oom_kill"], 1);
}

// ---------------------------------------------------------------------
// test_memcg_oom_events (§1.11).

#[test]
fn memcg_oom_events() {
    let out = run(
        "256M",
        false,
        true,
        r#"mkdir $G/memcg_test
echo 30M > $G/memcg_test/memory.max
echo 0 > $G/memcg_test/memory.swap.max
echo $$ > $G/memcg_test/cgroup.procs
/bin/anon 100M &
p=$!
echo $$ > $G/cgroup.procs
wait $p
echo "st=$?"
echo "procs=[$(cat $G/memcg_test/cgroup.procs)]"
echo "=== events"
cat $G/memcg_test/memory.events
echo "=== ."
rmdir $G/memcg_test
echo "rmdir=$?"
"#,
        &[],
    );
    assert_eq!(out.num("st"), 137);
    assert_eq!(out.value("procs"), "[]");
    let ev = events(&out, "events");
    assert_eq!((ev["oom"], ev["oom_kill"]), (1, 1));
    assert!(ev["max"] > 0);
    assert_eq!(ev["oom_group_kill"], 0);
    assert_eq!(out.num("rmdir"), 0);
}

// ---------------------------------------------------------------------
// §3.13: writes of memory.high and memory.max below the usage.

/// memory.high below the usage reclaims (the page cache) and never
/// kills or counts an event; memory.max below what reclaim can free
/// installs the limit, reclaims, then OOM-kills inside the memcg, and
/// the write still succeeds.
#[test]
fn limit_writes_below_usage_reclaim_then_kill() {
    let out = run(
        "256M",
        false,
        true,
        r#"mkdir $G/m
echo $$ > $G/m/cgroup.procs
/bin/fileread /data/f
/bin/anon 40M --hold &
p=$!
echo $$ > $G/cgroup.procs
while [ "$(cat $G/m/memory.current)" -lt 50331648 ]; do sleep 0.01; done
echo "before=$(cat $G/m/memory.current)"
echo 45M > $G/m/memory.high
echo "high.st=$?"
echo "after.high=$(cat $G/m/memory.current)"
echo "=== ev.high"
cat $G/m/memory.events
echo "=== ."
echo 20M > $G/m/memory.max
echo "max.st=$?"
wait $p
echo "st=$?"
echo "after.max=$(cat $G/m/memory.current)"
echo "max=$(cat $G/m/memory.max)"
echo "=== ev.max"
cat $G/m/memory.events
echo "=== ."
"#,
        &["--gen", "/data/f:8M"],
    );
    assert!(out.num("before") >= 48 * M);
    assert_eq!(out.num("high.st"), 0);
    let after_high = out.num("after.high");
    assert!(
        (40 * M..=45 * M).contains(&after_high),
        "after memory.high: {after_high}"
    );
    let ev = events(&out, "ev.high");
    assert_eq!((ev["high"], ev["oom"], ev["oom_kill"]), (0, 0, 0));
    assert_eq!(out.num("max.st"), 0);
    assert_eq!(out.num("st"), 137, "the anon holder is OOM-killed");
    assert!(out.num("after.max") <= 20 * M);
    assert_eq!(out.num("max"), 20 * M);
    let ev = events(&out, "ev.max");
    assert!(ev["oom"] >= 1);
    assert_eq!(ev["oom_kill"], 1);
}

// ---------------------------------------------------------------------
// test_memcg_oom_group_leaf_events (§1.14), §5.17.

#[test]
fn memcg_oom_group_leaf_events() {
    let out = run(
        "256M",
        false,
        true,
        r#"mkdir $G/memcg_test_0 $G/memcg_test_0/memcg_test_1
echo +memory > $G/memcg_test_0/cgroup.subtree_control
C=$G/memcg_test_0/memcg_test_1
echo 50M > $C/memory.max
echo 0 > $C/memory.swap.max
echo 1 > $C/memory.oom.group
echo $$ > $G/memcg_test_0/cgroup.procs
echo "internal=$?"
mkdir $G/memcg_test_0/leaf
echo $$ > $G/memcg_test_0/leaf/cgroup.procs
/bin/anon 60M --hold &
big=$!
echo $$ > $C/cgroup.procs
/bin/anon 1M --hold &
a=$!
/bin/anon 1M --hold &
b=$!
sleep 0.5
/bin/anon 100M &
v=$!
echo $$ > $G/cgroup.procs
wait $v
echo "v=$?"
i=0
while [ $i -lt 10 ]; do
  if [ -z "$(cat $C/cgroup.procs)" ]; then break; fi
  sleep 0.1
  i=$((i + 1))
done
echo "procs=[$(cat $C/cgroup.procs)]"
wait $a
echo "a=$?"
wait $b
echo "b=$?"
echo "big.procs=$(cat $G/memcg_test_0/leaf/cgroup.procs)"
echo "big=$big"
echo "=== C"
cat $C/memory.events
echo "=== P"
cat $G/memcg_test_0/memory.events
echo "=== ."
kill -9 $big
wait $big
"#,
        &[],
    );
    // P has +memory in subtree_control: no internal processes; the 60M
    // task lives in a sibling leaf of C instead (P's subtree, no limit).
    assert_eq!(out.num("internal"), 1);
    assert_eq!(out.num("v"), 137);
    assert_eq!(out.value("procs"), "[]", "the whole group is killed");
    assert_eq!(out.num("a"), 137);
    assert_eq!(out.num("b"), 137);
    assert_eq!(
        out.value("big.procs"),
        out.value("big"),
        "P's task survives"
    );
    let c = events(&out, "C");
    assert!(c["oom_kill"] > 0);
    assert_eq!(c["oom_group_kill"], 1);
    // No memory_localevents: P counts its child's kills.
    let p = events(&out, "P");
    assert!(p["oom_kill"] > 0);
}

// ---------------------------------------------------------------------
// test_memcg_oom_group_parent_events (§1.15).

#[test]
fn memcg_oom_group_parent_events() {
    let out = run(
        "256M",
        false,
        true,
        r#"P=$G/memcg_test_0
C=$P/memcg_test_1
mkdir $P $C
echo 80M > $P/memory.max
echo 0 > $P/memory.swap.max
echo 1 > $P/memory.oom.group
echo $$ > $P/cgroup.procs
/bin/anon 60M --hold &
big=$!
echo $$ > $C/cgroup.procs
/bin/anon 1M --hold &
a=$!
/bin/anon 1M --hold &
b=$!
sleep 0.5
/bin/anon 100M &
v=$!
echo $$ > $G/cgroup.procs
wait $v
echo "v=$?"
for cg in $C $P; do
  i=0
  while [ $i -lt 10 ]; do
    if [ -z "$(cat $cg/cgroup.procs)" ]; then break; fi
    sleep 0.1
    i=$((i + 1))
  done
done
echo "C.procs=[$(cat $C/cgroup.procs)]"
echo "P.procs=[$(cat $P/cgroup.procs)]"
wait $big
echo "big=$?"
echo "C.controllers=[$(cat $C/cgroup.controllers)]"
echo "=== P"
cat $P/memory.events
echo "=== ."
"#,
        &[],
    );
    assert_eq!(
        out.value("C.controllers"),
        "[]",
        "C has no memory controller"
    );
    assert_eq!(out.num("v"), 137);
    assert_eq!(out.value("C.procs"), "[]");
    assert_eq!(out.value("P.procs"), "[]");
    assert_eq!(out.num("big"), 137);
    let p = events(&out, "P");
    assert_eq!(p["oom_group_kill"], 1);
    assert!(p["oom_kill"] >= 4, "every task of P's subtree: {p:?}");
}

// ---------------------------------------------------------------------
// test_memcg_oom_group_score_events (§1.16), §5.17.

#[test]
fn memcg_oom_group_score_events() {
    let out = run(
        "256M",
        false,
        true,
        r#"T=$G/memcg_test_0
mkdir $T
echo 50M > $T/memory.max
echo 0 > $T/memory.swap.max
echo 1 > $T/memory.oom.group
echo $$ > $T/cgroup.procs
/bin/anon 1M --hold &
safe=$!
echo -1000 > /proc/$safe/oom_score_adj
echo "adj=$? $(cat /proc/$safe/oom_score_adj)"
/bin/anon 1M --hold &
other=$!
sleep 0.5
/bin/anon 100M &
v=$!
echo $$ > $G/cgroup.procs
wait $v
echo "v=$?"
wait $other
echo "other=$?"
echo "procs=$(cat $T/cgroup.procs)"
echo "safe=$safe"
echo "=== events"
cat $T/memory.events
echo "=== ."
kill -9 $safe
echo "kill=$?"
wait $safe
"#,
        &[],
    );
    assert_eq!(out.value("adj"), "0");
    assert!(out.has("adj=0 -1000"));
    assert_eq!(out.num("v"), 137);
    assert_eq!(out.num("other"), 137);
    assert_eq!(
        out.value("procs"),
        out.value("safe"),
        "the -1000 task survives"
    );
    let ev = events(&out, "events");
    // The victim is killed twice: by the OOM killer and by the group walk.
    assert_eq!(ev["oom_kill"], 3);
    assert_eq!(ev["oom_group_kill"], 1);
    assert_eq!(out.num("kill"), 0);
}

// ---------------------------------------------------------------------
// §5.4 hierarchical charge and the failing level; §5.20 events
// propagate to every ancestor but the root and stay local in
// memory.events.local.

#[test]
fn hierarchical_charge_and_event_propagation() {
    let out = run(
        "256M",
        false,
        true,
        r#"GP=$G/gp
P=$GP/p
C=$P/c
mkdir $GP $P $C
echo +memory > $GP/cgroup.subtree_control
echo +memory > $P/cgroup.subtree_control
echo 10M > $P/memory.max
echo 100M > $C/memory.max
echo 0 > $P/memory.swap.max
echo $$ > $C/cgroup.procs
/bin/anon 4M --cat $GP/memory.current --cat $P/memory.current --cat $C/memory.current
echo "small=$?"
/bin/anon 20M &
v=$!
echo $$ > $G/cgroup.procs
wait $v
echo "big=$?"
for x in gp gp/p gp/p/c; do
  echo "=== $x"
  cat $G/$x/memory.events
  echo "=== $x.local"
  cat $G/$x/memory.events.local
done
echo "=== ."
echo "c.current=$(cat $C/memory.current)"
echo "p.current=$(cat $P/memory.current)"
echo "gp.current=$(cat $GP/memory.current)"
"#,
        &[],
    );
    assert_eq!(out.num("small"), 0);
    let cur: Vec<i64> = ["gp", "gp/p", "gp/p/c"]
        .iter()
        .map(|x| out.cat_num("anon", &format!("/sys/fs/cgroup/{x}/memory.current"), 0))
        .collect();
    assert!(cur[2] >= 4 * M, "{cur:?}");
    assert!(
        cur.iter().all(|&c| c == cur[2]),
        "every level shows the charge: {cur:?}"
    );
    assert_eq!(out.num("big"), 137, "the charge fails at P's 10M");
    let ev = |x: &str| events(&out, x);
    let (gp, p, c) = (ev("gp"), ev("gp/p"), ev("gp/p/c"));
    let (gpl, pl, cl) = (ev("gp.local"), ev("gp/p.local"), ev("gp/p/c.local"));
    // max and oom happen at P, the level that failed.
    assert!(p["max"] > 0);
    assert_eq!(pl["max"], p["max"]);
    assert_eq!(c["max"], 0, "not in the child below the failing level");
    assert_eq!(gp["max"], p["max"], "hierarchical in P's ancestors");
    assert_eq!(gpl["max"], 0);
    assert_eq!((p["oom"], pl["oom"], gp["oom"], gpl["oom"]), (1, 1, 1, 0));
    assert_eq!(c["oom"], 0);
    // The kill is counted in the victim's memcg, C, and above it.
    assert_eq!((cl["oom_kill"], c["oom_kill"]), (1, 1));
    assert_eq!((pl["oom_kill"], p["oom_kill"]), (0, 1));
    assert_eq!((gpl["oom_kill"], gp["oom_kill"]), (0, 1));
    assert!(cl.values().zip(c.values()).all(|(l, h)| l <= h));
    // Both levels show every charge.
    assert_eq!(out.num("c.current"), out.num("p.current"));
    assert_eq!(out.num("p.current"), out.num("gp.current"));
}

// ---------------------------------------------------------------------
// §5.16: OOM victim choice by rss and oom_score_adj.

#[test]
fn oom_victim_choice() {
    let out = run(
        "256M",
        false,
        true,
        r#"V=$G/v
mkdir $V
echo 0 > $V/memory.swap.max
echo 32M > $V/memory.max
echo $$ > $V/cgroup.procs
/bin/anon 10M --hold &
a=$!
/bin/anon 20M --hold &
b=$!
sleep 0.5
/bin/anon 4M &
t=$!
echo $$ > $G/cgroup.procs
wait $t
echo "r1.t=$?"
wait $b
echo "r1.b=$?"
echo "r1.procs=$(cat $V/cgroup.procs)"
echo "a=$a"
echo 500 > /proc/$a/oom_score_adj
echo $$ > $V/cgroup.procs
/bin/anon 20M --hold &
b2=$!
sleep 0.5
/bin/anon 4M &
t=$!
echo $$ > $G/cgroup.procs
wait $t
echo "r2.t=$?"
wait $a
echo "r2.a=$?"
echo "r2.procs=$(cat $V/cgroup.procs)"
echo "b2=$b2"
echo -1000 > /proc/$b2/oom_score_adj
echo $$ > $V/cgroup.procs
/bin/anon 10M --hold &
c=$!
sleep 0.5
/bin/anon 4M &
t=$!
echo $$ > $G/cgroup.procs
wait $t
echo "r3.t=$?"
wait $c
echo "r3.c=$?"
echo "r3.procs=$(cat $V/cgroup.procs)"
echo "=== r3.events"
cat $V/memory.events
echo "=== ."
echo 1 > /proc/sys/kernel/printk
echo -1000 > /proc/$$/oom_score_adj
echo $$ > $V/cgroup.procs
/bin/anon 16M &
t=$!
echo $$ > $G/cgroup.procs
echo 0 > /proc/$$/oom_score_adj
sleep 1
echo "r4.t.adj=$(cat /proc/$t/oom_score_adj)"
echo "=== r4.events"
cat $V/memory.events
echo "=== ."
kill -9 $b2
wait $b2
echo "r4.b2=$?"
wait $t
echo "r4.t=$?"
echo "=== r4.after"
cat $V/memory.events
echo "=== ."
"#,
        &[],
    );
    // Round 1: rss 10M and 20M (adj 0): the 20M task dies, the small
    // task that hit the limit goes on.
    assert_eq!(out.num("r1.b"), 137);
    assert_eq!(out.num("r1.t"), 0);
    assert_eq!(out.value("r1.procs"), out.value("a"));
    // Round 2: oom_score_adj 500 adds 500 × totalpages / 1000 points to
    // the 10M task, more than the 20M task's rss.
    assert_eq!(out.num("r2.a"), 137);
    assert_eq!(out.num("r2.t"), 0);
    assert_eq!(out.value("r2.procs"), out.value("b2"));
    // Round 3: -1000 is never chosen, though the largest.
    assert_eq!(out.num("r3.c"), 137);
    assert_eq!(out.num("r3.t"), 0);
    assert_eq!(out.value("r3.procs"), out.value("b2"));
    let r3 = events(&out, "r3.events");
    assert_eq!(r3["oom_kill"], 3);
    // Round 4: only -1000 tasks (the new one inherits the shell's adj):
    // the OOM is counted, nobody is killed, and the faulting task waits
    // until memory comes back. Each retry prints an OOM report, as on
    // Linux; console_loglevel 1 keeps them out of the sections.
    assert_eq!(out.value("r4.t.adj"), "-1000");
    let r4 = events(&out, "r4.events");
    assert!(r4["oom"] > r3["oom"], "the OOM counts");
    assert_eq!(r4["oom_kill"], r3["oom_kill"], "nothing is killed");
    assert_eq!(out.num("r4.b2"), 137);
    assert_eq!(
        out.num("r4.t"),
        0,
        "the fault is retried until memory is freed"
    );
}

// ---------------------------------------------------------------------
// Nothing is lost: after tasks exit, caches drop and the test cgroups go,
// free memory and the root's memory.stat are back exactly.

/// A round of everything that charges: page cache reclaimed at a limit,
/// anonymous memory, an OOM kill, cgroup.kill, memory.reclaim.
const ROUND: &str = r#"mkdir $G/n $G/n/b $G/n/k
echo +memory > $G/n/cgroup.subtree_control
echo 2M > $G/n/b/memory.max
echo $$ > $G/n/b/cgroup.procs
/bin/fileread /data/f
/bin/anon 1M
/bin/anon 8M &
p=$!
echo $$ > $G/n/k/cgroup.procs
/bin/anon 3M --hold &
k=$!
/bin/fileread /data/f --hold &
k2=$!
echo $$ > $G/cgroup.procs
wait $p
echo "oom=$?"
sleep 0.5
echo 1 > $G/n/k/cgroup.kill
wait $k
wait $k2
echo "killed=$?"
echo 1M > $G/n/memory.reclaim
echo 3 > /proc/sys/vm/drop_caches
echo "drop=$?"
rmdir $G/n/b $G/n/k $G/n
echo "rmdir=$?"
"#;

#[test]
fn nothing_is_lost() {
    let script = format!(
        "{ROUND}echo \"=== before\"\ncat /proc/meminfo\necho \"=== root.stat.before\"\n\
         cat $G/memory.stat\necho \"=== .\"\n{ROUND}echo \"=== after\"\ncat /proc/meminfo\n\
         echo \"=== root.stat.after\"\ncat $G/memory.stat\necho \"=== .\"\nls $G\n"
    );
    let out = run("256M", false, true, &script, &["--gen", "/data/f:4M"]);
    let oom: Vec<&String> = out.lines.iter().filter(|l| l.starts_with("oom=")).collect();
    assert_eq!(oom, ["oom=137", "oom=137"]);
    let killed: Vec<&String> = out
        .lines
        .iter()
        .filter(|l| l.starts_with("killed="))
        .collect();
    assert_eq!(killed, ["killed=137", "killed=137"]);
    assert_eq!(out.num("rmdir"), 0);
    assert_eq!(out.num("drop"), 0, "drop_caches takes 3");
    let (before, after) = (out.keyed("before"), out.keyed("after"));
    assert_eq!(
        after["MemFree"], before["MemFree"],
        "free memory is back exactly"
    );
    for k in [
        "Cached",
        "AnonPages",
        "Mapped",
        "Active(file)",
        "Inactive(file)",
    ] {
        assert_eq!(after[k], before[k], "{k}");
    }
    // The state items of the root's memory.stat (the event counters
    // after them only grow).
    let (sb, sa) = (out.keyed("root.stat.before"), out.keyed("root.stat.after"));
    for k in [
        "anon",
        "file",
        "shmem",
        "file_mapped",
        "file_dirty",
        "file_writeback",
        "swapcached",
        "inactive_anon",
        "active_anon",
        "inactive_file",
        "active_file",
        "unevictable",
    ] {
        assert_eq!(sa[k], sb[k], "root memory.stat {k}");
    }
    assert!(!out.has("n"), "the test cgroups are gone");
}
