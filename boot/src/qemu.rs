//! Running QEMU and gdb, and the host half of the exit protocol.
//!
//! The guest ends a run by writing to QEMU's isa-debug-exit device (port
//! 0xf4), which makes QEMU exit with `(value << 1) | 1`:
//!
//! * clean power-off: the guest prints `tinymm: exit status N`, writes 0x10,
//!   QEMU exits 33, and we exit N;
//! * kernel failure: the guest prints `tinymm: kernel failure`, writes 0x11,
//!   QEMU exits 35, and we exit 125.
//!
//! Timeouts exit 124; QEMU failing to start or exiting any other way
//! (e.g. 0 after a triple fault under `-no-reboot`) exits 126.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::busybox;
use crate::image::{ImageSpec, build_or_reuse, initramfs_or_reuse, stripped_kernel};
use crate::initramfs::{GuestFile, Source};
use crate::options::{GdbOptions, Init, RunOptions};
use crate::{KERNEL_ELF, USER_PROGRAMS};

pub const EXIT_TIMEOUT: u8 = 124;
pub const EXIT_KERNEL_FAILURE: u8 = 125;
pub const EXIT_QEMU_FAILED: u8 = 126;

/// QEMU's exit codes for the values the kernel writes to port 0xf4.
const QEMU_EXIT_POWEROFF: i32 = (0x10 << 1) | 1;
const QEMU_EXIT_FAILURE: i32 = (0x11 << 1) | 1;

const STATUS_PREFIX: &str = "tinymm: exit status ";
/// The kernel's first line after it programmed the UART (which flushes
/// the receive FIFO): scripts are fed only after it.
const CONSOLE_READY: &str = "printk: console [ttyS0] enabled";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/// Combined code+vars image some distributions ship instead.
const OVMF_COMBINED: &str = "/usr/share/ovmf/OVMF.fd";

/// Boots the kernel and returns our exit status.
pub fn run(options: &RunOptions) -> u8 {
    let interactive = options.script.is_none() && io::stdin().is_terminal();
    let timeout = effective_timeout(options.timeout, interactive);
    // A terminal goes to QEMU as is (it switches it to raw mode); piped
    // input is forwarded once the console is up, or it would be lost. A
    // script is in the initramfs, and the console is its standard input
    // as for a run without one.
    let input = if io::stdin().is_terminal() {
        Input::Inherit
    } else {
        Input::Forward
    };
    let console = match input {
        Input::Inherit => Console::Terminal,
        _ => Console::Stdio,
    };
    let (mut qemu, cleanup) = match QemuCommand::new(options, console) {
        Ok(qemu) => qemu,
        Err(e) => return qemu_failed(&e),
    };
    if options.gdb_stub {
        let port = match free_port() {
            Ok(port) => port,
            Err(e) => return qemu_failed(&e),
        };
        qemu.gdb_stub(port);
        eprintln!(
            "tinymm: QEMU waits for gdb on port {port}: gdb -ex 'symbol-file {KERNEL_ELF}' -ex 'target remote :{port}'"
        );
    }
    let linux = qemu.linux;
    let result = match Guest::spawn(qemu.command, input, linux) {
        Ok(guest) => guest.wait(timeout),
        Err(e) => Err(e),
    };
    drop(cleanup);
    match result {
        Ok(outcome) => outcome.exit_status(),
        Err(e) => qemu_failed(&e),
    }
}

