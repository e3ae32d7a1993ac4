//! cgroupfs: the cgroup hierarchy as files, in the roles of Linux's
//! fs/kernfs/ (dir.c, file.c) and the cftype tables of
//! kernel/cgroup/cgroup.c. A cgroup is a directory; its files are the
//! core `cgroup.*` files plus the files of each controller enabled in
//! it. Reads show a snapshot taken at open (`seq_file` regenerates per
//! read); a write is handed whole to the file (`atomic_write_len`, at
//! most a page). A file of a removed cgroup, or of a controller disabled
//! since it was opened, fails with ENODEV. Left out: inotify, `poll`,
//! per-node active references, file modes beyond the read/write split.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::{
    CFTYPE_NOT_ON_ROOT, CFTYPE_ONLY_ON_ROOT, Cftype, Cgroup, CgroupSubsys, cgroup_controllers_show,
    cgroup_events_show, cgroup_kill_write, cgroup_mkdir, cgroup_procs_show, cgroup_procs_write,
    cgroup_rmdir, cgroup_subtree_control_show, cgroup_subtree_control_write,
};
use crate::fs::file::File;
use crate::fs::filesystems::{FileSystemType, register_filesystem};
use crate::fs::super_block::{CGROUP2_SUPER_MAGIC, Kstatfs, SuperBlock, SuperOperations};
use crate::fs::{DirEntry, DirFile, FileOps, FileType, Inode, access_mode, get_next_ino};
use crate::mm::page::PAGE_SIZE;
use crate::sync::SpinLock;
use crate::task::signal::{SIGKILL, send_sig};
use crate::task::{current, find_task_by_vpid};
use crate::uapi::errno::{Errno, KResult};

/// The core files (`cgroup_base_files`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum BaseFile {
    Procs,
    Controllers,
    SubtreeControl,
    Events,
    Kill,
}

const BASE_FILES: [(&str, BaseFile, u32); 5] = [
    ("cgroup.procs", BaseFile::Procs, 0),
    ("cgroup.controllers", BaseFile::Controllers, 0),
    ("cgroup.subtree_control", BaseFile::SubtreeControl, 0),
    ("cgroup.events", BaseFile::Events, CFTYPE_NOT_ON_ROOT),
    ("cgroup.kill", BaseFile::Kill, CFTYPE_NOT_ON_ROOT),
];

fn on_this_cgroup(cgrp: &Cgroup, flags: u32) -> bool {
    !(cgrp.is_root() && flags & CFTYPE_NOT_ON_ROOT != 0
        || !cgrp.is_root() && flags & CFTYPE_ONLY_ON_ROOT != 0)
}

impl BaseFile {
    fn readable(self) -> bool {
        self != BaseFile::Kill
    }

    fn writable(self) -> bool {
        matches!(
            self,
            BaseFile::Procs | BaseFile::SubtreeControl | BaseFile::Kill
        )
    }

    fn show(self, cgrp: &Cgroup, m: &mut String) -> fmt::Result {
        match self {
            BaseFile::Procs => cgroup_procs_show(cgrp, m),
            BaseFile::Controllers => cgroup_controllers_show(cgrp, m),
            BaseFile::SubtreeControl => cgroup_subtree_control_show(cgrp, m),
            BaseFile::Events => cgroup_events_show(cgrp, m),
            BaseFile::Kill => Ok(()),
        }
    }
}

/// What a file of a cgroup directory is.
#[derive(Clone, Copy)]
enum Kind {
    Base(BaseFile),
    /// A controller's file: `subsys[ssid].cftypes[index]`.
    Subsys(usize, &'static Cftype),
}

/// A cgroup directory (`kernfs_node` of a cgroup).
pub struct CgroupDir {
    cgrp: Arc<Cgroup>,
    /// Inode numbers of its files, handed out on first lookup.
    inos: SpinLock<BTreeMap<&'static str, u64>>,
}

impl CgroupDir {
    pub fn new(cgrp: Arc<Cgroup>) -> Arc<Self> {
        Arc::new(Self {
            cgrp,
            inos: SpinLock::new(BTreeMap::new()),
        })
    }

