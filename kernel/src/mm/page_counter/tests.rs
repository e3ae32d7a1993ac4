//! Host tests of the page counter: Linux's documented behaviour, limit
//! parsing, and random charge/limit/rmdir sequences checked against a model.

use std::sync::atomic::Ordering;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;

const MIB: u64 = 1 << 20;

fn pages(bytes: u64) -> u64 {
    bytes / PAGE_SIZE
}

fn child(parent: &Arc<PageCounter>) -> Arc<PageCounter> {
    Arc::new(PageCounter::new(Some(parent.clone()), true))
}

#[test]
fn fresh_counter_defaults() {
    let c = PageCounter::new(None, true);
    assert_eq!(page_counter_read(&c), 0);
    assert_eq!(c.max(), PAGE_COUNTER_MAX);
    assert_eq!(c.high(), PAGE_COUNTER_MAX);
    assert_eq!((c.min(), c.low(), c.emin(), c.elow()), (0, 0, 0, 0));
    assert_eq!((c.watermark(), c.local_watermark(), c.failcnt()), (0, 0, 0));
    assert!(c.parent().is_none());
    assert_eq!(PAGE_COUNTER_MAX, 2_251_799_813_685_247);
}

/// §5.4: P (max 10M) / C (max 100M); a charge in C that would take P over
/// 10M fails at P, bumps only P's failcnt and leaves both usages as they
/// were; both show every successful charge.
#[test]
fn try_charge_fails_at_the_ancestor_and_rolls_back() {
    let root = Arc::new(PageCounter::new(None, true));
    let p = child(&root);
    let c = child(&p);
    page_counter_set_max(&p, pages(10 * MIB)).unwrap();
    page_counter_set_max(&c, pages(100 * MIB)).unwrap();

    assert!(page_counter_try_charge(&c, 2000).is_ok());
    let failed = page_counter_try_charge(&c, 600).unwrap_err();
    assert!(core::ptr::eq(failed, &*p));
    assert_eq!((page_counter_read(&c), page_counter_read(&p)), (2000, 2000));
    assert_eq!(page_counter_read(&root), 2000);
    assert_eq!((c.failcnt(), p.failcnt(), root.failcnt()), (0, 1, 0));
    // As in Linux, the peak of a level charged before the failing one is
    // not rolled back with its usage.
    assert_eq!(c.watermark(), 2600);
    assert_eq!(p.watermark(), 2000);

    assert!(page_counter_try_charge(&c, 560).is_ok());
    assert_eq!(page_counter_read(&p), 2560);
    // Failing at C itself leaves P untouched.
    page_counter_set_max(&c, 2560).unwrap();
    let failed = page_counter_try_charge(&c, 1).unwrap_err();
    assert!(core::ptr::eq(failed, &*c));
    assert_eq!((c.failcnt(), p.failcnt()), (1, 1));
}

#[test]
fn forced_charge_ignores_max_and_raises_the_peaks() {
    let root = Arc::new(PageCounter::new(None, true));
    let c = child(&root);
    page_counter_set_max(&c, 10).unwrap();
    page_counter_charge(&c, 25);
    assert_eq!((page_counter_read(&c), page_counter_read(&root)), (25, 25));
    assert_eq!(
        (c.watermark(), c.local_watermark(), c.failcnt()),
        (25, 25, 0)
    );
    page_counter_uncharge(&c, 20);
    assert_eq!(page_counter_read(&c), 5);
    assert_eq!(c.watermark(), 25);
    page_counter_reset_watermark(&c);
    assert_eq!((c.watermark(), c.local_watermark()), (5, 5));
    assert_eq!(root.watermark(), 25);
}

#[test]
fn uncharge_underflow_clamps_at_every_level() {
    let root = Arc::new(PageCounter::new(None, true));
    let a = child(&root);
    let b = child(&root);
    page_counter_charge(&a, 3);
    page_counter_charge(&b, 10);
    page_counter_uncharge(&a, 5);
    assert_eq!(a.usage.load(Ordering::SeqCst), 0);
    assert_eq!(root.usage.load(Ordering::SeqCst), 8);
    page_counter_cancel(&root, 100);
    assert_eq!(page_counter_read(&root), 0);
}

