//! `fileread PATH [--offset OFF] [--size SIZE] [--bs BS] [--mmap] [--random] [--repeat N] [--time] [--cat PATH]... [--hold]`
//!
//! Reads PATH from byte OFF (default 0; a multiple of 4096 with `--mmap`)
//! up to EOF, or SIZE bytes from OFF, N times (default 1): with read(2)
//! of BS bytes at a time (default 64 KiB; `--random` reads a page at a
//! time), or with `--mmap` through a private read-only
//! mapping, in file order or, with `--random`, page by page (pages counted
//! from OFF) in a deterministic shuffled order (xorshift64; a new order
//! each pass). Prints for the first pass `fileread: read B bytes` and
//! `fileread: sum X` (the wrapping u64 sum of the bytes read, the same in
//! every mode), and with `--time` `fileread: T ns` for all passes. A pass
//! that reads different bytes than the first is an error (exit 1). Then
//! each `--cat` file in order: every line L as `fileread: PATH: L`, or
//! `fileread: PATH: error -ERRNO` if it cannot be read. `--hold` then
//! keeps the process (and its `--mmap` mapping) alive until it is killed,
//! so the page cache it read stays charged to its cgroup.

#![no_std]
#![no_main]

use core::ffi::CStr;

use user::io::{Bytes, CatList, die, hold, usage};
use user::parse::{XorShift64, parse_size, parse_u64, shuffle, split_opt_cstr, sum_bytes};
use user::sys::{self, CLOCK_MONOTONIC, MAP_ANONYMOUS, MAP_PRIVATE, O_CLOEXEC, O_RDONLY};
use user::sys::{PAGE_SIZE, PROT_READ, PROT_WRITE, SEEK_SET};
use user::{Args, errln, outln};

user::entry!(main);

const USAGE: &str = "fileread PATH [--offset OFF] [--size SIZE] [--bs BS] [--mmap] [--random] [--repeat N] [--time] [--cat PATH]... [--hold]";
/// The default `--bs`.
const BUF_SIZE: usize = 64 << 10;
/// The shuffle's seed: fixed, so every run reads in the same order.
const SEED: u64 = 0x5eed_f11e_4ead_0001;

struct Options {
    path: &'static CStr,
    offset: u64,
    size: Option<u64>,
    /// Bytes per sequential read(2).
    bs: usize,
    mmap: bool,
    random: bool,
    repeat: u64,
    time: bool,
    cat: CatList,
    hold: bool,
}

fn parse(args: Args) -> Options {
    let bad = |what: core::fmt::Arguments| -> ! { usage("fileread", what, USAGE) };
    let mut path = None;
    let mut options = Options {
        path: c"",
        offset: 0,
        size: None,
        bs: BUF_SIZE,
        mmap: false,
        random: false,
        repeat: 1,
        time: false,
        cat: CatList::new(),
        hold: false,
    };
    let mut rest = args.rest();
    while let Some(arg) = rest.next() {
        let (name, inline) = split_opt_cstr(arg);
        let mut value = || {
            inline
                .or_else(|| rest.next())
                .unwrap_or_else(|| bad(format_args!("{} needs a value", Bytes(name))))
        };
        match name {
            b"--offset" => {
                let v = value().to_bytes();
                options.offset =
                    parse_size(v).unwrap_or_else(|| bad(format_args!("bad offset: {}", Bytes(v))));
            }
            b"--size" => {
                let v = value().to_bytes();
                let size =
                    parse_size(v).unwrap_or_else(|| bad(format_args!("bad size: {}", Bytes(v))));
                options.size = Some(size);
            }
            b"--bs" => {
                let v = value().to_bytes();
                options.bs = parse_size(v)
                    .and_then(|bs| usize::try_from(bs).ok())
                    .filter(|&bs| bs > 0)
                    .unwrap_or_else(|| bad(format_args!("bad block size: {}", Bytes(v))));
            }
            b"--repeat" => {
                let v = value().to_bytes();
                options.repeat =
                    parse_u64(v).unwrap_or_else(|| bad(format_args!("bad count: {}", Bytes(v))));
            }
            b"--mmap" => options.mmap = true,
            b"--random" => options.random = true,
            b"--time" => options.time = true,
            b"--cat" => {
                if !options.cat.push(value()) {
                    bad(format_args!("more than {} --cat options", CatList::MAX));
                }
            }
            b"--hold" => options.hold = true,
            _ if name.starts_with(b"-") => bad(format_args!("unknown option {}", Bytes(name))),
            _ if path.is_none() => path = Some(arg),
            _ => bad(format_args!("extra argument {}", Bytes(name))),
        }
    }
    options.path = path.unwrap_or_else(|| bad(format_args!("missing PATH")));
    if options.mmap && !options.offset.is_multiple_of(PAGE_SIZE as u64) {
        bad(format_args!(
            "--mmap needs an offset that is a multiple of {PAGE_SIZE}"
        ));
    }
    options
}

