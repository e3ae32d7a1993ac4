//! Starting and ending userland as Linux does: the kernel execs /init (the
//! busybox initramfs of `--init busybox`) as pid 1 with the console on
//! fds 0-2; init's exit powers off with its status; reboot(2) behind
//! `poweroff -f`, `reboot -f` and `halt -f`; signals to pid 1 with the
//! default action are dropped; piped input ends with end of file. Without
//! /init the kernel tries Linux's fallbacks, then panics as Linux does.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{TIMEOUT_SECS, boot_with, find_line, lines, tinymm};

/// Boots busybox as /init with `script` as /scenario.
fn busybox(script: &str) -> (i32, String) {
    boot_with("128M", false, script, &[])
}

/// The output lines of section `name` (common::section), without the
/// kernel's own log lines (`tinymm: ...`: unimplemented syscalls).
fn section<'a>(out: &'a [&'a str], name: &str) -> Vec<&'a str> {
    common::section(out, name)
        .into_iter()
        .filter(|l| !l.starts_with("tinymm: "))
        .collect()
}

/// Runs `tinymm run` with `args` and `input` piped to its stdin.
fn piped(args: &[&str], input: &[u8]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tinymm"))
        .args(["run", "--timeout", TIMEOUT_SECS])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run tinymm");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let output = child.wait_with_output().expect("wait for tinymm");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    println!("--- console ---\n{stdout}");
    (output.status.code().unwrap_or(-1), stdout)
}

#[test]
fn the_scenario_status_is_the_run_status() {
    let (status, out) = busybox("echo pid $PPID\nexit 3\n");
    assert_eq!(status, 3);
    let lines = lines(&out);
    let run = find_line(&lines, 0, "Run /init as init process").expect("run_init_process line");
    // /scenario's parent is /init, pid 1.
    let pid = find_line(&lines, run, "pid 1").expect("scenario output");
    let died = find_line(
        &lines,
        pid,
        "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300",
    )
    .expect("Linux's line for init's exit");
    assert_eq!(lines[died + 1], "tinymm: exit status 3");
    assert_eq!(died + 2, lines.len());

    // A script that ends by itself: its last command's status.
    let (status, out) = busybox("echo x\nfalse\n");
    assert_eq!(status, 1);
    assert!(out.contains("exitcode=0x00000100"));
    // A clean end is a power-off, which Linux does too.
    let (status, out) = busybox("true\n");
    assert_eq!(status, 0);
    assert!(out.contains("reboot: Power down\r\ntinymm: exit status 0"));
    assert!(!out.contains("Attempted to kill init"));
}

#[test]
fn poweroff_reboot_and_halt_end_the_run_with_0() {
    for (command, line) in [
        ("poweroff -f", "reboot: Power down"),
        ("reboot -f", "reboot: Restarting system"),
        ("halt -f", "reboot: System halted"),
    ] {
        let (status, out) = busybox(&format!("echo before\n{command}\necho after\nexit 9\n"));
        assert_eq!(status, 0, "{command}");
        let lines = lines(&out);
        let before = find_line(&lines, 0, "before").expect("before");
        let end = find_line(&lines, before, line).expect(line);
        assert_eq!(&lines[end + 1..], ["tinymm: exit status 0"], "{command}");
        assert!(!out.contains("after"), "{command} returned");
    }
}

/// reboot(2) refuses bad magic numbers and unknown commands with EINVAL,
/// as Linux does, and returns 0 for the Ctrl-Alt-Del switches.
#[test]
fn reboot_syscall_checks_its_arguments() {
    let (status, out) = busybox("syscheck reboot\n");
    assert_eq!(status, 0);
    let lines = lines(&out);
    let got: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("reboot: ") && !l.contains("Power down"))
        .copied()
        .collect();
    assert_eq!(
        got,
        [
            "reboot: magic1 EINVAL",
            "reboot: magic2 EINVAL",
            "reboot: cmd EINVAL",
            "reboot: cad_off 0x0",
            "reboot: cad_on 0x0",
        ]
    );
}

