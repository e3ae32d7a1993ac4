//! Reverse-mapping bookkeeping (mm/rmap.c): map counts and the node
//! counters that follow them. An anonymous page records its owner mm and
//! virtual page number (`mapping` = mm | PAGE_MAPPING_ANON, `index` =
//! address >> PAGE_SHIFT): without fork, an anonymous page has exactly one
//! mapping, which is all the later rmap walks need. A file page is found
//! through its file's mappings.

use core::sync::atomic::Ordering::Relaxed;

use super::mmzone::{NodeStatItem, PglistData};
use super::page::{PAGE_MAPPING_ANON, PAGE_SHIFT, Page};

/// `folio_add_new_anon_rmap()`: a freshly allocated anonymous page gets
/// its first mapping.
#[inline(never)]
pub fn folio_add_new_anon_rmap(pgdat: &PglistData, page: &Page, mm_id: u64, address: u64) {
    page.mapping.store(mm_id | PAGE_MAPPING_ANON, Relaxed);
    page.index.store(address >> PAGE_SHIFT, Relaxed);
    let first = page.inc_mapcount();
    debug_assert!(first, "new anonymous page already mapped");
    pgdat.mod_page_state(NodeStatItem::NrAnonMapped, 1);
}

/// `folio_add_file_rmap_pte()`.
#[inline(never)]
pub fn folio_add_file_rmap_pte(pgdat: &PglistData, page: &Page) {
    if page.inc_mapcount() {
        pgdat.mod_page_state(NodeStatItem::NrFileMapped, 1);
    }
}

/// `folio_remove_rmap_pte()`: one mapping fewer; the node counter drops
/// with the last one.
#[inline(never)]
pub fn folio_remove_rmap_pte(pgdat: &PglistData, page: &Page) {
    if page.dec_mapcount() {
        let anon = page.mapping.load(Relaxed) & PAGE_MAPPING_ANON != 0;
        let item = if anon {
            NodeStatItem::NrAnonMapped
        } else {
            NodeStatItem::NrFileMapped
        };
        pgdat.mod_page_state(item, -1);
    }
}

/// `folio_test_anon()`.
pub fn folio_test_anon(page: &Page) -> bool {
    page.mapping.load(Relaxed) & PAGE_MAPPING_ANON != 0
}
