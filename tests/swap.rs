//! Swap areas end to end: a host-made util-linux `mkswap` image on a
//! virtio disk, turned on and off with busybox `swapon`/`swapoff` and
//! with swapon(2) directly (flags busybox cannot pass), /proc/swaps and
//! /proc/meminfo as Linux 6.1 prints them (Debian 6.1 with the same
//! 64 MiB image: `/dev/vdb` + 32 spaces + `partition\t65532\t\t0\t\t-2`;
//! here the image is the only disk, so /dev/vda), Linux's errors and
//! kernel messages, and nothing lost after swapoff.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{boot_with, lines, section};

const MIB: u64 = 1 << 20;

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("swap-{}-{name}", std::process::id()))
}

/// A disk image of `bytes` zeroes, `mkswap`-formatted when `swap`.
fn image(name: &str, bytes: u64, swap: bool) -> PathBuf {
    let path = tmp(name);
    let f = std::fs::File::create(&path).expect("image");
    f.set_len(bytes).expect("image size");
    drop(f);
    if swap {
        let out = Command::new("mkswap")
            .arg(&path)
            .output()
            .expect("util-linux mkswap");
        assert!(out.status.success(), "mkswap: {out:?}");
    }
    path
}

/// `tinymm run` options attaching `path` as a virtio disk with `serial`.
fn disk(path: &PathBuf, serial: &str) -> Vec<String> {
    vec![
        "--qemu-arg".into(),
        "-drive".into(),
        "--qemu-arg".into(),
        format!("file={},if=none,id={serial},format=raw", path.display()),
        "--qemu-arg".into(),
        "-device".into(),
        "--qemu-arg".into(),
        format!("virtio-blk-pci,drive={serial},serial={serial}"),
    ]
}

/// swapon(2) and swapoff(2) with what busybox's swapon cannot pass
/// (Debian's has no `-p`): a priority, bad flags, a bad pointer.
const SWAPCALLS_C: &str = r#"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>

/* include/uapi/linux/swap.h; glibc's sys/swap.h stops at DISCARD. */
#ifndef SWAP_FLAG_DISCARD_PAGES
#define SWAP_FLAG_DISCARD_PAGES 0x40000
#endif

static int failed;

static void check(const char *name, int ret, int want_errno)
{
    int ok = want_errno ? (ret == -1 && errno == want_errno) : ret == 0;
    printf("%s: %s", name, ok ? "ok" : "FAIL");
    if (!ok)
        printf(" (ret %d, %s)", ret, strerror(errno));
    printf("\n");
    failed += !ok;
}

static void show(const char *file)
{
    char buf[4096];
    FILE *f = fopen(file, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = 0;
    fputs(buf, stdout);
    if (f)
        fclose(f);
}

int main(int argc, char **argv)
{
    const char *dev = argv[1];
    check("swapon_prefer_5", swapon(dev, SWAP_FLAG_PREFER | 5), 0);
    show("/proc/swaps");
    check("swapon_again_ebusy", swapon(dev, 0), EBUSY);
    check("swapoff", swapoff(dev), 0);
    check("swapoff_again_einval", swapoff(dev), EINVAL);
    check("swapon_bad_flags_einval", swapon(dev, 0x80000), EINVAL);
    check("swapon_bad_pointer_efault", swapon((const char *)8, 0), EFAULT);
    check("swapoff_bad_pointer_efault", swapoff((const char *)8), EFAULT);
    check("swapon_dev_null_einval", swapon("/dev/null", 0), EINVAL);
    check("swapon_missing_enoent", swapon("/no/such", 0), ENOENT);
    check("swapon_discard_pages", swapon(dev, SWAP_FLAG_DISCARD | SWAP_FLAG_DISCARD_PAGES), 0);
    show("/proc/swaps");
    check("swapoff_discarded", swapoff(dev), 0);
    printf("%d failed\n", failed);
    return failed != 0;
}
"#;

/// The C program above, static, for the guest.
fn swapcalls() -> PathBuf {
    let src = tmp("swapcalls.c");
    std::fs::write(&src, SWAPCALLS_C).unwrap();
    let bin = tmp("swapcalls");
    let out = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&bin)
        .arg(&src)
        .output()
        .expect("gcc");
    assert!(out.status.success(), "gcc: {out:?}");
    bin
}

/// The MemFree value of a /proc/meminfo section.
fn mem_free(out: &[&str], name: &str) -> u64 {
    section(out, name)
        .iter()
        .find_map(|l| l.strip_prefix("MemFree:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no MemFree in {name}"))
}

