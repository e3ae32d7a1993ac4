//! The console as a tty, typed into as a user would: busybox `sh -i` in
//! its own session with the console as its controlling terminal
//! (`setsid -c`) gets job control, and a ^C typed while `sleep 100` runs
//! in the foreground kills the sleep (SIGINT to the foreground process
//! group, from the UART's interrupt, with nobody reading) and the prompt
//! is back within seconds. tinymm-only: the host has no serial console.

mod common;

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A booted tinymm whose console we type into and read.
struct Console {
    child: Child,
    stdin: ChildStdin,
    out: Arc<Mutex<String>>,
}

impl Console {
    fn boot(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tinymm"))
            .args(["run", "--timeout", common::TIMEOUT_SECS])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its own process group, so that a failed test can end QEMU
            // with it.
            .process_group(0)
            .spawn()
            .expect("run tinymm");
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
        Self { child, stdin, out }
    }

    fn type_bytes(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits until the console output after byte `from` contains
    /// `needle`; the offset just past it.
    fn wait_for(&self, from: usize, needle: &str, timeout: Duration) -> Option<usize> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            let out = self.out.lock().unwrap();
            if let Some(i) = out.get(from..).and_then(|s| s.find(needle)) {
                return Some(from + i + needle.len());
            }
            drop(out);
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let group = format!("-{}", self.child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = self.child.wait();
        }
        println!("--- console ---\n{}", self.output());
    }
}

#[test]
fn ctrl_c_interrupts_the_foreground_job_of_an_interactive_busybox_sh() {
    let mut con = Console::boot(&[]);
    let long = Duration::from_secs(60);
    let at = con.wait_for(0, "# ", long).expect("/init's sh prompt");
    con.type_bytes(b"/bin/busybox setsid -c /bin/busybox sh -i\n");
    // ash's prompt for root ends in "# " too; its banner comes first.
    let at = con
        .wait_for(at, "built-in shell (ash)", long)
        .expect("ash started");
    let at = con.wait_for(at, "# ", long).expect("ash's prompt");
    con.type_bytes(b"echo jobs-$-\n");
    // The output, not the echoed command line.
    let at = con.wait_for(at, "\njobs-", long).expect("echo ran");
    let flags = &con.output()[at..];
    // `m` in $-: job control is on, so ash got the controlling tty and
    // made its process group the foreground one (TIOCGPGRP/TIOCSPGRP).
    assert!(
        flags.split_whitespace().next().unwrap_or("").contains('m'),
        "job control off: {flags:?}"
    );
    let at = con.wait_for(at, "# ", long).expect("prompt after echo");
    con.type_bytes(b"sleep 100\n");
    // Let ash fork and the sleep start before the ^C.
    std::thread::sleep(Duration::from_secs(3));
    let typed = Instant::now();
    con.type_bytes(b"\x03");
    let at = con
        .wait_for(at, "# ", Duration::from_secs(20))
        .expect("the prompt came back after ^C");
    let took = typed.elapsed();
    assert!(took < Duration::from_secs(10), "^C took {took:?}");
    con.type_bytes(b"echo rc=$?\n");
    let at = con.wait_for(at, "\nrc=", long).expect("echo $?");
    let rc: String = con.output()[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    // 128 + SIGINT: the sleep died of the signal.
    assert_eq!(rc, "130");
    con.type_bytes(b"exit\nexit\n");
    let status = con.child.wait().expect("tinymm exits");
    assert_eq!(status.code(), Some(0));
}
