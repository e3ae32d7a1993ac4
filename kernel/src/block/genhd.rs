//! `struct gendisk` and `struct block_device` in one (block/genhd.c,
//! include/linux/blk_types.h): a disk's name, number, size and driver,
//! its I/O statistics (`struct disk_stats`), the disks the system has
//! (`add_disk`), block majors (`register_blkdev`), and the files that
//! show them: /proc/partitions (`show_partition`), /proc/diskstats
//! (`diskstats_show`), the "Block devices:" part of /proc/devices
//! (`blkdev_show`), and /sys/block/NAME/{dev,size,stat,inflight,ro,range,
//! make-it-fail} plus the driver's attributes (virtio's `serial`).
//! Left out: partitions (every disk is its whole device, minor 0 of its
//! range), removal, events, the request queue's sysfs directory.

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use super::bio::{REQ_OP_FLUSH, REQ_OP_READ};
use super::blk_mq::RequestQueue;
use crate::fs::DevT;
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// `enum stat_group`.
pub const STAT_READ: usize = 0;
pub const STAT_WRITE: usize = 1;
pub const STAT_DISCARD: usize = 2;
pub const STAT_FLUSH: usize = 3;
pub const NR_STAT_GROUPS: usize = 4;

/// `op_stat_group()`: the statistics group of an operation.
pub fn stat_group(op: u32) -> usize {
    match op {
        REQ_OP_READ => STAT_READ,
        REQ_OP_FLUSH => STAT_FLUSH,
        _ => STAT_WRITE,
    }
}

/// `struct disk_stats`, and the in-flight count and the time stamp of
/// `update_io_ticks`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskStats {
    pub nsecs: [u64; NR_STAT_GROUPS],
    pub sectors: [u64; NR_STAT_GROUPS],
    pub ios: [u64; NR_STAT_GROUPS],
    pub merges: [u64; NR_STAT_GROUPS],
    /// Milliseconds (jiffies at HZ=1000) with I/O in flight.
    pub io_ticks: u64,
    /// `in_flight[0]` reads, `[1]` writes (and flushes).
    pub in_flight: [u64; 2],
    /// `bd_stamp`: the last jiffy `update_io_ticks` counted.
    pub stamp: u64,
}

const NSEC_PER_MSEC: u64 = 1_000_000;

impl DiskStats {
    /// `update_io_ticks()` as 6.1 has it: on a new jiffy a start counts
    /// one tick and a completion the jiffies since the last stamp.
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    fn update_io_ticks(&mut self, now: u64, end: bool) {
        if now > self.stamp {
            self.io_ticks += if end { now - self.stamp } else { 1 };
            self.stamp = now;
        }
    }

    fn inflight(&self) -> u64 {
        self.in_flight[0] + self.in_flight[1]
    }

    fn ms(&self, group: usize) -> u64 {
        self.nsecs[group] / NSEC_PER_MSEC
    }

    /// `part_stat_show()`: /sys/block/NAME/stat.
    pub fn part_stat_show(&self, m: &mut String) -> fmt::Result {
        let (r, w, d, f) = (STAT_READ, STAT_WRITE, STAT_DISCARD, STAT_FLUSH);
        writeln!(
            m,
            "{:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8} {:8}",
            self.ios[r],
            self.merges[r],
            self.sectors[r],
            self.ms(r),
            self.ios[w],
            self.merges[w],
            self.sectors[w],
            self.ms(w),
            self.inflight(),
            self.io_ticks,
            self.time_in_queue(),
            self.ios[d],
            self.merges[d],
            self.sectors[d],
            self.ms(d),
            self.ios[f],
            self.ms(f)
        )
    }

    /// All groups' time, in ms (`diskstats_show`'s eleventh field).
    fn time_in_queue(&self) -> u64 {
        self.nsecs.iter().sum::<u64>() / NSEC_PER_MSEC
    }

    /// One line of /proc/diskstats (`diskstats_show`).
    pub fn diskstats_line(&self, m: &mut String, dev: DevT, name: &str) -> fmt::Result {
        let (r, w, d, f) = (STAT_READ, STAT_WRITE, STAT_DISCARD, STAT_FLUSH);
        writeln!(
            m,
            "{:4} {:7} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}",
            dev.major,
            dev.minor,
            name,
            self.ios[r],
            self.merges[r],
            self.sectors[r],
            self.ms(r),
            self.ios[w],
            self.merges[w],
            self.sectors[w],
            self.ms(w),
            self.inflight(),
            self.io_ticks,
            self.time_in_queue(),
            self.ios[d],
            self.merges[d],
            self.sectors[d],
            self.ms(d),
            self.ios[f],
            self.ms(f)
        )
    }
}

