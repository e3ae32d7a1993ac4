//! Pipes and FIFOs; mirrors fs/pipe.c: a 16-page ring (`PIPE_DEF_BUFFERS`)
//! shared by read ends and write ends. Reads block while the pipe is
//! empty and a writer exists (EOF once every write end is closed); writes
//! of up to `PIPE_BUF` bytes are atomic and block while there is no room;
//! writing with no reader left raises SIGPIPE and fails with EPIPE. A
//! signal ends a blocked read or write with ERESTARTSYS (EINTR, or a
//! restart under SA_RESTART). Readers sleep on `rd_wait`, writers on
//! `wr_wait` (`pipe_poll` reports both ends' readiness); FIONREAD counts
//! the unread bytes; F_GETPIPE_SZ and F_SETPIPE_SZ read and change the
//! capacity (`pipe_fcntl`).
//!
//! pipe(2) makes a pipe with its two ends; `fifo_open` opens any FIFO
//! inode (a `mkfifo` node of tmpfs or devtmpfs, an initramfs entry, or a
//! pipe reopened through `/proc/PID/fd/N`): the first open makes the
//! inode's pipe, a read-only open waits for a writer and a write-only
//! open for a reader (`wait_for_partner`; ENXIO for a write-only
//! O_NONBLOCK open without readers), O_RDWR never waits, and the last
//! close frees the pipe with whatever it still held.
//!
//! The bytes live in one ring of the pipe's capacity, allocated at the
//! first write (Linux's ring holds that many pages, each allocated as it
//! fills, so a pipe whose ring cannot be had fails its write with ENOMEM
//! here as Linux's does when a page cannot be had).
//! `read(2)` and `write(2)` copy straight between it and user memory, as
//! `pipe_read()` and `pipe_write()` do with `copy_page_to_iter()` and
//! `copy_page_from_iter()`; a user copy may fault and sleep, so it runs
//! under the pipe's sleeping lock (`pipe->mutex`: the ring moves out of
//! the spinlock to the holder) and never under the spinlock.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use super::dcache::{Dentry, Path};
use super::file::File;
use super::filesystems::FileSystemType;
use super::namespace::VfsMount;
use super::select::PollTable;
use super::super_block::{PIPEFS_MAGIC, SimpleSuper, SuperBlock};
use super::{FileOps, FileType, Inode, get_next_ino};
use crate::arch::x86_64::uaccess::copy_to_user as put_user;
use crate::arch::x86_64::uaccess::{access_ok, copy_from_user, copy_to_user};
use crate::sync::SpinLock;
use crate::task::signal::{SIGPIPE, send_signal_locked};
use crate::task::wait::WaitQueueHead;
use crate::task::{current, current_files};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{
    F_GETPIPE_SZ, F_SETPIPE_SZ, O_ACCMODE, O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR,
    O_WRONLY,
};
use crate::uapi::termbits::{FIONREAD, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};

/// `PIPE_BUF`: writes up to this size are never interleaved.
pub const PIPE_BUF: usize = 4096;
const PAGE_SIZE: usize = 4096;
/// A new pipe's capacity: `PIPE_DEF_BUFFERS` pages.
const PIPE_DEF_SIZE: usize = 16 * PAGE_SIZE;

/// The ring of a pipe: `pipe->bufs` with its head and fill.
struct PipeBuf {
    /// `size` bytes once written to; empty before, and while a reader
    /// or writer holds the pipe lock (it has the ring then).
    ring: Box<[u8]>,
    /// Where the oldest byte is.
    head: usize,
    /// Bytes in the pipe (kept here also while the ring is out).
    len: usize,
    /// The capacity, `max_usage` pages (changed under the pipe lock).
    size: usize,
    /// `pipe->mutex` is held: a reader or writer is copying.
    locked: bool,
    /// `r_counter`, `w_counter`: opens for reading and for writing so
    /// far, which a FIFO open waiting for its partner watches.
    r_counter: u32,
    w_counter: u32,
}

