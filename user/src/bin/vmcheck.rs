//! `vmcheck FILE`: a self-checking test of the memory and file syscalls
//! tinymm implements, in the manner of an LTP test. Each check prints
//! `vmcheck: ok NAME` or `vmcheck: FAIL NAME: got X, want Y`; the last line
//! is `N passed, M failed` and the exit status is 0 only if none failed.
//!
//! Every expectation is what Linux does (tests/user.rs runs this program on
//! the host's Linux), so a failure on tinymm is a kernel bug. FILE is a
//! regular file of at least two pages whose contents are checked only for
//! agreement between read(2) and mmap(2). Not covered: touching a file
//! mapping past EOF (SIGBUS; there is no fork to survive it in).

#![no_std]
#![no_main]

use core::ffi::CStr;
use core::fmt::{self, Display};

use user::errno::Errno;
use user::io::{Bytes, usage};
use user::sys::{
    self, AT_FDCWD, CLOCK_MONOTONIC, MADV_DONTNEED, MADV_NORMAL, MAP_ANONYMOUS, MAP_FIXED,
    MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, O_DIRECTORY, O_RDONLY, O_WRONLY, PAGE_SIZE,
    PROT_READ, PROT_WRITE, SEEK_CUR, SEEK_END, SEEK_SET,
};
use user::unistd_64::*;
use user::{Args, outln};

user::entry!(main);

const USAGE: &str = "vmcheck FILE";

/// A syscall's result: the value, or the errno it failed with.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Ret(Result<usize, i32>);

impl Display for Ret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Ok(v) => write!(f, "{v:#x}"),
            Err(e) => match sys::Error(e).errno() {
                Some(errno) => write!(f, "{errno:?}"),
                None => write!(f, "errno {e}"),
            },
        }
    }
}

impl Ret {
    fn ok(self) -> Option<usize> {
        self.0.ok()
    }
}

/// Syscall `nr` with raw arguments.
fn raw(nr: usize, a: [usize; 6]) -> Ret {
    // Pointers passed are live buffers of the stated lengths, deliberately
    // bad ones the kernel must refuse, or mappings vmcheck made itself; no
    // Rust reference points into a range it unmaps, remaps or protects.
    // SAFETY: as above: the kernel never writes memory we still borrow.
    let ret = unsafe { sys::syscall6(nr, a) };
    Ret(if (-4095..0).contains(&ret) {
        Err(-ret as i32)
    } else {
        Ok(ret as usize)
    })
}

fn mmap(addr: usize, len: usize, prot: u32, flags: u32, fd: i32, off: usize) -> Ret {
    raw(
        __NR_MMAP,
        [addr, len, prot as usize, flags as usize, fd as usize, off],
    )
}

fn munmap(addr: usize, len: usize) -> Ret {
    raw(__NR_MUNMAP, [addr, len, 0, 0, 0, 0])
}

fn mprotect(addr: usize, len: usize, prot: u32) -> Ret {
    raw(__NR_MPROTECT, [addr, len, prot as usize, 0, 0, 0])
}

fn madvise(addr: usize, len: usize, advice: u32) -> Ret {
    raw(__NR_MADVISE, [addr, len, advice as usize, 0, 0, 0])
}