/// Starts QEMU halted with its gdb stub, runs gdb attached to it, and
/// returns gdb's exit status. QEMU is killed when gdb exits.
pub fn gdb(options: &RunOptions, gdb: &GdbOptions) -> u8 {
    let interactive = !gdb.batch && io::stdin().is_terminal();
    let timeout = effective_timeout(options.timeout, interactive);
    let (mut qemu, cleanup) = match QemuCommand::new(options, Console::Stdio) {
        Ok(qemu) => qemu,
        Err(e) => return qemu_failed(&e),
    };
    let port = match free_port() {
        Ok(port) => port,
        Err(e) => return qemu_failed(&e),
    };
    qemu.gdb_stub(port);
    // gdb owns the terminal; the serial console reads nothing.
    let guest = match Guest::spawn(qemu.command, Input::Null, false) {
        Ok(guest) => guest,
        Err(e) => return qemu_failed(&e),
    };

    let mut command = Command::new("gdb");
    command.args(["-q", "-nx"]);
    if gdb.batch {
        command.arg("-batch");
    }
    for setup in [
        "set pagination off".to_string(),
        "set confirm off".to_string(),
        // The ELF is linked at the addresses it runs at (vmlinux.lds).
        format!("symbol-file {KERNEL_ELF}"),
        // gdb retries refused connections until QEMU's stub listens.
        format!("target remote 127.0.0.1:{port}"),
    ] {
        command.arg("-ex").arg(setup);
    }
    for file in &gdb.command_files {
        command.arg("-x").arg(file);
    }
    for cmd in &gdb.commands {
        command.arg("-ex").arg(cmd);
    }
    let status = match command.spawn() {
        Ok(mut child) => match wait_timeout(&mut child, timeout) {
            Ok(Some(status)) => status.code().map_or(EXIT_QEMU_FAILED, |c| c as u8),
            Ok(None) => {
                eprintln!(
                    "tinymm: gdb timed out after {:?}",
                    timeout.unwrap_or_default()
                );
                EXIT_TIMEOUT
            }
            Err(e) => {
                eprintln!("tinymm: waiting for gdb: {e}");
                EXIT_QEMU_FAILED
            }
        },
        Err(e) => {
            eprintln!("tinymm: cannot start gdb: {e}");
            EXIT_QEMU_FAILED
        }
    };
    guest.kill();
    drop(cleanup);
    status
}

/// A run whose console output was captured rather than forwarded (for
/// `tinymm bench`).
pub struct Captured {
    /// Console lines without `\r`, each with the host time since QEMU
    /// started at which its end arrived.
    pub lines: Vec<(Duration, String)>,
    /// Host time from QEMU's start to its exit (the image is built before).
    pub wall: Duration,
    /// What `tinymm run` would exit with.
    pub status: u8,
}

/// Boots like `run` with no console input (a busybox run has its
/// `/scenario`; `--linux` boots Linux) and captures the console instead
/// of printing it.
pub fn run_captured(options: &RunOptions, timeout: Duration) -> Result<Captured, String> {
    let (qemu, cleanup) = QemuCommand::new(options, Console::Stdio)?;
    let linux = qemu.linux;
    let captured = capture(qemu.command, timeout);
    drop(cleanup);
    let (lines, wall, status) = captured?;
    let parse = if linux {
        parse_linux_end_line
    } else {
        parse_status_line
    };
    let status = match status {
        None => Outcome::TimedOut(wall),
        Some(status) => Outcome::Exited {
            status,
            guest_status: lines
                .iter()
                .rev()
                .find_map(|(_, line)| parse(line.as_bytes())),
            linux,
        },
    }
    .exit_status();
    Ok(Captured {
        lines,
        wall,
        status,
    })
}

/// A run of [`capture_command`].
pub struct CapturedCommand {
    /// As [`Captured::lines`].
    pub lines: Vec<(Duration, String)>,
    pub wall: Duration,
    /// QEMU's exit code; None when it was killed at the timeout.
    pub status: Option<i32>,
}

/// Runs `command` (another kernel's QEMU: `tinymm bench` boots Linux)
/// with no console input, capturing its console like [`run_captured`].
pub fn capture_command(command: Command, timeout: Duration) -> Result<CapturedCommand, String> {
    let (lines, wall, status) = capture(command, timeout)?;
    Ok(CapturedCommand {
        lines,
        wall,
        status: status.map(|s| s.code().unwrap_or(-1)),
    })
}

/// Console lines, wall time from QEMU's start to its exit, and its exit
/// status (None: killed at the timeout) of `command` run with no input.
type CaptureResult = (Vec<(Duration, String)>, Duration, Option<ExitStatus>);

