//! read, write, pread64, pwrite64, readv, writev, sendfile, lseek, dup,
//! close and fcntl on the running task (fs/read_write.c, fs/fcntl.c,
//! fs/file.c syscalls).
//! Data cross between user and kernel through bounce buffers with
//! `copy_to_user` / `copy_from_user`, so bad pointers give EFAULT, except
//! for files that copy to and from user memory themselves (pipes:
//! `FileOps::read_user`, `write_user`).

use alloc::vec;

use super::file::nofile_limit;
use crate::arch::x86_64::uaccess::{copy_from_user, copy_to_user};
use crate::mm::mmap::TASK_SIZE;
use crate::mm::page::PAGE_SIZE;
use crate::task::signal::fatal_signal_pending;
use crate::task::{current, current_files};
use crate::uapi::errno::{Errno, KResult};
use crate::uapi::fcntl::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETPIPE_SZ, F_SETFD, F_SETFL, F_SETPIPE_SZ,
    FD_CLOEXEC,
};

/// Largest bounce buffer one step of read/write uses.
const BOUNCE: usize = 64 << 10;

/// `MAX_RW_COUNT`: one read or write moves at most this much.
const MAX_RW_COUNT: u64 = i32::MAX as u64 & !(PAGE_SIZE - 1);

/// `vfs_read`/`vfs_write`'s checks of the user buffer: EFAULT unless it
/// lies in user space (`access_ok`), and the count capped at
/// MAX_RW_COUNT (`rw_verify_area`).
fn rw_user_range(buf: u64, count: u64) -> KResult<u64> {
    let count = count.min(MAX_RW_COUNT);
    if buf.checked_add(count).is_none_or(|end| end > TASK_SIZE) {
        return Err(Errno::EFAULT);
    }
    Ok(count)
}

/// Whether a long transfer should stop: a fatal signal ends it with the
/// progress so far (Linux's copy loops check `fatal_signal_pending`).
fn killed() -> bool {
    fatal_signal_pending(&current())
}

/// `ksys_read()`: up to `count` bytes; a short read ends the call.
#[inline(never)]
pub fn ksys_read(fd: i32, buf: u64, count: u64) -> KResult<u64> {
    let file = current_files().get(fd)?;
    let count = rw_user_range(buf, count)?;
    if file.readable()
        && let Some(r) = file.ops().read_user(&file, buf, count)
    {
        return r.map(|n| n as u64);
    }
    let mut kbuf = vec![0u8; (count as usize).min(BOUNCE)];
    let mut done = 0u64;
    while done < count {
        let want = ((count - done) as usize).min(BOUNCE);
        let n = file.read(&mut kbuf[..want])?;
        copy_to_user(buf + done, &kbuf[..n])?;
        done += n as u64;
        if n < want || killed() {
            break;
        }
    }
    Ok(done)
}

/// `ksys_write()`.
#[inline(never)]
pub fn ksys_write(fd: i32, buf: u64, count: u64) -> KResult<u64> {
    let file = current_files().get(fd)?;
    let count = rw_user_range(buf, count)?;
    if file.writable()
        && let Some(r) = file.ops().write_user(&file, buf, count)
    {
        return r.map(|n| n as u64);
    }
    let mut kbuf = vec![0u8; (count as usize).min(BOUNCE)];
    let mut done = 0u64;
    while done < count {
        let want = ((count - done) as usize).min(BOUNCE);
        copy_from_user(&mut kbuf[..want], buf + done)?;
        let n = file.write(&kbuf[..want])?;
        done += n as u64;
        if n < want || killed() {
            break;
        }
    }
    Ok(done)
}

/// `UIO_MAXIOV`.
const UIO_MAXIOV: u64 = 1024;

/// `import_iovec()`: the (base, len) pairs of a user `struct iovec`
/// array; EINVAL for too many or a total that overflows `ssize_t`.
fn import_iovec(uvec: u64, vlen: u64) -> KResult<vec::Vec<(u64, u64)>> {
    if vlen > UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; vlen as usize * 16];
    copy_from_user(&mut raw, uvec)?;
    let iov: vec::Vec<(u64, u64)> = raw
        .as_chunks::<16>()
        .0
        .iter()
        .map(|c| {
            let w = |i: usize| u64::from_ne_bytes(c[i..i + 8].try_into().expect("8 bytes"));
            (w(0), w(8))
        })
        .collect();
    let mut total: u64 = 0;
    for &(_, len) in &iov {
        total = total.checked_add(len).ok_or(Errno::EINVAL)?;
        if total > i64::MAX as u64 {
            return Err(Errno::EINVAL);
        }
    }
    Ok(iov)
}

