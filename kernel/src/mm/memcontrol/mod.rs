//! The memory cgroup controller: Linux's mm/memcontrol.c and
//! include/linux/memcontrol.h (≈ v6.12).
//!
//! So far only the reclaim-protection helpers ([`protection`]); the memcg
//! tree, charging, control files and OOM handling are still to come.

pub mod protection;
