//! Property tests of the memcg counters (written by the proptest helper):
//! random sequences of anonymous and page-cache charges, frees, memory.max
//! and memory.high writes, memcg reclaim, stock drains and rmdir on random
//! trees, checked after every step against the pages really charged
//! (reference §3.1, §3.3, §3.4, §3.6, §3.13, §3.18).
//!
//! The workingset counters (mm/workingset.c) are events, not states:
//! like Linux's `WORKINGSET_*` node items they only grow, and a released
//! memcg's stay in its parent. The model keeps the shadow entries reclaim
//! leaves (who evicted each page, by index) to know how many refaults
//! each memcg counts.
//!
//! Each case has its own node and its own root memcg (not the global
//! root, which tests running in parallel threads would share); the stock
//! and the active memcg are per thread in host builds.

use alloc::sync::Arc;
use alloc::vec::Vec;

use proptest::prelude::*;
use proptest::sample::Index;

use super::files::{memory_high_write, memory_max_write};
use super::*;
use crate::cgroup::Css;
use crate::mm::PhysOps;
use crate::mm::filemap::{AddressSpace, filemap_read, invalidate_mapping_pages};
use crate::mm::mmzone::{LruList, NR_LRU_LISTS, ZoneStatItem};
use crate::mm::page::{NIL_PFN, PAGE_SIZE, PageFlags};
use crate::mm::page_alloc::{__alloc_pages, __free_pages};
use crate::mm::page_counter::PAGE_COUNTER_MAX;
use crate::mm::swap::{folio_add_lru, folio_lru_list};
use crate::mm::testing::node_with;

const GFP: Gfp = Gfp::GFP_HIGHUSER_MOVABLE;
/// The node: 8 MiB, far more than the charges below can take, so that
/// no allocation ever needs global reclaim.
const NODE_BYTES: u64 = 8 << 20;
/// Pages of each memcg's file.
const FILE_PAGES: u64 = 64;
/// Anonymous pages held at once, at most.
const ANON_CAP: usize = 512;
const MAX_DEPTH: usize = 3;

/// Frames hold nothing: the tests look at the counters, not the data, and
/// a node per case must not keep megabytes of simulated frames alive.
struct NullPhys;

impl PhysOps for NullPhys {
    fn clear_page(&self, _pfn: u64) {}
    fn copy_to_page(&self, _pfn: u64, _offset: usize, _src: &[u8]) {}
    fn copy_from_page(&self, _pfn: u64, _offset: usize, _dst: &mut [u8]) {}
    fn folio_referenced(&self, _page: &Page, _memcg: Option<&MemCgroup>) -> (u32, bool) {
        (0, false)
    }
    fn try_to_unmap(&self, _page: &Page) -> bool {
        true
    }
}

static NULL_PHYS: NullPhys = NullPhys;
static FILE_DATA: [u8; (FILE_PAGES * PAGE_SIZE) as usize - 100] =
    [0; (FILE_PAGES * PAGE_SIZE) as usize - 100];

/// The workingset items of `NodeStatItem`: event counts, which never
/// return to zero.
const WORKINGSET_EVENTS: [NodeStatItem; 7] = [
    NodeStatItem::WorkingsetRefaultAnon,
    NodeStatItem::WorkingsetRefaultFile,
    NodeStatItem::WorkingsetActivateAnon,
    NodeStatItem::WorkingsetActivateFile,
    NodeStatItem::WorkingsetRestoreAnon,
    NodeStatItem::WorkingsetRestoreFile,
    NodeStatItem::WorkingsetNodereclaim,
];

/// Who a shadow entry says evicted its page: the memcg whose reclaim
/// took it, when the operation says (memory.reclaim, a limit write), or
/// else the page's owner, below the memcg whose charge reclaimed.
#[derive(Clone, Copy)]
enum Evictor {
    Target(usize),
    Below(usize),
}

/// Per file, the memcg id of the page cached at each index (0: none).
type CacheOwners = Vec<[u64; FILE_PAGES as usize]>;

#[derive(Clone, Debug)]
enum Op {
    /// Fault in `n` anonymous-like pages in a memcg (on its anon LRU when
    /// `lru`, else off the LRU like kernel pages).
    ChargeAnon { cg: Index, n: u64, lru: bool },
    /// Read pages [start, start + len) of a memcg's file from a memcg.
    ReadFile {
        reader: Index,
        file: Index,
        start: u64,
        len: u64,
    },
    /// Free `n` of a memcg's anonymous pages from position `at`.
    FreeAnon { cg: Index, at: Index, n: usize },
    /// Write memory.max (None: "max").
    SetMax { cg: Index, max: Option<u64> },
    /// Write memory.high (None: "max").
    SetHigh { cg: Index, high: Option<u64> },
    /// Memcg reclaim of `n` pages from a memcg's subtree.
    Reclaim { cg: Index, n: u64 },
    /// Drop a file's page cache.
    DropFile { file: Index },
    /// rmdir a memcg without online children.
    Rmdir { cg: Index },
    /// drain_all_stock under a memcg.
    Drain { cg: Index },
}

