//! Lockless hierarchical page accounting and limiting: Linux's
//! mm/page_counter.c and include/linux/page_counter.h (≈ v6.12), including
//! `effective_protection` / `page_counter_calculate_protection`, which
//! v6.10+ keeps in this file.
//!
//! One [`PageCounter`] per resource per memcg (`memory`, `swap`, ...). Each
//! holds an [`Arc`] of its parent, so a counter whose memcg was removed
//! (rmdir) while it still holds charges keeps its whole ancestor chain
//! valid until the last charge drains and the last holder drops it. A
//! counter is identified by address: the failing level returned by
//! [`page_counter_try_charge`] is one of the counter's own ancestors (or
//! itself), and the memcg code finds its owner by walking up its memcgs
//! comparing with [`core::ptr::eq`].
//!
//! Left out: the v1-only `page_counter_set_max` callers' `memsw` ordering
//! checks (they live in memcontrol), the `failcnt` reset of v1's
//! `memory.failcnt` write and the per-fd `memory.peak` list (also
//! memcontrol's; the counter only offers the local-peak store). Where Linux's `unsigned long` arithmetic would wrap on
//! absurd settings (`memory.min = max` with real usage) the products are
//! done in 128 bits instead, so a setting can never panic the kernel.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use crate::mm::page::PAGE_SIZE;
use crate::uapi::errno::{Errno, KResult};

/// "Unlimited": `LONG_MAX / PAGE_SIZE` pages, shown as `max` in cgroup v2.
pub const PAGE_COUNTER_MAX: u64 = i64::MAX as u64 / PAGE_SIZE;

/// Linux's `struct page_counter`. All amounts are in pages.
#[derive(Debug)]
pub struct PageCounter {
    usage: AtomicI64,

    // Effective protection, written by `page_counter_calculate_protection`
    // during the reclaim walk; `min_usage`/`low_usage` are this counter's
    // protected usage as last reported into the parent's
    // `children_min_usage`/`children_low_usage`.
    emin: AtomicU64,
    min_usage: AtomicU64,
    children_min_usage: AtomicU64,
    elow: AtomicU64,
    low_usage: AtomicU64,
    children_low_usage: AtomicU64,

    watermark: AtomicU64,
    local_watermark: AtomicU64,
    failcnt: AtomicU64,

    min: AtomicU64,
    low: AtomicU64,
    high: AtomicU64,
    max: AtomicU64,

    /// Only `memcg->memory` tracks protected usage; swap/kmem counters
    /// skip the bookkeeping.
    protection_support: bool,
    parent: Option<Arc<PageCounter>>,
}

impl PageCounter {
    /// `page_counter_init`: usage 0, every limit `PAGE_COUNTER_MAX`
    /// (Linux's init leaves `high` at 0 and the memcg constructor raises
    /// it; a fresh memcg reads `max` either way), protection 0.
    pub fn new(parent: Option<Arc<PageCounter>>, protection_support: bool) -> Self {
        Self {
            usage: AtomicI64::new(0),
            emin: AtomicU64::new(0),
            min_usage: AtomicU64::new(0),
            children_min_usage: AtomicU64::new(0),
            elow: AtomicU64::new(0),
            low_usage: AtomicU64::new(0),
            children_low_usage: AtomicU64::new(0),
            watermark: AtomicU64::new(0),
            local_watermark: AtomicU64::new(0),
            failcnt: AtomicU64::new(0),
            min: AtomicU64::new(0),
            low: AtomicU64::new(0),
            high: AtomicU64::new(PAGE_COUNTER_MAX),
            max: AtomicU64::new(PAGE_COUNTER_MAX),
            protection_support,
            parent,
        }
    }

