//! Interactive use through a pty, typed as a user types: `tinymm run
//! --init busybox` runs under util-linux `script`, so its stdin and
//! stdout are a pseudo-terminal and it takes its terminal path (QEMU owns
//! the terminal, in raw mode, through its multiplexer, which passes ^C
//! and ^Z to the guest). Busybox ash's line editing (cursor keys, history,
//! backspace) works in /init's shell, and ^D on an empty line ends the
//! run with status 0. In `setsid -c sh` (a session whose controlling
//! terminal is the console: job control) ^C interrupts `sleep 100`, ^Z
//! stops it, and `jobs`, `bg`, `fg` print what the same busybox prints
//! under a pty of the host's Linux, byte for byte; `exit` ends the run
//! with status 0.

mod common;

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BUSYBOX: &str = "/bin/busybox";
/// ash's prompt for root in `/` (PS1 `\w \$ `), then the cursor-position
/// query of its line editing, which nobody answers here.
const PROMPT: &str = "/ # \x1b[6n";
const LONG: Duration = Duration::from_secs(60);
/// Time for ash to fork and exec a command typed before a key that
/// signals it (^C, ^Z), so that the key meets the command, not ash.
const SETTLE: Duration = Duration::from_secs(3);

/// `command` (a shell command line) on the slave side of a fresh pty
/// (`script -qfec`), whose master we type into and read.
struct Pty {
    child: Child,
    stdin: ChildStdin,
    out: Arc<Mutex<String>>,
    /// Where the next [`Pty::wait_for`] starts looking.
    at: usize,
}

impl Pty {
    fn spawn(command: &str, dir: &str) -> Self {
        let mut child = Command::new("script")
            .args(["-qfec", command, "/dev/null"])
            .current_dir(dir)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            // /init's environment (and a HOME without a history file).
            .env("HOME", "/nonexistent")
            .env("TERM", "linux")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its own process group, so that a failed test can end it;
            // the pty's hang-up then ends what runs on it.
            .process_group(0)
            .spawn()
            .expect("run util-linux script");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let out = Arc::new(Mutex::new(String::new()));
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Self {
            child,
            stdin,
            out,
            at: 0,
        }
    }

    /// `tinymm run --init busybox` on a pty.
    fn tinymm() -> Self {
        assert!(
            std::path::Path::new(BUSYBOX).exists(),
            "{BUSYBOX} missing (make deps installs busybox-static)"
        );
        let command = format!(
            "'{}' run --init busybox --timeout {}",
            env!("CARGO_BIN_EXE_tinymm"),
            common::TIMEOUT_SECS
        );
        Self::spawn(&command, env!("CARGO_TARGET_TMPDIR"))
    }