impl PipeBuf {
    fn new() -> Self {
        Self {
            ring: Box::default(),
            head: 0,
            len: 0,
            size: PIPE_DEF_SIZE,
            locked: false,
            r_counter: 1,
            w_counter: 1,
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The pipe lock's holder, with the ring; dropping it puts the ring back
/// (`__pipe_unlock()`) and wakes the waiters.
struct PipeGuard<'a> {
    pipe: &'a PipeInodeInfo,
    ring: Box<[u8]>,
    head: usize,
    len: usize,
    size: usize,
}

impl PipeGuard<'_> {
    /// The bytes `[from, from + n)` counted from the head, as ranges of
    /// the ring: the second is empty unless they wrap around its end.
    fn pieces(&self, from: usize, n: usize) -> [core::ops::Range<usize>; 2] {
        let start = (self.head + from) % self.size;
        let first = n.min(self.size - start);
        [start..start + first, 0..n - first]
    }
}

/// A zeroed ring of `size` bytes; ENOMEM when the heap has no such
/// block (a capacity F_SETPIPE_SZ allowed may still be too big to have).
fn alloc_ring(size: usize) -> KResult<Box<[u8]>> {
    let mut ring = Vec::new();
    ring.try_reserve_exact(size).map_err(|_| Errno::ENOMEM)?;
    ring.resize(size, 0);
    Ok(ring.into_boxed_slice())
}

impl Drop for PipeGuard<'_> {
    fn drop(&mut self) {
        {
            let mut b = self.pipe.buf.lock_irqsave();
            b.ring = core::mem::take(&mut self.ring);
            b.head = self.head;
            b.len = self.len;
            b.size = self.size;
            b.locked = false;
        }
        self.pipe.wake_all();
    }
}

/// Where a read's bytes go: user memory (read(2)) or a kernel buffer
/// (sendfile), an `iov_iter`'s ITER_UBUF or ITER_KVEC.
enum ReadTo<'a> {
    User(u64),
    Kernel(&'a mut [u8]),
}

impl ReadTo<'_> {
    /// `src` to the destination's bytes from `at` on.
    fn copy(&mut self, at: usize, src: &[u8]) -> KResult<()> {
        match self {
            ReadTo::User(addr) => copy_to_user(*addr + at as u64, src),
            ReadTo::Kernel(buf) => {
                buf[at..at + src.len()].copy_from_slice(src);
                Ok(())
            }
        }
    }
}

/// Where a write's bytes come from.
enum WriteFrom<'a> {
    User(u64),
    Kernel(&'a [u8]),
}

impl WriteFrom<'_> {
    /// The source's bytes from `at` on, into all of `dst`.
    fn copy(&self, at: usize, dst: &mut [u8]) -> KResult<()> {
        match self {
            WriteFrom::User(addr) => copy_from_user(dst, *addr + at as u64),
            WriteFrom::Kernel(buf) => {
                dst.copy_from_slice(&buf[at..at + dst.len()]);
                Ok(())
            }
        }
    }
}

/// `MAX_RW_COUNT`: what one read or write moves at most.
const MAX_RW_COUNT: usize = i32::MAX as usize & !(4096 - 1);

/// `struct pipe_inode_info`; also the pipefs inode of a pipe(2) pipe.
pub struct PipeInodeInfo {
    ino: u64,
    /// The pipe itself, for `fifo_open` of a pipefs inode.
    this: Weak<PipeInodeInfo>,
    /// The FIFO inode whose pipe this is; the reference keeps its
    /// address, the `FIFO_PIPES` key, from naming another inode.
    fifo: Option<Weak<dyn Inode>>,
    buf: SpinLock<PipeBuf>,
    readers: AtomicUsize,
    writers: AtomicUsize,
    /// Readers waiting for data or EOF, FIFO opens waiting for a
    /// partner; writers waiting for room or for the last reader to go.
    rd_wait: Arc<WaitQueueHead>,
    wr_wait: Arc<WaitQueueHead>,
}

/// `inode->i_pipe` of the FIFO inodes some file has open: their pipes,
/// by the inode's address (`fifo_key`). An entry goes with its pipe.
static FIFO_PIPES: SpinLock<BTreeMap<usize, Weak<PipeInodeInfo>>> = SpinLock::new(BTreeMap::new());

/// An inode's `FIFO_PIPES` key.
fn fifo_key(inode: *const dyn Inode) -> usize {
    inode.cast::<()>() as usize
}

impl Drop for PipeInodeInfo {
    /// `put_pipe_info()`: the last file is gone, and a FIFO's inode lets
    /// go of the pipe (the next open makes a new, empty one).
    fn drop(&mut self) {
        if let Some(inode) = &self.fifo {
            let key = fifo_key(inode.as_ptr());
            let mut pipes = FIFO_PIPES.lock_irqsave();
            if pipes
                .get(&key)
                .is_some_and(|w| core::ptr::eq(w.as_ptr(), self))
            {
                pipes.remove(&key);
            }
        }
    }
}