/// SIGKILL, SIGTERM and SIGSTOP from a child to pid 1, whose actions are
/// the defaults, do nothing (`SIGNAL_UNKILLABLE`); kill(2) still succeeds.
#[test]
fn signals_to_init_are_dropped() {
    let (status, out) = busybox(
        "sh -c 'kill -9 1; echo kill=$?'\nkill -TERM 1; kill -STOP 1; echo term=$?\n\
         sleep 0.2\ngrep State /proc/1/status\necho alive\n",
    );
    assert_eq!(status, 0);
    let lines = lines(&out);
    let kill = find_line(&lines, 0, "kill=0").expect("kill -9 1 succeeds");
    let term = find_line(&lines, kill, "term=0").expect("kill -TERM/-STOP 1 succeed");
    let state = find_line(&lines, term, "State:").expect("init's state");
    assert!(lines[state].contains("S (sleeping)"), "{}", lines[state]);
    assert!(find_line(&lines, state, "alive").is_some());
    assert!(!out.contains("Attempted to kill init"));
}

/// Piped input without `exit`: the host sends ^D at its end, the shell
/// reads end of file, and the run powers off with its status.
#[test]
fn piped_input_ends_the_run() {
    let (status, out) = piped(&[], b"echo piped-$((6 * 7))\n");
    assert_eq!(status, 0);
    assert!(out.contains("\npiped-42\r\n"), "command output");
    assert!(out.ends_with("reboot: Power down\r\ntinymm: exit status 0\r\n"));
    // A last line without a newline still runs; its status ends the run.
    let (status, out) = piped(&[], b"echo a\nsh -c 'exit 4'");
    assert_eq!(status, 4);
    assert!(out.contains("exitcode=0x00000400"));
    // A last command's failure is the run's status.
    let (status, _) = piped(&[], b"echo x\nfalse\n");
    assert_eq!(status, 1);
}

/// Nothing is mounted but the root until /init mounts proc, sysfs and
/// cgroup2, and tmpfs and devtmpfs where /proc/filesystems lists them.
#[test]
fn proc_mounts_are_the_ones_init_made() {
    let (status, out) =
        busybox("echo '=== mounts'\ncat /proc/mounts\necho '=== fs'\ncat /proc/filesystems\n");
    assert_eq!(status, 0);
    let lines = lines(&out);
    let fs = section(&lines, "fs");
    let has = |name: &str| fs.iter().any(|l| l.split_whitespace().last() == Some(name));
    assert!(has("proc") && has("sysfs") && has("cgroup2"), "{fs:?}");
    let mounts: Vec<[&str; 3]> = section(&lines, "mounts")
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            [f[0], f[1], f[2]]
        })
        .collect();
    let mut want = vec![
        ["rootfs", "/", "rootfs"],
        ["proc", "/proc", "proc"],
        ["sysfs", "/sys", "sysfs"],
        ["cgroup2", "/sys/fs/cgroup", "cgroup2"],
    ];
    if has("tmpfs") {
        want.push(["tmpfs", "/tmp", "tmpfs"]);
    }
    if has("devtmpfs") {
        want.push(["devtmpfs", "/dev", "devtmpfs"]);
    }
    assert_eq!(mounts, want);
}

