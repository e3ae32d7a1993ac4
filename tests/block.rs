//! virtio-blk disks and the block layer end to end: host-made images
//! read back through /dev/vdX with busybox, writes that reach the host
//! file (`--disk ...,rw`), serials, /proc/partitions, /proc/diskstats and
//! /sys/block counters after known I/O, fault injection (make-it-fail),
//! I/O sleeping in "D" while others run, and the same files on Linux.

mod common;

use std::path::PathBuf;

use common::{boot_with, lines, section};

/// A disk image of `len` bytes whose byte i is a hash of i, so every
/// sector differs.
fn image(name: &str, len: usize, pattern: bool) -> (PathBuf, Vec<u8>) {
    let data: Vec<u8> = (0..len)
        .map(|i| {
            if pattern {
                (i.wrapping_mul(2_654_435_761) >> 13) as u8
            } else {
                0
            }
        })
        .collect();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("block-{}-{name}.img", std::process::id()));
    std::fs::write(&path, &data).expect("write image");
    (path, data)
}

fn md5(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("md5sum");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..32].to_string()
}

/// The 17 numbers of a /sys/block/vdX/stat line.
fn stat_fields(line: &str) -> Vec<u64> {
    line.split_whitespace()
        .map(|w| w.parse().unwrap())
        .collect()
}

const MIB: usize = 1 << 20;

#[test]
fn disks_are_read_written_and_counted() {
    let (a, a_data) = image("a", 4 * MIB, true);
    let (b, _) = image("b", MIB, false);
    let disk_a = format!("--disk={},serial=alpha", a.display());
    let disk_b = format!("--disk={},serial=beta,rw", b.display());
    let script = r#"
echo === serial
cat /sys/block/vda/serial /sys/block/vdb/serial; echo
echo === sysfs
cat /sys/block/vda/size /sys/block/vda/dev /sys/block/vdb/size /sys/block/vdb/dev /sys/block/vda/ro
echo === partitions
cat /proc/partitions
echo === devices
sed -n '/^Block devices:/,$p' /proc/devices
echo === node
stat -c '%F %a %u %g %t %T' /dev/vda /dev/vdb
echo === ioctl
blockdev --getsize64 /dev/vda
blockdev --getss /dev/vda
blockdev --getsz /dev/vdb
echo === stat.before
cat /sys/block/vda/stat
echo === selftest
echo bio > /sys/kernel/debug/tinymm/selftest; echo selftest=$?
echo === read
dd if=/dev/vda bs=65536 count=16 2>/dev/null | md5sum
echo === stat.read
cat /sys/block/vda/stat
echo === diskstats
cat /proc/diskstats
echo === seek
dd if=/dev/vda bs=512 skip=8191 count=1 2>/dev/null | md5sum
dd if=/dev/vda bs=512 skip=8192 count=1 2>/dev/null | wc -c
od -A d -t x1 -j 1000 -N 4 /dev/vda | head -1
echo === write
dd if=/dev/vda of=/dev/vdb bs=4096 count=4 seek=1 conv=fsync 2>/dev/null; echo dd=$?
printf 'tinymm!' | dd of=/dev/vdb bs=1 seek=100 conv=fsync 2>/dev/null; echo dd=$?
cat /sys/block/vdb/stat
echo === end
"#;
    let (status, out) = boot_with("128M", false, script, &[&disk_a, &disk_b]);
    assert_eq!(status, 0);
    let out = lines(&out);
    // No newline after a serial, as Linux's virtio_blk shows it.
    assert_eq!(section(&out, "serial"), ["alphabeta"]);
    assert_eq!(
        section(&out, "sysfs"),
        ["8192", "254:0", "2048", "254:16", "0"]
    );
    assert_eq!(
        section(&out, "partitions"),
        [
            "major minor  #blocks  name",
            "",
            " 254        0       4096 vda",
            " 254       16       1024 vdb"
        ]
    );
    assert_eq!(section(&out, "devices"), ["Block devices:", "254 virtblk"]);
    // devtmpfs without udev: 0600 root:root; major 254 = 0xfe.
    assert_eq!(
        section(&out, "node"),
        [
            "block special file 600 0 0 fe 0",
            "block special file 600 0 0 fe 10"
        ]
    );
    assert_eq!(section(&out, "ioctl"), ["4194304", "512", "2048"]);
    assert_eq!(stat_fields(section(&out, "stat.before")[0]), [0; 17]);
    // The block layer's API from inside (block/selftest.rs), with Linux's
    // message for its bio past the end.
    assert_eq!(
        section(&out, "selftest"),
        [
            "attempt to access beyond end of device",
            "vda: rw=0, sector=8188, nr_sectors = 8 limit=8192",
            "selftest bio: vda: 12 checks, failed: []",
            "selftest=0"
        ]
    );
    assert_eq!(
        section(&out, "read")[0].split_whitespace().next(),
        Some(md5(&a_data[..MIB]).as_str())
    );
    // 16 reads of 128 sectors (bios of 16 pages), after the selftest's 2
    // reads and 2 writes of 24 sectors, nothing in flight.
    let s = stat_fields(section(&out, "stat.read")[0]);
    assert_eq!((s[0], s[1], s[2]), (18, 0, 2048 + 48));
    assert_eq!((s[4], s[6], s[8]), (2, 48, 0));
    let diskstats = section(&out, "diskstats");
    let vda: Vec<&str> = diskstats[0].split_whitespace().collect();
    assert_eq!(vda.len(), 20, "{vda:?}");
    assert_eq!(&vda[..6], ["254", "0", "vda", "18", "0", "2096"]);
    assert_eq!(vda[6].parse::<u64>().unwrap(), s[3], "read ms as in stat");
    let seek = section(&out, "seek");
    assert_eq!(
        seek[0].split_whitespace().next(),
        Some(md5(&a_data[4 * MIB - 512..]).as_str())
    );
    assert_eq!(seek[1], "0", "nothing past the end");
    let bytes: Vec<String> = a_data[1000..1004]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(seek[2], format!("0001000 {}", bytes.join(" ")));
    let write = section(&out, "write");
    assert_eq!(&write[..2], ["dd=0", "dd=0"]);
    // Four page writes, then seven one-byte writes (each a read and a
    // write of its sector), and one flush per fsync.
    let w = stat_fields(write[2]);
    assert_eq!((w[0], w[2]), (7, 7), "reads");
    assert_eq!((w[4], w[6]), (11, 39), "writes");
    assert_eq!(w[15], 2, "flushes");
    // The host file has what the guest wrote; the snapshot disk is as it was.
    let b_now = std::fs::read(&b).unwrap();
    assert_eq!(&b_now[4096..4096 + 16384], &a_data[..16384]);
    assert_eq!(&b_now[100..107], b"tinymm!");
    assert!(b_now[..100].iter().all(|&x| x == 0));
    assert_eq!(std::fs::read(&a).unwrap(), a_data);
    let _ = std::fs::remove_file(a);
    let _ = std::fs::remove_file(b);
}

