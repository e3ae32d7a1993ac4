//! procfs and sysfs for userland: busybox `ps`, `top -b -n1`, `free`,
//! `uptime`, `df`, `mount`, `sysctl`, `nproc`, `pidof`, `killall`,
//! `hostname` and `cat /proc/self/stat` (Debian's busybox-static,
//! unmodified) run on tinymm and, the same script, on the host's Linux;
//! their headers, line shapes and the deterministic values must agree.
//!
//! Documented differences: pids, times, sizes and load figures; the USER
//! column (tinymm has no /etc/passwd, so busybox prints uid 0); pid 1
//! (tinymm's is /init); the host's other processes and mounts; the CPU
//! count (tinymm has one).

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::{boot, lines};

const BUSYBOX: &str = "/bin/busybox";

/// The part both systems run: each command after an `=== name` marker.
/// `/bin/sleep 30` is the process the listings must show (coreutils'
/// on the host, the project's user/ `sleep` on tinymm: the same argv and
/// comm), given a second to have exec'd.
const COMMON: &str = r#"/bin/sleep 30 &
/bin/busybox sleep 1
echo === sleeper
echo $!
echo === ps
/bin/busybox ps
echo === ps-o
/bin/busybox ps -o pid,ppid,pgid,sid,comm,vsz,rss,stat,args
echo === top
/bin/busybox top -b -n1
echo === free
/bin/busybox free
echo === uptime
/bin/busybox uptime
echo === df
/bin/busybox df
echo === df-a
/bin/busybox df -a
echo === mount
/bin/busybox mount
echo === sysctl
/bin/busybox sysctl kernel.ostype
echo === stat
/bin/busybox cat /proc/self/stat
echo === version
/bin/busybox cat /proc/version
echo === nproc
/bin/busybox nproc
"#;

/// What only tinymm runs: renaming the host or killing its sleep
/// processes by name is not for a test to do.
const TINYMM_ONLY: &str = r#"echo === pidof
/bin/busybox pidof sleep
echo === sysctl-tinymm
/bin/busybox sysctl kernel.pid_max kernel.osrelease
echo === hostname
/bin/busybox hostname tinybox
/bin/busybox hostname
/bin/busybox uname -n
/bin/busybox cat /proc/sys/kernel/hostname
echo === killall
/bin/busybox killall sleep
echo killall=$?
wait $!
echo wait=$?
echo === end
exit 0
"#;

/// The lines after each `=== name` marker, up to the next.
fn sections<'a>(out: &[&'a str]) -> HashMap<&'a str, Vec<&'a str>> {
    let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut current = None;
    for &l in out {
        if let Some(name) = l.strip_prefix("=== ") {
            current = Some(name);
            map.entry(name).or_default();
        } else if let Some(name) = current {
            map.get_mut(name).expect("section").push(l);
        }
    }
    map
}

/// tinymm's console without the host program's lines.
fn tinymm_sections(out: &str) -> HashMap<String, Vec<String>> {
    let out: Vec<&str> = lines(out)
        .into_iter()
        .filter(|l| !l.starts_with("tinymm: "))
        .collect();
    sections(&out)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|l| l.to_string()).collect()))
        .collect()
}

/// The common script under busybox sh on the host; the sleeper is
/// killed at the end.
fn host_sections() -> HashMap<String, Vec<String>> {
    let script = format!("{COMMON}kill $!\n");
    let out = Command::new(BUSYBOX)
        .args(["sh", "-c", &script])
        .output()
        .expect("busybox sh on the host");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let all: Vec<&str> = text.lines().collect();
    sections(&all)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|l| l.to_string()).collect()))
        .collect()
}

/// Whitespace-separated fields.
fn fields(l: &str) -> Vec<&str> {
    l.split_whitespace().collect()
}

