//! Output: each message is formatted into a stack buffer and written with
//! one write(2), so lines from concurrent programs do not interleave.

use core::fmt::{self, Write};

use crate::sys::{self, Error};

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
