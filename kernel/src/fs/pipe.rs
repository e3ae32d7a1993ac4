//! Pipes; mirrors fs/pipe.c: a 16-page ring (`PIPE_DEF_BUFFERS`) shared by
//! a read end and a write end. Reads block while the pipe is empty and a
//! writer exists (EOF once every write end is closed); writes of up to
//! `PIPE_BUF` bytes are atomic and block while there is no room; writing
//! with no reader left raises SIGPIPE and fails with EPIPE. A signal ends
//! a blocked read or write with ERESTARTSYS (EINTR, or a restart under
//! SA_RESTART). Readers sleep on `rd_wait`, writers on `wr_wait`
//! (`pipe_poll` reports both ends' readiness); FIONREAD counts the
//! unread bytes.
//!
//! The bytes live in one `PIPE_SIZE` ring allocated at the first write
//! (Linux's ring holds up to 16 pages, each allocated as it fills).
//! `read(2)` and `write(2)` copy straight between it and user memory, as
//! `pipe_read()` and `pipe_write()` do with `copy_page_to_iter()` and
//! `copy_page_from_iter()`; a user copy may fault and sleep, so it runs
//! under the pipe's sleeping lock (`pipe->mutex`: the ring moves out of
//! the spinlock to the holder) and never under the spinlock.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;
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
use crate::uapi::fcntl::{O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_WRONLY};
use crate::uapi::termbits::{FIONREAD, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};

/// `PIPE_BUF`: writes up to this size are never interleaved.
pub const PIPE_BUF: usize = 4096;
/// Capacity: `PIPE_DEF_BUFFERS` pages.
const PIPE_SIZE: usize = 16 * 4096;

/// The ring of a pipe: `pipe->bufs` with its head and fill.
#[derive(Default)]
struct PipeBuf {
    /// `PIPE_SIZE` bytes once written to; empty before, and while a
    /// reader or writer holds the pipe lock (it has the ring then).
    ring: Box<[u8]>,
    /// Where the oldest byte is.
    head: usize,
    /// Bytes in the pipe (kept here also while the ring is out).
    len: usize,
    /// `pipe->mutex` is held: a reader or writer is copying.
    locked: bool,
}

impl PipeBuf {
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
}

impl PipeGuard<'_> {
    /// The bytes `[from, from + n)` counted from the head, as ranges of
    /// the ring: the second is empty unless they wrap around its end.
    fn pieces(&self, from: usize, n: usize) -> [core::ops::Range<usize>; 2] {
        let start = (self.head + from) % PIPE_SIZE;
        let first = n.min(PIPE_SIZE - start);
        [start..start + first, 0..n - first]
    }
}

impl Drop for PipeGuard<'_> {
    fn drop(&mut self) {
        {
            let mut b = self.pipe.buf.lock_irqsave();
            b.ring = core::mem::take(&mut self.ring);
            b.head = self.head;
            b.len = self.len;
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

/// `struct pipe_inode_info`.
pub struct PipeInodeInfo {
    ino: u64,
    buf: SpinLock<PipeBuf>,
    readers: AtomicUsize,
    writers: AtomicUsize,
    /// Readers waiting for data or EOF, writers waiting for room or for
    /// the last reader to go.
    rd_wait: Arc<WaitQueueHead>,
    wr_wait: Arc<WaitQueueHead>,
}

impl PipeInodeInfo {
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
                    });
                }
            }
            // The guard's drop wakes both queues.
            self.rd_wait
                .wait_event_interruptible(|| !self.buf.lock_irqsave().locked)?;
        }
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
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        // Pipes are made by pipe(2) only; there are no named FIFOs.
        Err(Errno::ENXIO)
    }
}

/// One end of a pipe (the `struct file` private part).
struct PipeEnd {
    pipe: Arc<PipeInodeInfo>,
    write: bool,
}

impl Drop for PipeEnd {
    /// `pipe_release()`: the last reference to this end went away.
    fn drop(&mut self) {
        if self.write {
            self.pipe.writers.fetch_sub(1, Ordering::SeqCst);
        } else {
            self.pipe.readers.fetch_sub(1, Ordering::SeqCst);
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
                pipe.head = (pipe.head + done) % PIPE_SIZE;
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
            let room = PIPE_SIZE - pipe.len;
            if room >= need {
                if pipe.ring.is_empty() {
                    pipe.ring = vec![0; PIPE_SIZE].into_boxed_slice();
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
                PIPE_SIZE - p.buf.lock_irqsave().len() >= need
                    || p.readers.load(Ordering::SeqCst) == 0
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

    /// `pipe_poll()`: a read end is readable with data or without
    /// writers (POLLHUP), a write end writable with `PIPE_BUF` of room,
    /// POLLERR without readers.
    fn poll(&self, _file: &File, pt: &mut PollTable) -> u32 {
        let p = &self.pipe;
        if self.write {
            pt.poll_wait(&p.wr_wait);
        } else {
            pt.poll_wait(&p.rd_wait);
        }
        let len = p.buf.lock_irqsave().len();
        let mut mask = 0;
        if !self.write {
            if len > 0 {
                mask |= POLLIN | POLLRDNORM;
            }
            if p.writers.load(Ordering::SeqCst) == 0 {
                mask |= POLLHUP;
            }
        } else {
            if PIPE_SIZE - len >= PIPE_BUF {
                mask |= POLLOUT | POLLWRNORM;
            }
            if p.readers.load(Ordering::SeqCst) == 0 {
                mask |= POLLERR;
            }
        }
        mask
    }
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
    let pipe = Arc::new(PipeInodeInfo {
        ino: get_next_ino(),
        buf: SpinLock::default(),
        readers: AtomicUsize::new(1),
        writers: AtomicUsize::new(1),
        rd_wait: Arc::default(),
        wr_wait: Arc::default(),
    });
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
            write,
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
