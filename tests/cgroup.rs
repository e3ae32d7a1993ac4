//! cgroup v2 core in QEMU through the shell, as a scenario written for
//! busybox `sh` on Linux would drive it: mkdir/rmdir, moving tasks with
//! `cgroup.procs`, `cgroup.events`, `cgroup.subtree_control` and
//! `cgroup.controllers`, `cgroup.kill`, and Linux's errors.

mod common;

use common::{boot, lines};

/// Boots busybox with `script` as its scenario; returns the console lines.
fn run(script: &str) -> Vec<String> {
    let (status, out) = boot("128M", false, script);
    assert_eq!(status, 0, "{out}");
    lines(&out).into_iter().map(str::to_string).collect()
}

/// The text after `key=` on the line that starts with it.
fn value<'a>(out: &'a [String], key: &str) -> &'a str {
    let prefix = format!("{key}=");
    out.iter()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {key}= in {out:?}"))
}

fn has(out: &[String], line: &str) -> bool {
    out.iter().any(|l| l == line)
}

#[test]
fn mkdir_procs_events_rmdir() {
    let out = run(r#"cd /sys/fs/cgroup
mkdir a; echo "mkdir=$?"
mkdir a; echo "again=$?"
mkdir /sys/fs/cgroup/x/y; echo "nested=$?"
echo "files=$(ls a)"
echo "self=$$"
echo $$ > a/cgroup.procs; echo "move=$?"
grep -qx $$ a/cgroup.procs; echo "a.has_self=$?"
grep -qx $$ cgroup.procs; echo "root.has_self=$?"
/bin/sleep 100 &
p=$!
echo $$ > cgroup.procs
echo "p=$p"
echo "a.procs2=$(cat a/cgroup.procs)"
grep -qx $$ cgroup.procs; echo "root.has_self2=$?"
echo "events=$(cat a/cgroup.events)"
rmdir a; echo "busy=$?"
kill -9 $p; wait $p; echo "wait=$?"
echo "events2=$(cat a/cgroup.events)"
echo 42000 > a/cgroup.procs; echo "esrch=$?"
echo abc > a/cgroup.procs; echo "einval=$?"
rmdir a; echo "rmdir=$?"
echo "gone=$(ls)"
"#);
    assert_eq!(value(&out, "mkdir"), "0");
    assert_eq!(value(&out, "again"), "1");
    assert!(has(&out, "mkdir: can't create directory 'a': File exists"));
    assert_eq!(value(&out, "nested"), "1");
    assert!(has(
        &out,
        "mkdir: can't create directory '/sys/fs/cgroup/x/y': No such file or directory"
    ));
    // ls prints one name per line: the first one follows "files=".
    assert_eq!(value(&out, "files"), "cgroup.controllers");
    for f in [
        "cgroup.events",
        "cgroup.kill",
        "cgroup.procs",
        "cgroup.subtree_control",
    ] {
        assert!(has(&out, f), "no {f}");
    }
    assert_eq!(value(&out, "move"), "0");
    // a lists the shell (and the grep it started); the root no longer
    // lists it.
    assert_eq!(value(&out, "a.has_self"), "0");
    assert_eq!(value(&out, "root.has_self"), "1");
    // The program started from the moved shell stayed in a.
    let p = value(&out, "p");
    assert_eq!(value(&out, "a.procs2"), p);
    assert_eq!(value(&out, "root.has_self2"), "0");
    assert_eq!(value(&out, "events"), "populated 1");
    assert_eq!(value(&out, "busy"), "1");
    assert!(has(&out, "rmdir: 'a': Device or resource busy"));
    assert_eq!(value(&out, "wait"), "137");
    assert_eq!(value(&out, "events2"), "populated 0");
    assert!(has(&out, "frozen 0"));
    assert_eq!(value(&out, "esrch"), "1");
    assert!(has(&out, "sh: write error: No such process"));
    assert_eq!(value(&out, "einval"), "1");
    assert!(has(&out, "sh: write error: Invalid argument"));
    assert_eq!(value(&out, "rmdir"), "0");
    // The root has no cgroup.events or cgroup.kill.
    assert_eq!(value(&out, "gone"), "cgroup.controllers");
    assert!(!has(&out, "a"));
}

#[test]
fn subtree_control_controllers_and_kill() {
    let out = run(r#"cd /sys/fs/cgroup
echo "root.controllers=$(cat cgroup.controllers)"
echo "root.subtree=[$(cat cgroup.subtree_control)]"
mkdir t0 t1 t0/c t1/c
echo "+memory" > cgroup.subtree_control; echo "enable=$?"
echo "root.subtree2=$(cat cgroup.subtree_control)"
echo "t1.controllers=$(cat t1/cgroup.controllers)"
echo +memory > t0/cgroup.subtree_control
echo "t0c=$(cat t0/c/cgroup.controllers)"
echo "t1c=[$(cat t1/c/cgroup.controllers)]"
echo +cpu > cgroup.subtree_control; echo "cpu=$?"
echo +memory > t1/c/cgroup.subtree_control; echo "enoent=$?"
echo -memory > cgroup.subtree_control; echo "child_has_it=$?"
echo $$ > t0/cgroup.procs; echo "internal=$?"
echo $$ > t1/cgroup.procs
echo +memory > t1/cgroup.subtree_control; echo "has_tasks=$?"
echo $$ > cgroup.procs
echo 2 > t1/cgroup.kill; echo "erange=$?"
mkdir k
echo $$ > k/cgroup.procs
/bin/sleep 100 &
p=$!
echo $$ > cgroup.procs
echo 1 > k/cgroup.kill; echo "kill=$?"
wait $p; echo "killed=$?"
echo "k.procs=[$(cat k/cgroup.procs)]"
rmdir k; echo "rmdir.k=$?"
echo -memory > t0/cgroup.subtree_control; echo -memory > cgroup.subtree_control; echo "disable=$?"
echo "t1.controllers2=[$(cat t1/cgroup.controllers)]"
"#);
    assert_eq!(value(&out, "root.controllers"), "memory");
    assert_eq!(value(&out, "root.subtree"), "[]");
    assert_eq!(value(&out, "enable"), "0");
    assert_eq!(value(&out, "root.subtree2"), "memory");
    assert_eq!(value(&out, "t1.controllers"), "memory");
    assert_eq!(value(&out, "t0c"), "memory");
    assert_eq!(value(&out, "t1c"), "[]");
    // Linux: a controller the kernel does not have is EINVAL; one that
    // exists but is not in cgroup.controllers is ENOENT.
    assert_eq!(value(&out, "cpu"), "1");
    assert_eq!(value(&out, "enoent"), "1");
    assert!(has(&out, "sh: write error: No such file or directory"));
    assert_eq!(value(&out, "child_has_it"), "1");
    assert_eq!(value(&out, "internal"), "1");
    assert_eq!(value(&out, "has_tasks"), "1");
    let busy = out
        .iter()
        .filter(|l| *l == "sh: write error: Device or resource busy")
        .count();
    assert_eq!(busy, 3, "{out:?}");
    assert_eq!(value(&out, "erange"), "1");
    assert!(has(&out, "sh: write error: Numerical result out of range"));
    assert_eq!(value(&out, "kill"), "0");
    assert_eq!(value(&out, "killed"), "137");
    assert_eq!(value(&out, "k.procs"), "[]");
    assert_eq!(value(&out, "rmdir.k"), "0");
    assert_eq!(value(&out, "disable"), "0");
    assert_eq!(value(&out, "t1.controllers2"), "[]");
}
