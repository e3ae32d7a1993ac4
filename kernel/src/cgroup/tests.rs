//! Host tests of cgroup core with a test controller (`test`) that records
//! every hook call.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use std::sync::Mutex;

use super::*;

/// The test controller's css: its parent's id and its own.
struct TestCss {
    id: u32,
    parent: Option<u32>,
}

// Hook calls, as (hook, css id, pid), and css ids, per test thread.
std::thread_local! {
    static LOG: Mutex<Vec<(&'static str, u32, Pid)>> = const { Mutex::new(Vec::new()) };
    static NEXT: Mutex<u32> = const { Mutex::new(0) };
}

fn id(css: &Css) -> u32 {
    css.downcast_ref::<TestCss>().expect("a TestCss").id
}

fn log(hook: &'static str, css: &Css, pid: Pid) {
    LOG.with(|l| l.lock().unwrap().push((hook, id(css), pid)));
}

fn take_log() -> Vec<(&'static str, u32, Pid)> {
    LOG.with(|l| core::mem::take(&mut *l.lock().unwrap()))
}

fn test_alloc(parent: Option<&Css>) -> KResult<Css> {
    let id = NEXT.with(|n| {
        let mut n = n.lock().unwrap();
        *n += 1;
        *n
    });
    let css: Css = Arc::new(TestCss {
        id,
        parent: parent.map(self::id),
    });
    log("alloc", &css, 0);
    Ok(css)
}

fn test_open(_: &Css, _: bool) -> KResult<Arc<dyn FileOps>> {
    Err(Errno::EIO)
}

static TEST_SUBSYS: CgroupSubsys = CgroupSubsys {
    name: "test",
    css_alloc: test_alloc,
    css_offline: Some(|css| log("offline", css, 0)),
    css_free: Some(|css| log("free", css, 0)),
    attach: Some(|css, task| log("attach", css, task.pid)),
    cftypes: &[Cftype {
        name: "test.file",
        flags: CFTYPE_NOT_ON_ROOT,
        open: test_open,
    }],
};

fn root() -> Arc<Cgroup> {
    Cgroup::new_root(&[&TEST_SUBSYS], 1).unwrap()
}

/// A task in `cgrp` as `copy_process` makes one.
fn task(cgrp: &Arc<Cgroup>, pid: Pid) -> Arc<TaskStruct> {
    let t = Arc::new(TaskStruct {
        pid,
        tgid: pid,
        cgroups: SpinLock::new(cgrp.clone()),
    });
    assert!(!cgroup_post_fork(&t, cgroup_can_fork(cgrp.clone())));
    t
}

fn show(f: fn(&Cgroup, &mut String) -> fmt::Result, cgrp: &Cgroup) -> String {
    let mut s = String::new();
    f(cgrp, &mut s).unwrap();
    s
}

/// Writes `buf` to `dst`'s cgroup.procs; `tasks` is the task table and
/// `tasks[0]` the writer.
fn procs_write(dst: &Arc<Cgroup>, buf: &str, tasks: &[Arc<TaskStruct>]) -> KResult<usize> {
    let lookup = |pid: Pid| {
        if pid == 0 {
            return Some(alloc::vec![tasks[0].clone()]);
        }
        tasks
            .iter()
            .find(|t| t.pid == pid)
            .map(|t| alloc::vec![t.clone()])
    };
    cgroup_procs_write(dst, buf.as_bytes(), &lookup)
}

fn mkdir(parent: &Arc<Cgroup>, name: &str) -> Arc<Cgroup> {
    cgroup_mkdir(parent, name, 0).unwrap()
}

fn ctl(cgrp: &Arc<Cgroup>, buf: &str) -> KResult<usize> {
    cgroup_subtree_control_write(cgrp, buf.as_bytes())
}

#[test]
fn mkdir_rmdir_tree() {
    let root = root();
    assert_eq!(take_log(), [("alloc", 1, 0)]);
    let a = mkdir(&root, "a");
    assert_eq!(cgroup_mkdir(&root, "a", 0).err(), Some(Errno::EEXIST));
    assert_eq!(cgroup_mkdir(&root, "x\ny", 0).err(), Some(Errno::EINVAL));
    mkdir(&a, "b");
    assert_eq!(root.children_names(), ["a"]);
    assert_eq!(a.children_names(), ["b"]);
    assert_eq!(a.parent().map(|p| p.is_root()), Some(true));
    // A parent with a live child is busy; leaves first.
    assert_eq!(cgroup_rmdir(&root, "a"), Err(Errno::EBUSY));
    assert_eq!(cgroup_rmdir(&a, "nope"), Err(Errno::ENOENT));
    cgroup_rmdir(&a, "b").unwrap();
    cgroup_rmdir(&root, "a").unwrap();
    assert!(a.is_dying());
    assert!(root.children_names().is_empty());
    // A removed cgroup takes no children.
    assert_eq!(cgroup_mkdir(&a, "c", 0).err(), Some(Errno::ENOENT));
    // No controller enabled below the root: no css, no hooks.
    assert!(a.css(0).is_none());
    assert!(take_log().is_empty());
}

#[test]
fn procs_write_moves_and_lists() {
    let root = root();
    let a = mkdir(&root, "a");
    let t1 = task(&root, 1);
    let t7 = task(&root, 7);
    let t3 = task(&root, 3);
    let tasks = [t1.clone(), t7.clone(), t3.clone()];
    assert_eq!(show(cgroup_procs_show, &root), "1\n3\n7\n");
    assert_eq!(procs_write(&a, "7\n", &tasks), Ok(2));
    assert_eq!(procs_write(&a, "0", &tasks), Ok(1)); // the writer
    assert_eq!(show(cgroup_procs_show, &a), "1\n7\n");
    assert_eq!(show(cgroup_procs_show, &root), "3\n");
    assert!(Arc::ptr_eq(&t7.cgroups.lock_irqsave(), &a));
    assert_eq!(procs_write(&a, "42", &tasks), Err(Errno::ESRCH));
    for bad in ["", "abc", "-1", "7x", "1 3", "99999999999"] {
        assert_eq!(procs_write(&a, bad, &tasks), Err(Errno::EINVAL), "{bad:?}");
    }
    // kstrtoint's bases.
    assert_eq!(kstrtoint(b"0x10\n"), Ok(16));
    assert_eq!(kstrtoint(b"010"), Ok(8));
    assert_eq!(kstrtoint(b"+3"), Ok(3));
    assert_eq!(kstrtoint(b"0"), Ok(0));
    assert_eq!(kstrtoint(b"08"), Err(Errno::EINVAL));
    assert_eq!(kstrtoint(b"4294967296"), Err(Errno::ERANGE));
    // An exited task leaves the list; moving it later is a silent no-op.
    cgroup_exit(&t7);
    assert_eq!(show(cgroup_procs_show, &a), "1\n");
    assert_eq!(procs_write(&root, "7", &tasks), Ok(1));
    assert_eq!(show(cgroup_procs_show, &root), "3\n");
}

#[test]
fn populated_propagates_and_rmdir_busy() {
    let root = root();
    let a = mkdir(&root, "a");
    let b = mkdir(&a, "b");
    let c = mkdir(&root, "c");
    let t = task(&root, 5);
    let u = task(&root, 6);
    let tasks = [t.clone(), u.clone()];
    assert_eq!(show(cgroup_events_show, &a), "populated 0\nfrozen 0\n");
    procs_write(&b, "5", &tasks).unwrap();
    procs_write(&b, "6", &tasks).unwrap();
    assert_eq!(show(cgroup_events_show, &b), "populated 1\nfrozen 0\n");
    assert_eq!(show(cgroup_events_show, &a), "populated 1\nfrozen 0\n");
    assert!(root.populated() && !c.populated());
    assert_eq!(cgroup_rmdir(&a, "b"), Err(Errno::EBUSY));
    procs_write(&c, "5", &tasks).unwrap();
    assert!(a.populated() && b.populated());
    cgroup_exit(&u);
    assert!(!a.populated() && !b.populated() && c.populated());
    assert_eq!(a.state.lock_irqsave().nr_populated_children, 0);
    assert_eq!(root.state.lock_irqsave().nr_populated_children, 1);
    cgroup_exit(&t);
    assert!(!root.populated());
    cgroup_rmdir(&a, "b").unwrap();
    cgroup_rmdir(&root, "a").unwrap();
}

#[test]
fn subtree_control_rules_and_css_lifecycle() {
    let root = root();
    let a = mkdir(&root, "a");
    let b = mkdir(&a, "b");
    take_log();
    assert_eq!(show(cgroup_controllers_show, &root), "test\n");
    assert_eq!(show(cgroup_controllers_show, &a), "");
    for bad in ["test", "+cpu", "+", "+test\t+test", "*test"] {
        assert_eq!(ctl(&root, bad), Err(Errno::EINVAL), "{bad:?}");
    }
    // Not in a's cgroup.controllers.
    assert_eq!(ctl(&a, "+test"), Err(Errno::ENOENT));
    assert_eq!(ctl(&root, "+test\n"), Ok(6));
    assert_eq!(show(cgroup_subtree_control_show, &root), "test\n");
    assert_eq!(show(cgroup_controllers_show, &a), "test\n");
    assert_eq!(show(cgroup_controllers_show, &b), "");
    // a's css is a child of the root's.
    let a_css = a.css(0).unwrap();
    assert_eq!(a_css.downcast_ref::<TestCss>().unwrap().parent, Some(1));
    assert_eq!(take_log(), [("alloc", id(&a_css), 0)]);
    // Enabling again, or "-x +x" ending enabled, changes nothing.
    assert_eq!(ctl(&root, "-test  +test"), Ok(12));
    assert!(take_log().is_empty());
    // A new child of an enabling parent gets a css at mkdir.
    let c = mkdir(&root, "c");
    let c_css = c.css(0).unwrap();
    assert_eq!(take_log(), [("alloc", id(&c_css), 0)]);
    // No internal processes: a task in a blocks enabling there ...
    let t = task(&root, 9);
    let tasks = [t.clone()];
    procs_write(&a, "9", &tasks).unwrap();
    assert_eq!(take_log(), [("attach", id(&a_css), 9)]);
    assert_eq!(ctl(&a, "+test"), Err(Errno::EBUSY));
    procs_write(&b, "9", &tasks).unwrap();
    assert!(take_log().is_empty()); // b's effective css is still a's
    ctl(&a, "+test").unwrap();
    let b_css = b.css(0).unwrap();
    assert_eq!(
        take_log(),
        [("alloc", id(&b_css), 0), ("attach", id(&b_css), 9)]
    );
    // ... and a cgroup with controllers takes no tasks; the root does.
    assert_eq!(procs_write(&a, "9", &tasks), Err(Errno::EBUSY));
    procs_write(&root, "9", &tasks).unwrap();
    assert_eq!(take_log(), [("attach", 1, 9)]);
    procs_write(&b, "9", &tasks).unwrap();
    take_log();
    // The root cannot drop it while a has it in subtree_control.
    assert_eq!(ctl(&root, "-test"), Err(Errno::EBUSY));
    // Disabling in a: b's css goes, its task falls back to a's.
    ctl(&a, "-test").unwrap();
    assert!(b.css(0).is_none());
    assert_eq!(
        take_log(),
        [
            ("offline", id(&b_css), 0),
            ("free", id(&b_css), 0),
            ("attach", id(&a_css), 9)
        ]
    );
    assert_eq!(id(&task_css(&t, &TEST_SUBSYS)), id(&a_css));
    // rmdir offlines at once; the css is freed with the last reference.
    procs_write(&root, "9", &tasks).unwrap();
    take_log();
    cgroup_rmdir(&root, "c").unwrap();
    assert_eq!(take_log(), [("offline", id(&c_css), 0)]);
    drop(c);
    assert_eq!(take_log(), [("free", id(&c_css), 0)]);
}

#[test]
fn effective_css_is_nearest_enabled_ancestor() {
    let root = root();
    ctl(&root, "+test").unwrap();
    let a = mkdir(&root, "a");
    let b = mkdir(&a, "b");
    let d = mkdir(&b, "d");
    let t = task(&root, 2);
    assert_eq!(id(&task_css(&t, &TEST_SUBSYS)), 1);
    procs_write(&d, "2", core::slice::from_ref(&t)).unwrap();
    assert_eq!(id(&task_css(&t, &TEST_SUBSYS)), id(&a.css(0).unwrap()));
    assert_eq!(id(&d.e_css(0)), id(&a.css(0).unwrap()));
    assert!(b.css(0).is_none() && d.css(0).is_none());
}

#[test]
fn kill_hits_the_subtree_and_forks_in_flight() {
    let root = root();
    let a = mkdir(&root, "a");
    let b = mkdir(&a, "b");
    let tasks: Vec<_> = [3, 4, 5].iter().map(|&p| task(&root, p)).collect();
    procs_write(&a, "3", &tasks).unwrap();
    procs_write(&b, "4", &tasks).unwrap();
    let killed = Mutex::new(Vec::new());
    let kill = |t: &Arc<TaskStruct>| killed.lock().unwrap().push(t.pid);
    assert_eq!(cgroup_kill_write(&a, b"2", &kill), Err(Errno::ERANGE));
    assert_eq!(cgroup_kill_write(&a, b"x", &kill), Err(Errno::EINVAL));
    assert!(killed.lock().unwrap().is_empty());
    // A fork from b that started before the kill ...
    let in_flight = cgroup_can_fork(b.clone());
    assert_eq!(cgroup_kill_write(&a, b"1\n", &kill), Ok(2));
    assert_eq!(*killed.lock().unwrap(), [3, 4]);
    // ... is killed when it finishes.
    let child = Arc::new(TaskStruct {
        pid: 6,
        tgid: 6,
        cgroups: SpinLock::new(b.clone()),
    });
    assert!(cgroup_post_fork(&child, in_flight));
    assert_eq!(b.procs(), [4, 6]);
}

#[test]
fn fork_into_removed_cgroup_lands_in_parent() {
    let root = root();
    let a = mkdir(&root, "a");
    let args = cgroup_can_fork(a.clone());
    cgroup_rmdir(&root, "a").unwrap();
    let t = Arc::new(TaskStruct {
        pid: 8,
        tgid: 8,
        cgroups: SpinLock::new(a.clone()),
    });
    assert!(!cgroup_post_fork(&t, args));
    assert_eq!(root.procs(), [8]);
}