fn limit() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![
        1 => Just(None),
        3 => (0u64..120).prop_map(Some),
        2 => (120u64..600).prop_map(Some),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<Index>(), 1u64..80, any::<bool>())
            .prop_map(|(cg, n, lru)| Op::ChargeAnon { cg, n, lru }),
        6 => (any::<Index>(), any::<Index>(), 0..FILE_PAGES, 1u64..48)
            .prop_map(|(reader, file, start, len)| Op::ReadFile { reader, file, start, len }),
        4 => (any::<Index>(), any::<Index>(), 1usize..64)
            .prop_map(|(cg, at, n)| Op::FreeAnon { cg, at, n }),
        3 => (any::<Index>(), limit()).prop_map(|(cg, max)| Op::SetMax { cg, max }),
        2 => (any::<Index>(), limit()).prop_map(|(cg, high)| Op::SetHigh { cg, high }),
        2 => (any::<Index>(), 1u64..100).prop_map(|(cg, n)| Op::Reclaim { cg, n }),
        1 => any::<Index>().prop_map(|file| Op::DropFile { file }),
        1 => any::<Index>().prop_map(|cg| Op::Rmdir { cg }),
        1 => any::<Index>().prop_map(|cg| Op::Drain { cg }),
    ]
}

/// A tree: the parent choice of each memcg after the root (resolved among
/// the memcgs shallow enough to take a child).
fn tree() -> impl Strategy<Value = Vec<Index>> {
    proptest::collection::vec(any::<Index>(), 0..8)
}

/// One memcg of the test's tree.
struct Cg {
    memcg: Arc<MemCgroup>,
    parent: Option<usize>,
    depth: usize,
    /// This memcg's file (anyone may read it; pages are charged to the
    /// reader that brings them in).
    mapping: Arc<AddressSpace>,
    /// Anonymous-like pages charged to it, allocated by the test.
    anon: Vec<&'static Page>,
}

struct World {
    pgdat: &'static PglistData,
    cgs: Vec<Cg>,
    free0: u64,
    /// Charges that failed, and memory.max writes that could not reclaim
    /// down to the limit: each counts one `oom` event (there is never a
    /// task to kill in host tests).
    ooms: u64,
    failed_charges: u64,
    /// Per file, the shadow left at each index.
    shadows: Vec<[Option<Evictor>; FILE_PAGES as usize]>,
    /// Per memcg, the file refaults it must have counted, and those it
    /// may have: a refault whose evicting memcg was released is counted
    /// only if another memcg (of a test running in parallel) has its id
    /// by then, as in Linux, where ids are recycled.
    refaults: Vec<(u64, u64)>,
}

/// What one scan of the node found, per memcg of the tree.
#[derive(Default, Clone)]
struct Census {
    /// Pages whose `memcg_data` names the memcg.
    charged: Vec<u64>,
    /// Of those, page-cache pages.
    file: Vec<u64>,
    /// Of those, pages on each LRU list (by their flags).
    lru: Vec<[u64; NR_LRU_LISTS]>,
    usage: Vec<u64>,
    /// The stock: its memcg's index and its pages.
    stock: Option<(usize, u64)>,
}

fn stock_state() -> (Option<Arc<MemCgroup>>, u64) {
    with_stock(|s| (s.cached.clone(), s.nr_pages))
}

fn raw_state(m: &MemCgroup, item: NodeStatItem, local: bool) -> i64 {
    let state = if local {
        &m.vmstats.state_local
    } else {
        &m.vmstats.state
    };
    state[item as usize].load(Relaxed)
}

fn children_of(m: &MemCgroup) -> Vec<Arc<MemCgroup>> {
    m.children.lock_irqsave().clone()
}

