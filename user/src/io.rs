//! Output: each message is formatted into a stack buffer and written with
//! one write(2), so lines from concurrent programs do not interleave. And
//! what several programs do around their output: `--cat PATH` (a file's
//! lines with a prefix) and `--hold` (stay alive until killed).

use core::ffi::CStr;
use core::fmt::{self, Write};

use crate::errno::Errno;
use crate::sys::{self, Error, O_CLOEXEC, O_RDONLY};

/// A fixed line buffer; text beyond its capacity is dropped.
pub struct LineBuf {
    buf: [u8; 512],
    len: usize,
}

impl LineBuf {
    pub const fn new() -> Self {
        Self {
            buf: [0; 512],
            len: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Default for LineBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Formats `args` and writes it to `fd` in one go; errors (a closed
/// stdout) are ignored, like a failed printf nobody checks.
pub fn print_to(fd: i32, args: fmt::Arguments) {
    let mut line = LineBuf::new();
    let _ = line.write_fmt(args);
    let _ = sys::write_all(fd, line.as_bytes());
}

/// `outln!("...")`: a line on stdout.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::io::print_to(1, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `errln!("...")`: a line on stderr.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::io::print_to(2, format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `prog: what: strerror-text` on stderr, then exit 1.
pub fn die(prog: &str, what: &[u8], err: Error) -> ! {
    print_to(2, format_args!("{prog}: {}: {err}\n", Bytes(what)));
    sys::exit(1)
}

/// `prog: message` and the usage text on stderr, then exit 2.
pub fn usage(prog: &str, message: fmt::Arguments, usage: &str) -> ! {
    print_to(2, format_args!("{prog}: {message}\nusage: {usage}\n"));
    sys::exit(2)
}

/// Displays bytes (an argument, a path) as text, invalid UTF-8 as U+FFFD.
pub struct Bytes<'a>(pub &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_char(char::REPLACEMENT_CHARACTER)?;
            }
        }
        Ok(())
    }
}

/// The files of repeated `--cat PATH` options, in order.
pub struct CatList {
    paths: [&'static CStr; CatList::MAX],
    len: usize,
}

impl CatList {
    /// How many `--cat` options a program takes.
    pub const MAX: usize = 16;

    pub const fn new() -> Self {
        Self {
            paths: [c""; Self::MAX],
            len: 0,
        }
    }

    /// Adds `path`; false (nothing added) when there are `MAX` already.
    pub fn push(&mut self, path: &'static CStr) -> bool {
        let Some(slot) = self.paths.get_mut(self.len) else {
            return false;
        };
        *slot = path;
        self.len += 1;
        true
    }

    /// [`cat_prefixed`] of each path in order.
    pub fn print(&self, prog: &str) {
        for path in &self.paths[..self.len] {
            cat_prefixed(prog, path);
        }
    }
}

impl Default for CatList {
    fn default() -> Self {
        Self::new()
    }
}

/// Bytes of a file line per output line: longer lines continue on further
/// output lines, so each (with its prefix) fits a [`LineBuf`].
const CAT_PIECE: usize = 256;

/// Prints the file at `path` on stdout, each line L as `prog: PATH: L` (a
/// last line without newline too), or, if it cannot be opened or read,
/// `prog: PATH: error -ERRNO` (after the lines read before the error).
/// Reads 4 KiB at a time, so a small file (a cgroup's `memory.stat`) is one
/// read and one consistent snapshot.
pub fn cat_prefixed(prog: &str, path: &CStr) {
    let name = Bytes(path.to_bytes());
    let line = |bytes: &[u8]| {
        for piece in bytes.chunks(CAT_PIECE) {
            print_to(1, format_args!("{prog}: {name}: {}\n", Bytes(piece)));
        }
        if bytes.is_empty() {
            print_to(1, format_args!("{prog}: {name}: \n"));
        }
    };
    let error = |e: Error| print_to(1, format_args!("{prog}: {name}: error -{}\n", e.0));
    let fd = match sys::open(path, O_RDONLY | O_CLOEXEC) {
        Ok(fd) => fd,
        Err(e) => return error(e),
    };
    let mut buf = [0u8; 4096];
    let mut len = 0;
    loop {
        let n = match sys::read(fd, &mut buf[len..]) {
            Ok(n) => n,
            Err(e) if e.errno() == Some(Errno::EINTR) => continue,
            Err(e) => {
                if len > 0 {
                    line(&buf[..len]);
                }
                error(e);
                break;
            }
        };
        if n == 0 {
            if len > 0 {
                line(&buf[..len]);
            }
            break;
        }
        len += n;
        let mut start = 0;
        while let Some(newline) = buf[start..len].iter().position(|&b| b == b'\n') {
            line(&buf[start..start + newline]);
            start += newline + 1;
        }
        if start == 0 && len == buf.len() {
            // A line longer than the buffer: print what there is of it.
            line(&buf[..len]);
            len = 0;
        } else {
            buf.copy_within(start..len, 0);
            len -= start;
        }
    }
    let _ = sys::close(fd);
}

/// `--hold`: sleeps until the process is killed, keeping what it has
/// (memory, mappings, files).
pub fn hold(prog: &str) -> ! {
    loop {
        sys::sleep_ns(3600 * 1_000_000_000).unwrap_or_else(|e| die(prog, b"nanosleep", e));
    }
}
