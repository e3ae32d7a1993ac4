//! procfs (fs/proc/): files generated from kernel state on each read.

pub mod meminfo;

use alloc::string::String;
use core::fmt;

use crate::mm::mmzone::PglistData;
use crate::mm::vmstat::{frag_show, vmstat_show, zoneinfo_show};

type Show = fn(&PglistData, &mut String) -> fmt::Result;

/// The procfs files tinymm has, by path.
const FILES: &[(&str, Show)] = &[
    ("/proc/buddyinfo", |p, m| frag_show(p, m)),
    ("/proc/meminfo", |p, m| meminfo::meminfo_proc_show(p, m)),
    ("/proc/vmstat", |p, m| vmstat_show(p, m)),
    ("/proc/zoneinfo", |p, m| zoneinfo_show(p, m)),
];

/// Every file's path, for `ls`.
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|&(path, _)| path)
}

/// The file's contents now, or None if there is no such file.
pub fn read(pgdat: &PglistData, path: &str) -> Option<String> {
    let &(_, show) = FILES.iter().find(|&&(p, _)| p == path)?;
    let mut out = String::new();
    show(pgdat, &mut out).expect("writing to a String cannot fail");
    Some(out)
}
