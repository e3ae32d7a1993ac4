//! Helpers of Linux's lib/ the rest of the kernel shares.

pub mod ratelimit;
