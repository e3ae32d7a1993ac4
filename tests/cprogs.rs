//! The project's C test programs (user/c/), built at test time with
//! glibc and musl (tests/cbuild.rs). Each prints one line per check and
//! `N passed, M failed`. The host's Linux is their specification: there
//! every check passes. On tinymm the whole output must be the same, line
//! for line (the kernel's own log lines, the shell's prompts and echoes
//! are left out by shape).

mod cbuild;
mod common;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cbuild::LIBCS;
use common::{boot_with, lines, section_numbers};

const HOST_TIMEOUT: Duration = Duration::from_secs(60);

/// The checks `proc forkbomb` adds (only tinymm runs them: see proc.c).
const FORKBOMB_CHECKS: [&str; 7] = [
    "clone3_into_cgroup_child_there: ok",
    "clone3_into_non_cgroup_ebadf: ok",
    "clone3_into_bad_fd_ebadf: ok",
    "clone3_cgroup_empty_after_exit: ok",
    "fork_loop_ends_eagain_or_enomem: ok",
    "fork_loop_children_reaped: ok",
    "fork_after_fork_loop: ok",
];

/// The programs whose one argument is a directory to make on a tmpfs
/// (the host's /dev/shm, tinymm's /tmp).
const TMPFS_DIR_PROGRAMS: [&str; 3] = ["tmpfs", "shmap", "mremap"];

/// A scratch directory under /tmp for a host run's working directory,
/// removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tinymm-cprogs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run printed and how it ended.
struct Run {
    stdout: String,
    stderr: String,
    /// Exit code, or None if killed by a signal.
    code: Option<i32>,
    signal: Option<i32>,
}

