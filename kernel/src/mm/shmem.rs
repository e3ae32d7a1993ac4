//! tmpfs (mm/shmem.c): a filesystem whose files live in the page cache
//! only. Each mount has its own superblock and `shmem_sb_info` (size=,
//! nr_blocks=, nr_inodes=, mode=, uid=, gid= with Linux's defaults,
//! errors and /proc/mounts form; statfs; remount). Directories list their
//! entries in creation order under stable offsets (libfs's
//! `simple_offset_*`, so `rm -r` can delete while it reads).
//!
//! A file's pages are swap-backed: charged to the memcg of the task that
//! writes (or faults) them in, counted as `NR_FILE_PAGES` and `NR_SHMEM`,
//! kept on the anonymous LRU lists, which reclaim leaves alone without
//! swap, and never dropped by `drop_caches`. Holes read as zeroes without
//! a page. The pages go on truncation and when the file's last name and
//! last user are gone (`shmem_evict_inode`: the mapping's `Drop`).
//!
//! Shared mappings map the file's own pages (`shmem_fault`); truncation
//! unmaps what lies past the new end. MAP_SHARED|MAP_ANONYMOUS memory is
//! an unlinked file of the kernel-internal mount (`shmem_zero_setup`).
//!
//! Left out: swap, huge pages, mpol=, inode32/inode64, noswap, quotas,
//! xattrs and ACLs, fallocate, seals and memfd, SysV shm; symbolic links keep their
//! target in the inode whatever its length (Linux puts one of 128 bytes
//! or more in a page, counted in st_blocks). Listing order is creation
//! order, as in Linux 6.6 to 6.13 (6.14 lists the newest entry first).

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::filemap::{AddressSpace, read_chunks};
use super::gfp::Gfp;
use super::memcontrol::{lruvec_stat_mod_folio, mem_cgroup_charge};
use super::mmzone::{NodeStatItem, PglistData};
use super::page::{PAGE_SHIFT, PAGE_SIZE, Page, PageFlags};
use super::page_alloc::{__alloc_pages, __free_pages};
use super::page_counter::memparse;
use super::swap::{folio_add_lru, folio_mark_accessed};
use crate::fs::char_dev::init_special_open;
use crate::fs::file::File;
use crate::fs::filesystems::FileSystemType;
use crate::fs::namespace::{MNT_NOATIME, MNT_RELATIME};
use crate::fs::super_block::{Kstatfs, SuperBlock, SuperOperations, TMPFS_MAGIC};
use crate::fs::{
    DevT, DirEntry, DirFile, FileOps, FileType, Iattr, Inode, Kstat, RENAME_EXCHANGE,
    RENAME_NOREPLACE, RENAME_WHITEOUT, S_IFMT, Timespec64, current_time, get_next_ino,
};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// What a directory's `i_size` grows by per entry (`BOGO_DIRENT_SIZE`).
pub const BOGO_DIRENT_SIZE: u64 = 20;
/// The 512-byte blocks of a page (`BLOCKS_PER_PAGE`).
const BLOCKS_PER_PAGE: u64 = PAGE_SIZE / 512;
/// `MAX_LFS_FILESIZE` on 64-bit.
const MAX_LFS_FILESIZE: u64 = i64::MAX as u64;
/// `BOGO_INODE_SIZE`: nr_inodes= is capped so that inodes × this fits.
const BOGO_INODE_SIZE: u64 = 1024;
/// The first directory offset after `.` and `..` (`DIR_OFFSET_MIN`).
const DIR_OFFSET_MIN: u64 = 2;
/// `S_ISGID`.
const S_ISGID: u32 = 0o2000;
/// The root's default mode: `0777 | S_ISVTX`.
const DEFAULT_MODE: u32 = 0o1777;

/// `enum sgp_type`: what a caller of `shmem_get_folio` may do to a hole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sgp {
    /// Leave it a hole (reads, truncation's partial page).
    Read,
    /// Fill it with a zeroed page, within i_size (a fault).
    Cache,
    /// Fill it, beyond i_size too (a write).
    Write,
}

/// The tmpfs side of a file's `address_space`: its size and the
/// superblock whose blocks its pages use.
pub struct ShmemMapping {
    pub(super) i_size: AtomicU64,
    sbinfo: Arc<ShmemSbInfo>,
}

/// The numbers `stat_lock` guards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ShmemStat {
    /// Pages allowed (0: unlimited).
    max_blocks: u64,
    /// Pages in use (`used_blocks`).
    used_blocks: u64,
    /// Inodes allowed (0: unlimited).
    max_inodes: u64,
    /// Inodes left (`free_ispace / BOGO_INODE_SIZE`).
    free_inodes: u64,
}

/// `struct shmem_sb_info`.
pub struct ShmemSbInfo {
    node: &'static PglistData,
    stat: SpinLock<ShmemStat>,
    /// The root's mode, uid and gid as mounted (what show_options prints).
    mode: u32,
    uid: u32,
    gid: u32,
}

/// `struct shmem_options`: a mount's or remount's parsed option string;
/// None for what it does not set (`ctx->seen`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShmemOptions {
    pub blocks: Option<u64>,
    pub inodes: Option<u64>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// `shmem_default_max_blocks()`: half of RAM.
fn shmem_default_max_blocks(totalram: u64) -> u64 {
    totalram / 2
}

/// `shmem_default_max_inodes()`: half as many inodes as RAM has pages
/// (there is no highmem).
fn shmem_default_max_inodes(totalram: u64) -> u64 {
    totalram.min(totalram / 2).min(u64::MAX / BOGO_INODE_SIZE)
}