/// busybox applets the issue names, each with its output's first lines.
#[test]
fn busybox_applets_run() {
    let (status, out) = busybox(
        "echo '=== head'\ncat /proc/meminfo | head -1\n\
         echo '=== ls'\nls -l /\n\
         echo '=== mount'\nmount\n\
         echo '=== id'\nid\n\
         echo '=== readlink'\nreadlink /bin/sh; readlink /proc/self/exe\n\
         echo '=== env'\nenv | sort\n",
    );
    assert_eq!(status, 0);
    let lines = lines(&out);
    let head = section(&lines, "head");
    assert_eq!(head.len(), 1);
    assert!(head[0].starts_with("MemTotal: "), "{head:?}");
    let ls = section(&lines, "ls");
    for (entry, kind) in [
        (" bin", "d"),
        (" init", "-rwxr-xr-x"),
        (" scenario", "-rw-r--r--"),
        (" linuxrc -> /bin/busybox", "lrwxrwxrwx"),
        (" usr", "d"),
        (" sbin", "d"),
    ] {
        assert!(
            ls.iter().any(|l| l.ends_with(entry) && l.starts_with(kind)),
            "ls -l /: no {kind} {entry} in {ls:?}"
        );
    }
    assert_eq!(
        &section(&lines, "mount")[1..4],
        [
            "proc on /proc type proc (rw,relatime)",
            "sysfs on /sys type sysfs (rw,relatime)",
            "cgroup2 on /sys/fs/cgroup type cgroup2 (rw,relatime)",
        ]
    );
    assert_eq!(section(&lines, "id"), ["uid=0 gid=0"]);
    // Applet links point at busybox, which is what /proc/self/exe names.
    assert_eq!(
        section(&lines, "readlink"),
        ["/bin/busybox", "/bin/busybox"]
    );
    // init's environment (Linux's envp_init and /init's PATH) reaches the
    // scenario; ash adds PWD and SHLVL.
    let env = section(&lines, "env");
    for var in ["HOME=/", "TERM=linux", "PATH=/sbin:/usr/sbin:/bin:/usr/bin"] {
        assert!(env.contains(&var), "{var} not in {env:?}");
    }
}

/// Without /init (`--init none`: no userland) the kernel tries Linux's
/// fallbacks in Linux's order, logging each, and panics as Linux does.
#[test]
fn without_init_the_kernel_panics_as_linux() {
    let (status, out, _) = tinymm(&["run", "--init", "none", "--timeout", TIMEOUT_SECS]);
    println!("--- console ---\n{out}");
    assert_eq!(status, 125, "a kernel panic is a kernel failure");
    let lines = lines(&out);
    let mut at = 0;
    for init in ["/sbin/init", "/etc/init", "/bin/init", "/bin/sh"] {
        at = find_line(&lines, at, &format!("Run {init} as init process"))
            .unwrap_or_else(|| panic!("{init} was not tried"));
    }
    assert!(!out.contains("Run /init as init process"));
    assert!(
        lines[at + 1].starts_with(
            "Kernel panic - not syncing: No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance."
        ),
        "{:?}",
        lines[at + 1]
    );
}

/// A fallback that is there but cannot run is reported (Linux's
/// "exists but couldn't execute it") and the next one runs: busybox as
/// /bin/sh, reading the console.
#[test]
fn a_fallback_init_runs_when_there_is_no_init() {
    let garbage = std::env::temp_dir().join(format!("tinymm-garbage-{}", std::process::id()));
    std::fs::write(&garbage, "not a program\n").unwrap();
    std::fs::set_permissions(
        &garbage,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let sbin_init = format!("{}:/sbin/init", garbage.display());
    let (status, out) = piped(
        &[
            "--init",
            "none",
            "--add",
            &sbin_init,
            "--add",
            "/bin/busybox:/bin/sh",
        ],
        b"echo fallback-$((2 + 3)) $$\nexit 7\n",
    );
    std::fs::remove_file(&garbage).unwrap();
    assert_eq!(status, 7);
    let lines = lines(&out);
    let tried = find_line(
        &lines,
        0,
        "Starting init: /sbin/init exists but couldn't execute it (error -8)",
    )
    .expect("ENOEXEC reported");
    let sh = find_line(&lines, tried, "Run /bin/sh as init process").expect("/bin/sh tried");
    find_line(&lines, sh, "fallback-5 1").expect("sh runs as pid 1");
    assert!(!out.contains("No working init found"));
}