/// `virtblk_name_format()` (drivers/block/virtio_blk.c; sd.c's
/// `sd_format_disk_name` is the same): vda..vdz, vdaa.., base-26 names.
pub fn virtblk_name_format(prefix: &str, mut index: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'a' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    format!("{prefix}{}", String::from_utf8(letters).expect("ASCII"))
}

/// One line of /proc/partitions (`show_partition`): 1 KiB blocks.
pub fn show_partition_line(m: &mut String, dev: DevT, nr_sectors: u64, name: &str) -> fmt::Result {
    writeln!(
        m,
        "{:4}  {:7} {:10} {}",
        dev.major,
        dev.minor,
        nr_sectors >> 1,
        name
    )
}

/// `struct gendisk` + its whole-disk `struct block_device`.
pub struct BlockDevice {
    /// `bd_dev`.
    pub bd_dev: DevT,
    /// `disk_name`: "vda".
    pub disk_name: String,
    /// The device's serial number (virtio's `VIRTIO_BLK_ID_BYTES`), if any.
    pub serial: Option<String>,
    nr_sectors: u64,
    /// Writes fail (`bdev_read_only`).
    pub read_only: bool,
    /// `bd_disk->queue`: its blk-mq queue, driver and limits.
    pub queue: RequestQueue,
    stats: SpinLock<DiskStats>,
    /// `bd_make_it_fail`: bios fail with BLK_STS_IOERR (fault injection).
    pub(crate) make_it_fail: AtomicBool,
    /// `bd_holder` and `bd_holders`: who claimed the device exclusively,
    /// and how many times.
    pub(crate) bd_holder: SpinLock<Option<(super::bdev::Holder, u32)>>,
    /// `bd_openers`.
    pub(crate) bd_openers: AtomicU64,
}

impl BlockDevice {
    /// `blk_alloc_disk()` + `set_capacity()`.
    pub fn new(
        bd_dev: DevT,
        disk_name: String,
        nr_sectors: u64,
        read_only: bool,
        serial: Option<String>,
        queue: RequestQueue,
    ) -> Arc<Self> {
        Arc::new(Self {
            bd_dev,
            disk_name,
            serial,
            nr_sectors,
            read_only,
            queue,
            stats: SpinLock::new(DiskStats::default()),
            make_it_fail: AtomicBool::new(false),
            bd_holder: SpinLock::new(None),
            bd_openers: AtomicU64::new(0),
        })
    }

    /// `bdev_nr_sectors()`: the size in 512-byte sectors.
    pub fn nr_sectors(&self) -> u64 {
        self.nr_sectors
    }

    /// `bdev_nr_bytes()`.
    pub fn nr_bytes(&self) -> u64 {
        self.nr_sectors << super::bio::SECTOR_SHIFT
    }

    /// `bdev_logical_block_size()`.
    pub fn logical_block_size(&self) -> u32 {
        super::bio::SECTOR_SIZE
    }

    /// A copy of the statistics (`part_stat_read_all`).
    pub fn stats(&self) -> DiskStats {
        *self.stats.lock_irqsave()
    }

    /// `blk_account_io_start()`: a request was made; `now` in ns.
    #[cfg(target_os = "none")]
    pub(crate) fn stats_start(&self, _group: usize, now: u64) {
        self.stats
            .lock_irqsave()
            .update_io_ticks(now / NSEC_PER_MSEC, false);
    }

    /// `blk_account_io_merge_bio()`: a bio joined a request.
    #[cfg(target_os = "none")]
    pub(crate) fn stats_merge(&self, group: usize) {
        self.stats.lock_irqsave().merges[group] += 1;
    }

    /// `blk_mq_start_request()`: the driver took a request; it counts in
    /// flight (`blk_mq_in_flight`) until done.
    #[cfg(target_os = "none")]
    pub(crate) fn stats_inflight_start(&self, group: usize) {
        self.stats.lock_irqsave().in_flight[usize::from(group != STAT_READ)] += 1;
    }

    /// `blk_account_io_completion()` + `blk_account_io_done()`.
    #[cfg(target_os = "none")]
    pub(crate) fn stats_done(&self, group: usize, sectors: u64, duration: u64, now: u64) {
        let mut s = self.stats.lock_irqsave();
        s.update_io_ticks(now / NSEC_PER_MSEC, true);
        s.ios[group] += 1;
        s.sectors[group] += sectors;
        s.nsecs[group] += duration;
        let slot = &mut s.in_flight[usize::from(group != STAT_READ)];
        *slot = slot.saturating_sub(1);
    }

    /// `bd_make_it_fail`.
    pub fn make_it_fail(&self) -> bool {
        self.make_it_fail.load(Relaxed)
    }
}