/// `kstrtouint()`: a whole string as one u32 in `base` (0: 0x hex, 0
/// octal, else decimal), one trailing newline allowed.
fn kstrtouint(s: &str, base: u32) -> Option<u32> {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.starts_with(['+', '-']) {
        return None;
    }
    let (base, digits) = match base {
        0 if s.len() > 1 && (s.starts_with("0x") || s.starts_with("0X")) => (16, &s[2..]),
        0 if s.starts_with('0') => (8, s),
        0 => (10, s),
        b => (b, s),
    };
    if digits.is_empty() {
        return None;
    }
    u32::from_str_radix(digits, base).ok()
}

/// `shmem_parse_one()` for each comma-separated option
/// (`shmem_parse_options`): EINVAL for a bad value or an option tmpfs
/// does not know. `totalram` is for `size=N%`.
#[inline(never)]
pub fn shmem_parse_options(data: &str, totalram: u64) -> KResult<ShmemOptions> {
    let mut ctx = ShmemOptions::default();
    for opt in data.split(',').filter(|o| !o.is_empty()) {
        let (key, value) = match opt.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (opt, None),
        };
        let value = value.ok_or(Errno::EINVAL);
        match key {
            "size" => {
                let (mut size, rest) = memparse(value?.as_bytes());
                let rest = match rest {
                    [b'%', tail @ ..] => {
                        size = (size << PAGE_SHIFT).wrapping_mul(totalram) / 100;
                        tail
                    }
                    r => r,
                };
                if !rest.is_empty() {
                    return Err(Errno::EINVAL);
                }
                ctx.blocks = Some(size.div_ceil(PAGE_SIZE));
            }
            "nr_blocks" => {
                let (blocks, rest) = memparse(value?.as_bytes());
                if !rest.is_empty() || blocks > i64::MAX as u64 {
                    return Err(Errno::EINVAL);
                }
                ctx.blocks = Some(blocks);
            }
            "nr_inodes" => {
                let (inodes, rest) = memparse(value?.as_bytes());
                if !rest.is_empty() || inodes > u64::MAX / BOGO_INODE_SIZE {
                    return Err(Errno::EINVAL);
                }
                ctx.inodes = Some(inodes);
            }
            "mode" => ctx.mode = Some(kstrtouint(value?, 8).ok_or(Errno::EINVAL)? & 0o7777),
            // (uid_t)-1 is no user (`uid_valid`).
            "uid" => {
                ctx.uid = Some(
                    kstrtouint(value?, 0)
                        .filter(|&u| u != u32::MAX)
                        .ok_or(Errno::EINVAL)?,
                )
            }
            "gid" => {
                ctx.gid = Some(
                    kstrtouint(value?, 0)
                        .filter(|&g| g != u32::MAX)
                        .ok_or(Errno::EINVAL)?,
                )
            }
            _ => return Err(Errno::EINVAL),
        }
    }
    Ok(ctx)
}

impl ShmemSbInfo {
    fn totalram(&self) -> u64 {
        self.node.totalram_pages()
    }

    /// `shmem_reserve_inode()`: ENOSPC when nr_inodes are all in use.
    fn reserve_inode(&self) -> KResult<()> {
        let mut st = self.stat.lock_irqsave();
        if st.max_inodes != 0 {
            if st.free_inodes == 0 {
                return Err(Errno::ENOSPC);
            }
            st.free_inodes -= 1;
        }
        Ok(())
    }

    /// `shmem_free_inode()`.
    fn free_inode(&self) {
        let mut st = self.stat.lock_irqsave();
        if st.max_inodes != 0 {
            st.free_inodes += 1;
        }
    }

    /// `shmem_inode_acct_blocks()`: ENOSPC when size= is used up.
    fn acct_block(&self) -> KResult<()> {
        let mut st = self.stat.lock_irqsave();
        if st.max_blocks != 0 && st.used_blocks >= st.max_blocks {
            return Err(Errno::ENOSPC);
        }
        st.used_blocks += 1;
        Ok(())
    }

    /// `shmem_inode_unacct_blocks()`.
    fn unacct_blocks(&self, pages: u64) {
        self.stat.lock_irqsave().used_blocks -= pages;
    }
}

impl SuperOperations for ShmemSbInfo {
    /// `shmem_show_options()`: what differs from the defaults.
    fn show_options(&self, out: &mut String) {
        let st = *self.stat.lock_irqsave();
        let totalram = self.totalram();
        if st.max_blocks != shmem_default_max_blocks(totalram) {
            let _ = write!(out, ",size={}k", st.max_blocks << (PAGE_SHIFT - 10));
        }
        if st.max_inodes != shmem_default_max_inodes(totalram) {
            let _ = write!(out, ",nr_inodes={}", st.max_inodes);
        }
        if self.mode != DEFAULT_MODE {
            let _ = write!(out, ",mode={:03o}", self.mode);
        }
        if self.uid != 0 {
            let _ = write!(out, ",uid={}", self.uid);
        }
        if self.gid != 0 {
            let _ = write!(out, ",gid={}", self.gid);
        }
    }

    /// `shmem_statfs()`: block and inode numbers only when limited.
    fn statfs(&self) -> Kstatfs {
        let st = *self.stat.lock_irqsave();
        let mut buf = Kstatfs::simple(TMPFS_MAGIC);
        if st.max_blocks != 0 {
            buf.f_blocks = st.max_blocks;
            buf.f_bfree = st.max_blocks.saturating_sub(st.used_blocks);
            buf.f_bavail = buf.f_bfree;
        }
        if st.max_inodes != 0 {
            buf.f_files = st.max_inodes;
            buf.f_ffree = st.free_inodes;
        }
        buf
    }

