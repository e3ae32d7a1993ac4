//! `/proc/sys` (fs/proc/proc_sysctl.c, kernel/sysctl.c): the vm knobs
//! tinymm has, with `proc_dointvec_minmax` parsing.

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt::Write;
use core::sync::atomic::Ordering::Relaxed;

use super::{ProcDir, ProcFile};
use crate::fs::Inode;
use crate::mm::filemap::drop_pagecache;
use crate::mm::mmzone::node_data;
use crate::mm::page_alloc::setup_per_zone_wmarks;
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
        ],
        None,
    );
    ProcDir::new(alloc::vec![("vm", vm as Arc<dyn Inode>)], None)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
