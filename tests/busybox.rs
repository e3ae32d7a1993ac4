//! busybox as the specification (issue 9): the scripts under
//! `tests/busybox/` exercise ash (pipelines, nested `$(...)`, functions,
//! `case`, here-documents, `trap`, subshells, `&`/`wait`/`kill`, `set -e`,
//! redirections, `exec 3<>file`, `read`) and the applets a memcg user
//! needs. Each runs under the same busybox binary (Debian's busybox-static)
//! on the host's Linux and on tinymm, in one boot, and the outputs must be
//! identical after `normalise`. What depends on the machine (free, ps, top,
//! df, the mount list, dmesg, date, uptime: `machine.sh`) is compared for
//! format with the host, and tinymm's values are checked for sanity.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::boot_with;

const BUSYBOX: &str = "/bin/busybox";
const UNSHARE: &str = "/usr/bin/unshare";
/// /init's PATH; the host's runs get it too, with HOME and TERM as
/// Linux's `envp_init` has them, and nothing else.
const PATH: &str = "/sbin:/usr/sbin:/bin:/usr/bin";
/// Where `$T` lives in the guest (a tmpfs the driver mounts).
const GUEST_BASE: &str = "/tmp/bb";

/// The scripts whose output must be the host's, line for line.
const EXACT: [&str; 17] = [
    "pipeline", "subst", "func", "case", "heredoc", "trap", "subshell", "jobs", "sete", "redir",
    "text", "files", "misc", "errno", "fs", "bulk", "mount",
];

/// The sections of `machine.sh`, compared by format.
const MACHINE: [&str; 9] = [
    "free",
    "ps",
    "top",
    "df",
    "mountlist",
    "dmesg",
    "date",
    "readdir",
    "uptime",
];

/// Syscalls busybox makes that tinymm does not have yet; the kernel logs
/// each once (`tinymm: sort[N]: syscall 25 (mremap) is not implemented`)
/// and the caller falls back (glibc's realloc copies instead of
/// mremap(2)), so the scripts' output is still Linux's.
const NOT_IMPLEMENTED: [&str; 0] = [];

/// Runs every script from a fresh `$T` (a directory of a tmpfs mounted at
/// `$1`; `$2` is the side, passed on to each script) with stdin from
/// /dev/null and stderr on stdout, through a pipe, so that applets such as
/// `ls` see the same non-tty stdout on both sides (tinymm's console is a
/// tty). Each script's output follows `=== NAME` and ends with
/// `--- NAME status N`.
const DRIVER: &str = r#"base=$1; side=$2; shift 2
mkdir -p $base
if [ "$side" != host-no-ns ]; then mount -t tmpfs -o size=16m bbbase $base; fi
for s in "$@"; do
	export T=$base/$s
	mkdir $T; cd $T
	echo "=== $s"
	{ sh $BB/$s.sh $side </dev/null; echo "--- $s status $?"; } 2>&1 | cat
	cd /
done
if [ "$side" != host-no-ns ]; then umount $base; fi
"#;

/// /etc/passwd and /etc/group for the guest, so that `ls -l` names uid and
/// gid 0 as the host does (the kernel does not care; busybox reads them).
const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n";
const GROUP: &str = "root:x:0:\n";

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/busybox")
}

fn all_scripts() -> Vec<&'static str> {
    EXACT.iter().copied().chain(["machine"]).collect()
}

fn target_tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bbspec-{}-{name}", std::process::id()))
}