    /// `shmem_reconfigure()`: size and nr_inodes change (EINVAL below
    /// what is in use, or from unlimited to limited); mode, uid and gid
    /// only apply at mount.
    #[inline(never)]
    fn reconfigure(&self, data: &str) -> KResult<()> {
        let ctx = shmem_parse_options(data, self.totalram())?;
        let mut st = self.stat.lock_irqsave();
        let used_inodes = st.max_inodes - st.free_inodes;
        if let Some(blocks) = ctx.blocks.filter(|&b| b != 0)
            && (st.max_blocks == 0 || st.used_blocks > blocks)
        {
            return Err(Errno::EINVAL);
        }
        if let Some(inodes) = ctx.inodes.filter(|&i| i != 0)
            && (st.max_inodes == 0 || inodes < used_inodes)
        {
            return Err(Errno::EINVAL);
        }
        if let Some(blocks) = ctx.blocks {
            st.max_blocks = blocks;
        }
        if let Some(inodes) = ctx.inodes {
            st.max_inodes = inodes;
            st.free_inodes = inodes.saturating_sub(used_inodes);
        }
        Ok(())
    }
}

/// Attributes that change (`i_mode`, `i_uid`, ..., the times).
#[derive(Clone, Copy, Debug)]
struct ShmemAttr {
    /// Permission bits.
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    /// A directory's size (BOGO_DIRENT_SIZE per entry and for `.`, `..`).
    dir_size: u64,
    atime: Timespec64,
    mtime: Timespec64,
    ctime: Timespec64,
    /// An O_TMPFILE inode may still get a name (`I_LINKABLE`).
    linkable: bool,
}

/// A directory's entries: by offset (listing order) and by name.
#[derive(Default)]
struct ShmemDir {
    by_off: BTreeMap<u64, (String, Arc<dyn Inode>)>,
    by_name: BTreeMap<String, u64>,
    /// `offset_ctx->next_offset`.
    next_offset: u64,
}

impl ShmemDir {
    /// `simple_offset_add()`.
    fn add(&mut self, name: &str, inode: Arc<dyn Inode>) {
        let off = self.next_offset.max(DIR_OFFSET_MIN);
        self.next_offset = off + 1;
        self.by_off.insert(off, (name.to_string(), inode));
        self.by_name.insert(name.to_string(), off);
    }

    /// `simple_offset_remove()`: the entry's inode.
    fn remove(&mut self, name: &str) -> Option<Arc<dyn Inode>> {
        let off = self.by_name.remove(name)?;
        self.by_off.remove(&off).map(|(_, i)| i)
    }

    fn get(&self, name: &str) -> Option<&Arc<dyn Inode>> {
        self.by_name.get(name).map(|off| &self.by_off[off].1)
    }
}

enum ShmemData {
    Dir(SpinLock<ShmemDir>),
    Reg(Arc<AddressSpace>),
    Lnk(String),
    Special(DevT),
}

/// `struct shmem_inode_info` with its `struct inode`.
pub struct ShmemInode {
    ino: u64,
    ftype: FileType,
    sbinfo: Arc<ShmemSbInfo>,
    attr: SpinLock<ShmemAttr>,
    data: ShmemData,
}

/// The tmpfs inode behind a VFS inode, if it is one.
fn shmem_i(inode: &Arc<dyn Inode>) -> Option<&ShmemInode> {
    (**inode).as_any().downcast_ref::<ShmemInode>()
}

/// `shmem_get_inode()`: a new inode of `mode`'s type on `sbinfo`, owned
/// by the caller (root) with the group of a set-group-ID `dir`; ENOSPC
/// past nr_inodes.
fn shmem_get_inode(
    sbinfo: &Arc<ShmemSbInfo>,
    dir: Option<&ShmemAttr>,
    mode: u32,
    uid: u32,
    gid: u32,
    data: ShmemData,
) -> KResult<Arc<ShmemInode>> {
    let ftype = FileType::from_mode(mode).ok_or(Errno::EINVAL)?;
    sbinfo.reserve_inode()?;
    let mut perm = mode & 0o7777;
    // `inode_init_owner()`.
    let gid = match dir {
        Some(d) if d.mode & S_ISGID != 0 => {
            if ftype == FileType::Dir {
                perm |= S_ISGID;
            }
            d.gid
        }
        _ => gid,
    };
    let now = current_time();
    let dir_data = ftype == FileType::Dir;
    Ok(Arc::new(ShmemInode {
        ino: get_next_ino(),
        ftype,
        sbinfo: sbinfo.clone(),
        attr: SpinLock::new(ShmemAttr {
            mode: perm,
            uid,
            gid,
            nlink: if dir_data { 2 } else { 1 },
            dir_size: if dir_data { 2 * BOGO_DIRENT_SIZE } else { 0 },
            atime: now,
            mtime: now,
            ctime: now,
            linkable: false,
        }),
        data,
    }))
}

impl Drop for ShmemInode {
    /// `shmem_evict_inode()`: the inode's count goes back; the pages go
    /// with the mapping when nothing else (a mapping of the file) holds it.
    fn drop(&mut self) {
        self.sbinfo.free_inode();
    }
}

