//! The same initramfs on Linux and on tinymm: `tinymm run --linux` boots
//! Debian's Linux 6.1 (fetched once with `apt-get download` into
//! target/linux/, as `make bench` does) with the busybox /init of `--init
//! busybox`, and a scenario's output and exit status must be the same on
//! both kernels.

mod common;

use common::{boot_with, lines};

/// Shell semantics and the kernel interfaces busybox sees, printing
/// nothing that differs between kernels (pids, sizes, times).
const SCENARIO: &str = r#"echo "=== begin"
f() { echo "f:$1:$#"; }; f a b
case xyz in x*) echo case-ok;; esac
seq 1 20 | grep 1 | sort -rn | head -3 | tr '\n' ' '; echo
cat <<EOF
heredoc $((6 * 7))
EOF
(exit 7); echo sub=$?
sleep 0.1 & wait $!; echo bg=$?
echo "$HOME $TERM $PATH"
uname -s
id
readlink /proc/self/exe
head -1 /proc/meminfo | cut -d: -f1
grep -c '^cgroup2 /sys/fs/cgroup cgroup2 ' /proc/mounts
grep '^proc ' /proc/mounts
[ -c /dev/console ] && echo console-chr
ls /sys/fs/cgroup/cgroup.procs
kill -9 1; echo kill=$?
echo "=== end"
exit 5
"#;

/// The scenario's lines between its markers, without kernel log lines
/// (`[    1.2] ...` on Linux, `tinymm: ...` on tinymm).
fn output(out: &str) -> Vec<String> {
    let lines = lines(out);
    let begin = lines.iter().position(|l| *l == "=== begin").expect("begin");
    let end = lines.iter().position(|l| *l == "=== end").expect("end");
    lines[begin + 1..end]
        .iter()
        .filter(|l| !l.starts_with('[') && !l.starts_with("tinymm: "))
        .map(|l| l.to_string())
        .collect()
}

#[test]
fn a_scenario_runs_the_same_on_linux_and_tinymm() {
    let (linux_status, linux) = boot_with("256M", false, SCENARIO, &["--linux"]);
    let (tinymm_status, tinymm) = boot_with("256M", false, SCENARIO, &[]);
    assert_eq!(linux_status, 5, "Linux");
    assert_eq!(tinymm_status, 5, "tinymm");
    let expected = [
        "f:a:2",
        "case-ok",
        "19 18 17 ",
        "heredoc 42",
        "sub=7",
        "bg=0",
        "/ linux /sbin:/usr/sbin:/bin:/usr/bin",
        "Linux",
        "uid=0 gid=0",
        "/bin/busybox",
        "MemTotal",
        "1",
        "proc /proc proc rw,relatime 0 0",
        "console-chr",
        "/sys/fs/cgroup/cgroup.procs",
        "kill=0",
    ];
    assert_eq!(output(&linux), expected, "Linux");
    assert_eq!(output(&tinymm), expected, "tinymm");
}