/// Runs the scripts under busybox sh on the host, in a private mount
/// namespace where `unshare -m` is permitted (the driver then mounts a
/// tmpfs for `$T`, and `mount.sh` mounts and unmounts its own); without
/// one, `$T` is under /dev/shm (a tmpfs on Linux) and `mount.sh` only says
/// it is not permitted. Returns the driver's success and its output with
/// stderr merged.
fn run_host() -> (bool, String) {
    let namespaced = Command::new(UNSHARE)
        .args(["-m", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let base = if namespaced {
        target_tmp("host")
    } else {
        PathBuf::from(format!("/dev/shm/bbspec-{}", std::process::id()))
    };
    let driver = target_tmp("driver.sh");
    std::fs::write(&driver, DRIVER).expect("write the driver");
    let out_path = target_tmp("host.out");
    let out = File::create(&out_path).expect("host output file");
    let mut cmd = if namespaced {
        let mut c = Command::new(UNSHARE);
        c.args(["-m", BUSYBOX]);
        c
    } else {
        Command::new(BUSYBOX)
    };
    cmd.arg("sh")
        .arg(&driver)
        .arg(&base)
        .arg(if namespaced { "host" } else { "host-no-ns" })
        .args(all_scripts())
        .env_clear()
        .env("PATH", PATH)
        .env("HOME", "/")
        .env("TERM", "linux")
        .env("BB", scripts_dir())
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out);
    let status = cmd.status().expect("busybox sh on the host");
    let text = std::fs::read_to_string(&out_path).expect("host output");
    let _ = std::fs::remove_dir_all(&base);
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&driver);
    (
        status.success(),
        normalise(
            &text,
            &base.to_string_lossy(),
            &scripts_dir().to_string_lossy(),
        ),
    )
}

/// The same scripts on tinymm, in one boot: the scripts under /bb, the
/// driver as /scenario. Returns the run's status and what /scenario
/// printed.
fn run_tinymm() -> (i32, String) {
    let passwd = target_tmp("passwd");
    let group = target_tmp("group");
    std::fs::write(&passwd, PASSWD).unwrap();
    std::fs::write(&group, GROUP).unwrap();
    let mut extra: Vec<String> = vec![
        "--init".into(),
        "busybox".into(),
        "--add".into(),
        format!("{}:/etc/passwd", passwd.display()),
        "--add".into(),
        format!("{}:/etc/group", group.display()),
    ];
    for s in all_scripts() {
        extra.push("--add".into());
        extra.push(format!("{}/{s}.sh:/bb/{s}.sh", scripts_dir().display()));
    }
    let script = format!(
        "export BB=/bb\nset -- {GUEST_BASE} tinymm {}\n{DRIVER}",
        all_scripts().join(" ")
    );
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let (status, out) = boot_with("128M", false, &script, &extra);
    // What /scenario printed: after Linux's line for starting /init, up to
    // the power-off.
    let start = out
        .find("Run /init as init process")
        .expect("run_init_process line");
    let body = &out[start..];
    let body = &body[body.find('\n').map_or(body.len(), |i| i + 1)..];
    let end = body.rfind("reboot: Power down").unwrap_or(body.len());
    (status, normalise(&body[..end], GUEST_BASE, "/bb"))
}

/// The host's (success, output) and tinymm's (status, output), made once.
static OUT: OnceLock<((bool, String), (i32, String))> = OnceLock::new();

/// Both outputs, made once for all the tests of this file; each side must
/// have succeeded. tinymm's is without the kernel's lines.
fn outputs() -> &'static (String, String) {
    let ((host_ok, host), (status, tinymm)) = OUT.get_or_init(|| (run_host(), run_tinymm()));
    assert!(*host_ok, "the host's driver failed:\n{host}");
    assert_eq!(*status, 0, "the tinymm run failed:\n{tinymm}");
    static BOTH: OnceLock<(String, String)> = OnceLock::new();
    BOTH.get_or_init(|| {
        let script: Vec<&str> = tinymm
            .lines()
            .filter(|l| !l.starts_with("tinymm: "))
            .collect();
        (host.clone(), script.join("\n"))
    })
}

/// The kernel's own lines on tinymm's console (`tinymm: ...`), which come
/// between the script's at any point (the scripts' output goes through a
/// pipe, the kernel's straight to the console).
fn kernel_lines() -> Vec<String> {
    outputs();
    let tinymm = &OUT.get().expect("outputs").1.1;
    tinymm
        .lines()
        .filter(|l| l.starts_with("tinymm: "))
        .map(String::from)
        .collect()
}