impl ShmemInode {
    fn dir(&self) -> KResult<&SpinLock<ShmemDir>> {
        match &self.data {
            ShmemData::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn i_mapping(&self) -> Option<&Arc<AddressSpace>> {
        match &self.data {
            ShmemData::Reg(m) => Some(m),
            _ => None,
        }
    }

    /// A directory entry was added (`dir` grew) or removed: its size and
    /// times (`inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir))`).
    fn dir_changed(&self, grow: bool, now: Timespec64) {
        let mut a = self.attr.lock_irqsave();
        if grow {
            a.dir_size += BOGO_DIRENT_SIZE;
        } else {
            a.dir_size -= BOGO_DIRENT_SIZE;
        }
        a.mtime = now;
        a.ctime = now;
    }

    /// `shmem_mknod()`: a new inode named `name` in this directory.
    fn shmem_mknod(&self, name: &str, mode: u32, data: ShmemData) -> KResult<Arc<ShmemInode>> {
        let dir = self.dir()?;
        let dattr = *self.attr.lock_irqsave();
        let inode = shmem_get_inode(&self.sbinfo, Some(&dattr), mode, 0, 0, data)?;
        {
            let mut d = dir.lock_irqsave();
            if d.get(name).is_some() {
                drop(d);
                return Err(Errno::EEXIST);
            }
            d.add(name, inode.clone());
        }
        let now = current_time();
        self.dir_changed(true, now);
        if inode.ftype == FileType::Dir {
            self.attr.lock_irqsave().nlink += 1;
        }
        Ok(inode)
    }

    /// A new regular file's mapping.
    fn new_mapping(&self) -> ShmemData {
        ShmemData::Reg(AddressSpace::new_shmem(
            self.sbinfo.node,
            ShmemMapping {
                i_size: AtomicU64::new(0),
                sbinfo: self.sbinfo.clone(),
            },
        ))
    }

    /// `touch_atime()` on a read: never on noatime mounts; on relatime
    /// mounts only when the access time is not newer than the change
    /// times or is a day old (`relatime_need_update`).
    fn touch_atime(&self, mnt_flags: u32) {
        if mnt_flags & MNT_NOATIME != 0 {
            return;
        }
        let now = current_time();
        let mut a = self.attr.lock_irqsave();
        let key = |t: Timespec64| (t.sec, t.nsec);
        if mnt_flags & MNT_RELATIME != 0
            && key(a.mtime) < key(a.atime)
            && key(a.ctime) < key(a.atime)
            && now.sec - a.atime.sec < 24 * 60 * 60
        {
            return;
        }
        a.atime = now;
    }

    /// `file_update_time()` before a write.
    fn file_update_time(&self) {
        let now = current_time();
        let mut a = self.attr.lock_irqsave();
        a.mtime = now;
        a.ctime = now;
    }

    /// `shmem_unlink()`'s work on the inode that lost a name.
    fn drop_name(&self, now: Timespec64) {
        let mut a = self.attr.lock_irqsave();
        // Each link beyond the first took an inode (`shmem_link`).
        if a.nlink > 1 && self.ftype != FileType::Dir {
            self.sbinfo.free_inode();
        }
        a.nlink = a.nlink.saturating_sub(1);
        a.ctime = now;
    }
}

impl Inode for ShmemInode {
    fn file_type(&self) -> FileType {
        self.ftype
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn mode(&self) -> u32 {
        self.attr.lock_irqsave().mode
    }
    fn size(&self) -> u64 {
        match &self.data {
            ShmemData::Reg(m) => m.size(),
            ShmemData::Lnk(t) => t.len() as u64,
            ShmemData::Dir(_) => self.attr.lock_irqsave().dir_size,
            ShmemData::Special(_) => 0,
        }
    }
    /// `shmem_getattr()`: blocks are the pages the file has.
    fn getattr(&self) -> Kstat {
        let a = *self.attr.lock_irqsave();
        Kstat {
            ino: self.ino,
            mode: self.ftype.s_ifmt() | a.mode,
            nlink: a.nlink,
            uid: a.uid,
            gid: a.gid,
            rdev: self.rdev(),
            size: self.size(),
            blocks: self
                .i_mapping()
                .map_or(0, |m| m.nrpages() * BLOCKS_PER_PAGE),
            blksize: PAGE_SIZE as u32,
            atime: a.atime,
            mtime: a.mtime,
            ctime: a.ctime,
        }
    }
    /// `shmem_setattr()`: a size change truncates or extends (and moves
    /// the modification time); the change time moves on every call.
    #[inline(never)]
    fn setattr(&self, attr: &Iattr) -> KResult<()> {
        let now = current_time();
        if let Some(size) = attr.size {
            let mapping = self.i_mapping().ok_or(Errno::EINVAL)?;
            if size > MAX_LFS_FILESIZE {
                return Err(Errno::EFBIG);
            }
            let old = mapping.size();
            if size != old {
                shmem_mapping(mapping).i_size.store(size, Relaxed);
                if size < old {
                    // Mapped pages past the new end leave every page
                    // table first, so a later access is SIGBUS; the page
                    // the end falls in stays mapped, its tail zeroed.
                    #[cfg(target_os = "none")]
                    crate::mm::memory::unmap_mapping_range(mapping, size.div_ceil(PAGE_SIZE));
                    shmem_undo_range(mapping, size);
                }
                self.attr.lock_irqsave().mtime = now;
            }
        }
        let mut a = self.attr.lock_irqsave();
        if let Some(mode) = attr.mode {
            a.mode = mode & 0o7777;
        }
        if let Some(uid) = attr.uid {
            a.uid = uid;
        }
        if let Some(gid) = attr.gid {
            a.gid = gid;
        }
        if let Some(t) = attr.atime {
            a.atime = t;
        }
        if let Some(t) = attr.mtime {
            a.mtime = t;
        }
        a.ctime = now;
        Ok(())
    }
    fn rdev(&self) -> DevT {
        match self.data {
            ShmemData::Special(d) => d,
            _ => DevT::default(),
        }
    }
    fn lookup(&self, name: &str) -> KResult<Arc<dyn Inode>> {
        self.dir()?
            .lock_irqsave()
            .get(name)
            .cloned()
            .ok_or(Errno::ENOENT)
    }
    /// `offset_readdir()`: creation order, each entry with its offset.
    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        Ok(self
            .dir()?
            .lock_irqsave()
            .by_off
            .iter()
            .map(|(&off, (name, inode))| DirEntry {
                name: name.clone(),
                ino: inode.ino(),
                ftype: inode.file_type(),
                off,
            })
            .collect())
    }
    /// `shmem_create()`.
    fn create(&self, name: &str, mode: u32) -> KResult<Arc<dyn Inode>> {
        let data = self.new_mapping();
        Ok(self.shmem_mknod(name, crate::fs::S_IFREG | (mode & 0o7777), data)?)
    }
    /// `shmem_mkdir()`.
    fn mkdir(&self, name: &str, mode: u32) -> KResult<()> {
        let data = ShmemData::Dir(SpinLock::new(ShmemDir::default()));
        self.shmem_mknod(name, crate::fs::S_IFDIR | (mode & 0o7777), data)
            .map(|_| ())
    }
    /// `shmem_mknod()` for devices, FIFOs and sockets.
    fn mknod(&self, name: &str, mode: u32, rdev: DevT) -> KResult<()> {
        let ftype = FileType::from_mode(mode).ok_or(Errno::EINVAL)?;
        let data = match ftype {
            FileType::Reg => self.new_mapping(),
            FileType::Dir | FileType::Lnk => return Err(Errno::EINVAL),
            _ => ShmemData::Special(rdev),
        };
        self.shmem_mknod(name, mode & (S_IFMT | 0o7777), data)
            .map(|_| ())
    }
    /// `shmem_symlink()`: ENAMETOOLONG past a page.
    fn symlink(&self, name: &str, target: &str) -> KResult<()> {
        if target.len() + 1 > PAGE_SIZE as usize {
            return Err(Errno::ENAMETOOLONG);
        }
        let data = ShmemData::Lnk(target.to_string());
        self.shmem_mknod(name, crate::fs::S_IFLNK | 0o777, data)
            .map(|_| ())
    }
    /// `shmem_link()`: each link beyond the first takes an inode of
    /// nr_inodes; an unlinked file gets no new name (ENOENT) unless it
    /// is an O_TMPFILE one.
    fn link(&self, name: &str, inode: &Arc<dyn Inode>) -> KResult<()> {
        let dir = self.dir()?;
        let target = shmem_i(inode)
            .filter(|t| Arc::ptr_eq(&t.sbinfo, &self.sbinfo))
            .ok_or(Errno::EXDEV)?;
        let (nlink, linkable) = {
            let a = target.attr.lock_irqsave();
            (a.nlink, a.linkable)
        };
        if nlink == 0 && !linkable {
            return Err(Errno::ENOENT);
        }
        if nlink > 0 {
            self.sbinfo.reserve_inode()?;
        }
        {
            let mut d = dir.lock_irqsave();
            if d.get(name).is_some() {
                drop(d);
                if nlink > 0 {
                    self.sbinfo.free_inode();
                }
                return Err(Errno::EEXIST);
            }
            d.add(name, inode.clone());
        }
        let now = current_time();
        {
            let mut a = target.attr.lock_irqsave();
            a.nlink += 1;
            a.linkable = false;
            a.ctime = now;
        }
        self.dir_changed(true, now);
        Ok(())
    }
    /// `shmem_unlink()`.
    #[inline(never)]
    fn unlink(&self, name: &str) -> KResult<()> {
        let victim = {
            let mut d = self.dir()?.lock_irqsave();
            match d.get(name) {
                None => return Err(Errno::ENOENT),
                Some(i) if i.file_type() == FileType::Dir => return Err(Errno::EISDIR),
                Some(_) => {}
            }
            d.remove(name).expect("the entry was just found")
        };
        let now = current_time();
        if let Some(v) = shmem_i(&victim) {
            v.drop_name(now);
        }
        self.dir_changed(false, now);
        // The last name of a file nobody has open: evicted here.
        drop(victim);
        Ok(())
    }
    /// `shmem_rmdir()`: ENOTEMPTY unless empty.
    #[inline(never)]
    fn rmdir(&self, name: &str) -> KResult<()> {
        let victim = {
            let mut d = self.dir()?.lock_irqsave();
            let v = d.get(name).ok_or(Errno::ENOENT)?;
            let vi = shmem_i(v).ok_or(Errno::ENOTDIR)?;
            if !vi.dir()?.lock_irqsave().by_off.is_empty() {
                return Err(Errno::ENOTEMPTY);
            }
            d.remove(name).expect("the entry was just found")
        };
        let now = current_time();
        if let Some(v) = shmem_i(&victim) {
            let mut a = v.attr.lock_irqsave();
            a.nlink = 0;
            a.ctime = now;
        }
        self.attr.lock_irqsave().nlink -= 1;
        self.dir_changed(false, now);
        drop(victim);
        Ok(())
    }
    /// `shmem_rename2()`: the VFS has checked the names, the types and
    /// RENAME_NOREPLACE; a replaced directory must be empty (ENOTEMPTY),
    /// RENAME_EXCHANGE swaps the two entries in place.
    #[inline(never)]
    fn rename(&self, old: &str, new_dir: &Arc<dyn Inode>, new: &str, flags: u32) -> KResult<()> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0 {
            return Err(Errno::EINVAL);
        }
        if flags & RENAME_WHITEOUT != 0 {
            return Err(Errno::EINVAL);
        }
        let nd = shmem_i(new_dir)
            .filter(|n| Arc::ptr_eq(&n.sbinfo, &self.sbinfo))
            .ok_or(Errno::EXDEV)?;
        let same_dir = core::ptr::eq(nd, self);
        let now = current_time();
        // Both directories' entries change under their locks, taken in
        // address order; replaced inodes are dropped after.
        let (source, exchanged, replaced) = {
            let (mut od, mut ng) = if same_dir {
                (self.dir()?.lock_irqsave(), None)
            } else if (self as *const Self) < (nd as *const Self) {
                let od = self.dir()?.lock_irqsave();
                (od, Some(nd.dir()?.lock_irqsave()))
            } else {
                let ng = nd.dir()?.lock_irqsave();
                (self.dir()?.lock_irqsave(), Some(ng))
            };
            // The new directory's entries: the old one's when they are
            // the same.
            macro_rules! ndir {
                () => {
                    match ng.as_mut() {
                        Some(g) => &mut **g,
                        None => &mut *od,
                    }
                };
            }
            let source = od.get(old).cloned().ok_or(Errno::ENOENT)?;
            let target = ndir!().get(new).cloned();
            if flags & RENAME_EXCHANGE != 0 {
                let target = target.ok_or(Errno::ENOENT)?;
                // `simple_offset_rename_exchange()`: each name keeps its
                // offset and gets the other inode.
                let so = od.by_name[old];
                od.by_off.get_mut(&so).expect("offset of a name").1 = target.clone();
                let n = ndir!();
                let to = n.by_name[new];
                n.by_off.get_mut(&to).expect("offset of a name").1 = source.clone();
                (source, Some(target), None)
            } else {
                if let Some(ti) = target.as_ref().and_then(shmem_i)
                    && let ShmemData::Dir(td) = &ti.data
                    && !td.lock_irqsave().by_off.is_empty()
                {
                    return Err(Errno::ENOTEMPTY);
                }
                od.remove(old);
                let n = ndir!();
                let replaced = n.remove(new);
                n.add(new, source.clone());
                (source, None, replaced)
            }
        };
        let sdir = source.file_type() == FileType::Dir;
        if let Some(target) = exchanged {
            // `simple_rename_exchange()`: a directory moving between
            // parents moves a link with it.
            let tdir = target.file_type() == FileType::Dir;
            if !same_dir && sdir != tdir {
                if sdir {
                    self.attr.lock_irqsave().nlink -= 1;
                    nd.attr.lock_irqsave().nlink += 1;
                } else {
                    nd.attr.lock_irqsave().nlink -= 1;
                    self.attr.lock_irqsave().nlink += 1;
                }
            }
            if let Some(t) = shmem_i(&target) {
                t.attr.lock_irqsave().ctime = now;
            }
            for d in [self, nd] {
                let mut a = d.attr.lock_irqsave();
                a.mtime = now;
                a.ctime = now;
            }
        } else {
            if let Some(t) = &replaced {
                // `shmem_unlink()` of the target, then its second link
                // and its parent's if it is a directory.
                if let Some(ti) = shmem_i(t) {
                    ti.drop_name(now);
                    if sdir {
                        ti.attr.lock_irqsave().nlink = 0;
                    }
                }
                nd.dir_changed(false, now);
                if sdir {
                    self.attr.lock_irqsave().nlink -= 1;
                }
            } else if sdir {
                self.attr.lock_irqsave().nlink -= 1;
                nd.attr.lock_irqsave().nlink += 1;
            }
            self.dir_changed(false, now);
            nd.dir_changed(true, now);
        }
        if let Some(s) = shmem_i(&source) {
            s.attr.lock_irqsave().ctime = now;
        }
        drop(replaced);
        Ok(())
    }
    /// `shmem_tmpfile()`: a file without a name that linkat(2) may name.
    fn tmpfile(&self, mode: u32) -> KResult<Arc<dyn Inode>> {
        let dattr = *self.attr.lock_irqsave();
        let data = self.new_mapping();
        let inode = shmem_get_inode(
            &self.sbinfo,
            Some(&dattr),
            crate::fs::S_IFREG | (mode & 0o7777),
            0,
            0,
            data,
        )?;
        {
            let mut a = inode.attr.lock_irqsave();
            a.nlink = 0;
            a.linkable = true;
        }
        Ok(inode)
    }
    fn readlink(&self) -> KResult<String> {
        match &self.data {
            ShmemData::Lnk(t) => Ok(t.clone()),
            _ => Err(Errno::EINVAL),
        }
    }
    fn open(&self, flags: u32) -> KResult<Arc<dyn FileOps>> {
        match &self.data {
            ShmemData::Dir(_) => Ok(Arc::new(DirFile)),
            ShmemData::Reg(_) => Ok(Arc::new(ShmemFile)),
            ShmemData::Lnk(_) => Err(Errno::ELOOP),
            ShmemData::Special(rdev) => init_special_open(self.ftype, *rdev, flags),
        }
    }
    fn mapping(&self) -> Option<&Arc<AddressSpace>> {
        self.i_mapping()
    }
}

/// `shmem_file_operations` of an open regular file.
struct ShmemFile;

impl ShmemFile {
    fn inode(file: &File) -> KResult<&ShmemInode> {
        shmem_i(file.inode()).ok_or(Errno::EINVAL)
    }
}

impl FileOps for ShmemFile {
    /// `shmem_file_read_iter()`.
    fn read(&self, file: &File, pos: u64, buf: &mut [u8]) -> KResult<usize> {
        let inode = Self::inode(file)?;
        let mapping = inode.i_mapping().ok_or(Errno::EINVAL)?;
        let n = shmem_file_read(mapping, pos, buf)?;
        inode.touch_atime(file.f_path.mnt.mnt_flags());
        Ok(n)
    }
    /// `shmem_file_write_iter()`.
    fn write(&self, file: &File, pos: u64, buf: &[u8]) -> KResult<usize> {
        let inode = Self::inode(file)?;
        let mapping = inode.i_mapping().ok_or(Errno::EINVAL)?;
        if buf.is_empty() {
            return Ok(0);
        }
        if pos >= MAX_LFS_FILESIZE {
            return Err(Errno::EFBIG);
        }
        inode.file_update_time();
        let len = buf.len().min((MAX_LFS_FILESIZE - pos) as usize);
        generic_perform_write(mapping, pos, &buf[..len])
    }
    fn fsync(&self, _file: &File) -> KResult<()> {
        Ok(())
    }
}

/// The tmpfs side of a mapping known to be tmpfs's.
fn shmem_mapping(mapping: &AddressSpace) -> &ShmemMapping {
    mapping.shmem().expect("a tmpfs file's mapping")
}

/// The cached page at `index` with a reference, or None.
fn find_get_folio(mapping: &AddressSpace, index: u64) -> Option<&'static Page> {
    let pages = mapping.i_pages.lock_irqsave();
    let page = mapping.node().pfn_to_page(*pages.get(&index)?);
    page.get();
    Some(page)
}