fn capture(mut command: Command, timeout: Duration) -> Result<CaptureResult, String> {
    command.stdin(Stdio::null()).stdout(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let started = Instant::now();
    let stdout = child.stdout.take().expect("stdout is piped");
    let output = thread::spawn(move || capture_lines(stdout, started));
    let waited = wait_timeout(&mut child, Some(timeout));
    if !matches!(waited, Ok(Some(_))) {
        terminate(&mut child);
    }
    let wall = started.elapsed();
    let lines = output.join().unwrap_or_default();
    let status = waited.map_err(|e| format!("waiting for QEMU: {e}"))?;
    Ok((lines, wall, status))
}

/// Reads console lines, stamping each with the time since `started`.
fn capture_lines(from: impl Read, started: Instant) -> Vec<(Duration, String)> {
    let mut lines = Vec::new();
    let mut reader = io::BufReader::new(from);
    let mut line = Vec::new();
    while let Ok(n) = io::BufRead::read_until(&mut reader, b'\n', &mut line) {
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line)
            .trim_end_matches(['\n', '\r'])
            .to_string();
        lines.push((started.elapsed(), text));
        line.clear();
    }
    lines
}

fn effective_timeout(requested: Option<Duration>, interactive: bool) -> Option<Duration> {
    match requested {
        Some(d) if d.is_zero() => None,
        Some(d) => Some(d),
        None if interactive => None,
        None => Some(DEFAULT_TIMEOUT),
    }
}

fn qemu_failed(message: &str) -> u8 {
    eprintln!("tinymm: {message}");
    EXIT_QEMU_FAILED
}

/// An unused local TCP port for QEMU's gdb stub.
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Files that live only as long as one QEMU run (the UEFI variable store,
/// disk images made for the run).
pub(crate) struct Cleanup(pub(crate) Vec<PathBuf>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = fs::remove_file(path);
        }
    }
}

/// What the guest's serial console is on our side.
#[derive(Clone, Copy, PartialEq)]
enum Console {
    /// Our stdin and stdout, as pipes (or a terminal gdb owns).
    Stdio,
    /// Our terminal: QEMU's multiplexer, as `-nographic` sets it up, so
    /// ^C, ^Z and ^\ reach the guest's tty (a plain `-serial stdio`
    /// keeps the terminal's signals, and ^C would end QEMU) and C-a x
    /// ends QEMU.
    Terminal,
}

struct QemuCommand {
    command: Command,
    /// Debian's Linux rather than tinymm (`run --linux`).
    linux: bool,
}