impl PipeInodeInfo {
    /// `alloc_pipe_info()`: an empty pipe of the default capacity with
    /// `ends` readers and as many writers.
    fn alloc_pipe_info(ino: u64, fifo: Option<Weak<dyn Inode>>, ends: usize) -> Arc<Self> {
        Arc::new_cyclic(|this| Self {
            ino,
            this: this.clone(),
            fifo,
            buf: SpinLock::new(PipeBuf::new()),
            readers: AtomicUsize::new(ends),
            writers: AtomicUsize::new(ends),
            rd_wait: Arc::default(),
            wr_wait: Arc::default(),
        })
    }

    fn wake_all(&self) {
        self.rd_wait.wake_up();
        self.wr_wait.wake_up();
    }

    /// `__pipe_lock()`: the ring for copying, after any other reader or
    /// writer is done with it; ERESTARTSYS on a signal while waiting.
    fn pipe_lock(&self) -> KResult<PipeGuard<'_>> {
        loop {
            {
                let mut b = self.buf.lock_irqsave();
                if !b.locked {
                    b.locked = true;
                    return Ok(PipeGuard {
                        pipe: self,
                        ring: core::mem::take(&mut b.ring),
                        head: b.head,
                        len: b.len,
                        size: b.size,
                    });
                }
            }
            // The guard's drop wakes both queues.
            self.rd_wait
                .wait_event_interruptible(|| !self.buf.lock_irqsave().locked)?;
        }
    }

    /// `pipe_set_size()`: the capacity becomes `arg` bytes rounded up
    /// to a power-of-two number of pages (`round_pipe_size()`: EINVAL
    /// past 2^31); EBUSY if what the pipe holds would not fit. Root's
    /// CAP_SYS_RESOURCE lifts `pipe-max-size`. The new capacity.
    fn pipe_set_size(&self, arg: u32) -> KResult<u64> {
        if arg > 1 << 31 {
            return Err(Errno::EINVAL);
        }
        let size = (arg as usize).max(PAGE_SIZE).next_power_of_two();
        let mut pipe = self.pipe_lock()?;
        if pipe.len.div_ceil(PAGE_SIZE) > size / PAGE_SIZE {
            return Err(Errno::EBUSY);
        }
        if pipe.len == 0 {
            // The next write allocates the ring at the new size.
            pipe.ring = Box::default();
        } else {
            // `pipe_resize_ring()`: the bytes move to the new ring's start.
            let mut ring = alloc_ring(size)?;
            let [first, second] = pipe.pieces(0, pipe.len);
            let split = first.len();
            ring[..split].copy_from_slice(&pipe.ring[first]);
            ring[split..pipe.len].copy_from_slice(&pipe.ring[second]);
            pipe.ring = ring;
        }
        pipe.head = 0;
        pipe.size = size;
        Ok(size as u64)
    }
}

