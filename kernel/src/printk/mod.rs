//! The kernel log (kernel/printk/): the record ring
//! (`printk_ringbuffer.rs`), printk, syslog(2) and the console levels
//! (`printk.rs`), and /dev/kmsg (`devkmsg.rs`, the `kmsg_fops` part of
//! printk.c).

#[cfg(target_os = "none")]
pub mod devkmsg;
#[allow(clippy::module_inception)] // Linux's kernel/printk/printk.c
pub mod printk;
pub mod printk_ringbuffer;
