//! Pipes; mirrors fs/pipe.c: a 16-page ring (`PIPE_DEF_BUFFERS`) shared by
//! a read end and a write end. Reads block while the pipe is empty and a
//! writer exists (EOF once every write end is closed); writes of up to
//! `PIPE_BUF` bytes are atomic and block while there is no room; writing
//! with no reader left raises SIGPIPE and fails with EPIPE. A signal ends
//! a blocked read or write with ERESTARTSYS (EINTR, or a restart under
//! SA_RESTART). Readers sleep on `rd_wait`, writers on `wr_wait`
//! (`pipe_poll` reports both ends' readiness); FIONREAD counts the
//! unread bytes.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicUsize, Ordering};

use super::dcache::{Dentry, Path};
use super::file::File;
use super::filesystems::FileSystemType;
use super::namespace::VfsMount;
use super::select::PollTable;
use super::super_block::{PIPEFS_MAGIC, SimpleSuper, SuperBlock};
use super::{FileOps, FileType, Inode, get_next_ino};
use crate::arch::x86_64::uaccess::copy_to_user;
use crate::arch::x86_64::uaccess::copy_to_user as put_user;
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

/// `struct pipe_inode_info`.
pub struct PipeInodeInfo {
    ino: u64,
    buf: SpinLock<VecDeque<u8>>,
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

impl FileOps for PipeEnd {
    /// `pipe_read()`.
    fn read(&self, file: &File, _pos: u64, buf: &mut [u8]) -> KResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let p = &self.pipe;
        loop {
            {
                let mut q = p.buf.lock_irqsave();
                if !q.is_empty() {
                    let n = buf.len().min(q.len());
                    for (dst, src) in buf.iter_mut().zip(q.drain(..n)) {
                        *dst = src;
                    }
                    drop(q);
                    p.wake_all();
                    return Ok(n);
                }
            }
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

    /// `pipe_write()`.
    fn write(&self, file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        let p = &self.pipe;
        let mut done = 0;
        while done < buf.len() {
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
            let left = buf.len() - done;
            // A small write goes in whole or waits; a big one in pieces.
            let need = if left <= PIPE_BUF { left } else { 1 };
            {
                let mut q = p.buf.lock_irqsave();
                let room = PIPE_SIZE - q.len();
                if room >= need {
                    let n = left.min(room);
                    q.extend(&buf[done..done + n]);
                    done += n;
                    drop(q);
                    p.wake_all();
                    continue;
                }
            }
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
        buf: SpinLock::new(VecDeque::new()),
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