/// Runs `program args` on the host in `dir` with an empty environment
/// (what tinymm's shell gives a program) and the soft stack limit Linux
/// gives init (8 MiB, whatever the test runner's is), killed after
/// HOST_TIMEOUT. The shell execs the program with argv[0] its path.
fn run_host(program: &Path, args: &[&Path], dir: &Path) -> Run {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg("ulimit -S -s 8192 && exec \"$0\" \"$@\"")
        .arg(program)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let out = reader(Box::new(child.stdout.take().unwrap()));
    let err = reader(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > HOST_TIMEOUT {
            let _ = child.kill();
            panic!("{} timed out", program.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let run = Run {
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        code: status.code(),
        signal: status.signal(),
    };
    println!(
        "--- {} {args:?}: {status:?} ---\n{}{}",
        program.display(),
        run.stdout,
        run.stderr
    );
    run
}

/// A check line (`name: ok`, `name: FAIL ...`) or the summary.
fn is_program_line(line: &str) -> bool {
    if let Some((name, verdict)) = line.split_once(": ") {
        return !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && (verdict == "ok" || verdict.starts_with("FAIL"));
    }
    summary(line).is_some()
}

/// (passed, failed) of an `N passed, M failed` line.
fn summary(line: &str) -> Option<(u32, u32)> {
    let (p, f) = line.strip_suffix(" failed")?.split_once(" passed, ")?;
    Some((p.parse().ok()?, f.parse().ok()?))
}

/// Asserts that a host run passed every check; returns its lines.
fn assert_host_passes(name: &str, run: &Run) -> Vec<String> {
    let lines: Vec<String> = run.stdout.lines().map(str::to_string).collect();
    let failures: Vec<&String> = lines.iter().filter(|l| l.contains(": FAIL")).collect();
    assert!(failures.is_empty(), "{name}: {failures:?}");
    let stray: Vec<&String> = lines.iter().filter(|l| !is_program_line(l)).collect();
    assert!(stray.is_empty(), "{name}: lines of no check: {stray:?}");
    let last = lines.last().map(String::as_str).unwrap_or("");
    let (passed, failed) = summary(last).unwrap_or_else(|| panic!("{name}: last line {last:?}"));
    assert_eq!(failed, 0, "{name}");
    assert_eq!(
        passed as usize,
        lines.len() - 1,
        "{name}: checks vs summary"
    );
    assert!(passed >= 10, "{name}: only {passed} checks");
    assert_eq!(run.stderr, "", "{name}");
    assert_eq!((run.code, run.signal), (Some(0), None), "{name}: status");
    lines
}

/// Runs `name` (built against `libc`) on the host; asserts it passes and
/// returns its output lines.
fn host_lines(name: &str, libc: &str) -> Vec<String> {
    cbuild::build();
    let scratch = Scratch::new(&format!("{name}-{libc}"));
    let program = cbuild::path(libc, name);
    let run = if name == "proc" {
        let (script, nonelf) = cbuild::proc_files(libc, false);
        run_host(&program, &[&script, &nonelf], &scratch.0)
    } else if TMPFS_DIR_PROGRAMS.contains(&name) {
        // A directory it makes on the host's tmpfs.
        let dir = PathBuf::from(format!(
            "/dev/shm/tinymm-cprogs-{}-{name}-{libc}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let run = run_host(&program, &[&dir], &scratch.0);
        let _ = std::fs::remove_dir_all(&dir);
        run
    } else if name == "fifo" {
        // Its FIFOs go in the working directory.
        run_host(&program, &[&scratch.0], &scratch.0)
    } else {
        run_host(&program, &[], &scratch.0)
    };
    assert_host_passes(&format!("{name} ({libc})"), &run)
}

fn hello_on_host(libc: &str) {
    cbuild::build();
    let scratch = Scratch::new(&format!("hello-{libc}"));
    let run = run_host(&cbuild::path(libc, "hello"), &[], &scratch.0);
    assert_eq!(run.stdout, "hello, world\n", "{libc}");
    assert_eq!(run.stderr, "", "{libc}");
    assert_eq!((run.code, run.signal), (Some(0), None), "{libc}");
}

#[test]
fn hello_on_linux() {
    for libc in LIBCS {
        hello_on_host(libc);
    }
}

#[test]
fn proc_on_linux() {
    for libc in LIBCS {
        host_lines("proc", libc);
    }
}

#[test]
fn signal_on_linux() {
    for libc in LIBCS {
        host_lines("signal", libc);
    }
}

#[test]
fn thread_on_linux() {
    for libc in LIBCS {
        host_lines("thread", libc);
    }
}

#[test]
fn misc_on_linux() {
    for libc in LIBCS {
        host_lines("misc", libc);
    }
}

#[test]
fn pipes_on_linux() {
    for libc in LIBCS {
        host_lines("pipes", libc);
    }
}

#[test]
fn fifo_on_linux() {
    for libc in LIBCS {
        host_lines("fifo", libc);
    }
}

#[test]
fn vfs_on_linux() {
    for libc in LIBCS {
        host_lines("vfs", libc);
    }
}

#[test]
fn procfs_on_linux() {
    for libc in LIBCS {
        host_lines("procfs", libc);
    }
}

/// `kmsg` reads the host's kernel log, which needs CAP_SYSLOG (a
/// container may lack it), and moves its one syslog(2) reader position, so
/// its host runs take turns.
fn kmsg_host_lines(libc: &str) -> Option<Vec<String>> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    if std::fs::File::open("/dev/kmsg").is_err() {
        println!("the host's kernel log is not readable here: kmsg not run on Linux");
        return None;
    }
    Some(host_lines("kmsg", libc))
}

#[test]
fn kmsg_on_linux() {
    for libc in LIBCS {
        kmsg_host_lines(libc);
    }
}

#[test]
fn poll_on_linux() {
    for libc in LIBCS {
        host_lines("poll", libc);
    }
}

#[test]
fn tmpfs_on_linux() {
    for libc in LIBCS {
        host_lines("tmpfs", libc);
    }
}

#[test]
fn shmap_on_linux() {
    for libc in LIBCS {
        host_lines("shmap", libc);
    }
}

#[test]
fn mremap_on_linux() {
    for libc in LIBCS {
        host_lines("mremap", libc);
    }
}

#[test]
fn pie_on_linux() {
    host_lines("pie", "glibc");
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}

/// (e_type, has PT_INTERP) of an ELF file.
fn elf_shape(path: &Path) -> (u16, bool) {
    let elf = std::fs::read(path).expect("read program");
    assert_eq!(&elf[..4], b"\x7fELF", "{}", path.display());
    let phoff = u64::from_le_bytes(elf[32..40].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (usize::from(u16_at(&elf, 54)), usize::from(u16_at(&elf, 56)));
    let interp = (0..phnum).any(|i| {
        let at = phoff + i * phentsize;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) == 3
    });
    (u16_at(&elf, 16), interp)
}

/// The programs are what the tests claim: static ET_EXEC for both libcs,
/// and a static-pie ET_DYN without an interpreter.
#[test]
fn programs_are_static() {
    const ET_EXEC: u16 = 2;
    const ET_DYN: u16 = 3;
    cbuild::build();
    for libc in LIBCS {
        for name in cbuild::PROGRAMS {
            let path = cbuild::path(libc, name);
            assert_eq!(elf_shape(&path), (ET_EXEC, false), "{}", path.display());
        }
    }
    assert_eq!(
        elf_shape(&cbuild::path("glibc", "pie")),
        (ET_DYN, false),
        "pie"
    );
}

/// The fork+exec benchmark (`tinymm bench`) on the host: its result
/// lines between its markers, and usage errors.
#[test]
fn forkexec_on_the_host() {
    cbuild::build();
    let scratch = Scratch::new("forkexec");
    let truth = cbuild::path("glibc", "true");
    let args = [Path::new("3"), &truth];
    let run = run_host(&cbuild::path("glibc", "forkexec"), &args, &scratch.0);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert_eq!(
        (lines[0], lines[1], lines[4]),
        ("bench: begin", "forkexec: 3 iterations", "bench: end")
    );
    let number = |line: &str, prefix: &str, suffix: &str| -> u64 {
        let n = line
            .strip_prefix(prefix)
            .and_then(|l| l.strip_suffix(suffix));
        n.and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"))
    };
    assert!(number(lines[2], "forkexec: ", " ns") > 0);
    assert!(number(lines[3], "forkexec: tsc ", "") > 0);
    let failing = [Path::new("1"), Path::new("/nonexistent")];
    let run = run_host(&cbuild::path("glibc", "forkexec"), &failing, &scratch.0);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout
            .contains("forkexec: execve /nonexistent: No such file or directory\nforkexec: child status 0x7f00\n"),
        "{}",
        run.stdout
    );
    let run = run_host(&cbuild::path("glibc", "forkexec"), &[], &scratch.0);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(2), "usage: forkexec N PROGRAM\n")
    );
}

/// The pipe benchmark's output (`user/c/pipe.c`): its markers around the
/// byte count, the stamps' sum, CLOCK_MONOTONIC's and rdtsc's deltas.
/// Asserts the shape and the count; returns the sum.
fn pipe_result(printed: &[String], size: u64) -> u64 {
    let lines: Vec<&str> = printed.iter().map(String::as_str).collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert_eq!((lines[0], lines[5]), ("bench: begin", "bench: end"));
    assert_eq!(lines[1], format!("pipe: read {size} bytes"));
    let number = |line: &str, prefix: &str, suffix: &str| -> u64 {
        let n = line
            .strip_prefix(prefix)
            .and_then(|l| l.strip_suffix(suffix));
        n.and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{line}"))
    };
    assert!(number(lines[3], "pipe: ", " ns") > 0, "{lines:?}");
    assert!(number(lines[4], "pipe: tsc ", "") > 0, "{lines:?}");
    number(lines[2], "pipe: sum ", "")
}

/// The sizes the pipe benchmark is run with here, and the stamps' sum it
/// must print: the page numbers + 1 of every page offset with 8 bytes
/// after it (1 MiB: 256 pages; 100001 bytes: 25 stamps; 5 bytes: none).
const PIPE_SIZES: [(&str, u64, u64); 3] = [
    ("1M", 1 << 20, 256 * 257 / 2),
    ("100001", 100_001, 25 * 26 / 2),
    ("5", 5, 0),
];

/// The pipe benchmark (`tinymm bench`) on the host and on tinymm, with
/// small sizes: the same lines, byte counts and sums (not its speed).
#[test]
fn pipe_benchmark_on_the_host_and_tinymm() {
    cbuild::build();
    let program = cbuild::path("glibc", "pipe");
    let scratch = Scratch::new("pipe");
    for (arg, size, sum) in PIPE_SIZES {
        let run = run_host(&program, &[Path::new(arg)], &scratch.0);
        assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
        let printed: Vec<String> = run.stdout.lines().map(String::from).collect();
        assert_eq!(pipe_result(&printed, size), sum, "host, {arg}");
    }
    for bad in ["", "0", "1X", "-1"] {
        let run = run_host(&program, &[Path::new(bad)], &scratch.0);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (Some(2), "usage: pipe SIZE\n"),
            "{bad:?}"
        );
    }
    let mut script = String::new();
    for (arg, _, _) in PIPE_SIZES {
        script.push_str(&format!(
            "echo '=== begin /bin/pipe {arg}'\n/bin/pipe {arg}\necho \"=== end $?\"\n"
        ));
    }
    let add = format!("{}:/bin/pipe", program.display());
    let (status, out) = boot_with("256M", false, &script, &["--add", &add]);
    assert_eq!(status, 0, "script failed");
    let console = lines(&out);
    for (arg, size, sum) in PIPE_SIZES {
        let (printed, status) = program_output(&console, &format!("/bin/pipe {arg}"), true);
        assert_eq!(status, 0, "tinymm, {arg}: {printed:?}");
        assert_eq!(pipe_result(&printed, size), sum, "tinymm, {arg}");
    }
}