impl Inode for PipeInodeInfo {
    fn file_type(&self) -> FileType {
        FileType::Fifo
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        0o600
    }
    fn size(&self) -> u64 {
        0
    }
    /// The VFS opens every FIFO inode, this one too, with `fifo_open`.
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

/// One open file of a pipe (the `struct file` private part): a reader,
/// a writer, or both (a FIFO opened O_RDWR).
struct PipeEnd {
    pipe: Arc<PipeInodeInfo>,
    read: bool,
    write: bool,
    /// `filp->f_pipe`: the `w_counter` a non-blocking FIFO reader saw
    /// at open with no writer; POLLHUP waits for a writer after it.
    f_pipe: u32,
}

impl PipeEnd {
    /// A file of `pipe`, counted among its readers and writers until it
    /// is dropped; `wake_up_partner()` when it is the first of its kind.
    fn new(pipe: &Arc<PipeInodeInfo>, read: bool, write: bool) -> Self {
        let mut first = false;
        {
            let mut b = pipe.buf.lock_irqsave();
            if read {
                b.r_counter = b.r_counter.wrapping_add(1);
                first |= pipe.readers.fetch_add(1, Ordering::SeqCst) == 0;
            }
            if write {
                b.w_counter = b.w_counter.wrapping_add(1);
                first |= pipe.writers.fetch_add(1, Ordering::SeqCst) == 0;
            }
        }
        if first {
            pipe.rd_wait.wake_up();
        }
        Self {
            pipe: pipe.clone(),
            read,
            write,
            f_pipe: 0,
        }
    }
}

impl Drop for PipeEnd {
    /// `pipe_release()`: the last reference to this file went away.
    fn drop(&mut self) {
        if self.read {
            self.pipe.readers.fetch_sub(1, Ordering::SeqCst);
        }
        if self.write {
            self.pipe.writers.fetch_sub(1, Ordering::SeqCst);
        }
        self.pipe.wake_all();
    }
}

impl PipeEnd {
    /// `pipe_read()`: up to `len` bytes, once the pipe has any or at EOF.
    #[inline(never)]
    fn pipe_read(&self, file: &File, mut to: ReadTo<'_>, len: usize) -> KResult<usize> {
        if len == 0 {
            return Ok(0);
        }
        let p = &self.pipe;
        loop {
            let mut pipe = p.pipe_lock()?;
            if pipe.len > 0 {
                let n = len.min(pipe.len);
                // A fault keeps the bytes of the piece it hit in the pipe.
                let mut done = 0;
                for piece in pipe.pieces(0, n) {
                    let piece_len = piece.len();
                    if let Err(e) = to.copy(done, &pipe.ring[piece]) {
                        if done == 0 {
                            return Err(e);
                        }
                        break;
                    }
                    done += piece_len;
                }
                pipe.head = (pipe.head + done) % pipe.size;
                pipe.len -= done;
                return Ok(done);
            }
            drop(pipe);
            if p.writers.load(Ordering::SeqCst) == 0 {
                return Ok(0);
            }
            if file.f_flags() & O_NONBLOCK != 0 {
                return Err(Errno::EAGAIN);
            }
            p.rd_wait.wait_event_interruptible(|| {
                !p.buf.lock_irqsave().is_empty() || p.writers.load(Ordering::SeqCst) == 0
            })?;
        }
    }

