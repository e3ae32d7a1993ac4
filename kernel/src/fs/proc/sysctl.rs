//! `/proc/sys` (fs/proc/proc_sysctl.c, kernel/sysctl.c): the vm knobs
//! tinymm has, with `proc_dointvec_minmax` parsing, kernel/printk
//! (kernel/printk/sysctl.c), with `proc_dointvec`'s, and the UTS names
//! and pid_max of kernel/.

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt::Write;
use core::sync::atomic::Ordering::Relaxed;
use core::sync::atomic::{AtomicI32, AtomicU32};

use super::{ProcDir, ProcFile};
use crate::fs::Inode;
use crate::mm::filemap::drop_pagecache;
use crate::mm::mmzone::node_data;
use crate::mm::page_alloc::setup_per_zone_wmarks;
use crate::mm::swap::{PAGE_CLUSTER, PAGE_CLUSTER_MAX};
use crate::mm::vmscan::{MAX_SWAPPINESS, VM_SWAPPINESS};
use crate::uapi::errno::{Errno, KResult};

/// `proc_dointvec_minmax()` for one value: optional whitespace, a decimal
/// integer with optional sign, optional trailing whitespace; EINVAL for
/// anything else or a value outside [min, max].
pub fn proc_dointvec_minmax(buf: &[u8], min: i64, max: i64) -> KResult<i64> {
    let s = core::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?.trim();
    let v: i64 = s.parse().map_err(|_| Errno::EINVAL)?;
    if v < min || v > max {
        return Err(Errno::EINVAL);
    }
    Ok(v)
}

/// `proc_get_long()`: an optionally negative integer in C's notation
/// (`0x` hex, leading-0 octal, decimal) ending at whitespace or the end.
fn proc_get_long(s: &[u8]) -> KResult<(i64, usize)> {
    let (neg, digits) = match s.strip_prefix(b"-") {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, s),
    };
    let end = digits
        .iter()
        .position(|b| b" \t\n".contains(b))
        .unwrap_or(digits.len());
    let word = core::str::from_utf8(&digits[..end]).map_err(|_| Errno::EINVAL)?;
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(Errno::EINVAL);
    }
    let v = if let Some(hex) = word.strip_prefix("0x").or(word.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16)
    } else if word.len() > 1 && word.starts_with('0') {
        u64::from_str_radix(&word[1..], 8)
    } else {
        word.parse()
    }
    .map_err(|_| Errno::EINVAL)?;
    let v = i64::try_from(v).map_err(|_| Errno::EINVAL)?;
    Ok((if neg { -v } else { v }, s.len() - digits.len() + end))
}

