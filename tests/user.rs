//! The workload programs (user/) on the host's Linux: the same static
//! binaries tinymm runs, so Linux's behaviour is their specification. And
//! the initramfs options of `tinymm run` that carry them (and data files)
//! into the guest.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const PROGRAMS: [(&str, &str); 7] = [
    ("anon", env!("CARGO_BIN_FILE_USER_anon")),
    ("fileread", env!("CARGO_BIN_FILE_USER_fileread")),
    ("sleep", env!("CARGO_BIN_FILE_USER_sleep")),
    ("fault", env!("CARGO_BIN_FILE_USER_fault")),
    ("spin", env!("CARGO_BIN_FILE_USER_spin")),
    ("vmcheck", env!("CARGO_BIN_FILE_USER_vmcheck")),
    ("syscheck", env!("CARGO_BIN_FILE_USER_syscheck")),
];

fn bin(name: &str) -> &'static str {
    PROGRAMS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, path)| *path)
        .expect("known program")
}

/// Runs `name args...`; returns (status, stdout, stderr).
fn run(name: &str, args: &[&str]) -> (ExitStatus, String, String) {
    let out = Command::new(bin(name))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("spawn");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    println!("{name} {args:?}: {:?}\n{stdout}{stderr}", out.status);
    (out.status, stdout, stderr)
}

/// xorshift64 (13, 7, 17), as `tinymm run --gen` fills files.
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