fn main(args: Args) -> i32 {
    let options = parse(args);
    let path = options.path.to_bytes();
    let fd =
        sys::open(options.path, O_RDONLY | O_CLOEXEC).unwrap_or_else(|e| die("fileread", path, e));
    let file_size = sys::fstat_size(fd).unwrap_or_else(|e| die("fileread", path, e));
    let offset = options.offset;
    let available = file_size.saturating_sub(offset);
    let limit = options.size.map_or(available, |s| s.min(available));
    let Ok(limit) = usize::try_from(limit) else {
        usage("fileread", format_args!("size too large"), USAGE)
    };
    let pages = limit.div_ceil(PAGE_SIZE);

    // Scratch memory comes from mmap rather than the stack, which tinymm
    // may not grow.
    let mut order_scratch = Scratch::new(pages * 4);
    let order = &mut order_scratch.as_u32s()[..pages];
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i as u32;
    }
    let mut rng = XorShift64::new(SEED);
    // At least a page: `--random` reads whole pages through it.
    let mut buf = Scratch::new(options.bs.max(PAGE_SIZE));
    let mapping = options.mmap.then(|| Mapping::new(fd, offset, limit, path));

    // Sequential read(2) goes to EOF (or --size) rather than trusting
    // st_size, which is 0 for /proc files.
    let sequential_limit = options
        .size
        .map_or(usize::MAX, |s| usize::try_from(s).unwrap_or(usize::MAX));

    let start = now();
    let mut first: Option<(u64, u64)> = None;
    for pass in 0..options.repeat {
        if options.random {
            shuffle(order, &mut rng);
        }
        let (bytes, sum) = match &mapping {
            Some(mapping) => mapping.pass(options.random.then_some(&*order)),
            None if options.random => read_pages(fd, offset, limit, order, buf.as_bytes(), path),
            None => {
                let buf = &mut buf.as_bytes()[..options.bs];
                read_sequential(fd, offset, sequential_limit, pass, buf, path)
            }
        };
        match first {
            None => {
                outln!("fileread: read {bytes} bytes");
                outln!("fileread: sum {sum}");
                first = Some((bytes, sum));
            }
            Some(expected) if expected != (bytes, sum) => {
                errln!(
                    "fileread: {}: pass read {bytes} bytes with sum {sum}, first pass {} with sum {}",
                    Bytes(path),
                    expected.0,
                    expected.1
                );
                return 1;
            }
            Some(_) => {}
        }
    }
    let elapsed = now() - start;
    if options.time {
        outln!("fileread: {elapsed} ns");
    }
    options.cat.print("fileread");
    if options.hold {
        // Only the page cache (and the mapping) stays: no scratch memory
        // in the cgroup's anonymous charge.
        drop(buf);
        drop(order_scratch);
        hold("fileread");
    }
    sys::close(fd).unwrap_or_else(|e| die("fileread", b"close", e));
    0
}

/// One sequential pass with read(2) up to `limit` bytes or EOF, from
/// `offset` (seeking there unless it is the first pass from 0).
fn read_sequential(
    fd: i32,
    offset: u64,
    limit: usize,
    pass: u64,
    buf: &mut [u8],
    path: &[u8],
) -> (u64, u64) {
    if pass > 0 || offset > 0 {
        sys::lseek(fd, offset, SEEK_SET).unwrap_or_else(|e| die("fileread", path, e));
    }
    let (mut done, mut sum) = (0usize, 0u64);
    while done < limit {
        let want = buf.len().min(limit - done);
        let n = read_retry(fd, &mut buf[..want], path);
        if n == 0 {
            break;
        }
        sum = sum.wrapping_add(sum_bytes(&buf[..n]));
        done += n;
    }
    (done as u64, sum)
}

