//! `syscheck FILE`: a self-checking test of the process-wide syscalls
//! (credentials, umask, rlimits, rusage and times, uname, sysinfo,
//! getrandom, prctl names, affinity and policy, process groups and
//! sessions, the clocks and sleeps, futex), in the manner of vmcheck. Each
//! check prints `syscheck: ok NAME` or `syscheck: FAIL NAME: got X, want
//! Y`; the last line is `N passed, M failed` and the exit status is 0 only
//! if none failed. Every expectation holds on the host's Linux too
//! (tests/user.rs runs it there), so values that differ between machines
//! (limits the caller inherited, RAM, the CPU count) are only checked for
//! their shape. FILE is a regular file of at least two pages; a shared
//! futex is tried on a MAP_SHARED mapping of it.
//!
//! Other modes:
//! - `syscheck show`: the values that depend on the kernel (every rlimit,
//!   uname, umask, sysinfo's units), one per line, for tests that assert
//!   tinymm's.
//! - `syscheck futex-wait FILE` / `syscheck futex-wake FILE`: two
//!   processes meet on a shared futex in the file's second page, mapped
//!   at different offsets; the waiter prints `futex-wait: 0` when woken,
//!   the waker `futex-wake: woke 1` once its wake found the waiter.
//! - `syscheck reboot`: reboot(2) calls that must return: bad magic
//!   numbers and an unknown command, then CAD_OFF and CAD_ON, one
//!   `reboot: NAME RESULT` line each (only in a guest: on the host the
//!   caller may lack CAP_SYS_BOOT, which Linux checks first).
//! - `syscheck nosys`: calls syscalls tinymm does not implement, each
//!   twice, and prints their results (for the test of the kernel's
//!   once-per-number log line).

#![no_std]
#![no_main]

use core::ffi::CStr;
use core::fmt::{self, Display};

use user::errno::Errno;
use user::futex::*;
use user::io::usage;
use user::resource::*;
use user::sys::{
    self, CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID,
    CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, O_RDONLY,
    PAGE_SIZE, PROT_READ, PROT_WRITE,
};
use user::time::TIMER_ABSTIME;
use user::unistd_64::*;
use user::{Args, outln};

user::entry!(main);

const USAGE: &str = "syscheck FILE | show | futex-wait FILE | futex-wake FILE | nosys | reboot";

/// A pid no process can have (above `PID_MAX_LIMIT`).
const NO_PID: usize = 0x7fff_fff0;
/// An address no user mapping can be at.
const BAD_PTR: usize = 0xffff_8000_0000_0000;

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
    // Pointers passed are live buffers of the sizes the call writes,
    // deliberately bad ones the kernel must refuse, or mappings syscheck
    // made itself and no Rust reference points into.
    // SAFETY: as above: the kernel never writes memory we still borrow.
    let ret = unsafe { sys::syscall6(nr, a) };
    Ret(if (-4095..0).contains(&ret) {
        Err(-ret as i32)
    } else {
        Ok(ret as usize)
    })
}

fn sc0(nr: usize) -> Ret {
    raw(nr, [0; 6])
}

fn sc2(nr: usize, a: usize, b: usize) -> Ret {
    raw(nr, [a, b, 0, 0, 0, 0])
}

fn sc3(nr: usize, a: usize, b: usize, c: usize) -> Ret {
    raw(nr, [a, b, c, 0, 0, 0])
}

fn sc4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> Ret {
    raw(nr, [a, b, c, d, 0, 0])
}

fn ptr<T>(v: &mut T) -> usize {
    v as *mut T as usize
}

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn pass(&mut self, name: &str) {
        self.passed += 1;
        outln!("syscheck: ok {name}");
    }

    fn fail(&mut self, name: &str, got: impl Display, want: impl Display) {
        self.failed += 1;
        outln!("syscheck: FAIL {name}: got {got}, want {want}");
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

    fn val(&mut self, name: &str, got: Ret, want: usize) {
        self.eq(name, got, Ret(Ok(want)));
    }
}

fn main(args: Args) -> i32 {
    let mode = args.get(1).map(CStr::to_bytes);
    match (mode, args.len()) {
        (Some(b"show"), 2) => show(),
        (Some(b"nosys"), 2) => nosys(),
        (Some(b"reboot"), 2) => reboot_mode(),
        (Some(b"futex-wait"), 3) => futex_wait_mode(args.get(2).unwrap()),
        (Some(b"futex-wake"), 3) => futex_wake_mode(args.get(2).unwrap()),
        (Some(b"show" | b"nosys" | b"reboot" | b"futex-wait" | b"futex-wake"), _) => {
            usage("syscheck", format_args!("wrong number of arguments"), USAGE)
        }
        (Some(_), 2) => checks(args.get(1).unwrap()),
        _ => usage("syscheck", format_args!("bad arguments"), USAGE),
    }
}

fn checks(path: &CStr) -> i32 {
    let mut c = Checks {
        passed: 0,
        failed: 0,
    };
    cred_checks(&mut c);
    rlimit_checks(&mut c, path);
    rusage_checks(&mut c);
    info_checks(&mut c);
    random_checks(&mut c);
    prctl_checks(&mut c);
    sched_checks(&mut c);
    pgrp_checks(&mut c);
    time_checks(&mut c);
    futex_checks(&mut c, path);
    outln!("{} passed, {} failed", c.passed, c.failed);
    if c.failed == 0 { 0 } else { 1 }
}

