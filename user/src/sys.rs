//! Raw syscalls and thin, typed wrappers. Each wrapper returns the kernel's
//! error as [`Error`] (the positive errno) instead of a negative value.

use core::arch::asm;
use core::ffi::CStr;
use core::fmt;

use crate::errno::Errno;
use crate::unistd_64::*;

pub use crate::fcntl::*;
pub use crate::mman::*;
pub use crate::time::*;

pub const PAGE_SIZE: usize = 4096;

/// A failed syscall: the errno it returned, negated back to positive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error(pub i32);

/// Every errno the kernel's table names; others print as `Unknown error N`
/// like glibc's strerror.
const KNOWN: [Errno; 36] = [
    Errno::EPERM,
    Errno::ENOENT,
    Errno::ESRCH,
    Errno::EINTR,
    Errno::EIO,
    Errno::ENXIO,
    Errno::E2BIG,
    Errno::ENOEXEC,
    Errno::EBADF,
    Errno::ECHILD,
    Errno::EAGAIN,
    Errno::ENOMEM,
    Errno::EACCES,
    Errno::EFAULT,
    Errno::EBUSY,
    Errno::EEXIST,
    Errno::EXDEV,
    Errno::ENODEV,
    Errno::ENOTDIR,
    Errno::EISDIR,
    Errno::EINVAL,
    Errno::ENFILE,
    Errno::EMFILE,
    Errno::ENOTTY,
    Errno::EFBIG,
    Errno::ENOSPC,
    Errno::ESPIPE,
    Errno::EROFS,
    Errno::EMLINK,
    Errno::EPIPE,
    Errno::ERANGE,
    Errno::ENAMETOOLONG,
    Errno::ENOSYS,
    Errno::ENOTEMPTY,
    Errno::EOPNOTSUPP,
    Errno::ETIMEDOUT,
];

impl Error {
    pub fn errno(self) -> Option<Errno> {
        KNOWN.iter().copied().find(|e| *e as i32 == self.0)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno() {
            Some(e) => f.write_str(e.message()),
            None => write!(f, "Unknown error {}", self.0),
        }
    }
}

pub type Result<T> = core::result::Result<T, Error>;

/// Linux returns -4095..=-1 for errors; anything else is a value.
fn check(ret: isize) -> Result<usize> {
    if (-4095..0).contains(&ret) {
        Err(Error(-ret as i32))
    } else {
        Ok(ret as usize)
    }
}

