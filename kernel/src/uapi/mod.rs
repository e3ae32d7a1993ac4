//! The user-space ABI (include/uapi/): numbers user programs see. Files
//! here have no dependencies so that `user/` can include them by path.

pub mod errno;
pub mod fcntl;
pub mod futex;
pub mod mman;
pub mod reboot;
pub mod resource;
pub mod signal;
pub mod swap;
pub mod termbits;
pub mod time;
pub mod unistd_64;