fn cred_checks(c: &mut Checks) {
    for (name, nr) in [
        ("getuid", __NR_GETUID),
        ("geteuid", __NR_GETEUID),
        ("getgid", __NR_GETGID),
        ("getegid", __NR_GETEGID),
    ] {
        c.val(name, sc0(nr), 0);
    }
    for (name, nr) in [("getresuid", __NR_GETRESUID), ("getresgid", __NR_GETRESGID)] {
        let mut ids = [7u32; 3];
        let [r, e, s] = &mut ids;
        let ret = sc3(nr, ptr(r), ptr(e), ptr(s));
        c.check(
            name,
            ret.ok() == Some(0) && ids == [0; 3],
            ret,
            "0 and ids 0",
        );
    }
    let mut id = 0u32;
    c.errno(
        "getresuid_efault",
        sc3(__NR_GETRESUID, ptr(&mut id), BAD_PTR, ptr(&mut id)),
        Errno::EFAULT,
    );
    c.val("setuid_0", sc2(__NR_SETUID, 0, 0), 0);
    c.val("setgid_0", sc2(__NR_SETGID, 0, 0), 0);
    c.errno(
        "setuid_minus_1",
        sc2(__NR_SETUID, u32::MAX as usize, 0),
        Errno::EINVAL,
    );

    let old = sc2(__NR_UMASK, 0o27, 0);
    c.check(
        "umask_set",
        old.ok().is_some_and(|v| v <= 0o777),
        old,
        "an old mask",
    );
    c.val("umask_returns_previous", sc2(__NR_UMASK, 0o7777, 0), 0o27);
    c.val(
        "umask_keeps_permission_bits",
        sc2(__NR_UMASK, old.ok().unwrap_or(0o22), 0),
        0o777,
    );
}

fn getrlimit(resource: usize) -> (Ret, [u64; 2]) {
    let mut r = [0u64; 2];
    (sc2(__NR_GETRLIMIT, resource, ptr(&mut r)), r)
}

fn rlimit_checks(c: &mut Checks, path: &CStr) {
    let (ret, stack) = getrlimit(RLIMIT_STACK);
    c.check(
        "getrlimit_stack",
        ret.ok() == Some(0) && stack[0] <= stack[1],
        ret,
        "0, soft <= hard",
    );
    let (ret, nofile) = getrlimit(RLIMIT_NOFILE);
    c.val("getrlimit_nofile", ret, 0);
    let mut r = [0u64; 2];
    c.errno(
        "getrlimit_bad_resource",
        sc2(__NR_GETRLIMIT, RLIM_NLIMITS, ptr(&mut r)),
        Errno::EINVAL,
    );
    c.errno(
        "getrlimit_efault",
        sc2(__NR_GETRLIMIT, RLIMIT_NOFILE, BAD_PTR),
        Errno::EFAULT,
    );
    c.errno(
        "setrlimit_efault",
        sc2(__NR_SETRLIMIT, RLIMIT_NOFILE, BAD_PTR),
        Errno::EFAULT,
    );
    let mut bad = [10u64, 9];
    c.errno(
        "setrlimit_soft_above_hard",
        sc2(__NR_SETRLIMIT, RLIMIT_NOFILE, ptr(&mut bad)),
        Errno::EINVAL,
    );
    let mut huge = [64u64, RLIM_INFINITY];
    c.errno(
        "setrlimit_nofile_above_nr_open",
        sc2(__NR_SETRLIMIT, RLIMIT_NOFILE, ptr(&mut huge)),
        Errno::EPERM,
    );
    let mut low = [64u64, nofile[1]];
    c.val(
        "setrlimit_nofile_64",
        sc2(__NR_SETRLIMIT, RLIMIT_NOFILE, ptr(&mut low)),
        0,
    );
    let (_, now) = getrlimit(RLIMIT_NOFILE);
    c.eq("getrlimit_reads_back", now[0], 64);
    let mut old = [0u64; 2];
    let ret = sc4(__NR_PRLIMIT64, 0, RLIMIT_NOFILE, 0, ptr(&mut old));
    c.check(
        "prlimit64_self_old",
        ret.ok() == Some(0) && old == low,
        ret,
        "0 and (64, hard)",
    );
    let pid = sys::getpid() as usize;
    let mut new = [65u64, nofile[1]];
    let ret = sc4(
        __NR_PRLIMIT64,
        pid,
        RLIMIT_NOFILE,
        ptr(&mut new),
        ptr(&mut old),
    );
    c.check(
        "prlimit64_pid_new_and_old",
        ret.ok() == Some(0) && old == low && getrlimit(RLIMIT_NOFILE).1 == new,
        ret,
        "0, old (64, hard), new (65, hard)",
    );
    c.errno(
        "prlimit64_esrch",
        sc4(__NR_PRLIMIT64, NO_PID, RLIMIT_NOFILE, 0, ptr(&mut old)),
        Errno::ESRCH,
    );
    c.errno(
        "prlimit64_bad_resource",
        sc4(__NR_PRLIMIT64, 0, 99, 0, ptr(&mut old)),
        Errno::EINVAL,
    );
    c.errno(
        "prlimit64_new_efault",
        sc4(__NR_PRLIMIT64, 0, RLIMIT_NOFILE, BAD_PTR, 0),
        Errno::EFAULT,
    );
    // The soft limit bounds descriptors: 65 means fds 0..=64.
    let mut last = None;
    let err = loop {
        match sys::open(path, O_RDONLY) {
            Ok(fd) => last = Some(fd),
            Err(e) => break e,
        }
    };
    c.check(
        "open_stops_at_nofile_soft_limit",
        last == Some(64) && err.errno() == Some(Errno::EMFILE),
        format_args!("last fd {last:?}, then {err}"),
        "last fd 64, then EMFILE",
    );
    for fd in 3..=64 {
        let _ = sys::close(fd);
    }
    let mut restore = nofile;
    c.val(
        "setrlimit_restore",
        sc2(__NR_SETRLIMIT, RLIMIT_NOFILE, ptr(&mut restore)),
        0,
    );
}

