//! cgroup v2 core: Linux's kernel/cgroup/cgroup.c (≈ v6.12), the default
//! hierarchy only. [`kernfs`] is the filesystem side (fs/kernfs/ roles).
//!
//! A [`Cgroup`] holds its member tasks directly (Linux goes through
//! `css_set`s; here a task points at its cgroup, `task->cgroups`), its
//! children, `subtree_control`, the populated counts and one css per
//! controller enabled in it. Controllers plug in through a
//! [`CgroupSubsys`]; the core never looks inside a [`Css`].
//!
//! Left out: cgroup v1, threaded cgroups and `cgroup.type`, `cgroup.max.*`,
//! `cgroup.stat`, `cgroup.freeze` (`frozen` is always 0), delegation and
//! permission checks, css_set sharing, `css_online`/`post_attach`/
//! `can_attach`, implicit controllers, file notifications (inotify), and
//! `clone3(CLONE_INTO_CGROUP)`. Every task is its own thread group.
//!
//! Locking: each hierarchy has one `cgroup_mutex` (a spinlock on this one
//! CPU) held by every operation that changes the tree, membership or
//! `subtree_control`; a cgroup's own fields sit behind a short-lived lock
//! that is never held across a call into another cgroup or a controller.

#[cfg(target_os = "none")]
pub mod kernfs;
#[cfg(test)]
mod tests;

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use core::fmt::{self, Write};

use crate::fs::FileOps;
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// A task as cgroup core sees it.
#[cfg(target_os = "none")]
pub use crate::task::{Pid, TaskStruct};

/// `pid_t`.
#[cfg(not(target_os = "none"))]
pub type Pid = i32;

/// The fields of `struct task_struct` cgroup core uses, for host tests;
/// the kernel's `TaskStruct` has the same three.
#[cfg(not(target_os = "none"))]
pub struct TaskStruct {
    pub pid: Pid,
    pub tgid: Pid,
    pub cgroups: SpinLock<Arc<Cgroup>>,
}

/// A controller's state in one cgroup (`struct cgroup_subsys_state`); the
/// controller downcasts it to its own type (`mem_cgroup_from_css`).
pub type Css = Arc<dyn Any + Send + Sync>;

/// `cftype->flags`: the file is only in the root cgroup.
pub const CFTYPE_ONLY_ON_ROOT: u32 = 1 << 0;
/// `cftype->flags`: the file is in every cgroup but the root.
pub const CFTYPE_NOT_ON_ROOT: u32 = 1 << 1;

/// `struct cftype`: one control file of a controller, present in a cgroup
/// while the controller is enabled there.
pub struct Cftype {
    /// The full file name, e.g. `memory.max`.
    pub name: &'static str,
    /// `CFTYPE_*`.
    pub flags: u32,
    /// Opens the file for the cgroup whose css is given: a per-open
    /// handle (`kernfs_open_file`), so a file may keep per-fd state.
    pub open: fn(&Css, write: bool) -> KResult<Arc<dyn FileOps>>,
}

/// `struct cgroup_subsys`: a controller. Hooks left `None` do nothing.
pub struct CgroupSubsys {
    /// What `cgroup.controllers` lists and `+name` enables.
    pub name: &'static str,
    /// A css for a cgroup the controller becomes enabled in (the root at
    /// boot, with `None`; a child when its parent's `subtree_control`
    /// gains the controller or when it is made under such a parent).
    pub css_alloc: fn(parent_css: Option<&Css>) -> KResult<Css>,
    /// The cgroup was removed or the controller disabled in it; the css
    /// may live on (a zombie) while the controller holds references.
    pub css_offline: Option<fn(&Css)>,
    /// The cgroup lets go of the css (after `css_offline`).
    pub css_free: Option<fn(&Css)>,
    /// `task` now has `css` as its effective css (it was moved, or the
    /// controller was enabled or disabled above it).
    pub attach: Option<fn(&Css, &TaskStruct)>,
    /// The controller's files (`dfl_cftypes`).
    pub cftypes: &'static [Cftype],
}

