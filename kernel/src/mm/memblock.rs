//! The boot-time memory allocator (mm/memblock.c).
//!
//! Two sorted lists of physical ranges: `memory` (RAM the firmware
//! reported) and `reserved` (RAM in use before the buddy allocator runs:
//! the kernel image, the bootloader's page tables, `mem_map`, the kernel
//! heap). Allocations are top-down, like Linux's default. Fixed capacity,
//! because memblock runs before any heap exists.

/// Linux's `INIT_MEMBLOCK_REGIONS`.
const MAX_REGIONS: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MemblockRegion {
    pub base: u64,
    pub size: u64,
}

impl MemblockRegion {
    pub fn end(&self) -> u64 {
        self.base + self.size
    }
}

/// `struct memblock_type`: sorted, non-overlapping, adjacent ranges merged.
#[derive(Clone)]
pub struct MemblockType {
    regions: [MemblockRegion; MAX_REGIONS],
    cnt: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct MemblockFull;

impl MemblockType {
    const fn new() -> Self {
        Self {
            regions: [MemblockRegion { base: 0, size: 0 }; MAX_REGIONS],
            cnt: 0,
        }
    }

    pub fn regions(&self) -> &[MemblockRegion] {
        &self.regions[..self.cnt]
    }

    /// `memblock_add_range()`: insert and merge with overlapping or
    /// adjacent neighbours.
    fn add_range(&mut self, base: u64, size: u64) -> Result<(), MemblockFull> {
        if size == 0 {
            return Ok(());
        }
        let (mut start, mut end) = (base, base + size);
        // Regions touching [start, end) are absorbed into it.
        let first = self
            .regions()
            .iter()
            .position(|r| r.end() >= start)
            .unwrap_or(self.cnt);
        let mut last = first;
        while last < self.cnt && self.regions[last].base <= end {
            start = start.min(self.regions[last].base);
            end = end.max(self.regions[last].end());
            last += 1;
        }
        let absorbed = last - first;
        if absorbed == 0 && self.cnt == MAX_REGIONS {
            return Err(MemblockFull);
        }
        let merged = MemblockRegion {
            base: start,
            size: end - start,
        };
        if absorbed == 0 {
            self.regions.copy_within(first..self.cnt, first + 1);
            self.cnt += 1;
        } else {
            self.regions.copy_within(last..self.cnt, first + 1);
            self.cnt -= absorbed - 1;
        }
        self.regions[first] = merged;
        Ok(())
    }

    /// Total bytes covered.
    pub fn total_size(&self) -> u64 {
        self.regions().iter().map(|r| r.size).sum()
    }
}

pub struct Memblock {
    pub memory: MemblockType,
    pub reserved: MemblockType,
}

impl Default for Memblock {
    fn default() -> Self {
        Self::new()
    }
}

impl Memblock {
    pub const fn new() -> Self {
        Self {
            memory: MemblockType::new(),
            reserved: MemblockType::new(),
        }
    }

    /// `memblock_add()`.
    pub fn add(&mut self, base: u64, size: u64) -> Result<(), MemblockFull> {
        self.memory.add_range(base, size)
    }

    /// `memblock_reserve()`.
    pub fn reserve(&mut self, base: u64, size: u64) -> Result<(), MemblockFull> {
        self.reserved.add_range(base, size)
    }

    /// `for_each_free_mem_range()`: memory minus reserved, ascending.
    pub fn for_each_free_range(&self, mut f: impl FnMut(u64, u64)) {
        for m in self.memory.regions() {
            let mut cur = m.base;
            for r in self.reserved.regions() {
                if r.end() <= cur || r.base >= m.end() {
                    continue;
                }
                if r.base > cur {
                    f(cur, r.base);
                }
                cur = cur.max(r.end());
            }
            if cur < m.end() {
                f(cur, m.end());
            }
        }
    }

    /// `memblock_phys_alloc()`: top-down, aligned; the range becomes
    /// reserved. None when no free range fits.
    pub fn phys_alloc(&mut self, size: u64, align: u64) -> Option<u64> {
        let mut found = None;
        self.for_each_free_range(|start, end| {
            if end - start >= size {
                let base = (end - size) & !(align - 1);
                if base >= start {
                    found = Some(base);
                }
            }
        });
        let base = found?;
        self.reserve(base, size).ok()?;
        Some(base)
    }

    /// `memblock_end_of_DRAM()`.
    pub fn end_of_dram(&self) -> u64 {
        self.memory.regions().last().map_or(0, MemblockRegion::end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_merges_adjacent_and_overlapping() {
        let mut mb = Memblock::new();
        mb.add(0x3000, 0x1000).unwrap();
        mb.add(0x1000, 0x1000).unwrap();
        mb.add(0x2000, 0x1000).unwrap();
        mb.add(0x8000, 0x1000).unwrap();
        mb.add(0x7800, 0x1000).unwrap();
        assert_eq!(
            mb.memory.regions(),
            &[
                MemblockRegion {
                    base: 0x1000,
                    size: 0x3000
                },
                MemblockRegion {
                    base: 0x7800,
                    size: 0x1800
                },
            ]
        );
    }

    #[test]
    fn free_ranges_skip_reserved() {
        let mut mb = Memblock::new();
        mb.add(0, 0x10000).unwrap();
        mb.add(0x20000, 0x10000).unwrap();
        mb.reserve(0x1000, 0x1000).unwrap();
        mb.reserve(0xf000, 0x12000).unwrap();
        let mut got = std::vec::Vec::new();
        mb.for_each_free_range(|s, e| got.push((s, e)));
        assert_eq!(got, [(0, 0x1000), (0x2000, 0xf000), (0x21000, 0x30000)]);
    }

    #[test]
    fn alloc_is_top_down_and_reserves() {
        let mut mb = Memblock::new();
        mb.add(0x100000, 0x100000).unwrap();
        let a = mb.phys_alloc(0x3000, 0x1000).unwrap();
        assert_eq!(a, 0x1fd000);
        let b = mb.phys_alloc(0x1000, 0x10000).unwrap();
        assert_eq!(b, 0x1f0000);
        assert_eq!(mb.reserved.total_size(), 0x4000);
        assert_eq!(mb.phys_alloc(0x200000, 0x1000), None);
    }
}
