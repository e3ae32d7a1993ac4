//! The kernel log in QEMU: console_loglevel filtering the console,
//! /proc/sys/kernel/printk, /dev/kmsg writes, and busybox `dmesg` (Debian's
//! busybox-static, unmodified) reading it all back through syslog(2) with
//! Linux's levels — the boot messages, user messages and a memcg OOM
//! report. (user/c/kmsg.c, run by cprogs.rs, checks syslog(2) and
//! /dev/kmsg against the host's Linux.)

mod common;

use common::{boot, lines};

/// `<N>[    s.uuuuuu] text`: (N, text), if `line` has Linux's shape.
fn syslog_line(line: &str) -> Option<(u32, &str)> {
    let (level, rest) = line.strip_prefix('<')?.split_once('>')?;
    let rest = rest.strip_prefix('[')?;
    let (time, text) = rest.split_once("] ")?;
    let (secs, usecs) = time.split_once('.')?;
    let shaped = time.len() >= 12
        && secs.trim_start().bytes().all(|b| b.is_ascii_digit())
        && usecs.len() == 6
        && usecs.bytes().all(|b| b.is_ascii_digit());
    shaped.then_some((level.parse().ok()?, text))
}

#[test]
fn console_levels_devkmsg_and_busybox_dmesg() {
    let script = r#"echo "levels=$(cat /proc/sys/kernel/printk)"
echo "<3>pt: err shown" > /dev/kmsg
echo "<7>pt: debug hidden" > /dev/kmsg
echo 4 > /proc/sys/kernel/printk
echo "levels=$(cat /proc/sys/kernel/printk)"
echo "<4>pt: warning hidden" > /dev/kmsg
echo "<3>pt: err still shown" > /dev/kmsg
echo 7 > /proc/sys/kernel/printk
echo "<165>pt: local4 notice" > /dev/kmsg
echo x > /proc/sys/kernel/printk
echo "junk=$?"
G=/sys/fs/cgroup
echo +memory > $G/cgroup.subtree_control
mkdir $G/pt
echo 8M > $G/pt/memory.max
cgexec pt /bin/anon 64M
echo "anon=$?"
echo "=== dmesg"
/bin/busybox dmesg -r
echo "=== dmesg plain"
/bin/busybox dmesg
echo "=== end"
/bin/busybox dmesg -n 1
echo "levels=$(cat /proc/sys/kernel/printk)"
/bin/busybox dmesg -c > /dev/null
echo "=== cleared"
/bin/busybox dmesg
echo "=== cleared end"
exit 0
"#;
    let (status, out) = boot("128M", false, script);
    assert_eq!(status, 0, "script failed");
    let out = lines(&out);
    let levels: Vec<&str> = out
        .iter()
        .filter_map(|l| l.strip_prefix("levels="))
        .collect();
    assert_eq!(levels, ["7\t4\t1\t7", "4\t4\t1\t7", "1\t4\t1\t7"]);
    assert!(out.contains(&"junk=1"), "a write of junk fails");
    assert!(
        out.contains(&"anon=137"),
        "64M over an 8M max is OOM-killed"
    );

    // The console: only records below console_loglevel, as bare text.
    let start = out.iter().position(|l| *l == "=== dmesg").expect("dmesg");
    let console = &out[..start];
    for shown in ["pt: err shown", "pt: err still shown", "pt: local4 notice"] {
        assert!(console.contains(&shown), "{shown} on the console");
    }
    for hidden in ["pt: debug hidden", "pt: warning hidden"] {
        assert!(!console.contains(&hidden), "{hidden} not on the console");
    }

    // dmesg -r: every record, with Linux's levels.
    let end = out
        .iter()
        .position(|l| *l == "=== dmesg plain")
        .expect("plain");
    // (The console's own kernel lines, as busybox's exec logs one, come
    // in between without a prefix.)
    let raw: Vec<&str> = out[start + 1..end]
        .iter()
        .filter(|l| l.starts_with('<'))
        .copied()
        .collect();
    let dmesg: Vec<(u32, &str)> = raw
        .iter()
        .map(|l| syslog_line(l).unwrap_or_else(|| panic!("not a syslog line: {l:?}")))
        .collect();
    // Before the clock starts, records are at 0.
    assert_eq!(raw[0], "<6>[    0.000000] printk: console [ttyS0] enabled");
    assert_eq!(dmesg[1], (6, "tinymm version 0.1.0"));
    let level_of = |text: &str| {
        dmesg
            .iter()
            .find(|(_, t)| *t == text)
            .unwrap_or_else(|| panic!("{text} not in dmesg"))
            .0
    };
    // LOG_USER (1) << 3 | level, and local4 (20) << 3 | notice.
    assert_eq!(level_of("pt: err shown"), 11);
    assert_eq!(level_of("pt: debug hidden"), 15);
    assert_eq!(level_of("pt: warning hidden"), 12);
    assert_eq!(level_of("pt: local4 notice"), 165);
    // The memcg OOM report at the levels of Linux's mm/oom_kill.c and
    // mm/memcontrol.c: pr_warn, pr_info, pr_info, pr_err.
    let starting = |prefix: &str| {
        dmesg
            .iter()
            .find(|(_, t)| t.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in dmesg"))
            .0
    };
    assert_eq!(starting("anon invoked oom-killer: "), 4);
    assert_eq!(starting("memory: usage "), 6);
    assert_eq!(starting("Tasks state (memory values in pages):"), 6);
    assert_eq!(starting("oom-kill:constraint=CONSTRAINT_MEMCG,"), 6);
    assert_eq!(starting("Memory cgroup out of memory: Killed process "), 3);
    // The records keep their order.
    let seq: Vec<&str> = dmesg.iter().map(|(_, t)| *t).collect();
    let at = |t: &str| seq.iter().position(|s| *s == t).unwrap();
    assert!(at("pt: err shown") < at("pt: debug hidden"));
    assert!(at("pt: debug hidden") < at("pt: warning hidden"));

    // Plain dmesg strips the level and keeps the timestamp.
    let end_all = out.iter().position(|l| *l == "=== end").expect("end");
    let plain: Vec<&str> = out[end + 1..end_all]
        .iter()
        .filter(|l| l.starts_with('['))
        .copied()
        .collect();
    assert!(plain.len() >= dmesg.len());
    for (p, r) in plain.iter().zip(&raw) {
        assert_eq!(Some(*p), r.split_once('>').map(|(_, t)| t), "plain vs -r");
    }

    // dmesg -c reads and clears: afterwards only what came since (the
    // console-level change's exec has nothing to log).
    let from = out
        .iter()
        .position(|l| *l == "=== cleared")
        .expect("cleared");
    let to = out
        .iter()
        .position(|l| *l == "=== cleared end")
        .expect("cleared end");
    let after: Vec<&&str> = out[from + 1..to]
        .iter()
        .filter(|l| l.starts_with('['))
        .collect();
    assert!(after.is_empty(), "after dmesg -c: {after:?}");
}
