//! The virtio block driver (drivers/block/virtio_blk.c) over the
//! virtio-drivers crate's `VirtIOBlk`: disks vda, vdb, ... in probe (PCI)
//! order, numbered 254:0, 254:16, ... (the dynamic "virtblk" major, 16
//! minors a disk, `PART_BITS` = 4), the device's serial kept for
//! /sys/block/vdX/serial (`VIRTIO_BLK_ID_BYTES`).
//!
//! I/O is asynchronous and completes by interrupt (`virtblk_done`): each
//! piece of a bio becomes one request on the ring (`read_blocks_nb` /
//! `write_blocks_nb`); requests that find the ring full wait in order in
//! a software queue; the INTx handler acknowledges the device (reading
//! its ISR status deasserts the level-triggered line), completes what the
//! device used, refills the ring, and ends finished bios with
//! `bio_endio`. A flush waits until the ring is empty, then is issued
//! alone (the crate's flush polls for its answer). An audited module:
//! handing the device a page's bytes is `unsafe`.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use virtio_drivers::device::blk::{BlkReq, BlkResp, VirtIOBlk};
use virtio_drivers::transport::pci::PciTransport;

use crate::arch::x86_64::irqflags::{local_irq_restore, local_irq_save};
use crate::block::bio::{BLK_STS_IOERR, BLK_STS_OK, Bio, BioVec, REQ_OP_FLUSH, SECTOR_SHIFT};
use crate::block::bio_endio;
use crate::block::genhd::{
    BlockDevice, BlockDeviceOperations, add_disk, register_blkdev, virtblk_name_format,
};
use crate::drivers::pci::PciDev;
use crate::drivers::virtio::hal::VirtioHal;
use crate::fs::DevT;
use crate::mm::mmzone::node_data;
use crate::mm::page::{DirectMap, PAGE_SHIFT};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// `PART_BITS`: minors per disk, as a shift.
const PART_BITS: u32 = 4;
/// `VIRTIO_BLK_ID_BYTES`.
const VIRTIO_BLK_ID_BYTES: usize = 20;

/// `major`: the dynamic "virtblk" major.
static MAJOR: AtomicU32 = AtomicU32::new(0);
/// `vd_index_ida`: the next disk's index.
static VD_INDEX: AtomicU32 = AtomicU32::new(0);

/// A bio whose pieces are on the ring or waiting for it.
struct InflightBio {
    bio: Box<Bio>,
    /// Pieces handed to the device so far.
    next_seg: usize,
    /// The sector the next piece starts at.
    next_sector: u64,
    /// Pieces handed over and not completed.
    outstanding: usize,
    failed: bool,
}

impl InflightBio {
    fn done(&self) -> bool {
        self.outstanding == 0 && self.next_seg == self.bio.bi_io_vec.len()
    }
}

/// One request on the ring: which piece of which bio, and the header
/// and status the device reads and writes (kept in place until done).
struct VblkReq {
    slot: usize,
    seg: usize,
    req: Box<BlkReq>,
    resp: Box<BlkResp>,
}

/// The device and its queue state, under one lock (`vblk->vqs[0].lock`).
struct VirtioBlkQueue {
    dev: VirtIOBlk<VirtioHal, PciTransport>,
    /// Requests on the ring, by the token the ring gave them.
    on_ring: BTreeMap<u16, VblkReq>,
    /// Bios with pieces on the ring, by slot.
    bios: Vec<Option<InflightBio>>,
    /// The bio whose pieces are being handed over.
    current: Option<usize>,
    /// Bios waiting their turn, in order.
    waiting: VecDeque<Box<Bio>>,
}

/// `struct virtio_blk`.
pub struct VirtioBlk {
    name: String,
    queue: SpinLock<VirtioBlkQueue>,
}

/// The bytes of a bio piece, for the device.
fn bvec_buf(v: &BioVec) -> &'static mut [u8] {
    let phys = (node_data(0).page_to_pfn(v.bv_page) << PAGE_SHIFT) + u64::from(v.bv_offset);
    // SAFETY: the piece lies inside one page (`bio_add_page` checked it),
    // in the direct map; the bio's submitter keeps the page allocated and
    // untouched until `bi_end_io` (the block layer's contract), so only
    // the device and this driver use these bytes meanwhile.
    unsafe { core::slice::from_raw_parts_mut(DirectMap::va(phys), v.bv_len as usize) }
}