/// Mask of controllers, bit `ssid` for `root.subsys[ssid]` (`u16 ss_mask`).
pub type SsMask = u16;

/// `struct cgroup_root`: one hierarchy.
pub struct CgroupRoot {
    subsys: Vec<&'static CgroupSubsys>,
    cgroup_mutex: SpinLock<()>,
}

/// `struct cgroup`.
pub struct Cgroup {
    name: String,
    parent: Option<Arc<Cgroup>>,
    root: Arc<CgroupRoot>,
    ino: u64,
    state: SpinLock<CgroupState>,
}

struct CgroupState {
    children: BTreeMap<String, Arc<Cgroup>>,
    /// Member tasks (Linux: the tasks of its css_sets).
    procs: BTreeMap<Pid, Arc<TaskStruct>>,
    subtree_control: SsMask,
    /// The css of each controller enabled here.
    css: Vec<Option<Css>>,
    /// Children whose subtree has tasks (`nr_populated_domain_children`).
    nr_populated_children: usize,
    /// Bumped by `cgroup.kill` (`kill_seq`): a fork that began before a
    /// kill and ends after it kills the child.
    kill_seq: u64,
    /// Removed (`CSS_DYING`/offline): gone from the tree, zombie until
    /// the last reference drops.
    dying: bool,
}

impl CgroupState {
    /// A new, empty cgroup with the given controllers' css.
    fn new(css: Vec<Option<Css>>) -> Self {
        Self {
            children: BTreeMap::new(),
            procs: BTreeMap::new(),
            subtree_control: 0,
            css,
            nr_populated_children: 0,
            kill_seq: 0,
            dying: false,
        }
    }

    fn populated(&self) -> bool {
        !self.procs.is_empty() || self.nr_populated_children > 0
    }
}

