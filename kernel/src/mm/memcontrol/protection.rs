//! Reclaim protection (memory.min / memory.low) as the reclaim walk sees
//! it: `mem_cgroup_calculate_protection` from mm/memcontrol.c, the inline
//! `mem_cgroup_protection` / `mem_cgroup_below_min` /
//! `mem_cgroup_below_low` from include/linux/memcontrol.h, and the
//! proportional scan reduction that 6.12's `get_scan_count` (mm/vmscan.c)
//! does in line and later kernels call `apply_proportional_protection`.
//!
//! Until `struct mem_cgroup` exists these take the memcgs' `memory`
//! counters. Left out: `mem_cgroup_disabled()` (memcg is always on in
//! tinymm) and the MGLRU callers.

use crate::mm::page_counter::{PageCounter, page_counter_calculate_protection, page_counter_read};

/// Minimum reclaim quantum and isolation batch (include/linux/swap.h).
pub use crate::mm::vmscan::SWAP_CLUSTER_MAX;

/// Recompute `memory`'s effective protection for a reclaim targeted at
/// `target` (the root memcg for global reclaim); `recursive_protection` is
/// the cgroup2 `memory_recursiveprot` mount option. Call it for every memcg
/// of the pre-order walk of `shrink_node_memcgs`, before the checks below.
#[inline(never)]
pub fn mem_cgroup_calculate_protection(
    target: &PageCounter,
    memory: &PageCounter,
    recursive_protection: bool,
) {
    page_counter_calculate_protection(target, memory, recursive_protection);
}

/// The reclaim target itself and the root memcg are never protected.
fn mem_cgroup_unprotected(target: &PageCounter, memory: &PageCounter) -> bool {
    memory.parent().is_none() || core::ptr::eq(target, memory)
}

/// `(emin, elow)` for `get_scan_count`'s proportional reduction; `(0, 0)`
/// for the target itself, whose stored values may be stale.
pub fn mem_cgroup_protection(target: &PageCounter, memory: &PageCounter) -> (u64, u64) {
    if core::ptr::eq(target, memory) {
        return (0, 0);
    }
    (memory.emin(), memory.elow())
}

/// Hard protection: usage at or below emin (an empty memcg counts).
pub fn mem_cgroup_below_min(target: &PageCounter, memory: &PageCounter) -> bool {
    !mem_cgroup_unprotected(target, memory) && memory.emin() >= page_counter_read(memory)
}

/// Best-effort protection: usage at or below elow (an empty memcg counts).
pub fn mem_cgroup_below_low(target: &PageCounter, memory: &PageCounter) -> bool {
    !mem_cgroup_unprotected(target, memory) && memory.elow() >= page_counter_read(memory)
}

/// One LRU list's scan target before the priority shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProportionalScan {
    /// Pages to scan from the list at priority 0.
    pub scan: u64,
    /// memory.low reduced the scan: the caller sets
    /// `sc->memcg_low_skipped` so that reclaim retries with
    /// `memcg_low_reclaim` before giving up.
    pub memcg_low_skipped: bool,
}

/// Scale an LRU list of `lruvec_size` pages by the memcg's unprotected
/// fraction: `size − size × protection / (cgroup_size + 1)`, at least
/// `SWAP_CLUSTER_MAX` when protected at all so reclaim keeps moving.
/// `protection` is elow unless `memcg_low_reclaim` (or elow ≤ emin), then
/// emin. `get_scan_count` then shifts the result right by the priority.
pub fn apply_proportional_protection(
    target: &PageCounter,
    memory: &PageCounter,
    memcg_low_reclaim: bool,
    lruvec_size: u64,
) -> ProportionalScan {
    let (min, low) = mem_cgroup_protection(target, memory);
    if min == 0 && low == 0 {
        return ProportionalScan {
            scan: lruvec_size,
            memcg_low_skipped: false,
        };
    }
    let memcg_low_skipped = !memcg_low_reclaim && low > min;
    let protection = if memcg_low_skipped { low } else { min };
    // The usage may have changed since the protection check.
    let cgroup_size = page_counter_read(memory).max(protection);
    let reduction =
        u128::from(lruvec_size) * u128::from(protection) / (u128::from(cgroup_size) + 1);
    let scan = lruvec_size
        - u64::try_from(reduction)
            .unwrap_or(lruvec_size)
            .min(lruvec_size);
    ProportionalScan {
        scan: scan.max(SWAP_CLUSTER_MAX),
        memcg_low_skipped,
    }
}

#[cfg(test)]
mod tests;
