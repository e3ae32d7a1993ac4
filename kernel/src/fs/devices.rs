//! Character devices under /dev: the console (drivers/tty, n_tty.c in
//! spirit) that file descriptors 0, 1 and 2 refer to — writes go to the
//! serial port, reads return a line typed there — and /dev/null
//! (drivers/char/mem.c).

use alloc::sync::Arc;

use super::file::File;
use super::{FileOps, FileType, Inode, get_next_ino};
use crate::arch::x86_64::early_printk::console_write_bytes;
use crate::arch::x86_64::serial_read_byte;
use crate::uapi::errno::KResult;
use crate::{print, task};

pub struct Console {
    ino: u64,
}

impl Console {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
        })
    }
}

struct ConsoleFile;

/// `n_tty_read()` in canonical mode: block until a line is typed (or
/// `buf` is full), echoing it and applying backspace, as a terminal does.
/// Other tasks run while no input is there.
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

impl Inode for Console {
    fn file_type(&self) -> FileType {
        FileType::Chr
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        0o620
    }
    fn open(&self, _write: bool) -> KResult<Arc<dyn FileOps>> {
        Ok(Arc::new(ConsoleFile))
    }
}

pub struct Null {
    ino: u64,
}

impl Null {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
        })
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

impl Inode for Null {
    fn file_type(&self) -> FileType {
        FileType::Chr
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        0o666
    }
    fn open(&self, _write: bool) -> KResult<Arc<dyn FileOps>> {
        Ok(Arc::new(NullFile))
    }
}

/// Descriptors 0, 1 and 2 on the console, as a task started from the
/// console has them.
pub fn console_files() -> KResult<super::file::FilesStruct> {
    let files = super::file::FilesStruct::default();
    for fd in 0..3 {
        files.install(
            fd,
            super::file::filp_open("/dev/console", crate::uapi::fcntl::O_RDWR)?,
        );
    }
    Ok(files)
}