fn open(path: &CStr, flags: u32) -> Ret {
    raw(
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
}

fn close(fd: usize) -> Ret {
    raw(__NR_CLOSE, [fd, 0, 0, 0, 0, 0])
}

fn read(fd: usize, buf: &mut [u8]) -> Ret {
    raw(
        __NR_READ,
        [fd, buf.as_mut_ptr() as usize, buf.len(), 0, 0, 0],
    )
}

fn lseek(fd: usize, off: i64, whence: u32) -> Ret {
    raw(__NR_LSEEK, [fd, off as usize, whence as usize, 0, 0, 0])
}

fn brk(addr: usize) -> Ret {
    raw(__NR_BRK, [addr, 0, 0, 0, 0, 0])
}

/// Memory this program mapped (or grew with brk), read and written with
/// volatile accesses because the kernel changes it behind the compiler's
/// back (MADV_DONTNEED, MAP_FIXED). Only the parts still mapped with the
/// needed protection are accessed: the checks keep track of that.
#[derive(Clone, Copy)]
struct Mem {
    base: usize,
    len: usize,
}

impl Mem {
    fn page(&self, i: usize) -> Mem {
        assert!((i + 1) * PAGE_SIZE <= self.len);
        Mem {
            base: self.base + i * PAGE_SIZE,
            len: PAGE_SIZE,
        }
    }

    fn get(&self, i: usize) -> u8 {
        assert!(i < self.len);
        // SAFETY: in bounds of a live mapping with read permission (see
        // the type's comment); a volatile read of a plain byte.
        unsafe { core::ptr::read_volatile((self.base + i) as *const u8) }
    }

    fn set(&self, i: usize, v: u8) {
        assert!(i < self.len);
        // SAFETY: in bounds of a live mapping with write permission that
        // no Rust reference aliases.
        unsafe { core::ptr::write_volatile((self.base + i) as *mut u8, v) }
    }

    fn fill(&self, v: u8) {
        for i in 0..self.len {
            self.set(i, v);
        }
    }

    /// The first index whose byte is not `v`; None if every byte is `v`.
    fn all(&self, v: u8) -> Option<usize> {
        (0..self.len).find(|&i| self.get(i) != v)
    }
}

/// An anonymous private read-write mapping of `pages` pages.
fn anon(pages: usize) -> Option<Mem> {
    let len = pages * PAGE_SIZE;
    mmap(
        0,
        len,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    )
    .ok()
    .map(|base| Mem { base, len })
}

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn pass(&mut self, name: &str) {
        self.passed += 1;
        outln!("vmcheck: ok {name}");
    }

    fn fail(&mut self, name: &str, got: impl Display, want: impl Display) {
        self.failed += 1;
        outln!("vmcheck: FAIL {name}: got {got}, want {want}");
    }

    fn check(&mut self, name: &str, ok: bool, got: impl Display, want: impl Display) {
        if ok {
            self.pass(name);
        } else {
            self.fail(name, got, want);
        }
    }

    fn eq<T: Display + PartialEq>(&mut self, name: &str, got: T, want: T) {
        let ok = got == want;
        self.check(name, ok, got, want);
    }

    fn errno(&mut self, name: &str, got: Ret, want: Errno) {
        self.eq(name, got, Ret(Err(want as i32)));
    }

    fn success(&mut self, name: &str, got: Ret) {
        let ok = got.ok().is_some();
        self.check(name, ok, got, "success");
    }

    /// `all` of a `Mem`: None means every byte matched.
    fn bytes(&mut self, name: &str, mismatch: Option<usize>, want: impl Display) {
        match mismatch {
            None => self.pass(name),
            Some(i) => self.fail(name, format_args!("a different byte at {i}"), want),
        }
    }

    /// A check whose setup failed: counted as a failure with the reason.
    fn setup(&mut self, name: &str, what: &str, got: impl Display) {
        self.fail(name, format_args!("{what} failed: {got}"), "setup to work");
    }
}

fn main(args: Args) -> i32 {
    let (Some(path), 2) = (args.get(1), args.len()) else {
        usage("vmcheck", format_args!("need one argument"), USAGE);
    };
    let mut c = Checks {
        passed: 0,
        failed: 0,
    };
    mmap_checks(&mut c);
    file_mapping_checks(&mut c, path);
    munmap_mprotect_checks(&mut c);
    madvise_checks(&mut c, path);
    mlock_checks(&mut c);
    brk_checks(&mut c);
    file_checks(&mut c, path);
    misc_checks(&mut c);
    outln!("{} passed, {} failed", c.passed, c.failed);
    if c.failed == 0 { 0 } else { 1 }
}

