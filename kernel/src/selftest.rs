//! In-kernel self-tests, started by writing a test's name to
//! `/sys/kernel/debug/tinymm/selftest` (as Linux's test modules are driven
//! through debugfs, e.g. lkdtm's `provoke-crash/DIRECT`). Each prints its
//! measurements; the write fails with EIO when a check fails.

use alloc::vec::Vec;

use crate::arch::x86_64 as arch;
use crate::fs::file::filp_open;
use crate::mm::gfp::Gfp;
use crate::mm::mmzone::{MAX_PAGE_ORDER, ZoneStatItem, node_data};
use crate::mm::page::Page;
use crate::mm::page_alloc::{alloc_pages, free_pages};
use crate::println;
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::O_RDONLY;

/// The store of the selftest file: run the named test.
pub fn selftest_store(buf: &[u8]) -> KResult<()> {
    let name = core::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?.trim();
    let ok = match name {
        "alloc" => selftest_alloc(),
        "bio" => crate::block::selftest::selftest_bio(),
        "int3" => {
            arch::selftest::int3();
            println!("int3: returned");
            true
        }
        "pagefault" => arch::selftest::page_fault(),
        "panic" => panic!("selftest panic"),
        "smap" => crate::task::selftest::selftest_smap(),
        _ => match name.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["user", cases @ ..] => match crate::task::selftest::selftest_user(cases) {
                0 => true,
                2 => return Err(Errno::EINVAL),
                _ => false,
            },
            _ => return Err(Errno::EINVAL),
        },
    };
    if ok { Ok(()) } else { Err(Errno::EIO) }
}

fn read_file(path: &str) -> Option<Vec<u8>> {
    let file = filp_open(path, O_RDONLY, 0).ok()?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match file.read(&mut buf).ok()? {
            0 => return Some(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// Allocate blocks of pseudo-random order from every zone until the
/// allocator refuses 64 in a row, then free them all: the free page
/// count and every free list must be exactly as before.
fn selftest_alloc() -> bool {
    let pgdat = node_data(0);
    let buddyinfo = || read_file("/proc/buddyinfo");
    let free_before = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let lists_before = buddyinfo();
    let mut held: Vec<(&Page, usize)> = Vec::with_capacity(1 << 16);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut failures = 0;
    while failures < 64 && held.len() < held.capacity() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let order = (seed % (MAX_PAGE_ORDER as u64 + 1)) as usize;
        // No reclaim: the page cache it would free (busybox's pages)
        // would change the free lists under the test.
        let gfp = [Gfp::empty(), Gfp::__GFP_DMA32, Gfp::__GFP_DMA][(seed >> 8) as usize % 3];
        match alloc_pages(gfp | Gfp::__GFP_NOWARN, order) {
            Some(page) => {
                held.push((page, order));
                failures = 0;
            }
            None => failures += 1,
        }
    }
    let pages: u64 = held.iter().map(|&(_, o)| 1u64 << o).sum();
    let free_low = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    for (page, order) in held.drain(..) {
        free_pages(page, order);
    }
    let free_after = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
    let same_lists = buddyinfo() == lists_before;
    println!(
        "selftest alloc: allocated {pages} pages, free {free_before} -> {free_low} -> {free_after}, free lists {}",
        if same_lists { "restored" } else { "DIFFER" }
    );
    free_after == free_before && same_lists && pages > 0
}