#[test]
fn failing_bios_give_eio_and_lose_nothing() {
    let (a, _) = image("fail", MIB, true);
    let disk = format!("--disk={}", a.display());
    let script = r#"
free_pages() {
	echo 1 > /proc/sys/vm/drop_caches
	sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo
}
round() {
	echo 1 > /sys/block/vda/make-it-fail
	cat /sys/block/vda/make-it-fail
	echo === fail
	dd if=/dev/vda of=/dev/null bs=4096 count=4; echo dd=$?
	dd if=/dev/zero of=/dev/vda bs=4096 count=1 2>/dev/null; echo dd=$?
	cat /sys/block/vda/stat
	echo 0 > /sys/block/vda/make-it-fail
	echo === times
	echo 1 > /sys/kernel/debug/fail_make_request/times
	echo 1 > /sys/block/vda/make-it-fail
	dd if=/dev/vda of=/dev/null bs=4096 count=1 2>/dev/null; echo dd=$?
	dd if=/dev/vda of=/dev/null bs=4096 count=1 2>/dev/null; echo dd=$?
	cat /sys/kernel/debug/fail_make_request/times
	echo -1 > /sys/kernel/debug/fail_make_request/times
	echo 0 > /sys/block/vda/make-it-fail
	echo === again
	dd if=/dev/vda of=/dev/null bs=4096 count=4 2>/dev/null; echo dd=$?
}
dd if=/dev/vda of=/dev/null bs=4096 count=16 2>/dev/null
echo === warm
round > /dev/null 2>&1
free_pages
echo === base
free_pages
cat /sys/block/vda/make-it-fail
round
echo === after
free_pages
echo === end
"#;
    let (status, out) = boot_with("128M", false, script, &[&disk]);
    assert_eq!(status, 0);
    let out = lines(&out);
    let base = section(&out, "base");
    assert_eq!(&base[1..], ["0", "1"]);
    let fail = section(&out, "fail");
    assert_eq!(
        &fail[..3],
        ["dd: /dev/vda: Input/output error", "dd=1", "dd=1"]
    );
    // Failed bios never reached the disk: only the 16 reads before and
    // the warm-up round's 1 + 4 count.
    let s = stat_fields(fail[3]);
    assert_eq!((s[0], s[2], s[4]), (21, 168, 0));
    // times=1: one failure, then the disk works though make-it-fail is on.
    assert_eq!(section(&out, "times"), ["dd=1", "dd=0", "0"]);
    assert_eq!(section(&out, "again"), ["dd=0"]);
    assert_eq!(
        section(&out, "after")[0],
        base[0],
        "free pages back to baseline"
    );
    let _ = std::fs::remove_file(a);
}

