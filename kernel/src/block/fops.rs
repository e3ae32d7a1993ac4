//! Block device files (block/fops.c): open(2) of a block device node
//! reaches the disk (`blkdev_open`, O_EXCL claims it), read(2) and
//! write(2) go through bios to the disk (`blkdev_read_iter`,
//! `blkdev_write_iter`, without a block-device page cache: each call
//! bounces through kernel pages and waits for its bios), lseek(2) knows
//! the disk's size (`blkdev_llseek`), fsync(2) flushes the disk's cache
//! (`blkdev_fsync` → `blkdev_issue_flush`), and the ioctls of
//! block/ioctl.c that ask for sizes: BLKGETSIZE, BLKSSZGET, BLKBSZGET,
//! BLKGETSIZE64. Writes are written through before write(2) returns.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use super::bdev::{BLK_OPEN_EXCL, BLK_OPEN_WRITE, Holder, blkdev_get_by_dev, blkdev_put};
use super::bio::{
    REQ_OP_FLUSH, REQ_OP_READ, REQ_OP_WRITE, SECTOR_SIZE, bio_add_page, bio_alloc, submit_bio_wait,
};
use super::genhd::BlockDevice;
use crate::arch::x86_64::uaccess::copy_to_user;
use crate::fs::file::File;
use crate::fs::{DevT, FileOps, access_mode};
use crate::mm::gfp::Gfp;
use crate::mm::mmzone::node_data;
use crate::mm::page::{PAGE_SIZE, Page};
use crate::mm::page_alloc::{alloc_pages, free_pages};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::O_EXCL;

/// `BLKGETSIZE`: the size in sectors, as an unsigned long.
const BLKGETSIZE: u32 = 0x1260;
/// `BLKSSZGET`: the logical block size, as an int.
const BLKSSZGET: u32 = 0x1268;
/// `BLKBSZGET`: the block size of the device's buffer cache, as an int
/// (`_IOR(0x12, 112, size_t)`).
const BLKBSZGET: u32 = 0x8008_1270;
/// `BLKGETSIZE64`: the size in bytes, as a u64 (`_IOR(0x12, 114, size_t)`).
const BLKGETSIZE64: u32 = 0x8008_1272;

/// Pages one bio of a read(2) or write(2) carries: 64 KiB.
const BOUNCE_PAGES: usize = 16;

/// An open block device file.
struct BlkdevFile {
    bdev: Arc<BlockDevice>,
    /// BLK_OPEN_WRITE, and BLK_OPEN_EXCL once claimed.
    mode: AtomicU32,
}

impl BlkdevFile {
    /// Its claim, if any, is held in the name of the open file.
    fn holder(&self) -> Holder {
        self as *const Self as Holder
    }
}

impl Drop for BlkdevFile {
    /// `blkdev_close()` → `blkdev_put()`.
    fn drop(&mut self) {
        blkdev_put(&self.bdev, self.mode.load(Relaxed), self.holder());
    }
}

