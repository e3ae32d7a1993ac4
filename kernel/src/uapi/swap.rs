//! swapon(2)'s flags (include/uapi/linux/swap.h).

/// Set if the priority in the low bits is to be used.
pub const SWAP_FLAG_PREFER: i32 = 0x8000;
/// The priority, 0..=32767.
pub const SWAP_FLAG_PRIO_MASK: i32 = 0x7fff;
pub const SWAP_FLAG_PRIO_SHIFT: u32 = 0;
/// Enable discard for swap.
pub const SWAP_FLAG_DISCARD: i32 = 0x10000;
/// Discard the whole area once, at swapon.
pub const SWAP_FLAG_DISCARD_ONCE: i32 = 0x20000;
/// Discard page clusters as they are freed.
pub const SWAP_FLAG_DISCARD_PAGES: i32 = 0x40000;
/// Every flag swapon(2) knows.
pub const SWAP_FLAGS_VALID: i32 = SWAP_FLAG_PRIO_MASK
    | SWAP_FLAG_PREFER
    | SWAP_FLAG_DISCARD
    | SWAP_FLAG_DISCARD_ONCE
    | SWAP_FLAG_DISCARD_PAGES;
