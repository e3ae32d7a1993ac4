//! Swap entries and their page-table form; mirrors include/linux/swapops.h
//! (the arch-independent `swp_entry_t`) and the swap part of
//! arch/x86/include/asm/pgtable_64.h (how x86_64 stores an entry in a
//! non-present PTE), with `is_swap_pte` from include/linux/swapops.h and
//! `pte_none`/`pte_present` from arch/x86/include/asm/pgtable.h.
//!
//! An entry is a swap type (which area, 5 bits) and an offset (which
//! page slot of it). In a PTE Linux stores the type in bits 59..64 and the
//! offset *inverted* in bits 9..59, so an entry's PTE never looks like a
//! pointer at low physical memory (the L1TF mitigation); a gdb `p/x` of a
//! tinymm swap PTE therefore reads as it does on Linux. Bits 1..4 carry
//! the soft-dirty, uffd-wp and anon-exclusive marks there; tinymm sets
//! none of them, and `pte_to_swp_entry` clears them as Linux does.
//!
//! Left out: the non-swap entry types (device-private, migration,
//! hwpoison, PTE markers, swapin-error): tinymm makes none, so all
//! [`MAX_SWAPFILES`] types are swap areas.

/// `MAX_SWAPFILES_SHIFT`: bits of the type.
pub const MAX_SWAPFILES_SHIFT: u32 = 5;
/// `MAX_SWAPFILES`: swap areas that can be on at once. Linux takes the
/// non-swap entry types off `1 << MAX_SWAPFILES_SHIFT`; tinymm has none.
pub const MAX_SWAPFILES: usize = 1 << MAX_SWAPFILES_SHIFT;
/// `SWP_TYPE_SHIFT`: `BITS_PER_XA_VALUE - MAX_SWAPFILES_SHIFT`, so an
/// entry fits an XArray value entry (63 bits).
const SWP_TYPE_SHIFT: u32 = 63 - MAX_SWAPFILES_SHIFT;
/// `SWP_OFFSET_MASK`.
const SWP_OFFSET_MASK: u64 = (1 << SWP_TYPE_SHIFT) - 1;

/// `swp_entry_t`: type and offset packed in one word; 0 is "no entry".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SwpEntry {
    pub val: u64,
}

/// `swp_entry()`: the entry for slot `offset` of area `type_`.
pub const fn swp_entry(type_: u32, offset: u64) -> SwpEntry {
    SwpEntry {
        val: ((type_ as u64) << SWP_TYPE_SHIFT) | (offset & SWP_OFFSET_MASK),
    }
}

/// `swp_type()`: the area.
pub const fn swp_type(entry: SwpEntry) -> u32 {
    (entry.val >> SWP_TYPE_SHIFT) as u32
}

/// `swp_offset()`: the slot within the area.
pub const fn swp_offset(entry: SwpEntry) -> u64 {
    entry.val & SWP_OFFSET_MASK
}

/// `pte_t`: a page-table entry's value, as the CPU sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pte(pub u64);

impl Pte {
    /// `pte_val()`.
    pub const fn pte_val(self) -> u64 {
        self.0
    }
}

/// `_PAGE_PRESENT`.
const _PAGE_PRESENT: u64 = 1 << 0;
/// `_PAGE_PROTNONE`: `_PAGE_GLOBAL` reused in non-present entries.
const _PAGE_PROTNONE: u64 = 1 << 8;
/// `_PAGE_KNL_ERRATUM_MASK`: accessed and dirty, which some CPUs set in
/// non-present entries by mistake; `pte_none` ignores them.
const _PAGE_KNL_ERRATUM_MASK: u64 = (1 << 5) | (1 << 6);
/// `_PAGE_SWP_SOFT_DIRTY` (bit 1), `_PAGE_SWP_UFFD_WP` (bit 2) and
/// `_PAGE_SWP_EXCLUSIVE` (bit 3): marks a swap PTE may carry beside the
/// entry.
const _PAGE_SWP_FLAGS: u64 = (1 << 1) | (1 << 2) | (1 << 3);

/// `SWP_TYPE_BITS` of the x86_64 swap PTE.
const SWP_TYPE_BITS: u32 = 5;
/// `SWP_OFFSET_FIRST_BIT`: `_PAGE_BIT_PROTNONE + 1`.
const SWP_OFFSET_FIRST_BIT: u32 = 9;
/// `SWP_OFFSET_SHIFT`.
const SWP_OFFSET_SHIFT: u32 = SWP_OFFSET_FIRST_BIT + SWP_TYPE_BITS;

/// The architecture's swap entry (x86_64's `swp_entry_t` of
/// pgtable_64.h): the PTE value itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchSwpEntry {
    pub val: u64,
}

/// `__swp_type()`.
pub const fn __swp_type(x: ArchSwpEntry) -> u32 {
    (x.val >> (64 - SWP_TYPE_BITS)) as u32
}