/// The disks, in the order they were added.
static DISKS: SpinLock<Vec<Arc<BlockDevice>>> = SpinLock::new(Vec::new());
/// `major_names[]`: block majors and their names.
static MAJOR_NAMES: SpinLock<Vec<(u32, &'static str)>> = SpinLock::new(Vec::new());

/// `BLKDEV_MAJOR_MAX`.
const BLKDEV_MAJOR_MAX: u32 = 512;
/// Where a dynamic major is looked for, downwards (`major_names[]` has
/// 255 slots; Linux's first dynamic block major is 254).
const BLKDEV_DYNAMIC_TOP: u32 = 254;

/// `register_blkdev()`: `major` 0 asks for a free one (254 first);
/// the major given or found, EBUSY when taken.
pub fn register_blkdev(major: u32, name: &'static str) -> KResult<u32> {
    let mut majors = MAJOR_NAMES.lock_irqsave();
    let major = if major == 0 {
        (1..=BLKDEV_DYNAMIC_TOP)
            .rev()
            .find(|m| !majors.iter().any(|(t, _)| t == m))
            .ok_or(Errno::EBUSY)?
    } else if major >= BLKDEV_MAJOR_MAX {
        return Err(Errno::EINVAL);
    } else if majors.iter().any(|(t, _)| *t == major) {
        return Err(Errno::EBUSY);
    } else {
        major
    };
    majors.push((major, name));
    Ok(major)
}

/// `blkdev_show()` for every major: the "Block devices:" part of
/// /proc/devices.
pub fn blkdev_show(m: &mut String) -> fmt::Result {
    let mut majors = MAJOR_NAMES.lock_irqsave().clone();
    majors.sort_unstable();
    m.write_str("Block devices:\n")?;
    for (major, name) in majors {
        writeln!(m, "{major:3} {name}")?;
    }
    Ok(())
}

/// `device_add_disk()`: the disk is known by its number and name, and
/// gets its devtmpfs node (`brw-------` root:root, as devtmpfs makes a
/// block node without udev).
pub fn add_disk(disk: Arc<BlockDevice>) {
    #[cfg(target_os = "none")]
    if let Err(e) = crate::fs::devtmpfs::devtmpfs_create_node(
        &disk.disk_name,
        crate::fs::S_IFBLK | 0o600,
        disk.bd_dev,
    ) {
        log::error!("devtmpfs: {}: {e:?}", disk.disk_name);
    }
    DISKS.lock_irqsave().push(disk);
}

/// The disks, in the order they were added.
pub fn disks() -> Vec<Arc<BlockDevice>> {
    DISKS.lock_irqsave().clone()
}

/// The disk with number `dev` (`blk_lookup_devt` / `bdev_lookup`).
pub fn disk_by_dev(dev: DevT) -> Option<Arc<BlockDevice>> {
    DISKS
        .lock_irqsave()
        .iter()
        .find(|d| d.bd_dev == dev)
        .cloned()
}

/// /proc/partitions (`show_partition`): a disk of size 0 is left out.
pub fn partitions_show(m: &mut String) -> fmt::Result {
    m.write_str("major minor  #blocks  name\n\n")?;
    for d in disks().iter().filter(|d| d.nr_sectors > 0) {
        show_partition_line(m, d.bd_dev, d.nr_sectors, &d.disk_name)?;
    }
    Ok(())
}

/// /proc/diskstats (`diskstats_show`).
pub fn diskstats_show(m: &mut String) -> fmt::Result {
    for d in disks() {
        d.stats().diskstats_line(m, d.bd_dev, &d.disk_name)?;
    }
    Ok(())
}

/// `/sys/block`: a directory per disk (Linux's are links into
/// /sys/devices; the files are the same).
pub struct SysBlock;

#[cfg(target_os = "none")]
fn disk_sysfs_dir(disk: &Arc<BlockDevice>) -> Arc<dyn crate::fs::Inode> {
    use crate::fs::proc::{ProcDir, ProcFile, Store};
    let attr = |show: fn(&BlockDevice, &mut String) -> fmt::Result| -> Arc<dyn crate::fs::Inode> {
        let d = disk.clone();
        ProcFile::new(move |m| show(&d, m), None)
    };
    let d = disk.clone();
    // `part_fail_store()`: an integer; non-zero sets the switch.
    let fail_store: Store = Arc::new(move |buf: &[u8]| {
        let text = core::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
        let value: i64 = text.trim().parse().map_err(|_| Errno::EINVAL)?;
        d.make_it_fail.store(value != 0, Relaxed);
        Ok(())
    });
    let d = disk.clone();
    let make_it_fail = ProcFile::new(
        move |m| writeln!(m, "{}", u8::from(d.make_it_fail.load(Relaxed))),
        Some(fail_store),
    );
    let mut entries: Vec<(&'static str, Arc<dyn crate::fs::Inode>)> = alloc::vec![
        (
            "dev",
            attr(|d, m| writeln!(m, "{}:{}", d.bd_dev.major, d.bd_dev.minor))
        ),
        (
            "inflight",
            attr(|d, m| {
                let s = d.stats();
                writeln!(m, "{:8} {:8}", s.in_flight[0], s.in_flight[1])
            })
        ),
        ("make-it-fail", make_it_fail),
        ("range", attr(|_, m| writeln!(m, "16"))),
        ("ro", attr(|d, m| writeln!(m, "{}", u8::from(d.read_only)))),
        ("size", attr(|d, m| writeln!(m, "{}", d.nr_sectors))),
        ("stat", attr(|d, m| d.stats().part_stat_show(m))),
    ];
    if disk.serial.is_some() {
        entries.push((
            "serial",
            // virtio_blk's `serial_show` adds no newline.
            attr(|d, m| m.write_str(d.serial.as_deref().unwrap_or(""))),
        ));
    }
    ProcDir::with_mode(0o755, entries, None)
}

#[cfg(target_os = "none")]
impl crate::fs::proc::ProcDynamic for SysBlock {
    fn lookup(&self, name: &str) -> Option<Arc<dyn crate::fs::Inode>> {
        let disk = disks().into_iter().find(|d| d.disk_name == name)?;
        Some(disk_sysfs_dir(&disk))
    }

    fn entries(&self) -> Vec<crate::fs::DirEntry> {
        disks()
            .iter()
            .map(|d| {
                crate::fs::DirEntry::new(
                    &d.disk_name,
                    disk_sysfs_dir(d).ino(),
                    crate::fs::FileType::Dir,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diskstats_format_is_linuxs() {
        let mut s = DiskStats::default();
        s.ios[STAT_READ] = 3;
        s.sectors[STAT_READ] = 24;
        s.nsecs[STAT_READ] = 5_600_000;
        s.ios[STAT_WRITE] = 2;
        s.sectors[STAT_WRITE] = 16;
        s.nsecs[STAT_WRITE] = 1_500_000;
        s.ios[STAT_FLUSH] = 1;
        s.nsecs[STAT_FLUSH] = 900_000;
        s.io_ticks = 7;
        let mut m = String::new();
        s.diskstats_line(&mut m, DevT::new(254, 16), "vdb").unwrap();
        // "%4d %7d %pg %lu %lu %lu %u %lu %lu %lu %u %u %u %u %lu %lu %lu %u %lu %u\n"
        assert_eq!(m, " 254      16 vdb 3 0 24 5 2 0 16 1 0 7 8 0 0 0 0 1 0\n");
        let mut m = String::new();
        s.part_stat_show(&mut m).unwrap();
        assert_eq!(
            m,
            "       3        0       24        5        2        0       16        1        0        7        8        0        0        0        0        1        0\n"
        );
    }

    #[test]
    fn partitions_format_is_linuxs() {
        let mut m = String::new();
        show_partition_line(&mut m, DevT::new(254, 0), 131072, "vda").unwrap();
        assert_eq!(m, " 254        0      65536 vda\n");
    }

    #[test]
    fn io_ticks_count_busy_jiffies() {
        let mut s = DiskStats::default();
        // A start on a new jiffy counts one.
        s.update_io_ticks(10, false);
        assert_eq!(s.io_ticks, 1);
        // A second start in the same jiffy counts nothing.
        s.update_io_ticks(10, false);
        assert_eq!(s.io_ticks, 1);
        // Done at jiffy 14: the 4 jiffies since.
        s.update_io_ticks(14, true);
        assert_eq!(s.io_ticks, 5);
    }

    #[test]
    fn disk_names_are_linuxs() {
        assert_eq!(virtblk_name_format("vd", 0), "vda");
        assert_eq!(virtblk_name_format("vd", 25), "vdz");
        assert_eq!(virtblk_name_format("vd", 26), "vdaa");
        assert_eq!(virtblk_name_format("vd", 701), "vdzz");
        assert_eq!(virtblk_name_format("vd", 702), "vdaaa");
    }

    #[test]
    fn dynamic_majors_start_at_254() {
        assert_eq!(register_blkdev(0, "test-a"), Ok(254));
        assert_eq!(register_blkdev(0, "test-b"), Ok(253));
        assert_eq!(register_blkdev(253, "test-c"), Err(Errno::EBUSY));
        assert_eq!(register_blkdev(600, "test-d"), Err(Errno::EINVAL));
    }
}