    /// The files present: base files, then those of each controller
    /// enabled here.
    fn files(&self) -> Vec<(&'static str, Kind)> {
        let cgrp = &self.cgrp;
        let mut files: Vec<(&'static str, Kind)> = BASE_FILES
            .iter()
            .filter(|(_, _, flags)| on_this_cgroup(cgrp, *flags))
            .map(|(name, f, _)| (*name, Kind::Base(*f)))
            .collect();
        for (ssid, ss) in cgrp.subsys().iter().enumerate() {
            if cgrp.css(ssid).is_none() {
                continue;
            }
            files.extend(
                (ss.cftypes.iter())
                    .filter(|cft| on_this_cgroup(cgrp, cft.flags))
                    .map(|cft| (cft.name, Kind::Subsys(ssid, cft))),
            );
        }
        files
    }
}

impl Inode for CgroupDir {
    fn file_type(&self) -> FileType {
        FileType::Dir
    }
    fn cgroup(&self) -> Option<Arc<Cgroup>> {
        Some(self.cgrp.clone())
    }
    fn ino(&self) -> u64 {
        self.cgrp.ino()
    }
    fn mode(&self) -> u32 {
        0o755
    }
    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        if self.cgrp.is_dying() {
            return Err(Errno::ENOENT);
        }
        if let Some((name, kind)) = self.files().into_iter().find(|(n, _)| *n == name) {
            let ino = *self
                .inos
                .lock_irqsave()
                .entry(name)
                .or_insert_with(get_next_ino);
            return Ok(Arc::new(CgroupFile {
                cgrp: self.cgrp.clone(),
                kind,
                ino,
            }));
        }
        let child = self.cgrp.child(name).ok_or(Errno::ENOENT)?;
        Ok(CgroupDir::new(child))
    }
    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        if self.cgrp.is_dying() {
            return Ok(Vec::new());
        }
        let mut entries = Vec::new();
        for (name, _) in self.files() {
            let ino = *self
                .inos
                .lock_irqsave()
                .entry(name)
                .or_insert_with(get_next_ino);
            entries.push(DirEntry::new(name, ino, FileType::Reg));
        }
        for name in self.cgrp.children_names() {
            if let Some(child) = self.cgrp.child(&name) {
                entries.push(DirEntry::new(&name, child.ino(), FileType::Dir));
            }
        }
        Ok(entries)
    }
    fn mkdir(&self, name: &str, _mode: u32) -> KResult<()> {
        if self.files().iter().any(|(n, _)| *n == name) {
            return Err(Errno::EEXIST);
        }
        cgroup_mkdir(&self.cgrp, name, get_next_ino()).map(|_| ())
    }
    fn rmdir(&self, name: &str) -> KResult<()> {
        if self.files().iter().any(|(n, _)| *n == name) {
            return Err(Errno::ENOTDIR);
        }
        cgroup_rmdir(&self.cgrp, name)
    }
    fn open(&self, _flags: u32) -> KResult<Arc<dyn FileOps>> {
        Ok(Arc::new(DirFile))
    }
}

/// A file of a cgroup (`kernfs_node` of a cftype).
struct CgroupFile {
    cgrp: Arc<Cgroup>,
    kind: Kind,
    ino: u64,
}

impl Inode for CgroupFile {
    fn file_type(&self) -> FileType {
        FileType::Reg
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        match self.kind {
            Kind::Base(f) => match (f.readable(), f.writable()) {
                (true, true) => 0o644,
                (true, false) => 0o444,
                _ => 0o200,
            },
            Kind::Subsys(..) => 0o644,
        }
    }
    /// `kernfs_fop_open()`.
    fn open(&self, flags: u32) -> KResult<Arc<dyn FileOps>> {
        let (read, write) = access_mode(flags);
        let op = match self.kind {
            Kind::Base(f) => {
                if write && !f.writable() || read && !f.readable() {
                    return Err(Errno::EACCES);
                }
                let mut text = String::new();
                f.show(&self.cgrp, &mut text).map_err(|_| Errno::ENOMEM)?;
                OpenOp::Base(f, text)
            }
            Kind::Subsys(ssid, cft) => {
                let css = self.cgrp.css(ssid).ok_or(Errno::ENODEV)?;
                OpenOp::Subsys(ssid, (cft.open)(&css, write)?)
            }
        };
        Ok(Arc::new(KernfsOpenFile {
            cgrp: self.cgrp.clone(),
            op,
        }))
    }
}