    pub fn parent(&self) -> Option<&PageCounter> {
        self.parent.as_deref()
    }
    pub fn max(&self) -> u64 {
        self.max.load(Ordering::SeqCst)
    }
    pub fn high(&self) -> u64 {
        self.high.load(Ordering::Relaxed)
    }
    pub fn min(&self) -> u64 {
        self.min.load(Ordering::Relaxed)
    }
    pub fn low(&self) -> u64 {
        self.low.load(Ordering::Relaxed)
    }
    /// Effective memory.min as of the last reclaim walk that visited it.
    pub fn emin(&self) -> u64 {
        self.emin.load(Ordering::Relaxed)
    }
    /// Effective memory.low as of the last reclaim walk that visited it.
    pub fn elow(&self) -> u64 {
        self.elow.load(Ordering::Relaxed)
    }
    pub fn children_min_usage(&self) -> u64 {
        self.children_min_usage.load(Ordering::Relaxed)
    }
    pub fn children_low_usage(&self) -> u64 {
        self.children_low_usage.load(Ordering::Relaxed)
    }
    /// `min(usage, min)` as last reported to the parent.
    pub fn min_usage(&self) -> u64 {
        self.min_usage.load(Ordering::Relaxed)
    }
    /// `min(usage, low)` as last reported to the parent.
    pub fn low_usage(&self) -> u64 {
        self.low_usage.load(Ordering::Relaxed)
    }
    /// All-time peak (memory.peak without an fd-local reset).
    pub fn watermark(&self) -> u64 {
        self.watermark.load(Ordering::Relaxed)
    }
    /// Peak since the last fd-local reset; never above `watermark`.
    pub fn local_watermark(&self) -> u64 {
        self.local_watermark.load(Ordering::Relaxed)
    }
    /// Failed `page_counter_try_charge` calls that stopped at this level.
    pub fn failcnt(&self) -> u64 {
        self.failcnt.load(Ordering::Relaxed)
    }

    /// cgroup v2's memory.max write: `xchg(&counter->max, max)` with no
    /// usage check (the writer then reclaims, and OOM-kills, down to it).
    /// Returns the old limit.
    pub fn xchg_max(&self, nr_pages: u64) -> u64 {
        self.max.swap(nr_pages, Ordering::SeqCst)
    }

    /// memory.peak's fd-local reset: the local peak restarts from `usage`
    /// (the global `watermark` is left alone).
    pub fn set_local_watermark(&self, usage: u64) {
        self.local_watermark.store(usage, Ordering::Relaxed);
    }
}

fn nr_to_long(nr_pages: u64) -> i64 {
    i64::try_from(nr_pages).unwrap_or(i64::MAX)
}

/// `page_counter_read`: the current usage in pages.
pub fn page_counter_read(counter: &PageCounter) -> u64 {
    u64::try_from(counter.usage.load(Ordering::SeqCst)).unwrap_or(0)
}

/// Report `min(usage, setting)` into the parent's children sum.
fn propagate_one(usage: u64, setting: &AtomicU64, reported: &AtomicU64, sum: &AtomicU64) {
    let protected = usage.min(setting.load(Ordering::Relaxed));
    if protected == reported.load(Ordering::Relaxed) {
        return;
    }
    let old = reported.swap(protected, Ordering::Relaxed);
    if protected > old {
        sum.fetch_add(protected - old, Ordering::Relaxed);
    } else if old > protected {
        sum.fetch_sub(old - protected, Ordering::Relaxed);
    }
}

fn propagate_protected_usage(c: &PageCounter, usage: u64) {
    let Some(parent) = c.parent() else {
        return;
    };
    propagate_one(usage, &c.min, &c.min_usage, &parent.children_min_usage);
    propagate_one(usage, &c.low, &c.low_usage, &parent.children_low_usage);
}

fn update_watermarks(c: &PageCounter, new: u64) {
    // Racy, as in Linux: some inaccuracy in the peaks is acceptable.
    if new > c.local_watermark.load(Ordering::Relaxed) {
        c.local_watermark.store(new, Ordering::Relaxed);
        if new > c.watermark.load(Ordering::Relaxed) {
            c.watermark.store(new, Ordering::Relaxed);
        }
    }
}

static UNDERFLOW_WARNED: AtomicBool = AtomicBool::new(false);

/// Take pages out of this one level; more uncharges than charges warn
/// once and clamp the usage to 0.
#[inline(never)]
pub fn page_counter_cancel(counter: &PageCounter, nr_pages: u64) {
    let nr = nr_to_long(nr_pages);
    let mut new = counter
        .usage
        .fetch_sub(nr, Ordering::SeqCst)
        .wrapping_sub(nr);
    if new < 0 {
        if !UNDERFLOW_WARNED.swap(true, Ordering::Relaxed) {
            log::warn!("page_counter underflow: {new} nr_pages={nr_pages}");
        }
        new = 0;
        counter.usage.store(0, Ordering::SeqCst);
    }
    if counter.protection_support {
        propagate_protected_usage(counter, u64::try_from(new).unwrap_or(0));
    }
}

/// Charge `counter` and every ancestor, ignoring the limits (forced
/// charges: `__GFP_NOFAIL`, dying tasks, charges made while reclaiming).
#[inline(never)]
pub fn page_counter_charge(counter: &PageCounter, nr_pages: u64) {
    let nr = nr_to_long(nr_pages);
    let mut c = Some(counter);
    while let Some(level) = c {
        let new = level.usage.fetch_add(nr, Ordering::SeqCst).wrapping_add(nr);
        let new = u64::try_from(new).unwrap_or(0);
        if counter.protection_support {
            propagate_protected_usage(level, new);
        }
        update_watermarks(level, new);
        c = level.parent();
    }
}

