//! `anon SIZE [--stride BYTES] [--repeat N] [--hold] [--populate] [--mlock] [--time] [--cat PATH]...`
//!
//! Maps SIZE bytes of private anonymous memory and writes one byte every
//! BYTES (default 4096) over the whole range, N times (default 1). Prints
//! `anon: touched P pages` (distinct pages written per pass) and, with
//! `--time`, `anon: T ns` (mmap, mlock and all passes, CLOCK_MONOTONIC).
//! Then, while it still has the memory, each `--cat` file in order: every
//! line L as `anon: PATH: L`, or `anon: PATH: error -ERRNO` if it cannot be
//! read (a child in a cgroup reporting its `memory.current`). `--hold`
//! then keeps the memory until the process is killed.

#![no_std]
#![no_main]

use user::io::{Bytes, CatList, die, hold, usage};
use user::parse::{parse_size, parse_u64, split_opt_cstr};
use user::sys::{self, CLOCK_MONOTONIC, MAP_ANONYMOUS, MAP_POPULATE, MAP_PRIVATE, PAGE_SIZE};
use user::sys::{PROT_READ, PROT_WRITE};
use user::{Args, outln};

user::entry!(main);

const USAGE: &str = "anon SIZE [--stride BYTES] [--repeat N] [--hold] [--populate] [--mlock] [--time] [--cat PATH]...";

fn main(args: Args) -> i32 {
    let bad = |what: core::fmt::Arguments| -> ! { usage("anon", what, USAGE) };
    let mut size = None;
    let mut stride = PAGE_SIZE as u64;
    let mut repeat = 1u64;
    let (mut holding, mut populate, mut lock, mut time) = (false, false, false, false);
    let mut cat = CatList::new();
    let mut rest = args.rest();
    while let Some(arg) = rest.next() {
        let (name, inline) = split_opt_cstr(arg);
        let mut value = || {
            inline
                .or_else(|| rest.next())
                .unwrap_or_else(|| bad(format_args!("{} needs a value", Bytes(name))))
        };
        let arg = arg.to_bytes();
        match name {
            b"--stride" => {
                let v = value().to_bytes();
                stride = parse_size(v)
                    .filter(|&s| s > 0)
                    .unwrap_or_else(|| bad(format_args!("bad stride: {}", Bytes(v))));
            }
            b"--repeat" => {
                let v = value().to_bytes();
                repeat =
                    parse_u64(v).unwrap_or_else(|| bad(format_args!("bad count: {}", Bytes(v))));
            }
            b"--cat" => {
                if !cat.push(value()) {
                    bad(format_args!("more than {} --cat options", CatList::MAX));
                }
            }
            b"--hold" => holding = true,
            b"--populate" => populate = true,
            b"--mlock" => lock = true,
            b"--time" => time = true,
            _ if name.starts_with(b"-") => bad(format_args!("unknown option {}", Bytes(name))),
            _ if size.is_none() => {
                size = Some(
                    parse_size(arg)
                        .filter(|&s| s > 0)
                        .unwrap_or_else(|| bad(format_args!("bad size: {}", Bytes(arg)))),
                );
            }
            _ => bad(format_args!("extra argument {}", Bytes(arg))),
        }
    }
    let Some(size) = size else {
        bad(format_args!("missing SIZE"))
    };
    let Ok(len) = usize::try_from(size) else {
        bad(format_args!("size too large"))
    };

    let start = now();
    let flags = MAP_PRIVATE | MAP_ANONYMOUS | if populate { MAP_POPULATE } else { 0 };
    let base = sys::mmap(len, PROT_READ | PROT_WRITE, flags, -1, 0)
        .unwrap_or_else(|e| die("anon", b"mmap", e));
    if lock {
        sys::mlock(base, len).unwrap_or_else(|e| die("anon", b"mlock", e));
    }
    let mut pages = 0u64;
    for pass in 0..repeat {
        pages = touch(base, len, stride as usize, (pass as u8).wrapping_add(1));
    }
    let elapsed = now() - start;
    outln!("anon: touched {pages} pages");
    if time {
        outln!("anon: {elapsed} ns");
    }
    cat.print("anon");
    if holding {
        hold("anon");
    }
    // SAFETY: the mapping is ours and nothing refers to it any more.
    unsafe { sys::munmap(base, len) }.unwrap_or_else(|e| die("anon", b"munmap", e));
    0
}

/// Writes `value` at every `stride`-th byte of `[base, base + len)`;
/// returns how many distinct pages that wrote.
fn touch(base: *mut u8, len: usize, stride: usize, value: u8) -> u64 {
    let mut pages = 0;
    let mut last_page = usize::MAX;
    let mut offset = 0;
    while offset < len {
        // SAFETY: `offset < len` and `[base, base + len)` is our writable
        // mapping; volatile so every write happens (and faults the page in).
        unsafe { base.add(offset).write_volatile(value) };
        if offset / PAGE_SIZE != last_page {
            last_page = offset / PAGE_SIZE;
            pages += 1;
        }
        offset = match offset.checked_add(stride) {
            Some(next) => next,
            None => break,
        };
    }
    pages
}

fn now() -> u64 {
    sys::clock_gettime_ns(CLOCK_MONOTONIC).unwrap_or_else(|e| die("anon", b"clock_gettime", e))
}
