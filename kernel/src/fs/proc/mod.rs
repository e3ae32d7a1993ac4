//! procfs (fs/proc/): files generated from kernel state. A file's text is
//! produced when it is opened (`single_open` + `seq_read`), so one open
//! file reads one consistent snapshot.

pub mod array;
#[cfg(target_os = "none")]
pub mod base;
pub mod loadavg;
pub mod meminfo;
pub mod stat;
pub mod sysctl;
#[cfg(target_os = "none")]
pub mod task_mmu;
pub mod uptime;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::file::File;
use super::filesystems::{FileSystemType, register_filesystem};
use super::super_block::{PROC_SUPER_MAGIC, SimpleSuper, SuperBlock, get_tree_single};
use super::{DirEntry, DirFile, FileOps, FileType, Inode, access_mode, get_next_ino};
use crate::mm::mmzone::node_data;
use crate::mm::vmstat::{frag_show, vmstat_show, zoneinfo_show};
use crate::uapi::errno::{Errno, KResult};

/// Produces a file's contents; may capture what it reports on (a task).
/// Errors come back from open(2) (ESRCH once a task is gone).
pub type Show = Arc<dyn Fn() -> KResult<Vec<u8>> + Send + Sync>;
/// Takes a write to the file.
pub type Store = Arc<dyn Fn(&[u8]) -> KResult<()> + Send + Sync>;

/// A generated file; writable when it has a `store`.
pub struct ProcFile {
    ino: u64,
    mode: u32,
    show: Show,
    store: Option<Store>,
    no_store: NoStore,
}

/// What writing a file without a `store` does for root, whom the mode
/// bits do not stop (CAP_DAC_OVERRIDE).
#[derive(Clone, Copy)]
enum NoStore {
    /// open(2) for writing fails with EACCES: sysctl's `test_perm` checks
    /// the mode even for root, and `kernfs_fop_open` refuses files
    /// without a write operation.
    DenyOpen,
    /// open(2) succeeds and write(2) fails with this: EIO from
    /// `proc_reg_write` for `proc_create` entries without `proc_write`,
    /// EINVAL from `vfs_write` for /proc/PID files without `write`
    /// (no FMODE_CAN_WRITE).
    FailWrite(Errno),
}

impl ProcFile {
    /// A text file, 0444 (0644 with a `store`).
    pub fn new(
        show: impl Fn(&mut String) -> fmt::Result + Send + Sync + 'static,
        store: Option<Store>,
    ) -> Arc<Self> {
        let mode = if store.is_some() { 0o644 } else { 0o444 };
        Self::with(mode, text(show), store, NoStore::DenyOpen)
    }

    /// A file of any bytes with permission bits `mode`.
    pub fn bytes(
        mode: u32,
        show: impl Fn() -> KResult<Vec<u8>> + Send + Sync + 'static,
        store: Option<Store>,
    ) -> Arc<Self> {
        Self::with(mode, Arc::new(show), store, NoStore::DenyOpen)
    }

    /// A read-only `proc_create` entry (/proc/version, /proc/meminfo, ...),
    /// 0444: writes fail with EIO.
    pub fn entry(show: impl Fn(&mut String) -> fmt::Result + Send + Sync + 'static) -> Arc<Self> {
        Self::with(0o444, text(show), None, NoStore::FailWrite(Errno::EIO))
    }

    /// A read-only /proc/PID file of `mode`: writes fail with EINVAL.
    pub fn task_bytes(
        mode: u32,
        show: impl Fn() -> KResult<Vec<u8>> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Self::with(
            mode,
            Arc::new(show),
            None,
            NoStore::FailWrite(Errno::EINVAL),
        )
    }

    fn with(mode: u32, show: Show, store: Option<Store>, no_store: NoStore) -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
            mode,
            show,
            store,
            no_store,
        })
    }
}

/// A `Show` of text.
fn text(show: impl Fn(&mut String) -> fmt::Result + Send + Sync + 'static) -> Show {
    Arc::new(move || {
        let mut text = String::new();
        show(&mut text).map_err(|_| Errno::ENOMEM)?;
        Ok(text.into_bytes())
    })
}

struct ProcHandle {
    text: Vec<u8>,
    store: Option<Store>,
    no_store: NoStore,
}