/// `struct rusage` as 18 words: utime, stime (timevals), then maxrss ...
fn getrusage(who: isize) -> (Ret, [u64; 18]) {
    let mut ru = [0u64; 18];
    (sc2(__NR_GETRUSAGE, who as usize, ptr(&mut ru)), ru)
}

fn usecs(ru: &[u64; 18]) -> u64 {
    (ru[0] + ru[2]) * 1_000_000 + ru[1] + ru[3]
}

fn cputime_ns() -> u64 {
    sys::clock_gettime_ns(CLOCK_PROCESS_CPUTIME_ID).unwrap_or(0)
}

fn rusage_checks(c: &mut Checks) {
    let (ret, before) = getrusage(RUSAGE_SELF as isize);
    c.val("getrusage_self", ret, 0);
    c.check("rusage_maxrss_kib", before[4] > 0, before[4], "> 0");
    // Touch 16 new pages: at least 16 more minor faults.
    if let Ok(p) = sys::mmap(
        16 * PAGE_SIZE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    ) {
        for i in 0..16 {
            // SAFETY: inside the 16-page mapping just made, which nothing
            // else references.
            unsafe { p.add(i * PAGE_SIZE).write_volatile(1) };
        }
    }
    let (_, after) = getrusage(RUSAGE_SELF as isize);
    c.check(
        "rusage_minflt_counts_faults",
        after[8] >= before[8] + 16,
        format_args!("{} -> {}", before[8], after[8]),
        "16 more",
    );
    // Burn 30 ms of CPU time; user + system time must show it.
    let start = cputime_ns();
    let mut spins = 0u64;
    while cputime_ns() < start + 30_000_000 && spins < 1 << 40 {
        spins = core::hint::black_box(spins + 1);
    }
    let (_, burnt) = getrusage(RUSAGE_SELF as isize);
    c.check(
        "rusage_time_counts_cpu",
        usecs(&burnt) >= usecs(&after) + 25_000,
        format_args!("{} -> {} us", usecs(&after), usecs(&burnt)),
        "25 ms more",
    );
    let (ret, thread) = getrusage(RUSAGE_THREAD as isize);
    c.check(
        "getrusage_thread",
        ret.ok() == Some(0) && usecs(&thread) >= usecs(&burnt),
        ret,
        "0 and the time so far",
    );
    let (ret, children) = getrusage(RUSAGE_CHILDREN as isize);
    c.check(
        "getrusage_children_none",
        ret.ok() == Some(0) && usecs(&children) == 0 && children[8] == 0,
        ret,
        "0 with zero usage",
    );
    c.errno(
        "getrusage_both_einval",
        getrusage(RUSAGE_BOTH as isize).0,
        Errno::EINVAL,
    );
    c.errno("getrusage_bad_who", getrusage(5).0, Errno::EINVAL);
    c.errno(
        "getrusage_efault",
        sc2(__NR_GETRUSAGE, 0, BAD_PTR),
        Errno::EFAULT,
    );

    let mut tms = [0u64; 4];
    let ret = sc2(__NR_TIMES, ptr(&mut tms), 0);
    c.check(
        "times_counts_cpu",
        ret.ok().is_some() && tms[0] + tms[1] >= 2 && tms[2] + tms[3] == 0,
        format_args!("{ret} {tms:?}"),
        "user + system >= 2 ticks, children 0",
    );
    let t1 = sc2(__NR_TIMES, 0, 0);
    c.check(
        "times_null",
        t1.ok().is_some_and(|v| v > 0),
        t1,
        "clock ticks",
    );
    c.errno("times_efault", sc2(__NR_TIMES, BAD_PTR, 0), Errno::EFAULT);
}

fn field(uts: &[u8; 390], i: usize) -> &[u8] {
    let f = &uts[i * 65..(i + 1) * 65];
    &f[..f.iter().position(|&b| b == 0).unwrap_or(65)]
}

fn info_checks(c: &mut Checks) {
    let mut uts = [0u8; 390];
    c.val("uname", sc2(__NR_UNAME, ptr(&mut uts), 0), 0);
    c.check("uname_sysname", field(&uts, 0) == b"Linux", "?", "Linux");
    c.check("uname_machine", field(&uts, 4) == b"x86_64", "?", "x86_64");
    c.check(
        "uname_release",
        !field(&uts, 2).is_empty(),
        "empty",
        "a release",
    );
    c.errno("uname_efault", sc2(__NR_UNAME, BAD_PTR, 0), Errno::EFAULT);

    let mut si = [0u64; 14];
    c.val("sysinfo", sc2(__NR_SYSINFO, ptr(&mut si), 0), 0);
    let (uptime, total, free, shared) = (si[0], si[4], si[5], si[6]);
    let procs = si[10] as u16;
    let mem_unit = si[13] as u32;
    c.eq("sysinfo_mem_unit", mem_unit, 1);
    c.check("sysinfo_uptime", uptime > 0, uptime, "> 0 s");
    c.check(
        "sysinfo_ram",
        total > 0 && free <= total && shared <= total,
        format_args!("total {total} free {free} shared {shared}"),
        "free, shared <= total",
    );
    c.check("sysinfo_procs", procs >= 1, procs, ">= 1");
    c.errno(
        "sysinfo_efault",
        sc2(__NR_SYSINFO, BAD_PTR, 0),
        Errno::EFAULT,
    );
}