#[allow(clippy::vec_box, reason = "bios travel boxed: bi_end_io takes the Box")]
impl VirtioBlkQueue {
    fn alloc_slot(&mut self, ib: InflightBio) -> usize {
        match self.bios.iter().position(Option::is_none) {
            Some(i) => {
                self.bios[i] = Some(ib);
                i
            }
            None => {
                self.bios.push(Some(ib));
                self.bios.len() - 1
            }
        }
    }

    /// Take the bio of `slot` if all its pieces are done.
    fn reap(&mut self, slot: usize, done: &mut Vec<Box<Bio>>) {
        if self.bios[slot].as_ref().is_some_and(InflightBio::done) {
            let ib = self.bios[slot].take().expect("checked above");
            let mut bio = ib.bio;
            bio.bi_status = if ib.failed { BLK_STS_IOERR } else { BLK_STS_OK };
            if self.current == Some(slot) {
                self.current = None;
            }
            done.push(bio);
        }
    }

    /// `virtio_queue_rq()` for as much as the ring takes: the current
    /// bio's next pieces, then the waiting bios in order. Finished bios
    /// go to `done`.
    fn kick(&mut self, done: &mut Vec<Box<Bio>>) {
        loop {
            let slot = match self.current {
                Some(slot) => slot,
                None => {
                    let Some(bio) = self.waiting.pop_front() else {
                        return;
                    };
                    if bio.bio_op() == REQ_OP_FLUSH {
                        if !self.on_ring.is_empty() {
                            self.waiting.push_front(bio);
                            return;
                        }
                        self.flush(bio, done);
                        continue;
                    }
                    let sector = bio.bi_iter.bi_sector;
                    let slot = self.alloc_slot(InflightBio {
                        bio,
                        next_seg: 0,
                        next_sector: sector,
                        outstanding: 0,
                        failed: false,
                    });
                    self.current = Some(slot);
                    slot
                }
            };
            let ib = self.bios[slot].as_mut().expect("current bio");
            let Some(&v) = ib.bio.bi_io_vec.get(ib.next_seg) else {
                self.reap(slot, done);
                self.current = None;
                continue;
            };
            let mut vr = VblkReq {
                slot,
                seg: ib.next_seg,
                req: Box::default(),
                resp: Box::default(),
            };
            let write = ib.bio.is_write();
            let sector = ib.next_sector as usize;
            let buf = bvec_buf(&v);
            // SAFETY: `req`, `resp` (boxed, moved into `on_ring` without
            // moving their contents) and `buf` (see `bvec_buf`) stay valid
            // and untouched until the completion passes the same three.
            let r = unsafe {
                if write {
                    self.dev
                        .write_blocks_nb(sector, &mut vr.req, buf, &mut vr.resp)
                } else {
                    self.dev
                        .read_blocks_nb(sector, &mut vr.req, buf, &mut vr.resp)
                }
            };
            match r {
                Ok(token) => {
                    ib.outstanding += 1;
                    self.on_ring.insert(token, vr);
                }
                Err(virtio_drivers::Error::QueueFull) => return,
                Err(e) => {
                    log::error!("{}: request failed: {e}", "virtio_blk");
                    ib.failed = true;
                }
            }
            ib.next_seg += 1;
            ib.next_sector += u64::from(v.bv_len >> SECTOR_SHIFT);
            self.reap(slot, done);
        }
    }

    /// A flush, issued with nothing else on the ring.
    fn flush(&mut self, mut bio: Box<Bio>, done: &mut Vec<Box<Bio>>) {
        bio.bi_status = match self.dev.flush() {
            Ok(()) => BLK_STS_OK,
            Err(_) => BLK_STS_IOERR,
        };
        done.push(bio);
    }