enum OpenOp {
    /// A base file with the text it showed at open.
    Base(BaseFile, String),
    /// A controller's handle, for the controller `ssid`.
    Subsys(usize, Arc<dyn FileOps>),
}

/// `struct kernfs_open_file`.
struct KernfsOpenFile {
    cgrp: Arc<Cgroup>,
    op: OpenOp,
}

impl KernfsOpenFile {
    /// `kernfs_get_active()`: the node is still there (the cgroup not
    /// removed, the controller still enabled).
    fn active(&self) -> KResult<()> {
        let gone = match &self.op {
            OpenOp::Base(..) => self.cgrp.is_dying(),
            OpenOp::Subsys(ssid, _) => self.cgrp.is_dying() || self.cgrp.css(*ssid).is_none(),
        };
        if gone { Err(Errno::ENODEV) } else { Ok(()) }
    }
}

/// The threads of the process a `cgroup.procs` write names: 0 is the
/// writer's.
fn procs_lookup(pid: super::Pid) -> Option<alloc::vec::Vec<Arc<crate::task::TaskStruct>>> {
    let task = if pid == 0 {
        current()
    } else {
        find_task_by_vpid(pid)?
    };
    Some(crate::task::signal::thread_group(task.tgid))
}

fn cgroup_kill_task(task: &Arc<crate::task::TaskStruct>) {
    // Kernel threads ignore it; a dead task needs nothing.
    let _ = send_sig(SIGKILL, task);
}

/// `cgroup_file_write()`: hand the write to the file's handler.
#[inline(never)]
fn cgroup_file_write(of: &KernfsOpenFile, file: &File, pos: u64, buf: &[u8]) -> KResult<usize> {
    let n = match &of.op {
        OpenOp::Base(BaseFile::Procs, _) => cgroup_procs_write(&of.cgrp, buf, &procs_lookup)?,
        OpenOp::Base(BaseFile::SubtreeControl, _) => cgroup_subtree_control_write(&of.cgrp, buf)?,
        OpenOp::Base(BaseFile::Kill, _) => cgroup_kill_write(&of.cgrp, buf, &cgroup_kill_task)?,
        OpenOp::Base(..) => return Err(Errno::EINVAL),
        OpenOp::Subsys(_, ops) => ops.write(file, pos, buf)?,
    };
    core::hint::black_box(());
    Ok(n)
}

/// `kernfs_fop_write_iter()`.
#[inline(never)]
fn kernfs_fop_write_iter(of: &KernfsOpenFile, file: &File, pos: u64, buf: &[u8]) -> KResult<usize> {
    if buf.len() > PAGE_SIZE as usize {
        return Err(Errno::E2BIG);
    }
    of.active()?;
    let n = cgroup_file_write(of, file, pos, buf)?;
    core::hint::black_box(());
    Ok(n)
}

impl FileOps for KernfsOpenFile {
    /// `kernfs_fop_read_iter()` → `seq_read_iter()`.
    fn read(&self, file: &File, pos: u64, buf: &mut [u8]) -> KResult<usize> {
        self.active()?;
        match &self.op {
            OpenOp::Base(f, _) if !f.readable() => Err(Errno::EINVAL),
            OpenOp::Base(_, text) => {
                let bytes = text.as_bytes();
                let start = (pos as usize).min(bytes.len());
                let n = buf.len().min(bytes.len() - start);
                buf[..n].copy_from_slice(&bytes[start..start + n]);
                Ok(n)
            }
            OpenOp::Subsys(_, ops) => ops.read(file, pos, buf),
        }
    }

    fn write(&self, file: &File, pos: u64, buf: &[u8]) -> KResult<usize> {
        kernfs_fop_write_iter(self, file, pos, buf)
    }
}