fn same_css(a: &Css, b: &Css) -> bool {
    core::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

impl Cgroup {
    /// `cgroup_setup_root()` + `cgroup_init_subsys()`: a hierarchy with
    /// every controller in `subsys` enabled in its root.
    pub fn new_root(subsys: &[&'static CgroupSubsys], ino: u64) -> KResult<Arc<Cgroup>> {
        let mut css = Vec::new();
        for ss in subsys {
            css.push(Some((ss.css_alloc)(None)?));
        }
        Ok(Arc::new(Cgroup {
            name: String::new(),
            parent: None,
            root: Arc::new(CgroupRoot {
                subsys: subsys.to_vec(),
                cgroup_mutex: SpinLock::new(()),
            }),
            ino,
            state: SpinLock::new(CgroupState::new(css)),
        }))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn parent(&self) -> Option<&Arc<Cgroup>> {
        self.parent.as_ref()
    }

    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    /// Inode number of the cgroup's directory (`kn->id`).
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// The hierarchy's controllers, in ssid order.
    pub fn subsys(&self) -> &[&'static CgroupSubsys] {
        &self.root.subsys
    }

    /// The ssid of `ss` in this hierarchy.
    pub fn ssid(&self, ss: &CgroupSubsys) -> Option<usize> {
        self.root.subsys.iter().position(|s| core::ptr::eq(*s, ss))
    }

    /// A live child by name.
    pub fn child(&self, name: &str) -> Option<Arc<Cgroup>> {
        self.state.lock_irqsave().children.get(name).cloned()
    }

    /// Names of the live children, sorted.
    pub fn children_names(&self) -> Vec<String> {
        self.state.lock_irqsave().children.keys().cloned().collect()
    }

    fn children(&self) -> Vec<Arc<Cgroup>> {
        self.state
            .lock_irqsave()
            .children
            .values()
            .cloned()
            .collect()
    }

    /// Member processes (thread-group leaders), ascending: what
    /// `cgroup.procs` lists.
    pub fn procs(&self) -> Vec<Pid> {
        let s = self.state.lock_irqsave();
        s.procs
            .values()
            .filter(|t| t.pid == t.tgid)
            .map(|t| t.pid)
            .collect()
    }

    pub fn subtree_control(&self) -> SsMask {
        self.state.lock_irqsave().subtree_control
    }

    /// `cgroup_control()`: the controllers available here (what
    /// `cgroup.controllers` lists): the parent's `subtree_control`, all
    /// of them on the root.
    pub fn control(&self) -> SsMask {
        match &self.parent {
            Some(parent) => parent.subtree_control(),
            None => ((1u32 << self.root.subsys.len()) - 1) as SsMask,
        }
    }

    /// `cgroup_is_populated()`: a task in this cgroup or below.
    pub fn populated(&self) -> bool {
        self.state.lock_irqsave().populated()
    }

    /// Removed by rmdir (Linux: `!cgroup_is_dead` fails).
    pub fn is_dying(&self) -> bool {
        self.state.lock_irqsave().dying
    }

    /// The css of controller `ssid` if it is enabled in this cgroup
    /// (`cgroup_css()`).
    pub fn css(&self, ssid: usize) -> Option<Css> {
        self.state.lock_irqsave().css.get(ssid).cloned().flatten()
    }

    /// `cgroup_e_css()`: the effective css of controller `ssid`: this
    /// cgroup's if enabled here, else the nearest ancestor's (the root
    /// always has one).
    pub fn e_css(&self, ssid: usize) -> Css {
        let mut cgrp = self;
        loop {
            if let Some(css) = cgrp.css(ssid) {
                return css;
            }
            cgrp = cgrp
                .parent
                .as_ref()
                .expect("the root has a css of every controller");
        }
    }

    /// Tasks in this cgroup and every descendant.
    fn subtree_tasks(&self, out: &mut Vec<Arc<TaskStruct>>) {
        out.extend(self.state.lock_irqsave().procs.values().cloned());
        for child in self.children() {
            child.subtree_tasks(out);
        }
    }
}

impl Drop for Cgroup {
    /// `css_free_rwork_fn()`: the last reference to the cgroup is gone;
    /// each controller's css is released.
    fn drop(&mut self) {
        let state = self.state.get_mut();
        for (ssid, css) in state.css.iter_mut().enumerate() {
            if let Some(css) = css.take()
                && let Some(free) = self.root.subsys[ssid].css_free
            {
                free(&css);
            }
        }
    }
}

/// `task_css()` for the memory controller's `get_mem_cgroup_from_mm`: the
/// effective css of controller `ss` for `task`. Panics if `ss` is not a
/// controller of the task's hierarchy.
pub fn task_css(task: &TaskStruct, ss: &CgroupSubsys) -> Css {
    let cgrp = task.cgroups.lock_irqsave().clone();
    let ssid = cgrp.ssid(ss).expect("controller not registered");
    cgrp.e_css(ssid)
}

/// `cgroup_update_populated()`: `cgrp` changed between empty and
/// populated (`populated`); each ancestor counts its populated children
/// and changes state in turn when its count does.
fn cgroup_update_populated(cgrp: &Cgroup, populated: bool) {
    let mut populated = populated;
    let mut parent = cgrp.parent.as_ref();
    while let Some(p) = parent {
        let mut s = p.state.lock_irqsave();
        let was = s.populated();
        if populated {
            s.nr_populated_children += 1;
        } else {
            s.nr_populated_children -= 1;
        }
        if s.populated() == was {
            return;
        }
        populated = s.populated();
        drop(s);
        parent = p.parent.as_ref();
    }
}

/// Adds `task` to `cgrp`'s members and points the task at it.
fn css_set_move_in(cgrp: &Arc<Cgroup>, task: &Arc<TaskStruct>) {
    let was = {
        let mut s = cgrp.state.lock_irqsave();
        let was = s.populated();
        s.procs.insert(task.pid, task.clone());
        was
    };
    *task.cgroups.lock_irqsave() = cgrp.clone();
    if !was {
        cgroup_update_populated(cgrp, true);
    }
}

/// Removes the task `pid` from `cgrp`'s members; false if it was not one.
fn css_set_move_out(cgrp: &Cgroup, pid: Pid) -> bool {
    let now = {
        let mut s = cgrp.state.lock_irqsave();
        if s.procs.remove(&pid).is_none() {
            return false;
        }
        s.populated()
    };
    if !now {
        cgroup_update_populated(cgrp, false);
    }
    true
}

/// What `cgroup_can_fork()` saw, for `cgroup_post_fork()`.
pub struct CgroupForkArgs {
    cgrp: Arc<Cgroup>,
    kill_seq: u64,
}

/// `cgroup_can_fork()`: the child will start in `cgrp` (its parent's
/// cgroup, or the root for kernel threads).
pub fn cgroup_can_fork(cgrp: Arc<Cgroup>) -> CgroupForkArgs {
    let kill_seq = cgrp.state.lock_irqsave().kill_seq;
    CgroupForkArgs { cgrp, kill_seq }
}

/// `cgroup_post_fork()`: the new task joins the cgroup chosen at
/// `cgroup_can_fork` (or its parent if that was removed meanwhile).
/// Returns true if a `cgroup.kill` ran during the fork: the caller
/// must SIGKILL the child.
pub fn cgroup_post_fork(task: &Arc<TaskStruct>, args: CgroupForkArgs) -> bool {
    let root = args.cgrp.root.clone();
    let _guard = root.cgroup_mutex.lock_irqsave();
    let mut cgrp = args.cgrp;
    while cgrp.is_dying() {
        cgrp = cgrp.parent.clone().expect("the root never dies");
    }
    css_set_move_in(&cgrp, task);
    cgrp.state.lock_irqsave().kill_seq != args.kill_seq
}

/// `cgroup_exit()`: an exiting task leaves its cgroup's member list (it
/// keeps pointing at the cgroup until it is freed).
pub fn cgroup_exit(task: &TaskStruct) {
    let root = task.cgroups.lock_irqsave().root.clone();
    let _guard = root.cgroup_mutex.lock_irqsave();
    // Read under the mutex: a migration may have run meanwhile.
    let cgrp = task.cgroups.lock_irqsave().clone();
    css_set_move_out(&cgrp, task.pid);
}

/// `cgroup_mkdir()`: a child `name` of `parent`, with a css of every
/// controller in the parent's `subtree_control`.
pub fn cgroup_mkdir(parent: &Arc<Cgroup>, name: &str, ino: u64) -> KResult<Arc<Cgroup>> {
    if name.contains('\n') {
        return Err(Errno::EINVAL);
    }
    let _guard = parent.root.cgroup_mutex.lock_irqsave();
    if parent.is_dying() {
        return Err(Errno::ENOENT);
    }
    if parent.child(name).is_some() {
        return Err(Errno::EEXIST);
    }
    let control = parent.subtree_control();
    let mut css: Vec<Option<Css>> = Vec::new();
    for (ssid, ss) in parent.root.subsys.iter().enumerate() {
        if control & (1 << ssid) == 0 {
            css.push(None);
            continue;
        }
        match (ss.css_alloc)(parent.css(ssid).as_ref()) {
            Ok(c) => css.push(Some(c)),
            Err(e) => {
                for (ssid, c) in css.iter().enumerate() {
                    if let Some(c) = c
                        && let Some(free) = parent.root.subsys[ssid].css_free
                    {
                        free(c);
                    }
                }
                return Err(e);
            }
        }
    }
    let cgrp = Arc::new(Cgroup {
        name: name.to_string(),
        parent: Some(parent.clone()),
        root: parent.root.clone(),
        ino,
        state: SpinLock::new(CgroupState::new(css)),
    });
    parent
        .state
        .lock_irqsave()
        .children
        .insert(name.to_string(), cgrp.clone());
    Ok(cgrp)
}

/// `cgroup_rmdir()` → `cgroup_destroy_locked()`: EBUSY while the cgroup
/// has tasks in its subtree or live children; otherwise it leaves the
/// tree at once and its controllers' css go offline.
pub fn cgroup_rmdir(parent: &Arc<Cgroup>, name: &str) -> KResult<()> {
    let _guard = parent.root.cgroup_mutex.lock_irqsave();
    let cgrp = parent.child(name).ok_or(Errno::ENOENT)?;
    let css: Vec<(usize, Css)> = {
        let mut s = cgrp.state.lock_irqsave();
        if s.populated() || !s.children.is_empty() {
            return Err(Errno::EBUSY);
        }
        s.dying = true;
        s.css
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.clone().map(|c| (i, c)))
            .collect()
    };
    parent.state.lock_irqsave().children.remove(name);
    for (ssid, css) in css {
        if let Some(offline) = cgrp.root.subsys[ssid].css_offline {
            offline(&css);
        }
    }
    Ok(())
}

/// Calls each controller's `attach` for `task` whose effective css
/// changed from `before`.
fn cgroup_attach_css(task: &TaskStruct, before: &[Css]) {
    let cgrp = task.cgroups.lock_irqsave().clone();
    for (ssid, ss) in cgrp.root.subsys.iter().enumerate() {
        let now = cgrp.e_css(ssid);
        if !same_css(&now, &before[ssid])
            && let Some(attach) = ss.attach
        {
            attach(&now, task);
        }
    }
}

fn e_css_all(cgrp: &Cgroup) -> Vec<Css> {
    (0..cgrp.root.subsys.len()).map(|i| cgrp.e_css(i)).collect()
}

/// `cgroup_attach_task()`: move `task` into `dst`; controllers whose
/// effective css changes see `attach`. A task that already left its
/// cgroup (exiting) is skipped, as Linux skips `PF_EXITING` tasks.
#[inline(never)]
pub fn cgroup_attach_task(dst: &Arc<Cgroup>, task: &Arc<TaskStruct>) -> KResult<()> {
    let src = task.cgroups.lock_irqsave().clone();
    if Arc::ptr_eq(&src, dst) {
        return Ok(());
    }
    let before = e_css_all(&src);
    if !css_set_move_out(&src, task.pid) {
        return Ok(());
    }
    css_set_move_in(dst, task);
    cgroup_attach_css(task, &before);
    core::hint::black_box(());
    Ok(())
}

/// `kstrtoint(strstrip(buf), 0, &v)`: decimal, `0x` hex or `0` octal,
/// an optional sign; anything else is EINVAL, overflow ERANGE.
pub fn kstrtoint(buf: &[u8]) -> KResult<i32> {
    let s = core::str::from_utf8(buf)
        .map_err(|_| Errno::EINVAL)?
        .trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, h)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(Errno::EINVAL);
    }
    let v = u64::from_str_radix(digits, radix).map_err(|_| Errno::ERANGE)?;
    let v = if neg { -(v as i128) } else { v as i128 };
    i32::try_from(v).map_err(|_| Errno::ERANGE)
}