impl World {
    fn new(parents: &[Index]) -> Self {
        let (pgdat, _) = node_with(&[(0x1000, NODE_BYTES)], &[], &NULL_PHYS);
        let pgdat: &'static PglistData = Box::leak(Box::new(pgdat));
        let root = MemCgroup::new(None);
        let mut cgs = vec![Cg {
            memcg: root,
            parent: None,
            depth: 0,
            mapping: AddressSpace::new(pgdat, &FILE_DATA),
            anon: Vec::new(),
        }];
        for ix in parents {
            let shallow: Vec<usize> = (0..cgs.len())
                .filter(|&i| cgs[i].depth < MAX_DEPTH)
                .collect();
            let p = shallow[ix.index(shallow.len())];
            cgs.push(Cg {
                memcg: MemCgroup::new(Some(cgs[p].memcg.clone())),
                parent: Some(p),
                depth: cgs[p].depth + 1,
                mapping: AddressSpace::new(pgdat, &FILE_DATA),
                anon: Vec::new(),
            });
        }
        // Whatever an earlier failed case left on this thread.
        if let Some(old) = with_stock(drain_stock) {
            css_put(&old, 1);
        }
        take_nr_pages_over_high();
        let free0 = pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
        let n = cgs.len();
        Self {
            pgdat,
            cgs,
            free0,
            ooms: 0,
            failed_charges: 0,
            shadows: vec![[None; FILE_PAGES as usize]; n],
            refaults: vec![(0, 0); n],
        }
    }

    fn root(&self) -> &Arc<MemCgroup> {
        &self.cgs[0].memcg
    }

    fn index_of(&self, m: &MemCgroup) -> Option<usize> {
        self.cgs.iter().position(|c| core::ptr::eq(&*c.memcg, m))
    }

    /// `i` is `a` or below it.
    fn in_subtree(&self, mut i: usize, a: usize) -> bool {
        loop {
            if i == a {
                return true;
            }
            match self.cgs[i].parent {
                Some(p) => i = p,
                None => return false,
            }
        }
    }

    fn released(&self, i: usize) -> bool {
        let m = &self.cgs[i].memcg;
        !mem_cgroup_from_id(m.id()).is_some_and(|x| Arc::ptr_eq(&x, m))
    }

    /// Whose page each cached index of each file holds.
    fn cache_owners(&self) -> CacheOwners {
        self.cgs
            .iter()
            .map(|c| {
                let mut owners = [0; FILE_PAGES as usize];
                for (&index, &pfn) in c.mapping.i_pages.lock_irqsave().iter() {
                    owners[index as usize] = self.pgdat.pfn_to_page(pfn).memcg_data.load(Relaxed);
                }
                owners
            })
            .collect()
    }

    fn index_of_id(&self, id: u64) -> usize {
        self.cgs
            .iter()
            .position(|c| c.memcg.id() == id)
            .expect("a cached page charged outside the tree")
    }

    /// Reclaim between two looks at the caches left a shadow where each
    /// page went (nothing else drops cached pages but DropFile).
    fn note_evictions(&mut self, before: &CacheOwners, after: &CacheOwners, target: Option<usize>) {
        for f in 0..self.cgs.len() {
            for x in 0..FILE_PAGES as usize {
                if before[f][x] != 0 && after[f][x] == 0 {
                    let owner = self.index_of_id(before[f][x]);
                    self.shadows[f][x] =
                        Some(target.map_or(Evictor::Below(owner), Evictor::Target));
                }
            }
        }
    }

    /// A page came back where `evictor`'s shadow was, charged to `i`:
    /// Linux 6.1 counts the refault if the evicting memcg is still there
    /// (`mem_cgroup_from_id`). Reclaim on a charge targets the owner or
    /// an ancestor, which are all there when none was released.
    fn note_refault(&mut self, i: usize, evictor: Evictor) {
        let there = match evictor {
            Evictor::Target(t) => !self.released(t),
            Evictor::Below(mut o) => loop {
                if self.released(o) {
                    break false;
                }
                match self.cgs[o].parent {
                    Some(p) => o = p,
                    None => break true,
                }
            },
        };
        if there {
            self.refaults[i].0 += 1;
        } else {
            self.refaults[i].1 += 1;
        }
    }

    fn pick(&self, ix: &Index, ok: impl Fn(usize) -> bool) -> Option<usize> {
        let v: Vec<usize> = (0..self.cgs.len()).filter(|&i| ok(i)).collect();
        (!v.is_empty()).then(|| v[ix.index(v.len())])
    }

    fn online(&self, i: usize) -> bool {
        self.cgs[i].memcg.online()
    }

    /// File pages on the LRU in `i`'s subtree (hierarchical stat).
    fn file_lru(&self, i: usize) -> u64 {
        let m = &self.cgs[i].memcg;
        m.page_state(NodeStatItem::NrInactiveFile, false)
            + m.page_state(NodeStatItem::NrActiveFile, false)
    }

    fn cached_pages(&self) -> u64 {
        self.cgs.iter().map(|c| c.mapping.nrpages()).sum()
    }