/// The default hierarchy (`cgrp_dfl_root`).
static CGRP_DFL_ROOT: spin::Once<Arc<Cgroup>> = spin::Once::new();

/// `cgroup_init()`: the root cgroup of the default hierarchy with the
/// controllers in `subsys` (`cgroup_subsys[]`).
pub fn cgroup_init(subsys: &[&'static CgroupSubsys]) {
    CGRP_DFL_ROOT.call_once(|| {
        Cgroup::new_root(subsys, get_next_ino()).expect("cannot set up the root cgroup")
    });
}

/// The root cgroup; panics before `cgroup_init`.
pub fn cgrp_dfl_root() -> &'static Arc<Cgroup> {
    CGRP_DFL_ROOT.get().expect("cgroup used before cgroup_init")
}

/// cgroup2 root flags set by mount options (`cgroup_root->flags`).
pub const CGRP_ROOT_NS_DELEGATE: u32 = 1 << 3;
pub const CGRP_ROOT_MEMORY_RECURSIVE_PROT: u32 = 1 << 18;
static CGRP_ROOT_FLAGS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// The default hierarchy's mount flags.
pub fn cgrp_dfl_root_flags() -> u32 {
    CGRP_ROOT_FLAGS.load(core::sync::atomic::Ordering::Relaxed)
}

/// `cgroup2_parse_param()`: the options this kernel implements; others
/// are EINVAL, as unknown ones are on Linux.
fn cgroup2_parse(data: &str) -> KResult<u32> {
    let mut flags = 0;
    for opt in data.split(',').filter(|o| !o.is_empty()) {
        flags |= match opt {
            "nsdelegate" => CGRP_ROOT_NS_DELEGATE,
            "memory_recursiveprot" => CGRP_ROOT_MEMORY_RECURSIVE_PROT,
            _ => return Err(Errno::EINVAL),
        };
    }
    Ok(flags)
}

struct Cgroup2Super;

impl SuperOperations for Cgroup2Super {
    /// `cgroup_show_options()`.
    fn show_options(&self, out: &mut String) {
        let flags = cgrp_dfl_root_flags();
        if flags & CGRP_ROOT_NS_DELEGATE != 0 {
            out.push_str(",nsdelegate");
        }
        if flags & CGRP_ROOT_MEMORY_RECURSIVE_PROT != 0 {
            out.push_str(",memory_recursiveprot");
        }
    }
    fn statfs(&self) -> Kstatfs {
        Kstatfs::simple(CGROUP2_SUPER_MAGIC)
    }
    /// `cgroup_reconfigure()`: `apply_cgroup_root_flags`.
    fn reconfigure(&self, data: &str) -> KResult<()> {
        let flags = cgroup2_parse(data)?;
        CGRP_ROOT_FLAGS.store(flags, core::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

static CGROUP2_SB: spin::Once<Arc<SuperBlock>> = spin::Once::new();

/// `cgroup_get_tree()`: the one superblock of the default hierarchy; the
/// options given replace the root's flags (`apply_cgroup_root_flags`).
fn cgroup2_get_tree(_flags: u32, _source: &str, data: &str) -> KResult<Arc<SuperBlock>> {
    let sb = CGROUP2_SB.get().ok_or(Errno::ENODEV)?;
    sb.s_op.reconfigure(data)?;
    Ok(sb.clone())
}

static CGROUP2_FS_TYPE: FileSystemType = FileSystemType {
    name: "cgroup2",
    fs_flags: 0,
    get_tree: cgroup2_get_tree,
};

/// `cgroup_init()`'s filesystem part: register cgroup2.
pub fn cgroup2_fs_init() {
    CGROUP2_SB.call_once(|| {
        SuperBlock::new_anon(
            &CGROUP2_FS_TYPE,
            CgroupDir::new(cgrp_dfl_root().clone()),
            0,
            Arc::new(Cgroup2Super),
        )
    });
    register_filesystem(&CGROUP2_FS_TYPE).expect("cgroup2 registered twice");
}