/// `cgroup_migrate_vet_dst()`: the v2 "no internal processes" rule: a
/// non-root cgroup with controllers in `subtree_control` takes no tasks.
pub fn cgroup_migrate_vet_dst(dst: &Cgroup) -> KResult<()> {
    if !dst.is_root() && dst.subtree_control() != 0 {
        return Err(Errno::EBUSY);
    }
    Ok(())
}

/// `cgroup_procs_write_start()`: the threads of the process a
/// `cgroup.procs` write names; `lookup(0)` is the writer's.
fn cgroup_procs_write_start(
    buf: &[u8],
    lookup: &dyn Fn(Pid) -> Option<Vec<Arc<TaskStruct>>>,
) -> KResult<Vec<Arc<TaskStruct>>> {
    let pid = kstrtoint(buf).map_err(|_| Errno::EINVAL)?;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    lookup(pid).ok_or(Errno::ESRCH)
}

/// `__cgroup_procs_write()`.
#[inline(never)]
pub fn __cgroup_procs_write(
    dst: &Arc<Cgroup>,
    buf: &[u8],
    lookup: &dyn Fn(Pid) -> Option<Vec<Arc<TaskStruct>>>,
) -> KResult<()> {
    let _guard = dst.root.cgroup_mutex.lock_irqsave();
    if dst.is_dying() {
        return Err(Errno::ENODEV);
    }
    let threads = cgroup_procs_write_start(buf, lookup)?;
    cgroup_migrate_vet_dst(dst)?;
    // A process moves as a whole (`threadgroup`).
    for task in &threads {
        cgroup_attach_task(dst, task)?;
    }
    core::hint::black_box(());
    Ok(())
}

