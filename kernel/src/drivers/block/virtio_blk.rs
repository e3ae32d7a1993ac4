//! The virtio block driver (drivers/block/virtio_blk.c), a blk-mq driver
//! over the virtio-drivers crate's transport and split virtqueue: disks
//! vda, vdb, ... in probe (PCI) order, numbered 254:0, 254:16, ... (the
//! dynamic "virtblk" major, 16 minors a disk, `PART_BITS` = 4), the
//! device's serial (VIRTIO_BLK_T_GET_ID) kept for /sys/block/vdX/serial.
//!
//! - `virtblk_probe` negotiates features (read-only, flush, segment
//!   count, block size, indirect descriptors), reads the configuration
//!   and sets the queue up: a 128-entry ring, queue depth 128 with
//!   indirect descriptors (one ring slot a request) or 64 without
//!   (Linux's halving), `max_segments` from the device's `seg_max`.
//! - `virtio_queue_rq` turns a request into one descriptor chain —
//!   `struct virtio_blk_outhdr` (type, ioprio, sector), one entry per
//!   bio_vec, the status byte (`virtblk_add_req`) — and notifies the
//!   device only for the last request of a batch (`virtqueue_kick_prepare`
//!   and `virtqueue_notify`); `virtio_commit_rqs` kicks a batch that
//!   ended otherwise. A flush is a request on the ring like the others.
//! - Completions come by INTx (`virtblk_done`): it acknowledges the
//!   device (reading the ISR status deasserts the level-triggered line),
//!   takes what the device used, ends those requests and reruns the
//!   queue for requests that found the ring full.
//!
//! `VIRTIO_RING_F_EVENT_IDX` is not negotiated: the crate's
//! `should_notify` compares ring indexes without wrapping, which a batch
//! that wraps past `avail_event` would get wrong (a missed kick); the
//! device's NO_NOTIFY flag suppresses kicks instead. `VIRTIO_BLK_F_SIZE_MAX`
//! is not negotiated either: a segment is at most a page here, and Linux
//! raises a smaller `size_max` to a page anyway. An audited module:
//! handing the device a page's bytes is `unsafe`.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use bitflags::bitflags;
use virtio_drivers::queue::VirtQueue;
use virtio_drivers::transport::Transport;
use virtio_drivers::transport::pci::PciTransport;

use crate::arch::x86_64::irqflags::{local_irq_restore, local_irq_save};
use crate::block::bio::{
    BLK_STS_DEV_RESOURCE, BLK_STS_IOERR, BLK_STS_NOTSUPP, BLK_STS_OK, BioVec, BlkStatus,
    REQ_OP_FLUSH, REQ_OP_READ, REQ_OP_WRITE, SECTOR_SIZE,
};
use crate::block::blk_mq::{
    BLK_DEF_MAX_SECTORS, BlkMqOps, QueueLimits, Request, RequestQueue, blk_mq_end_request,
    blk_mq_run_hw_queue, blk_mq_start_request,
};
use crate::block::genhd::{BlockDevice, add_disk, register_blkdev, virtblk_name_format};
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
/// The ring's size (QEMU's default `queue-size`); a device offering fewer
/// entries is refused.
/// 128, not QEMU's 256: `VirtQueue::new` returns the queue by value, and
/// at 256 entries (8 KiB of shadow descriptors, copied into its Box) the
/// probe overran the 32 KiB kernel stack into a free page.
const VIRTBLK_QUEUE_SIZE: usize = 128;

/// `VIRTIO_BLK_T_*`: request types.
const VIRTIO_BLK_T_IN: u32 = 0;
const VIRTIO_BLK_T_OUT: u32 = 1;
const VIRTIO_BLK_T_FLUSH: u32 = 4;
const VIRTIO_BLK_T_GET_ID: u32 = 8;
/// `VIRTIO_BLK_S_*`: status bytes.
const VIRTIO_BLK_S_OK: u8 = 0;
const VIRTIO_BLK_S_UNSUPP: u8 = 2;

bitflags! {
    /// The feature bits this driver negotiates (include/uapi/linux/
    /// virtio_blk.h, virtio_ring.h, virtio_config.h).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct VirtioBlkFeatures: u64 {
        const SEG_MAX = 1 << 2;
        const RO = 1 << 5;
        const BLK_SIZE = 1 << 6;
        const FLUSH = 1 << 9;
        const RING_INDIRECT_DESC = 1 << 28;
        const VERSION_1 = 1 << 32;
    }
}

