//! The memory cgroup controller: Linux's mm/memcontrol.c and
//! include/linux/memcontrol.h (≈ v6.12).
//!
//! So far the reclaim-protection helpers ([`protection`]) and the
//! controller's cgroup hooks ([`MEMORY_CGRP_SUBSYS`]: a memcg per cgroup
//! with its `memory` counter); charging, control files and OOM handling
//! are still to come.

pub mod protection;

use alloc::sync::Arc;

use crate::cgroup::{CgroupSubsys, Css};
use crate::mm::page_counter::{PageCounter, page_counter_set_low, page_counter_set_min};
use crate::uapi::errno::{Errno, KResult};

/// `struct mem_cgroup`, so far only its `memory` counter; charging and
/// the control files come next.
pub struct MemCgroup {
    pub memory: Arc<PageCounter>,
}

/// `mem_cgroup_from_css()`.
pub fn mem_cgroup_from_css(css: &Css) -> Option<&MemCgroup> {
    css.downcast_ref::<MemCgroup>()
}

/// `mem_cgroup_css_alloc()`: the counter is a child of the parent's
/// (hierarchical accounting), with protection support.
fn mem_cgroup_css_alloc(parent_css: Option<&Css>) -> KResult<Css> {
    let parent = match parent_css {
        Some(css) => Some(
            mem_cgroup_from_css(css)
                .ok_or(Errno::EINVAL)?
                .memory
                .clone(),
        ),
        None => None,
    };
    Ok(Arc::new(MemCgroup {
        memory: Arc::new(PageCounter::new(parent, true)),
    }))
}

/// `mem_cgroup_css_offline()`: a dead memcg protects nothing (its pages
/// stay charged to it, a zombie, until they are freed).
fn mem_cgroup_css_offline(css: &Css) {
    if let Some(memcg) = mem_cgroup_from_css(css) {
        page_counter_set_min(&memcg.memory, 0);
        page_counter_set_low(&memcg.memory, 0);
    }
}

/// `memory_cgrp_subsys`: the memory controller as cgroup core sees it.
pub static MEMORY_CGRP_SUBSYS: CgroupSubsys = CgroupSubsys {
    name: "memory",
    css_alloc: mem_cgroup_css_alloc,
    css_offline: Some(mem_cgroup_css_offline),
    css_free: None,
    attach: None,
    cftypes: &[],
};