    fn type_bytes(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits until the output after the last match contains `needle`;
    /// the output from there to the end of `needle`.
    fn wait_for(&mut self, needle: &str, timeout: Duration) -> Option<String> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            let out = self.output();
            if let Some(i) = out[self.at..].find(needle) {
                let end = self.at + i + needle.len();
                let seen = out[self.at..end].to_string();
                self.at = end;
                return Some(seen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Types `keys` and returns what the terminal shows until the next
    /// prompt, the prompt included.
    fn step(&mut self, keys: &[u8]) -> String {
        self.type_bytes(keys);
        self.wait_for(PROMPT, LONG).unwrap_or_else(|| {
            panic!(
                "no prompt after {:?}; the terminal shows {:?}",
                String::from_utf8_lossy(keys),
                self.output()
            )
        })
    }

    /// Waits for the run to end (at most `timeout`); its exit status.
    fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// What the terminal shows. QEMU leaves output processing on when
    /// it puts the terminal in raw mode, so the pty turns the guest
    /// tty's `\r\n` into `\r\r\n`; the extra `\r` is the host's, and
    /// goes.
    fn output(&self) -> String {
        self.out.lock().unwrap().replace("\r\r\n", "\r\n")
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.child.wait();
        }
        println!("--- terminal ---\n{:?}", self.output());
    }
}

/// What a step printed, less the prompt at its end.
fn shown(step: &str) -> &str {
    step.strip_suffix(PROMPT).unwrap()
}

#[test]
fn line_editing_history_and_ctrl_d_in_init_shell() {
    let mut pty = Pty::tinymm();
    pty.wait_for(PROMPT, LONG).expect("/init's shell's prompt");
    // ESC [ D moves the cursor left over the `o`; the `l` goes in before
    // it, and ash redraws the rest of the line (`lo`, backspace).
    let step = pty.step(b"echo helo\x1b[Dl\r");
    assert_eq!(shown(&step), "echo helo\x08lo\x08o\r\nhello\r\n");
    // ESC [ A brings the last line back: ash redraws the prompt with it
    // and clears the rest of the screen (ESC [ J).
    let step = pty.step(b"\x1b[A\r");
    assert_eq!(shown(&step), "\r/ # echo hello\x1b[J\r\nhello\r\n");
    // DEL (the backspace key) erases the `x`.
    let step = pty.step(b"echo abcx\x7fd\r");
    assert_eq!(shown(&step), "echo abcx\x08\x1b[Jd\r\nabcd\r\n");
    // ^U (kill the line) before Enter: nothing runs.
    let step = pty.step(b"echo gone\x15echo kept\r");
    assert!(
        step.ends_with("echo kept\r\nkept\r\n/ # \x1b[6n"),
        "{step:?}"
    );
    assert!(!step.contains("\ngone"), "{step:?}");
    // ^D on an empty line: end of input, /init's sh exits 0 and /init
    // powers off.
    let typed = Instant::now();
    pty.type_bytes(b"\x04");
    let status = pty.wait_exit(Duration::from_secs(30));
    let took = typed.elapsed();
    assert_eq!(status, Some(0), "the run's status after ^D");
    assert!(took < Duration::from_secs(10), "^D took {took:?}");
    assert!(
        pty.output()
            .contains("reboot: Power down\r\ntinymm: exit status 0\r\n")
    );
}

/// The job-control keystrokes and what each prints, run the same way on
/// tinymm's console and on a host pty: ^C, then ^Z, `jobs`, `bg`, `jobs`,
/// `fg`, ^C, and `$?` after each ^C.
fn job_control(pty: &mut Pty) -> Vec<String> {
    let mut shown_steps = Vec::new();
    let mut run = |pty: &mut Pty, keys: &[u8]| shown_steps.push(shown(&pty.step(keys)).to_string());
    // `sleep 100` in the foreground; the ^C meets it, not ash.
    pty.type_bytes(b"sleep 100\r");
    pty.wait_for("sleep 100\r\n", LONG).expect("sleep's echo");
    std::thread::sleep(SETTLE);
    let typed = Instant::now();
    run(pty, b"\x03");
    let took = typed.elapsed();
    assert!(took < Duration::from_secs(10), "^C took {took:?}");
    run(pty, b"echo rc=$?\r");
    pty.type_bytes(b"sleep 100\r");
    pty.wait_for("sleep 100\r\n", LONG).expect("sleep's echo");
    std::thread::sleep(SETTLE);
    for keys in [&b"\x1a"[..], b"jobs\r", b"bg\r", b"jobs\r"] {
        run(pty, keys);
    }
    pty.type_bytes(b"fg\r");
    pty.wait_for("fg\r\nsleep 100\r\n", LONG)
        .expect("fg's line");
    std::thread::sleep(SETTLE);
    run(pty, b"\x03");
    run(pty, b"echo rc=$?\r");
    shown_steps
}

#[test]
fn job_control_in_a_session_on_the_console_as_on_linux() {
    let mut host = Pty::spawn(&format!("{BUSYBOX} sh -i"), "/");
    host.wait_for(PROMPT, LONG).expect("the host's ash prompt");
    let on_host = job_control(&mut host);
    host.type_bytes(b"exit\r");
    assert_eq!(host.wait_exit(LONG), Some(0));

    let mut pty = Pty::tinymm();
    let banner = pty.wait_for(PROMPT, LONG).expect("/init's shell's prompt");
    // /dev/console is nobody's controlling terminal, as on Linux.
    assert!(
        banner.contains("sh: can't access tty; job control turned off\r\n"),
        "{banner:?}"
    );
    // A new session with the console as its controlling terminal: ash
    // takes the foreground (TIOCSPGRP) and turns job control on.
    let step = pty.step(b"exec setsid -c sh\r");
    assert!(step.contains("built-in shell (ash)"), "{step:?}");
    assert!(!step.contains("job control turned off"), "{step:?}");
    let step = pty.step(b"echo flags=$-\r");
    assert_eq!(shown(&step), "echo flags=$-\r\nflags=smi\r\n");
    let on_tinymm = job_control(&mut pty);

    assert_eq!(
        on_tinymm,
        [
            "^C\r\n",
            "echo rc=$?\r\nrc=130\r\n",
            "^Z[1]+  Stopped                    sleep 100\r\n",
            "jobs\r\n[1]+  Stopped                    sleep 100\r\n",
            "bg\r\n[1] sleep 100\r\n",
            "jobs\r\n[1]+  Running                    sleep 100\r\n",
            "^C\r\n",
            "echo rc=$?\r\nrc=130\r\n",
        ]
    );
    assert_eq!(on_tinymm, on_host, "tinymm's lines against the host's");

    // `exit` ends the session's shell, which /init waits for: power-off.
    let typed = Instant::now();
    pty.type_bytes(b"exit\r");
    let status = pty.wait_exit(Duration::from_secs(30));
    let took = typed.elapsed();
    assert_eq!(status, Some(0), "the run's status after exit");
    assert!(took < Duration::from_secs(10), "exit took {took:?}");
}

/// Piped input (not a terminal) that ends without `exit`: the host turns
/// its end into ^D, /init's shell reads end of file at its prompt, and
/// the run powers off at once with status 0.
#[test]
fn piped_input_ending_without_exit_powers_off_at_once() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tinymm"))
        .args([
            "run",
            "--init",
            "busybox",
            "--timeout",
            common::TIMEOUT_SECS,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run tinymm");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            // ash asks for the cursor position only with no input
            // pending, so this prompt ends without the query.
            if out.windows(4).any(|w| w == b"/ # ") {
                let _ = tx.send(());
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    });
    stdin.write_all(b"echo piped-$((6 * 7))\n").unwrap();
    drop(stdin);
    // The clock starts at the prompt, where end of file can be read.
    rx.recv_timeout(LONG).expect("/init's shell's prompt");
    let prompt = Instant::now();
    let status = child.wait().expect("tinymm exits");
    let took = prompt.elapsed();
    let out = reader.join().unwrap();
    println!("--- console ---\n{out}");
    assert_eq!(status.code(), Some(0));
    assert!(out.contains("\npiped-42\r\n"), "the command ran");
    assert!(out.ends_with("reboot: Power down\r\ntinymm: exit status 0\r\n"));
    assert!(took < Duration::from_secs(10), "power-off took {took:?}");
}