/// `do_readv()` / `do_writev()`: segment by segment; a short transfer
/// ends the call, and an error after some progress returns the progress.
#[inline(never)]
pub fn do_readv_writev(fd: i32, uvec: u64, vlen: u64, write: bool) -> KResult<u64> {
    current_files().get(fd)?;
    let mut done = 0u64;
    for (base, len) in import_iovec(uvec, vlen)? {
        let r = if write {
            ksys_write(fd, base, len)
        } else {
            ksys_read(fd, base, len)
        };
        match r {
            Ok(n) => {
                done += n;
                if n < len {
                    break;
                }
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done)
}

/// `ksys_lseek()`.
pub fn ksys_lseek(fd: i32, offset: i64, whence: u32) -> KResult<u64> {
    current_files().get(fd)?.lseek(offset, whence)
}

/// `SYSCALL_DEFINE3(fcntl)`: descriptor duplication and the
/// close-on-exec flag, F_GETFL and F_SETFL, a pipe's F_GETPIPE_SZ and
/// F_SETPIPE_SZ; other commands are EINVAL.
#[inline(never)]
pub fn sys_fcntl(fd: i32, cmd: u32, arg: u64) -> KResult<u64> {
    let files = current_files();
    let file = files.get(fd)?;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            // `f_dupfd()`: the lowest free descriptor at or above `arg`.
            let from = usize::try_from(arg as u32 as i32).map_err(|_| Errno::EINVAL)?;
            if from >= nofile_limit() {
                return Err(Errno::EINVAL);
            }
            Ok(files.alloc_fd_from(file, from, cmd == F_DUPFD_CLOEXEC)? as u64)
        }
        F_GETFD => Ok(if files.get_close_on_exec(fd)? {
            FD_CLOEXEC
        } else {
            0
        }),
        F_SETFD => files
            .set_close_on_exec(fd, arg & FD_CLOEXEC != 0)
            .map(|()| 0),
        F_GETFL => Ok(u64::from(file.f_flags())),
        F_SETFL => {
            file.setfl(arg as u32);
            Ok(0)
        }
        F_SETPIPE_SZ | F_GETPIPE_SZ => file.ops().pipe_fcntl(cmd, arg as u32),
        _ => Err(Errno::EINVAL),
    }
}

/// `dup(oldfd)`: the lowest free descriptor, without close-on-exec.
pub fn sys_dup(oldfd: i32) -> KResult<u64> {
    let files = current_files();
    let file = files.get(oldfd)?;
    Ok(files.alloc_fd(file)? as u64)
}

/// `ksys_dup3()`: `newfd` refers to `oldfd`'s file (closing what it had);
/// only O_CLOEXEC is a valid flag, and dup3 refuses `oldfd == newfd`.
pub fn ksys_dup3(oldfd: i32, newfd: i32, flags: u32) -> KResult<u64> {
    if flags & !crate::uapi::fcntl::O_CLOEXEC != 0 || oldfd == newfd {
        return Err(Errno::EINVAL);
    }
    let files = current_files();
    let file = files.get(oldfd)?;
    let fd = usize::try_from(newfd)
        .ok()
        .filter(|&fd| fd < nofile_limit())
        .ok_or(Errno::EBADF)?;
    files.install(fd, file);
    if flags & crate::uapi::fcntl::O_CLOEXEC != 0 {
        files.set_close_on_exec(newfd, true)?;
    }
    Ok(fd as u64)
}

/// `dup2(oldfd, newfd)`: as dup3 without flags; the same descriptor
/// twice is a no-op if it is open.
pub fn sys_dup2(oldfd: i32, newfd: i32) -> KResult<u64> {
    if oldfd == newfd {
        current_files().get(oldfd)?;
        return Ok(newfd as u64);
    }
    ksys_dup3(oldfd, newfd, 0)
}

pub fn sys_close(fd: i32) -> KResult<u64> {
    current_files().close(fd).map(|()| 0)
}

/// `ksys_pread64()`: at `pos`, the file position unchanged.
#[inline(never)]
pub fn ksys_pread64(fd: i32, buf: u64, count: u64, pos: i64) -> KResult<u64> {
    let file = current_files().get(fd)?;
    let pos = u64::try_from(pos).map_err(|_| Errno::EINVAL)?;
    let count = rw_user_range(buf, count)?;
    let mut kbuf = vec![0u8; (count as usize).min(BOUNCE)];
    let n = file.pread(&mut kbuf, pos)?;
    copy_to_user(buf, &kbuf[..n])?;
    Ok(n as u64)
}

/// `ksys_pwrite64()`.
#[inline(never)]
pub fn ksys_pwrite64(fd: i32, buf: u64, count: u64, pos: i64) -> KResult<u64> {
    let file = current_files().get(fd)?;
    let pos = u64::try_from(pos).map_err(|_| Errno::EINVAL)?;
    let count = rw_user_range(buf, count)?;
    let mut kbuf = vec![0u8; (count as usize).min(BOUNCE)];
    copy_from_user(&mut kbuf, buf)?;
    Ok(file.pwrite(&kbuf, pos)? as u64)
}

/// `do_sendfile()`: copy from `in_fd` (at `*offset` when given, which is
/// then advanced, else at its file position) to `out_fd`; a short step
/// ends the call.
#[inline(never)]
pub fn sys_sendfile64(out_fd: i32, in_fd: i32, offset: u64, count: u64) -> KResult<u64> {
    let files = current_files();
    let (input, output) = (files.get(in_fd)?, files.get(out_fd)?);
    if !input.readable() || !output.writable() {
        return Err(Errno::EBADF);
    }
    let mut pos = if offset != 0 {
        let mut raw = [0u8; 8];
        copy_from_user(&mut raw, offset)?;
        Some(u64::try_from(i64::from_ne_bytes(raw)).map_err(|_| Errno::EINVAL)?)
    } else {
        None
    };
    let mut kbuf = vec![0u8; (count as usize).min(BOUNCE)];
    let mut done = 0u64;
    while done < count {
        let want = ((count - done) as usize).min(BOUNCE);
        let r = match pos {
            Some(p) => input.pread(&mut kbuf[..want], p),
            None => input.read(&mut kbuf[..want]),
        };
        let n = match r {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let w = match output.write(&kbuf[..n]) {
            Ok(w) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += w as u64;
        if let Some(p) = pos.as_mut() {
            *p += w as u64;
        }
        if w < n || n < want {
            break;
        }
    }
    if let Some(p) = pos {
        copy_to_user(offset, &p.to_ne_bytes())?;
    }
    Ok(done)
}
