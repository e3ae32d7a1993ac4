//! `spin SECONDS`: burns CPU for SECONDS (CLOCK_MONOTONIC) and prints
//! `spin: N loops`, how many clock reads fit: a measure of the CPU share
//! the scheduler gave it.

#![no_std]
#![no_main]

use user::io::{Bytes, die, usage};
use user::parse::parse_seconds;
use user::sys::{self, CLOCK_MONOTONIC};
use user::{Args, outln};

user::entry!(main);

fn main(args: Args) -> i32 {
    let (Some(arg), 2) = (args.get(1), args.len()) else {
        usage("spin", format_args!("need one argument"), "spin SECONDS");
    };
    let arg = arg.to_bytes();
    let Some(ns) = parse_seconds(arg) else {
        usage(
            "spin",
            format_args!("invalid number '{}'", Bytes(arg)),
            "spin SECONDS",
        );
    };
    let now = || {
        sys::clock_gettime_ns(CLOCK_MONOTONIC).unwrap_or_else(|e| die("spin", b"clock_gettime", e))
    };
    let deadline = now().saturating_add(ns);
    let mut loops = 0u64;
    while now() < deadline {
        loops += 1;
    }
    outln!("spin: {loops} loops");
    0
}