/// `__swp_offset()`: shift the type out, then down, undoing the inversion.
pub const fn __swp_offset(x: ArchSwpEntry) -> u64 {
    (!x.val << SWP_TYPE_BITS) >> SWP_OFFSET_SHIFT
}

/// `__swp_entry()`: the offset inverted, shifted up "too far" by the type
/// bits and back down (dropping what does not fit), the type on top.
pub const fn __swp_entry(type_: u32, offset: u64) -> ArchSwpEntry {
    ArchSwpEntry {
        val: ((!offset << SWP_OFFSET_SHIFT) >> SWP_TYPE_BITS)
            | ((type_ as u64) << (64 - SWP_TYPE_BITS)),
    }
}

/// `__pte_to_swp_entry()`.
pub const fn __pte_to_swp_entry(pte: Pte) -> ArchSwpEntry {
    ArchSwpEntry { val: pte.0 }
}

/// `__swp_entry_to_pte()`.
pub const fn __swp_entry_to_pte(x: ArchSwpEntry) -> Pte {
    Pte(x.val)
}

/// `pte_none()`: nothing there at all.
pub const fn pte_none(pte: Pte) -> bool {
    pte.0 & !_PAGE_KNL_ERRATUM_MASK == 0
}

/// `pte_present()`: mapped, or PROT_NONE (still a page, not an entry).
pub const fn pte_present(pte: Pte) -> bool {
    pte.0 & (_PAGE_PRESENT | _PAGE_PROTNONE) != 0
}

/// `is_swap_pte()`: neither empty nor present.
pub const fn is_swap_pte(pte: Pte) -> bool {
    !pte_none(pte) && !pte_present(pte)
}

/// `pte_swp_clear_flags()`: the entry without its soft-dirty, uffd-wp
/// and exclusive marks.
pub const fn pte_swp_clear_flags(pte: Pte) -> Pte {
    Pte(pte.0 & !_PAGE_SWP_FLAGS)
}

/// `pte_to_swp_entry()`: the entry a swap PTE holds.
pub const fn pte_to_swp_entry(pte: Pte) -> SwpEntry {
    let arch = __pte_to_swp_entry(pte_swp_clear_flags(pte));
    swp_entry(__swp_type(arch), __swp_offset(arch))
}

/// `swp_entry_to_pte()`: the PTE that stands for `entry`.
pub const fn swp_entry_to_pte(entry: SwpEntry) -> Pte {
    __swp_entry_to_pte(__swp_entry(swp_type(entry), swp_offset(entry)))
}

/// `generic_max_swapfile_size()`: slots an area can have, found by
/// pushing the largest offset through the PTE form and back (x86_64:
/// 2^50). Linux's x86 `arch_max_swapfile_size` lowers it further only on
/// CPUs with the L1TF bug, which QEMU's TCG CPUs do not report.
pub const fn generic_max_swapfile_size() -> u64 {
    swp_offset(pte_to_swp_entry(swp_entry_to_pte(swp_entry(0, !0)))) + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn linux_layout() {
        // Type 1, offset 2: offset inverted from bit 9 up to bit 58, type
        // in bits 59..64 — what `p/x` of such a PTE shows on Linux.
        let pte = swp_entry_to_pte(swp_entry(1, 2));
        assert_eq!(pte.pte_val(), 0x0fff_ffff_ffff_fa00);
        assert!(is_swap_pte(pte));
        assert!(!pte_present(pte));
        assert_eq!(pte_to_swp_entry(pte), swp_entry(1, 2));
        // The generic entry: type above offset at bit 58.
        assert_eq!(swp_entry(1, 2).val, (1 << 58) | 2);
        assert_eq!(swp_type(swp_entry(31, 7)), 31);
        assert_eq!(swp_offset(swp_entry(31, 7)), 7);
        assert_eq!(generic_max_swapfile_size(), 1 << 50);
    }

    #[test]
    fn none_and_present_are_not_swap() {
        assert!(!is_swap_pte(Pte(0)));
        // Accessed/dirty alone in a non-present entry is still none.
        assert!(!is_swap_pte(Pte(0x60)));
        assert!(!is_swap_pte(Pte(0x1234_5067)));
        // PROT_NONE: present in Linux's sense.
        assert!(!is_swap_pte(Pte(0x1234_5100)));
    }

    #[test]
    fn marks_are_ignored() {
        let pte = swp_entry_to_pte(swp_entry(3, 12345));
        assert_eq!(
            pte_to_swp_entry(Pte(pte.pte_val() | 0b1110)),
            swp_entry(3, 12345)
        );
    }

    proptest! {
        #[test]
        fn round_trip(type_ in 0u32..MAX_SWAPFILES as u32, offset in 0u64..(1 << 50)) {
            let entry = swp_entry(type_, offset);
            let pte = swp_entry_to_pte(entry);
            prop_assert!(is_swap_pte(pte));
            prop_assert_eq!(pte.pte_val() & 0x1ff, 0);
            prop_assert_eq!(pte_to_swp_entry(pte), entry);
        }
    }
}
