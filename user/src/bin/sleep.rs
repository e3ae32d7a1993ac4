//! `sleep SECS...`: sleeps for the sum of its arguments, each a decimal
//! number of seconds with an optional s/m/h/d suffix (busybox `sleep`).

#![no_std]
#![no_main]

use user::Args;
use user::io::{Bytes, die, usage};
use user::parse::parse_seconds;
use user::sys;

user::entry!(main);

const USAGE: &str = "sleep SECONDS[s|m|h|d]...";

fn main(args: Args) -> i32 {
    if args.len() < 2 {
        usage("sleep", format_args!("missing operand"), USAGE);
    }
    let mut total = 0u64;
    for arg in args.rest().map(|a| a.to_bytes()) {
        let ns = parse_seconds(arg).unwrap_or_else(|| {
            usage(
                "sleep",
                format_args!("invalid number '{}'", Bytes(arg)),
                USAGE,
            )
        });
        total = total.saturating_add(ns);
    }
    sys::sleep_ns(total).unwrap_or_else(|e| die("sleep", b"nanosleep", e));
    0
}