fn getrandom(buf: &mut [u8], flags: u32) -> Ret {
    sc3(
        __NR_GETRANDOM,
        buf.as_mut_ptr() as usize,
        buf.len(),
        flags as usize,
    )
}

fn random_checks(c: &mut Checks) {
    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    c.val("getrandom_64", getrandom(&mut a, 0), 64);
    c.val("getrandom_again", getrandom(&mut b, 0), 64);
    c.check(
        "getrandom_differs",
        a != b && a != [0; 64],
        "same bytes",
        "different bytes",
    );
    let mut big = [0u8; 8192];
    c.val("getrandom_8192", getrandom(&mut big, 0), 8192);
    c.check(
        "getrandom_8192_filled",
        big[4096..4160] != [0; 64] && big[8128..] != [0; 64],
        "zeros",
        "random bytes",
    );
    c.val("getrandom_nonblock", getrandom(&mut a, GRND_NONBLOCK), 64);
    c.val("getrandom_insecure", getrandom(&mut a, GRND_INSECURE), 64);
    c.val("getrandom_random", getrandom(&mut a, GRND_RANDOM), 64);
    c.val("getrandom_0", getrandom(&mut a[..0], 0), 0);
    c.errno(
        "getrandom_random_insecure",
        getrandom(&mut a, GRND_RANDOM | GRND_INSECURE),
        Errno::EINVAL,
    );
    c.errno("getrandom_bad_flag", getrandom(&mut a, 8), Errno::EINVAL);
    c.errno(
        "getrandom_null",
        sc3(__NR_GETRANDOM, 0, 16, 0),
        Errno::EFAULT,
    );
    c.errno(
        "getrandom_kernel_ptr",
        sc3(__NR_GETRANDOM, BAD_PTR, 16, 0),
        Errno::EFAULT,
    );
}

fn prctl_checks(c: &mut Checks) {
    let name = c"syscheck-renamed-long";
    c.val(
        "prctl_set_name",
        sc2(__NR_PRCTL, PR_SET_NAME as usize, name.as_ptr() as usize),
        0,
    );
    let mut got = [0xffu8; 16];
    c.val(
        "prctl_get_name",
        sc2(__NR_PRCTL, PR_GET_NAME as usize, ptr(&mut got)),
        0,
    );
    c.check(
        "prctl_name_truncated_to_15",
        &got == b"syscheck-rename\0",
        user::io::Bytes(&got),
        "syscheck-rename",
    );
    let mut status = [0u8; 64];
    let read = sys::open(c"/proc/self/status", O_RDONLY).and_then(|fd| {
        let n = sys::read(fd, &mut status);
        let _ = sys::close(fd);
        n
    });
    c.check(
        "proc_status_shows_name",
        read.is_ok() && status.starts_with(b"Name:\tsyscheck-rename\n"),
        user::io::Bytes(&status[..read.unwrap_or(0).min(24)]),
        "Name:\\tsyscheck-rename",
    );
    c.errno(
        "prctl_set_name_efault",
        sc2(__NR_PRCTL, PR_SET_NAME as usize, BAD_PTR),
        Errno::EFAULT,
    );
    c.errno(
        "prctl_get_name_efault",
        sc2(__NR_PRCTL, PR_GET_NAME as usize, BAD_PTR),
        Errno::EFAULT,
    );
    c.errno("prctl_bad_option", sc2(__NR_PRCTL, 9999, 0), Errno::EINVAL);
    let short = c"sys";
    sc2(__NR_PRCTL, PR_SET_NAME as usize, short.as_ptr() as usize);
    let mut got = [0xffu8; 16];
    sc2(__NR_PRCTL, PR_GET_NAME as usize, ptr(&mut got));
    c.check(
        "prctl_name_nul_padded",
        &got == b"sys\0\0\0\0\0\0\0\0\0\0\0\0\0",
        user::io::Bytes(&got),
        "sys and NULs",
    );
}