/// One pass with read(2) of each page in `order`, the pages of the
/// `limit` bytes from `start`.
fn read_pages(
    fd: i32,
    start: u64,
    limit: usize,
    order: &[u32],
    buf: &mut [u8],
    path: &[u8],
) -> (u64, u64) {
    let (mut done, mut sum) = (0usize, 0u64);
    for &page in order {
        let offset = page as usize * PAGE_SIZE;
        sys::lseek(fd, start + offset as u64, SEEK_SET)
            .unwrap_or_else(|e| die("fileread", path, e));
        let want = PAGE_SIZE.min(limit - offset);
        let mut got = 0;
        while got < want {
            let n = read_retry(fd, &mut buf[got..want], path);
            if n == 0 {
                break;
            }
            got += n;
        }
        sum = sum.wrapping_add(sum_bytes(&buf[..got]));
        done += got;
    }
    (done as u64, sum)
}

fn read_retry(fd: i32, buf: &mut [u8], path: &[u8]) -> usize {
    loop {
        match sys::read(fd, buf) {
            Ok(n) => return n,
            Err(e) if e.errno() == Some(user::errno::Errno::EINTR) => {}
            Err(e) => die("fileread", path, e),
        }
    }
}

/// A private read-only file mapping of `len` bytes from `offset` (a
/// multiple of the page size).
struct Mapping {
    base: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(fd: i32, offset: u64, len: usize, path: &[u8]) -> Self {
        if len == 0 {
            // mmap refuses zero lengths; an empty file reads as nothing.
            return Self {
                base: core::ptr::NonNull::dangling().as_ptr(),
                len,
            };
        }
        let base = sys::mmap(len, PROT_READ, MAP_PRIVATE, fd, offset)
            .unwrap_or_else(|e| die("fileread", path, e));
        Self { base, len }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `[base, base + len)` is our readable mapping (or empty
        // with a dangling, aligned pointer) and lives as long as `self`;
        // nothing in this process writes to it.
        unsafe { core::slice::from_raw_parts(self.base, self.len) }
    }

    /// Sums every byte, page by page in `order` (file order if `None`).
    fn pass(&self, order: Option<&[u32]>) -> (u64, u64) {
        let bytes = self.bytes();
        let page = |i: usize| &bytes[i * PAGE_SIZE..((i + 1) * PAGE_SIZE).min(bytes.len())];
        let sum = match order {
            Some(order) => order
                .iter()
                .fold(0u64, |s, &i| s.wrapping_add(sum_bytes(page(i as usize)))),
            None => sum_bytes(bytes),
        };
        (bytes.len() as u64, sum)
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: the mapping is ours; `bytes()` borrows end with `self`.
            let _ = unsafe { sys::munmap(self.base, self.len) };
        }
    }
}

/// Anonymous scratch memory (zeroed), unmapped on drop.
struct Scratch {
    base: *mut u8,
    len: usize,
}

impl Scratch {
    fn new(len: usize) -> Self {
        let len = len.max(PAGE_SIZE);
        let base = sys::mmap(
            len,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )
        .unwrap_or_else(|e| die("fileread", b"mmap", e));
        Self { base, len }
    }

    fn as_bytes(&mut self) -> &mut [u8] {
        // SAFETY: our zero-filled writable mapping of `len` bytes, borrowed
        // exclusively through `&mut self`.
        unsafe { core::slice::from_raw_parts_mut(self.base, self.len) }
    }

    fn as_u32s(&mut self) -> &mut [u32] {
        // SAFETY: as `as_bytes`; mmap returns page-aligned memory, so the
        // u32s are aligned.
        unsafe { core::slice::from_raw_parts_mut(self.base.cast::<u32>(), self.len / 4) }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours; borrows of it end with `self`.
        let _ = unsafe { sys::munmap(self.base, self.len) };
    }
}

fn now() -> u64 {
    sys::clock_gettime_ns(CLOCK_MONOTONIC).unwrap_or_else(|e| die("fileread", b"clock_gettime", e))
}
