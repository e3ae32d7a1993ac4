//! Host tests of mm/swapfile.rs: headers from util-linux `mkswap`, the
//! swap_map counts, cluster and priority allocation, swapon/swapoff
//! bookkeeping, /proc/swaps.

use super::*;
use crate::mm::swapops::swp_entry;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;

/// A device in memory: its size, and the discards issued to it.
struct MemDev {
    pages: u64,
    nonrot: bool,
    discard: bool,
    discards: Mutex<Vec<(u64, u64)>>,
}

impl SwapBacking for MemDev {
    fn nr_pages(&self) -> u64 {
        self.pages
    }
    fn read_page(&self, _index: u64, _buf: &mut [u8]) -> KResult<()> {
        Err(Errno::EIO)
    }
    fn nonrot(&self) -> bool {
        self.nonrot
    }
    fn max_discard_sectors(&self) -> u64 {
        if self.discard { u64::MAX >> 9 } else { 0 }
    }
    fn issue_discard(&self, sector: u64, nr_sectors: u64) -> KResult<()> {
        self.discards.lock().unwrap().push((sector, nr_sectors));
        Ok(())
    }
    fn block_device(&self) -> Option<Arc<BlockDevice>> {
        None
    }
}

fn dev(pages: u64, nonrot: bool) -> Arc<MemDev> {
    Arc::new(MemDev {
        pages,
        nonrot,
        discard: false,
        discards: Mutex::new(Vec::new()),
    })
}

/// Page 0 of a fresh `mkswap` image of `bytes` bytes (util-linux).
fn mkswap(bytes: u64, extra: &[&str]) -> Vec<u8> {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "tinymm-swap-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(bytes).unwrap();
    drop(f);
    let out = std::process::Command::new("mkswap")
        .args(extra)
        .arg(&path)
        .output()
        .expect("util-linux mkswap");
    assert!(out.status.success(), "mkswap: {out:?}");
    let image = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    image[..4096].to_vec()
}

const MIB: u64 = 1 << 20;

/// `sys_swapon`'s two steps.
fn swapon(
    t: &mut SwapTable,
    name: &str,
    dev: DevT,
    bdev: Arc<MemDev>,
    header: &[u8],
    flags: i32,
) -> KResult<Swapon> {
    let (si, nr_extents) = setup_swap_area(name, dev, bdev, header, flags)?;
    t.swapon(si, nr_extents, flags)
}

/// `get_swap_pages` into a Vec.
fn alloc(t: &mut SwapTable, n: usize, got: &mut Vec<SwpEntry>) -> usize {
    let mut buf = [SwpEntry::default(); SWAP_BATCH];
    let k = t.get_swap_pages(n, &mut buf);
    got.extend_from_slice(&buf[..k]);
    k
}

fn devt(minor: u32) -> DevT {
    DevT::new(254, minor)
}