    /// Scan every page of the node and check every invariant that holds
    /// between two operations.
    fn check(&self) -> Census {
        let n = self.cgs.len();
        let pgdat = self.pgdat;
        let mut cen = Census {
            charged: vec![0; n],
            file: vec![0; n],
            lru: vec![[0; NR_LRU_LISTS]; n],
            ..Census::default()
        };
        for pfn in 0..pgdat.mem_map.max_pfn() {
            let page = pgdat.pfn_to_page(pfn);
            let id = page.memcg_data.load(Relaxed);
            if id == 0 {
                assert!(
                    !page.test(PageFlags::LRU),
                    "pfn {pfn}: uncharged page on an LRU"
                );
                continue;
            }
            let owner = mem_cgroup_from_id(id)
                .unwrap_or_else(|| panic!("pfn {pfn}: charged to id {id}, which was released"));
            let i = self
                .index_of(&owner)
                .unwrap_or_else(|| panic!("pfn {pfn}: charged to id {id} outside the tree"));
            cen.charged[i] += 1;
            if page.mapping.load(Relaxed) != 0 {
                cen.file[i] += 1;
            }
            if page.test(PageFlags::LRU) {
                cen.lru[i][folio_lru_list(page) as usize] += 1;
            }
        }
        let (cached, nr) = stock_state();
        if let Some(c) = &cached {
            let i = self
                .index_of(c)
                .expect("the stock holds a memcg outside the tree");
            assert!(!c.is_root(), "the stock never holds the root");
            assert!(c.online(), "the stock holds an offline memcg");
            assert!(nr <= MEMCG_CHARGE_BATCH, "stock of {nr} pages");
            cen.stock = Some((i, nr));
        } else {
            assert_eq!(nr, 0, "pages in a stock without a memcg");
        }

        // Every allocated page is charged, and is an anonymous page of the
        // test or in a file's cache.
        let anon: u64 = self.cgs.iter().map(|c| c.anon.len() as u64).sum();
        let used = self.free0 - pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages);
        assert_eq!(used, anon + self.cached_pages(), "allocated pages");
        assert_eq!(cen.charged.iter().sum::<u64>(), used, "charged pages");
        for (i, c) in self.cgs.iter().enumerate() {
            for p in &c.anon {
                assert_eq!(
                    p.memcg_data.load(Relaxed),
                    c.memcg.id(),
                    "anonymous page of memcg {i} charged elsewhere"
                );
            }
        }

        // Node statistics: nothing isolated between operations, no
        // negative counter, the LRU counters match the lists.
        for item in NodeStatItem::ALL {
            assert!(
                pgdat.vm_stat[item as usize].load(Relaxed) >= 0,
                "node {item:?} < 0"
            );
        }
        // Reclaim leaves nothing isolated once it is done (Linux's
        // shrink_*_list subtract `nr_taken` after putting pages back).
        for item in [NodeStatItem::NrIsolatedAnon, NodeStatItem::NrIsolatedFile] {
            let isolated = pgdat.vm_stat[item as usize].load(Relaxed);
            assert_eq!(isolated, 0, "{item:?} between operations");
        }
        for lru in LruList::ALL {
            let total: u64 = self.cgs.iter().map(|c| c.lru_len(pgdat, lru)).sum();
            assert_eq!(pgdat.page_state(lru.node_stat()), total, "node {lru:?}");
            assert_eq!(
                pgdat.zone_page_state_sum(lru.zone_stat()),
                total,
                "zones {lru:?}"
            );
        }
        assert_eq!(
            pgdat.page_state(NodeStatItem::NrFilePages),
            self.cached_pages()
        );