impl QemuCommand {
    fn new(options: &RunOptions, console: Console) -> Result<(Self, Cleanup), String> {
        // Checked before the (slower) image build.
        let qemu = find_in_path("qemu-system-x86_64")
            .ok_or("cannot start qemu-system-x86_64: not found in PATH (make deps installs it)")?;
        let kernel = Path::new(KERNEL_ELF);
        let mut files: Vec<GuestFile> = USER_PROGRAMS
            .iter()
            .map(|(name, path)| GuestFile {
                path: format!("/bin/{name}"),
                mode: 0o755,
                source: Source::Program(PathBuf::from(path)),
            })
            .chain(options.files.iter().cloned())
            .collect();
        if options.init == Init::Busybox {
            let host = Path::new(busybox::HOST_BUSYBOX);
            let applets = busybox::list_full(host)?;
            let taken: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            let userland = busybox::userland(host, &applets, options.script.as_deref(), &taken);
            files.extend(userland);
        }
        let (disk_args, disk_temps) = crate::disk::qemu_args(&options.disks, options.swap)?;
        if options.linux {
            let dir = crate::linux::default_dir();
            let linux = crate::linux::fetch(&dir)?;
            if !disk_args.is_empty() {
                files.extend(crate::disk::linux_modules(
                    &dir.join("root"),
                    &linux.release,
                )?);
            }
            let initrd = initramfs_or_reuse(&files, &dir)?;
            let mut command =
                crate::linux::qemu_command(&linux, &initrd, &options.mem, options.icount, "")?;
            if let Some(append) = &options.append {
                // QEMU takes the last -append.
                let base = crate::linux::CMDLINE;
                command.args(["-append", &format!("{base} {append}")]);
            }
            if let Some(n) = options.smp {
                command.args(["-smp", &n.to_string()]);
            }
            command.args(&disk_args);
            command.args(&options.qemu_args);
            let qemu = Self {
                command,
                linux: true,
            };
            return Ok((qemu, Cleanup(disk_temps)));
        }
        let mut cleanup = Cleanup(disk_temps);
        let mut command = Command::new(qemu);
        command.args(["-machine", "q35", "-cpu", "max", "-m", &options.mem]);
        let serial = match console {
            Console::Stdio => "stdio",
            Console::Terminal => "mon:stdio",
        };
        command.args(["-serial", serial, "-display", "none", "-monitor", "none"]);
        command.args([
            "-no-reboot",
            "-device",
            "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]);
        if options.uefi {
            let image = build_or_reuse(&ImageSpec {
                kernel,
                files: &files,
            })?;
            command.arg("-drive").arg(drive_arg(&image));
        } else {
            // PVH: QEMU loads the ELF at its physical addresses and the
            // initramfs through fw_cfg, as it boots Linux's vmlinux.
            let dir = kernel.parent().unwrap_or(Path::new("."));
            let initrd = initramfs_or_reuse(&files, dir)?;
            command.arg("-kernel").arg(stripped_kernel(kernel)?);
            command.arg("-initrd").arg(initrd);
            if let Some(append) = &options.append {
                command.args(["-append", append]);
            }
        }
        command.args(&disk_args);
        // No NIC: nothing uses one, and OVMF would try to network-boot it
        // (about 0.5 s of a UEFI boot under TCG).
        command.args(["-nic", "none"]);
        command.args(["-accel", accelerator()]);
        if options.uefi {
            firmware_args(&mut command, kernel, &mut cleanup)?;
        }
        if options.icount {
            command.args(["-icount", "shift=0,sleep=off"]);
        }
        if let Some(n) = options.smp {
            command.args(["-smp", &n.to_string()]);
        }
        command.args(&options.qemu_args);
        let qemu = Self {
            command,
            linux: false,
        };
        Ok((qemu, cleanup))
    }

    fn gdb_stub(&mut self, port: u16) {
        self.command.arg("-S");
        self.command
            .args(["-gdb", &format!("tcp:127.0.0.1:{port}")]);
    }
}

pub fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn drive_arg(image: &Path) -> String {
    // snapshot=on: guest writes go to a throwaway overlay, so the image is
    // opened read-only and parallel runs (tests) can share it. QEMU's
    // option syntax escapes commas by doubling them.
    format!(
        "format=raw,snapshot=on,file={}",
        image.display().to_string().replace(',', ",,")
    )
}

/// KVM never works on the machines this project runs on (nested
/// virtualisation is off), and probing it costs a boot, so TCG is the
/// default; `TINYMM_KVM=1` opts in when /dev/kvm exists.
fn accelerator() -> &'static str {
    let wanted = std::env::var("TINYMM_KVM").is_ok_and(|v| v == "1");
    if wanted && Path::new("/dev/kvm").exists() {
        "kvm"
    } else {
        "tcg"
    }
}

/// OVMF as read-only pflash code plus a private, writable copy of the
/// variable store (UEFI writes boot entries into it).
fn firmware_args(
    command: &mut Command,
    kernel: &Path,
    cleanup: &mut Cleanup,
) -> Result<(), String> {
    let code = std::env::var("TINYMM_OVMF_CODE").unwrap_or_else(|_| OVMF_CODE.into());
    let vars = std::env::var("TINYMM_OVMF_VARS").unwrap_or_else(|_| OVMF_VARS.into());
    if Path::new(&code).exists() && Path::new(&vars).exists() {
        static RUN: AtomicU32 = AtomicU32::new(0);
        let copy = kernel.with_extension(format!(
            "ovmf-vars.{}.{}.fd",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed)
        ));
        fs::copy(&vars, &copy).map_err(|e| format!("copying {vars}: {e}"))?;
        cleanup.0.push(copy.clone());
        command.arg("-drive").arg(format!(
            "if=pflash,format=raw,unit=0,readonly=on,file={}",
            code.replace(',', ",,")
        ));
        command.arg("-drive").arg(format!(
            "if=pflash,format=raw,unit=1,file={}",
            copy.display().to_string().replace(',', ",,")
        ));
        Ok(())
    } else if Path::new(OVMF_COMBINED).exists() {
        command.args(["-bios", OVMF_COMBINED]);
        Ok(())
    } else {
        Err(format!(
            "no OVMF firmware ({code} + {vars}, or {OVMF_COMBINED}); install the `ovmf` package"
        ))
    }
}

