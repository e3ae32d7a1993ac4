//! Boots tinymm in QEMU and checks the exit protocol, the console plumbing
//! and the exception paths. These rely on the console commands
//! `poweroff [N]`, `selftest int3`, `selftest pagefault` and
//! `selftest panic`.

mod common;

use common::{boot, boot_with, find_line, lines, script_file, tinymm};

#[test]
fn pvh_poweroff_gives_status_0() {
    let (status, output) = boot("128M", false, "exit\n");
    assert_eq!(status, 0);
    let lines = lines(&output);
    let ready = find_line(&lines, 0, "printk: console [ttyS0] enabled").expect("console line");
    let exit = find_line(&lines, ready, "tinymm: exit status 0").expect("exit line");
    assert_eq!(exit, lines.len() - 1, "exit status must be the last line");
}

#[test]
fn poweroff_status_reaches_the_host() {
    let (status, output) = boot("128M", false, "exit 3\n");
    assert_eq!(status, 3);
    assert!(output.contains("tinymm: exit status 3"));
    let (status, _) = boot("128M", false, "exit 255\n");
    assert_eq!(status, 255);
}

#[test]
fn uefi_boot_works() {
    let (status, output) = boot("256M", true, "exit 7\n");
    assert_eq!(status, 7);
    assert!(output.contains("printk: console [ttyS0] enabled"));
}

#[test]
fn int3_is_reported_and_returns() {
    let (status, output) = boot(
        "128M",
        false,
        "echo int3 > /sys/kernel/debug/tinymm/selftest\nexit 0\n",
    );
    assert_eq!(status, 0);
    let lines = lines(&output);
    let hit = find_line(&lines, 0, "int3: breakpoint at RIP=0xffffffff8").expect("int3 line");
    let back = find_line(&lines, hit, "int3: returned").expect("returned line");
    assert!(find_line(&lines, back, "tinymm: exit status 0").is_some());
}

#[test]
fn kernel_page_fault_fails_the_run() {
    let (status, output) = boot(
        "128M",
        false,
        "echo pagefault > /sys/kernel/debug/tinymm/selftest\nexit 0\n",
    );
    assert_eq!(status, 125);
    let lines = lines(&output);
    let fault = find_line(&lines, 0, "vector 14 (page fault)").expect("vector line");
    assert!(lines[fault].contains("CR2=0xdead000"), "{}", lines[fault]);
    assert!(lines[fault].contains("RIP=0xffffffff8"), "{}", lines[fault]);
    // Kernel-mode write to a not-present page: P=0, W=1, U=0.
    assert!(lines[fault].contains("error_code=0x2 "), "{}", lines[fault]);
    assert!(find_line(&lines, fault, "tinymm: kernel failure").is_some());
    assert!(
        !output.contains("tinymm: exit status"),
        "ran past the fault"
    );
}

#[test]
fn panic_fails_the_run() {
    let (status, output) = boot(
        "128M",
        false,
        "echo panic > /sys/kernel/debug/tinymm/selftest\nexit 0\n",
    );
    assert_eq!(status, 125);
    let lines = lines(&output);
    let panic = find_line(&lines, 0, "Kernel panic - not syncing: ").expect("panic line");
    assert!(find_line(&lines, panic, "tinymm: kernel failure").is_some());
    assert!(!output.contains("tinymm: exit status"));
}

#[test]
fn script_without_poweroff_ends_with_its_last_status() {
    // The host sends `exit` after the script's bytes (no final newline
    // here), so the run ends with the last command's status: 127 for a
    // command that is not found.
    let (status, output) = boot("128M", false, "echo hi\nno-such-command");
    assert_eq!(status, 127, "{output}");
    assert!(output.contains("tinymm: exit status 127"));
}

#[test]
fn a_run_past_its_timeout_is_killed() {
    let script = script_file("");
    let (status, _, stderr) = tinymm(&[
        "run",
        "--script",
        script.to_str().unwrap(),
        "--timeout",
        "0.01",
    ]);
    assert_eq!(status, 124);
    assert!(stderr.contains("timeout"), "{stderr}");
}