/// §5.21 / §3.1: lowering max below the usage is EBUSY and leaves max
/// unchanged; at or above the usage it succeeds.
#[test]
fn set_max_below_usage_is_ebusy() {
    let c = PageCounter::new(None, true);
    page_counter_charge(&c, 100);
    assert_eq!(page_counter_set_max(&c, 99), Err(Errno::EBUSY));
    assert_eq!(c.max(), PAGE_COUNTER_MAX);
    assert_eq!(page_counter_set_max(&c, 100), Ok(()));
    assert_eq!(c.max(), 100);
    page_counter_uncharge(&c, 60);
    assert_eq!(page_counter_set_max(&c, 40), Ok(()));
    assert_eq!(page_counter_try_charge(&c, 1).map_err(|f| f.max()), Err(40));
    page_counter_set_high(&c, 30);
    assert_eq!(c.high(), 30);
    // v2's memory.max write stores even below the usage; try_charge then
    // fails until reclaim brings the usage under it.
    assert_eq!(c.xchg_max(10), 40);
    assert_eq!(c.max(), 10);
    assert!(page_counter_try_charge(&c, 1).is_err());
    page_counter_uncharge(&c, 35);
    assert!(page_counter_try_charge(&c, 5).is_ok());
    assert_eq!(page_counter_read(&c), 10);
}

/// §3.15 / §5.19: an fd-local reset lowers only the local peak; later
/// charges raise it again, and the global peak only past its old value.
#[test]
fn local_watermark_reset_keeps_the_global_peak() {
    let root = Arc::new(PageCounter::new(None, true));
    let c = child(&root);
    page_counter_charge(&c, pages(50 * MIB));
    page_counter_uncharge(&c, pages(45 * MIB));
    c.set_local_watermark(page_counter_read(&c));
    assert_eq!(
        (c.local_watermark(), c.watermark()),
        (pages(5 * MIB), pages(50 * MIB))
    );
    page_counter_charge(&c, pages(20 * MIB));
    assert_eq!(
        (c.local_watermark(), c.watermark()),
        (pages(25 * MIB), pages(50 * MIB))
    );
    page_counter_charge(&c, pages(30 * MIB));
    assert_eq!(
        (c.local_watermark(), c.watermark()),
        (pages(55 * MIB), pages(55 * MIB))
    );
}

#[test]
fn protected_usage_is_reported_to_the_parent() {
    let root = Arc::new(PageCounter::new(None, true));
    let b = child(&root);
    let c = child(&b);
    let d = child(&b);
    page_counter_charge(&c, 50);
    page_counter_charge(&d, 50);
    // Set after the charges, as the selftest does.
    page_counter_set_min(&c, 75);
    page_counter_set_min(&d, 25);
    page_counter_set_low(&c, 10);
    assert_eq!(b.children_min_usage(), 75);
    assert_eq!(b.children_low_usage(), 10);
    assert_eq!((c.min_usage(), d.min_usage(), c.low_usage()), (50, 25, 10));
    page_counter_uncharge(&c, 45);
    assert_eq!(b.children_min_usage(), 30);
    assert_eq!(b.children_low_usage(), 5);
    page_counter_set_min(&b, 7);
    assert_eq!(root.children_min_usage(), 7);
    page_counter_set_min(&d, 0);
    assert_eq!(b.children_min_usage(), 5);
}

/// Counters without protection support (swap, kmem) skip the bookkeeping
/// on charges.
#[test]
fn no_protection_tracking_without_support() {
    let root = Arc::new(PageCounter::new(None, false));
    let swap = Arc::new(PageCounter::new(Some(root.clone()), false));
    page_counter_set_min(&swap, 10);
    page_counter_charge(&swap, 5);
    assert_eq!(root.children_min_usage(), 0);
    assert_eq!(page_counter_read(&root), 5);
}

/// A removed memcg's counter keeps its ancestors alive until its charges
/// drain and its last holder drops it.
#[test]
fn zombie_counter_keeps_its_parent_chain() {
    let root = Arc::new(PageCounter::new(None, true));
    let parent = child(&root);
    let zombie = child(&parent);
    page_counter_charge(&zombie, 8);
    drop(parent);
    assert_eq!(Arc::strong_count(&root), 2);
    page_counter_uncharge(&zombie, 8);
    assert_eq!(page_counter_read(zombie.parent().unwrap()), 0);
    drop(zombie);
    assert_eq!(Arc::strong_count(&root), 1);
    assert_eq!(page_counter_read(&root), 0);
}