/// Where the serial console's input comes from.
enum Input {
    /// Our terminal, handed to QEMU directly.
    Inherit,
    Null,
    /// Our (non-terminal) stdin, copied once the console is up, then
    /// ^D: QEMU never tells the guest that its serial input ended, and a
    /// terminal's end-of-file character at the start of a line is how a
    /// tty reader (busybox `sh`) learns it.
    Forward,
}

/// A running QEMU whose console output we forward and watch.
struct Guest {
    child: Child,
    /// Debian's Linux: it ends by ACPI power-off or reboot (QEMU exits 0),
    /// and its console lines say with which status.
    linux: bool,
    started: Instant,
    output: JoinHandle<Option<u8>>,
    /// Forwards our stdin, then keeps ending the input until QEMU exits
    /// (closing the serial input early would look like a hang-up to it).
    _stdin: Option<JoinHandle<()>>,
}

/// How a guest run ended.
enum Outcome {
    Exited {
        status: ExitStatus,
        guest_status: Option<u8>,
        linux: bool,
    },
    TimedOut(Duration),
}

impl Guest {
    fn spawn(mut command: Command, input: Input, linux: bool) -> Result<Self, String> {
        let stdin = match input {
            Input::Inherit => Stdio::inherit(),
            Input::Null => Stdio::null(),
            Input::Forward => Stdio::piped(),
        };
        command.stdin(stdin).stdout(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
        let started = Instant::now();
        let stdout = child.stdout.take().expect("stdout is piped");
        let (ready_tx, ready_rx) = mpsc::channel();
        let parse = if linux {
            parse_linux_end_line
        } else {
            parse_status_line
        };
        let output = thread::spawn(move || forward_output(stdout, Some(ready_tx), parse));
        let stdin = child.stdin.take().map(|mut pipe| {
            thread::spawn(move || {
                // An error: QEMU ended before the console came up. Linux
                // (`quiet`) prints no such line; its input goes at once.
                if !linux && ready_rx.recv().is_err() {
                    return;
                }
                // QEMU reads as the guest drains its UART FIFO, so this can
                // block; an error means QEMU is gone.
                if forward_stdin(&mut io::stdin().lock(), &mut pipe).is_ok() {
                    keep_ending_input(&mut pipe);
                }
            })
        });
        Ok(Self {
            child,
            linux,
            started,
            output,
            _stdin: stdin,
        })
    }

    fn wait(mut self, timeout: Option<Duration>) -> Result<Outcome, String> {
        let waited = wait_timeout(&mut self.child, timeout);
        let status = match waited {
            Ok(Some(status)) => status,
            Ok(None) => {
                let elapsed = self.started.elapsed();
                self.kill();
                return Ok(Outcome::TimedOut(elapsed));
            }
            Err(e) => {
                self.kill();
                return Err(format!("waiting for QEMU: {e}"));
            }
        };
        // QEMU has exited, so its stdout reaches EOF soon.
        let guest_status = self.output.join().unwrap_or(None);
        Ok(Outcome::Exited {
            status,
            guest_status,
            linux: self.linux,
        })
    }

    fn kill(mut self) {
        terminate(&mut self.child);
        let _ = self.output.join();
    }
}

impl Outcome {
    fn exit_status(&self) -> u8 {
        match *self {
            Outcome::TimedOut(elapsed) => {
                eprintln!(
                    "tinymm: timeout: QEMU killed after {:.1} s",
                    elapsed.as_secs_f64()
                );
                EXIT_TIMEOUT
            }
            Outcome::Exited {
                status,
                guest_status,
                linux: true,
            } => match (status.code(), guest_status) {
                (Some(0), Some(n)) => n,
                _ => {
                    eprintln!(
                        "tinymm: Linux ended ({status}) without `reboot: Power down` or init's panic line"
                    );
                    EXIT_QEMU_FAILED
                }
            },
            Outcome::Exited {
                status,
                guest_status,
                linux: false,
            } => match (status.code(), guest_status) {
                (Some(QEMU_EXIT_POWEROFF), Some(n)) => n,
                (Some(QEMU_EXIT_POWEROFF), None) => {
                    eprintln!("tinymm: guest powered off without a `{STATUS_PREFIX}N` line");
                    EXIT_QEMU_FAILED
                }
                (Some(QEMU_EXIT_FAILURE), _) => {
                    eprintln!("tinymm: kernel failure (exception or panic; see the console above)");
                    EXIT_KERNEL_FAILURE
                }
                _ => {
                    eprintln!(
                        "tinymm: QEMU ended without the exit protocol ({status}); a triple fault ends QEMU with status 0 under -no-reboot"
                    );
                    EXIT_QEMU_FAILED
                }
            },
        }
    }
}

/// VEOF, the end-of-file character of a terminal (^D).
const VEOF: u8 = 0x04;

/// How many end-of-file reads the end of piped input stands for. A tty
/// reports end of file once per ^D, while after the end of a pipe every
/// read would: busybox `sh` reads twice more after a last line without a
/// newline (as it does on a Linux tty), and a program reading the console
/// before it (`cat`) takes one.
const EOF_READS: usize = 3;

/// Copies `from` to the serial input `to` and ends it with [`EOF_READS`]
/// ^D; a last line without a newline gets one, so it runs as the last
/// line of a piped script does (on a tty, a line-editing shell takes ^D
/// inside a line for "delete", not for "enter").
fn forward_stdin(from: &mut impl Read, to: &mut impl Write) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    let mut last = b'\n';
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        to.flush()?;
        last = buf[n - 1];
    }
    if last != b'\n' {
        to.write_all(b"\n")?;
    }
    to.write_all(&[VEOF; EOF_READS])
}

