//! Character devices under /dev: the console (drivers/tty, n_tty.c in
//! spirit) that file descriptors 0, 1 and 2 refer to — writes go to the
//! serial port, reads return a line typed there — and /dev/null
//! (drivers/char/mem.c).

use alloc::sync::Arc;

use super::char_dev::register_chrdev;
use super::file::File;
use super::{DevT, FileOps};
use crate::arch::x86_64::early_printk::console_write_bytes;
use crate::arch::x86_64::serial_read_byte;
use crate::uapi::errno::KResult;
use crate::{print, task};

struct ConsoleFile;

/// `n_tty_read()` in canonical mode: block until a line is typed (or
/// `buf` is full), echoing it and applying backspace, as a terminal does.
/// ^D (VEOF) ends the read without being stored: at the start of a line
/// the reader gets 0, end of file (the host program sends it when piped
/// input ends). Other tasks run while no input is there.
pub fn n_tty_read(buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        let Some(c) = serial_read_byte() else {
            task::sched::schedule();
            continue;
        };
        match c {
            b'\r' | b'\n' => {
                print!("\n");
                buf[n] = b'\n';
                return n + 1;
            }
            0x04 => return n,
            0x08 | 0x7f => {
                if n > 0 {
                    n -= 1;
                    print!("\x08 \x08");
                }
            }
            c if c.is_ascii_graphic() || c == b' ' || c == b'\t' => {
                print!("{}", char::from(c));
                buf[n] = c;
                n += 1;
            }
            _ => {}
        }
    }
    n
}

impl FileOps for ConsoleFile {
    fn read(&self, _file: &File, _pos: u64, buf: &mut [u8]) -> KResult<usize> {
        Ok(n_tty_read(buf))
    }

    fn write(&self, _file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        console_write_bytes(buf);
        Ok(buf.len())
    }

    fn seekable(&self) -> bool {
        false
    }
}

struct NullFile;

impl FileOps for NullFile {
    fn read(&self, _file: &File, _pos: u64, _buf: &mut [u8]) -> KResult<usize> {
        Ok(0)
    }

    fn write(&self, _file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        Ok(buf.len())
    }
}

fn console_open(_dev: DevT, _flags: u32) -> KResult<Arc<dyn FileOps>> {
    Ok(Arc::new(ConsoleFile))
}

fn null_open(_dev: DevT, _flags: u32) -> KResult<Arc<dyn FileOps>> {
    Ok(Arc::new(NullFile))
}

/// `chr_dev_init()` and `tty_init()`: /dev/null (1:3) and
/// /dev/console (5:1).
pub fn chr_dev_init() {
    register_chrdev(1, 3..4, "mem", null_open).expect("mem registered twice");
    register_chrdev(5, 1..2, "/dev/console", console_open).expect("console registered twice");
}

/// Descriptors 0, 1 and 2 on the console, as a task started from the
/// console has them.
pub fn console_files() -> KResult<super::file::FilesStruct> {
    let files = super::file::FilesStruct::default();
    for fd in 0..3 {
        files.install(
            fd,
            super::file::filp_open("/dev/console", crate::uapi::fcntl::O_RDWR, 0)?,
        );
    }
    Ok(files)
}