/// One program run inside a tinymm boot.
struct GuestRun {
    name: &'static str,
    /// `/bin/<name>-<libc>`.
    guest: String,
    args: Vec<String>,
}

/// Boots once with `programs` (name, libc) in `/bin` (and proc's files in
/// `/data`), runs each from the shell, and returns per program the lines
/// it printed and its exit status: for `hello` every line but the shell's
/// prompts, for the others the lines shaped as checks.
fn run_on_tinymm(programs: &[(&'static str, &str)]) -> Vec<(Vec<String>, i32)> {
    cbuild::build();
    let mut adds = Vec::new();
    let mut runs = Vec::new();
    for &(name, libc) in programs {
        let guest = format!("/bin/{name}-{libc}");
        adds.push(format!("{}:{guest}", cbuild::path(libc, name).display()));
        let mut args = Vec::new();
        if name == "proc" {
            let (script, nonelf) = cbuild::proc_files(libc, true);
            let gscript = format!("/data/proc-{libc}.sh");
            let gnonelf = format!("/data/nonelf-{libc}");
            adds.push(format!("{}:{gscript}", script.display()));
            adds.push(format!("{}:{gnonelf}", nonelf.display()));
            args = vec![gscript, gnonelf, "forkbomb".into()];
        }
        if TMPFS_DIR_PROGRAMS.contains(&name) {
            args = vec![format!("/tmp/{name}-{libc}")];
        }
        if name == "fifo" {
            args = vec!["/tmp".into()];
        }
        runs.push(GuestRun { name, guest, args });
    }
    let mut script = String::new();
    for run in &runs {
        script.push_str(&format!(
            "echo '=== begin {}'\n{} {}\necho \"=== end $?\"\n",
            run.guest,
            run.guest,
            run.args.join(" ")
        ));
    }
    let mut extra = Vec::new();
    for add in &adds {
        extra.push("--add");
        extra.push(add.as_str());
    }
    let (status, out) = boot_with("256M", false, &script, &extra);
    assert_eq!(status, 0, "script failed");
    let console = lines(&out);
    runs.iter()
        .map(|run| program_output(&console, &run.guest, run.name == "hello"))
        .collect()
}

/// The lines `guest` printed between its markers in the console, and its
/// exit status: every line but the shell's prompts if `all_lines`, else
/// those shaped as checks (leaving out the kernel's log lines).
fn program_output(console: &[&str], guest: &str, all_lines: bool) -> (Vec<String>, i32) {
    let begin = format!("=== begin {guest}");
    let start = console
        .iter()
        .position(|l| *l == begin)
        .unwrap_or_else(|| panic!("no {begin:?}"));
    let end = start
        + console[start..]
            .iter()
            .position(|l| l.starts_with("=== end "))
            .unwrap_or_else(|| panic!("{guest} never ended"));
    let status = console[end]["=== end ".len()..]
        .parse()
        .expect("exit status");
    let printed = console[start + 1..end]
        .iter()
        .filter(|l| {
            if all_lines {
                // Not the shell's prompts, not the kernel's log lines.
                !l.starts_with("# ") && !l.starts_with("tinymm: ")
            } else {
                is_program_line(l)
            }
        })
        .map(|l| l.to_string())
        .collect();
    (printed, status)
}

/// The console parsing above, on a console as tinymm's shell prints it.
#[test]
fn console_output_is_split_per_program() {
    let out = "# echo '=== begin /bin/a-glibc'\r\n=== begin /bin/a-glibc\r\n\
               # /bin/a-glibc x\r\ntraps: a-glibc[3] trap invalid opcode ip:401000\r\n\
               one_check: ok\r\nother: FAIL (r -1 errno 22)\r\n1 passed, 1 failed\r\n\
               # echo \"=== end $?\"\r\n=== end 1\r\n\
               # echo '=== begin /bin/hello-musl'\r\n=== begin /bin/hello-musl\r\n\
               # /bin/hello-musl\r\nhello, world\r\n# echo \"=== end $?\"\r\n=== end 0\r\n";
    let console = lines(out);
    assert_eq!(
        program_output(&console, "/bin/a-glibc", false),
        (
            vec![
                "one_check: ok".to_string(),
                "other: FAIL (r -1 errno 22)".to_string(),
                "1 passed, 1 failed".to_string()
            ],
            1
        )
    );
    assert_eq!(
        program_output(&console, "/bin/hello-musl", true),
        (vec!["hello, world".to_string()], 0)
    );
}

/// Runs `name` for both libcs on the host and in one tinymm boot, and
/// asserts that tinymm printed the same lines (with the fork-loop checks
/// only tinymm runs, for `proc`) and exited 0.
fn same_on_tinymm(name: &'static str) {
    let programs: Vec<(&'static str, &str)> = LIBCS.iter().map(|&libc| (name, libc)).collect();
    let guest = run_on_tinymm(&programs);
    for ((_, libc), (printed, status)) in programs.iter().zip(guest) {
        let mut expected = host_lines(name, libc);
        if name == "proc" {
            let (passed, _) = summary(&expected.pop().unwrap()).unwrap();
            expected.extend(FORKBOMB_CHECKS.iter().map(|l| l.to_string()));
            expected.push(format!(
                "{} passed, 0 failed",
                passed as usize + FORKBOMB_CHECKS.len()
            ));
        }
        assert_eq!(printed, expected, "{name} ({libc}) on tinymm vs Linux");
        assert_eq!(status, 0, "{name} ({libc}) exit status on tinymm");
    }
}

#[test]

fn hello_and_pie_on_tinymm() {
    let runs = run_on_tinymm(&[("hello", "glibc"), ("hello", "musl"), ("pie", "glibc")]);
    for (libc, (printed, status)) in LIBCS.iter().zip(&runs) {
        assert_eq!(printed, &["hello, world"], "hello ({libc})");
        assert_eq!(*status, 0, "hello ({libc})");
    }
    let (printed, status) = &runs[2];
    assert_eq!(
        printed,
        &host_lines("pie", "glibc"),
        "pie on tinymm vs Linux"
    );
    assert_eq!(*status, 0, "pie");
}

#[test]

fn proc_on_tinymm() {
    same_on_tinymm("proc");
}

#[test]

fn signal_on_tinymm() {
    same_on_tinymm("signal");
}

#[test]

fn thread_on_tinymm() {
    same_on_tinymm("thread");
}

#[test]

fn misc_on_tinymm() {
    same_on_tinymm("misc");
}

#[test]
fn pipes_on_tinymm() {
    same_on_tinymm("pipes");
}

#[test]
fn fifo_on_tinymm() {
    same_on_tinymm("fifo");
}

#[test]
fn vfs_on_tinymm() {
    same_on_tinymm("vfs");
}

#[test]
fn procfs_on_tinymm() {
    same_on_tinymm("procfs");
}

/// syslog(2) and /dev/kmsg on tinymm: the host's lines where the host
/// lets `kmsg` run, else every check passing.
#[test]
fn kmsg_on_tinymm() {
    let programs: Vec<(&'static str, &str)> = LIBCS.iter().map(|&libc| ("kmsg", libc)).collect();
    let guest = run_on_tinymm(&programs);
    for ((_, libc), (printed, status)) in programs.iter().zip(guest) {
        match kmsg_host_lines(libc) {
            Some(expected) => assert_eq!(printed, expected, "kmsg ({libc}) on tinymm vs Linux"),
            None => {
                let failed: Vec<&String> =
                    printed.iter().filter(|l| l.contains(": FAIL")).collect();
                assert!(failed.is_empty(), "kmsg ({libc}): {failed:?}");
                assert!(printed.len() > 40, "kmsg ({libc}): {printed:?}");
            }
        }
        assert_eq!(status, 0, "kmsg ({libc}) exit status on tinymm");
    }
}

#[test]
fn poll_on_tinymm() {
    same_on_tinymm("poll");
}

#[test]
fn tmpfs_on_tinymm() {
    same_on_tinymm("tmpfs");
}

#[test]
fn shmap_on_tinymm() {
    same_on_tinymm("shmap");
}

#[test]
fn mremap_on_tinymm() {
    same_on_tinymm("mremap");
}

/// Nothing is lost: after a warm-up round (the kernel heap keeps what it
/// grew to, as Linux's slab caches do), a second round of fork loops,
/// threads, signals and execs leaves free memory, the page-cache and
/// anonymous counters and the root memory cgroup's statistics exactly
/// where they were.
#[test]
fn nothing_is_lost_after_processes_threads_and_signals() {
    cbuild::build();
    let mut adds = Vec::new();
    for (name, libc) in [("proc", "glibc"), ("thread", "musl"), ("signal", "glibc")] {
        adds.push(format!(
            "{}:/bin/{name}-{libc}",
            cbuild::path(libc, name).display()
        ));
    }
    let (script, nonelf) = cbuild::proc_files("glibc", true);
    adds.push(format!("{}:/data/proc-glibc.sh", script.display()));
    adds.push(format!("{}:/data/nonelf-glibc", nonelf.display()));
    let round = "/bin/proc-glibc /data/proc-glibc.sh /data/nonelf-glibc forkbomb\n\
                 echo \"=== proc $?\"\n/bin/thread-musl\necho \"=== thread $?\"\n\
                 /bin/signal-glibc\necho \"=== signal $?\"\n";
    let snapshot = |tag: &str| {
        format!(
            "echo 3 > /proc/sys/vm/drop_caches\necho === {tag}\ncat /proc/meminfo\n\
             echo === stat.{tag}\ncat /sys/fs/cgroup/memory.stat\necho === .\n"
        )
    };
    let script = format!("{round}{}{round}{}", snapshot("before"), snapshot("after"));
    let mut extra = Vec::new();
    for add in &adds {
        extra.push("--add");
        extra.push(add.as_str());
    }
    let (status, out) = boot_with("256M", false, &script, &extra);
    assert_eq!(status, 0, "script failed");
    let out = lines(&out);
    for p in ["proc", "thread", "signal"] {
        let done = out.iter().filter(|l| **l == format!("=== {p} 0")).count();
        assert_eq!(done, 2, "{p} passed in both rounds");
    }
    let (before, after) = (
        section_numbers(&out, "before"),
        section_numbers(&out, "after"),
    );
    for k in ["MemFree", "Cached", "AnonPages", "Mapped", "PageTables"] {
        assert_eq!(after[k], before[k], "/proc/meminfo {k}");
    }
    let (sb, sa) = (
        section_numbers(&out, "stat.before"),
        section_numbers(&out, "stat.after"),
    );
    for k in [
        "anon",
        "file",
        "file_mapped",
        "inactive_anon",
        "active_anon",
    ] {
        assert_eq!(sa[k], sb[k], "root memory.stat {k}");
    }
}