/// `proc_dointvec()` on a write: whitespace-separated integers into
/// `vals` in order, each stored as it is read (an error after the first
/// leaves those before it set, as in Linux); EINVAL for no value, a value
/// that is not an integer or does not fit an int. What follows the last
/// slot is ignored.
pub fn proc_dointvec(buf: &[u8], vals: &[AtomicI32]) -> KResult<()> {
    let mut p = buf;
    let mut first = true;
    for val in vals {
        p = p.trim_ascii_start();
        if p.is_empty() {
            break;
        }
        let (v, used) = proc_get_long(p)?;
        val.store(i32::try_from(v).map_err(|_| Errno::EINVAL)?, Relaxed);
        p = &p[used..];
        first = false;
    }
    if first {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// `proc_dostring()` on a write at position 0 (`sysctl_writes_strict`):
/// the bytes up to the first newline or NUL, at most `maxlen - 1` of
/// them.
pub fn proc_dostring(buf: &[u8], maxlen: usize) -> &[u8] {
    let end = buf
        .iter()
        .position(|&b| b == b'\n' || b == 0)
        .unwrap_or(buf.len());
    &buf[..end.min(maxlen - 1)]
}

/// `/proc/sys/kernel`'s UTS names (kernel/utsname_sysctl.c) and pid_max
/// (read-only: tinymm's pid limit is fixed at `PID_MAX_DEFAULT`).
#[cfg(target_os = "none")]
fn kern_table() -> alloc::vec::Vec<(&'static str, Arc<dyn Inode>)> {
    use crate::task::utsname::{
        NEW_UTS_LEN, UTS_RELEASE, UTS_SYSNAME, UTS_VERSION, domainname, nodename, set_uts_name,
    };
    let uts = |domain: bool| -> Arc<dyn Inode> {
        ProcFile::new(
            move |m| writeln!(m, "{}", if domain { domainname() } else { nodename() }),
            Some(Arc::new(move |buf: &[u8]| {
                set_uts_name(domain, proc_dostring(buf, NEW_UTS_LEN + 1));
                Ok(())
            })),
        )
    };
    let fixed = |text: &'static str| -> Arc<dyn Inode> {
        ProcFile::new(move |m| writeln!(m, "{text}"), None)
    };
    alloc::vec![
        ("domainname", uts(true)),
        ("hostname", uts(false)),
        ("osrelease", fixed(UTS_RELEASE)),
        ("ostype", fixed(UTS_SYSNAME)),
        (
            "pid_max",
            ProcFile::new(|m| writeln!(m, "{}", crate::task::PID_MAX), None)
        ),
        ("version", fixed(UTS_VERSION)),
    ]
}

/// `drop_caches_sysctl_handler()`: 1 drops the page cache, 2 would drop
/// slab objects (tinymm's heap has no caches to shrink), 3 both, 4 only
/// silences the message. Write-only, as in Linux (mode 0200).
fn drop_caches_store(buf: &[u8]) -> KResult<()> {
    let v = proc_dointvec_minmax(buf, 1, 4)?;
    if v & 1 != 0 {
        drop_pagecache();
    }
    // Linux says once who asked; bit 4 silences it.
    static STFU: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
    if v & 4 != 0 {
        STFU.store(true, Relaxed);
    } else if !STFU.swap(true, Relaxed) {
        #[cfg(target_os = "none")]
        {
            let me = crate::task::current();
            log::info!("{} ({}): drop_caches: {v}", me.comm(), me.pid);
        }
    }
    Ok(())
}

fn min_free_kbytes_show(m: &mut String) -> core::fmt::Result {
    writeln!(m, "{}", node_data(0).min_free_kbytes.load(Relaxed))
}

/// `min_free_kbytes_sysctl_handler()`: new watermarks at once.
fn min_free_kbytes_store(buf: &[u8]) -> KResult<()> {
    let v = proc_dointvec_minmax(buf, 0, i32::MAX as i64)?;
    let pgdat = node_data(0);
    pgdat.min_free_kbytes.store(v as u64, Relaxed);
    setup_per_zone_wmarks(pgdat);
    Ok(())
}

/// An unsigned vm knob read and written with `proc_dointvec_minmax`.
fn uint_minmax(knob: &'static AtomicU32, max: u32) -> Arc<dyn Inode> {
    ProcFile::new(
        move |m| writeln!(m, "{}", knob.load(Relaxed)),
        Some(Arc::new(move |buf: &[u8]| {
            let v = proc_dointvec_minmax(buf, 0, i64::from(max))?;
            knob.store(v as u32, Relaxed);
            Ok(())
        })),
    )
}

pub fn proc_sys_init() -> Arc<dyn Inode> {
    let vm = ProcDir::new(
        alloc::vec![
            (
                "drop_caches",
                ProcFile::new(|_| Ok(()), Some(Arc::new(drop_caches_store))) as Arc<dyn Inode>
            ),
            (
                "min_free_kbytes",
                ProcFile::new(min_free_kbytes_show, Some(Arc::new(min_free_kbytes_store)))
            ),
            ("page-cluster", uint_minmax(&PAGE_CLUSTER, PAGE_CLUSTER_MAX)),
            ("swappiness", uint_minmax(&VM_SWAPPINESS, MAX_SWAPPINESS)),
        ],
        None,
    );
    #[allow(unused_mut)]
    let mut kernel_entries = alloc::vec![(
        "printk",
        ProcFile::new(
            crate::printk::printk::printk_sysctl_show,
            Some(Arc::new(|buf: &[u8]| {
                proc_dointvec(buf, &crate::printk::printk::CONSOLE_PRINTK.0)
            })),
        ) as Arc<dyn Inode>,
    )];
    #[cfg(target_os = "none")]
    kernel_entries.extend(kern_table());
    let kernel = ProcDir::new(kernel_entries, None);
    ProcDir::new(
        alloc::vec![("kernel", kernel as Arc<dyn Inode>), ("vm", vm)],
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dostring_stops_at_newline_nul_or_maxlen() {
        assert_eq!(proc_dostring(b"box\n", 65), b"box");
        assert_eq!(proc_dostring(b"a\0b", 65), b"a");
        assert_eq!(proc_dostring(b"", 65), b"");
        assert_eq!(proc_dostring(&[b'x'; 80], 65), &[b'x'; 64][..]);
    }

    #[test]
    fn dointvec_parses_like_linux() {
        assert_eq!(proc_dointvec_minmax(b"1\n", 1, 4), Ok(1));
        assert_eq!(proc_dointvec_minmax(b"  3  ", 1, 4), Ok(3));
        assert_eq!(proc_dointvec_minmax(b"+2", 1, 4), Ok(2));
        assert_eq!(proc_dointvec_minmax(b"0", 1, 4), Err(Errno::EINVAL));
        assert_eq!(proc_dointvec_minmax(b"5", 1, 4), Err(Errno::EINVAL));
        assert_eq!(proc_dointvec_minmax(b"1x", 1, 4), Err(Errno::EINVAL));
        assert_eq!(proc_dointvec_minmax(b"", 1, 4), Err(Errno::EINVAL));
    }

    #[test]
    fn dointvec_vector_parses_like_linux() {
        let v = [
            AtomicI32::new(7),
            AtomicI32::new(4),
            AtomicI32::new(1),
            AtomicI32::new(7),
        ];
        let get = |v: &[AtomicI32; 4]| v.each_ref().map(|a| a.load(Relaxed));
        assert_eq!(proc_dointvec(b"8\n", &v), Ok(()));
        assert_eq!(get(&v), [8, 4, 1, 7]);
        assert_eq!(proc_dointvec(b" 3\t5  2 6 99\n", &v), Ok(()));
        assert_eq!(get(&v), [3, 5, 2, 6]);
        assert_eq!(proc_dointvec(b"-1 0x10 010", &v), Ok(()));
        assert_eq!(get(&v), [-1, 16, 8, 6]);
        // An error after the first value keeps what was stored before it.
        assert_eq!(proc_dointvec(b"4 x", &v), Err(Errno::EINVAL));
        assert_eq!(get(&v), [4, 16, 8, 6]);
        for bad in [
            &b""[..],
            b"  \n",
            b"x",
            b"+1",
            b"1x",
            b"-",
            b"2147483648",
            b"1,2",
        ] {
            assert_eq!(proc_dointvec(bad, &v), Err(Errno::EINVAL), "{bad:?}");
        }
        assert_eq!(get(&v), [4, 16, 8, 6]);
        assert_eq!(proc_dointvec(b"-2147483648", &v), Ok(()));
        assert_eq!(get(&v)[0], i32::MIN);
    }
}