/// `shmem_add_to_page_cache()`: the page joins the file (EEXIST if
/// another got there first), counted as file and shmem pages.
fn shmem_add_to_page_cache(mapping: &AddressSpace, page: &'static Page, index: u64) -> KResult<()> {
    let node = mapping.node();
    let mut pages = mapping.i_pages.lock_irqsave();
    if pages.contains_key(&index) {
        return Err(Errno::EEXIST);
    }
    pages.insert(index, node.page_to_pfn(page));
    page.mapping.store(mapping.id(), Relaxed);
    page.index.store(index, Relaxed);
    page.get();
    lruvec_stat_mod_folio(node, page, NodeStatItem::NrFilePages, 1);
    lruvec_stat_mod_folio(node, page, NodeStatItem::NrShmem, 1);
    Ok(())
}

/// `shmem_alloc_and_add_folio()`: a zeroed page for the hole at `index`,
/// its block accounted (ENOSPC), charged to the caller's memcg (ENOMEM),
/// swap-backed on the anonymous LRU. None if another page got there
/// first.
#[inline(never)]
fn shmem_alloc_and_add_folio(mapping: &AddressSpace, index: u64) -> KResult<Option<&'static Page>> {
    let sm = shmem_mapping(mapping);
    let node = mapping.node();
    sm.sbinfo.acct_block()?;
    let Some(page) = __alloc_pages(node, Gfp::GFP_HIGHUSER_MOVABLE | Gfp::__GFP_ZERO, 0) else {
        sm.sbinfo.unacct_blocks(1);
        return Err(Errno::ENOMEM);
    };
    page.set(PageFlags::SWAPBACKED);
    let added = mem_cgroup_charge(node, page, Gfp::GFP_HIGHUSER_MOVABLE)
        .and_then(|()| shmem_add_to_page_cache(mapping, page, index));
    match added {
        Ok(()) => {
            folio_add_lru(node, page);
            Ok(Some(page))
        }
        Err(e) => {
            __free_pages(node, page, 0);
            sm.sbinfo.unacct_blocks(1);
            if e == Errno::EEXIST { Ok(None) } else { Err(e) }
        }
    }
}

