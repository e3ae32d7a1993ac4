//! `swap_cgroup` (mm/swap_cgroup.c): for each slot of each swap area, the
//! id of the memcg its swap is charged to (0: none), so that swap-in
//! charges the page back to the memcg that swapped it out and freeing
//! the slot uncharges the right counter. Allocated at swapon, freed at
//! swapoff, two bytes a slot as in Linux.

use alloc::vec::Vec;

use super::swapops::{MAX_SWAPFILES, SwpEntry, swp_offset, swp_type};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

static SWAP_CGROUP_CTRL: SpinLock<[Vec<u16>; MAX_SWAPFILES]> =
    SpinLock::new([const { Vec::new() }; MAX_SWAPFILES]);

/// `swap_cgroup_swapon()`: a zeroed map for area `type_` of `max_pages`
/// slots; ENOMEM when the kernel heap cannot hold it.
pub fn swap_cgroup_swapon(type_: u32, max_pages: u64) -> KResult<()> {
    let mut map = Vec::new();
    let len = usize::try_from(max_pages).map_err(|_| Errno::ENOMEM)?;
    map.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    map.resize(len, 0);
    SWAP_CGROUP_CTRL.lock_irqsave()[type_ as usize] = map;
    Ok(())
}

/// `swap_cgroup_swapoff()`.
pub fn swap_cgroup_swapoff(type_: u32) {
    let map = core::mem::take(&mut SWAP_CGROUP_CTRL.lock_irqsave()[type_ as usize]);
    drop(map);
}

/// `swap_cgroup_record()`: `nr_ents` slots from `entry` now belong to
/// memcg `id`; returns the id the first one had.
pub fn swap_cgroup_record(entry: SwpEntry, id: u16, nr_ents: u64) -> u16 {
    let mut ctrl = SWAP_CGROUP_CTRL.lock_irqsave();
    let map = &mut ctrl[swp_type(entry) as usize];
    let start = swp_offset(entry) as usize;
    let Some(slots) = map.get_mut(start..start + nr_ents as usize) else {
        return 0;
    };
    let old = slots[0];
    slots.fill(id);
    old
}

/// `lookup_swap_cgroup_id()`.
pub fn lookup_swap_cgroup_id(entry: SwpEntry) -> u16 {
    SWAP_CGROUP_CTRL.lock_irqsave()[swp_type(entry) as usize]
        .get(swp_offset(entry) as usize)
        .copied()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::swapops::swp_entry;

    #[test]
    fn records_and_returns_the_previous_owner() {
        swap_cgroup_swapon(3, 100).unwrap();
        let e = swp_entry(3, 10);
        assert_eq!(lookup_swap_cgroup_id(e), 0);
        assert_eq!(swap_cgroup_record(e, 7, 2), 0);
        assert_eq!(lookup_swap_cgroup_id(e), 7);
        assert_eq!(lookup_swap_cgroup_id(swp_entry(3, 11)), 7);
        assert_eq!(lookup_swap_cgroup_id(swp_entry(3, 12)), 0);
        assert_eq!(swap_cgroup_record(e, 0, 1), 7);
        // Out of the map: nothing recorded, no panic.
        assert_eq!(swap_cgroup_record(swp_entry(3, 100), 5, 1), 0);
        assert_eq!(lookup_swap_cgroup_id(swp_entry(4, 1)), 0);
        swap_cgroup_swapoff(3);
        assert_eq!(lookup_swap_cgroup_id(e), 0);
    }
}
