//! Device drivers; mirrors Linux's drivers/. Only the tty layer exists.

pub mod tty;