/// §2.1 / §5.2 / §5.21: keyword, suffixes, radix, rounding down to pages,
/// EINVAL on anything left over.
#[test]
fn memparse_matches_linux() {
    let ok = |s: &str| page_counter_memparse(s.as_bytes(), b"max").map(|p| p * PAGE_SIZE);
    assert_eq!(ok("30M"), Ok(31_457_280));
    assert_eq!(ok("4097"), Ok(4096));
    assert_eq!(ok("4095"), Ok(0));
    assert_eq!(ok("0x2000"), Ok(8192));
    assert_eq!(ok("0X2000"), Ok(8192));
    assert_eq!(ok("020000"), Ok(8192));
    assert_eq!(ok("1g"), Ok(1 << 30));
    assert_eq!(ok("1k"), Ok(0));
    assert_eq!(ok("8K"), Ok(8192));
    assert_eq!(ok("2T"), Ok(2 << 40));
    assert_eq!(ok("1P"), Ok(1 << 50));
    assert_eq!(ok(""), Ok(0));
    assert_eq!(page_counter_memparse(b"max", b"max"), Ok(PAGE_COUNTER_MAX));
    // Anything at or above PAGE_COUNTER_MAX pages reads back as max.
    assert_eq!(page_counter_memparse(b"8E", b"max"), Ok(PAGE_COUNTER_MAX));
    assert_eq!(
        page_counter_memparse(b"9223372036854771712", b"max"),
        Ok(PAGE_COUNTER_MAX)
    );
    // v1's keyword.
    assert_eq!(page_counter_memparse(b"-1", b"-1"), Ok(PAGE_COUNTER_MAX));
    for bad in [
        "1.0", "1xx", "xx", "-1", "30MB", "max ", " 30M", "08", "0x", "1KK", "max\n",
    ] {
        assert_eq!(ok(bad), Err(Errno::EINVAL), "{bad:?}");
    }
    // The control-file write handler strips whitespace first.
    assert_eq!(ok(" 30M\n".trim_ascii()), Ok(31_457_280));
    assert_eq!(
        page_counter_memparse(b"max\n".trim_ascii(), b"max"),
        Ok(PAGE_COUNTER_MAX)
    );
}

// ---------------------------------------------------------------------------
// Property test: random operations on a random tree against a model.

#[derive(Clone, Debug)]
enum Op {
    Mkdir(usize),
    TryCharge(usize, u64),
    Charge(usize, u64),
    Uncharge(usize, u64),
    SetMax(usize, u64),
    SetMin(usize, u64),
    SetLow(usize, u64),
    Rmdir(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let limit = prop_oneof![0u64..3000, Just(PAGE_COUNTER_MAX)];
    prop_oneof![
        2 => any::<usize>().prop_map(Op::Mkdir),
        6 => (any::<usize>(), 1u64..400).prop_map(|(i, n)| Op::TryCharge(i, n)),
        1 => (any::<usize>(), 1u64..400).prop_map(|(i, n)| Op::Charge(i, n)),
        4 => (any::<usize>(), 1u64..400).prop_map(|(i, n)| Op::Uncharge(i, n)),
        2 => (any::<usize>(), limit.clone()).prop_map(|(i, n)| Op::SetMax(i, n)),
        1 => (any::<usize>(), limit.clone()).prop_map(|(i, n)| Op::SetMin(i, n)),
        1 => (any::<usize>(), limit).prop_map(|(i, n)| Op::SetLow(i, n)),
        1 => any::<usize>().prop_map(Op::Rmdir),
    ]
}

/// One memcg of the model: its counter (None once a removed memcg drained
/// and was freed), the pages charged directly to it, and what the model
/// expects of it.
struct Node {
    counter: Option<Arc<PageCounter>>,
    parent: Option<usize>,
    online: bool,
    own: u64,
    failcnt: u64,
    /// A forced charge took it over max and it has not come back under.
    forced_over: bool,
}

struct Model {
    nodes: Vec<Node>,
}

impl Model {
    fn new() -> Self {
        let root = Node {
            counter: Some(Arc::new(PageCounter::new(None, true))),
            parent: None,
            online: true,
            own: 0,
            failcnt: 0,
            forced_over: false,
        };
        Self {
            nodes: std::vec![root],
        }
    }

    fn counter(&self, i: usize) -> &PageCounter {
        self.nodes[i].counter.as_deref().unwrap()
    }