/// `shmem_get_folio()`: the page at `index` with a reference, a new one
/// for a hole unless `sgp` is `Read` (then None); a write marks it used.
#[inline(never)]
pub fn shmem_get_folio(
    mapping: &AddressSpace,
    index: u64,
    sgp: Sgp,
) -> KResult<Option<&'static Page>> {
    loop {
        if let Some(page) = find_get_folio(mapping, index) {
            if sgp == Sgp::Write {
                folio_mark_accessed(mapping.node(), page);
            }
            return Ok(Some(page));
        }
        if sgp == Sgp::Read {
            return Ok(None);
        }
        if sgp == Sgp::Cache && index >= mapping.size().div_ceil(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        if let Some(page) = shmem_alloc_and_add_folio(mapping, index)? {
            if sgp == Sgp::Write {
                page.set(PageFlags::REFERENCED);
            }
            return Ok(Some(page));
        }
    }
}

/// `shmem_fault()`'s page: the page for a fault at `index` of a mapped
/// tmpfs file, a new zeroed one for a hole, with a reference.
pub fn shmem_fault(mapping: &AddressSpace, index: u64) -> KResult<&'static Page> {
    shmem_get_folio(mapping, index, Sgp::Cache)?.ok_or(Errno::EINVAL)
}

/// `shmem_file_read_iter()`: bytes at `pos` up to i_size; a hole reads
/// as zeroes (Linux copies the zero page) and gets no page.
#[inline(never)]
pub fn shmem_file_read(mapping: &AddressSpace, pos: u64, buf: &mut [u8]) -> KResult<usize> {
    let node = mapping.node();
    let mut done = 0;
    for (index, offset, at, n) in read_chunks(pos, buf.len(), mapping.size()) {
        let dst = &mut buf[at..at + n];
        match shmem_get_folio(mapping, index, Sgp::Read)? {
            Some(page) => {
                node.phys
                    .copy_from_page(node.page_to_pfn(page), offset, dst);
                folio_mark_accessed(node, page);
                __free_pages(node, page, 0);
            }
            None => dst.fill(0),
        }
        done = at + n;
    }
    Ok(done)
}