        for (i, c) in self.cgs.iter().enumerate() {
            let m = &c.memcg;
            let subtree: Vec<usize> = (0..n).filter(|&j| self.in_subtree(j, i)).collect();
            // The counter: every page charged in the subtree (the root
            // memcg's own pages are never charged) and the stock.
            let expect = subtree
                .iter()
                .filter(|&&j| j != 0)
                .map(|&j| cen.charged[j])
                .sum::<u64>()
                + cen
                    .stock
                    .filter(|&(s, _)| self.in_subtree(s, i))
                    .map_or(0, |s| s.1);
            let usage = page_counter_read(&m.memory);
            assert_eq!(usage, expect, "memcg {i}: memory.current");
            assert!(m.memory.watermark() >= usage, "memcg {i}: peak < usage");
            assert_eq!(page_counter_read(&m.swap), 0);
            cen.usage.push(usage);

            // css references: one per charged page, one for the stock.
            let stock_ref = u64::from(cen.stock.is_some_and(|(s, _)| s == i));
            assert_eq!(
                m.css_refs.load(Relaxed),
                cen.charged[i] + stock_ref,
                "memcg {i}: css refs"
            );

            // Online memcgs stay; an offline one goes with its last
            // reference and its last child.
            let live_children: Vec<usize> = (0..n)
                .filter(|&j| self.cgs[j].parent == Some(i) && !self.released(j))
                .collect();
            let releasable =
                !m.online() && cen.charged[i] == 0 && stock_ref == 0 && live_children.is_empty();
            assert_eq!(self.released(i), releasable, "memcg {i}: released");
            let kids = children_of(m);
            assert_eq!(kids.len(), live_children.len(), "memcg {i}: children");
            for j in &live_children {
                assert!(kids.iter().any(|k| Arc::ptr_eq(k, &self.cgs[*j].memcg)));
            }

            // Statistics: never negative; hierarchical = local + children
            // (a released child's events stay; its states are zero).
            for item in NodeStatItem::ALL {
                let local = raw_state(m, item, true);
                let hier = raw_state(m, item, false);
                let below: i64 = (0..n)
                    .filter(|&j| self.cgs[j].parent == Some(i))
                    .map(|j| raw_state(&self.cgs[j].memcg, item, false))
                    .sum();
                assert!(local >= 0, "memcg {i}: local {item:?} = {local}");
                assert_eq!(hier, local + below, "memcg {i}: {item:?}");
            }
            assert_eq!(
                m.page_state(NodeStatItem::NrFilePages, true),
                cen.file[i],
                "memcg {i}: local file pages"
            );
            for lru in LruList::ALL {
                let len = c.lru_len(pgdat, lru);
                assert_eq!(len, cen.lru[i][lru as usize], "memcg {i}: {lru:?} pages");
                assert_eq!(
                    m.page_state(lru.node_stat(), true),
                    len,
                    "memcg {i}: local {lru:?}"
                );
            }
            // Events only grow, so a released child's stay in its parent.
            for ev in MemcgMemoryEvent::ALL {
                let below: u64 = kids.iter().map(|k| k.memory_event(ev, false)).sum();
                if !m.is_root() {
                    assert!(
                        m.memory_event(ev, false) >= m.memory_event(ev, true) + below,
                        "memcg {i}: {ev:?} events"
                    );
                }
            }
            for ev in VmEventItem::ALL {
                let below: u64 = kids.iter().map(|k| k.events(ev, false)).sum();
                assert!(
                    m.events(ev, false) >= m.events(ev, true) + below,
                    "memcg {i}: {ev:?}"
                );
            }
        }
        self.check_workingset();
        let ooms: u64 = self
            .cgs
            .iter()
            .map(|c| c.memcg.memory_event(MemcgMemoryEvent::Oom, true))
            .sum();
        assert_eq!(ooms, self.ooms, "oom events");
        let maxes: u64 = self
            .cgs
            .iter()
            .map(|c| c.memcg.memory_event(MemcgMemoryEvent::Max, true))
            .sum();
        assert!(maxes >= self.failed_charges, "max events");
        for i in 0..n {
            let below: u64 = (0..n)
                .filter(|&j| self.cgs[j].parent == Some(i))
                .map(|j| cen.usage[j])
                .sum();
            assert!(
                cen.usage[i] >= below,
                "memcg {i}: usage below its children's"
            );
        }
        cen
    }

    /// The workingset events: each memcg counted the file refaults of the
    /// model's shadows; activations are some of the refaults, restores
    /// some of the activations; no swap, so no anonymous refault; no
    /// shadow-node shrinker; the node counts what its memcgs count.
    fn check_workingset(&self) {
        let local = |i: usize, item| raw_state(&self.cgs[i].memcg, item, true);
        for (i, &(must, may)) in self.refaults.iter().enumerate() {
            let refaults = local(i, NodeStatItem::WorkingsetRefaultFile) as u64;
            assert!(
                (must..=must + may).contains(&refaults),
                "memcg {i}: {refaults} file refaults, expected {must} (+{may})"
            );
            let activated = local(i, NodeStatItem::WorkingsetActivateFile);
            let restored = local(i, NodeStatItem::WorkingsetRestoreFile);
            assert!(activated <= refaults as i64, "memcg {i}: activations");
            assert!(restored <= activated, "memcg {i}: restores");
            for item in [
                NodeStatItem::WorkingsetRefaultAnon,
                NodeStatItem::WorkingsetActivateAnon,
                NodeStatItem::WorkingsetRestoreAnon,
                NodeStatItem::WorkingsetNodereclaim,
            ] {
                assert_eq!(local(i, item), 0, "memcg {i}: {item:?}");
            }
        }
        for item in WORKINGSET_EVENTS {
            let sum: i64 = (0..self.cgs.len()).map(|i| local(i, item)).sum();
            assert_eq!(
                self.pgdat.vm_stat[item as usize].load(Relaxed),
                sum,
                "node {item:?}"
            );
        }
    }

    /// A charge to `i` failed: some ancestor (not the root) is at its
    /// limit with nothing left to reclaim and no stock of its subtree.
    fn check_enomem(&mut self, i: usize) {
        self.ooms += 1;
        self.failed_charges += 1;
        let stock = stock_state();
        let mut a = Some(i);
        while let Some(x) = a {
            let m = &self.cgs[x].memcg;
            if !m.is_root()
                && page_counter_read(&m.memory) >= m.memory.max()
                && self.file_lru(x) == 0
                && !stock.0.as_ref().is_some_and(|s| s.is_descendant(m))
            {
                return;
            }
            a = self.cgs[x].parent;
        }
        panic!("a charge to memcg {i} failed with reclaimable pages or room left");
    }

    /// After a limit write that reclaimed: the usage fits, or nothing in
    /// the subtree can be reclaimed and no stock of it is left.
    fn check_after_write(&mut self, i: usize, limit: u64, max: bool) {
        let m = &self.cgs[i].memcg;
        let usage = page_counter_read(&m.memory);
        if usage <= limit {
            return;
        }
        self.ooms += u64::from(max);
        assert_eq!(
            self.file_lru(i),
            0,
            "memcg {i}: usage {usage} over {limit} with page cache left"
        );
        let (cached, _) = stock_state();
        assert!(
            !cached.is_some_and(|s| s.is_descendant(m)),
            "memcg {i}: over {limit} with a stock left"
        );
    }

    fn run(&mut self, op: &Op) {
        let before = self.cache_owners();
        // The memcg reclaim targets when the operation says.
        let target = match *op {
            Op::ReadFile { .. } => return self.read_file(op),
            // Invalidation drops the file's pages and its shadows, and
            // leaves none.
            Op::DropFile { ref file } => {
                self.run_op(op);
                self.shadows[file.index(self.cgs.len())] = [None; FILE_PAGES as usize];
                return;
            }
            Op::SetMax { ref cg, .. } | Op::SetHigh { ref cg, .. } => {
                self.pick(cg, |i| i != 0 && self.online(i))
            }
            Op::Reclaim { ref cg, .. } => self.pick(cg, |i| self.online(i)),
            _ => None,
        };
        self.run_op(op);
        let after = self.cache_owners();
        self.note_evictions(&before, &after, target);
    }

    /// ReadFile, a page at a time (as `filemap_read` goes), to follow
    /// each page's shadow: the charge of one page may reclaim others,
    /// leaving shadows, and then the page takes its own.
    fn read_file(&mut self, op: &Op) {
        let Op::ReadFile {
            ref reader,
            ref file,
            start,
            len,
        } = *op
        else {
            unreachable!()
        };
        let Some(i) = self.pick(reader, |i| self.online(i)) else {
            return;
        };
        let f = file.index(self.cgs.len());
        let mapping = self.cgs[f].mapping.clone();
        let mut buf = vec![0u8; PAGE_SIZE as usize];
        set_active_memcg(Some(self.cgs[i].memcg.clone()));
        for x in start..start + len.min(FILE_PAGES - start) {
            let before = self.cache_owners();
            let ret = filemap_read(&mapping, None, x * PAGE_SIZE, &mut buf);
            let after = self.cache_owners();
            let xi = x as usize;
            if before[f][xi] == 0 && after[f][xi] != 0 {
                assert_eq!(
                    after[f][xi],
                    self.cgs[i].memcg.id(),
                    "charged to the reader"
                );
                if let Some(evictor) = self.shadows[f][xi].take() {
                    self.note_refault(i, evictor);
                }
            }
            self.note_evictions(&before, &after, None);
            match ret {
                Ok(n) => {
                    let expect = (FILE_DATA.len() as u64 - x * PAGE_SIZE).min(PAGE_SIZE);
                    assert_eq!(n as u64, expect);
                }
                Err(e) => {
                    assert_eq!(e, Errno::ENOMEM);
                    set_active_memcg(None);
                    self.check_enomem(i);
                    return;
                }
            }
        }
        set_active_memcg(None);
    }

    fn run_op(&mut self, op: &Op) {
        let pgdat = self.pgdat;
        match *op {
            Op::ChargeAnon { ref cg, n, lru } => {
                let Some(i) = self.pick(cg, |i| self.online(i)) else {
                    return;
                };
                set_active_memcg(Some(self.cgs[i].memcg.clone()));
                for _ in 0..n {
                    if self.cgs.iter().map(|c| c.anon.len()).sum::<usize>() >= ANON_CAP {
                        break;
                    }
                    let page = __alloc_pages(pgdat, GFP, 0).expect("the node has room");
                    match mem_cgroup_charge(pgdat, page, GFP) {
                        Ok(()) => {
                            if lru {
                                page.set(PageFlags::SWAPBACKED);
                                folio_add_lru(pgdat, page);
                            }
                            self.cgs[i].anon.push(page);
                        }
                        Err(e) => {
                            assert_eq!(e, Errno::ENOMEM);
                            __free_pages(pgdat, page, 0);
                            self.check_enomem(i);
                            break;
                        }
                    }
                }
                set_active_memcg(None);
            }
            Op::ReadFile { .. } => unreachable!("read_file"),
            Op::FreeAnon { ref cg, ref at, n } => {
                let Some(i) = self.pick(cg, |i| !self.cgs[i].anon.is_empty()) else {
                    return;
                };
                let anon = &mut self.cgs[i].anon;
                let at = at.index(anon.len());
                let end = (at + n).min(anon.len());
                for page in anon.drain(at..end) {
                    __free_pages(pgdat, page, 0);
                }
            }
            Op::SetMax { ref cg, max } => {
                let Some(i) = self.pick(cg, |i| i != 0 && self.online(i)) else {
                    return;
                };
                let max = max.unwrap_or(PAGE_COUNTER_MAX);
                memory_max_write(pgdat, &self.cgs[i].memcg, max);
                self.check_after_write(i, max, true);
            }
            Op::SetHigh { ref cg, high } => {
                let Some(i) = self.pick(cg, |i| i != 0 && self.online(i)) else {
                    return;
                };
                let high = high.unwrap_or(PAGE_COUNTER_MAX);
                memory_high_write(pgdat, &self.cgs[i].memcg, high);
                self.check_after_write(i, high, false);
            }
            Op::Reclaim { ref cg, n } => {
                let Some(i) = self.pick(cg, |i| self.online(i)) else {
                    return;
                };
                let outside = |w: &World| -> u64 {
                    (0..w.cgs.len())
                        .filter(|&j| !w.in_subtree(j, i))
                        .map(|j| w.cgs[j].memcg.page_state(NodeStatItem::NrFilePages, true))
                        .sum()
                };
                let (cached0, outside0, file0) = (
                    self.cached_pages(),
                    outside(self),
                    self.cgs[i]
                        .memcg
                        .page_state(NodeStatItem::NrFilePages, false),
                );
                let memcg = self.cgs[i].memcg.clone();
                let got = try_to_free_mem_cgroup_pages(
                    pgdat,
                    &memcg,
                    n,
                    GFP,
                    MEMCG_RECLAIM_MAY_SWAP,
                    None,
                );
                // Reclaim frees page cache of the subtree only, and says
                // how much.
                assert_eq!(got, cached0 - self.cached_pages(), "reclaimed count");
                assert_eq!(outside(self), outside0, "reclaim outside the subtree");
                assert_eq!(
                    memcg.page_state(NodeStatItem::NrFilePages, false),
                    file0 - got
                );
                if got == 0 {
                    assert_eq!(self.file_lru(i), 0, "nothing reclaimed from page cache");
                }
            }
            Op::DropFile { ref file } => {
                let f = file.index(self.cgs.len());
                invalidate_mapping_pages(&self.cgs[f].mapping);
                assert_eq!(self.cgs[f].mapping.nrpages(), 0);
            }
            Op::Rmdir { ref cg } => {
                let Some(i) = self.pick(cg, |i| {
                    i != 0
                        && self.online(i)
                        && !(0..self.cgs.len())
                            .any(|j| self.cgs[j].parent == Some(i) && self.online(j))
                }) else {
                    return;
                };
                rmdir(&self.cgs[i].memcg);
                assert!(!self.online(i));
            }
            Op::Drain { ref cg } => {
                let i = cg.index(self.cgs.len());
                drain_all_stock(&self.cgs[i].memcg);
                let (cached, _) = stock_state();
                assert!(!cached.is_some_and(|c| c.is_descendant(&self.cgs[i].memcg)));
            }
        }
    }

    /// Free everything, check that every counter is back at zero, then
    /// remove every memcg.
    fn teardown(mut self) {
        let pgdat = self.pgdat;
        for c in &mut self.cgs {
            for page in c.anon.drain(..) {
                __free_pages(pgdat, page, 0);
            }
        }
        for c in &self.cgs {
            invalidate_mapping_pages(&c.mapping);
            assert_eq!(c.mapping.nrpages(), 0);
        }
        drain_all_stock(self.root());
        assert!(stock_state().0.is_none());
        let cen = self.check();
        assert_eq!(
            pgdat.zone_page_state_sum(ZoneStatItem::NrFreePages),
            self.free0,
            "free pages"
        );
        for (i, c) in self.cgs.iter().enumerate() {
            let m = &c.memcg;
            assert_eq!(cen.charged[i], 0);
            assert_eq!(page_counter_read(&m.memory), 0, "memcg {i}: usage");
            assert_eq!(m.css_refs.load(Relaxed), 0, "memcg {i}: css refs");
            for item in NodeStatItem::ALL
                .into_iter()
                .filter(|i| !WORKINGSET_EVENTS.contains(i))
            {
                assert_eq!(raw_state(m, item, true), 0, "memcg {i}: local {item:?}");
                assert_eq!(raw_state(m, item, false), 0, "memcg {i}: {item:?}");
            }
            for lru in LruList::ALL {
                assert_eq!(c.lru_len(pgdat, lru), 0);
            }
            assert_eq!(self.released(i), !m.online(), "memcg {i}: released");
        }
        for item in NodeStatItem::ALL
            .into_iter()
            .filter(|i| !WORKINGSET_EVENTS.contains(i))
        {
            assert_eq!(
                pgdat.vm_stat[item as usize].load(Relaxed),
                0,
                "node {item:?}"
            );
        }
        // rmdir the rest, children first (they come after their parents):
        // every memcg goes, the root with them.
        for c in self.cgs.iter().rev() {
            if c.memcg.online() {
                rmdir(&c.memcg);
            }
        }
        for i in 0..self.cgs.len() {
            assert!(self.released(i), "memcg {i} outlives its rmdir");
        }
        assert!(stock_state().0.is_none());
    }
}

