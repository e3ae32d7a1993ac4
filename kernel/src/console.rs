//! The console shell: pid 1 reads lines from the serial console and runs
//! them through the sh interpreter (`shell/`), which reaches the kernel
//! through [`KernelShellHost`]. `exit` (or the end of a script, which the
//! host program follows with `exit`, or the end of the input) powers the
//! machine off with the shell's status.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::arch::x86_64::early_printk::console_write_bytes;
use crate::arch::x86_64::irq::HZ;
use crate::drivers::tty::tty_io::{console_read, console_set_raw};
use crate::fs::FileType;
use crate::fs::exec::kernel_execve_child;
use crate::fs::file::{File, FilesStruct, filp_open};
use crate::fs::namei::{do_mkdirat, do_rmdir, kern_path, user_nd};
use crate::shell::{Feed, FileKind, OpenMode, ProcInfo, Shell, ShellHost, Stdio, WaitStatus};
use crate::task::exit::kernel_wait4;
use crate::task::reboot::kernel_power_off;
use crate::task::sched::schedule_timeout_interruptible;
use crate::task::signal::send_sig;
use crate::task::{TaskState, current, find_task_by_vpid, for_each_process};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{AT_FDCWD, O_APPEND, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use crate::{print, println};

const WNOHANG: i32 = 1;

/// The kernel side of the shell: its own descriptor table, programs
/// started with `kernel_execve_child`, children reaped with `wait4`.
pub struct KernelShellHost {
    files: FilesStruct,
}

impl KernelShellHost {
    fn file(&self, fd: u32) -> KResult<Arc<File>> {
        self.files.get(fd as i32)
    }

    /// What a child's stdin/stdout/stderr is.
    fn stdio_file(&self, stdio: Stdio) -> KResult<Arc<File>> {
        match stdio {
            Stdio::Console => filp_open("/dev/console", O_RDWR, 0),
            Stdio::Fd(fd) => self.file(fd),
            Stdio::Null => filp_open("/dev/null", O_RDWR, 0),
        }
    }
}

fn decode_wait_status(status: i32) -> WaitStatus {
    if status & 0x7f == 0 {
        WaitStatus::Exited(((status >> 8) & 0xff) as u8)
    } else {
        WaitStatus::Signaled(status & 0x7f)
    }
}

impl ShellHost for KernelShellHost {
    fn getpid(&self) -> u32 {
        current().pid as u32
    }

    fn spawn(&mut self, path: &str, argv: &[String], stdio: &[Stdio; 3]) -> KResult<u32> {
        let files = FilesStruct::default();
        for (fd, s) in stdio.iter().enumerate() {
            files.install(fd, self.stdio_file(*s)?);
        }
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        kernel_execve_child(path, &argv, &[], current().pid, files).map(|pid| pid as u32)
    }

    fn wait(&mut self, pid: u32) -> KResult<WaitStatus> {
        loop {
            match kernel_wait4(pid as i32, 0) {
                Ok((_, status)) => return Ok(decode_wait_status(status)),
                Err(Errno::ERESTARTSYS) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn try_wait_any(&mut self) -> Option<(u32, WaitStatus)> {
        match kernel_wait4(-1, WNOHANG) {
            Ok((pid, status)) if pid > 0 => Some((pid as u32, decode_wait_status(status))),
            _ => None,
        }
    }

    fn kill(&mut self, pid: u32, sig: i32) -> KResult<()> {
        let task = find_task_by_vpid(pid as i32).ok_or(Errno::ESRCH)?;
        if sig == 0 {
            return Ok(());
        }
        send_sig(sig, &task)
    }

    fn open(&mut self, path: &str, mode: OpenMode) -> KResult<u32> {
        let flags = match mode {
            OpenMode::Read => O_RDONLY,
            OpenMode::Truncate => O_WRONLY | O_CREAT | O_TRUNC,
            OpenMode::Append => O_WRONLY | O_CREAT | O_APPEND,
        };
        let file = filp_open(path, flags, 0o644)?;
        Ok(self.files.alloc_fd(file)? as u32)
    }

    fn read_to_end(&mut self, fd: u32) -> KResult<Vec<u8>> {
        let file = self.file(fd)?;
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match file.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    fn write(&mut self, fd: u32, data: &[u8]) -> KResult<usize> {
        self.file(fd)?.write(data)
    }

    fn close(&mut self, fd: u32) {
        let _ = self.files.close(fd as i32);
    }

    fn mkdir(&mut self, path: &str) -> KResult<()> {
        do_mkdirat(&mut user_nd(AT_FDCWD, path)?, path, 0o755)
    }

    fn rmdir(&mut self, path: &str) -> KResult<()> {
        do_rmdir(&mut user_nd(AT_FDCWD, path)?, path)
    }

    fn read_dir(&mut self, path: &str) -> KResult<Vec<String>> {
        let entries = kern_path(path, true)?.inode().readdir()?;
        Ok(entries.into_iter().map(|e| e.name).collect())
    }

    fn stat(&mut self, path: &str) -> KResult<FileKind> {
        Ok(match kern_path(path, true)?.inode().file_type() {
            FileType::Dir => FileKind::Dir,
            _ => FileKind::File,
        })
    }

    fn sleep(&mut self, nanos: u64) {
        let mut left = nanos.div_ceil(1_000_000_000 / HZ);
        while left > 0 {
            left = schedule_timeout_interruptible(left);
        }
    }

    fn processes(&mut self) -> Vec<ProcInfo> {
        let mut out = Vec::new();
        for_each_process(|t| {
            let state = match t.state() {
                TaskState::Running => 'R',
                TaskState::Interruptible => 'S',
                TaskState::Zombie => 'Z',
                _ => 'X',
            };
            out.push(ProcInfo {
                pid: t.pid as u32,
                state,
                comm: String::from(t.comm()),
            });
        });
        out
    }

    fn console_write(&mut self, _fd: u8, bytes: &[u8]) {
        console_write_bytes(bytes);
    }

    fn cond_resched(&mut self) {
        crate::task::sched::cond_resched();
    }
}

/// `read_line()` of a line-editing shell: the console is in raw mode
/// (`console_set_raw`), so bytes are echoed here as they are taken, DEL
/// and backspace erase, and a line ends at a newline (ICRNL makes a
/// typed return one). ^D on an empty line is the end of the input
/// (false). Other control bytes are dropped.
fn read_line(line: &mut String) -> bool {
    let mut bytes = Vec::new();
    loop {
        let mut c = [0u8; 1];
        // pid 1 is never interrupted by a signal; the console exists.
        if console_read(&mut c) != Ok(1) {
            continue;
        }
        match c[0] {
            b'\n' => {
                print!("\n");
                break;
            }
            0x04 if bytes.is_empty() => return false,
            0x08 | 0x7f => {
                if bytes.pop().is_some() {
                    print!("\x08 \x08");
                }
            }
            c if c.is_ascii_graphic() || c == b' ' || c == b'\t' => {
                print!("{}", char::from(c));
                bytes.push(c);
            }
            _ => {}
        }
    }
    line.clear();
    line.push_str(&String::from_utf8_lossy(&bytes));
    true
}

/// pid 1's body: the shell on the console until `exit` or the end of the
/// input, which exits with the last command's status as sh does.
pub fn console_loop() -> ! {
    let host = KernelShellHost {
        files: FilesStruct::default(),
    };
    let mut shell = Shell::new(host, true);
    let mut line = String::new();
    console_set_raw();
    loop {
        print!("{}", shell.prompt());
        if !read_line(&mut line) {
            println!();
            kernel_power_off(shell.last_status() as u8);
        }
        if let Feed::Exit(status) = shell.feed_line(&line) {
            kernel_power_off(status as u8);
        }
    }
}