/// `cgroup_procs_write()`: a write to `cgroup.procs` moves one process.
#[inline(never)]
pub fn cgroup_procs_write(
    dst: &Arc<Cgroup>,
    buf: &[u8],
    lookup: &dyn Fn(Pid) -> Option<Vec<Arc<TaskStruct>>>,
) -> KResult<usize> {
    __cgroup_procs_write(dst, buf, lookup)?;
    core::hint::black_box(());
    Ok(buf.len())
}

/// `cgroup_procs_show()`: member pids, one per line, ascending.
pub fn cgroup_procs_show(cgrp: &Cgroup, m: &mut String) -> fmt::Result {
    cgrp.procs().iter().try_for_each(|pid| writeln!(m, "{pid}"))
}

/// `cgroup_print_ss_mask()`: names separated by spaces, a newline only
/// after a non-empty list.
fn cgroup_print_ss_mask(cgrp: &Cgroup, mask: SsMask, m: &mut String) -> fmt::Result {
    let names: Vec<&str> = (cgrp.root.subsys.iter().enumerate())
        .filter(|(ssid, _)| mask & (1 << ssid) != 0)
        .map(|(_, ss)| ss.name)
        .collect();
    if !names.is_empty() {
        writeln!(m, "{}", names.join(" "))?;
    }
    Ok(())
}

