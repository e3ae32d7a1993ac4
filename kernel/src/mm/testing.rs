//! Host-test support: nodes built from synthetic memory maps, and frame
//! contents simulated in host memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::vec::Vec;

use super::PhysOps;
use super::memblock::Memblock;
use super::memcontrol::MemCgroup;
use super::mm_init::mm_init;
use super::mmzone::PglistData;
use super::page::{MemMap, PAGE_SIZE, Page};

/// Frames as host memory, created zeroed on first touch.
#[derive(Default)]
pub struct SimPhys(Mutex<HashMap<u64, Vec<u8>>>);

impl SimPhys {
    fn with<R>(&self, pfn: u64, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut frames = self.0.lock().unwrap();
        f(frames
            .entry(pfn)
            .or_insert_with(|| vec![0; PAGE_SIZE as usize]))
    }
}

impl PhysOps for SimPhys {
    fn clear_page(&self, pfn: u64) {
        self.with(pfn, |f| f.fill(0));
    }
    fn copy_to_page(&self, pfn: u64, offset: usize, src: &[u8]) {
        self.with(pfn, |f| f[offset..offset + src.len()].copy_from_slice(src));
    }
    fn copy_from_page(&self, pfn: u64, offset: usize, dst: &mut [u8]) {
        self.with(pfn, |f| dst.copy_from_slice(&f[offset..offset + dst.len()]));
    }
    // Host tests have no page tables: nothing is ever mapped.
    fn folio_referenced(&self, _page: &Page, _memcg: Option<&MemCgroup>) -> (u32, bool) {
        (0, false)
    }
    fn try_to_unmap(&self, _page: &Page) -> bool {
        true
    }
}

/// Records which frames were zeroed.
pub struct RecordingPhys(pub Mutex<Vec<u64>>);

impl PhysOps for RecordingPhys {
    fn clear_page(&self, pfn: u64) {
        self.0.lock().unwrap().push(pfn);
    }
    fn copy_to_page(&self, _pfn: u64, _offset: usize, _src: &[u8]) {}
    fn copy_from_page(&self, _pfn: u64, _offset: usize, _dst: &mut [u8]) {}
    fn folio_referenced(&self, _page: &Page, _memcg: Option<&MemCgroup>) -> (u32, bool) {
        (0, false)
    }
    fn try_to_unmap(&self, _page: &Page) -> bool {
        true
    }
}

/// A node built from `(base, size)` RAM ranges and reserved ranges, the
/// way the kernel builds it from the bootloader's map.
pub fn node_with(
    ram: &[(u64, u64)],
    reserved: &[(u64, u64)],
    phys: &'static dyn PhysOps,
) -> (PglistData, Memblock) {
    let mut mb = Memblock::new();
    for &(b, s) in ram {
        mb.add(b, s).unwrap();
    }
    for &(b, s) in reserved {
        mb.reserve(b, s).unwrap();
    }
    let pgdat = mm_init(&mut mb, phys, |_, max_pfn, zone_of| {
        let pages: Vec<Page> = (0..max_pfn)
            .map(|pfn| Page::new_reserved(zone_of(pfn)))
            .collect();
        MemMap::new(Vec::leak(pages))
    })
    .unwrap();
    (pgdat, mb)
}

/// A node whose frames hold real (simulated) bytes.
pub fn node(ram: &[(u64, u64)], reserved: &[(u64, u64)]) -> (PglistData, Memblock) {
    node_with(ram, reserved, Box::leak(Box::default()) as &SimPhys)
}