/// After the end of piped input, a ^D every [`EOF_REPEAT`] until QEMU is
/// gone (a write fails), as a user presses it until the shell ends: a ^D
/// typed ahead meets whatever reads the console then — a program, or a
/// shell that switched to raw mode for line editing, which takes ^D on
/// an empty line as the end only when it arrives while it reads.
fn keep_ending_input(to: &mut impl Write) {
    while to.write_all(&[VEOF]).and_then(|()| to.flush()).is_ok() {
        thread::sleep(EOF_REPEAT);
    }
}

/// How often [`keep_ending_input`] repeats ^D.
const EOF_REPEAT: Duration = Duration::from_millis(500);

/// Copies QEMU's output to our stdout as it arrives, signals `ready` at the
/// console-ready line, and returns the status `parse` finds in the last
/// line it knows (`tinymm: exit status N` for tinymm).
fn forward_output(
    mut from: impl Read,
    mut ready: Option<Sender<()>>,
    parse: fn(&[u8]) -> Option<u8>,
) -> Option<u8> {
    let mut stdout = io::stdout();
    let mut buf = [0u8; 4096];
    let mut line = Vec::new();
    let mut status = None;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        // Our stdout going away (e.g. `| head`) must not stop the watch.
        let _ = stdout.write_all(&buf[..n]).and_then(|()| stdout.flush());
        for &byte in &buf[..n] {
            if byte == b'\n' {
                if line.trim_ascii_end() == CONSOLE_READY.as_bytes()
                    && let Some(ready) = ready.take()
                {
                    let _ = ready.send(());
                }
                if let Some(n) = parse(&line) {
                    status = Some(n);
                }
                line.clear();
            } else {
                line.push(byte);
            }
        }
    }
    status.or_else(|| parse(&line))
}

/// `tinymm: exit status N` (with an optional trailing `\r`) to N.
fn parse_status_line(line: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    text.strip_prefix(STATUS_PREFIX)?.parse().ok()
}

/// The status a line of Linux's console gives the run: 0 for `reboot:
/// Power down` and `reboot: Restarting system` (`poweroff -f`, `reboot
/// -f`), and for init's `Attempted to kill init! exitcode=0x...` what
/// tinymm makes of the same exit: N for exit(N), 128 + the signal.
fn parse_linux_end_line(line: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(line).ok()?.trim_end_matches('\r');
    if text.ends_with("] reboot: Power down") || text.ends_with("] reboot: Restarting system") {
        return Some(0);
    }
    let (_, code) = text.split_once("Attempted to kill init! exitcode=0x")?;
    let code = u32::from_str_radix(code, 16).ok()?;
    Some(match code & 0x7f {
        0 => (code >> 8) as u8,
        sig => 128 + sig as u8,
    })
}