/// Charge `counter` and every ancestor unless a level would exceed its
/// `max`. On failure the levels already charged are cancelled, the failing
/// level's `failcnt` is bumped, and the failing level is returned.
#[inline(never)]
pub fn page_counter_try_charge(counter: &PageCounter, nr_pages: u64) -> Result<(), &PageCounter> {
    let nr = nr_to_long(nr_pages);
    let mut c = Some(counter);
    while let Some(level) = c {
        // Speculative add, then check: a racing set_max either sees the
        // new usage or we see its new limit.
        let new = level.usage.fetch_add(nr, Ordering::SeqCst).wrapping_add(nr);
        let new = u64::try_from(new).unwrap_or(0);
        if new > level.max() {
            level.usage.fetch_sub(nr, Ordering::SeqCst);
            level.failcnt.fetch_add(1, Ordering::Relaxed);
            let mut undo = Some(counter);
            while let Some(below) = undo.filter(|u| !core::ptr::eq(*u, level)) {
                page_counter_cancel(below, nr_pages);
                undo = below.parent();
            }
            return Err(level);
        }
        if counter.protection_support {
            propagate_protected_usage(level, new);
        }
        update_watermarks(level, new);
        c = level.parent();
    }
    Ok(())
}

/// Uncharge `counter` and every ancestor.
#[inline(never)]
pub fn page_counter_uncharge(counter: &PageCounter, nr_pages: u64) {
    let mut c = Some(counter);
    while let Some(level) = c {
        page_counter_cancel(level, nr_pages);
        c = level.parent();
    }
}

/// Set the limit; `EBUSY` if the usage is already above it (the caller
/// reclaims and retries). Callers serialize writes to one counter.
pub fn page_counter_set_max(counter: &PageCounter, nr_pages: u64) -> KResult<()> {
    loop {
        let usage = page_counter_read(counter);
        if usage > nr_pages {
            return Err(Errno::EBUSY);
        }
        let old = counter.max.swap(nr_pages, Ordering::SeqCst);
        // A charge that raced in past the old limit shows up here; put the
        // old limit back and look again.
        if page_counter_read(counter) <= usage || nr_pages >= old {
            return Ok(());
        }
        counter.max.store(old, Ordering::SeqCst);
        core::hint::spin_loop();
    }
}

/// Set the protected amount and re-report protected usage up the tree.
pub fn page_counter_set_min(counter: &PageCounter, nr_pages: u64) {
    counter.min.store(nr_pages, Ordering::Relaxed);
    let mut c = Some(counter);
    while let Some(level) = c {
        propagate_protected_usage(level, page_counter_read(level));
        c = level.parent();
    }
}

/// Set the best-effort protected amount and re-report up the tree.
pub fn page_counter_set_low(counter: &PageCounter, nr_pages: u64) {
    counter.low.store(nr_pages, Ordering::Relaxed);
    let mut c = Some(counter);
    while let Some(level) = c {
        propagate_protected_usage(level, page_counter_read(level));
        c = level.parent();
    }
}

/// Store memory.high; throttling reads it on the charge path.
pub fn page_counter_set_high(counter: &PageCounter, nr_pages: u64) {
    counter.high.store(nr_pages, Ordering::Relaxed);
}

/// v1's `max_usage_in_bytes` write: both peaks restart from the usage
/// (the local one first so it stays ≤ the global one).
pub fn page_counter_reset_watermark(counter: &PageCounter) {
    let usage = page_counter_read(counter);
    counter.local_watermark.store(usage, Ordering::Relaxed);
    counter.watermark.store(usage, Ordering::Relaxed);
}

/// lib/kstrtox.c's `_parse_integer_fixup_radix` plus `simple_strtoull`
/// with base 0: `0x` hex (only when a hex digit follows), leading `0`
/// octal, else decimal; stops at the first non-digit; wraps on overflow
/// as Linux does. Returns the value and the unparsed rest.
fn simple_strtoull(s: &[u8]) -> (u64, &[u8]) {
    let (base, mut rest) = match s {
        [b'0', x, d, ..] if x.eq_ignore_ascii_case(&b'x') && d.is_ascii_hexdigit() => (16, &s[2..]),
        [b'0', ..] => (8, s),
        _ => (10, s),
    };
    let mut value: u64 = 0;
    while let Some((&ch, tail)) = rest.split_first() {
        let digit = match ch.to_ascii_lowercase() {
            d @ b'0'..=b'9' => u64::from(d - b'0'),
            d @ b'a'..=b'f' => u64::from(d - b'a' + 10),
            _ => break,
        };
        if digit >= base {
            break;
        }
        value = value.wrapping_mul(base).wrapping_add(digit);
        rest = tail;
    }
    (value, rest)
}

