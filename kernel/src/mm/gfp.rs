//! GFP flags (include/linux/gfp_types.h, include/linux/gfp.h): the same
//! bit values as Linux ≈ 6.12, so a `gfp_mask` printed by tinymm (3264 for
//! GFP_KERNEL) reads like one printed by Linux.

use bitflags::bitflags;

use super::mmzone::ZoneType;

bitflags! {
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Gfp: u32 {
        const __GFP_DMA = 1 << 0;
        const __GFP_HIGHMEM = 1 << 1;
        const __GFP_DMA32 = 1 << 2;
        const __GFP_MOVABLE = 1 << 3;
        const __GFP_RECLAIMABLE = 1 << 4;
        const __GFP_HIGH = 1 << 5;
        const __GFP_IO = 1 << 6;
        const __GFP_FS = 1 << 7;
        const __GFP_ZERO = 1 << 8;
        const __GFP_DIRECT_RECLAIM = 1 << 10;
        const __GFP_KSWAPD_RECLAIM = 1 << 11;
        const __GFP_WRITE = 1 << 12;
        const __GFP_NOWARN = 1 << 13;
        const __GFP_RETRY_MAYFAIL = 1 << 14;
        const __GFP_NOFAIL = 1 << 15;
        const __GFP_NORETRY = 1 << 16;
        const __GFP_MEMALLOC = 1 << 17;
        const __GFP_COMP = 1 << 18;
        const __GFP_NOMEMALLOC = 1 << 19;
        const __GFP_HARDWALL = 1 << 20;
        const __GFP_THISNODE = 1 << 21;
        const __GFP_ACCOUNT = 1 << 22;

        const __GFP_RECLAIM = Self::__GFP_DIRECT_RECLAIM.bits() | Self::__GFP_KSWAPD_RECLAIM.bits();
        const GFP_ATOMIC = Self::__GFP_HIGH.bits() | Self::__GFP_KSWAPD_RECLAIM.bits();
        const GFP_KERNEL = Self::__GFP_RECLAIM.bits() | Self::__GFP_IO.bits() | Self::__GFP_FS.bits();
        const GFP_KERNEL_ACCOUNT = Self::GFP_KERNEL.bits() | Self::__GFP_ACCOUNT.bits();
        const GFP_NOWAIT = Self::__GFP_KSWAPD_RECLAIM.bits() | Self::__GFP_NOWARN.bits();
        const GFP_NOIO = Self::__GFP_RECLAIM.bits();
        const GFP_NOFS = Self::__GFP_RECLAIM.bits() | Self::__GFP_IO.bits();
        const GFP_USER = Self::GFP_KERNEL.bits() | Self::__GFP_HARDWALL.bits();
        const GFP_DMA = Self::__GFP_DMA.bits();
        const GFP_DMA32 = Self::__GFP_DMA32.bits();
        const GFP_HIGHUSER = Self::GFP_USER.bits() | Self::__GFP_HIGHMEM.bits();
        const GFP_HIGHUSER_MOVABLE = Self::GFP_HIGHUSER.bits() | Self::__GFP_MOVABLE.bits();
    }
}

/// `gfp_zone()`: the highest zone an allocation may use.
pub fn gfp_zone(gfp: Gfp) -> ZoneType {
    if gfp.contains(Gfp::__GFP_DMA) {
        ZoneType::Dma
    } else if gfp.contains(Gfp::__GFP_DMA32) {
        ZoneType::Dma32
    } else if gfp.contains(Gfp::__GFP_MOVABLE | Gfp::__GFP_HIGHMEM) {
        ZoneType::Movable
    } else {
        ZoneType::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gfp_kernel_has_linux_value() {
        // The seed's backtraces show gfp_mask=3264 for GFP_KERNEL.
        assert_eq!(Gfp::GFP_KERNEL.bits(), 3264);
        assert_eq!(Gfp::GFP_ATOMIC.bits(), 0x820);
        assert_eq!(Gfp::GFP_HIGHUSER_MOVABLE.bits(), 0x100cca);
    }

    #[test]
    fn gfp_zone_picks_linux_zone() {
        assert_eq!(gfp_zone(Gfp::GFP_KERNEL), ZoneType::Normal);
        assert_eq!(gfp_zone(Gfp::GFP_DMA), ZoneType::Dma);
        assert_eq!(gfp_zone(Gfp::GFP_KERNEL | Gfp::GFP_DMA32), ZoneType::Dma32);
        assert_eq!(gfp_zone(Gfp::GFP_HIGHUSER_MOVABLE), ZoneType::Movable);
        assert_eq!(
            gfp_zone(Gfp::GFP_USER | Gfp::__GFP_MOVABLE),
            ZoneType::Normal
        );
    }
}