/// Waits for `child`, up to `timeout`; `Ok(None)` when the time ran out.
fn wait_timeout(child: &mut Child, timeout: Option<Duration>) -> io::Result<Option<ExitStatus>> {
    let Some(timeout) = timeout else {
        return child.wait().map(Some);
    };
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// SIGTERM first so QEMU can restore the terminal it put in raw mode, then
/// SIGKILL if it lingers.
fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    if let Ok(Some(_)) = wait_timeout(child, Some(Duration::from_secs(2))) {
        return;
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status_line(b"tinymm: exit status 0\r"), Some(0));
        assert_eq!(parse_status_line(b"tinymm: exit status 255"), Some(255));
        assert_eq!(parse_status_line(b"tinymm: exit status 256"), None);
        assert_eq!(parse_status_line(b"echo tinymm: exit status 3"), None);
        assert_eq!(parse_status_line(b"tinymm: exit status "), None);
    }

    #[test]
    fn forwarding_finds_last_status() {
        let console = b"boot\r\ntinymm: exit status 4\r\nx\r\ntinymm: exit status 9\r\n";
        assert_eq!(
            forward_output(&console[..], None, parse_status_line),
            Some(9)
        );
        assert_eq!(
            forward_output(&b"no status\r\n"[..], None, parse_status_line),
            None
        );
        // A final line without a newline still counts.
        assert_eq!(
            forward_output(&b"tinymm: exit status 7"[..], None, parse_status_line),
            Some(7)
        );
    }

    #[test]
    fn forwarding_signals_console_ready() {
        let (tx, rx) = mpsc::channel();
        forward_output(&b"BdsDxe: loading\r\n"[..], Some(tx), parse_status_line);
        assert!(rx.recv().is_err(), "ready signalled without the line");
        let (tx, rx) = mpsc::channel();
        let console = format!("firmware\r\n{CONSOLE_READY}\r\n# ");
        forward_output(console.as_bytes(), Some(tx), parse_status_line);
        assert_eq!(rx.try_recv(), Ok(()));
    }

    #[test]
    fn linux_end_lines() {
        assert_eq!(
            parse_linux_end_line(b"[    1.752720] reboot: Power down\r"),
            Some(0)
        );
        assert_eq!(
            parse_linux_end_line(b"[    1.7] reboot: Restarting system"),
            Some(0)
        );
        let panic =
            b"[    2.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300";
        assert_eq!(parse_linux_end_line(panic), Some(3));
        let killed =
            b"[ 2.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b";
        assert_eq!(parse_linux_end_line(killed), Some(139));
        assert_eq!(parse_linux_end_line(b"echo reboot: Power down"), None);
        assert_eq!(parse_linux_end_line(b"tinymm: exit status 3"), None);
    }

    #[test]
    fn piped_input_ends_with_eof() {
        let mut out = Vec::new();
        forward_stdin(&mut &b"echo hi\n"[..], &mut out).unwrap();
        assert_eq!(out, b"echo hi\n\x04\x04\x04");
        let mut out = Vec::new();
        forward_stdin(&mut &b"echo hi"[..], &mut out).unwrap();
        assert_eq!(out, b"echo hi\n\x04\x04\x04");
        let mut out = Vec::new();
        forward_stdin(&mut &b""[..], &mut out).unwrap();
        assert_eq!(out, b"\x04\x04\x04");
    }

    #[test]
    fn qemu_exit_codes_match_the_kernel() {
        assert_eq!(QEMU_EXIT_POWEROFF, 33);
        assert_eq!(QEMU_EXIT_FAILURE, 35);
    }

    #[test]
    fn timeouts() {
        let secs = Duration::from_secs;
        assert_eq!(effective_timeout(None, true), None);
        assert_eq!(effective_timeout(None, false), Some(DEFAULT_TIMEOUT));
        assert_eq!(effective_timeout(Some(secs(5)), true), Some(secs(5)));
        assert_eq!(effective_timeout(Some(secs(0)), false), None);
    }
}