/// The normalisation before the comparison; everything else must be
/// identical. Masked:
/// - the console's `\r` before each `\n` (tinymm's console is a tty with
///   ONLCR);
/// - the directory the driver mounts its tmpfs on (`/tmp/bb` on tinymm, a
///   temporary directory on the host; each `$T` is below it), written
///   `BASE`;
/// - the directory of the scripts (`tests/busybox` on the host, `/bb` on
///   tinymm), which ash names in its messages, written `BB`;
/// - the time of `ls -l` lines (`Mmm dd hh:mm` or `Mmm dd  yyyy`), written
///   `TIME`: files are made now, on two clocks.
///
/// pids, sizes of machine-dependent things and device numbers of the host
/// only appear in `machine.sh`'s sections, which are compared by format.
fn normalise(text: &str, base: &str, scripts: &str) -> String {
    text.lines()
        .map(|l| {
            let l = l.trim_end_matches('\r');
            mask_ls_time(&l.replace(base, "BASE").replace(scripts, "BB"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An `ls -l` line's time (`Mmm dd hh:mm` or `Mmm dd  yyyy`, twelve
/// characters after the size or the device numbers) as `TIME`.
fn mask_ls_time(line: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = line.as_bytes();
    let is_mode = b.len() > 10
        && b"-dlcbps".contains(&b[0])
        && b[1..10].iter().all(|c| b"rwxsStT-".contains(c));
    if !is_mode {
        return line.to_string();
    }
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let at_byte = |i: usize, c: u8| b.get(i) == Some(&c);
    for month in MONTHS {
        let Some(at) = line.find(&format!(" {month} ")).map(|i| i + 1) else {
            continue;
        };
        let day =
            (at_byte(at + 4, b' ') || digit(at + 4)) && digit(at + 5) && at_byte(at + 6, b' ');
        let clock = digit(at + 7) && digit(at + 8) && at_byte(at + 9, b':') && digit(at + 10);
        let year = at_byte(at + 7, b' ') && (8..12).all(|i| digit(at + i));
        if day && (clock || year) && digit(at + 11) {
            return format!("{}TIME{}", &line[..at], &line[at + 12..]);
        }
    }
    line.to_string()
}

/// The lines after each `=== name` line up to the next; `--- NAME status
/// N` lines end up in the section they follow.
fn sections(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for l in text.lines() {
        if let Some(name) = l.strip_prefix("=== ") {
            current = Some(name.to_string());
            map.entry(name.to_string()).or_default();
        } else if let Some(name) = &current {
            map.get_mut(name).expect("section").push(l.to_string());
        }
    }
    map
}

fn host() -> BTreeMap<String, Vec<String>> {
    sections(&outputs().0)
}

fn tinymm() -> BTreeMap<String, Vec<String>> {
    sections(&outputs().1)
}

fn skip() -> bool {
    let missing = !Path::new(BUSYBOX).exists();
    if missing {
        println!("no {BUSYBOX} (busybox-static): skipped");
    }
    missing
}

/// Where two sections first differ, with both in full.
fn difference(name: &str, host: &[String], tinymm: &[String]) -> Option<String> {
    if host == tinymm {
        return None;
    }
    let at = host
        .iter()
        .zip(tinymm)
        .position(|(h, t)| h != t)
        .unwrap_or(host.len().min(tinymm.len()));
    Some(format!(
        "section {name}: line {} differs\n  host:   {:?}\n  tinymm: {:?}\n--- host\n{}\n--- tinymm\n{}\n",
        at + 1,
        host.get(at),
        tinymm.get(at),
        host.join("\n"),
        tinymm.join("\n")
    ))
}

/// `mount.sh` as Linux prints it (busybox 1.35 on Linux 6.x, the host's
/// output where it may mount): for hosts without CAP_SYS_ADMIN in a mount
/// namespace, where only tinymm runs it.
const MOUNT_ON_LINUX: &str = "\
bbtmp on BASE/mount/m type tmpfs (rw,relatime,size=4096k,mode=750)
bbtmp BASE/mount/m tmpfs rw,relatime,size=4096k,mode=750 0 0
Filesystem           1K-blocks      Used Available Use% Mounted on
bbtmp                     4096         0      4096   0% BASE/mount/m
4096 0 4096
bbtmp                     4096      1024      3072  25% BASE/mount/m
drwxr-x---
ro,relatime,size=4096k,mode=750
touch: BASE/mount/m/two: Read-only file system
touch=1
touch=0
one
two
2
1
umount: can't unmount BASE/mount/m: Device or resource busy
busy=1
umount=0
0
umount: can't unmount BASE/mount/m: Invalid argument
again=1
mount: mounting none on BASE/mount/m failed: No such device
nosuchfs=255
0
--- mount status 0";

/// Every script prints on tinymm what it prints on the host's Linux.
#[test]
fn scripts_print_what_they_print_on_linux() {
    if skip() {
        return;
    }
    let (host, tinymm) = (host(), tinymm());
    let none = Vec::new();
    let mut failures = Vec::new();
    for name in EXACT {
        let mut want = host.get(name).unwrap_or(&none).clone();
        if name == "mount" && want.first().is_some_and(|l| l == "mount: not permitted") {
            want = MOUNT_ON_LINUX.lines().map(String::from).collect();
        }
        assert!(
            want.last() == Some(&format!("--- {name} status 0")),
            "host: {name} did not run to its end: {want:?}"
        );
        let got = tinymm.get(name).unwrap_or(&none);
        failures.extend(difference(name, &want, got));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Values the scripts must print, so that neither side passes by printing
/// nothing.
#[test]
fn scripts_print_linux_values() {
    if skip() {
        return;
    }
    let tinymm = tinymm();
    for (name, lines) in [
        (
            "pipeline",
            &["N9", "5050", "b=3", "1000", "status=1", "three two one"][..],
        ),
        (
            "subst",
            &[
                "outer middle inner deepest",
                "32",
                "hello.tar hello tar.gz gz 12",
            ],
        ),
        ("func", &["3628800", "ret=7", "144", "out: outer global"]),
        ("case", &["x.tar.gz: tarball", "Zed: upper", "-v: option"]),
        (
            "heredoc",
            &["sum 5 cmd", "literal $name $(echo no)", "PIPED HERED0C T0"],
        ),
        (
            "trap",
            &["caught USR1", "child exit 3", "killed=138", "main exit"],
        ),
        ("subshell", &["outer 1", "status=4", "set-e-subshell=1"]),
        (
            "jobs",
            &["term=143", "kill9=137", "a=5", "b=6", "job 3", "usr1=138"],
        ),
        ("sete", &["one", "e=1", "if-ok", "trap 1"]),
        (
            "redir",
            &["read: line2", "appended", "c b a", "n3 [abc]", "status=1"],
        ),
        (
            "text",
            &[
                "1000",
                "apple 12",
                "11 world 5 HELLO WORLD",
                "1,2,3",
                "14",
                "ell",
            ],
        ),
        (
            "files",
            &["16384", "16+0 records in", "cdef", "a-removed", "total 4"],
        ),
        (
            "misc",
            &[
                "timeout=143",
                "timeout-kill=137",
                "Thu Jan  1 00:00:00 UTC 1970",
            ],
        ),
        ("mount", &["4096 0 4096", "umount=0", "busy=1"]),
        ("fs", &["fifo 0", "through", "1000", "self"]),
    ] {
        let got = &tinymm[name];
        for want in lines {
            assert!(
                got.iter().any(|l| l == want),
                "{name}: no {want:?} in {got:?}"
            );
        }
    }
    // awk's sum of 1..100 and seq's last line, exactly where they belong.
    assert_eq!(tinymm["pipeline"][5], "5050");
    assert_eq!(tinymm["text"].iter().filter(|l| *l == "1000").count(), 2);
}

/// Whitespace-separated fields.
fn fields(l: &str) -> Vec<&str> {
    l.split_whitespace().collect()
}

/// Whether every field is a number (a decimal point or a `%` allowed).
fn numeric(fs: &[&str]) -> bool {
    fs.iter().all(|f| {
        let f = f.trim_end_matches('%');
        !f.is_empty() && f.chars().all(|c| c.is_ascii_digit() || c == '.')
    })
}

/// A `date` line: `Www Mmm dd hh:mm:ss ZONE yyyy`.
fn date_shaped(l: &str) -> bool {
    let f = fields(l);
    f.len() == 6
        && f[0].len() == 3
        && f[1].len() == 3
        && numeric(&[f[2], f[5]])
        && f[3].len() == 8
        && f[3].split(':').count() == 3
}

/// The `self PID` line a section starts with.
fn self_pid(sec: &[String]) -> &str {
    sec[0].strip_prefix("self ").expect("self line")
}

/// The machine-dependent applets: the same headers and line shapes as on
/// the host's Linux; tinymm's values checked against what they report.
#[test]
fn machine_dependent_applets_as_on_linux() {
    if skip() {
        return;
    }
    let (host, tinymm) = (host(), tinymm());
    for name in MACHINE {
        assert!(tinymm.contains_key(name), "tinymm: no {name} section");
        assert!(host.contains_key(name), "host: no {name} section");
    }
    let both = |name: &str| [("Linux", &host[name]), ("tinymm", &tinymm[name])];

    // free: the header, a Mem and a Swap row; the total is MemTotal.
    for (sys, free) in both("free") {
        assert_eq!(free[0], host["free"][0], "{sys} free header");
        let mem = fields(&free[1]);
        assert!(
            mem[0] == "Mem:" && mem.len() == 7 && numeric(&mem[1..]),
            "{sys}: {mem:?}"
        );
        let swap = fields(&free[2]);
        assert!(
            swap[0] == "Swap:" && swap.len() == 4 && numeric(&swap[1..]),
            "{sys}: {swap:?}"
        );
        let total = fields(&free[3]);
        assert_eq!(total[0], "MemTotal:", "{sys}");
        assert_eq!(mem[1], total[1], "{sys}: free's total is MemTotal");
        // used + free + buff/cache = total, as free computes them.
        let n: Vec<u64> = mem[1..].iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(n[1] + n[2] + n[4], n[0], "{sys} free: {mem:?}");
    }
    let tiny_free = fields(&tinymm["free"][1]);
    assert_eq!(tiny_free[1..4].len(), 3);

    // ps: the header, and the script's own shell under its pid $$.
    for (sys, ps) in both("ps") {
        let me = self_pid(ps);
        assert_eq!(ps[1], "PID   USER     COMMAND", "{sys} ps header");
        let row = ps[2..]
            .iter()
            .map(|l| fields(l))
            .find(|f| f[0] == me)
            .unwrap_or_else(|| panic!("{sys} ps: no pid {me} in {ps:?}"));
        assert_eq!(row[1], "root", "{sys} ps user");
        assert_eq!(row[2], "sh", "{sys} ps: {row:?}");
        assert!(row[3].ends_with("/machine.sh"), "{sys} ps: {row:?}");
        assert!(
            ps[2..].iter().all(|l| numeric(&fields(l)[..1])),
            "{sys} ps pids"
        );
    }
    // On tinymm the listing has /init, /scenario's shell, the script's
    // shell and ps (a fork of it: busybox runs the applet in the fork).
    let tiny_ps: Vec<Vec<&str>> = tinymm["ps"][2..].iter().map(|l| fields(l)).collect();
    let me = self_pid(&tinymm["ps"]);
    assert_eq!(tiny_ps[0], ["1", "root", "{init}", "/bin/sh", "/init"]);
    assert!(
        tiny_ps.iter().any(|f| f[2..] == ["sh", "/scenario"]),
        "{tiny_ps:?}"
    );
    assert!(
        tiny_ps
            .iter()
            .any(|f| f[2..] == ["{ps}", "sh", "BB/machine.sh", "tinymm"]),
        "{tiny_ps:?}"
    );
    assert!(tiny_ps.iter().any(|f| f[0] == me), "{tiny_ps:?}");

    // top -b -n1: its four header lines and the script's shell.
    for (sys, top) in both("top") {
        let me = self_pid(top);
        let mem = fields(&top[1]);
        assert_eq!(mem[0], "Mem:", "{sys} top: {top:?}");
        assert_eq!(fields(&top[2])[0], "CPU:", "{sys} top");
        assert_eq!(&fields(&top[3])[..2], ["Load", "average:"], "{sys} top");
        assert_eq!(top[4], host["top"][4], "{sys} top header");
        let row = top[5..]
            .iter()
            .map(|l| fields(l))
            .find(|f| f[0] == me)
            .unwrap_or_else(|| panic!("{sys} top: no pid {me} in {top:?}"));
        assert_eq!(row[2], "root", "{sys} top user");
        assert!(
            row[3].starts_with('S'),
            "{sys} top: the shell waits: {row:?}"
        );
        assert_eq!(row[7], "sh", "{sys} top: {row:?}");
    }
    // tinymm's Mem line is free's: used + free = MemTotal.
    let mem = fields(&tinymm["top"][1]);
    let kib = |f: &str| f.trim_end_matches('K').parse::<u64>().unwrap();
    let total: u64 = tiny_free[1].parse().unwrap();
    assert_eq!(kib(mem[1]) + kib(mem[3]), total, "top: {mem:?}");

    // df /tmp /proc: the header; on tinymm /tmp is init's tmpfs of half
    // the RAM (shmem's default size), and the /proc/mounts line matches.
    for (sys, df) in both("df") {
        assert_eq!(df[0], host["df"][0], "{sys} df header");
        assert_eq!(
            df[2], "proc                         0         0         0   0% /proc",
            "{sys} df /proc"
        );
        // The host's /tmp may be part of another filesystem.
        let tmp = fields(&df[1]);
        assert!(tmp.len() == 6 && numeric(&tmp[1..5]), "{sys}: {tmp:?}");
    }
    let tmp = fields(&tinymm["df"][1]);
    assert_eq!([tmp[0], tmp[5]], ["tmpfs", "/tmp"]);
    let pages = total / 4;
    assert_eq!(tmp[1], (pages / 2 * 4).to_string(), "tmpfs's default size");
    assert_eq!(tinymm["df"][3], "tmpfs /tmp tmpfs rw,relatime 0 0");

    // mount: one line per /proc/mounts line, `DEV on DIR type TYPE (OPTS)`.
    for (sys, list) in both("mountlist") {
        let (mount, proc): (Vec<&String>, Vec<&String>) = list
            .iter()
            .filter(|l| !l.starts_with("---"))
            .partition(|l| l.contains(" on "));
        assert_eq!(mount.len(), proc.len(), "{sys}: {list:?}");
        for (m, p) in mount.iter().zip(&proc) {
            let f = fields(p);
            assert_eq!(f.len(), 6, "{sys}: {p}");
            assert_eq!(&f[4..], ["0", "0"], "{sys}: {p}");
            let want = format!("{} on {} type {} ({})", f[0], f[1], f[2], f[3]);
            assert_eq!(**m, want, "{sys}");
        }
    }
    let proc: Vec<&str> = tinymm["mountlist"]
        .iter()
        .filter(|l| !l.contains(" on "))
        .map(String::as_str)
        .collect();
    assert_eq!(
        proc,
        [
            "rootfs / rootfs ro 0 0",
            "proc /proc proc rw,relatime 0 0",
            "sysfs /sys sysfs rw,relatime 0 0",
            "cgroup2 /sys/fs/cgroup cgroup2 rw,relatime 0 0",
            "tmpfs /tmp tmpfs rw,relatime 0 0",
            "devtmpfs /dev devtmpfs rw,relatime,mode=755 0 0",
            "bbbase BASE tmpfs rw,relatime,size=16384k 0 0",
        ]
    );

    // dmesg: Linux's `[    s.uuuuuu] text` lines (where the host lets us
    // read its log), and on tinymm the line the script wrote to /dev/kmsg
    // (at KERN_DEBUG, so the console does not show it out of turn).
    let stamped = |l: &str| {
        l.starts_with('[')
            && l.find("] ").is_some_and(|e| {
                let t = l[1..e].trim_start();
                t.len() >= 8 && t.as_bytes()[t.len() - 7] == b'.' && numeric(&[t])
            })
    };
    if let Some(last) = host["dmesg"].iter().find(|l| !l.starts_with("---")) {
        assert!(stamped(last), "Linux dmesg: {last}");
    }
    let me = self_pid(&tinymm["ps"]);
    let dmesg = &tinymm["dmesg"];
    let hello = format!("] bbspec: hello from {me}");
    assert!(
        stamped(&dmesg[0]) && dmesg[0].ends_with(&hello),
        "{dmesg:?}"
    );
    assert_eq!(dmesg[1], dmesg[0], "dmesg | tail -1");

    // date: `date` and `date -u` as Linux prints them (with no TZ both are
    // UTC on tinymm, which has no /etc/localtime); the clock is the host's.
    for (sys, date) in both("date") {
        assert!(
            date_shaped(&date[0]) && date_shaped(&date[1]),
            "{sys}: {date:?}"
        );
        assert!(date[1].contains(" UTC "), "{sys}: {date:?}");
        assert!(numeric(&[&date[2]]), "{sys}: {date:?}");
        let iso = fields(&date[3]);
        assert!(
            iso.len() == 2 && iso[0].len() == 10 && iso[1].len() == 8,
            "{sys}: {date:?}"
        );
    }
    assert_eq!(tinymm["date"][0], tinymm["date"][1], "tinymm's zone is UTC");
    let epoch = |d: &[String]| d[2].parse::<i64>().unwrap();
    let skew = epoch(&tinymm["date"]) - epoch(&host["date"]);
    // The boot runs after the host's script; both read the host's clock.
    assert!(
        (-5..600).contains(&skew),
        "tinymm's clock is {skew} s off the host's"
    );

    // uptime: ` hh:mm:ss up ..., N users, load average: a, b, c`; on tinymm
    // the boot is younger than a minute and idle time is below uptime.
    for (sys, up) in both("uptime") {
        let l = &up[0];
        let (clock, rest) = l.trim_start().split_once(" up ").expect("uptime: up");
        assert!(
            clock.len() == 8 && clock.as_bytes()[2] == b':',
            "{sys}: {l}"
        );
        let (_, loads) = rest.split_once("load average: ").expect("load average");
        let loads: Vec<&str> = loads.split(", ").collect();
        assert!(loads.len() == 3 && numeric(&loads), "{sys}: {l}");
        assert!(rest.contains(" users,"), "{sys}: {l}");
        assert!(numeric(&fields(&up[1])), "{sys}: {:?}", up[1]);
    }
    let up: Vec<f64> = fields(&tinymm["uptime"][1])
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        up[0] < 60.0 && up[1] <= up[0],
        "tinymm /proc/uptime: {up:?}"
    );
    assert!(
        tinymm["uptime"][0].contains(" up 0 min,  0 users,"),
        "{:?}",
        tinymm["uptime"]
    );
}

/// The only kernel lines during the scripts are the notes about the
/// syscalls of `NOT_IMPLEMENTED`.
#[test]
fn only_known_syscalls_are_missing() {
    if skip() {
        return;
    }
    for line in kernel_lines() {
        let name = line
            .strip_suffix(") is not implemented")
            .and_then(|l| l.rsplit_once(" ("))
            .map(|(_, name)| name);
        assert!(
            name.is_some_and(|n| NOT_IMPLEMENTED.contains(&n)),
            "tinymm logged {line:?}"
        );
    }
}

/// tmpfs lists a directory in creation order, as Linux 6.6 to 6.13 do
/// (tinymm is 6.12); Linux 6.14 and later list the newest entry first, so
/// on the host only the names are compared.
#[test]
fn tmpfs_readdir_order() {
    if skip() {
        return;
    }
    let (host, tinymm) = (host(), tinymm());
    assert_eq!(tinymm["readdir"][0], "f5 f3 f9 f1 f7 ");
    let sorted = |l: &str| {
        let mut v: Vec<String> = fields(l).iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&host["readdir"][0]), sorted(&tinymm["readdir"][0]));
}