    fn pick(&self, raw: usize, pred: impl Fn(&Node) -> bool) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| pred(&self.nodes[i]))
            .collect();
        (!candidates.is_empty()).then(|| candidates[raw % candidates.len()])
    }

    fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(move |&j| self.nodes[j].parent == Some(i))
    }

    fn ancestors(&self, i: usize) -> Vec<usize> {
        let mut chain = std::vec![i];
        while let Some(p) = self.nodes[*chain.last().unwrap()].parent {
            chain.push(p);
        }
        chain
    }

    fn usage(&self, i: usize) -> u64 {
        self.nodes[i].own + self.children(i).map(|j| self.usage(j)).sum::<u64>()
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Mkdir(raw) => {
                if let Some(p) = self.pick(raw, |n| n.online) {
                    let parent = self.nodes[p].counter.clone();
                    self.nodes.push(Node {
                        counter: Some(Arc::new(PageCounter::new(parent, true))),
                        parent: Some(p),
                        online: true,
                        own: 0,
                        failcnt: 0,
                        forced_over: false,
                    });
                }
            }
            Op::TryCharge(raw, n) => {
                let Some(i) = self.pick(raw, |n| n.online) else {
                    return;
                };
                let chain = self.ancestors(i);
                let expected_fail = chain
                    .iter()
                    .copied()
                    .find(|&l| self.usage(l) + n > self.counter(l).max());
                let result = page_counter_try_charge(self.counter(i), n).map_err(|f| f as *const _);
                match expected_fail {
                    None => {
                        assert_eq!(result, Ok(()));
                        self.nodes[i].own += n;
                    }
                    Some(l) => {
                        assert_eq!(result, Err(self.counter(l) as *const _));
                        self.nodes[l].failcnt += 1;
                    }
                }
            }
            Op::Charge(raw, n) => {
                let Some(i) = self.pick(raw, |n| n.online) else {
                    return;
                };
                page_counter_charge(self.counter(i), n);
                self.nodes[i].own += n;
                for l in self.ancestors(i) {
                    self.nodes[l].forced_over = true;
                }
            }
            Op::Uncharge(raw, n) => {
                let Some(i) = self.pick(raw, |n| n.own > 0) else {
                    return;
                };
                let n = n.min(self.nodes[i].own);
                page_counter_uncharge(self.counter(i), n);
                self.nodes[i].own -= n;
            }
            Op::SetMax(raw, v) => {
                let Some(i) = self.pick(raw, |n| n.online) else {
                    return;
                };
                let old = self.counter(i).max();
                let expected = if self.usage(i) > v {
                    Err(Errno::EBUSY)
                } else {
                    Ok(())
                };
                assert_eq!(page_counter_set_max(self.counter(i), v), expected);
                assert_eq!(
                    self.counter(i).max(),
                    if expected.is_ok() { v } else { old }
                );
            }
            Op::SetMin(raw, v) => {
                let Some(i) = self.pick(raw, |n| n.online) else {
                    return;
                };
                page_counter_set_min(self.counter(i), v);
            }
            Op::SetLow(raw, v) => {
                let Some(i) = self.pick(raw, |n| n.online) else {
                    return;
                };
                page_counter_set_low(self.counter(i), v);
            }
            Op::Rmdir(raw) => {
                // cgroup_rmdir refuses a cgroup with online children; offline
                // (zombie) children do not keep the parent.
                let Some(i) = self.pick(raw, |n| n.online && n.parent.is_some()) else {
                    return;
                };
                if self.children(i).any(|j| self.nodes[j].online) {
                    return;
                }
                self.nodes[i].online = false;
            }
        }
        // Free zombies whose charges drained (children before parents).
        for i in (0..self.nodes.len()).rev() {
            if !self.nodes[i].online
                && self.nodes[i].counter.is_some()
                && self.usage(i) == 0
                && self.children(i).all(|j| self.nodes[j].counter.is_none())
            {
                self.nodes[i].counter = None;
            }
        }
    }

    fn check(&mut self) {
        for i in 0..self.nodes.len() {
            let Some(c) = self.nodes[i].counter.clone() else {
                assert_eq!(self.usage(i), 0);
                continue;
            };
            let raw = c.usage.load(Ordering::SeqCst);
            assert!(raw >= 0);
            let usage = page_counter_read(&c);
            assert_eq!(usage, self.usage(i));
            let child_sum: u64 = self.children(i).map(|j| self.usage(j)).sum();
            assert!(usage >= child_sum);
            let (mut min_sum, mut low_sum) = (0, 0);
            for j in self.children(i) {
                if let Some(cc) = self.nodes[j].counter.as_deref() {
                    let u = page_counter_read(cc);
                    assert_eq!(cc.min_usage(), u.min(cc.min()));
                    assert_eq!(cc.low_usage(), u.min(cc.low()));
                    min_sum += cc.min_usage();
                    low_sum += cc.low_usage();
                }
            }
            assert_eq!(c.children_min_usage(), min_sum);
            assert_eq!(c.children_low_usage(), low_sum);
            if usage <= c.max() {
                self.nodes[i].forced_over = false;
            }
            assert!(self.nodes[i].forced_over || usage <= c.max());
            assert_eq!(c.failcnt(), self.nodes[i].failcnt);
            assert!(c.local_watermark() <= c.watermark());
            assert!(usage <= c.local_watermark());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_charge_sequences_keep_the_invariants(ops in proptest::collection::vec(op(), 1..120)) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op);
            model.check();
        }
        // Drain everything: every counter returns to zero.
        for i in 0..model.nodes.len() {
            let own = model.nodes[i].own;
            if own > 0 {
                page_counter_uncharge(model.counter(i), own);
                model.nodes[i].own = 0;
            }
        }
        model.check();
        for node in &model.nodes {
            if let Some(c) = node.counter.as_deref() {
                prop_assert_eq!(page_counter_read(c), 0);
                prop_assert_eq!(c.children_min_usage(), 0);
                prop_assert_eq!(c.children_low_usage(), 0);
                prop_assert_eq!(c.min_usage(), 0);
                prop_assert_eq!(c.low_usage(), 0);
            }
        }
    }
}