fn mmap_checks(c: &mut Checks) {
    let rw = PROT_READ | PROT_WRITE;
    let anon_flags = MAP_PRIVATE | MAP_ANONYMOUS;
    c.errno(
        "mmap_len_0",
        mmap(0, 0, rw, anon_flags, -1, 0),
        Errno::EINVAL,
    );
    c.errno(
        "mmap_neither_shared_nor_private",
        mmap(0, PAGE_SIZE, rw, MAP_ANONYMOUS, -1, 0),
        Errno::EINVAL,
    );
    c.errno(
        "mmap_bad_fd",
        mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 999, 0),
        Errno::EBADF,
    );

    let Some(m) = anon(4) else {
        return c.setup("mmap_anon", "mmap", "no memory");
    };
    c.bytes("mmap_anon_reads_zero", m.all(0), "all zero");
    m.fill(0xa5);
    c.bytes("mmap_anon_writes_stick", m.all(0xa5), "all 0xa5");
    c.errno(
        "mmap_fixed_unaligned",
        mmap(m.base + 1, PAGE_SIZE, rw, anon_flags | MAP_FIXED, -1, 0),
        Errno::EINVAL,
    );
    c.errno(
        "mmap_fixed_noreplace_over_mapping",
        mmap(
            m.base + PAGE_SIZE,
            PAGE_SIZE,
            rw,
            anon_flags | MAP_FIXED_NOREPLACE,
            -1,
            0,
        ),
        Errno::EEXIST,
    );
    c.bytes(
        "mmap_fixed_noreplace_keeps_contents",
        m.all(0xa5),
        "all 0xa5",
    );
    // Pages 1 and 2 replaced by fresh zero pages; 0 and 3 untouched.
    let at = m.base + PAGE_SIZE;
    let got = mmap(at, 2 * PAGE_SIZE, rw, anon_flags | MAP_FIXED, -1, 0);
    c.eq("mmap_fixed_returns_addr", got, Ret(Ok(at)));
    let inner = Mem {
        base: at,
        len: 2 * PAGE_SIZE,
    };
    c.bytes("mmap_fixed_replaced_reads_zero", inner.all(0), "all zero");
    let kept = m.page(0).all(0xa5).or(m.page(3).all(0xa5));
    c.bytes("mmap_fixed_keeps_the_rest", kept, "0xa5 in pages 0 and 3");
    c.success("munmap_whole", munmap(m.base, m.len));
}

/// Reads all of `fd` from offset 0 into `buf`; returns the byte count.
fn read_all(fd: usize, buf: &Mem) -> Ret {
    if let Err(e) = lseek(fd, 0, SEEK_SET).0 {
        return Ret(Err(e));
    }
    let mut done = 0;
    while done < buf.len {
        let got = raw(__NR_READ, [fd, buf.base + done, buf.len - done, 0, 0, 0]);
        match got.0 {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(_) => return got,
        }
    }
    Ret(Ok(done))
}

/// The first index where `a` and `b` differ in their first `len` bytes.
fn diff(a: &Mem, b: &Mem, len: usize) -> Option<usize> {
    (0..len).find(|&i| a.get(i) != b.get(i))
}

fn file_mapping_checks(c: &mut Checks, path: &CStr) {
    let fd = match open(path, O_RDONLY).0 {
        Ok(fd) => fd,
        Err(e) => return c.setup("file_mmap", "open FILE", Ret(Err(e))),
    };
    let Some(copy) = anon(16) else {
        return c.setup("file_mmap", "mmap", "no memory");
    };
    let size = match read_all(fd, &copy).0 {
        Ok(n) if n >= 2 * PAGE_SIZE => n,
        got => return c.setup("file_mmap", "FILE of two pages or more", Ret(got)),
    };
    c.errno(
        "mmap_unaligned_offset",
        mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd as i32, 1),
        Errno::EINVAL,
    );
    c.errno(
        "mmap_shared_write_of_rdonly_fd",
        mmap(
            0,
            PAGE_SIZE,
            PROT_READ | PROT_WRITE,
            MAP_SHARED,
            fd as i32,
            0,
        ),
        Errno::EACCES,
    );

    let len = size.min(copy.len);
    match mmap(0, len, PROT_READ, MAP_SHARED, fd as i32, 0).0 {
        Ok(base) => {
            let shared = Mem { base, len };
            c.bytes(
                "mmap_shared_read_matches_read",
                diff(&shared, &copy, len),
                "read()'s bytes",
            );
            munmap(base, len);
        }
        Err(e) => c.setup("mmap_shared_read_matches_read", "mmap", Ret(Err(e))),
    }
    match mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd as i32, 0).0 {
        Ok(base) => {
            let private = Mem { base, len };
            c.bytes(
                "mmap_private_read_matches_read",
                diff(&private, &copy, len),
                "read()'s bytes",
            );
            // An offset mapping sees the file from there.
            match mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd as i32, PAGE_SIZE).0 {
                Ok(b) => {
                    let second = Mem {
                        base: b,
                        len: PAGE_SIZE,
                    };
                    c.bytes(
                        "mmap_offset_matches_read",
                        diff(&second, &copy.page(1), PAGE_SIZE),
                        "page 1 of the file",
                    );
                    munmap(b, PAGE_SIZE);
                }
                Err(e) => c.setup("mmap_offset_matches_read", "mmap", Ret(Err(e))),
            }
            let old = private.get(100);
            private.set(100, !old);
            c.eq("mmap_private_write_sticks", private.get(100), !old);
            let mut byte = [0u8; 1];
            let got = lseek(fd, 100, SEEK_SET)
                .0
                .and_then(|_| read(fd, &mut byte).0);
            c.check(
                "mmap_private_write_leaves_file",
                got == Ok(1) && byte[0] == old,
                format_args!("{} {:#x}", Ret(got), byte[0]),
                format_args!("0x1 {old:#x}"),
            );
            match mmap(0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd as i32, 0).0 {
                Ok(b) => {
                    let other = Mem {
                        base: b,
                        len: PAGE_SIZE,
                    };
                    c.eq("mmap_private_write_unseen_by_others", other.get(100), old);
                    munmap(b, PAGE_SIZE);
                }
                Err(e) => c.setup("mmap_private_write_unseen_by_others", "mmap", Ret(Err(e))),
            }
            munmap(base, len);
        }
        Err(e) => c.setup("mmap_private_read_matches_read", "mmap", Ret(Err(e))),
    }
    close(fd);
    munmap(copy.base, copy.len);

    // A mapping needs a readable file: on a read-only filesystem (tinymm's
    // root, /data) open for writing already fails with EROFS; on a
    // writable one (the host's temporary file) the mapping gets EACCES.
    match open(path, O_WRONLY).0 {
        Err(e) => c.errno("mmap_of_wronly_file", Ret(Err(e)), Errno::EROFS),
        Ok(wfd) => {
            c.errno(
                "mmap_of_wronly_file",
                mmap(0, PAGE_SIZE, PROT_READ, MAP_SHARED, wfd as i32, 0),
                Errno::EACCES,
            );
            close(wfd);
        }
    }
}