/// `generic_perform_write()` through `shmem_write_begin()`: page by
/// page; stops at the first page it cannot get (ENOSPC past size=,
/// ENOMEM past the memcg's limit) and returns what it wrote, or that
/// error if nothing. i_size grows to the end of what was written.
#[inline(never)]
pub fn generic_perform_write(mapping: &AddressSpace, pos: u64, buf: &[u8]) -> KResult<usize> {
    let node = mapping.node();
    let mut done = 0;
    while done < buf.len() {
        let at = pos + done as u64;
        let (index, offset) = (at >> PAGE_SHIFT, (at % PAGE_SIZE) as usize);
        let n = (PAGE_SIZE as usize - offset).min(buf.len() - done);
        let page = match shmem_write_begin(mapping, index) {
            Ok(p) => p,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        node.phys
            .copy_to_page(node.page_to_pfn(page), offset, &buf[done..done + n]);
        page.set(PageFlags::DIRTY);
        __free_pages(node, page, 0);
        done += n;
        shmem_mapping(mapping)
            .i_size
            .fetch_max(pos + done as u64, Relaxed);
    }
    Ok(done)
}

/// `shmem_write_begin()`: the page a write at `index` goes to.
#[inline(never)]
fn shmem_write_begin(mapping: &AddressSpace, index: u64) -> KResult<&'static Page> {
    shmem_get_folio(mapping, index, Sgp::Write)?.ok_or(Errno::ENOMEM)
}

