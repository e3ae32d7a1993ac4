//! The runtime of tinymm's workload programs: raw Linux x86_64 syscalls (no
//! libc), the `_start` entry, argument and size parsing, and line output.
//! The same static binaries run on Linux and on tinymm, so everything here
//! follows Linux's ABI; syscall and errno numbers come from the kernel's
//! own `uapi` files so they are defined once.

#![cfg_attr(not(test), no_std)]

#[path = "../../kernel/src/uapi/errno.rs"]
pub mod errno;
#[path = "../../kernel/src/uapi/fcntl.rs"]
pub mod fcntl;
#[path = "../../kernel/src/uapi/futex.rs"]
pub mod futex;
#[path = "../../kernel/src/uapi/mman.rs"]
pub mod mman;
#[path = "../../kernel/src/uapi/reboot.rs"]
pub mod reboot;
#[path = "../../kernel/src/uapi/resource.rs"]
pub mod resource;
#[path = "../../kernel/src/uapi/time.rs"]
pub mod time;
#[path = "../../kernel/src/uapi/unistd_64.rs"]
pub mod unistd_64;

pub mod args;
pub mod io;
pub mod parse;
pub mod rt;
pub mod sys;

pub use args::Args;
pub use sys::Error;
