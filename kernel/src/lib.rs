//! tinymm: Linux's memory-management core (memcg and what it needs) on a
//! small x86_64 kernel. See /work/shared/DESIGN.md for the layering.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(target_os = "none", feature(abi_x86_interrupt))]

extern crate alloc;

#[cfg(target_os = "none")]
pub mod arch;
#[cfg(target_os = "none")]
pub mod init;