fn sched_checks(c: &mut Checks) {
    let mut mask = [0u64; 16];
    let m = ptr(&mut mask);
    let ret = sc3(__NR_SCHED_GETAFFINITY, 0, 8, m);
    c.check(
        "getaffinity",
        ret.ok() == Some(8) && mask[0] & 1 == 1,
        ret,
        "8 with CPU 0",
    );
    // Linux returns its cpumask size, 8 bytes per 64 CPUs of NR_CPUS.
    let ret = sc3(__NR_SCHED_GETAFFINITY, 0, 128, m);
    c.check(
        "getaffinity_long_buffer",
        ret.ok().is_some_and(|n| n >= 8 && n % 8 == 0 && n <= 128),
        ret,
        "the mask size",
    );
    c.errno(
        "getaffinity_len_0",
        sc3(__NR_SCHED_GETAFFINITY, 0, 0, m),
        Errno::EINVAL,
    );
    c.errno(
        "getaffinity_len_4",
        sc3(__NR_SCHED_GETAFFINITY, 0, 4, m),
        Errno::EINVAL,
    );
    c.errno(
        "getaffinity_len_12",
        sc3(__NR_SCHED_GETAFFINITY, 0, 12, m),
        Errno::EINVAL,
    );
    c.errno(
        "getaffinity_esrch",
        sc3(__NR_SCHED_GETAFFINITY, NO_PID, 8, m),
        Errno::ESRCH,
    );
    c.errno(
        "getaffinity_efault",
        sc3(__NR_SCHED_GETAFFINITY, 0, 8, BAD_PTR),
        Errno::EFAULT,
    );
    let mut one = 1u64;
    c.val(
        "setaffinity_cpu0",
        sc3(__NR_SCHED_SETAFFINITY, 0, 8, ptr(&mut one)),
        0,
    );
    mask[0] = 0;
    let ret = sc3(__NR_SCHED_GETAFFINITY, 0, 8, m);
    c.check(
        "getaffinity_after_set",
        ret.ok() == Some(8) && mask[0] == 1,
        format_args!("{ret} {:#x}", mask[0]),
        "8 with mask 0x1",
    );
    c.val(
        "setaffinity_short_len",
        sc3(__NR_SCHED_SETAFFINITY, 0, 4, ptr(&mut one)),
        0,
    );
    let mut none = 0u64;
    c.errno(
        "setaffinity_empty",
        sc3(__NR_SCHED_SETAFFINITY, 0, 8, ptr(&mut none)),
        Errno::EINVAL,
    );
    let mut high = 1u64 << 63;
    c.errno(
        "setaffinity_offline_cpu",
        sc3(__NR_SCHED_SETAFFINITY, 0, 8, ptr(&mut high)),
        Errno::EINVAL,
    );
    c.errno(
        "setaffinity_esrch",
        sc3(__NR_SCHED_SETAFFINITY, NO_PID, 8, ptr(&mut one)),
        Errno::ESRCH,
    );
    c.errno(
        "setaffinity_efault",
        sc3(__NR_SCHED_SETAFFINITY, 0, 8, BAD_PTR),
        Errno::EFAULT,
    );

    c.val(
        "getscheduler",
        sc2(__NR_SCHED_GETSCHEDULER, 0, 0),
        SCHED_OTHER as usize,
    );
    c.errno(
        "getscheduler_negative",
        sc2(__NR_SCHED_GETSCHEDULER, -1isize as usize, 0),
        Errno::EINVAL,
    );
    c.errno(
        "getscheduler_esrch",
        sc2(__NR_SCHED_GETSCHEDULER, NO_PID, 0),
        Errno::ESRCH,
    );
    let mut prio = 7i32;
    let ret = sc2(__NR_SCHED_GETPARAM, 0, ptr(&mut prio));
    c.check(
        "getparam",
        ret.ok() == Some(0) && prio == 0,
        ret,
        "0 with priority 0",
    );
    c.errno(
        "getparam_null",
        sc2(__NR_SCHED_GETPARAM, 0, 0),
        Errno::EINVAL,
    );
    c.errno(
        "getparam_efault",
        sc2(__NR_SCHED_GETPARAM, 0, BAD_PTR),
        Errno::EFAULT,
    );
}

fn pgrp_checks(c: &mut Checks) {
    let pid = sys::getpid() as usize;
    c.val("setsid", sc0(__NR_SETSID), pid);
    c.val("getsid_self", sc2(__NR_GETSID, 0, 0), pid);
    c.val("getsid_pid", sc2(__NR_GETSID, pid, 0), pid);
    c.val("getpgrp", sc0(__NR_GETPGRP), pid);
    c.val("getpgid_self", sc2(__NR_GETPGID, 0, 0), pid);
    c.errno("setsid_again", sc0(__NR_SETSID), Errno::EPERM);
    c.errno(
        "setpgid_session_leader",
        sc2(__NR_SETPGID, 0, 0),
        Errno::EPERM,
    );
    c.errno(
        "setpgid_negative",
        sc2(__NR_SETPGID, 0, -1isize as usize),
        Errno::EINVAL,
    );
    c.errno("setpgid_esrch", sc2(__NR_SETPGID, NO_PID, 0), Errno::ESRCH);
    c.errno("setpgid_not_child", sc2(__NR_SETPGID, 1, 0), Errno::ESRCH);
    c.errno("getpgid_esrch", sc2(__NR_GETPGID, NO_PID, 0), Errno::ESRCH);
    c.errno("getsid_esrch", sc2(__NR_GETSID, NO_PID, 0), Errno::ESRCH);
    c.val("kill_own_group", sc2(__NR_KILL, 0, 0), 0);
    c.val(
        "kill_group_by_id",
        sc2(__NR_KILL, (-(pid as isize)) as usize, 0),
        0,
    );
    c.errno(
        "kill_empty_group",
        sc2(__NR_KILL, (-(NO_PID as isize)) as usize, 0),
        Errno::ESRCH,
    );
    c.errno(
        "kill_int_min",
        sc2(__NR_KILL, i32::MIN as usize, 0),
        Errno::ESRCH,
    );
}

/// A `struct timespec` `ns` from now on `clock`.
fn after(clock: i32, ns: u64) -> [i64; 2] {
    let t = sys::clock_gettime_ns(clock).unwrap_or(0) + ns;
    [(t / 1_000_000_000) as i64, (t % 1_000_000_000) as i64]
}

fn ts_ns(ts: &[i64; 2]) -> u64 {
    ts[0] as u64 * 1_000_000_000 + ts[1] as u64
}

fn now(clock: i32) -> u64 {
    sys::clock_gettime_ns(clock).unwrap_or(0)
}

fn nanosleep(clock: i32, flags: i32, ts: &mut [i64; 2]) -> Ret {
    let mut rem = [0i64; 2];
    sc4(
        __NR_CLOCK_NANOSLEEP,
        clock as usize,
        flags as usize,
        ptr(ts),
        ptr(&mut rem),
    )
}