fn munmap_mprotect_checks(c: &mut Checks) {
    let Some(m) = anon(3) else {
        return c.setup("munmap", "mmap", "no memory");
    };
    m.fill(0x5a);
    c.errno(
        "munmap_unaligned",
        munmap(m.base + 1, PAGE_SIZE),
        Errno::EINVAL,
    );
    c.errno("munmap_len_0", munmap(m.base, 0), Errno::EINVAL);
    c.success("munmap_middle", munmap(m.base + PAGE_SIZE, PAGE_SIZE));
    let ends = m.page(0).all(0x5a).or(m.page(2).all(0x5a));
    c.bytes("munmap_middle_keeps_ends", ends, "0x5a in pages 0 and 2");
    m.page(0).set(0, 1);
    m.page(2).set(PAGE_SIZE - 1, 2);
    let (first, last) = (m.page(0).get(0), m.page(2).get(PAGE_SIZE - 1));
    c.check(
        "munmap_middle_ends_writable",
        (first, last) == (1, 2),
        format_args!("{first} {last}"),
        "1 2",
    );
    c.success(
        "munmap_unmapped_range",
        munmap(m.base + PAGE_SIZE, PAGE_SIZE),
    );
    c.errno(
        "mprotect_middle_is_gone",
        mprotect(m.base + PAGE_SIZE, PAGE_SIZE, PROT_READ),
        Errno::ENOMEM,
    );
    c.errno(
        "mprotect_unaligned",
        mprotect(m.base + 1, PAGE_SIZE, PROT_READ),
        Errno::EINVAL,
    );
    // A length that overflows when rounded up to pages.
    c.errno(
        "mprotect_len_overflow",
        mprotect(m.base, usize::MAX - 100, PROT_READ),
        Errno::ENOMEM,
    );
    c.errno(
        "mprotect_range_with_hole",
        mprotect(m.base, 3 * PAGE_SIZE, PROT_READ),
        Errno::ENOMEM,
    );
    // Linux changes the part before the hole, then reports ENOMEM.
    let perms = (maps_perms(m.base), maps_perms(m.base + 2 * PAGE_SIZE));
    c.check(
        "mprotect_range_with_hole_changes_the_part_before",
        perms == (Some(*b"r--p"), Some(*b"rw-p")),
        format_args!("{} {}", Perms(perms.0), Perms(perms.1)),
        "r--p rw-p",
    );
    let p = m.page(0);
    c.success(
        "mprotect_restore",
        mprotect(p.base, PAGE_SIZE, PROT_READ | PROT_WRITE),
    );
    p.fill(0x77);
    c.success("mprotect_read_only", mprotect(p.base, PAGE_SIZE, PROT_READ));
    c.bytes("mprotect_read_only_keeps_contents", p.all(0x77), "all 0x77");
    c.success(
        "mprotect_read_write",
        mprotect(p.base, PAGE_SIZE, PROT_READ | PROT_WRITE),
    );
    p.fill(0x33);
    c.bytes("mprotect_read_write_writes", p.all(0x33), "all 0x33");
    munmap(m.base, m.len);
}