#[test]
fn bad_arguments_are_rejected() {
    let (status, _, stderr) = tinymm(&["run", "--smp", "zero"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("--smp"), "{stderr}");
}

#[test]
fn elf_prints_the_kernel_path() {
    let (status, stdout, _) = tinymm(&["elf"]);
    assert_eq!(status, 0);
    let path = stdout.trim();
    let elf = std::fs::read(path).expect("kernel ELF exists");
    assert_eq!(&elf[..4], b"\x7fELF");
}

#[test]
fn piped_stdin_reaches_the_console() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tinymm"))
        .args(["run", "--timeout", common::TIMEOUT_SECS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run tinymm");
    // Written at once, before the kernel is up: the host must hold it back
    // until the console is ready or the UART reset would drop it.
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"echo int3 > /sys/kernel/debug/tinymm/selftest\nexit 6\n")
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().expect("wait for tinymm");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert_eq!(output.status.code(), Some(6));
    assert!(stdout.contains("int3: returned"));
}

#[test]
fn missing_qemu_gives_126() {
    let script = script_file("exit\n");
    let (status, _, stderr) = {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tinymm"))
            .args([
                "run",
                "--script",
                script.to_str().unwrap(),
                "--timeout",
                "30",
            ])
            .env("PATH", env!("CARGO_TARGET_TMPDIR"))
            .output()
            .expect("run tinymm");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), (), stderr)
    };
    assert_eq!(status, Some(126), "{stderr}");
    assert!(
        stderr.contains("cannot start qemu-system-x86_64"),
        "{stderr}"
    );
}

/// `--append` is QEMU's `-append`: the kernel logs it as Linux does
/// ("Command line: ..."), /proc/cmdline shows it, and what the kernel
/// does not know goes to init as Linux's `unknown_bootoption` sends it:
/// `a=b` into the environment (quotes dropped), bare words into argv,
/// names with a dot (module parameters) nowhere; `console=` and
/// `loglevel=` are the kernel's.
#[test]
fn command_line_reaches_proc_and_init() {
    let cmdline = r#"console=ttyS0 FOO=bar single mod.x=1 BAR="a b" loglevel=7 TERM=vt100"#;
    let script = "cat /proc/cmdline\necho \"env FOO=$FOO BAR=$BAR TERM=$TERM\"\n\
                  tr '\\0' ' ' < /proc/1/cmdline; echo\n\
                  tr '\\0' '\\n' < /proc/1/environ | sort | tr '\\n' ' '; echo\nexit 0\n";
    let (status, output) = boot_with("128M", false, script, &["--append", cmdline]);
    assert_eq!(status, 0);
    let lines = lines(&output);
    let logged = find_line(&lines, 0, "Command line: ").expect("Command line line");
    assert_eq!(lines[logged], format!("Command line: {cmdline}"));
    let proc = find_line(&lines, logged + 1, "console=ttyS0 FOO").expect("/proc/cmdline");
    assert_eq!(lines[proc], cmdline);
    assert_eq!(lines[proc + 1], "env FOO=bar BAR=a b TERM=vt100");
    // /init is a #! script: the kernel ran `/bin/sh /init single`.
    assert_eq!(lines[proc + 2], "/bin/sh /init single ");
    assert_eq!(
        lines[proc + 3],
        "BAR=a b FOO=bar HOME=/ TERM=vt100 ",
        "init's environment"
    );
}

/// Without a command line /proc/cmdline is one empty line, and init
/// gets Linux's `envp_init` alone.
#[test]
fn empty_command_line() {
    let script = "echo \"[$(cat /proc/cmdline)]\"\n\
                  tr '\\0' ' ' < /proc/1/environ; echo\nexit 0\n";
    let (status, output) = boot("128M", false, script);
    assert_eq!(status, 0);
    let lines = lines(&output);
    let at = find_line(&lines, 0, "[]").expect("empty /proc/cmdline");
    assert_eq!(lines[at + 1], "HOME=/ TERM=linux ");
    assert!(find_line(&lines, 0, "Command line: ").is_some());
}

/// `rdinit=` that is not there is skipped, and an `init=` that cannot
/// run panics as Linux's `kernel_init` does.
#[test]
fn requested_init_that_fails_panics() {
    let (status, output) = boot_with(
        "128M",
        false,
        "exit 0\n",
        &["--append", "rdinit=/nonexistent init=/bin/nonexistent"],
    );
    assert_eq!(status, 125);
    assert!(
        output.contains(
            "Kernel panic - not syncing: Requested init /bin/nonexistent failed (error -2)."
        ),
        "{output}"
    );
    assert!(!output.contains("Run /init as init process"), "{output}");
}

/// More than 32 environment words: Linux's "Too many boot env vars".
#[test]
fn too_many_boot_env_vars_panic() {
    let words: Vec<String> = (0..33).map(|i| format!("V{i}=1")).collect();
    let cmdline = words.join(" ");
    let (status, output) = boot_with("128M", false, "exit 0\n", &["--append", &cmdline]);
    assert_eq!(status, 125);
    assert!(
        output.contains("Kernel panic - not syncing: Too many boot env vars at `V30=1'"),
        "{output}"
    );
}