fn time_checks(c: &mut Checks) {
    let mut t = 0i64;
    let ret = sc2(__NR_TIME, ptr(&mut t), 0);
    c.check(
        "time",
        ret.ok() == Some(t as usize) && t > 1_600_000_000,
        ret,
        "seconds since 1970, stored",
    );
    c.check(
        "time_null",
        sc2(__NR_TIME, 0, 0).ok().is_some_and(|v| v as i64 >= t),
        "?",
        ">= the first",
    );
    c.errno("time_efault", sc2(__NR_TIME, BAD_PTR, 0), Errno::EFAULT);
    let mut tv = [0i64; 2];
    let mut tz = [0i32; 2];
    let ret = sc2(__NR_GETTIMEOFDAY, ptr(&mut tv), ptr(&mut tz));
    c.check(
        "gettimeofday",
        ret.ok() == Some(0) && (tv[0] - t).abs() <= 2 && (0..1_000_000).contains(&tv[1]),
        format_args!("{ret} {tv:?}"),
        "0, time() and microseconds",
    );
    c.val("gettimeofday_null", sc2(__NR_GETTIMEOFDAY, 0, 0), 0);
    c.errno(
        "gettimeofday_efault",
        sc2(__NR_GETTIMEOFDAY, BAD_PTR, 0),
        Errno::EFAULT,
    );

    let mut res = [0i64; 2];
    let ret = sc2(__NR_CLOCK_GETRES, CLOCK_MONOTONIC as usize, ptr(&mut res));
    c.check(
        "clock_getres",
        ret.ok() == Some(0) && res[0] == 0 && (1..=1_000_000).contains(&res[1]),
        format_args!("{ret} {res:?}"),
        "0, 1 ns ..= 1 ms",
    );
    c.val(
        "clock_getres_null",
        sc2(__NR_CLOCK_GETRES, CLOCK_REALTIME as usize, 0),
        0,
    );
    c.errno(
        "clock_getres_bad_clock",
        sc2(__NR_CLOCK_GETRES, 99, ptr(&mut res)),
        Errno::EINVAL,
    );
    c.errno(
        "clock_getres_efault",
        sc2(__NR_CLOCK_GETRES, CLOCK_MONOTONIC as usize, BAD_PTR),
        Errno::EFAULT,
    );

    let start = now(CLOCK_MONOTONIC);
    let mut ts = [0i64, 10_000_000];
    let ret = nanosleep(CLOCK_MONOTONIC, 0, &mut ts);
    let slept = now(CLOCK_MONOTONIC) - start;
    c.check(
        "clock_nanosleep_relative",
        ret.ok() == Some(0) && slept >= 10_000_000,
        format_args!("{ret} after {slept} ns"),
        "0 after >= 10 ms",
    );
    let mut deadline = after(CLOCK_MONOTONIC, 10_000_000);
    let ret = nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &mut deadline);
    let at = now(CLOCK_MONOTONIC);
    c.check(
        "clock_nanosleep_abstime",
        ret.ok() == Some(0) && at >= ts_ns(&deadline),
        format_args!("{ret} at {at}"),
        "0 at the deadline",
    );
    let mut past = [1i64, 0];
    c.val(
        "clock_nanosleep_abstime_past",
        nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &mut past),
        0,
    );
    let mut real = after(CLOCK_REALTIME, 2_000_000);
    c.val(
        "clock_nanosleep_realtime_abstime",
        nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &mut real),
        0,
    );
    let mut short = [0i64, 1_000_000];
    c.val(
        "clock_nanosleep_boottime",
        nanosleep(CLOCK_BOOTTIME, 0, &mut short),
        0,
    );
    c.errno(
        "clock_nanosleep_bad_clock",
        nanosleep(99, 0, &mut short),
        Errno::EINVAL,
    );
    c.errno(
        "clock_nanosleep_thread_cputime",
        nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &mut short),
        Errno::EOPNOTSUPP,
    );
    c.errno(
        "clock_nanosleep_monotonic_raw",
        nanosleep(CLOCK_MONOTONIC_RAW, 0, &mut short),
        Errno::EOPNOTSUPP,
    );
    let mut bad_nsec = [0i64, 1_000_000_000];
    c.errno(
        "clock_nanosleep_bad_nsec",
        nanosleep(CLOCK_MONOTONIC, 0, &mut bad_nsec),
        Errno::EINVAL,
    );
    let mut negative = [-1i64, 0];
    c.errno(
        "clock_nanosleep_negative",
        nanosleep(CLOCK_MONOTONIC, 0, &mut negative),
        Errno::EINVAL,
    );
    c.errno(
        "clock_nanosleep_efault",
        sc4(
            __NR_CLOCK_NANOSLEEP,
            CLOCK_MONOTONIC as usize,
            0,
            BAD_PTR,
            0,
        ),
        Errno::EFAULT,
    );
}

fn futex(uaddr: usize, op: i32, val: u32, timeout: usize, uaddr2: usize, val3: u32) -> Ret {
    raw(
        __NR_FUTEX,
        [
            uaddr,
            op as usize,
            val as usize,
            timeout,
            uaddr2,
            val3 as usize,
        ],
    )
}