fn put32(h: &mut [u8], at: usize, v: u32) {
    h[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

#[test]
fn mkswap_header_parses() {
    let h = mkswap(64 * MIB, &["-L", "tiny"]);
    let (maxpages, info) = read_swap_header(&h, 16384, false).unwrap();
    assert_eq!(maxpages, 16384);
    assert_eq!(info.version, 1);
    assert_eq!(info.last_page, 16383);
    assert_eq!(info.nr_badpages, 0);
    assert_eq!(MAX_SWAP_BADPAGES, 637);
}

#[test]
fn bad_headers_are_refused_with_linux_messages() {
    let good = mkswap(4 * MIB, &[]);
    let mut h = good.clone();
    h[4086..4096].copy_from_slice(b"SWAP-SPACE");
    assert_eq!(
        read_swap_header(&h, 1024, false),
        Err(SwapHeaderError::NoSignature)
    );
    assert_eq!(
        SwapHeaderError::NoSignature.to_string(),
        "Unable to find swap-space signature"
    );
    let mut h = good.clone();
    put32(&mut h, 1024, 0);
    assert_eq!(
        read_swap_header(&h, 1024, false),
        Err(SwapHeaderError::Version(0))
    );
    assert_eq!(
        SwapHeaderError::Version(0).to_string(),
        "Unable to handle swap header version 0"
    );
    let mut h = good.clone();
    put32(&mut h, 1028, 0);
    assert_eq!(
        read_swap_header(&h, 1024, false),
        Err(SwapHeaderError::Empty)
    );
    assert_eq!(SwapHeaderError::Empty.to_string(), "Empty swap-file");
    // The header says 1024 pages; the device has 1000.
    assert_eq!(
        read_swap_header(&good, 1000, false),
        Err(SwapHeaderError::Shorter)
    );
    let mut h = good.clone();
    put32(&mut h, 1032, 638);
    assert_eq!(
        read_swap_header(&h, 1024, false),
        Err(SwapHeaderError::BadPages)
    );
    // Bad pages are refused for a regular file only.
    put32(&mut h, 1032, 1);
    put32(&mut h, 1536, 7);
    assert_eq!(
        read_swap_header(&h, 1024, true),
        Err(SwapHeaderError::BadPages)
    );
    assert!(read_swap_header(&h, 1024, false).is_ok());
}

#[test]
fn other_endian_header_is_swapped() {
    let mut h = mkswap(4 * MIB, &[]);
    for at in [1024, 1028, 1032, 1536] {
        let v = u32::from_ne_bytes(h[at..at + 4].try_into().unwrap());
        put32(&mut h, at, v.swap_bytes());
    }
    let (maxpages, info) = read_swap_header(&h, 1024, false).unwrap();
    assert_eq!((maxpages, info.last_page), (1024, 1023));
}

fn table_with(header: &[u8], d: Arc<MemDev>, flags: i32) -> (SwapTable, Swapon) {
    let mut t = SwapTable::new();
    let on = swapon(&mut t, "/dev/vdb", devt(0xfe10), d, header, flags).unwrap();
    (t, on)
}

#[test]
fn bad_pages_are_never_allocated() {
    let mut h = mkswap(4 * MIB, &[]);
    put32(&mut h, 1032, 3);
    for (i, p) in [5u32, 300, 1023].into_iter().enumerate() {
        put32(&mut h, 1536 + 4 * i, p);
    }
    for nonrot in [false, true] {
        let (mut t, on) = table_with(&h, dev(1024, nonrot), 0);
        let si = t.swap_info(on.type_).unwrap();
        assert_eq!(si.pages, 1023 - 3);
        for p in [0, 5, 300, 1023] {
            assert_eq!(si.swap_map[p], SWAP_MAP_BAD);
        }
        let mut got = Vec::new();
        while alloc(&mut t, 1, &mut got) == 1 {}
        assert_eq!(got.len(), 1020);
        let mut offsets: Vec<u64> = got.iter().map(|&e| swp_offset(e)).collect();
        offsets.sort();
        offsets.dedup();
        assert_eq!(offsets.len(), 1020);
        assert!(offsets.iter().all(|o| ![0, 5, 300, 1023].contains(o)));
    }
}

#[test]
fn bad_page_list_errors() {
    let good = mkswap(4 * MIB, &[]);
    for bad in [0u32, 1024] {
        let mut h = good.clone();
        put32(&mut h, 1032, 1);
        put32(&mut h, 1536, bad);
        let mut t = SwapTable::new();
        assert_eq!(
            swapon(&mut t, "/dev/vdb", devt(1), dev(1024, false), &h, 0).err(),
            Some(Errno::EINVAL)
        );
        // The failed swapon left nothing behind.
        assert_eq!(t.find_dev(devt(1)), None);
        assert_eq!(t.si_swapinfo(), (0, 0));
    }
    // Every page bad: "Empty swap-file".
    let mut h = good.clone();
    put32(&mut h, 1028, 2);
    put32(&mut h, 1032, 2);
    put32(&mut h, 1536, 1);
    put32(&mut h, 1540, 2);
    let mut t = SwapTable::new();
    assert_eq!(
        swapon(&mut t, "/dev/vdb", devt(1), dev(1024, false), &h, 0).err(),
        Some(Errno::EINVAL)
    );
}

#[test]
fn proc_swaps_and_adding_line_as_linux() {
    let h = mkswap(64 * MIB, &[]);
    let (t, on) = table_with(&h, dev(16384, false), 0);
    let mut s = String::new();
    t.swaps_show(&mut s).unwrap();
    // Debian 6.1 with the same 64 MiB mkswap disk.
    assert_eq!(
        s,
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
         /dev/vdb                                partition\t65532\t\t0\t\t-2\n"
    );
    let mut line = String::new();
    t.adding_swap_message(&on, "/dev/vdb", &mut line).unwrap();
    assert_eq!(
        line,
        "Adding 65532k swap on /dev/vdb.  Priority:-2 extents:1 across:65532k "
    );
    assert_eq!(t.si_swapinfo(), (16383, 16383));
}

#[test]
fn flags_priority_and_discard() {
    let h = mkswap(4 * MIB, &[]);
    let mut t = SwapTable::new();
    assert_eq!(
        swapon(&mut t, "/dev/vdb", devt(1), dev(1024, false), &h, 0x80000).err(),
        Some(Errno::EINVAL)
    );
    let d = Arc::new(MemDev {
        pages: 1024,
        nonrot: true,
        discard: true,
        discards: Mutex::new(Vec::new()),
    });
    let on = swapon(
        &mut t,
        "/dev/vdb",
        devt(1),
        d.clone(),
        &h,
        SWAP_FLAG_PREFER | 5 | SWAP_FLAG_DISCARD,
    )
    .unwrap();
    assert_eq!(on.prio, 5);
    let mut line = String::new();
    t.adding_swap_message(&on, "/dev/vdb", &mut line).unwrap();
    assert_eq!(
        line,
        "Adding 4092k swap on /dev/vdb.  Priority:5 extents:1 across:4092k SSDsc"
    );
    // A second swapon of the same device.
    assert_eq!(
        swapon(&mut t, "/dev/vdb", devt(1), d, &h, 0).err(),
        Some(Errno::EBUSY)
    );
    // Discard on a device that cannot: accepted, no flags.
    let on = swapon(
        &mut t,
        "/dev/vdc",
        devt(2),
        dev(1024, false),
        &h,
        SWAP_FLAG_DISCARD | SWAP_FLAG_DISCARD_ONCE,
    )
    .unwrap();
    let mut line = String::new();
    t.adding_swap_message(&on, "/dev/vdb", &mut line).unwrap();
    assert!(
        line.ends_with("Priority:-2 extents:1 across:4092k "),
        "{line}"
    );
}

#[test]
fn priorities_order_allocation_and_equals_take_turns() {
    let h = mkswap(4 * MIB, &[]);
    let mut t = SwapTable::new();
    let a = swapon(&mut t, "a", devt(1), dev(1024, false), &h, 0).unwrap();
    let b = swapon(&mut t, "b", devt(2), dev(1024, false), &h, 0).unwrap();
    let c = swapon(
        &mut t,
        "c",
        devt(3),
        dev(1024, true),
        &h,
        SWAP_FLAG_PREFER | 7,
    )
    .unwrap();
    let d = swapon(
        &mut t,
        "d",
        devt(4),
        dev(1024, false),
        &h,
        SWAP_FLAG_PREFER | 7,
    )
    .unwrap();
    assert_eq!((a.prio, b.prio, c.prio, d.prio), (-2, -3, 7, 7));
    let mut got = Vec::new();
    for _ in 0..4 {
        alloc(&mut t, 1, &mut got);
    }
    let types: Vec<u32> = got.iter().map(|&e| swp_type(e)).collect();
    assert_eq!(types, [c.type_, d.type_, c.type_, d.type_]);
    // Fill c and d: then a (-2), then b.
    got.clear();
    while alloc(&mut t, 1, &mut got) == 1 {
        if swp_type(*got.last().unwrap()) == b.type_ {
            break;
        }
    }
    let n_a = got.iter().filter(|&&e| swp_type(e) == a.type_).count();
    assert_eq!(n_a, 1023);
    assert_eq!(
        got.iter().position(|&e| swp_type(e) == a.type_),
        Some(2 * 1023 - 4)
    );
    // swapoff of a raises b to -2; the next auto area gets -3.
    let ta = t.swapoff_begin(devt(1)).unwrap();
    assert_eq!(t.swap_info(b.type_).unwrap().prio, -2);
    t.swapoff_abort(ta);
    assert_eq!(t.swap_info(a.type_).unwrap().prio, -3);
}

#[test]
fn counts_and_cache_references() {
    let h = mkswap(4 * MIB, &[]);
    let (mut t, _) = table_with(&h, dev(1024, false), 0);
    let mut got = Vec::new();
    assert_eq!(alloc(&mut t, 1, &mut got), 1);
    let e = got[0];
    assert_eq!(
        t.swap_info(0).unwrap().swap_map[swp_offset(e) as usize],
        SWAP_HAS_CACHE
    );
    assert_eq!(t.__swap_count(e), 0);
    // The cache reference is taken already.
    assert_eq!(t.__swap_duplicate(e, SWAP_HAS_CACHE), Err(Errno::EEXIST));
    for n in 1..=SWAP_MAP_MAX {
        t.__swap_duplicate(e, 1).unwrap();
        assert_eq!(t.__swap_count(e), n);
    }
    assert_eq!(t.__swap_duplicate(e, 1), Err(Errno::ENOMEM));
    assert_eq!(t.swp_swapcount(e), u32::from(SWAP_MAP_MAX));
    t.put_swap_folio(e);
    assert_eq!(t.__swap_count(e), SWAP_MAP_MAX);
    // A second release of the cache reference changes nothing.
    t.put_swap_folio(e);
    assert_eq!(t.__swap_count(e), SWAP_MAP_MAX);
    assert_eq!(t.si_swapinfo(), (1022, 1023));
    // Swap-in: the cache reference again.
    t.__swap_duplicate(e, SWAP_HAS_CACHE).unwrap();
    t.put_swap_folio(e);
    for n in (0..SWAP_MAP_MAX).rev() {
        assert_eq!(t.__swap_entry_free(e), Some(n));
    }
    assert_eq!(t.si_swapinfo(), (1023, 1023));
    // A stale entry: logged, nothing changes.
    assert_eq!(t.__swap_entry_free(e), None);
    assert_eq!(t.__swap_duplicate(e, SWAP_HAS_CACHE), Err(Errno::ENOENT));
    assert_eq!(
        t.__swap_duplicate(swp_entry(0, 5000), 1),
        Err(Errno::EINVAL)
    );
    assert_eq!(t.__swap_duplicate(swp_entry(9, 1), 1), Err(Errno::EINVAL));
    assert_eq!(t.__swap_entry_free(swp_entry(0, 0)), None);
    assert_eq!(t.__swap_count(swp_entry(3, 1)), 0);
}

#[test]
fn swapoff_bookkeeping() {
    let h = mkswap(4 * MIB, &[]);
    let (mut t, on) = table_with(&h, dev(1024, true), 0);
    let mut got = Vec::new();
    alloc(&mut t, 3, &mut got);
    assert_eq!(got.len(), 3);
    assert_eq!(t.swapoff_begin(devt(99)), Err(Errno::EINVAL));
    let ty = t.swapoff_begin(devt(0xfe10)).unwrap();
    assert_eq!(ty, on.type_);
    // Draining: gone from the lists, its used slots still counted.
    assert_eq!(t.si_swapinfo(), (0, 3));
    assert_eq!(alloc(&mut t, 1, &mut Vec::new()), 0);
    assert_eq!(t.find_next_to_unuse(ty, 0), swp_offset(got[0]) as usize);
    t.put_swap_folio(got[0]);
    assert_eq!(t.si_swapinfo(), (0, 2));
    t.swapoff_abort(ty);
    assert_eq!(t.si_swapinfo(), (1021, 1023));
    t.put_swap_folio(got[1]);
    t.put_swap_folio(got[2]);
    let ty = t.swapoff_begin(devt(0xfe10)).unwrap();
    assert_eq!(t.find_next_to_unuse(ty, 0), 0);
    assert!(t.swapoff_end(ty).bdev.is_some());
    assert_eq!(t.si_swapinfo(), (0, 0));
    let mut s = String::new();
    t.swaps_show(&mut s).unwrap();
    assert_eq!(s.lines().count(), 1);
    // The entry is reused, and auto priorities start over at -2... as
    // Linux's least_priority came back up by one at swapoff.
    let on = swapon(&mut t, "/dev/vdb", devt(0xfe10), dev(1024, false), &h, 0).unwrap();
    assert_eq!((on.type_, on.prio), (0, -2));
}

#[test]
fn page_discard_holds_clusters_until_discarded() {
    let h = mkswap(4 * MIB, &[]);
    let d = Arc::new(MemDev {
        pages: 1024,
        nonrot: true,
        discard: true,
        discards: Mutex::new(Vec::new()),
    });
    let mut t = SwapTable::new();
    swapon(
        &mut t,
        "/dev/vdb",
        devt(1),
        d,
        &h,
        SWAP_FLAG_DISCARD | SWAP_FLAG_DISCARD_PAGES,
    )
    .unwrap();
    let mut got = Vec::new();
    alloc(&mut t, 1, &mut got);
    let idx = swp_offset(got[0]) as usize / SWAPFILE_CLUSTER;
    t.put_swap_folio(got[0]);
    let todo = t.take_discard_clusters();
    assert_eq!(todo, [(0, idx)]);
    assert!(
        t.swap_info(0).unwrap().swap_map[idx * 256..idx * 256 + 256]
            .iter()
            .all(|&c| c == SWAP_MAP_BAD)
    );
    t.discard_done(0, idx);
    check_invariants(&t, 0);
}

/// The invariants of an area: inuse_pages is the used slots, cluster
/// counts are the used or bad slots of each cluster, and a cluster is on
/// the free list exactly when its count is 0.
fn check_invariants(t: &SwapTable, type_: u32) {
    let si = t.swap_info(type_).unwrap();
    let used = si
        .swap_map
        .iter()
        .filter(|&&c| c != 0 && c != SWAP_MAP_BAD)
        .count();
    assert_eq!(used, si.inuse_pages);
    if let Some(ci) = &si.cluster_info {
        let mut on_list = vec![false; ci.len()];
        let list = &si.free_clusters;
        if !list.is_empty() {
            let mut idx = list.first();
            loop {
                assert!(!on_list[idx], "cluster {idx} twice on the free list");
                on_list[idx] = true;
                if idx == list.tail.data as usize {
                    break;
                }
                idx = ci[idx].data as usize;
            }
        }
        for (idx, c) in ci.iter().enumerate() {
            let busy = (idx * SWAPFILE_CLUSTER..(idx + 1) * SWAPFILE_CLUSTER)
                .filter(|&i| i >= si.max || si.swap_map[i] != 0)
                .count();
            assert_eq!(on_list[idx], c.is_free(), "cluster {idx}");
            if !c.is_free() {
                assert_eq!(c.count() as usize, busy, "cluster {idx}");
            } else {
                assert_eq!(busy, 0, "free cluster {idx} has used slots");
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Alloc(usize),
    Dup(usize),
    Free(usize),
    PutCache(usize),
    CacheAgain(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..8).prop_map(Op::Alloc),
        2 => any::<usize>().prop_map(Op::Dup),
        2 => any::<usize>().prop_map(Op::Free),
        2 => any::<usize>().prop_map(Op::PutCache),
        1 => any::<usize>().prop_map(Op::CacheAgain),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random allocate / fork / unmap / cache-release sequences against a
    /// model of each entry's (mappings, cached): no slot handed out twice,
    /// no bad slot handed out, counts never underflow, and freeing
    /// everything gives every slot back.
    #[test]
    fn swap_map_matches_a_model(
        nonrot: bool,
        pages in 2u32..1200,
        bad in proptest::collection::vec(1u32..1200, 0..6),
        ops in proptest::collection::vec(op(), 1..300),
    ) {
        let mut h = vec![0u8; 4096];
        h[4086..].copy_from_slice(b"SWAPSPACE2");
        put32(&mut h, 1024, 1);
        put32(&mut h, 1028, pages - 1);
        let bad: Vec<u32> = bad.into_iter().filter(|&b| b < pages).collect();
        put32(&mut h, 1032, bad.len() as u32);
        for (i, &b) in bad.iter().enumerate() {
            put32(&mut h, 1536 + 4 * i, b);
        }
        let mut t = SwapTable::new();
        let Ok(on) = swapon(&mut t, "/dev/vdb", devt(1), dev(u64::from(pages), nonrot), &h, 0) else {
            // Only a header with no good page is refused.
            let mut distinct = bad.clone();
            distinct.sort();
            distinct.dedup();
            prop_assert_eq!(distinct.len() as u32, pages - 1);
            return Ok(());
        };
        let total = t.swap_info(on.type_).unwrap().pages;
        let mut model: HashMap<SwpEntry, (u8, bool)> = HashMap::new();
        let pick = |model: &HashMap<SwpEntry, (u8, bool)>, i: usize| {
            let mut keys: Vec<SwpEntry> = model.keys().copied().collect();
            keys.sort();
            (!keys.is_empty()).then(|| keys[i % keys.len()])
        };
        for op in ops {
            match op {
                Op::Alloc(n) => {
                    let mut got = Vec::new();
                    let k = alloc(&mut t, n, &mut got);
                    prop_assert_eq!(k, got.len());
                    // Fewer than asked when a scan reaches highest_bit, as
                    // on Linux; never none while a slot is free.
                    prop_assert!(k <= n.min(total - model.len()));
                    prop_assert_eq!(k == 0, model.len() == total);
                    for e in got {
                        prop_assert!(!bad.contains(&(swp_offset(e) as u32)));
                        prop_assert!(swp_offset(e) != 0);
                        prop_assert!(model.insert(e, (0, true)).is_none());
                    }
                }
                Op::Dup(i) => if let Some(e) = pick(&model, i) {
                    let m = model.get_mut(&e).unwrap();
                    let r = t.__swap_duplicate(e, 1);
                    if m.0 == SWAP_MAP_MAX {
                        prop_assert_eq!(r, Err(Errno::ENOMEM));
                    } else {
                        prop_assert_eq!(r, Ok(()));
                        m.0 += 1;
                    }
                },
                Op::Free(i) => if let Some(e) = pick(&model, i) {
                    let m = model.get_mut(&e).unwrap();
                    if m.0 > 0 {
                        m.0 -= 1;
                        let left = m.0 | if m.1 { SWAP_HAS_CACHE } else { 0 };
                        prop_assert_eq!(t.__swap_entry_free(e), Some(left));
                        if left == 0 {
                            model.remove(&e);
                        }
                    }
                },
                Op::PutCache(i) => if let Some(e) = pick(&model, i) {
                    let m = model.get_mut(&e).unwrap();
                    if m.1 {
                        m.1 = false;
                        t.put_swap_folio(e);
                        if m.0 == 0 {
                            model.remove(&e);
                        }
                    }
                },
                Op::CacheAgain(i) => if let Some(e) = pick(&model, i) {
                    let m = model.get_mut(&e).unwrap();
                    let r = t.__swap_duplicate(e, SWAP_HAS_CACHE);
                    if m.1 {
                        prop_assert_eq!(r, Err(Errno::EEXIST));
                    } else {
                        prop_assert_eq!(r, Ok(()));
                        m.1 = true;
                    }
                },
            }
            for (&e, &(maps, cached)) in &model {
                prop_assert_eq!(t.__swap_count(e), maps);
                let c = t.swap_info(0).unwrap().swap_map[swp_offset(e) as usize];
                prop_assert_eq!(c & SWAP_HAS_CACHE != 0, cached);
            }
            check_invariants(&t, on.type_);
            prop_assert_eq!(t.si_swapinfo(), ((total - model.len()) as u64, total as u64));
        }
        // Drop everything: all slots come back, and all can be taken again.
        for (e, (maps, cached)) in model.drain() {
            for _ in 0..maps {
                t.__swap_entry_free(e);
            }
            if cached {
                t.put_swap_folio(e);
            }
        }
        prop_assert_eq!(t.si_swapinfo(), (total as u64, total as u64));
        check_invariants(&t, on.type_);
        let mut got = Vec::new();
        while alloc(&mut t, SWAP_BATCH, &mut got) > 0 {}
        prop_assert_eq!(got.len(), total);
        check_invariants(&t, on.type_);
    }
}