#[test]
fn waiting_for_the_disk_sleeps_while_others_run() {
    let (a, _) = image("busy", 2 * MIB, true);
    let disk = format!("--disk={}", a.display());
    let script = r#"
dd if=/dev/vda of=/dev/null bs=4096 2>/dev/null & A=$!
dd if=/dev/vda of=/dev/null bs=4096 skip=256 2>/dev/null & B=$!
d=0; blocked=0
while kill -0 $A 2>/dev/null; do
	case $(cut -d' ' -f3 /proc/$A/stat 2>/dev/null) in D) d=$((d+1));; esac
	n=$(sed -n 's/^procs_blocked //p' /proc/stat)
	[ "$n" -gt "$blocked" ] && blocked=$n
done
wait $A; a=$?; wait $B; b=$?
echo === result
echo "$a $b"
[ $d -gt 0 ] && echo slept-in-D
[ $blocked -gt 0 ] && echo procs-blocked-seen
cat /sys/block/vda/stat
echo === end
"#;
    let (status, out) = boot_with("128M", false, script, &[&disk]);
    assert_eq!(status, 0);
    let out = lines(&out);
    let r = section(&out, "result");
    assert_eq!(&r[..3], ["0 0", "slept-in-D", "procs-blocked-seen"]);
    // 512 + 256 page reads, nothing left in flight.
    let s = stat_fields(r[3]);
    assert_eq!((s[0], s[2], s[8]), (768, 6144, 0));
    let _ = std::fs::remove_file(a);
}

/// The files Linux 6.1 shows for the same two disks.
#[test]
fn block_files_match_linux() {
    let (a, _) = image("la", 4 * MIB, true);
    let (b, _) = image("lb", MIB, false);
    let disk_a = format!("--disk={},serial=alpha", a.display());
    let disk_b = format!("--disk={},serial=beta", b.display());
    let script = r#"
echo === files
cat /sys/block/vda/serial /sys/block/vdb/serial; echo
cat /sys/block/vda/size /sys/block/vdb/size /sys/block/vda/dev /sys/block/vdb/dev
grep -E ' vd[a-z]$|major' /proc/partitions
grep virtblk /proc/devices
stat -c '%F %a %u %g %t %T' /dev/vda /dev/vdb
blockdev --getsize64 /dev/vda
dd if=/dev/vda bs=4096 count=4 2>/dev/null | md5sum
awk '$3 ~ /^vd/ { print $3, NF }' /proc/diskstats
awk '{ print NF }' /sys/block/vda/stat
echo === end
"#;
    let (linux_status, linux) = boot_with("256M", false, script, &["--linux", &disk_a, &disk_b]);
    let (status, tinymm) = boot_with("128M", false, script, &[&disk_a, &disk_b]);
    assert_eq!((linux_status, status), (0, 0));
    let (linux, tinymm) = (lines(&linux), lines(&tinymm));
    let linux_files = section(&linux, "files");
    assert_eq!(section(&tinymm, "files"), linux_files);
    assert!(linux_files.contains(&"vda 20"), "{linux_files:?}");
    let _ = std::fs::remove_file(a);
    let _ = std::fs::remove_file(b);
}

/// `--swap SIZE`: a fresh mkswap image as a disk with serial `swap`.
#[test]
fn swap_option_attaches_a_mkswap_disk() {
    let script = r#"
echo === swap
cat /sys/block/vda/serial; echo
cat /sys/block/vda/size
dd if=/dev/vda bs=1 skip=4086 count=10 2>/dev/null; echo
od -A n -t u4 -j 1024 -N 12 /dev/vda
echo === end
"#;
    let (status, out) = boot_with("128M", false, script, &["--swap", "8M"]);
    assert_eq!(status, 0);
    let out = lines(&out);
    let swap = section(&out, "swap");
    // version 1, last_page 2047 (pages - 1), no bad pages.
    let header: Vec<&str> = swap[3].split_whitespace().collect();
    assert_eq!(&swap[..3], ["swap", "16384", "SWAPSPACE2"]);
    assert_eq!(header, ["1", "2047", "0"]);
}