    /// The completions the device posted.
    fn complete(&mut self, done: &mut Vec<Box<Bio>>) {
        while let Some(token) = self.dev.peek_used() {
            let Some(mut vr) = self.on_ring.remove(&token) else {
                log::error!("virtio_blk: unknown token {token}");
                return;
            };
            let ib = self.bios[vr.slot].as_mut().expect("bio of a request");
            let v = ib.bio.bi_io_vec[vr.seg];
            let write = ib.bio.is_write();
            let buf = bvec_buf(&v);
            // SAFETY: the same header, buffer and status the request was
            // made with (`kick`).
            let r = unsafe {
                if write {
                    self.dev
                        .complete_write_blocks(token, &vr.req, buf, &mut vr.resp)
                } else {
                    self.dev
                        .complete_read_blocks(token, &vr.req, buf, &mut vr.resp)
                }
            };
            if r.is_err() {
                ib.failed = true;
            }
            ib.outstanding -= 1;
            self.reap(vr.slot, done);
        }
    }
}

impl VirtioBlk {
    /// `virtblk_done()`: the interrupt handler.
    #[inline(never)]
    fn virtblk_done(&self) {
        let mut done = Vec::new();
        {
            let mut q = self.queue.lock_irqsave();
            // Deasserts the line first: a completion after this raises a
            // new interrupt.
            q.dev.ack_interrupt();
            q.complete(&mut done);
            q.kick(&mut done);
        }
        for bio in done {
            bio_endio(bio);
        }
    }
}

impl BlockDeviceOperations for VirtioBlk {
    /// `virtio_queue_rq()`.
    fn submit_bio(&self, bio: Box<Bio>) {
        let mut done = Vec::new();
        {
            let mut q = self.queue.lock_irqsave();
            q.waiting.push_back(bio);
            q.kick(&mut done);
        }
        if !done.is_empty() {
            log::trace!("{}: completed at submission", self.name);
        }
        for bio in done {
            bio_endio(bio);
        }
    }
}

/// `virtblk_probe()`: the disk of a virtio block device.
pub fn virtblk_probe(pci: &Arc<PciDev>, virtio_index: u32, transport: PciTransport) -> KResult<()> {
    // Set-up polls for the device's answers, and the line may be shared
    // with a disk whose handler is already in place: until this device
    // is acknowledged its asserted INTx line would interrupt without end.
    let flags = local_irq_save();
    let probed = VirtIOBlk::<VirtioHal, PciTransport>::new(transport).map(|mut dev| {
        let mut id = [0u8; VIRTIO_BLK_ID_BYTES];
        let serial = dev
            .device_id(&mut id)
            .ok()
            .map(|n| String::from_utf8_lossy(&id[..n]).into_owned());
        dev.ack_interrupt();
        (dev, serial)
    });
    local_irq_restore(flags);
    let (dev, serial) = probed.map_err(|e| {
        log::warn!("virtio_blk virtio{virtio_index}: {e}");
        Errno::ENODEV
    })?;
    let capacity = dev.capacity();
    let read_only = dev.readonly();
    let index = VD_INDEX.fetch_add(1, Relaxed);
    let name = virtblk_name_format("vd", index);
    let vblk = Arc::new(VirtioBlk {
        name: name.clone(),
        queue: SpinLock::new(VirtioBlkQueue {
            dev,
            on_ring: BTreeMap::new(),
            bios: Vec::new(),
            current: None,
            waiting: VecDeque::new(),
        }),
    });
    let handler = vblk.clone();
    crate::arch::x86_64::irq::request_irq(pci.irq, Arc::new(move || handler.virtblk_done()))?;
    vblk.queue.lock_irqsave().dev.enable_interrupts();
    let devt = DevT::new(MAJOR.load(Relaxed), index << PART_BITS);
    log::info!(
        "virtio_blk virtio{virtio_index}: [{name}] {capacity} 512-byte logical blocks ({} MiB), irq {}",
        capacity >> 11,
        pci.irq
    );
    add_disk(BlockDevice::new(
        devt, name, capacity, read_only, serial, vblk,
    ));
    Ok(())
}

/// `virtio_blk_init()`: the "virtblk" major, then the driver binds the
/// devices the virtio PCI driver finds.
pub fn virtio_blk_init() {
    match register_blkdev(0, "virtblk") {
        Ok(major) => MAJOR.store(major, Relaxed),
        Err(e) => log::error!("virtio_blk: no major: {e:?}"),
    }
}