/// Offsets in `struct virtio_blk_config`.
const CONFIG_CAPACITY: usize = 0;
const CONFIG_SEG_MAX: usize = 12;
const CONFIG_BLK_SIZE: usize = 20;

/// `major`: the dynamic "virtblk" major.
static MAJOR: AtomicU32 = AtomicU32::new(0);
/// `vd_index_ida`: the next disk's index.
static VD_INDEX: AtomicU32 = AtomicU32::new(0);

/// `struct virtio_blk_outhdr`, as the device reads it (little endian:
/// VERSION_1): type, ioprio, sector.
fn virtio_blk_outhdr(type_: u32, ioprio: u32, sector: u64) -> Box<[u8; 16]> {
    let mut hdr = [0u8; 16];
    hdr[0..4].copy_from_slice(&type_.to_le_bytes());
    hdr[4..8].copy_from_slice(&ioprio.to_le_bytes());
    hdr[8..16].copy_from_slice(&sector.to_le_bytes());
    Box::new(hdr)
}

/// `struct virtblk_req`: a request on the ring with the header and the
/// status byte the device reads and writes (boxed: they stay in place
/// until the device is done).
struct VirtblkReq {
    rq: Request,
    out_hdr: Box<[u8; 16]>,
    status: Box<[u8; 1]>,
}

/// The bytes of a bio piece, for the device.
fn bvec_buf(v: &BioVec) -> &'static mut [u8] {
    let phys = (node_data(0).page_to_pfn(v.bv_page) << PAGE_SHIFT) + u64::from(v.bv_offset);
    // The piece lies inside one page (`bio_add_page` checked it), in the
    // direct map, and the bio's submitter keeps the page allocated and
    // untouched until `bi_end_io` (the block layer's contract).
    // SAFETY: only the device and this driver use these bytes meanwhile.
    unsafe { core::slice::from_raw_parts_mut(DirectMap::va(phys), v.bv_len as usize) }
}