fn futex_checks(c: &mut Checks, path: &CStr) {
    let word = sys::mmap(
        PAGE_SIZE,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    );
    let Ok(word) = word else {
        return c.fail("futex_setup", "mmap failed", "a page");
    };
    // SAFETY: the first word of the fresh private page.
    unsafe { word.cast::<u32>().write_volatile(5) };
    let w = word as usize;
    let p = FUTEX_PRIVATE_FLAG;
    let mut ten_ms = [0i64, 10_000_000];
    let to = ptr(&mut ten_ms);
    c.errno(
        "futex_wait_value_differs",
        futex(w, FUTEX_WAIT | p, 6, 0, 0, 0),
        Errno::EAGAIN,
    );
    let start = now(CLOCK_MONOTONIC);
    let ret = futex(w, FUTEX_WAIT | p, 5, to, 0, 0);
    let waited = now(CLOCK_MONOTONIC) - start;
    c.check(
        "futex_wait_relative_timeout",
        ret == Ret(Err(Errno::ETIMEDOUT as i32)) && waited >= 10_000_000,
        format_args!("{ret} after {waited} ns"),
        "ETIMEDOUT after >= 10 ms",
    );
    let mut deadline = after(CLOCK_MONOTONIC, 10_000_000);
    let ret = futex(
        w,
        FUTEX_WAIT_BITSET | p,
        5,
        ptr(&mut deadline),
        0,
        FUTEX_BITSET_MATCH_ANY,
    );
    let at = now(CLOCK_MONOTONIC);
    c.check(
        "futex_wait_bitset_absolute_timeout",
        ret == Ret(Err(Errno::ETIMEDOUT as i32)) && at >= ts_ns(&deadline),
        format_args!("{ret} at {at}"),
        "ETIMEDOUT at the deadline",
    );
    let mut real = after(CLOCK_REALTIME, 5_000_000);
    c.errno(
        "futex_wait_bitset_realtime",
        futex(
            w,
            FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | p,
            5,
            ptr(&mut real),
            0,
            1,
        ),
        Errno::ETIMEDOUT,
    );
    c.errno(
        "futex_wait_bitset_0",
        futex(w, FUTEX_WAIT_BITSET | p, 5, to, 0, 0),
        Errno::EINVAL,
    );
    c.errno(
        "futex_wake_bitset_0",
        futex(w, FUTEX_WAKE_BITSET | p, 1, 0, 0, 0),
        Errno::EINVAL,
    );
    c.val("futex_wake_nobody", futex(w, FUTEX_WAKE | p, 1, 0, 0, 0), 0);
    c.val(
        "futex_wake_bitset_nobody",
        futex(w, FUTEX_WAKE_BITSET | p, 1, 0, 0, 3),
        0,
    );
    c.errno(
        "futex_wait_misaligned",
        futex(w + 1, FUTEX_WAIT | p, 5, to, 0, 0),
        Errno::EINVAL,
    );
    c.errno(
        "futex_wake_misaligned",
        futex(w + 2, FUTEX_WAKE | p, 1, 0, 0, 0),
        Errno::EINVAL,
    );
    c.errno(
        "futex_wait_null",
        futex(0, FUTEX_WAIT | p, 5, to, 0, 0),
        Errno::EFAULT,
    );
    c.errno(
        "futex_wait_kernel_address",
        futex(BAD_PTR, FUTEX_WAIT | p, 5, to, 0, 0),
        Errno::EFAULT,
    );
    c.val(
        "futex_wake_private_unmapped",
        futex(0x1000, FUTEX_WAKE | p, 1, 0, 0, 0),
        0,
    );
    c.errno(
        "futex_wake_shared_unmapped",
        futex(0x1000, FUTEX_WAKE, 1, 0, 0, 0),
        Errno::EFAULT,
    );
    let mut bad_ts = [0i64, 1_000_000_000];
    c.errno(
        "futex_wait_bad_timeout",
        futex(w, FUTEX_WAIT | p, 5, ptr(&mut bad_ts), 0, 0),
        Errno::EINVAL,
    );
    c.errno(
        "futex_wait_timeout_efault",
        futex(w, FUTEX_WAIT | p, 5, BAD_PTR, 0, 0),
        Errno::EFAULT,
    );
    c.errno(
        "futex_wait_clock_realtime",
        futex(w, FUTEX_WAIT | FUTEX_CLOCK_REALTIME | p, 5, to, 0, 0),
        Errno::ENOSYS,
    );
    c.errno("futex_bad_op", futex(w, 99 | p, 0, 0, 0, 0), Errno::ENOSYS);
    c.errno(
        "futex_cmp_requeue_differs",
        futex(w, FUTEX_CMP_REQUEUE | p, 1, 1, w + 4, 6),
        Errno::EAGAIN,
    );
    c.val(
        "futex_cmp_requeue",
        futex(w, FUTEX_CMP_REQUEUE | p, 1, 1, w + 4, 5),
        0,
    );
    c.val(
        "futex_requeue",
        futex(w, FUTEX_REQUEUE | p, 1, 1, w + 4, 0),
        0,
    );
    c.errno(
        "futex_requeue_negative",
        futex(w, FUTEX_REQUEUE | p, -1i32 as u32, 1, w + 4, 0),
        Errno::EINVAL,
    );
    c.errno(
        "futex_shared_anon_differs",
        futex(w, FUTEX_WAIT, 4, to, 0, 0),
        Errno::EAGAIN,
    );
    c.errno(
        "futex_shared_anon_timeout",
        futex(w, FUTEX_WAIT, 5, to, 0, 0),
        Errno::ETIMEDOUT,
    );

    // A shared futex in a MAP_SHARED file page.
    let file = sys::open(path, O_RDONLY)
        .and_then(|fd| sys::mmap(2 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0));
    let Ok(file) = file else {
        return c.fail(
            "futex_shared_file_setup",
            "open/mmap failed",
            "a shared mapping",
        );
    };
    let f = file as usize + PAGE_SIZE;
    // SAFETY: inside the two-page read-only mapping just made.
    let v = unsafe { file.add(PAGE_SIZE).cast::<u32>().read_volatile() };
    c.errno(
        "futex_shared_file_differs",
        futex(f, FUTEX_WAIT, v ^ 1, to, 0, 0),
        Errno::EAGAIN,
    );
    c.errno(
        "futex_shared_file_timeout",
        futex(f, FUTEX_WAIT, v, to, 0, 0),
        Errno::ETIMEDOUT,
    );
    c.val(
        "futex_shared_file_wake",
        futex(f, FUTEX_WAKE, 1, 0, 0, 0),
        0,
    );
}