#[test]
fn swapon_proc_swaps_meminfo_swapoff() {
    let img = image("area.img", 64 * MIB, true);
    let prog = swapcalls();
    let add = format!("{}:/bin/swapcalls", prog.display());
    let mut extra: Vec<String> = disk(&img, "swap");
    extra.extend(["--add".into(), add]);
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let script = r#"
dmesg -n 1
cycle() { swapon /dev/vda && swapoff /dev/vda; }
echo === empty
cat /proc/swaps
cycle
echo === free0
grep MemFree /proc/meminfo
echo === on
swapon /dev/vda; echo rc=$?
cat /proc/swaps
echo === meminfo
grep -e '^Swap' -e '^Cached' /proc/meminfo
echo === twice
swapon /dev/vda 2>&1; echo rc=$?
echo === regular
echo x > /tmp/f
swapon /tmp/f 2>&1; echo rc=$?
echo === off
swapoff /dev/vda; echo rc=$?
cat /proc/swaps
grep -e '^Swap' /proc/meminfo
echo === discard
swapon -d /dev/vda; echo rc=$?
swapoff /dev/vda; echo rc=$?
echo === calls
/bin/swapcalls /dev/vda
echo === free1
grep MemFree /proc/meminfo
cycle
echo === free2
grep MemFree /proc/meminfo
echo === dmesg
dmesg | grep -e Adding -e swap
echo === end
"#;
    let (status, out) = boot_with("128M", false, script, &extra);
    assert_eq!(status, 0);
    let out = lines(&out);
    let header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority";
    assert_eq!(section(&out, "empty"), [header]);
    let area = format!("/dev/vda{}partition\t65532\t\t0\t\t-2", " ".repeat(32));
    assert_eq!(section(&out, "on"), ["rc=0", header, area.as_str()]);
    assert_eq!(
        section(&out, "meminfo"),
        [
            format!("Cached:{:>17} kB", cached_kb(&out)).as_str(),
            "SwapCached:            0 kB",
            "SwapTotal:         65532 kB",
            "SwapFree:          65532 kB",
        ]
    );
    assert_eq!(
        section(&out, "twice"),
        ["swapon: /dev/vda: Device or resource busy", "rc=1"]
    );
    assert_eq!(
        section(&out, "regular"),
        ["swapon: /tmp/f: Invalid argument", "rc=1"]
    );
    assert_eq!(
        section(&out, "off"),
        [
            "rc=0",
            header,
            "SwapCached:            0 kB",
            "SwapTotal:             0 kB",
            "SwapFree:              0 kB",
        ]
    );
    assert_eq!(section(&out, "discard"), ["rc=0", "rc=0"]);
    let prio5 = format!("/dev/vda{}partition\t65532\t\t0\t\t5", " ".repeat(32));
    // The cycle and busybox's swapon took -2; swapoff gave it back, so
    // the discard area is -2 again.
    assert_eq!(
        section(&out, "calls"),
        [
            "swapon_prefer_5: ok",
            header,
            prio5.as_str(),
            "swapon_again_ebusy: ok",
            "swapoff: ok",
            "swapoff_again_einval: ok",
            "swapon_bad_flags_einval: ok",
            "swapon_bad_pointer_efault: ok",
            "swapoff_bad_pointer_efault: ok",
            "swapon_dev_null_einval: ok",
            "swapon_missing_enoent: ok",
            "swapon_discard_pages: ok",
            header,
            area.as_str(),
            "swapoff_discarded: ok",
            "0 failed",
        ]
    );
    // Nothing lost: a second swapon/swapoff cycle leaves free memory
    // where the first left it.
    assert_eq!(mem_free(&out, "free1"), mem_free(&out, "free2"));
    // Linux's kernel message; the disk cannot discard, so no D/s/c
    // flags, and virtio queues are rotational, so no SS.
    let dmesg = section(&out, "dmesg");
    let adding: Vec<&str> = dmesg
        .iter()
        .map(|l| l.split_once("] ").map_or(*l, |(_, m)| m))
        .filter(|m| m.starts_with("Adding"))
        .collect();
    assert!(adding.len() >= 5, "{dmesg:?}");
    assert!(
        adding.contains(&"Adding 65532k swap on /dev/vda.  Priority:-2 extents:1 across:65532k ")
    );
    assert!(
        adding.contains(&"Adding 65532k swap on /dev/vda.  Priority:5 extents:1 across:65532k ")
    );
    let _ = mem_free(&out, "free0");
}

/// The Cached value the meminfo section printed (checked for its column
/// layout only: page-cache use varies with the scenario).
fn cached_kb(out: &[&str]) -> u64 {
    section(out, "meminfo")
        .iter()
        .find_map(|l| l.strip_prefix("Cached:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("Cached line")
}

#[test]
fn swapon_of_a_disk_that_is_not_swap() {
    let plain = image("plain.img", 4 * MIB, false);
    let extra = disk(&plain, "plain");
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let script = r#"
dmesg -n 1
echo === swapon
swapon /dev/vda 2>&1; echo rc=$?
swapoff /dev/vda 2>&1; echo rc=$?
cat /proc/swaps
echo === dmesg
dmesg | grep -c 'Unable to find swap-space signature'
echo === end
"#;
    let (status, out) = boot_with("128M", false, script, &extra);
    assert_eq!(status, 0);
    let out = lines(&out);
    assert_eq!(
        section(&out, "swapon"),
        [
            "swapon: /dev/vda: Invalid argument",
            "rc=1",
            "swapoff: /dev/vda: Invalid argument",
            "rc=1",
            "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority",
        ]
    );
    assert_eq!(section(&out, "dmesg"), ["1"]);
}