impl VirtblkReq {
    /// The descriptor chain of the request (`virtblk_add_req`): what the
    /// device reads (the header, then a write's data) and what it writes
    /// (a read's data, then the status), for `f`. The same lists make the
    /// chain and take it back.
    fn with_sgs<R>(
        &mut self,
        f: impl for<'a> FnOnce(&'a [&'a [u8]], &'a mut [&'a mut [u8]]) -> R,
    ) -> R {
        let write = self.rq.req_op() == REQ_OP_WRITE;
        let mut out: Vec<&[u8]> = Vec::with_capacity(1 + self.rq.nr_phys_segments as usize);
        let mut inp: Vec<&mut [u8]> = Vec::with_capacity(1 + self.rq.nr_phys_segments as usize);
        out.push(&self.out_hdr[..]);
        for v in self.rq.segments() {
            if write {
                out.push(bvec_buf(v));
            } else {
                inp.push(bvec_buf(v));
            }
        }
        inp.push(&mut self.status[..]);
        f(&out, &mut inp)
    }
}

/// `struct virtio_blk_vq`: the ring, the device's transport (for kicks
/// and the ISR), and the requests on the ring by their descriptor head.
struct VirtioBlkVq {
    transport: PciTransport,
    /// Boxed: its shadow descriptors make it 8 KiB, too big to move
    /// around on a 32 KiB kernel stack.
    vq: Box<VirtQueue<VirtioHal, VIRTBLK_QUEUE_SIZE>>,
    reqs: Vec<Option<VirtblkReq>>,
}

impl VirtioBlkVq {
    /// `virtqueue_kick()`: notify unless the device said it is busy
    /// taking requests anyway.
    fn virtqueue_kick(&mut self) {
        if self.vq.should_notify() {
            self.transport.notify(0);
        }
    }
}

/// `struct virtio_blk`.
pub struct VirtioBlk {
    vq: SpinLock<VirtioBlkVq>,
}

/// `virtblk_result()`.
fn virtblk_result(status: u8) -> BlkStatus {
    match status {
        VIRTIO_BLK_S_OK => BLK_STS_OK,
        VIRTIO_BLK_S_UNSUPP => BLK_STS_NOTSUPP,
        _ => BLK_STS_IOERR,
    }
}

impl VirtioBlk {
    /// `virtblk_done()`: the interrupt handler.
    #[inline(never)]
    fn virtblk_done(&self) {
        let mut done = Vec::new();
        {
            let mut q = self.vq.lock_irqsave();
            // Deasserts the line first: a completion after this raises a
            // new interrupt.
            q.transport.ack_interrupt();
            while let Some(token) = q.vq.peek_used() {
                let Some(mut vbr) = q.reqs.get_mut(usize::from(token)).and_then(Option::take)
                else {
                    log::error!("virtio_blk: unknown token {token}");
                    break;
                };
                let vq = &mut q.vq;
                // SAFETY: the same buffers the chain was made with
                // (`virtio_queue_rq`), untouched since.
                let r = vbr.with_sgs(|out, inp| unsafe { vq.pop_used(token, out, inp) });
                let status = match r {
                    Ok(_) => virtblk_result(vbr.status[0]),
                    Err(e) => {
                        log::error!("virtio_blk: {e}");
                        BLK_STS_IOERR
                    }
                };
                done.push((vbr.rq, status));
            }
        }
        let disk = done.first().map(|(rq, _)| rq.q.clone());
        for (rq, status) in done {
            blk_mq_end_request(rq, status);
        }
        // In case requests wait for room on the ring
        // (`blk_mq_start_stopped_hw_queues`).
        if let Some(disk) = disk {
            blk_mq_run_hw_queue(&disk);
        }
    }
}

impl BlkMqOps for VirtioBlk {
    /// `virtio_queue_rq()`: `virtblk_setup_cmd`, `virtblk_add_req`, and
    /// the kick for the last request of a batch.
    fn queue_rq(&self, rq: Request, last: bool) -> Result<(), (Request, BlkStatus)> {
        let (type_, sector) = match rq.req_op() {
            REQ_OP_READ => (VIRTIO_BLK_T_IN, rq.blk_rq_pos()),
            REQ_OP_WRITE => (VIRTIO_BLK_T_OUT, rq.blk_rq_pos()),
            REQ_OP_FLUSH => (VIRTIO_BLK_T_FLUSH, 0),
            _ => return Err((rq, BLK_STS_IOERR)),
        };
        let mut vbr = VirtblkReq {
            rq,
            out_hdr: virtio_blk_outhdr(type_, 0, sector),
            status: Box::new([0xff]),
        };
        let mut q = self.vq.lock_irqsave();
        let vq = &mut q.vq;
        // SAFETY: the header, the status and the pages (see `bvec_buf`)
        // stay in place and untouched until `virtblk_done` takes the chain
        // back with the same lists.
        let r = vbr.with_sgs(|out, inp| unsafe { vq.add(out, inp) });
        match r {
            Ok(token) => {
                blk_mq_start_request(&vbr.rq);
                q.reqs[usize::from(token)] = Some(vbr);
                if last {
                    q.virtqueue_kick();
                }
                Ok(())
            }
            Err(virtio_drivers::Error::QueueFull) => {
                // What is on the ring must reach the device, or no
                // completion would ever make room.
                q.virtqueue_kick();
                Err((vbr.rq, BLK_STS_DEV_RESOURCE))
            }
            Err(e) => {
                log::error!("virtio_blk: {e}");
                Err((vbr.rq, BLK_STS_IOERR))
            }
        }
    }

    /// `virtio_commit_rqs()`.
    fn commit_rqs(&self) {
        self.vq.lock_irqsave().virtqueue_kick();
    }
}

/// `virtblk_get_id()`: the device's serial, by a GET_ID request polled
/// for at probe time (before interrupts are on).
fn virtblk_get_id(
    transport: &mut PciTransport,
    vq: &mut VirtQueue<VirtioHal, VIRTBLK_QUEUE_SIZE>,
) -> Option<String> {
    let hdr = virtio_blk_outhdr(VIRTIO_BLK_T_GET_ID, 0, 0);
    let mut id = [0u8; VIRTIO_BLK_ID_BYTES];
    let mut status = [0xffu8];
    let r = vq.add_notify_wait_pop(&[&hdr[..]], &mut [&mut id, &mut status], transport);
    if r.is_err() || status[0] != VIRTIO_BLK_S_OK {
        return None;
    }
    let n = id
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(VIRTIO_BLK_ID_BYTES);
    Some(String::from_utf8_lossy(&id[..n]).into_owned())
}

/// What probing finds out about the device.
struct Probed {
    vq: Box<VirtQueue<VirtioHal, VIRTBLK_QUEUE_SIZE>>,
    features: VirtioBlkFeatures,
    capacity: u64,
    seg_max: u32,
    serial: Option<String>,
}

/// `init_vq()` and the configuration reads of `virtblk_probe`.
fn virtblk_init(transport: &mut PciTransport) -> Result<Probed, &'static str> {
    let features = transport.begin_init(
        VirtioBlkFeatures::SEG_MAX
            | VirtioBlkFeatures::RO
            | VirtioBlkFeatures::BLK_SIZE
            | VirtioBlkFeatures::FLUSH
            | VirtioBlkFeatures::RING_INDIRECT_DESC
            | VirtioBlkFeatures::VERSION_1,
    );
    let config = |offset| transport.read_config_space::<u32>(offset);
    let (capacity, seg_max, blk_size) = transport
        .read_consistent(|| {
            let capacity = u64::from(config(CONFIG_CAPACITY)?)
                | (u64::from(config(CONFIG_CAPACITY + 4)?) << 32);
            let seg_max = if features.contains(VirtioBlkFeatures::SEG_MAX) {
                config(CONFIG_SEG_MAX)?
            } else {
                0
            };
            let blk_size = if features.contains(VirtioBlkFeatures::BLK_SIZE) {
                config(CONFIG_BLK_SIZE)?
            } else {
                SECTOR_SIZE
            };
            Ok((capacity, seg_max, blk_size))
        })
        .map_err(|_| "cannot read the configuration")?;
    if blk_size != SECTOR_SIZE {
        return Err("only 512-byte logical blocks are supported");
    }
    if (transport.max_queue_size(0) as usize) < VIRTBLK_QUEUE_SIZE {
        return Err("virtqueue smaller than 128 entries");
    }
    let mut vq = Box::new(
        VirtQueue::new(
            transport,
            0,
            features.contains(VirtioBlkFeatures::RING_INDIRECT_DESC),
            false,
        )
        .map_err(|_| "cannot set the virtqueue up")?,
    );
    transport.finish_init();
    let serial = virtblk_get_id(transport, &mut vq);
    Ok(Probed {
        vq,
        features,
        capacity,
        seg_max,
        serial,
    })
}

/// `virtblk_probe()`: the disk of a virtio block device.
pub fn virtblk_probe(
    pci: &Arc<PciDev>,
    virtio_index: u32,
    mut transport: PciTransport,
) -> KResult<()> {
    // Set-up polls for the device's answers, and the line may be shared
    // with a disk whose handler is already in place: until this device
    // is acknowledged its asserted INTx line would interrupt without end.
    let flags = local_irq_save();
    let probed = virtblk_init(&mut transport);
    transport.ack_interrupt();
    local_irq_restore(flags);
    let p = probed.map_err(|e| {
        log::warn!("virtio_blk virtio{virtio_index}: {e}");
        Errno::ENODEV
    })?;
    let indirect = p.features.contains(VirtioBlkFeatures::RING_INDIRECT_DESC);
    // A chain is the header, the segments and the status; the crate takes
    // no chain longer than the ring, indirect or not.
    let max_segments = p.seg_max.clamp(1, VIRTBLK_QUEUE_SIZE as u32 - 2);
    let queue_depth = if indirect {
        VIRTBLK_QUEUE_SIZE
    } else {
        VIRTBLK_QUEUE_SIZE / 2
    } as u32;
    let index = VD_INDEX.fetch_add(1, Relaxed);
    let name = virtblk_name_format("vd", index);
    let vblk = Arc::new(VirtioBlk {
        vq: SpinLock::new(VirtioBlkVq {
            transport,
            vq: p.vq,
            reqs: (0..VIRTBLK_QUEUE_SIZE).map(|_| None).collect(),
        }),
    });
    let handler = vblk.clone();
    crate::arch::x86_64::irq::request_irq(pci.irq, Arc::new(move || handler.virtblk_done()))?;
    let limits = QueueLimits {
        max_sectors: BLK_DEF_MAX_SECTORS,
        max_segments,
    };
    let write_cache = p.features.contains(VirtioBlkFeatures::FLUSH);
    let devt = DevT::new(MAJOR.load(Relaxed), index << PART_BITS);
    log::info!(
        "virtio_blk virtio{virtio_index}: [{name}] {} 512-byte logical blocks ({} MiB), irq {}, depth {queue_depth}, {max_segments} segments",
        p.capacity,
        p.capacity >> 11,
        pci.irq
    );
    add_disk(BlockDevice::new(
        devt,
        name,
        p.capacity,
        p.features.contains(VirtioBlkFeatures::RO),
        p.serial,
        RequestQueue::new(limits, queue_depth, write_cache, vblk),
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
