//! Shared harness for the end-to-end tests: boot tinymm in QEMU through the
//! `tinymm` host program and capture what the console printed.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Generous for TCG on a loaded 2-CPU machine; a boot takes ~2 s.
pub const TIMEOUT_SECS: &str = "120";

/// Writes `script` to a fresh file for `--script`.
pub fn script_file(script: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "script-{}-{}.sh",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, script).expect("write script");
    path
}

/// Runs `tinymm` with `args`; returns (exit status, stdout, stderr).
pub fn tinymm(args: &[&str]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_tinymm"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run tinymm");
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let code = status.code().unwrap_or(-1);
    (code, stdout, stderr)
}

/// Boots with `mem` of RAM (BIOS, or UEFI if `uefi`), feeds `script` to the
/// console, and returns `tinymm run`'s exit status and the console output.
pub fn boot(mem: &str, uefi: bool, script: &str) -> (i32, String) {
    boot_with(mem, uefi, script, &[])
}

/// `boot` with extra `tinymm run` options (e.g. `--gen /data/f:32M`).
pub fn boot_with(mem: &str, uefi: bool, script: &str, extra: &[&str]) -> (i32, String) {
    let script = script_file(script);
    let script = script.to_str().expect("utf-8 path");
    let mut args = vec![
        "run",
        "--mem",
        mem,
        "--script",
        script,
        "--timeout",
        TIMEOUT_SECS,
    ];
    if uefi {
        args.push("--uefi");
    }
    args.extend_from_slice(extra);
    let (status, stdout, stderr) = tinymm(&args);
    // Make failures readable: libtest shows this only for failing tests.
    println!("--- console (status {status}) ---\n{stdout}\n--- stderr ---\n{stderr}");
    (status, stdout)
}

/// Lines of `output` without the serial `\r`.
pub fn lines(output: &str) -> Vec<&str> {
    output.lines().map(|l| l.trim_end_matches('\r')).collect()
}

/// Index of the first line containing `needle` at or after `from`.
pub fn find_line(output: &[&str], from: usize, needle: &str) -> Option<usize> {
    output
        .iter()
        .skip(from)
        .position(|l| l.contains(needle))
        .map(|i| i + from)
}

/// The `fault` modes that end in a CPU exception other than #PF, with the
/// signal each dies of on Linux (tests/user.rs checks it on the host) and
/// the text of the `traps:` line Linux's traps.c logs for it (`None`:
/// `math_error` and the #DB path log none).
pub const FAULT_EXCEPTIONS: [(&str, i32, Option<&str>); 8] = [
    ("ud2", 4, Some("trap invalid opcode")),
    ("div0", 8, Some("trap divide error")),
    ("cli", 11, Some("general protection fault")),
    ("int3", 5, Some("trap int3")),
    ("sse", 8, None),
    ("x87", 8, None),
    ("ac", 7, Some("trap alignment check")),
    ("step", 5, None),
];

/// The output lines between `=== name` and the next `===` line,
/// without the echoed commands.
pub fn section<'a>(out: &'a [&'a str], name: &str) -> Vec<&'a str> {
    let start = out
        .iter()
        .position(|l| *l == format!("=== {name}"))
        .unwrap_or_else(|| panic!("no section {name}"));
    out[start + 1..]
        .iter()
        .take_while(|l| !l.starts_with("===") && !l.starts_with("# echo ==="))
        .filter(|l| !l.starts_with("# "))
        .copied()
        .collect()
}

/// `key value` lines of a section (/proc/meminfo, memory.stat) as numbers.
pub fn section_numbers(out: &[&str], name: &str) -> std::collections::BTreeMap<String, u64> {
    section(out, name)
        .iter()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((
                w.next()?.trim_end_matches(':').to_string(),
                w.next()?.parse().ok()?,
            ))
        })
        .collect()
}

/// Script lines printing the sections `stat.TAG` (the memory.stat of the
/// cgroup directory `cg`) and `mem.TAG` (/proc/meminfo).
pub fn memcg_snapshot(cg: &str, tag: &str) -> String {
    format!(
        "echo === stat.{tag}\ncat {cg}/memory.stat\n\
         echo === mem.{tag}\ncat /proc/meminfo\necho === .\n"
    )
}