/// Kernel pages a bio reads into or writes from, freed on drop.
struct Bounce(Vec<&'static Page>);

impl Bounce {
    fn new(n: usize) -> KResult<Self> {
        let mut pages = Bounce(Vec::with_capacity(n));
        for _ in 0..n {
            pages
                .0
                .push(alloc_pages(Gfp::GFP_KERNEL, 0).ok_or(Errno::ENOMEM)?);
        }
        Ok(pages)
    }

    fn pfn(&self, i: usize) -> u64 {
        node_data(0).page_to_pfn(self.0[i])
    }

    /// Copy `buf` to the pages from byte `off` on.
    fn copy_in(&self, off: usize, buf: &[u8]) {
        let mut done = 0;
        while done < buf.len() {
            let at = off + done;
            let (page, in_page) = (at / PAGE_SIZE as usize, at % PAGE_SIZE as usize);
            let n = (PAGE_SIZE as usize - in_page).min(buf.len() - done);
            node_data(0)
                .phys
                .copy_to_page(self.pfn(page), in_page, &buf[done..done + n]);
            done += n;
        }
    }

    /// Copy the pages from byte `off` on into `buf`.
    fn copy_out(&self, off: usize, buf: &mut [u8]) {
        let mut done = 0;
        while done < buf.len() {
            let at = off + done;
            let (page, in_page) = (at / PAGE_SIZE as usize, at % PAGE_SIZE as usize);
            let n = (PAGE_SIZE as usize - in_page).min(buf.len() - done);
            node_data(0)
                .phys
                .copy_from_page(self.pfn(page), in_page, &mut buf[done..done + n]);
            done += n;
        }
    }
}

impl Drop for Bounce {
    fn drop(&mut self) {
        for page in &self.0 {
            free_pages(page, 0);
        }
    }
}

/// One bio of `bytes` (whole sectors) at `sector`, through `pages`,
/// waited for.
fn blkdev_bio(
    bdev: &Arc<BlockDevice>,
    op: u32,
    sector: u64,
    pages: &Bounce,
    bytes: usize,
) -> KResult<()> {
    let mut bio = bio_alloc(bdev, bytes.div_ceil(PAGE_SIZE as usize), op);
    bio.bi_iter.bi_sector = sector;
    let mut left = bytes;
    for page in &pages.0 {
        if left == 0 {
            break;
        }
        let len = left.min(PAGE_SIZE as usize);
        bio_add_page(&mut bio, page, len as u32, 0);
        left -= len;
    }
    submit_bio_wait(bio)
}

/// The window of whole sectors a transfer of `len` bytes at `pos` lies
/// in, at most `BOUNCE_PAGES` pages long: (first sector, bytes, offset
/// of `pos` in it, bytes of the transfer in it).
fn sector_window(pos: u64, len: usize) -> (u64, usize, usize, usize) {
    let sector = pos / u64::from(SECTOR_SIZE);
    let skip = (pos % u64::from(SECTOR_SIZE)) as usize;
    let max = BOUNCE_PAGES * PAGE_SIZE as usize;
    let n = len.min(max - skip);
    let bytes = (skip + n).next_multiple_of(SECTOR_SIZE as usize);
    (sector, bytes, skip, n)
}

impl FileOps for BlkdevFile {
    /// `blkdev_read_iter()`: nothing past the disk's end.
    fn read(&self, _file: &File, pos: u64, buf: &mut [u8]) -> KResult<usize> {
        let size = self.bdev.nr_bytes();
        if pos >= size || buf.is_empty() {
            return Ok(0);
        }
        let total = buf.len().min((size - pos) as usize);
        let pages = Bounce::new(BOUNCE_PAGES.min(total.div_ceil(PAGE_SIZE as usize) + 1))?;
        let mut done = 0;
        while done < total {
            let (sector, bytes, skip, n) = sector_window(pos + done as u64, total - done);
            blkdev_bio(&self.bdev, REQ_OP_READ, sector, &pages, bytes)?;
            pages.copy_out(skip, &mut buf[done..done + n]);
            done += n;
        }
        Ok(done)
    }

    /// `blkdev_write_iter()`: ENOSPC at the disk's end, a short write up
    /// to it; partial sectors are read first and written back whole.
    fn write(&self, _file: &File, pos: u64, buf: &[u8]) -> KResult<usize> {
        let size = self.bdev.nr_bytes();
        if buf.is_empty() {
            return Ok(0);
        }
        if pos >= size {
            return Err(Errno::ENOSPC);
        }
        let total = buf.len().min((size - pos) as usize);
        let pages = Bounce::new(BOUNCE_PAGES.min(total.div_ceil(PAGE_SIZE as usize) + 1))?;
        let mut done = 0;
        while done < total {
            let (sector, bytes, skip, n) = sector_window(pos + done as u64, total - done);
            if skip != 0 || n != bytes {
                blkdev_bio(&self.bdev, REQ_OP_READ, sector, &pages, bytes)?;
            }
            pages.copy_in(skip, &buf[done..done + n]);
            blkdev_bio(&self.bdev, REQ_OP_WRITE, sector, &pages, bytes)?;
            done += n;
        }
        Ok(done)
    }

    /// `blkdev_fsync()`: the data are on the disk already; flush its
    /// volatile cache (`blkdev_issue_flush`).
    fn fsync(&self, _file: &File) -> KResult<()> {
        submit_bio_wait(bio_alloc(&self.bdev, 0, REQ_OP_FLUSH))
    }

    /// `blkdev_llseek()`: SEEK_END is the disk's size.
    fn i_size(&self) -> Option<u64> {
        Some(self.bdev.nr_bytes())
    }

    /// `blkdev_ioctl()`: the size ioctls.
    fn ioctl(&self, _file: &File, cmd: u32, arg: u64) -> KResult<u64> {
        let bytes: Box<[u8]> = match cmd {
            BLKGETSIZE => Box::new(self.bdev.nr_sectors().to_ne_bytes()),
            BLKGETSIZE64 => Box::new(self.bdev.nr_bytes().to_ne_bytes()),
            BLKSSZGET => Box::new(self.bdev.logical_block_size().to_ne_bytes()),
            BLKBSZGET => Box::new((PAGE_SIZE as u32).to_ne_bytes()),
            _ => return Err(Errno::ENOTTY),
        };
        copy_to_user(arg, &bytes)?;
        Ok(0)
    }
}

/// `blkdev_open()`: the disk numbered `dev`, claimed with O_EXCL in
/// the name of the open file (EBUSY when another holds it).
pub fn blkdev_open(dev: DevT, flags: u32) -> KResult<Arc<dyn FileOps>> {
    let write = if access_mode(flags).1 {
        BLK_OPEN_WRITE
    } else {
        0
    };
    let bdev = blkdev_get_by_dev(dev, write, 0)?;
    let file = Arc::new(BlkdevFile {
        bdev,
        mode: AtomicU32::new(write),
    });
    if flags & O_EXCL != 0 {
        // A second get, for the claim; the file's put undoes both.
        blkdev_get_by_dev(dev, BLK_OPEN_EXCL, file.holder())?;
        blkdev_put(&file.bdev, 0, 0);
        file.mode.fetch_or(BLK_OPEN_EXCL, Relaxed);
    }
    Ok(file)
}
