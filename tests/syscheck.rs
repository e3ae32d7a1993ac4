//! `syscheck` (user/src/bin/syscheck.rs) on tinymm: the process-wide
//! syscalls checked against the expectations the same binary meets on the
//! host's Linux (tests/user.rs), with the same number of checks; then the
//! values Linux gives a freshly booted system (INIT_RLIMITS, uname, the
//! umask of init_fs, one CPU, no swap), a shared futex two processes meet
//! on, and the log line for each syscall tinymm lacks, once per number.

mod common;

use common::{boot_with, lines};

/// Must match `SYSCHECK_CHECKS` in tests/user.rs, the host run's count.
const SYSCHECK_CHECKS: u32 = 157;

#[test]
fn syscheck_passes_on_tinymm() {
    let script = "/bin/syscheck /data/vm\necho \"syscheck status $?\"\n";
    let (status, out) = boot_with("128M", false, script, &["--gen", "/data/vm:64K"]);
    assert_eq!(status, 0, "script failed");
    let lines = lines(&out);
    let failures: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("syscheck: FAIL"))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    let summary = format!("{SYSCHECK_CHECKS} passed, 0 failed");
    assert!(lines.contains(&summary.as_str()), "no line {summary:?}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("syscheck: ok "))
            .count(),
        SYSCHECK_CHECKS as usize
    );
    assert!(lines.contains(&"syscheck status 0"), "exit status");
}

/// `max_threads` of kernel/fork.c for the RAM the kernel reports: pages
/// * 4096 / (8 * THREAD_SIZE), THREAD_SIZE 32 KiB; RLIMIT_NPROC and
///   RLIMIT_SIGPENDING are half of it.
fn nproc_for(memtotal_kb: u64) -> u64 {
    memtotal_kb * 1024 / (8 * 32768) / 2
}

#[test]
fn syscheck_shows_linux_s_boot_values() {
    let script = "cat /proc/meminfo\n/bin/syscheck show\n";
    let (status, out) = boot_with("128M", false, script, &[]);
    assert_eq!(status, 0, "script failed");
    let lines = lines(&out);
    let memtotal: u64 = lines
        .iter()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().strip_suffix(" kB"))
        .and_then(|v| v.trim().parse().ok())
        .expect("MemTotal");
    let nproc = nproc_for(memtotal);
    let want = [
        "rlimit cpu unlimited unlimited".to_string(),
        "rlimit fsize unlimited unlimited".into(),
        "rlimit data unlimited unlimited".into(),
        "rlimit stack 8388608 unlimited".into(),
        "rlimit core 0 unlimited".into(),
        "rlimit rss unlimited unlimited".into(),
        format!("rlimit nproc {nproc} {nproc}"),
        "rlimit nofile 1024 4096".into(),
        "rlimit memlock 8388608 8388608".into(),
        "rlimit as unlimited unlimited".into(),
        "rlimit locks unlimited unlimited".into(),
        format!("rlimit sigpending {nproc} {nproc}"),
        "rlimit msgqueue 819200 819200".into(),
        "rlimit nice 0 0".into(),
        "rlimit rtprio 0 0".into(),
        "rlimit rttime unlimited unlimited".into(),
        "uname sysname Linux".into(),
        "uname nodename tinymm".into(),
        "uname release 6.12.0-tinymm".into(),
        "uname version #1".into(),
        "uname machine x86_64".into(),
        "uname domainname (none)".into(),
        "umask 0022".into(),
        "sysinfo totalswap 0 freeswap 0 loads 0 0 0".into(),
        "affinity 0x8 0x1".into(),
    ];
    let start = lines
        .iter()
        .position(|l| l.starts_with("rlimit cpu"))
        .expect("show output");
    let got: Vec<&str> = lines[start..start + want.len()].to_vec();
    assert_eq!(got, want.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(nproc > 100, "{memtotal} kB gives {nproc}");
}

#[test]
fn shared_futex_and_unknown_syscalls() {
    let script = "/bin/syscheck futex-wait /data/vm &\n/bin/syscheck futex-wake /data/vm\n\
                  wait\n/bin/syscheck nosys\n/bin/syscheck nosys\necho done\n";
    let (status, out) = boot_with("128M", false, script, &["--gen", "/data/vm:64K"]);
    assert_eq!(status, 0, "script failed");
    let lines = lines(&out);
    assert!(lines.contains(&"futex-wake: woke 0x1"), "{out}");
    assert!(lines.contains(&"futex-wait: 0x0"), "{out}");
    // Every call fails with ENOSYS, every time.
    for nr in [154, 334, 400, 1000] {
        let results = lines
            .iter()
            .filter(|l| **l == format!("nosys: {nr} ENOSYS"))
            .count();
        assert_eq!(results, 4, "syscall {nr}");
    }
    // The kernel names each number of Linux's table once, with Linux's
    // name where the table has one; rseq is ENOSYS by design
    // (CONFIG_RSEQ=n), not logged, and so is a number past the table
    // (1000), as on Linux: user space has no end of those to offer.
    let logged: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("tinymm: syscheck["))
        .collect();
    assert_eq!(logged.len(), 2, "{logged:?}");
    for (nr, what) in [
        (154, "syscall 154 (modify_ldt) is not implemented"),
        (400, "syscall 400 is not implemented"),
    ] {
        assert_eq!(
            logged.iter().filter(|l| l.ends_with(what)).count(),
            1,
            "syscall {nr}: {logged:?}"
        );
    }
    assert!(lines.contains(&"done"));
}