/// The `syscall` instruction with Linux's x86_64 convention.
///
/// # Safety
/// The arguments must make syscall `nr` safe: pointers valid for what the
/// call reads or writes, no unmapping of memory Rust still uses.
#[inline]
pub unsafe fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: the caller upholds the syscall's contract; the kernel
    // preserves all registers but rax (result), rcx and r11 (clobbered by
    // `syscall`), and does not touch our stack.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") nr as isize => ret,
            in("rdi") a[0],
            in("rsi") a[1],
            in("rdx") a[2],
            in("r10") a[3],
            in("r8") a[4],
            in("r9") a[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

pub fn write(fd: i32, buf: &[u8]) -> Result<usize> {
    // SAFETY: the kernel reads `buf.len()` bytes from a live slice.
    check(unsafe {
        syscall6(
            __NR_WRITE,
            [fd as usize, buf.as_ptr() as usize, buf.len(), 0, 0, 0],
        )
    })
}

/// Writes all of `buf`, retrying short writes and EINTR.
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<()> {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(0) => return Err(Error(Errno::EIO as i32)),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.errno() == Some(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into a live,
    // exclusively borrowed slice.
    check(unsafe {
        syscall6(
            __NR_READ,
            [fd as usize, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
        )
    })
}

pub fn open(path: &CStr, flags: u32) -> Result<i32> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let ret = unsafe {
        syscall6(
            __NR_OPENAT,
            [
                AT_FDCWD as usize,
                path.as_ptr() as usize,
                flags as usize,
                0,
                0,
                0,
            ],
        )
    };
    check(ret).map(|fd| fd as i32)
}

pub fn close(fd: i32) -> Result<()> {
    // SAFETY: closing a descriptor touches no memory of ours.
    check(unsafe { syscall6(__NR_CLOSE, [fd as usize, 0, 0, 0, 0, 0]) }).map(drop)
}

/// `st_size` from fstat (x86_64 `struct stat`: 144 bytes, st_size at 48).
pub fn fstat_size(fd: i32) -> Result<u64> {
    let mut stat = [0u64; 18];
    // SAFETY: `stat` is a live 144-byte buffer, the size of x86_64's
    // `struct stat`.
    check(unsafe {
        syscall6(
            __NR_FSTAT,
            [fd as usize, stat.as_mut_ptr() as usize, 0, 0, 0, 0],
        )
    })?;
    Ok(stat[6])
}

pub fn lseek(fd: i32, offset: u64, whence: u32) -> Result<u64> {
    // SAFETY: moving a file offset touches no memory of ours.
    check(unsafe {
        syscall6(
            __NR_LSEEK,
            [fd as usize, offset as usize, whence as usize, 0, 0, 0],
        )
    })
    .map(|o| o as u64)
}

/// A new mapping wherever the kernel chooses (never MAP_FIXED, so no
/// existing memory can be replaced).
pub fn mmap(len: usize, prot: u32, flags: u32, fd: i32, offset: u64) -> Result<*mut u8> {
    let flags = flags & !MAP_FIXED;
    // SAFETY: without MAP_FIXED the kernel picks an unused range; nothing
    // Rust references is affected.
    let ret = unsafe {
        syscall6(
            __NR_MMAP,
            [
                0,
                len,
                prot as usize,
                flags as usize,
                fd as usize,
                offset as usize,
            ],
        )
    };
    check(ret).map(|addr| addr as *mut u8)
}

/// # Safety
/// Nothing may use `[addr, addr + len)` afterwards.
pub unsafe fn munmap(addr: *mut u8, len: usize) -> Result<()> {
    // SAFETY: the caller no longer uses the range.
    check(unsafe { syscall6(__NR_MUNMAP, [addr as usize, len, 0, 0, 0, 0]) }).map(drop)
}

pub fn mlock(addr: *const u8, len: usize) -> Result<()> {
    // SAFETY: mlock only faults pages in and pins them; contents are kept.
    check(unsafe { syscall6(__NR_MLOCK, [addr as usize, len, 0, 0, 0, 0]) }).map(drop)
}

/// Monotonic time in nanoseconds.
pub fn clock_gettime_ns(clock: i32) -> Result<u64> {
    let mut ts = [0i64; 2];
    // SAFETY: `ts` is a live `struct timespec` (two 64-bit fields).
    check(unsafe {
        syscall6(
            __NR_CLOCK_GETTIME,
            [clock as usize, ts.as_mut_ptr() as usize, 0, 0, 0, 0],
        )
    })?;
    Ok(ts[0] as u64 * 1_000_000_000 + ts[1] as u64)
}

/// Sleeps `ns` nanoseconds, resuming after signals that interrupt it.
pub fn sleep_ns(ns: u64) -> Result<()> {
    let mut req = [(ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64];
    loop {
        let mut rem = [0i64; 2];
        // SAFETY: `req` and `rem` are live `struct timespec`s.
        let ret = unsafe {
            syscall6(
                __NR_NANOSLEEP,
                [req.as_ptr() as usize, rem.as_mut_ptr() as usize, 0, 0, 0, 0],
            )
        };
        match check(ret) {
            Ok(_) => return Ok(()),
            Err(e) if e.errno() == Some(Errno::EINTR) => req = rem,
            Err(e) => return Err(e),
        }
    }
}

/// `getpid()`.
pub fn getpid() -> u64 {
    // SAFETY: getpid touches no memory.
    unsafe { syscall6(__NR_GETPID, [0; 6]) as u64 }
}

/// Ends the process (all threads) with `status`.
pub fn exit(status: i32) -> ! {
    // SAFETY: exit_group does not return; `ud2` only runs if it somehow
    // did, and then ends the process with SIGILL.
    unsafe {
        syscall6(__NR_EXIT_GROUP, [status as usize, 0, 0, 0, 0, 0]);
        asm!("ud2", options(noreturn));
    }
}