/// The file's second page, mapped from `offset` (0 or one page) so two
/// processes see it at different places in different mappings.
fn file_word(path: &CStr, offset: u64) -> (usize, u32) {
    let fd = match sys::open(path, O_RDONLY) {
        Ok(fd) => fd,
        Err(e) => user::io::die("syscheck", path.to_bytes(), e),
    };
    let len = 2 * PAGE_SIZE - offset as usize;
    let base = match sys::mmap(len, PROT_READ, MAP_SHARED, fd, offset) {
        Ok(p) => p,
        Err(e) => user::io::die("syscheck", b"mmap", e),
    };
    let word = base as usize + PAGE_SIZE - offset as usize;
    // SAFETY: inside the read-only mapping just made.
    let v = unsafe { (word as *const u32).read_volatile() };
    (word, v)
}

fn futex_wait_mode(path: &CStr) -> i32 {
    let (word, v) = file_word(path, 0);
    let mut twenty_s = [20i64, 0];
    let ret = futex(word, FUTEX_WAIT, v, ptr(&mut twenty_s), 0, 0);
    outln!("futex-wait: {ret}");
    if ret.ok() == Some(0) { 0 } else { 1 }
}

fn futex_wake_mode(path: &CStr) -> i32 {
    let (word, _) = file_word(path, PAGE_SIZE as u64);
    for _ in 0..4000 {
        let ret = futex(word, FUTEX_WAKE, 1, 0, 0, 0);
        if ret.ok() != Some(0) {
            outln!("futex-wake: woke {ret}");
            return if ret.ok() == Some(1) { 0 } else { 1 };
        }
        let _ = sys::sleep_ns(5_000_000);
    }
    outln!("futex-wake: nobody waited");
    1
}

fn show() -> i32 {
    const NAMES: [&str; RLIM_NLIMITS] = [
        "cpu",
        "fsize",
        "data",
        "stack",
        "core",
        "rss",
        "nproc",
        "nofile",
        "memlock",
        "as",
        "locks",
        "sigpending",
        "msgqueue",
        "nice",
        "rtprio",
        "rttime",
    ];
    for (i, name) in NAMES.iter().enumerate() {
        let (_, r) = getrlimit(i);
        outln!("rlimit {name} {} {}", Limit(r[0]), Limit(r[1]));
    }
    let mut uts = [0u8; 390];
    sc2(__NR_UNAME, ptr(&mut uts), 0);
    for (i, name) in [
        "sysname",
        "nodename",
        "release",
        "version",
        "machine",
        "domainname",
    ]
    .iter()
    .enumerate()
    {
        outln!("uname {name} {}", user::io::Bytes(field(&uts, i)));
    }
    let old = sc2(__NR_UMASK, 0, 0).ok().unwrap_or(0);
    outln!("umask {old:04o}");
    let mut si = [0u64; 14];
    sc2(__NR_SYSINFO, ptr(&mut si), 0);
    outln!(
        "sysinfo totalswap {} freeswap {} loads {} {} {}",
        si[8],
        si[9],
        si[1],
        si[2],
        si[3]
    );
    let mut mask = 0u64;
    let n = sc3(__NR_SCHED_GETAFFINITY, 0, 8, ptr(&mut mask));
    outln!("affinity {n} {mask:#x}");
    0
}

/// An rlimit value as `ulimit` prints it.
struct Limit(u64);

impl Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == RLIM_INFINITY {
            f.write_str("unlimited")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

fn reboot_mode() -> i32 {
    use user::reboot::*;
    let (m1, m2) = (LINUX_REBOOT_MAGIC1 as usize, LINUX_REBOOT_MAGIC2 as usize);
    let off = LINUX_REBOOT_CMD_POWER_OFF as usize;
    for (name, a, b, cmd) in [
        ("magic1", 0xdead_beef, m2, off),
        ("magic2", m1, 1, off),
        ("cmd", m1, m2, 0x1234_5678),
        (
            "cad_off",
            m1,
            LINUX_REBOOT_MAGIC2C as usize,
            LINUX_REBOOT_CMD_CAD_OFF as usize,
        ),
        (
            "cad_on",
            m1,
            LINUX_REBOOT_MAGIC2A as usize,
            LINUX_REBOOT_CMD_CAD_ON as usize,
        ),
    ] {
        outln!("reboot: {name} {}", sc4(__NR_REBOOT, a, b, cmd, 0));
    }
    0
}

fn nosys() -> i32 {
    for nr in [154, 334, 400, 154, 334, 400, 1000, 1000] {
        outln!("nosys: {nr} {}", raw(nr, [0; 6]));
    }
    0
}