/// `shmem_undo_range()` from `lstart` to the end of the file: whole
/// pages from the first page boundary at or after `lstart` leave the
/// cache (uncharged and freed with their last reference, their blocks
/// back to the superblock), and the part of the page `lstart` falls in
/// is zeroed from it.
#[inline(never)]
pub fn shmem_undo_range(mapping: &AddressSpace, lstart: u64) {
    let node = mapping.node();
    let start = lstart.div_ceil(PAGE_SIZE);
    let removed: Vec<u64> = {
        let mut pages = mapping.i_pages.lock_irqsave();
        let tail = pages.split_off(&start);
        tail.into_values().collect()
    };
    for &pfn in &removed {
        let page = node.pfn_to_page(pfn);
        page.mapping.store(0, Relaxed);
        lruvec_stat_mod_folio(node, page, NodeStatItem::NrFilePages, -1);
        lruvec_stat_mod_folio(node, page, NodeStatItem::NrShmem, -1);
        __free_pages(node, page, 0);
    }
    if !removed.is_empty() {
        shmem_mapping(mapping)
            .sbinfo
            .unacct_blocks(removed.len() as u64);
    }
    let partial = (lstart % PAGE_SIZE) as usize;
    if partial != 0
        && let Ok(Some(page)) = shmem_get_folio(mapping, lstart >> PAGE_SHIFT, Sgp::Read)
    {
        let zeros = [0u8; PAGE_SIZE as usize];
        node.phys
            .copy_to_page(node.page_to_pfn(page), partial, &zeros[partial..]);
        __free_pages(node, page, 0);
    }
}

/// The pages of a tmpfs file whose last user is gone.
pub(super) fn shmem_evict_mapping(mapping: &AddressSpace) {
    shmem_undo_range(mapping, 0);
}

/// `shmem_kernel_file_setup()` on the kernel-internal mount (`shm_mnt`),
/// for `shmem_zero_setup()`: an unlinked tmpfs file of `size` bytes,
/// whose pages go with the last mapping. The internal mount has no size=
/// or nr_inodes= limit (`SB_KERNMOUNT`), so each such file gets its own
/// unlimited `shmem_sb_info`: nothing else is shared through it.
#[inline(never)]
pub fn shmem_kernel_file_setup(node: &'static PglistData, size: u64) -> Arc<AddressSpace> {
    let sbinfo = Arc::new(ShmemSbInfo {
        node,
        stat: SpinLock::new(ShmemStat::default()),
        mode: DEFAULT_MODE,
        uid: 0,
        gid: 0,
    });
    AddressSpace::new_shmem(
        node,
        ShmemMapping {
            i_size: AtomicU64::new(size),
            sbinfo,
        },
    )
}

/// `shmem_zero_setup()`: the file behind a MAP_SHARED|MAP_ANONYMOUS
/// mapping of `size` bytes, named as Linux's /proc/PID/maps shows it
/// (`shmem_kernel_file_setup("dev/zero", ...)`, never linked).
pub fn shmem_zero_setup(node: &'static PglistData, size: u64) -> super::mmap::VmFile {
    super::mmap::VmFile {
        mapping: shmem_kernel_file_setup(node, size),
        f_path: None,
        f_ra: Arc::new(crate::sync::SpinLock::new(
            super::readahead::FileRaState::with_ra_pages(0),
        )),
        path: Arc::from("/dev/zero (deleted)"),
        ino: get_next_ino(),
    }
}

/// `shmem_fill_super()`: a new tmpfs on `node` with the options `data`
/// (defaults for what they leave out).
#[inline(never)]
pub fn shmem_fill_super(
    fs_type: &'static FileSystemType,
    node: &'static PglistData,
    flags: u32,
    data: &str,
) -> KResult<Arc<SuperBlock>> {
    let totalram = node.totalram_pages();
    let ctx = shmem_parse_options(data, totalram)?;
    let max_blocks = ctx.blocks.unwrap_or(shmem_default_max_blocks(totalram));
    let max_inodes = ctx.inodes.unwrap_or(shmem_default_max_inodes(totalram));
    let sbinfo = Arc::new(ShmemSbInfo {
        node,
        stat: SpinLock::new(ShmemStat {
            max_blocks,
            used_blocks: 0,
            max_inodes,
            free_inodes: max_inodes,
        }),
        mode: ctx.mode.unwrap_or(DEFAULT_MODE),
        uid: ctx.uid.unwrap_or(0),
        gid: ctx.gid.unwrap_or(0),
    });
    let root = shmem_get_inode(
        &sbinfo,
        None,
        crate::fs::S_IFDIR | sbinfo.mode,
        sbinfo.uid,
        sbinfo.gid,
        ShmemData::Dir(SpinLock::new(ShmemDir::default())),
    )?;
    Ok(SuperBlock::new_anon(fs_type, root, flags, sbinfo))
}

/// `shmem_fs_type`'s `get_tree`: a new superblock per mount.
#[cfg(target_os = "none")]
fn shmem_get_tree(flags: u32, _source: &str, data: &str) -> KResult<Arc<SuperBlock>> {
    shmem_fill_super(&SHMEM_FS_TYPE, super::mmzone::node_data(0), flags, data)
}

/// `shmem_fs_type`.
#[cfg(target_os = "none")]
pub static SHMEM_FS_TYPE: FileSystemType = FileSystemType {
    name: "tmpfs",
    fs_flags: 0,
    get_tree: shmem_get_tree,
};

/// `shmem_init()`: tmpfs becomes mountable.
#[cfg(target_os = "none")]
pub fn shmem_init() {
    crate::fs::filesystems::register_filesystem(&SHMEM_FS_TYPE).expect("tmpfs registered twice");
}

#[cfg(test)]
mod tests;
