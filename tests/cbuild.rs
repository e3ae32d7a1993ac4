//! Builds the C test programs (`user/c/`) at test time: each source with
//! Debian's `gcc -static` and `musl-gcc -static` (and `pie.c` with
//! `gcc -static-pie` only: Debian's `musl-gcc -static-pie` links
//! dynamically) into `target/cprogs/<libc>/<name>`. A program is rebuilt
//! only when its source, the shared header or its command line changed
//! (a stamp beside the binary holds their hash).
//!
//! The host program includes this file too (`boot/src/main.rs`): `tinymm
//! bench` builds the benchmarks' programs ([`BENCH_PROGRAMS`], glibc
//! only) with [`build_bench`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The programs built with both C libraries.
pub const PROGRAMS: [&str; 18] = [
    "hello",
    "proc",
    "signal",
    "thread",
    "misc",
    "kmsg",
    "vfs",
    "poll",
    "fuzz",
    "tmpfs",
    "procfs",
    "pipes",
    "fifo",
    "shmap",
    "mremap",
    "swapcheck",
    "swappeak",
    "swapwalk",
];
/// The benchmarks' programs, built with glibc only: fork+exec, the
/// `true` it execs, the pipe transfer, the boot time's first command, and
/// the swap benchmark.
pub const BENCH_PROGRAMS: [&str; 5] = ["forkexec", "true", "pipe", "boottime", "swapbench"];
/// The C libraries, as directory names under `target/cprogs/`.
pub const LIBCS: [&str; 2] = ["glibc", "musl"];

/// The headers every program may include (part of each build's hash).
const HEADERS: [&str; 2] = ["check.h", "bench.h"];
const HINT: &str = "`make deps` installs gcc, libc6-dev and musl-tools";

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../user/c")
}

fn out_dir() -> PathBuf {
    match option_env!("CARGO_TARGET_TMPDIR") {
        // A test: CARGO_TARGET_TMPDIR is `<target dir>/tmp`.
        Some(tmp) => Path::new(tmp).parent().expect("target dir").join("cprogs"),
        // The host program, `<target dir>/<profile>/tinymm`.
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.parent()?.join("cprogs")))
            .unwrap_or_else(|| PathBuf::from("target/cprogs")),
    }
}

/// Where `name` built against `libc` lives (after [`build`]).
pub fn path(libc: &str, name: &str) -> PathBuf {
    out_dir().join(libc).join(name)
}

/// The files `proc` is given (after [`build`]): a `#!` script whose
/// interpreter is `proc` itself, at its host path (`guest` false) or at
/// `/bin/proc-<libc>` (`guest` true), and a non-ELF executable.
pub fn proc_files(libc: &str, guest: bool) -> (PathBuf, PathBuf) {
    let dir = out_dir().join(libc);
    let script = dir.join(if guest { "proc-guest.sh" } else { "proc.sh" });
    (script, dir.join("nonelf"))
}

/// Writes the files of [`proc_files`]. Done inside [`build`], before any
/// test spawns a process: a child forked while one of them is open for
/// writing would make its exec fail with ETXTBSY.
fn write_proc_files(libc: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let host = path(libc, "proc");
    let guest = format!("/bin/proc-{libc}");
    let (host_script, nonelf) = proc_files(libc, false);
    let (guest_script, _) = proc_files(libc, true);
    for (file, contents) in [
        (host_script, format!("#!{} --shebang\n", host.display())),
        (guest_script, format!("#!{guest} --shebang\n")),
        (nonelf, "this is not a program\n".to_string()),
    ] {
        if std::fs::read_to_string(&file).ok().as_deref() != Some(contents.as_str()) {
            std::fs::write(&file, contents).map_err(|e| format!("{}: {e}", file.display()))?;
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

/// One compiler run: (compiler, flags, source name, libc directory).
type Job = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

fn jobs() -> Vec<Job> {
    const STATIC: &[&str] = &["-static", "-O1", "-Wall", "-Wextra", "-pthread"];
    const STATIC_PIE: &[&str] = &["-static-pie", "-O1", "-Wall", "-Wextra", "-pthread"];
    let mut jobs = Vec::new();
    for name in PROGRAMS {
        jobs.push(("gcc", STATIC, name, "glibc"));
        jobs.push(("musl-gcc", STATIC, name, "musl"));
    }
    jobs.push(("gcc", STATIC_PIE, "pie", "glibc"));
    jobs
}

fn bench_jobs() -> Vec<Job> {
    const STATIC: &[&str] = &["-static", "-O2", "-Wall", "-Wextra"];
    BENCH_PROGRAMS
        .iter()
        .map(|&name| ("gcc", STATIC, name, "glibc"))
        .collect()
}

/// FNV-1a 64 over `parts`, each followed by a separator.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for part in parts {
        for &b in part.iter().chain(&[0xff]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    h
}

/// Builds every program that is missing or stale, compilers running in
/// parallel; once per test process. Panics with the compiler's message
/// (and how to install the compilers) on failure.
pub fn build() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(e) = BUILT.get_or_init(build_all) {
        panic!("{e}");
    }
}

fn build_all() -> Result<(), String> {
    compile(&jobs(), || {
        for libc in LIBCS {
            write_proc_files(libc)?;
        }
        Ok(())
    })?;
    build_bench()
}

/// Builds [`BENCH_PROGRAMS`] if missing or stale (for `tinymm bench`).
pub fn build_bench() -> Result<(), String> {
    compile(&bench_jobs(), || Ok(()))
}

/// Runs the compilers of the stale `jobs` in parallel; `meanwhile` runs
/// once they all started.
fn compile(jobs: &[Job], meanwhile: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    let src = source_dir();
    let mut header = Vec::new();
    for h in HEADERS {
        header.extend(std::fs::read(src.join(h)).map_err(|e| format!("{h}: {e}"))?);
    }
    for libc in LIBCS {
        std::fs::create_dir_all(out_dir().join(libc)).map_err(|e| e.to_string())?;
    }
    let mut running: Vec<(Child, PathBuf, PathBuf, String)> = Vec::new();
    for &(cc, flags, name, libc) in jobs {
        let source = src.join(format!("{name}.c"));
        let code = std::fs::read(&source).map_err(|e| format!("{}: {e}", source.display()))?;
        let out = path(libc, name);
        let stamp = out.with_extension("stamp");
        let hash = format!(
            "{:016x}\n",
            fnv1a(&[cc.as_bytes(), flags.join(" ").as_bytes(), &code, &header])
        );
        if out.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&hash) {
            continue;
        }
        let tmp = out.with_extension("tmp");
        let child = Command::new(cc)
            .args(flags)
            .arg("-o")
            .arg(&tmp)
            .arg(&source)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!("{cc} not found: {HINT}"),
                _ => format!("{cc}: {e}"),
            })?;
        running.push((child, tmp, out, hash));
    }
    meanwhile()?;
    let mut errors = Vec::new();
    for (child, tmp, out, hash) in running {
        let result = child.wait_with_output().map_err(|e| e.to_string())?;
        if !result.status.success() {
            errors.push(format!(
                "building {} failed ({}):\n{}{}",
                out.display(),
                result.status,
                String::from_utf8_lossy(&result.stdout),
                String::from_utf8_lossy(&result.stderr)
            ));
            continue;
        }
        std::fs::rename(&tmp, &out).map_err(|e| e.to_string())?;
        std::fs::write(out.with_extension("stamp"), hash).map_err(|e| e.to_string())?;
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n(a missing header or library? {HINT})",
            errors.join("\n")
        ))
    }
}