impl Cg {
    /// Walk one LRU list of this memcg's lruvec: every page on it is
    /// charged here, marked LRU, and of the list's kind; returns the
    /// length, checked against the list's own count.
    fn lru_len(&self, pgdat: &PglistData, lru: LruList) -> u64 {
        let lists = self.memcg.lruvec(pgdat).lists.lock_irqsave();
        let list = lists[lru as usize];
        drop(lists);
        let (mut pfn, mut prev, mut n) = (list.head, NIL_PFN, 0);
        while pfn != NIL_PFN {
            let page = pgdat.pfn_to_page(pfn);
            assert_eq!(page.lru_prev(), prev, "{lru:?}: broken links");
            assert!(page.test(PageFlags::LRU));
            assert_eq!(folio_lru_list(page), lru, "page on the wrong list");
            assert_eq!(
                page.memcg_data.load(Relaxed),
                self.memcg.id(),
                "page on another memcg's LRU"
            );
            n += 1;
            assert!(n <= list.len, "{lru:?} longer than its count");
            (prev, pfn) = (pfn, page.lru_next());
        }
        assert_eq!(prev, list.tail);
        assert_eq!(n, list.len, "{lru:?} shorter than its count");
        n
    }
}

/// rmdir through the cgroup core's hook (`mem_cgroup_css_offline`).
fn rmdir(memcg: &Arc<MemCgroup>) {
    let css: Css = memcg.clone();
    (MEMORY_CGRP_SUBSYS
        .css_offline
        .expect("memcg has css_offline"))(&css);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random charges, frees, limit writes, reclaim, drains and rmdir on a
    /// random tree: after every step the counters equal the pages charged
    /// (plus the stock), parents cover their children, the statistics and
    /// the LRU lists agree, usage exceeds max only after a limit write
    /// that could not reclaim (and then never grows), failed charges had
    /// nothing left to reclaim, and zombies go with their last page; after
    /// freeing everything every counter is zero and every memcg goes.
    #[test]
    fn memcg_counters_stay_consistent(parents in tree(), ops in proptest::collection::vec(op(), 1..120)) {
        let mut w = World::new(&parents);
        let mut before = w.check();
        for op in &ops {
            let max_before: Vec<u64> = w.cgs.iter().map(|c| c.memcg.memory.max()).collect();
            w.run(op);
            let after = w.check();
            // No forced charges: a memcg over its max got there by a limit
            // write and does not grow while over.
            for (i, c) in w.cgs.iter().enumerate() {
                let max = c.memcg.memory.max();
                let (u0, max0) = (before.usage[i], max_before[i]);
                let allowed = if max != max0 || u0 > max0 { max.max(u0) } else { max };
                prop_assert!(
                    after.usage[i] <= allowed,
                    "memcg {}: usage {} > max {} (before: {} / {}) after {:?}",
                    i, after.usage[i], max, u0, max0, op
                );
            }
            before = after;
        }
        w.teardown();
    }
}
