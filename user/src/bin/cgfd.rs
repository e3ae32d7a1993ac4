//! `cgfd OP...`: runs a sequence of file operations that a cgroup test
//! needs one process to do with descriptors kept open across steps (what
//! test_memcontrol.c does with its memory.peak fds), printing one line
//! per result:
//!
//! - `open:N:PATH`: open PATH read-write, append (`O_RDWR|O_APPEND`) as
//!   slot N (0..=9); prints `cgfd: open N = 0` or the negative errno.
//! - `write:N:TEXT`: write TEXT, with `\n` turned into a newline, plus a
//!   NUL byte (the selftest writes `sizeof("reset\n")`, 7 bytes); prints
//!   `cgfd: write N = BYTES` or `-ERRNO`.
//! - `read:N`: read slot N from offset 0 (pread); prints `cgfd: read N =
//!   FIRST LINE`.
//! - `close:N`: prints `cgfd: close N = 0`.
//! - `cat:PATH`: prints each line of PATH as `cgfd: PATH: LINE`.
//! - `join:DIR`: move this process into cgroup DIR (writes its pid to
//!   DIR/cgroup.procs).
//! - `readfile:PATH:OFF:SIZE`: read SIZE bytes of PATH from OFF through
//!   read(2) (page cache); prints `cgfd: readfile = BYTES`.
//!
//! A failing step is reported and the sequence goes on; exit status 0.

#![no_std]
#![no_main]

use core::ffi::CStr;

use user::io::{Bytes, cat_prefixed, usage};
use user::parse::{parse_size, parse_u64};
use user::sys::{self, O_APPEND, O_RDONLY, O_RDWR, O_WRONLY, SEEK_SET};
use user::{Args, outln};

user::entry!(main);

const USAGE: &str = "cgfd {open:N:PATH | write:N:TEXT | read:N | close:N | cat:PATH | join:DIR | readfile:PATH:OFF:SIZE}...";
const SLOTS: usize = 10;
const PATH_MAX: usize = 256;

/// `-errno` as the selftest's helpers return it.
fn neg(e: sys::Error) -> i64 {
    -i64::from(e.0)
}

/// `bytes` with a NUL added, for the open/stat calls.
fn c_path<'a>(bytes: &[u8], buf: &'a mut [u8; PATH_MAX]) -> Option<&'a CStr> {
    if bytes.len() >= PATH_MAX {
        return None;
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[bytes.len()] = 0;
    CStr::from_bytes_with_nul(&buf[..=bytes.len()]).ok()
}

fn slot(s: &[u8]) -> Option<usize> {
    parse_u64(s)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n < SLOTS)
}

/// Splits `a:b` at the first colon.
fn split(s: &[u8]) -> (&[u8], &[u8]) {
    match s.iter().position(|&b| b == b':') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[]),
    }
}

fn read_first_line(fd: i32) -> Result<([u8; 128], usize), sys::Error> {
    sys::lseek(fd, 0, SEEK_SET)?;
    let mut buf = [0u8; 128];
    let n = sys::read(fd, &mut buf)?;
    let line = buf[..n].iter().position(|&b| b == b'\n').unwrap_or(n);
    Ok((buf, line))
}

/// Writes this process's pid into `dir/cgroup.procs`.
fn join(dir: &[u8]) -> Result<(), sys::Error> {
    let mut path = [0u8; PATH_MAX];
    let suffix = b"/cgroup.procs";
    if dir.len() + suffix.len() >= PATH_MAX {
        return Err(sys::Error(36));
    }
    let mut joined = [0u8; PATH_MAX];
    joined[..dir.len()].copy_from_slice(dir);
    joined[dir.len()..dir.len() + suffix.len()].copy_from_slice(suffix);
    let path = c_path(&joined[..dir.len() + suffix.len()], &mut path).ok_or(sys::Error(36))?;
    let fd = sys::open(path, O_WRONLY)?;
    let mut digits = [0u8; 20];
    let mut n = sys::getpid();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let ret = sys::write(fd, &digits[i..]).map(drop);
    sys::close(fd)?;
    ret
}

/// Reads `size` bytes of `path` from `off` through the page cache.
fn readfile(path: &CStr, off: u64, size: u64) -> Result<u64, sys::Error> {
    let fd = sys::open(path, O_RDONLY)?;
    sys::lseek(fd, off, SEEK_SET)?;
    let mut buf = [0u8; 4096];
    let mut done = 0;
    while done < size {
        let want = (size - done).min(buf.len() as u64) as usize;
        let n = sys::read(fd, &mut buf[..want])?;
        if n == 0 {
            break;
        }
        done += n as u64;
    }
    sys::close(fd)?;
    Ok(done)
}

fn main(args: Args) -> i32 {
    let mut fds = [-1i32; SLOTS];
    let bad = |op: &[u8]| -> ! { usage("cgfd", format_args!("bad step '{}'", Bytes(op)), USAGE) };
    for op in args.rest().map(|a| a.to_bytes()) {
        let (verb, rest) = split(op);
        let mut path = [0u8; PATH_MAX];
        match verb {
            b"open" => {
                let (n, p) = split(rest);
                let (Some(n), Some(p)) = (slot(n), c_path(p, &mut path)) else {
                    bad(op)
                };
                let ret = match sys::open(p, O_RDWR | O_APPEND) {
                    Ok(fd) => {
                        fds[n] = fd;
                        0
                    }
                    Err(e) => neg(e),
                };
                outln!("cgfd: open {n} = {ret}");
            }
            b"write" => {
                let (n, text) = split(rest);
                let Some(n) = slot(n) else { bad(op) };
                let mut buf = [0u8; PATH_MAX];
                let mut len = 0;
                let mut i = 0;
                while i < text.len() && len < PATH_MAX - 1 {
                    if text[i..].starts_with(b"\\n") {
                        buf[len] = b'\n';
                        i += 2;
                    } else {
                        buf[len] = text[i];
                        i += 1;
                    }
                    len += 1;
                }
                let ret = sys::write(fds[n], &buf[..=len]).map_or_else(neg, |w| w as i64);
                outln!("cgfd: write {n} = {ret}");
            }
            b"read" => {
                let Some(n) = slot(rest) else { bad(op) };
                match read_first_line(fds[n]) {
                    Ok((buf, len)) => outln!("cgfd: read {n} = {}", Bytes(&buf[..len])),
                    Err(e) => outln!("cgfd: read {n} = {}", neg(e)),
                }
            }
            b"close" => {
                let Some(n) = slot(rest) else { bad(op) };
                let ret = sys::close(fds[n]).map_or_else(neg, |()| 0);
                fds[n] = -1;
                outln!("cgfd: close {n} = {ret}");
            }
            b"cat" => {
                let Some(p) = c_path(rest, &mut path) else {
                    bad(op)
                };
                cat_prefixed("cgfd", p);
            }
            b"join" => {
                let ret = join(rest).map_or_else(neg, |()| 0);
                outln!("cgfd: join {} = {ret}", Bytes(rest));
            }
            b"readfile" => {
                let (p, rest) = split(rest);
                let (off, size) = split(rest);
                let (Some(p), Some(off), Some(size)) =
                    (c_path(p, &mut path), parse_size(off), parse_size(size))
                else {
                    bad(op)
                };
                let ret = readfile(p, off, size).map_or_else(neg, |n| n as i64);
                outln!("cgfd: readfile = {ret}");
            }
            _ => bad(op),
        }
    }
    0
}
