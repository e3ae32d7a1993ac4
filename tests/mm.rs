//! Physical memory as the booted kernel reports it: zones, watermarks and
//! meminfo against the memory map QEMU gives each RAM size, and the
//! allocator stress that must give back every page.

mod common;

use std::collections::BTreeMap;

use common::{boot, lines};

const PAGE_KB: u64 = 4;

/// One zone's numbers from /proc/zoneinfo.
#[derive(Debug, Default)]
struct Zone {
    free: u64,
    min: u64,
    low: u64,
    high: u64,
    spanned: u64,
    present: u64,
    managed: u64,
    protection: Vec<u64>,
    start_pfn: Option<u64>,
}

fn parse_zoneinfo(out: &[&str]) -> BTreeMap<String, Zone> {
    let mut zones = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in out {
        // Zone headers; buddyinfo's lines start alike but end in a space.
        if let Some(rest) = line.strip_prefix("Node 0, zone")
            && !rest.ends_with(' ')
        {
            let name = rest.trim().to_string();
            zones.insert(name.clone(), Zone::default());
            current = Some(name);
            continue;
        }
        let Some(z) = current.as_ref().and_then(|n| zones.get_mut(n)) else {
            continue;
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
        match words.as_slice() {
            ["pages", "free", ..] => z.free = num(2).unwrap(),
            ["min", ..] => z.min = num(1).unwrap(),
            ["low", ..] => z.low = num(1).unwrap(),
            ["high", ..] => z.high = num(1).unwrap(),
            ["spanned", ..] => z.spanned = num(1).unwrap(),
            ["present", ..] => z.present = num(1).unwrap(),
            ["managed", ..] => z.managed = num(1).unwrap(),
            ["start_pfn:", ..] => z.start_pfn = num(1),
            ["protection:", ..] => {
                z.protection = line
                    .split(['(', ')', ','])
                    .filter_map(|w| w.trim().parse().ok())
                    .collect()
            }
            _ => {}
        }
    }
    zones
}

fn meminfo_kb(out: &[&str], key: &str) -> u64 {
    let line = out
        .iter()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} in /proc/meminfo"));
    assert!(line.ends_with(" kB"), "{line}");
    line[key.len()..line.len() - 3].trim().parse().unwrap()
}

/// Linux's int_sqrt, to recompute min_free_kbytes from what the kernel shows.
fn int_sqrt(x: u64) -> u64 {
    (0..=x).take_while(|r| r * r <= x).last().unwrap_or(0)
}

/// Boots with `mem`, reads the files, runs the allocator stress; returns
/// the zones and the console lines.
fn boot_and_read(mem: &str) -> (BTreeMap<String, Zone>, Vec<String>) {
    let (status, out) = boot(
        mem,
        false,
        "show() {\nfor f in /proc/zoneinfo /proc/meminfo /proc/buddyinfo; do\n\
         while IFS= read -r l; do echo \"$l\"; done < $f\ndone\n}\n\
         show > /dev/null\nshow\necho alloc > /sys/kernel/debug/tinymm/selftest\nexit\n",
    );
    assert_eq!(status, 0);
    let out: Vec<String> = lines(&out).into_iter().map(String::from).collect();
    let refs: Vec<&str> = out.iter().map(String::as_str).collect();
    (parse_zoneinfo(&refs), out)
}