/// Reads a whole /proc file into `buf`; returns its length.
fn read_proc(path: &CStr, buf: &mut [u8]) -> Option<usize> {
    let fd = open(path, O_RDONLY).ok()?;
    let mut len = 0;
    while len < buf.len() {
        match read(fd, &mut buf[len..]).0 {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
    }
    close(fd);
    Some(len)
}

/// The permissions (`rw-p`) /proc/self/maps shows for the mapping at `addr`.
fn maps_perms(addr: usize) -> Option<[u8; 4]> {
    let mut buf = [0u8; 8192];
    let len = read_proc(c"/proc/self/maps", &mut buf)?;
    let text = core::str::from_utf8(&buf[..len]).ok()?;
    text.lines().find_map(|l| {
        let (range, rest) = l.split_once(' ')?;
        let (start, end) = range.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        let perms = rest.as_bytes().get(..4)?;
        (start <= addr && addr < end).then(|| perms.try_into().ok())?
    })
}

/// Shows `maps_perms` as text or `none`.
struct Perms(Option<[u8; 4]>);

impl Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(p) => write!(f, "{}", Bytes(p)),
            None => f.write_str("none"),
        }
    }
}

fn madvise_checks(c: &mut Checks, path: &CStr) {
    let Some(m) = anon(4) else {
        return c.setup("madvise", "mmap", "no memory");
    };
    m.fill(0xee);
    c.success(
        "madvise_dontneed_anon",
        madvise(m.base, 2 * PAGE_SIZE, MADV_DONTNEED),
    );
    let zero = m.page(0).all(0).or(m.page(1).all(0));
    c.bytes(
        "madvise_dontneed_anon_reads_zero",
        zero,
        "zero in pages 0 and 1",
    );
    let kept = m.page(2).all(0xee).or(m.page(3).all(0xee));
    c.bytes(
        "madvise_dontneed_anon_rest_kept",
        kept,
        "0xee in pages 2 and 3",
    );
    c.errno(
        "madvise_unknown_advice",
        madvise(m.base, PAGE_SIZE, 12345),
        Errno::EINVAL,
    );
    c.errno(
        "madvise_unaligned",
        madvise(m.base + 1, PAGE_SIZE, MADV_NORMAL),
        Errno::EINVAL,
    );
    // A length that overflows when rounded up to pages.
    c.errno(
        "madvise_len_overflow",
        madvise(m.base, usize::MAX - 100, MADV_DONTNEED),
        Errno::EINVAL,
    );
    munmap(m.base + PAGE_SIZE, PAGE_SIZE);
    c.errno(
        "madvise_range_with_hole",
        madvise(m.base, 3 * PAGE_SIZE, MADV_NORMAL),
        Errno::ENOMEM,
    );
    munmap(m.base, m.len);

    let fd = match open(path, O_RDONLY).0 {
        Ok(fd) => fd,
        Err(e) => return c.setup("madvise_dontneed_file", "open FILE", Ret(Err(e))),
    };
    match mmap(
        0,
        PAGE_SIZE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE,
        fd as i32,
        0,
    )
    .0
    {
        Ok(base) => {
            let p = Mem {
                base,
                len: PAGE_SIZE,
            };
            let mut first = [0u8; 64];
            let got = lseek(fd, 0, SEEK_SET)
                .0
                .and_then(|_| read(fd, &mut first).0);
            let old = p.get(7);
            p.set(7, !old);
            let dropped = madvise(base, PAGE_SIZE, MADV_DONTNEED);
            c.success("madvise_dontneed_file", dropped);
            let back = (0..first.len()).find(|&i| p.get(i) != first[i]);
            c.check(
                "madvise_dontneed_file_rereads_file",
                got == Ok(64) && back.is_none(),
                format_args!("read {} mismatch at {back:?}", Ret(got)),
                "the file's bytes",
            );
            munmap(base, PAGE_SIZE);
        }
        Err(e) => c.setup("madvise_dontneed_file", "mmap", Ret(Err(e))),
    }
    close(fd);
}