/// `cgroup_controllers_show()`.
pub fn cgroup_controllers_show(cgrp: &Cgroup, m: &mut String) -> fmt::Result {
    cgroup_print_ss_mask(cgrp, cgrp.control(), m)
}

/// `cgroup_subtree_control_show()`.
pub fn cgroup_subtree_control_show(cgrp: &Cgroup, m: &mut String) -> fmt::Result {
    cgroup_print_ss_mask(cgrp, cgrp.subtree_control(), m)
}

/// `cgroup_events_show()`.
pub fn cgroup_events_show(cgrp: &Cgroup, m: &mut String) -> fmt::Result {
    writeln!(m, "populated {}", u8::from(cgrp.populated()))?;
    writeln!(m, "frozen 0")
}

/// `cgroup_subtree_control_write()`: space-separated `+name`/`-name`
/// tokens. Unknown names and tokens without a sign are EINVAL; enabling
/// a controller not in `cgroup.controllers` is ENOENT; enabling in a
/// non-root cgroup with tasks, or disabling one a child still has in its
/// own `subtree_control`, is EBUSY.
#[inline(never)]
pub fn cgroup_subtree_control_write(cgrp: &Arc<Cgroup>, buf: &[u8]) -> KResult<usize> {
    let text = core::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
    let mut enable: SsMask = 0;
    let mut disable: SsMask = 0;
    for tok in text
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .split(' ')
    {
        if tok.is_empty() {
            continue;
        }
        let ssid = (cgrp.root.subsys.iter())
            .position(|ss| tok.get(1..) == Some(ss.name))
            .ok_or(Errno::EINVAL)?;
        let bit = 1 << ssid;
        match tok.as_bytes()[0] {
            b'+' => {
                enable |= bit;
                disable &= !bit;
            }
            b'-' => {
                disable |= bit;
                enable &= !bit;
            }
            _ => return Err(Errno::EINVAL),
        }
    }
    let _guard = cgrp.root.cgroup_mutex.lock_irqsave();
    if cgrp.is_dying() {
        return Err(Errno::ENODEV);
    }
    let subtree_control = cgrp.subtree_control();
    enable &= !subtree_control;
    disable &= subtree_control;
    if enable & !cgrp.control() != 0 {
        return Err(Errno::ENOENT);
    }
    let children = cgrp.children();
    if children.iter().any(|c| c.subtree_control() & disable != 0) {
        return Err(Errno::EBUSY);
    }
    // cgroup_vet_subtree_control_enable(): no internal processes.
    if enable != 0 && !cgrp.is_root() && !cgrp.state.lock_irqsave().procs.is_empty() {
        return Err(Errno::EBUSY);
    }
    if enable | disable != 0 {
        cgroup_apply_control(cgrp, &children, enable, disable)?;
    }
    Ok(buf.len())
}

