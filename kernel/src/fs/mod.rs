//! Filesystems: for now the procfs files of the memory subsystem.

pub mod proc;