/// `VmLck` of /proc/self/status in kB.
fn vm_lck() -> Option<u64> {
    let mut buf = [0u8; 8192];
    let len = read_proc(c"/proc/self/status", &mut buf)?;
    let text = core::str::from_utf8(&buf[..len]).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("VmLck:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
}

/// Shows an optional number as itself or `none`.
struct Opt(Option<u64>);

impl Display for Opt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v}"),
            None => f.write_str("none"),
        }
    }
}

fn mlock_checks(c: &mut Checks) {
    const LEN: usize = 64 << 10;
    let Some(m) = anon(LEN / PAGE_SIZE) else {
        return c.setup("mlock", "mmap", "no memory");
    };
    let before = vm_lck();
    c.success("mlock", raw(__NR_MLOCK, [m.base, LEN, 0, 0, 0, 0]));
    let during = vm_lck();
    c.eq(
        "mlock_grows_vmlck",
        Opt(during),
        Opt(before.map(|b| b + (LEN as u64 >> 10))),
    );
    c.bytes("mlock_keeps_zero", m.all(0), "all zero");
    c.success("mlock_again", raw(__NR_MLOCK, [m.base, LEN, 0, 0, 0, 0]));
    c.eq("mlock_again_counts_once", Opt(vm_lck()), Opt(during));
    c.success("munlock", raw(__NR_MUNLOCK, [m.base, LEN, 0, 0, 0, 0]));
    c.eq("munlock_shrinks_vmlck", Opt(vm_lck()), Opt(before));
    munmap(m.base, m.len);
    c.errno(
        "mlock_unmapped",
        raw(__NR_MLOCK, [m.base, LEN, 0, 0, 0, 0]),
        Errno::ENOMEM,
    );
    // Like mprotect, Linux locks the part before a hole, then fails.
    let Some(m) = anon(3) else {
        return c.setup("mlock_range_with_hole", "mmap", "no memory");
    };
    munmap(m.base + PAGE_SIZE, PAGE_SIZE);
    c.errno(
        "mlock_range_with_hole",
        raw(__NR_MLOCK, [m.base, m.len, 0, 0, 0, 0]),
        Errno::ENOMEM,
    );
    c.eq(
        "mlock_range_with_hole_locks_the_part_before",
        Opt(vm_lck()),
        Opt(before.map(|b| b + (PAGE_SIZE as u64 >> 10))),
    );
    munmap(m.base, m.len);
    c.eq("munmap_unlocks", Opt(vm_lck()), Opt(before));
}

impl PartialEq for Opt {
    fn eq(&self, other: &Self) -> bool {
        self.0.is_some() && self.0 == other.0
    }
}

fn brk_checks(c: &mut Checks) {
    const GROW: usize = 64 << 10;
    let Some(start) = brk(0).ok() else {
        return c.setup("brk", "brk(0)", brk(0));
    };
    c.check("brk_0_is_the_break", start != 0, Ret(Ok(start)), "nonzero");
    c.eq("brk_0_again_same", brk(0), Ret(Ok(start)));
    let grown = brk(start + GROW);
    c.eq("brk_grow", grown, Ret(Ok(start + GROW)));
    if grown == Ret(Ok(start + GROW)) {
        let heap = Mem {
            base: start,
            len: GROW,
        };
        c.bytes("brk_grown_reads_zero", heap.all(0), "all zero");
        heap.fill(0x42);
        c.bytes("brk_grown_writable", heap.all(0x42), "all 0x42");
        c.eq("brk_0_after_grow", brk(0), Ret(Ok(start + GROW)));
    }
    c.eq("brk_shrink", brk(start), Ret(Ok(start)));
    // The pages above the (page-rounded) break are gone.
    let above = start.div_ceil(PAGE_SIZE) * PAGE_SIZE + PAGE_SIZE;
    c.errno(
        "brk_shrunk_is_unmapped",
        mprotect(above, PAGE_SIZE, PROT_READ),
        Errno::ENOMEM,
    );
    c.eq("brk_below_start", brk(PAGE_SIZE), Ret(Ok(start)));
}

