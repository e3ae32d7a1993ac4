//! tinymm: Linux's memory-management core, rebuilt small enough to read.
//!
//! The hardware-independent parts (`mm`, `fs`, `sync`) also build for the
//! host, where `cargo test -p kernel --lib` runs their unit and property
//! tests; everything that needs the machine is gated on `target_os = "none"`.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

#[cfg(target_os = "none")]
pub mod arch;
pub mod block;
pub mod cgroup;
pub mod drivers;
pub mod fs;
#[cfg(target_os = "none")]
pub mod init;
/// Linux's lib/ (a `#[path]`: `src/lib.rs` is the crate root).
#[path = "lib/mod.rs"]
pub mod lib;
pub mod mm;
pub mod params;
pub mod printk;
#[cfg(target_os = "none")]
pub mod selftest;
pub mod sync;
#[cfg(target_os = "none")]
pub mod task;
/// The machine-independent parts of `task/`, built alone for the host
/// tests.
#[cfg(not(target_os = "none"))]
#[path = "task"]
pub mod task {
    pub mod futex;
    pub mod loadavg;
    pub mod random;
    pub mod resource;
    pub mod wait;
}
pub mod uapi;