impl FileOps for ProcHandle {
    fn read(&self, _file: &File, pos: u64, buf: &mut [u8]) -> KResult<usize> {
        let bytes = &self.text[..];
        let start = (pos as usize).min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    fn write(&self, _file: &File, _pos: u64, buf: &[u8]) -> KResult<usize> {
        let store = self.store.as_ref().ok_or(match self.no_store {
            NoStore::FailWrite(errno) => errno,
            NoStore::DenyOpen => Errno::EIO,
        })?;
        store(buf)?;
        Ok(buf.len())
    }
}

impl Inode for ProcFile {
    fn file_type(&self) -> FileType {
        FileType::Reg
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        self.mode
    }
    fn open(&self, flags: u32) -> KResult<Arc<dyn FileOps>> {
        if access_mode(flags).1
            && self.store.is_none()
            && matches!(self.no_store, NoStore::DenyOpen)
        {
            return Err(Errno::EACCES);
        }
        // Only what may be written is read on open (a write-only open
        // of a file reporting on a dead task still fails).
        let text = (self.show)()?;
        Ok(Arc::new(ProcHandle {
            text,
            store: self.store.clone(),
            no_store: self.no_store,
        }))
    }
}

/// A symbolic link whose target is computed when it is read
/// (`/proc/self`, `/proc/mounts`, `/proc/PID/exe`).
pub struct ProcSymlink {
    ino: u64,
    target: Arc<dyn Fn() -> KResult<String> + Send + Sync>,
}

impl ProcSymlink {
    pub fn new(target: impl Fn() -> KResult<String> + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
            target: Arc::new(target),
        })
    }
}

impl Inode for ProcSymlink {
    fn file_type(&self) -> FileType {
        FileType::Lnk
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        0o777
    }
    fn readlink(&self) -> KResult<String> {
        (self.target)()
    }
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Err(Errno::ELOOP)
    }
}

/// Entries a directory computes on lookup (the `/proc/PID` directories).
pub trait ProcDynamic: Send + Sync {
    fn lookup(&self, name: &str) -> Option<Arc<dyn Inode>>;
    fn entries(&self) -> Vec<DirEntry>;
}

/// A directory of fixed entries, plus computed ones.
pub struct ProcDir {
    ino: u64,
    mode: u32,
    entries: Vec<(&'static str, Arc<dyn Inode>)>,
    dynamic: Option<Arc<dyn ProcDynamic>>,
}

impl ProcDir {
    /// A directory with mode 0555.
    pub fn new(
        entries: Vec<(&'static str, Arc<dyn Inode>)>,
        dynamic: Option<Arc<dyn ProcDynamic>>,
    ) -> Arc<Self> {
        Self::with_mode(0o555, entries, dynamic)
    }

    pub fn with_mode(
        mode: u32,
        entries: Vec<(&'static str, Arc<dyn Inode>)>,
        dynamic: Option<Arc<dyn ProcDynamic>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            ino: get_next_ino(),
            mode,
            entries,
            dynamic,
        })
    }
}

impl Inode for ProcDir {
    fn file_type(&self) -> FileType {
        FileType::Dir
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        self.mode
    }
    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        if let Some((_, inode)) = self.entries.iter().find(|(n, _)| *n == name) {
            return Ok(inode.clone());
        }
        self.dynamic
            .as_ref()
            .and_then(|d| d.lookup(name))
            .ok_or(Errno::ENOENT)
    }
    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        let mut entries: Vec<DirEntry> = self
            .entries
            .iter()
            .map(|(n, i)| DirEntry::new(n, i.ino(), i.file_type()))
            .collect();
        if let Some(d) = &self.dynamic {
            entries.extend(d.entries());
        }
        Ok(entries)
    }
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Ok(Arc::new(DirFile))
    }
}