    /// `pipe_write()`: all `len` bytes, sleeping for room, unless a signal
    /// or a fault ends it early (then the bytes written, if any).
    #[inline(never)]
    fn pipe_write(&self, file: &File, from: WriteFrom<'_>, len: usize) -> KResult<usize> {
        let p = &self.pipe;
        let mut done = 0;
        while done < len {
            if p.readers.load(Ordering::SeqCst) == 0 {
                let me = current();
                send_signal_locked(
                    crate::task::signal::KernelSiginfo::user(SIGPIPE, 0),
                    &me,
                    false,
                );
                return if done > 0 {
                    Ok(done)
                } else {
                    Err(Errno::EPIPE)
                };
            }
            let left = len - done;
            // A small write goes in whole or waits; a big one in pieces.
            let need = if left <= PIPE_BUF { left } else { 1 };
            let mut pipe = match p.pipe_lock() {
                Ok(pipe) => pipe,
                Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
            };
            let room = pipe.size - pipe.len;
            if room >= need {
                if pipe.ring.is_empty() {
                    match alloc_ring(pipe.size) {
                        Ok(ring) => pipe.ring = ring,
                        Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
                    }
                }
                let n = left.min(room);
                let mut copied = 0;
                let mut fault = None;
                for piece in pipe.pieces(pipe.len, n) {
                    let piece_len = piece.len();
                    if let Err(e) = from.copy(done + copied, &mut pipe.ring[piece]) {
                        fault = Some(e);
                        break;
                    }
                    copied += piece_len;
                }
                pipe.len += copied;
                done += copied;
                drop(pipe);
                if let Some(e) = fault {
                    return if done > 0 { Ok(done) } else { Err(e) };
                }
                continue;
            }
            drop(pipe);
            if file.f_flags() & O_NONBLOCK != 0 {
                return if done > 0 {
                    Ok(done)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            if let Err(e) = p.wr_wait.wait_event_interruptible(|| {
                let b = p.buf.lock_irqsave();
                b.size - b.len() >= need || p.readers.load(Ordering::SeqCst) == 0
            }) {
                return if done > 0 { Ok(done) } else { Err(e) };
            }
        }
        Ok(done)
    }
}

impl FileOps for PipeEnd {
    fn read(&self, file: &File, _pos: u64, buf: &mut [u8]) -> KResult<usize> {
        let len = buf.len();
        self.pipe_read(file, ReadTo::Kernel(buf), len)
    }

    fn write(&self, file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        self.pipe_write(file, WriteFrom::Kernel(buf), buf.len())
    }

    /// read(2) copies from the ring to user memory, without a bounce
    /// buffer (`import_ubuf()`'s access_ok first: EFAULT).
    fn read_user(&self, file: &File, buf: u64, len: u64) -> Option<KResult<usize>> {
        let len = (len as usize).min(MAX_RW_COUNT);
        if !access_ok(buf, len) {
            return Some(Err(Errno::EFAULT));
        }
        Some(self.pipe_read(file, ReadTo::User(buf), len))
    }

    fn write_user(&self, file: &File, buf: u64, len: u64) -> Option<KResult<usize>> {
        let len = (len as usize).min(MAX_RW_COUNT);
        if !access_ok(buf, len) {
            return Some(Err(Errno::EFAULT));
        }
        Some(self.pipe_write(file, WriteFrom::User(buf), len))
    }

    fn seekable(&self) -> bool {
        false
    }

    /// `pipe_ioctl()`: FIONREAD.
    fn ioctl(&self, _file: &File, cmd: u32, arg: u64) -> KResult<u64> {
        match cmd {
            FIONREAD => {
                let n = self.pipe.buf.lock_irqsave().len() as i32;
                put_user(arg, &n.to_ne_bytes()).map(|()| 0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    /// `pipe_poll()`: a reader is readable with data or without
    /// writers (POLLHUP, once a writer came if the open saw none), a
    /// writer writable with `PIPE_BUF` of room, POLLERR without readers.
    fn poll(&self, _file: &File, pt: &mut PollTable) -> u32 {
        let p = &self.pipe;
        if self.read {
            pt.poll_wait(&p.rd_wait);
        }
        if self.write {
            pt.poll_wait(&p.wr_wait);
        }
        let (len, size, w_counter) = {
            let b = p.buf.lock_irqsave();
            (b.len(), b.size, b.w_counter)
        };
        let mut mask = 0;
        if self.read {
            if len > 0 {
                mask |= POLLIN | POLLRDNORM;
            }
            if p.writers.load(Ordering::SeqCst) == 0 && self.f_pipe != w_counter {
                mask |= POLLHUP;
            }
        }
        if self.write {
            if size - len >= PIPE_BUF {
                mask |= POLLOUT | POLLWRNORM;
            }
            if p.readers.load(Ordering::SeqCst) == 0 {
                mask |= POLLERR;
            }
        }
        mask
    }

    /// `pipe_fcntl()`.
    fn pipe_fcntl(&self, cmd: u32, arg: u32) -> KResult<u64> {
        match cmd {
            F_SETPIPE_SZ => self.pipe.pipe_set_size(arg),
            F_GETPIPE_SZ => Ok(self.pipe.buf.lock_irqsave().size as u64),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// `wait_for_partner()`: sleep on `rd_wait` until the other kind's open
/// counter (`w_counter` for a reader) moves past `cur`: an open of the
/// other kind came, even if it has gone again. ERESTARTSYS on a signal
/// first.
#[inline(never)]
fn wait_for_partner(pipe: &PipeInodeInfo, for_writer: bool, cur: u32) -> KResult<()> {
    pipe.rd_wait.wait_event_interruptible(|| {
        let b = pipe.buf.lock_irqsave();
        (if for_writer { b.w_counter } else { b.r_counter }) != cur
    })
}

/// `fifo_open()`: a file of `inode`'s pipe for open(2)'s `flags`, the
/// pipe made at the first open. A FIFO's reader waits for a writer, its
/// writer for a reader, unless O_NONBLOCK (a reader opens at once, a
/// writer fails with ENXIO) or O_RDWR; a pipefs inode (a pipe reopened
/// through /proc) never waits. Access mode 3 is EINVAL.
#[inline(never)]
pub fn fifo_open(inode: &Arc<dyn Inode>, flags: u32) -> KResult<Arc<dyn FileOps>> {
    let (read, write) = match flags & O_ACCMODE {
        O_RDONLY => (true, false),
        O_WRONLY => (false, true),
        O_RDWR => (true, true),
        _ => return Err(Errno::EINVAL),
    };
    let (pipe, is_pipe) = match inode.as_any().downcast_ref::<PipeInodeInfo>() {
        Some(p) => (p.this.upgrade().ok_or(Errno::ENXIO)?, true),
        None => {
            let key = fifo_key(Arc::as_ptr(inode));
            let mut pipes = FIFO_PIPES.lock_irqsave();
            let pipe = match pipes.get(&key).and_then(Weak::upgrade) {
                Some(pipe) => pipe,
                None => {
                    let fifo = Some(Arc::downgrade(inode));
                    let pipe = PipeInodeInfo::alloc_pipe_info(inode.ino(), fifo, 0);
                    pipes.insert(key, Arc::downgrade(&pipe));
                    pipe
                }
            };
            (pipe, false)
        }
    };
    let nonblock = flags & O_NONBLOCK != 0;
    if !is_pipe && !read && nonblock && pipe.readers.load(Ordering::SeqCst) == 0 {
        return Err(Errno::ENXIO);
    }
    // From here on, dropping `end` undoes its counts (`err_rd`, `err_wr`).
    let mut end = PipeEnd::new(&pipe, read, write);
    if !is_pipe && read != write {
        // The partner's counter as it was when this open was counted.
        let (partners, cur) = {
            let b = pipe.buf.lock_irqsave();
            if read {
                (pipe.writers.load(Ordering::SeqCst), b.w_counter)
            } else {
                (pipe.readers.load(Ordering::SeqCst), b.r_counter)
            }
        };
        if partners == 0 {
            if read && nonblock {
                end.f_pipe = cur;
            } else {
                wait_for_partner(&pipe, read, cur)?;
            }
        }
    }
    Ok(Arc::new(end))
}

static PIPEFS_FS_TYPE: FileSystemType = FileSystemType {
    name: "pipefs",
    fs_flags: 0,
    get_tree: |_, _, _| Err(Errno::ENODEV),
};

/// `pipe_mnt`: pipefs's internal mount (`kern_mount(&pipe_fs_type)`).
fn pipe_mnt() -> Arc<VfsMount> {
    static PIPE_MNT: spin::Once<Arc<VfsMount>> = spin::Once::new();
    PIPE_MNT
        .call_once(|| {
            let root: Arc<dyn Inode> = Arc::new(PipefsRoot(get_next_ino()));
            VfsMount::kern_mount(SuperBlock::new_anon(
                &PIPEFS_FS_TYPE,
                root,
                0,
                Arc::new(SimpleSuper(PIPEFS_MAGIC)),
            ))
        })
        .clone()
}

/// pipefs's root, which no name reaches.
struct PipefsRoot(u64);

impl Inode for PipefsRoot {
    fn file_type(&self) -> FileType {
        FileType::Dir
    }
    fn ino(&self) -> u64 {
        self.0
    }
    fn mode(&self) -> u32 {
        0o600
    }
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

/// `do_pipe2()`: make a pipe and put its ends at the two lowest free
/// descriptors, written to `fildes` as two ints.
#[inline(never)]
pub fn do_pipe2(fildes: u64, flags: u32) -> KResult<i64> {
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & O_DIRECT != 0 {
        return Err(Errno::EINVAL);
    }
    let pipe = PipeInodeInfo::alloc_pipe_info(get_next_ino(), None, 1);
    // Both ends name the inode in pipefs as `pipe:[ino]`.
    let mnt = pipe_mnt();
    let path = Path {
        dentry: Dentry::child(
            &mnt.mnt_root,
            &alloc::format!("pipe:[{}]", pipe.ino),
            pipe.clone(),
        ),
        mnt,
    };
    let end = |write: bool| {
        let ops: Arc<dyn FileOps> = Arc::new(PipeEnd {
            pipe: pipe.clone(),
            read: !write,
            write,
            f_pipe: 0,
        });
        let mode = if write { O_WRONLY } else { O_RDONLY };
        File::new(path.clone(), ops, mode | (flags & O_NONBLOCK))
    };
    let files = current_files();
    let cloexec = flags & O_CLOEXEC != 0;
    let rfd = files.alloc_fd_from(end(false), 0, cloexec)?;
    let wfd = match files.alloc_fd_from(end(true), 0, cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = files.close(rfd as i32);
            return Err(e);
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&(rfd as i32).to_ne_bytes());
    b[4..].copy_from_slice(&(wfd as i32).to_ne_bytes());
    if let Err(e) = copy_to_user(fildes, &b) {
        let _ = files.close(rfd as i32);
        let _ = files.close(wfd as i32);
        return Err(e);
    }
    Ok(0)
}