/// lib/cmdline.c's `memparse`: a number with an optional binary suffix
/// K, M, G, T, P or E (either case).
pub fn memparse(s: &[u8]) -> (u64, &[u8]) {
    let (value, rest) = simple_strtoull(s);
    let shift = match rest.first().map(u8::to_ascii_uppercase) {
        Some(b'K') => 10,
        Some(b'M') => 20,
        Some(b'G') => 30,
        Some(b'T') => 40,
        Some(b'P') => 50,
        Some(b'E') => 60,
        _ => return (value, rest),
    };
    (value << shift, &rest[1..])
}

/// Parse a limit file write (already whitespace-stripped by the caller):
/// `max` (the keyword: `"max"` in v2, `"-1"` in v1) means
/// `PAGE_COUNTER_MAX`, otherwise `memparse` bytes rounded down to pages
/// and capped at `PAGE_COUNTER_MAX`; anything left over is `EINVAL`.
pub fn page_counter_memparse(buf: &[u8], max: &[u8]) -> KResult<u64> {
    if buf == max {
        return Ok(PAGE_COUNTER_MAX);
    }
    let (bytes, rest) = memparse(buf);
    if !rest.is_empty() {
        return Err(Errno::EINVAL);
    }
    Ok((bytes / PAGE_SIZE).min(PAGE_COUNTER_MAX))
}

/// `a * b / c` without intermediate overflow (`c > 0`, result ≤ `a` or `b`).
fn mul_div(a: u64, b: u64, c: u64) -> u64 {
    u64::try_from(u128::from(a) * u128::from(b) / u128::from(c)).unwrap_or(u64::MAX)
}

/// One child's share of its parent's effective protection.
///
/// - A child gets `min(usage, setting)` if the siblings' claimed-and-used
///   protection fits in the parent's effective protection;
/// - otherwise the parent's protection is split in proportion to that
///   claimed-and-used protection (overcommit);
/// - with `recursive_protection` (memory_recursiveprot) the parent's
///   unclaimed protection is also handed out, in proportion to each
///   child's usage beyond its own protection.
pub fn effective_protection(
    usage: u64,
    parent_usage: u64,
    setting: u64,
    parent_effective: u64,
    siblings_protected: u64,
    recursive_protection: bool,
) -> u64 {
    let protected = usage.min(setting);
    if siblings_protected > parent_effective {
        return mul_div(protected, parent_effective, siblings_protected);
    }
    let mut ep = protected;
    if recursive_protection
        && parent_effective > siblings_protected
        && parent_usage > siblings_protected
        && usage > protected
    {
        ep += mul_div(
            parent_effective - siblings_protected,
            usage - protected,
            parent_usage - siblings_protected,
        );
    }
    ep
}

/// Recompute `counter`'s emin/elow for a reclaim walk targeted at `root`.
/// Stateful: reads the parent's effective values, so it must run in the
/// pre-order walk below `root`. The target itself and empty counters keep
/// stale values (the protection checks ignore both); a direct child of the
/// target gets its configured min/low unchanged.
#[inline(never)]
pub fn page_counter_calculate_protection(
    root: &PageCounter,
    counter: &PageCounter,
    recursive_protection: bool,
) {
    if core::ptr::eq(root, counter) {
        return;
    }
    let usage = page_counter_read(counter);
    if usage == 0 {
        return;
    }
    let Some(parent) = counter.parent() else {
        // Only the root counter has no parent, and a walk below any
        // target never reaches it unless it is the target.
        return;
    };
    if core::ptr::eq(parent, root) {
        counter.emin.store(counter.min(), Ordering::Relaxed);
        counter.elow.store(counter.low(), Ordering::Relaxed);
        return;
    }
    let parent_usage = page_counter_read(parent);
    let emin = effective_protection(
        usage,
        parent_usage,
        counter.min(),
        parent.emin(),
        parent.children_min_usage(),
        recursive_protection,
    );
    counter.emin.store(emin, Ordering::Relaxed);
    let elow = effective_protection(
        usage,
        parent_usage,
        counter.low(),
        parent.elow(),
        parent.children_low_usage(),
        recursive_protection,
    );
    counter.elow.store(elow, Ordering::Relaxed);
}

#[cfg(test)]
mod tests;