/// The files about the running kernel: fs/proc/{uptime,loadavg,stat,
/// version,devices,meminfo}.c and arch/x86/kernel/cpu/proc.c.
#[cfg(target_os = "none")]
fn proc_misc_entries() -> Vec<(&'static str, Arc<dyn Inode>)> {
    use crate::task::sys::{CPUTIME_IDLE, kcpustat};
    use crate::task::utsname::{UTS_RELEASE, UTS_SYSNAME, UTS_VERSION};
    use core::fmt::Write;
    let file = |show: fn(&mut String) -> fmt::Result| -> Arc<dyn Inode> { ProcFile::entry(show) };
    // Ticks at HZ=1000 to USER_HZ.
    let clock_t = |j: u64| j / (1000 / array::USER_HZ);
    alloc::vec![
        (
            "cmdline",
            // saved_command_line
            file(|m| {
                let bp = crate::arch::x86_64::setup::boot_params();
                writeln!(m, "{}", bp.map_or("", |bp| bp.command_line()))
            })
        ),
        ("cpuinfo", file(crate::arch::x86_64::proc::show_cpuinfo)),
        (
            "devices",
            file(|m| {
                crate::fs::char_dev::chrdev_show(m)?;
                m.write_str("\n")?;
                crate::block::genhd::blkdev_show(m)
            })
        ),
        ("diskstats", file(crate::block::genhd::diskstats_show)),
        ("partitions", file(crate::block::genhd::partitions_show)),
        (
            "loadavg",
            file(|m| {
                loadavg::loadavg_proc_show(
                    m,
                    crate::task::loadavg::get_avenrun(0, 0),
                    crate::task::sched::nr_running(),
                    crate::task::fork::nr_threads(),
                    crate::task::last_pid(),
                )
            })
        ),
        (
            "meminfo",
            file(|m| {
                let slab = crate::mm::slab::slab_unreclaimable_pages();
                let swap = crate::mm::swapfile::si_swapinfo();
                meminfo::meminfo_proc_show(node_data(0), slab, swap, m)
            })
        ),
        (
            "stat",
            ProcFile::entry(move |m| {
                let irqs = crate::arch::x86_64::irq::kstat_irqs();
                stat::show_stat(
                    m,
                    &stat::KernelStat {
                        cpustat: kcpustat().map(clock_t),
                        irqs: &irqs,
                        ctxt: crate::task::sched::nr_context_switches(),
                        btime: crate::arch::x86_64::rtc::boot_wall_seconds(),
                        processes: crate::task::fork::total_forks(),
                        procs_running: crate::task::sched::nr_running(),
                        procs_blocked: crate::task::sched::nr_iowait(),
                    },
                )
            })
        ),
        (
            "uptime",
            file(|m| {
                let idle = crate::task::time::jiffies_to_nsecs(kcpustat()[CPUTIME_IDLE]);
                uptime::uptime_proc_show(m, crate::task::time::ktime_get_ns(), idle)
            })
        ),
        (
            "version",
            file(|m| {
                // linux_proc_banner: compiled by, on, with, then the version.
                writeln!(
                    m,
                    "{UTS_SYSNAME} version {UTS_RELEASE} (tinymm@tinymm) (rustc) {UTS_VERSION}"
                )
            })
        ),
    ]
}

/// The root of procfs; `pids` supplies `/proc/PID`.
pub fn proc_root_init(pids: Option<Arc<dyn ProcDynamic>>) -> Arc<ProcDir> {
    let file = |show: fn(&mut String) -> fmt::Result| -> Arc<dyn Inode> { ProcFile::entry(show) };
    #[allow(unused_mut)]
    let mut entries: Vec<(&'static str, Arc<dyn Inode>)> = alloc::vec![
        ("buddyinfo", file(|m| frag_show(node_data(0), m))),
        (
            "filesystems",
            file(crate::fs::filesystems::filesystems_proc_show)
        ),
        (
            "mounts",
            ProcSymlink::new(|| Ok(String::from("self/mounts"))) as Arc<dyn Inode>
        ),
        ("swaps", file(crate::mm::swapfile::swaps_proc_show)),
        ("sys", sysctl::proc_sys_init()),
        ("vmstat", file(|m| vmstat_show(node_data(0), m))),
        ("zoneinfo", file(|m| zoneinfo_show(node_data(0), m))),
    ];
    #[cfg(target_os = "none")]
    entries.extend(proc_misc_entries());
    // create_proc_profile(): only with `profile=`.
    #[cfg(target_os = "none")]
    if crate::task::profile::prof_on() {
        entries.push((
            "profile",
            ProcFile::bytes(
                0o644,
                crate::task::profile::read_profile,
                Some(Arc::new(crate::task::profile::write_profile)),
            ),
        ));
    }
    ProcDir::new(entries, pids)
}

static PROC_SB: spin::Once<Arc<SuperBlock>> = spin::Once::new();

/// `proc_get_tree()`: one superblock per pid namespace (there is one);
/// hidepid=, gid= and subset= are not implemented (EINVAL).
fn proc_get_tree(_flags: u32, _source: &str, data: &str) -> KResult<Arc<SuperBlock>> {
    get_tree_single(&PROC_SB, data)
}

static PROC_FS_TYPE: FileSystemType = FileSystemType {
    name: "proc",
    fs_flags: 0,
    get_tree: proc_get_tree,
};

/// `proc_root_init()` + `register_filesystem(&proc_fs_type)`.
pub fn proc_fs_init(pids: Option<Arc<dyn ProcDynamic>>) {
    PROC_SB.call_once(|| {
        SuperBlock::new_anon(
            &PROC_FS_TYPE,
            proc_root_init(pids),
            0,
            Arc::new(SimpleSuper(PROC_SUPER_MAGIC)),
        )
    });
    register_filesystem(&PROC_FS_TYPE).expect("proc registered twice");
}