/// What must hold whatever the RAM size: the zone layout of x86_64, the
/// watermark formula on the managed counts shown, meminfo agreeing with
/// zoneinfo, only the kernel heap's first 4 MiB arena allocated at boot,
/// and the stress giving back every page.
fn check_common(zones: &BTreeMap<String, Zone>, out: &[String], mem_pages: u64) {
    let out: Vec<&str> = out.iter().map(String::as_str).collect();
    let names: Vec<&str> = zones.keys().map(String::as_str).collect();
    assert_eq!(names, ["DMA", "DMA32", "Movable", "Normal"]);

    // DMA: pfn 1 (page 0 is not RAM) to 16 MiB, minus the legacy hole at
    // 640 KiB–1 MiB that the BIOS map leaves out: 159 + 3840 pages.
    let dma = &zones["DMA"];
    assert_eq!(
        (dma.start_pfn, dma.spanned, dma.present),
        (Some(1), 4095, 3999 - 1)
    );
    let dma32 = &zones["DMA32"];
    assert_eq!(dma32.start_pfn, Some(4096));
    assert_eq!(zones["Movable"].present, 0);

    let mut total_managed = 0;
    let mut total_free = 0;
    for (name, z) in zones {
        assert!(z.present <= z.spanned, "{name}: present > spanned");
        assert!(z.managed <= z.present, "{name}: managed > present");
        assert!(z.free <= z.managed, "{name}: free > managed");
        assert_eq!(z.protection.len(), 4, "{name}: {:?}", z.protection);
        total_managed += z.managed;
        total_free += z.free;
    }
    // What boot reserved (present − managed): mem_map (64 bytes per PFN)
    // plus the kernel image and the bootloader's tables and stacks.
    let present: u64 = zones.values().map(|z| z.present).sum();
    let mem_map_pages = mem_pages * 64 / 4096;
    let reserved = present - total_managed;
    assert!(
        reserved >= mem_map_pages && reserved <= mem_map_pages + 8192,
        "reserved {reserved} pages, mem_map {mem_map_pages}"
    );
    // Every page in use is accounted for while the scenario's sh reads
    // the files itself (no program runs; a first pass grew its heap):
    // only the kernel heap's first
    // arena (an order-10 block), the 32 KiB kernel stacks and the PML4s of
    // /init and sh, their page tables, anonymous memory and page cache.
    assert_eq!(meminfo_kb(&out, "Slab:"), 1024 * PAGE_KB);
    assert_eq!(meminfo_kb(&out, "KernelStack:"), 2 * 32);
    let user_kb: u64 = ["PageTables:", "AnonPages:", "Cached:"]
        .iter()
        .map(|k| meminfo_kb(&out, k))
        .sum();
    assert_eq!(
        total_managed - total_free,
        1024 + 2 * 8 + 2 + user_kb / PAGE_KB
    );

    // Watermarks from Linux's formula on the managed counts shown.
    let lowmem: u64 = ["DMA", "DMA32", "Normal"]
        .iter()
        .map(|n| zones[*n].managed)
        .sum();
    let min_free_kbytes = int_sqrt(16 * lowmem * PAGE_KB).clamp(128, 262_144);
    for name in ["DMA", "DMA32", "Normal"] {
        let z = &zones[name];
        let min = min_free_kbytes / PAGE_KB * z.managed / lowmem;
        let step = (min / 4).max(z.managed * 10 / 10_000);
        assert_eq!(
            (z.min, z.low, z.high),
            (min, min + step, min + 2 * step),
            "{name}"
        );
    }
    // DMA keeps 1/256 of the zones above it from their allocations.
    let above = zones["DMA32"].managed + zones["Normal"].managed;
    assert_eq!(
        dma.protection,
        [0, zones["DMA32"].managed / 256, above / 256, above / 256]
    );

    assert_eq!(meminfo_kb(&out, "MemTotal:"), total_managed * PAGE_KB);
    assert_eq!(meminfo_kb(&out, "MemFree:"), total_free * PAGE_KB);
    let available = meminfo_kb(&out, "MemAvailable:");
    assert!(available < total_free * PAGE_KB && available > total_free * PAGE_KB * 9 / 10);

    // buddyinfo lists the populated zones, eleven orders each, summing to
    // the free count.
    for (name, z) in zones.iter().filter(|(_, z)| z.present > 0) {
        let line = out
            .iter()
            .find(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                l.starts_with("Node 0, zone") && w.len() == 15 && w[3] == name
            })
            .unwrap_or_else(|| panic!("{name} missing from buddyinfo"));
        let counts: Vec<u64> = line
            .split_whitespace()
            .skip(4)
            .map(|w| w.parse().unwrap())
            .collect();
        assert_eq!(counts.len(), 11, "{line}");
        let pages: u64 = counts.iter().enumerate().map(|(o, n)| n << o).sum();
        assert_eq!(pages, z.free, "{name}: buddyinfo vs zoneinfo");
    }

    let stress = out
        .iter()
        .find(|l| l.starts_with("selftest alloc:"))
        .expect("selftest alloc ran");
    let nums: Vec<u64> = stress
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let [pages, before, low, after] = nums[..] else {
        panic!("{stress}")
    };
    assert!(
        pages > total_free / 2,
        "the stress used most of memory: {stress}"
    );
    assert_eq!(before, total_free);
    assert!(low < before / 10, "{stress}");
    assert_eq!(after, before, "{stress}");
    assert!(stress.ends_with("free lists restored"), "{stress}");
}

#[test]
fn boot_128m() {
    let (zones, out) = boot_and_read("128M");
    // QEMU's BIOS keeps the last 128 KiB below the RAM size for itself.
    let dma32 = &zones["DMA32"];
    assert_eq!(dma32.start_pfn.unwrap() + dma32.spanned, 32768 - 32 - 1);
    assert_eq!(zones["Normal"].present, 0);
    check_common(&zones, &out, 32768);
}

#[test]
fn boot_512m() {
    let (zones, out) = boot_and_read("512M");
    let dma32 = &zones["DMA32"];
    assert_eq!(dma32.start_pfn.unwrap() + dma32.spanned, 131072 - 32 - 1);
    assert_eq!(zones["Normal"].present, 0);
    check_common(&zones, &out, 131072);
}

/// q35 puts 2 GiB below the PCI hole and the other 3 GiB above 4 GiB.
#[test]
fn boot_5g() {
    let (zones, out) = boot_and_read("5G");
    // DMA32 spans to 4 GiB, but only the RAM below 2 GiB is present.
    let dma32 = &zones["DMA32"];
    assert_eq!(dma32.start_pfn.unwrap() + dma32.spanned, 1 << 20);
    assert!(dma32.present <= (1 << 19) - 4096 && dma32.present > (1 << 19) - 4096 - 1024);
    let normal = &zones["Normal"];
    assert_eq!(
        (normal.start_pfn, normal.spanned, normal.present),
        (Some(1 << 20), 3 << 18, 3 << 18)
    );
    check_common(&zones, &out, 7 << 18);
}