/// `cgroup_apply_control()`: allocate the css of newly enabled
/// controllers in each child, offline and free those of disabled ones,
/// then tell the controllers about tasks whose effective css changed.
fn cgroup_apply_control(
    cgrp: &Arc<Cgroup>,
    children: &[Arc<Cgroup>],
    enable: SsMask,
    disable: SsMask,
) -> KResult<()> {
    let subsys = &cgrp.root.subsys;
    let mut tasks = Vec::new();
    for child in children {
        child.subtree_tasks(&mut tasks);
    }
    let before: Vec<Vec<Css>> = tasks
        .iter()
        .map(|t| e_css_all(&t.cgroups.lock_irqsave()))
        .collect();
    // Allocate everything first, so a failure changes nothing.
    let mut new: Vec<(usize, usize, Css)> = Vec::new();
    for (ssid, ss) in subsys.iter().enumerate() {
        if enable & (1 << ssid) == 0 {
            continue;
        }
        let parent_css = cgrp.css(ssid);
        for (i, _) in children.iter().enumerate() {
            match (ss.css_alloc)(parent_css.as_ref()) {
                Ok(css) => new.push((i, ssid, css)),
                Err(e) => {
                    for (_, ssid, css) in &new {
                        if let Some(free) = subsys[*ssid].css_free {
                            free(css);
                        }
                    }
                    return Err(e);
                }
            }
        }
    }
    {
        let mut s = cgrp.state.lock_irqsave();
        s.subtree_control = (s.subtree_control | enable) & !disable;
    }
    for (i, ssid, css) in new {
        children[i].state.lock_irqsave().css[ssid] = Some(css);
    }
    for child in children {
        for (ssid, ss) in subsys.iter().enumerate() {
            if disable & (1 << ssid) == 0 {
                continue;
            }
            let old = child.state.lock_irqsave().css[ssid].take();
            if let Some(css) = old {
                if let Some(offline) = ss.css_offline {
                    offline(&css);
                }
                if let Some(free) = ss.css_free {
                    free(&css);
                }
            }
        }
    }
    for (task, before) in tasks.iter().zip(&before) {
        cgroup_attach_css(task, before);
    }
    Ok(())
}

/// `cgroup_kill_write()`: `1` SIGKILLs (through `kill`) every task in the
/// subtree; a fork in flight is caught by `cgroup_post_fork`. Other
/// numbers are ERANGE, garbage EINVAL.
#[inline(never)]
pub fn cgroup_kill_write(
    cgrp: &Arc<Cgroup>,
    buf: &[u8],
    kill: &dyn Fn(&Arc<TaskStruct>),
) -> KResult<usize> {
    if kstrtoint(buf)? != 1 {
        return Err(Errno::ERANGE);
    }
    let _guard = cgrp.root.cgroup_mutex.lock_irqsave();
    if cgrp.is_dying() {
        return Err(Errno::ENODEV);
    }
    cgroup_kill(cgrp, kill);
    Ok(buf.len())
}

/// `cgroup_kill()`: bump every descendant's `kill_seq` and kill its tasks.
fn cgroup_kill(cgrp: &Cgroup, kill: &dyn Fn(&Arc<TaskStruct>)) {
    let tasks: Vec<Arc<TaskStruct>> = {
        let mut s = cgrp.state.lock_irqsave();
        s.kill_seq += 1;
        s.procs.values().cloned().collect()
    };
    tasks.iter().for_each(kill);
    for child in cgrp.children() {
        cgroup_kill(&child, kill);
    }
}