fn checksum(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0u64, |s, &b| s.wrapping_add(u64::from(b)))
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let path =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("user-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

#[test]
fn programs_are_static_non_pie_executables() {
    const ET_EXEC: u16 = 2;
    const PT_LOAD: u32 = 1;
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    for (name, path) in PROGRAMS {
        let elf = std::fs::read(path).expect("read program");
        assert_eq!(&elf[..4], b"\x7fELF", "{name}");
        assert_eq!(elf[4], 2, "{name}: ELFCLASS64");
        assert_eq!(u16_at(&elf, 16), ET_EXEC, "{name}: e_type");
        assert_eq!(u16_at(&elf, 18), 62, "{name}: EM_X86_64");
        let entry = u64_at(&elf, 24);
        let (phoff, phentsize, phnum) = (
            u64_at(&elf, 32) as usize,
            usize::from(u16_at(&elf, 54)),
            usize::from(u16_at(&elf, 56)),
        );
        let mut loads = 0;
        for i in 0..phnum {
            let ph = &elf[phoff + i * phentsize..][..phentsize];
            let p_type = u32_at(ph, 0);
            assert_ne!(p_type, PT_INTERP, "{name}: PT_INTERP");
            assert_ne!(p_type, PT_DYNAMIC, "{name}: PT_DYNAMIC");
            if p_type == PT_LOAD {
                loads += 1;
                let (offset, vaddr) = (u64_at(ph, 8), u64_at(ph, 16));
                assert!(vaddr >= 0x40_0000, "{name}: segment below 0x400000");
                assert_eq!(
                    offset % 4096,
                    0,
                    "{name}: segment not page-aligned in the file"
                );
                assert_eq!(
                    vaddr % 4096,
                    0,
                    "{name}: segment not page-aligned in memory"
                );
            }
        }
        assert!(loads >= 2, "{name}: {loads} PT_LOAD segments");
        assert!(entry >= 0x40_0000, "{name}: entry {entry:#x}");
    }
}

#[test]
fn anon_touches_every_page() {
    let (status, stdout, _) = run("anon", &["64M"]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(stdout, "anon: touched 16384 pages\n");

    let (status, stdout, _) = run("anon", &["16M", "--stride", "8K", "--repeat", "3"]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(stdout, "anon: touched 2048 pages\n");

    // More passes than a byte can count.
    let (status, stdout, _) = run("anon", &["64K", "--repeat", "300"]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(stdout, "anon: touched 16 pages\n");

    // A stride below the page size still counts pages, not writes.
    let (status, stdout, _) = run("anon", &["1M", "--stride=1000"]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(stdout, "anon: touched 256 pages\n");

    let (status, stdout, _) = run("anon", &["1M", "--populate", "--mlock", "--time"]);
    assert_eq!(status.code(), Some(0));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "anon: touched 256 pages");
    let ns: u64 = lines[1]
        .strip_prefix("anon: ")
        .and_then(|l| l.strip_suffix(" ns"))
        .and_then(|n| n.parse().ok())
        .expect("anon: N ns");
    assert!(ns > 0 && ns < 10_000_000_000, "{ns} ns");
}

#[test]
fn anon_hold_keeps_memory_until_killed() {
    let mut child = Command::new(bin("anon"))
        .args(["64M", "--hold"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read");
    assert_eq!(line, "anon: touched 16384 pages\n");
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss_anon: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .expect("RssAnon line");
    assert!(rss_anon >= 65536, "RssAnon {rss_anon} kB");
    // Still holding after a while: --hold must not exit by itself.
    std::thread::sleep(Duration::from_millis(100));
    assert!(child.try_wait().unwrap().is_none(), "anon --hold exited");
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
}

#[test]
fn fileread_checksums_agree_in_every_mode() {
    let data = pseudo_random(1 << 20, 42);
    let path = temp_file("fileread-1M", &data);
    let path = path.to_str().unwrap();
    let expected = format!(
        "fileread: read 1048576 bytes\nfileread: sum {}\n",
        checksum(&data)
    );
    for mode in [&[][..], &["--mmap"], &["--random"], &["--mmap", "--random"]] {
        let mut args = vec![path];
        args.extend_from_slice(mode);
        let (status, stdout, _) = run("fileread", &args);
        assert_eq!(status.code(), Some(0), "{mode:?}");
        assert_eq!(stdout, expected, "{mode:?}");
    }
    // --bs: the same bytes in as many read(2)s as it says (/proc/self/io
    // counts them, the one at EOF too, after exec's two kernel_reads of
    // the ELF headers), a short last one included.
    for (bs, reads) in [("4K", 2 + 256 + 1), ("1000", 2 + 1049 + 1)] {
        let (status, stdout, _) = run("fileread", &[path, "--bs", bs, "--cat", "/proc/self/io"]);
        assert_eq!(status.code(), Some(0), "{bs}");
        assert!(stdout.starts_with(&expected), "{bs}: {stdout}");
        let syscr = format!("fileread: /proc/self/io: syscr: {reads}\n");
        assert!(stdout.contains(&syscr), "{bs}: {stdout}");
    }
    for bad in ["0", "4Q"] {
        assert_eq!(run("fileread", &[path, "--bs", bad]).0.code(), Some(2));
    }
    // --size: a prefix that ends mid-page.
    let prefix = 10_000;
    let expected = format!(
        "fileread: read {prefix} bytes\nfileread: sum {}\n",
        checksum(&data[..prefix])
    );
    for mode in ["--mmap", "--random"] {
        let (status, stdout, _) = run("fileread", &[path, "--size", "10000", mode]);
        assert_eq!(status.code(), Some(0));
        assert_eq!(stdout, expected, "{mode}");
    }
    // st_size is 0 for /proc files: read(2) goes to EOF anyway.
    let (status, stdout, _) = run("fileread", &["/proc/self/status"]);
    assert_eq!(status.code(), Some(0));
    let bytes: u64 = stdout
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("fileread: read "))
        .and_then(|l| l.strip_suffix(" bytes"))
        .and_then(|n| n.parse().ok())
        .expect("read line");
    assert!(bytes > 100, "{stdout}");
    // An empty file in every mode.
    let empty = temp_file("empty", b"");
    for mode in ["--mmap", "--random", "--time"] {
        let (status, stdout, _) = run("fileread", &[empty.to_str().unwrap(), mode]);
        assert_eq!(status.code(), Some(0));
        assert!(
            stdout.starts_with("fileread: read 0 bytes\nfileread: sum 0\n"),
            "{stdout}"
        );
    }
    std::fs::remove_file(&empty).unwrap();
    // More than the file: the whole file.
    let (_, stdout, _) = run("fileread", &[path, "--size=2M"]);
    assert!(
        stdout.starts_with("fileread: read 1048576 bytes\n"),
        "{stdout}"
    );
    // Repeated random passes agree (else exit 1) and are timed.
    let (status, stdout, _) = run("fileread", &[path, "--random", "--repeat", "3", "--time"]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.lines().nth(2).unwrap().ends_with(" ns"), "{stdout}");
    std::fs::remove_file(path).unwrap();
}

#[test]
fn fileread_offset_starts_there() {
    let data = pseudo_random(1 << 20, 43);
    let path = temp_file("fileread-offset", &data);
    let path = path.to_str().unwrap();
    let expect = |bytes: &[u8]| {
        format!(
            "fileread: read {} bytes\nfileread: sum {}\n",
            bytes.len(),
            checksum(bytes)
        )
    };
    // Page-aligned, with --size ending mid-page: every mode.
    let window = expect(&data[8192..8192 + 10_000]);
    for mode in [&[][..], &["--mmap"], &["--random"], &["--mmap", "--random"]] {
        let mut args = vec![path, "--offset", "8K", "--size", "10000", "--repeat", "2"];
        args.extend_from_slice(mode);
        let (status, stdout, _) = run("fileread", &args);
        assert_eq!(status.code(), Some(0), "{mode:?}");
        assert_eq!(stdout, window, "{mode:?}");
    }
    // Unaligned (read(2) only), up to EOF.
    let tail = expect(&data[50_000..]);
    for mode in ["--time", "--random"] {
        let (status, stdout, _) = run("fileread", &[path, "--offset=50000", mode]);
        assert_eq!(status.code(), Some(0), "{mode}");
        assert!(stdout.starts_with(&tail), "{mode}: {stdout}");
    }
    // At or past EOF: nothing.
    for mode in ["--mmap", "--random", "--time"] {
        let (status, stdout, _) = run("fileread", &[path, "--offset", "2M", mode]);
        assert_eq!(status.code(), Some(0), "{mode}");
        assert!(stdout.starts_with(&expect(&[])), "{mode}: {stdout}");
    }
    std::fs::remove_file(path).unwrap();
}

#[test]
fn cat_prints_prefixed_lines_after_the_work() {
    let (status, stdout, _) = run(
        "anon",
        &[
            "1M",
            "--cat",
            "/proc/self/status",
            "--cat=/nonexistent/tinymm",
        ],
    );
    assert_eq!(status.code(), Some(0));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "anon: touched 256 pages");
    assert!(
        lines.contains(&"anon: /proc/self/status: Name:\tanon"),
        "{stdout}"
    );
    // Read while the memory is still there.
    let rss_anon: u64 = lines
        .iter()
        .find_map(|l| l.strip_prefix("anon: /proc/self/status: RssAnon:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .expect("RssAnon line");
    assert!(rss_anon >= 1024, "RssAnon {rss_anon} kB");
    assert_eq!(
        lines.last().copied(),
        Some("anon: /nonexistent/tinymm: error -2")
    );

    // Every line, an empty one and a last one without newline included;
    // a directory cannot be read.
    let text = temp_file("cat", b"one\n\nthree four\nlast");
    let text = text.to_str().unwrap();
    let dir = env!("CARGO_TARGET_TMPDIR");
    let (status, stdout, _) = run("fileread", &[text, "--cat", text, "--cat", dir]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        stdout,
        format!(
            "fileread: read 20 bytes\nfileread: sum {}\n\
             fileread: {text}: one\nfileread: {text}: \n\
             fileread: {text}: three four\nfileread: {text}: last\n\
             fileread: {dir}: error -21\n",
            checksum(b"one\n\nthree four\nlast")
        )
    );
    std::fs::remove_file(text).unwrap();
}

#[test]
fn fileread_hold_keeps_its_mapping_until_killed() {
    let data = pseudo_random(1 << 20, 44);
    let path = temp_file("fileread-hold", &data);
    let mut child = Command::new(bin("fileread"))
        .args([path.to_str().unwrap(), "--mmap", "--hold"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = String::new();
    for _ in 0..2 {
        out.read_line(&mut lines).expect("read");
    }
    assert_eq!(
        lines,
        format!(
            "fileread: read 1048576 bytes\nfileread: sum {}\n",
            checksum(&data)
        )
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss_file: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("RssFile:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
        .expect("RssFile line");
    assert!(rss_file >= 1024, "RssFile {rss_file} kB");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        child.try_wait().unwrap().is_none(),
        "fileread --hold exited"
    );
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn fileread_of_a_missing_file_fails() {
    let (status, stdout, stderr) = run("fileread", &["/nonexistent/tinymm"]);
    assert_eq!(status.code(), Some(1));
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "fileread: /nonexistent/tinymm: No such file or directory\n"
    );
}

#[test]
fn faults_die_of_sigsegv() {
    for kind in ["null", "wrro", "execstack", "readkernel"] {
        let (status, _, _) = run("fault", &[kind]);
        assert_eq!(status.signal(), Some(11), "fault {kind}: {status:?}");
    }
    let (status, stdout, _) = run("fault", &["badptr"]);
    assert_eq!(status.code(), Some(0));
    assert_eq!(stdout, "fault: badptr: write returned -14\n");
}

/// Each CPU exception kills with Linux's signal: SIGILL (4) for `ud2`,
/// SIGFPE (8) for an integer division by zero and an unmasked SSE
/// exception, SIGSEGV (11) for `cli`, SIGTRAP (5) for `int3` and a single
/// step, SIGBUS (7) for an unaligned access with AC set. No core dump is
/// asked of the host, so none is checked.
#[test]
fn exceptions_die_of_linux_signals() {
    for (kind, sig, _) in common::FAULT_EXCEPTIONS {
        let (status, stdout, stderr) = run("fault", &[kind]);
        assert_eq!(status.signal(), Some(sig), "fault {kind}: {status:?}");
        assert_eq!((stdout.as_str(), stderr.as_str()), ("", ""), "{kind}");
    }
}

#[test]
fn sleep_sleeps() {
    let start = Instant::now();
    let (status, _, _) = run("sleep", &["0.2"]);
    assert_eq!(status.code(), Some(0));
    let slept = start.elapsed();
    assert!(slept >= Duration::from_millis(200), "{slept:?}");
    assert!(slept < Duration::from_secs(5), "{slept:?}");

    let start = Instant::now();
    let (status, _, _) = run("spin", &["0.1"]);
    assert_eq!(status.code(), Some(0));
    assert!(start.elapsed() >= Duration::from_millis(100));
}

#[test]
fn bad_usage_exits_2() {
    let cases: [(&str, &[&str]); 17] = [
        ("anon", &[]),
        ("anon", &["64X"]),
        ("anon", &["0"]),
        ("anon", &["1M", "--stride"]),
        ("anon", &["1M", "--frob"]),
        ("anon", &["1M", "--cat"]),
        ("fileread", &[]),
        ("fileread", &["f", "--repeat", "x"]),
        ("fileread", &["f", "--offset", "1Q"]),
        ("fileread", &["f", "--mmap", "--offset", "100"]),
        ("sleep", &[]),
        ("sleep", &["soon"]),
        ("fault", &["nope"]),
        ("spin", &[]),
        ("vmcheck", &[]),
        ("syscheck", &[]),
        ("syscheck", &["futex-wait"]),
    ];
    for (name, args) in cases {
        let (status, stdout, stderr) = run(name, args);
        assert_eq!(status.code(), Some(2), "{name} {args:?}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with(&format!("{name}: ")), "{stderr}");
        assert!(stderr.contains("usage: "), "{stderr}");
    }
}

/// FNV-1a 64, the seed of a `--gen` file's content.
fn fnv1a(path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn generated_files_have_the_documented_content() {
    // README: xorshift64 words seeded with FNV-1a of the guest path; the
    // guest's `fileread` sum of that content is what `tinymm checksum`
    // prints.
    let size = 300_001;
    let data = pseudo_random(size, fnv1a("/data/f"));
    let path = temp_file("generated", &data);
    let (status, stdout, _) = run("fileread", &[path.to_str().unwrap(), "--mmap"]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(status.code(), Some(0));
    let (status, sum, stderr) = common::tinymm(&["checksum", "/data/f:300001"]);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(sum.trim(), checksum(&data).to_string());
    assert!(
        stdout.ends_with(&format!("fileread: sum {}\n", sum.trim())),
        "{stdout}"
    );
    let (status, _, _) = common::tinymm(&["checksum", "/data/f:1Q"]);
    assert_eq!(status, 2);
}

#[test]
fn initramfs_options_build_bootable_images() {
    let host = temp_file("added", b"added by --add\n");
    let add = format!("{}:/data/sub/added", host.display());
    for uefi in [false, true] {
        let script = common::script_file("exit 5\n");
        let mut args = vec![
            "run",
            "--script",
            script.to_str().unwrap(),
            "--timeout",
            common::TIMEOUT_SECS,
            "--add",
            &add,
            "--gen",
            "/data/gen:1M",
        ];
        if uefi {
            args.push("--uefi");
        }
        let (status, stdout, stderr) = common::tinymm(&args);
        assert_eq!(status, 5, "uefi={uefi}\n{stdout}\n{stderr}");
    }
    std::fs::remove_file(&host).unwrap();

    for bad in [
        &["run", "--gen", "/proc/x:1M"][..],
        &["run", "--gen", "/data/x:5G"],
        &["run", "--add", "/nonexistent/tinymm"],
        &["run", "--gen", "/data/x:1", "--gen", "/data/x:2"],
        &["run", "--gen", "/bin/anon:1"],
    ] {
        let (status, _, stderr) = common::tinymm(bad);
        assert_eq!(status, 2, "{bad:?}: {stderr}");
        assert!(
            stderr.contains("--") || stderr.contains("twice"),
            "{stderr}"
        );
    }
}

/// The checks' count `vmcheck` reports on the host: tests/vmcheck.rs
/// expects the same count from tinymm.
const VMCHECK_CHECKS: u32 = 88;

#[test]
fn vmcheck_passes_on_linux() {
    // The content `tinymm run --gen /data/vm:64K` gives the guest's file.
    let data = pseudo_random(64 << 10, fnv1a("/data/vm"));
    let path = temp_file("vm", &data);
    let (status, stdout, _) = run("vmcheck", &[path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let failures: Vec<&&str> = lines.iter().filter(|l| l.contains(" FAIL ")).collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        lines.last().copied(),
        Some(format!("{VMCHECK_CHECKS} passed, 0 failed").as_str())
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("vmcheck: ok "))
            .count(),
        VMCHECK_CHECKS as usize
    );
    assert_eq!(status.code(), Some(0));
}

/// The checks' count `syscheck` reports on the host: tests/syscheck.rs
/// expects the same count from tinymm.
const SYSCHECK_CHECKS: u32 = 157;

#[test]
fn syscheck_passes_on_linux() {
    let path = temp_file("sys", &pseudo_random(64 << 10, fnv1a("/data/vm")));
    let (status, stdout, _) = run("syscheck", &[path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    let failures: Vec<&&str> = lines.iter().filter(|l| l.contains(" FAIL ")).collect();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        lines.last().copied(),
        Some(format!("{SYSCHECK_CHECKS} passed, 0 failed").as_str())
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.starts_with("syscheck: ok "))
            .count(),
        SYSCHECK_CHECKS as usize
    );
    assert_eq!(status.code(), Some(0));
}

/// Two processes meet on a shared futex in a file page that each maps at
/// a different offset: the waker's FUTEX_WAKE finds the waiter.
#[test]
fn syscheck_shared_futex_meets_on_linux() {
    let path = temp_file("futex", &pseudo_random(64 << 10, 1));
    let waiter = Command::new(bin("syscheck"))
        .args(["futex-wait", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let (status, stdout, _) = run("syscheck", &["futex-wake", path.to_str().unwrap()]);
    let out = waiter.wait_with_output().expect("wait");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(stdout, "futex-wake: woke 0x1\n");
    assert_eq!(status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "futex-wait: 0x0\n");
    assert_eq!(out.status.code(), Some(0));
}