fn file_checks(c: &mut Checks, path: &CStr) {
    c.errno(
        "open_missing",
        open(c"/nonexistent-vmcheck", O_RDONLY),
        Errno::ENOENT,
    );
    c.errno(
        "open_directory_of_file",
        open(path, O_RDONLY | O_DIRECTORY),
        Errno::ENOTDIR,
    );
    match open(c"/", O_RDONLY | O_DIRECTORY).0 {
        Ok(dir) => {
            let mut buf = [0u8; 16];
            c.errno("read_directory", read(dir, &mut buf), Errno::EISDIR);
            close(dir);
        }
        Err(e) => c.setup("read_directory", "open /", Ret(Err(e))),
    }

    let fd = match open(path, O_RDONLY).0 {
        Ok(fd) => fd,
        Err(e) => return c.setup("files", "open FILE", Ret(Err(e))),
    };
    let mut stat = [0u64; 18];
    let got = raw(__NR_FSTAT, [fd, stat.as_mut_ptr() as usize, 0, 0, 0, 0]);
    c.success("fstat", got);
    let mut size = 0;
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = read(fd, &mut buf).0 {
        size += n;
    }
    c.eq("fstat_size_is_bytes_read", stat[6], size as u64);
    c.eq("lseek_set", lseek(fd, 100, SEEK_SET), Ret(Ok(100)));
    c.eq("lseek_cur", lseek(fd, 10, SEEK_CUR), Ret(Ok(110)));
    c.eq("lseek_end", lseek(fd, -1, SEEK_END), Ret(Ok(size - 1)));
    c.errno(
        "lseek_negative",
        lseek(fd, -(size as i64) - 1, SEEK_END),
        Errno::EINVAL,
    );
    c.eq(
        "lseek_negative_keeps_offset",
        lseek(fd, 0, SEEK_CUR),
        Ret(Ok(size - 1)),
    );
    c.errno("lseek_bad_whence", lseek(fd, 0, 77), Errno::EINVAL);
    c.success("close", close(fd));
    c.errno("close_twice", close(fd), Errno::EBADF);
    c.errno("read_unopened_fd", read(999, &mut buf), Errno::EBADF);
    c.errno(
        "write_bad_pointer",
        raw(__NR_WRITE, [1, 1, 10, 0, 0, 0]),
        Errno::EFAULT,
    );
    c.errno(
        "mkdir_existing",
        raw(__NR_MKDIR, [c"/proc".as_ptr() as usize, 0o755, 0, 0, 0, 0]),
        Errno::EEXIST,
    );
    // On a writable mount (tinymm's root is read-only, and EROFS comes
    // before the lookup there, as on Linux).
    c.errno(
        "rmdir_missing",
        raw(
            __NR_RMDIR,
            [
                c"/sys/fs/cgroup/nonexistent-vmcheck".as_ptr() as usize,
                0,
                0,
                0,
                0,
                0,
            ],
        ),
        Errno::ENOENT,
    );
}

fn misc_checks(c: &mut Checks) {
    let ppid = raw(__NR_GETPPID, [0; 6]);
    c.check("getppid_positive", matches!(ppid.0, Ok(1..)), ppid, "> 0");
    let mut uts = [0u8; 6 * 65];
    let got = raw(__NR_UNAME, [uts.as_mut_ptr() as usize, 0, 0, 0, 0, 0]);
    let sysname = uts[..65].split(|&b| b == 0).next().unwrap_or(&[]);
    c.check(
        "uname_sysname",
        got == Ret(Ok(0)) && sysname == b"Linux",
        format_args!("{got} \"{}\"", Bytes(sysname)),
        "0x0 \"Linux\"",
    );
    c.errno("unknown_syscall", raw(1000, [0; 6]), Errno::ENOSYS);
    let mut ts = [0i64; 2];
    c.errno(
        "clock_gettime_bad_clock",
        raw(
            __NR_CLOCK_GETTIME,
            [100, ts.as_mut_ptr() as usize, 0, 0, 0, 0],
        ),
        Errno::EINVAL,
    );
    let a = sys::clock_gettime_ns(CLOCK_MONOTONIC);
    let b = sys::clock_gettime_ns(CLOCK_MONOTONIC);
    c.check(
        "clock_monotonic_goes_forward",
        matches!((a, b), (Ok(a), Ok(b)) if b >= a),
        format_args!("{a:?} then {b:?}"),
        "non-decreasing",
    );
}