/// Whether every field is a number (optionally with a `%` or `K`, `M`,
/// `G` suffix or a decimal point).
fn numeric(fs: &[&str]) -> bool {
    fs.iter().all(|f| {
        let f = f.trim_end_matches(['%', 'K', 'M', 'G', 'm', 'g']);
        !f.is_empty() && f.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

/// The rows of a listing whose last fields are `/bin/sleep 30`.
fn sleeper_rows(rows: &[String]) -> Vec<Vec<&str>> {
    rows.iter()
        .map(|r| fields(r))
        .filter(|f| f.ends_with(&["/bin/sleep", "30"]))
        .collect()
}

/// Checks what must hold on both systems; `sys` names the system for
/// messages. Returns the sleeper's pid.
fn check_common(sys: &str, s: &HashMap<String, Vec<String>>) -> String {
    let sec = |name: &str| -> &Vec<String> {
        s.get(name)
            .unwrap_or_else(|| panic!("{sys}: no {name} section"))
    };
    let sleeper = sec("sleeper")[0].clone();

    let ps = sec("ps");
    assert_eq!(ps[0], "PID   USER     COMMAND", "{sys} ps header");
    let rows = sleeper_rows(&ps[1..]);
    assert!(
        rows.iter().any(|f| f[0] == sleeper && f.len() == 4),
        "{sys} ps lists the sleeper: {ps:?}"
    );

    let pso = sec("ps-o");
    assert_eq!(
        pso[0], "PID   PPID  PGID  SID   COMMAND          VSZ  RSS  STAT COMMAND",
        "{sys} ps -o header"
    );
    let row = sleeper_rows(&pso[1..])
        .into_iter()
        .find(|f| f[0] == sleeper)
        .unwrap_or_else(|| panic!("{sys} ps -o: no sleeper in {pso:?}"));
    // pid ppid pgid sid comm vsz rss stat args.
    assert_eq!(row[4], "sleep", "{sys} ps -o comm: {row:?}");
    // S, or SN when the tests run niced.
    assert!(row[7].starts_with('S'), "{sys} ps -o stat: {row:?}");
    assert!(numeric(&row[..4]), "{sys} ps -o ids: {row:?}");

    let top = sec("top");
    let mem = fields(&top[0]);
    assert_eq!(mem[0], "Mem:", "{sys} top line 1: {top:?}");
    assert_eq!(
        [mem[2], mem[4], mem[6], mem[8], mem[10]],
        ["used,", "free,", "shrd,", "buff,", "cached"],
        "{sys} top Mem line"
    );
    let cpu = fields(&top[1]);
    assert_eq!(cpu[0], "CPU:", "{sys} top line 2");
    assert_eq!(
        cpu.iter().skip(2).step_by(2).copied().collect::<Vec<_>>(),
        ["usr", "sys", "nic", "idle", "io", "irq", "sirq"],
        "{sys} top CPU line"
    );
    let load = fields(&top[2]);
    assert_eq!(&load[..2], ["Load", "average:"], "{sys} top line 3");
    assert!(numeric(&load[2..5]), "{sys} top load figures: {load:?}");
    let (run, all) = load[5].split_once('/').expect("running/total");
    assert!(numeric(&[run, all, load[6]]), "{sys} top tasks: {load:?}");
    assert_eq!(
        top[3], "  PID  PPID USER     STAT   VSZ %VSZ %CPU COMMAND",
        "{sys} top header"
    );
    let trow = sleeper_rows(&top[4..])
        .into_iter()
        .find(|f| f[0] == sleeper)
        .unwrap_or_else(|| panic!("{sys} top: no sleeper in {top:?}"));
    assert!(
        trow[3].starts_with('S'),
        "{sys} top: the sleeper sleeps: {trow:?}"
    );

    let free = sec("free");
    assert_eq!(
        free[0], "              total        used        free      shared  buff/cache   available",
        "{sys} free header"
    );
    assert_eq!(free.len(), 3, "{sys} free: Mem and Swap only: {free:?}");
    let m = fields(&free[1]);
    assert!(
        m[0] == "Mem:" && m.len() == 7 && numeric(&m[1..]),
        "{sys} free Mem: {m:?}"
    );
    let sw = fields(&free[2]);
    assert!(
        sw[0] == "Swap:" && sw.len() == 4 && numeric(&sw[1..]),
        "{sys} free Swap: {sw:?}"
    );

    let up = &sec("uptime")[0];
    let (clock, rest) = up.trim_start().split_once(" up ").expect("uptime: up");
    assert!(
        clock.len() == 8 && clock.as_bytes()[2] == b':',
        "{sys} uptime clock: {up}"
    );
    let (_, loads) = rest
        .split_once("load average: ")
        .expect("uptime: load average");
    let loads: Vec<&str> = loads.split(", ").collect();
    assert!(
        loads.len() == 3 && numeric(&loads),
        "{sys} uptime loads: {up}"
    );
    assert!(rest.contains(" user"), "{sys} uptime users: {up}");

    let header = "Filesystem           1K-blocks      Used Available Use% Mounted on";
    assert_eq!(sec("df")[0], header, "{sys} df header");
    let dfa = sec("df-a");
    assert_eq!(dfa[0], header, "{sys} df -a header");
    for want in [
        "proc                         0         0         0   0% /proc",
        "sysfs                        0         0         0   0% /sys",
    ] {
        assert!(
            dfa.iter().any(|l| l == want),
            "{sys} df -a: {want:?} in {dfa:?}"
        );
    }

    let mount = sec("mount");
    for want in [
        "proc on /proc type proc (rw,relatime)",
        "sysfs on /sys type sysfs (rw,relatime)",
    ] {
        assert!(
            mount.iter().any(|l| l == want),
            "{sys} mount: {want:?} in {mount:?}"
        );
    }

    assert_eq!(sec("sysctl"), &["kernel.ostype = Linux"], "{sys} sysctl");

    let stat = &sec("stat")[0];
    let f = fields(stat);
    assert_eq!(f.len(), 52, "{sys} /proc/self/stat fields: {stat}");
    assert_eq!(&f[1..3], ["(busybox)", "R"], "{sys} /proc/self/stat");
    assert!(
        sec("version")[0].starts_with("Linux version "),
        "{sys} /proc/version"
    );
    assert!(numeric(&[&sec("nproc")[0]]), "{sys} nproc");
    sleeper
}

#[test]
fn busybox_procps_applets_as_on_linux() {
    let host = host_sections();
    check_common("Linux", &host);

    let script = format!("{COMMON}{TINYMM_ONLY}");
    let (status, out) = boot("128M", false, &script);
    assert_eq!(status, 0, "script failed");
    let s = tinymm_sections(&out);
    let sleeper = check_common("tinymm", &s);
    // What tinymm alone shows exactly.
    assert_eq!(s["nproc"], ["1"], "one CPU");
    assert_eq!(
        s["pidof"],
        [sleeper.as_str()],
        "pidof finds the sleeper by name"
    );
    assert_eq!(
        s["sysctl-tinymm"],
        ["kernel.pid_max = 32768", "kernel.osrelease = 6.12.0-tinymm"]
    );
    assert_eq!(
        s["hostname"],
        ["tinybox", "tinybox", "tinybox"],
        "sethostname as hostname, uname -n and /proc/sys/kernel/hostname see it"
    );
    assert_eq!(
        s["killall"],
        ["killall=0", "wait=143"],
        "killall by name: SIGTERM"
    );
    // Only processes are listed, in ps's rows under the header: /init
    // (pid 1), the scenario's sh, the sleeper and ps itself.
    assert_eq!(s["ps"].len(), 5, "{:?}", s["ps"]);
}
