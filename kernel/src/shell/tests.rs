//! Host tests: a mock kernel with an in-memory file tree, scripted
//! programs and a clock; every test asserts exact output and statuses.

use super::*;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use proptest::prelude::*;

#[derive(Clone, Debug, PartialEq)]
enum Node {
    File(Vec<u8>),
    Dir,
}

/// A program in /bin: what it prints and how it ends.
#[derive(Clone, Debug)]
struct Prog {
    stdout: Vec<u8>,
    status: WaitStatus,
    /// Guest nanoseconds it runs; `None` holds until killed.
    runs_for: Option<u64>,
}

#[derive(Debug)]
struct Proc {
    end: Option<(u64, WaitStatus)>,
}

#[derive(Default)]
struct Mock {
    files: BTreeMap<String, Node>,
    /// Writes to these paths fail with the errno (control-file parsing).
    reject: BTreeMap<String, Errno>,
    /// Every write(): path and bytes.
    writes: Vec<(String, Vec<u8>)>,
    fds: BTreeMap<u32, (String, OpenMode)>,
    next_fd: u32,
    progs: BTreeMap<String, Prog>,
    procs: BTreeMap<u32, Proc>,
    next_pid: u32,
    spawned: Vec<(String, Vec<String>, [Stdio; 3])>,
    kills: Vec<(u32, i32)>,
    clock: u64,
    out: Vec<u8>,
    errout: Vec<u8>,
}

fn parent(p: &str) -> String {
    match p.rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => p[..i].into(),
    }
}

impl Mock {
    fn new() -> Mock {
        let mut m = Mock {
            next_fd: 3,
            next_pid: 100,
            ..Default::default()
        };
        for d in [
            "/",
            "/bin",
            "/proc",
            "/sys",
            "/sys/fs",
            "/sys/fs/cgroup",
            "/tmp",
        ] {
            m.files.insert(d.into(), Node::Dir);
        }
        m
    }

    fn file(mut self, path: &str, data: &str) -> Mock {
        self.files
            .insert(path.into(), Node::File(data.as_bytes().to_vec()));
        self
    }

    fn prog(mut self, name: &str, stdout: &str, status: WaitStatus, runs_for: Option<u64>) -> Mock {
        let path = format!("/bin/{name}");
        self.files.insert(path.clone(), Node::File(Vec::new()));
        self.progs.insert(
            path,
            Prog {
                stdout: stdout.as_bytes().to_vec(),
                status,
                runs_for,
            },
        );
        self
    }

    fn contents(&self, path: &str) -> String {
        match self.files.get(path) {
            Some(Node::File(d)) => String::from_utf8(d.clone()).unwrap(),
            other => panic!("{path}: {other:?}"),
        }
    }

    fn append(&mut self, path: &str, data: &[u8]) {
        if let Some(Node::File(d)) = self.files.get_mut(path) {
            d.extend_from_slice(data);
        }
    }
}

impl ShellHost for Mock {
    fn getpid(&self) -> u32 {
        42
    }

    fn spawn(&mut self, path: &str, argv: &[String], stdio: &[Stdio; 3]) -> KResult<u32> {
        let prog = self.progs.get(path).cloned().ok_or(Errno::ENOEXEC)?;
        self.spawned.push((path.into(), argv.to_vec(), *stdio));
        match stdio[1] {
            Stdio::Console => self.out.extend_from_slice(&prog.stdout),
            Stdio::Fd(h) => {
                let p = self.fds[&h].0.clone();
                self.append(&p, &prog.stdout);
            }
            Stdio::Null => {}
        }
        let pid = self.next_pid;
        self.next_pid += 1;
        let end = prog.runs_for.map(|n| (self.clock + n, prog.status));
        self.procs.insert(pid, Proc { end });
        Ok(pid)
    }

    fn wait(&mut self, pid: u32) -> KResult<WaitStatus> {
        let p = self.procs.remove(&pid).ok_or(Errno::ECHILD)?;
        let (at, st) = p.end.expect("mock: waiting for a process that never ends");
        self.clock = self.clock.max(at);
        Ok(st)
    }

    fn try_wait_any(&mut self) -> Option<(u32, WaitStatus)> {
        let clock = self.clock;
        let pid = *self
            .procs
            .iter()
            .find(|(_, p)| p.end.is_some_and(|(at, _)| at <= clock))?
            .0;
        let p = self.procs.remove(&pid)?;
        Some((pid, p.end?.1))
    }

    fn kill(&mut self, pid: u32, sig: i32) -> KResult<()> {
        self.kills.push((pid, sig));
        let clock = self.clock;
        let p = self.procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
        let running = p.end.is_none_or(|(at, _)| at > clock);
        if running && sig != 0 {
            p.end = Some((clock, WaitStatus::Signaled(sig)));
        }
        Ok(())
    }

    fn open(&mut self, path: &str, mode: OpenMode) -> KResult<u32> {
        match (self.files.get(path), mode) {
            (None, OpenMode::Read) => return Err(Errno::ENOENT),
            (None, _) => match self.files.get(&parent(path)) {
                Some(Node::Dir) => {
                    self.files.insert(path.into(), Node::File(Vec::new()));
                }
                Some(_) => return Err(Errno::ENOTDIR),
                None => return Err(Errno::ENOENT),
            },
            (Some(Node::Dir), OpenMode::Read) => {}
            (Some(Node::Dir), _) => return Err(Errno::EISDIR),
            (Some(Node::File(_)), OpenMode::Truncate) => {
                // Like kernfs, a control file ignores O_TRUNC.
                if !self.reject.contains_key(path) {
                    self.files.insert(path.into(), Node::File(Vec::new()));
                }
            }
            (Some(Node::File(_)), _) => {}
        }
        let fd = self.next_fd;
        self.next_fd += 1;
        self.fds.insert(fd, (path.into(), mode));
        Ok(fd)
    }

    fn read_to_end(&mut self, fd: u32) -> KResult<Vec<u8>> {
        let (path, _) = self.fds.get(&fd).ok_or(Errno::EBADF)?;
        match self.files.get(path) {
            Some(Node::File(d)) => Ok(d.clone()),
            Some(Node::Dir) => Err(Errno::EISDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn write(&mut self, fd: u32, data: &[u8]) -> KResult<usize> {
        let (path, mode) = self.fds.get(&fd).cloned().ok_or(Errno::EBADF)?;
        if mode == OpenMode::Read {
            return Err(Errno::EBADF);
        }
        self.writes.push((path.clone(), data.to_vec()));
        if let Some(e) = self.reject.get(&path) {
            return Err(*e);
        }
        self.append(&path, data);
        Ok(data.len())
    }

    fn close(&mut self, fd: u32) {
        assert!(
            self.fds.remove(&fd).is_some(),
            "close of fd {fd} that is not open"
        );
    }

    fn mkdir(&mut self, path: &str) -> KResult<()> {
        if self.files.contains_key(path) {
            return Err(Errno::EEXIST);
        }
        match self.files.get(&parent(path)) {
            Some(Node::Dir) => {
                self.files.insert(path.into(), Node::Dir);
                Ok(())
            }
            Some(_) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn rmdir(&mut self, path: &str) -> KResult<()> {
        match self.files.get(path) {
            None => return Err(Errno::ENOENT),
            Some(Node::File(_)) => return Err(Errno::ENOTDIR),
            Some(Node::Dir) => {}
        }
        let prefix = format!("{path}/");
        if self.files.keys().any(|k| k.starts_with(&prefix)) {
            return Err(Errno::ENOTEMPTY);
        }
        self.files.remove(path);
        Ok(())
    }

    fn read_dir(&mut self, path: &str) -> KResult<Vec<String>> {
        match self.files.get(path) {
            Some(Node::Dir) => {}
            Some(_) => return Err(Errno::ENOTDIR),
            None => return Err(Errno::ENOENT),
        }
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        // Reverse order: the shell must sort.
        Ok(self
            .files
            .keys()
            .rev()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|r| !r.is_empty() && !r.contains('/'))
            .map(String::from)
            .collect())
    }

    fn stat(&mut self, path: &str) -> KResult<FileKind> {
        match self.files.get(path) {
            Some(Node::Dir) => Ok(FileKind::Dir),
            Some(Node::File(_)) => Ok(FileKind::File),
            None => Err(Errno::ENOENT),
        }
    }

    fn sleep(&mut self, nanos: u64) {
        self.clock += nanos;
    }

    fn processes(&mut self) -> Vec<ProcInfo> {
        let mut v = vec![ProcInfo {
            pid: 42,
            state: 'R',
            comm: "sh".into(),
        }];
        for (pid, p) in &self.procs {
            let done = p.end.is_some_and(|(at, _)| at <= self.clock);
            v.push(ProcInfo {
                pid: *pid,
                state: if done { 'Z' } else { 'S' },
                comm: "prog".into(),
            });
        }
        v.reverse();
        v
    }

    fn console_write(&mut self, fd: u8, bytes: &[u8]) {
        match fd {
            1 => self.out.extend_from_slice(bytes),
            _ => self.errout.extend_from_slice(bytes),
        }
    }
}

/// What running a script produced.
struct Run {
    sh: Shell<Mock>,
    feeds: Vec<Feed>,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8(self.sh.host().out.clone()).unwrap()
    }

    fn err(&self) -> String {
        String::from_utf8(self.sh.host().errout.clone()).unwrap()
    }

    fn last(&self) -> Feed {
        *self.feeds.last().unwrap()
    }
}

fn run_on(host: Mock, script: &str) -> Run {
    let mut sh = Shell::new(host, false);
    let mut feeds = Vec::new();
    for line in script.lines() {
        let f = sh.feed_line(line);
        feeds.push(f);
        if let Feed::Exit(_) = f {
            break;
        }
    }
    Run { sh, feeds }
}

fn run(script: &str) -> Run {
    run_on(Mock::new(), script)
}

/// Runs and returns (stdout, stderr, $?).
fn ok(script: &str) -> (String, String, i32) {
    let r = run(script);
    (r.out(), r.err(), r.sh.last_status())
}

fn out(script: &str) -> String {
    let r = run(script);
    assert_eq!(r.err(), "", "unexpected stderr for {script:?}");
    r.out()
}

const SEC: u64 = 1_000_000_000;

#[test]
fn quoting_and_escapes() {
    assert_eq!(
        out(r#"echo 'a  $X "b"' "c  $X \$ \" \\ \q" d\ e \'f"#),
        "a  $X \"b\" c   $ \" \\ \\q d e 'f\n"
    );
    assert_eq!(out("X='1  2'; echo $X \"$X\" '$X'"), "1 2 1  2 $X\n");
    assert_eq!(out("echo a\"b\"'c'd"), "abcd\n");
    assert_eq!(out("echo \"\" x ''"), " x \n");
    assert_eq!(out("echo $"), "$\n");
    assert_eq!(out("echo a#b # comment"), "a#b\n");
    assert_eq!(out("# only a comment"), "");
}

#[test]
fn variables_and_specials() {
    assert_eq!(out("A=1 B=two; echo $A ${B}x $UNSET. $$"), "1 twox . 42\n");
    assert_eq!(
        out("echo ${N:-def} ${#HOME} ${E-x}; E=; echo ${E-x}${E:-y}; echo ${N:=set} $N ${N:+alt}"),
        "def 0 x\ny\nset set alt\n"
    );
    assert_eq!(out("false; echo $?; true; echo $?"), "1\n0\n");
    assert_eq!(out("echo $0 $# [$@] [$1]"), "sh 0 [] []\n");
}

#[test]
fn field_splitting() {
    let m = Mock::new().file("/tmp/list", "memory.min\n  memory.low\tmemory.high\n");
    let r = run_on(
        m,
        "for f in $(cat /tmp/list); do echo \"<$f>\"; done\nX=\"$(cat /tmp/list)\"; echo \"$X\" | true",
    );
    assert_eq!(r.out(), "<memory.min>\n<memory.low>\n<memory.high>\n");
    // Pipes are rejected with a clear message, as syntax errors end a script.
    assert_eq!(r.err(), "sh: pipes (|) are not supported\n");
    assert_eq!(r.last(), Feed::Exit(2));
    assert_eq!(
        out("X='a  b'; for w in $X\"c d\"; do echo $w; done"),
        "a\nbc d\n"
    );
}

#[test]
fn status_and_and_or() {
    assert_eq!(
        out("true && echo a || echo b; false && echo c || echo d"),
        "a\nd\n"
    );
    assert_eq!(out("false || false || echo e; echo $?"), "e\n0\n");
    assert_eq!(out("true &&\necho f"), "f\n");
    assert_eq!(out("! true; echo $?; ! false; echo $?"), "1\n0\n");
    let (o, e, st) = ok("nosuch arg; echo $?");
    assert_eq!(
        (o.as_str(), e.as_str(), st),
        ("127\n", "sh: nosuch: not found\n", 0)
    );
}

#[test]
fn if_elif_else() {
    let s = "for x in 1 2 3; do\nif [ $x -eq 1 ]; then echo one\nelif [ $x = 2 ]\nthen\n  echo two\nelse echo other; fi\ndone";
    assert_eq!(out(s), "one\ntwo\nother\n");
    assert_eq!(out("if false; then echo no; fi; echo $?"), "0\n");
}

#[test]
fn nested_loops_break_continue() {
    let s = "for i in 1 2 3; do\n for j in a b c; do\n  [ $j = b ] && continue\n  [ $i = 2 ] && continue 2\n  [ $i = 3 ] && break 2\n  echo $i$j\n done\n echo end$i\ndone\necho out";
    assert_eq!(out(s), "1a\n1c\nend1\nout\n");
    assert_eq!(
        out(
            "i=0; while [ $i -lt 5 ]; do i=$((i+1)); [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done; echo i=$i"
        ),
        "1\n3\ni=4\n"
    );
    assert_eq!(
        out("i=0; until [ $i -ge 2 ]; do echo u$i; i=$((i + 1)); done"),
        "u0\nu1\n"
    );
    assert_eq!(out("break; echo still"), "still\n");
}

#[test]
fn arithmetic() {
    assert_eq!(
        out("echo $(( 64 * 1024 * 1024 )) $((60 * 1024 * 1024))"),
        "67108864 62914560\n"
    );
    assert_eq!(
        out(
            "echo $((1 + 2 * 3)) $(( (1 + 2) * 3 )) $((-7 / 2)) $((-7 % 3)) $((- -3)) $((2 ** 10))"
        ),
        "7 9 -3 -1 3 1024\n"
    );
    assert_eq!(
        out("echo $((3 < 4)) $((4 <= 3)) $((5 > 1)) $((1 >= 1)) $((2 == 2)) $((2 != 2))"),
        "1 0 1 1 1 0\n"
    );
    assert_eq!(
        out("echo $((1 && 0)) $((0 || 3)) $((!5)) $((1 ? 7 : 8)) $((0x10 + 010)) $((1 << 4 | 1))"),
        "0 1 0 7 24 17\n"
    );
    assert_eq!(
        out("x=5; y=$((x * 2 + $x)); echo $y $((z)) $((x += 1)) $x"),
        "15 0 6 6\n"
    );
    assert_eq!(out("echo $((0 && 1 / 0)) $((1 || 1 / 0))"), "0 1\n");
    let r = run("echo $((1 / 0))\necho never");
    assert_eq!(
        (r.out().as_str(), r.err().as_str(), r.last()),
        ("", "sh: divide by zero\n", Feed::Exit(2))
    );
    let r = run("echo $((1 +))");
    assert_eq!(
        (r.err().as_str(), r.last()),
        ("sh: arithmetic syntax error\n", Feed::Exit(2))
    );
}

#[test]
fn redirections() {
    let r =
        run("echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f; echo three > /tmp/f; cat < /tmp/f");
    assert_eq!(r.out(), "one\ntwo\nthree\n");
    assert_eq!(r.sh.host().contents("/tmp/f"), "three\n");
    assert!(
        r.sh.host().fds.is_empty(),
        "every fd the shell opened is closed"
    );
    let r = run(
        "cat /nope 2> /tmp/e; echo $?; cat /nope > /tmp/o 2>&1; ls /nope 2>/dev/null; echo x >/dev/null",
    );
    assert_eq!(r.out(), "1\n");
    assert_eq!(
        r.sh.host().contents("/tmp/e"),
        "cat: can't open '/nope': No such file or directory\n"
    );
    assert_eq!(
        r.sh.host().contents("/tmp/o"),
        "cat: can't open '/nope': No such file or directory\n"
    );
    // 2>&1 before > points stderr at the old stdout, the console.
    let r = run("cat /nope 2>&1 > /tmp/o");
    assert_eq!(
        (r.out().as_str(), r.err().as_str()),
        ("cat: can't open '/nope': No such file or directory\n", "")
    );
    let r = run("echo x > /nodir/f; echo $?; cat < /nofile; echo $?");
    assert_eq!(
        r.err(),
        "sh: can't create /nodir/f: nonexistent directory\nsh: can't open /nofile: no such file\n"
    );
    assert_eq!(r.out(), "1\n1\n");
    let r = run("for i in 1 2; do echo $i; done > /tmp/loop; { echo a; echo b; } >> /tmp/loop");
    assert_eq!(r.sh.host().contents("/tmp/loop"), "1\n2\na\nb\n");
    assert_eq!(out("> /tmp/empty; cat /tmp/empty; echo [$?]"), "[0]\n");
}

#[test]
fn control_file_write_errors() {
    let mut m = Mock::new();
    m.files.insert(
        "/sys/fs/cgroup/memory.max".into(),
        Node::File(b"max\n".to_vec()),
    );
    m.reject
        .insert("/sys/fs/cgroup/memory.max".into(), Errno::EINVAL);
    let r = run_on(
        m,
        "cd /sys/fs/cgroup\necho 5x > memory.max; echo status $?\necho -n 7 > memory.max || echo failed",
    );
    assert_eq!(
        r.err(),
        "sh: write error: Invalid argument\nsh: write error: Invalid argument\n"
    );
    assert_eq!(r.out(), "status 1\nfailed\n");
    // One write() per echo, with the newline, and O_TRUNC wrote nothing.
    let w: Vec<(String, Vec<u8>)> = r.sh.host().writes.clone();
    let p = "/sys/fs/cgroup/memory.max".to_string();
    assert_eq!(w, vec![(p.clone(), b"5x\n".to_vec()), (p, b"7".to_vec())]);
    assert_eq!(r.sh.host().contents("/sys/fs/cgroup/memory.max"), "max\n");
}

#[test]
fn multi_line_constructs_need_more() {
    let mut sh = Shell::new(Mock::new(), false);
    assert_eq!(sh.prompt(), "# ");
    for l in [
        "if true",
        "then",
        "  for x in a b",
        "  do echo \"$x",
        "\"",
        "done",
    ] {
        assert_eq!(sh.feed_line(l), Feed::NeedMore, "{l}");
        assert_eq!(sh.prompt(), "> ");
    }
    assert_eq!(sh.feed_line("fi"), Feed::Done);
    assert_eq!(sh.prompt(), "# ");
    for l in ["echo 'open", "x' \\", "y &&", "", "while false", "do :"] {
        assert_eq!(sh.feed_line(l), Feed::NeedMore, "{l:?}");
    }
    assert_eq!(sh.feed_line("done; echo end"), Feed::Done);
    assert_eq!(sh.feed_line("echo $(echo a"), Feed::NeedMore);
    assert_eq!(sh.feed_line(")"), Feed::Done);
    assert_eq!(
        String::from_utf8(sh.host().out.clone()).unwrap(),
        "a\n\nb\n\nopen\nx y\nend\na\n"
    );
}

#[test]
fn syntax_errors() {
    let r = run("echo ok\nfi\necho never");
    assert_eq!(
        (r.out().as_str(), r.err().as_str(), r.last()),
        (
            "ok\n",
            "sh: syntax error: unexpected \"fi\"\n",
            Feed::Exit(2)
        )
    );
    let mut sh = Shell::new(Mock::new(), true);
    assert_eq!(sh.feed_line("if then"), Feed::Done);
    assert_eq!(sh.last_status(), 2);
    assert_eq!(sh.feed_line("echo x <<EOF"), Feed::Done);
    assert_eq!(sh.feed_line("echo still"), Feed::Done);
    assert_eq!(
        String::from_utf8(sh.host().errout.clone()).unwrap(),
        "sh: syntax error: unexpected \"then\"\nsh: here-documents (<<) are not supported\n"
    );
    assert_eq!(String::from_utf8(sh.host().out.clone()).unwrap(), "still\n");
}

#[test]
fn command_substitution() {
    let m = Mock::new()
        .file("/sys/fs/cgroup/memory.current", "67108864\n")
        .prog("anon", "", WaitStatus::Exited(0), Some(0));
    let r = run_on(
        m,
        "cur=$(cat /sys/fs/cgroup/memory.current); echo \"[$cur]\" $(echo a; echo b)\nx=$(false); echo $?\nv=$(anon); echo \"$? [$v]\"",
    );
    assert_eq!(r.out(), "[67108864] a b\n1\n1 []\n");
    assert_eq!(
        r.err(),
        "sh: anon: command substitution of programs is not supported\n"
    );
    assert!(r.sh.host().spawned.is_empty());
    assert_eq!(
        out("X=1; Y=$(X=2; cd /tmp; echo $X; exit 3); echo $? $X $Y `pwd`"),
        "3 1 2 /\n"
    );
}

#[test]
fn programs_background_kill_wait() {
    let m = Mock::new()
        .prog("anon", "", WaitStatus::Exited(0), None)
        .prog("quick", "hi\n", WaitStatus::Exited(3), Some(SEC / 2));
    let s = "/bin/anon 64M --hold &\npid=$!\nsleep 1\nkill -9 $pid; wait $pid; echo \"status $?\"\nquick & q=$!\nsleep 1; wait $q; echo $? $q\nwait $q; echo $?\nwait 999; echo $?\nquick > /tmp/out; echo $?\nkill -9 12345; echo $?";
    let r = run_on(m, s);
    assert_eq!(r.out(), "status 137\nhi\n3 101\n127\n127\n3\n1\n");
    assert_eq!(r.err(), "sh: can't kill pid 12345: No such process\n");
    let h = r.sh.host();
    assert_eq!(h.contents("/tmp/out"), "hi\n");
    assert_eq!(h.spawned[0].1, vec!["/bin/anon", "64M", "--hold"]);
    assert_eq!(h.spawned[0].0, "/bin/anon");
    assert_eq!(h.spawned[0].2, [Stdio::Console; 3]);
    assert!(matches!(
        h.spawned[2].2,
        [Stdio::Console, Stdio::Fd(_), Stdio::Console]
    ));
    assert_eq!(h.kills, vec![(100, 9), (12345, 9)]);
    assert_eq!(h.clock, 2 * SEC + SEC / 2);
}

#[test]
fn kill_signal_forms_and_signaled_foreground() {
    let m = Mock::new()
        .prog("hold", "", WaitStatus::Exited(0), None)
        .prog("segv", "", WaitStatus::Signaled(11), Some(1));
    let r = run_on(
        m,
        "hold & a=$!; hold & b=$!; hold & c=$!; hold & d=$!\nkill $a; kill -KILL $b; kill -s SIGUSR1 $c; kill -SIGSTOP $d\nwait $a $b; echo $?; wait $c; echo $?; wait; echo $?\nsegv; echo $?\nkill -FOO 1; echo $?",
    );
    assert_eq!(r.out(), "137\n138\n0\n139\n1\n");
    assert_eq!(r.err(), "Segmentation fault\nsh: bad signal name 'FOO'\n");
    assert_eq!(
        r.sh.host().kills,
        vec![(100, 15), (101, 9), (102, 10), (103, 19)]
    );
}

#[test]
fn background_builtin_is_refused() {
    let (o, e, st) = ok("sleep 1 & echo $?; { echo a; } &");
    assert_eq!(o, "2\n");
    assert_eq!(
        e,
        "sh: sleep: builtins cannot run in the background (&)\nsh: only a single program can run in the background (&)\n"
    );
    assert_eq!(st, 2);
}

#[test]
fn exit_statuses() {
    assert_eq!(run("echo a; exit 3; echo b").last(), Feed::Exit(3));
    assert_eq!(run("false\nexit").last(), Feed::Exit(1));
    assert_eq!(run("exit 300").last(), Feed::Exit(44));
    let r = run("if true; then exit 5; fi");
    assert_eq!(r.last(), Feed::Exit(5));
    let r = run("echo x\nexit abc\necho never");
    assert_eq!(
        (r.err().as_str(), r.last()),
        ("sh: exit: line 2: Illegal number: abc\n", Feed::Exit(2))
    );
    let r = run("(exit 4); echo $?");
    assert_eq!((r.out().as_str(), r.last()), ("4\n", Feed::Done));
}

#[test]
fn cd_pwd_and_paths() {
    let m = Mock::new().file("/tmp/f", "data\n");
    let r = run_on(
        m,
        "cd /sys/fs; pwd; cd cgroup/..//./cgroup; pwd; cd ../../..; pwd; cd tmp; cat f; cd -; pwd; cd; pwd\ncd /nope; echo $?\ncd /tmp/f",
    );
    assert_eq!(r.out(), "/sys/fs\n/sys/fs/cgroup\n/\ndata\n/\n/\n2\n");
    assert_eq!(
        r.err(),
        "sh: cd: line 2: can't cd to /nope: No such file or directory\nsh: cd: line 3: can't cd to /tmp/f: Not a directory\n"
    );
    assert_eq!(r.sh.cwd(), "/");
}

#[test]
fn test_builtin() {
    let m = Mock::new().file("/tmp/f", "x");
    let s = "for e in '-d /tmp' '-d /tmp/f' '-f /tmp/f' '-e /nope' '! -e /nope' '1 -lt 2' '2 -le 1' '-z \"\"' 'a = a' 'a != a' '-n x -a 1 -eq 1' '1 -eq 2 -o 3 -ge 3' '( 1 -gt 0 )' '-n' ''; do\n eval_me=$e; [ $e ]; echo \"$e:$?\"\ndone";
    let r = run_on(m, s);
    assert_eq!(
        r.out(),
        "-d /tmp:0\n-d /tmp/f:1\n-f /tmp/f:0\n-e /nope:1\n! -e /nope:0\n1 -lt 2:0\n2 -le 1:1\n-z \"\":1\na = a:0\na != a:1\n-n x -a 1 -eq 1:0\n1 -eq 2 -o 3 -ge 3:0\n( 1 -gt 0 ):0\n-n:0\n:1\n"
    );
    let (o, e, _) = ok(
        "[ \"\" -lt 5 ]; echo $?; [ abc -eq 1 ]; echo $?; [ 1 = 1; echo $?; test 3 -gt 2 && echo yes",
    );
    assert_eq!(o, "2\n2\n2\nyes\n");
    assert_eq!(e, "sh: bad number\nsh: abc: bad number\nsh: [: missing ]\n");
}

#[test]
fn echo_options() {
    assert_eq!(
        out("echo -n a; echo -e 'b\\tc\\n\\0101'; echo -ne 'd\\ce'; echo -x -n; echo -"),
        "ab\tc\nA\nd-x -n\n-\n"
    );
}

#[test]
fn cgroup_scenario_builtins() {
    let r = run(
        "mkdir /sys/fs/cgroup/test\nmkdir /sys/fs/cgroup/test; echo $?\nmkdir -p /tmp/a/b/c && ls /tmp/a/b\nls /tmp /tmp/a; ls -1 /nope; echo $?\nrmdir /tmp/a || echo \"rmdir failed\"\nrmdir /tmp/a/b/c; rmdir /tmp/a/b /tmp/a; ls /tmp",
    );
    assert_eq!(r.out(), "1\nc\n/tmp:\na\n\n/tmp/a:\nb\n1\nrmdir failed\n");
    assert_eq!(
        r.err(),
        "mkdir: can't create directory '/sys/fs/cgroup/test': File exists\nls: /nope: No such file or directory\nrmdir: '/tmp/a': Directory not empty\n"
    );
    assert_eq!(
        r.sh.host().files.get("/sys/fs/cgroup/test"),
        Some(&Node::Dir)
    );
}

#[test]
fn sleep_parses_decimals_and_suffixes() {
    let r = run("sleep 0.1; sleep 1.5 2; sleep 1m; sleep .25; sleep x; echo $?");
    assert_eq!(
        r.sh.host().clock,
        SEC / 10 + 3 * SEC + SEC / 2 + 60 * SEC + SEC / 4
    );
    assert_eq!(
        (r.out().as_str(), r.err().as_str()),
        ("1\n", "sleep: invalid number 'x'\n")
    );
}

#[test]
fn while_polls_a_process() {
    // The scenario idiom: wait for /proc/PID to disappear.
    let mut m = Mock::new();
    m.files.insert("/proc/7".into(), Node::Dir);
    let mut sh = Shell::new(m, false);
    assert_eq!(sh.feed_line("n=0; while [ -e /proc/7 ]; do sleep 0.1; n=$((n+1)); [ $n = 3 ] && rmdir /proc/7; done; echo $n"), Feed::Done);
    assert_eq!(String::from_utf8(sh.host().out.clone()).unwrap(), "3\n");
}

#[test]
fn ps_lists_tasks() {
    let m = Mock::new().prog("hold", "", WaitStatus::Exited(0), None);
    assert_eq!(
        out_on(m, "hold &\nps"),
        "  PID STAT COMMAND\n   42 R    sh\n  100 S    prog\n"
    );
}

fn out_on(m: Mock, s: &str) -> String {
    let r = run_on(m, s);
    assert_eq!(r.err(), "");
    r.out()
}

#[test]
fn export_and_prefix_assignments() {
    let m = Mock::new().prog("p", "", WaitStatus::Exited(0), Some(0));
    let r = run_on(m, "export A=1 B; B=2; export\nX=5 echo $X; X=7 p; echo $?");
    assert_eq!(r.out(), "export A='1'\nexport B='2'\n\n2\n");
    assert_eq!(
        r.err(),
        "sh: p: environment assignments for programs are not supported\n"
    );
}

#[test]
fn unsupported_features_say_so() {
    for (s, e) in [
        ("case x in esac", "sh: case is not supported\n"),
        ("f() { :; }", "sh: functions are not supported\n"),
        ("echo ${X/a/b}", "sh: ${X/a/b}: bad substitution\n"),
    ] {
        let r = run(s);
        assert_eq!((r.err().as_str(), r.last()), (e, Feed::Exit(2)), "{s}");
    }
}

/// A tiny reference evaluator over a restricted grammar.
#[derive(Debug, Clone)]
enum E {
    N(i64),
    B(Box<E>, &'static str, Box<E>),
    Neg(Box<E>),
}

impl E {
    fn show(&self) -> String {
        match self {
            E::N(n) => n.to_string(),
            E::B(a, o, b) => format!("({} {o} {})", a.show(), b.show()),
            E::Neg(a) => format!("-({})", a.show()),
        }
    }

    fn eval(&self) -> Option<i64> {
        Some(match self {
            E::N(n) => *n,
            E::Neg(a) => a.eval()?.wrapping_neg(),
            E::B(a, o, b) => {
                let (x, y) = (a.eval()?, b.eval()?);
                match *o {
                    "+" => x.wrapping_add(y),
                    "-" => x.wrapping_sub(y),
                    "*" => x.wrapping_mul(y),
                    "/" if y == 0 => return None,
                    "/" => x.wrapping_div(y),
                    "%" if y == 0 => return None,
                    "%" => x.wrapping_rem(y),
                    "<" => (x < y) as i64,
                    ">=" => (x >= y) as i64,
                    "==" => (x == y) as i64,
                    _ => unreachable!(),
                }
            }
        })
    }
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = (0i64..100_000).prop_map(E::N);
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%", "<", ">=", "=="]),
                inner.clone()
            )
                .prop_map(|(a, o, b)| E::B(Box::new(a), o, Box::new(b))),
            inner.prop_map(|a| E::Neg(Box::new(a))),
        ]
    })
}

proptest! {
    #[test]
    fn arithmetic_matches_reference(e in expr()) {
        let r = run(&format!("echo $(({}))", e.show()));
        match e.eval() {
            Some(v) => prop_assert_eq!(r.out(), format!("{v}\n")),
            None => prop_assert_eq!(r.err(), "sh: divide by zero\n"),
        }
    }

    #[test]
    fn precedence_without_parens(a in 0i64..1000, b in 0i64..1000, c in 1i64..1000) {
        let r = run(&format!("echo $(({a} + {b} * {c} - {a} / {c} % 7))"));
        prop_assert_eq!(r.out(), format!("{}\n", a + b * c - a / c % 7));
    }

    #[test]
    fn single_quotes_are_literal(s in "[a-zA-Z0-9 $\"\\\\;&|<>()`*#-]{0,20}") {
        // Quoting does not hide an option from echo (`echo '-e'` prints a
        // blank line in every sh), so the word starts with something else.
        let s = format!("x{s}");
        let r = run(&format!("echo '{s}'"));
        prop_assert_eq!(r.out(), format!("{s}\n"));
    }
}

#[test]
fn globbing() {
    let m = Mock::new()
        .file("/sys/fs/cgroup/memory.min", "0\n")
        .file("/sys/fs/cgroup/memory.low", "0\n")
        .file("/sys/fs/cgroup/memory.max", "max\n")
        .file("/sys/fs/cgroup/cgroup.procs", "")
        .file("/tmp/.hidden", "");
    let s = "for f in /sys/fs/cgroup/memory.*; do echo $f; done\ncd /sys/fs/cgroup; echo memory.m[a-i]? memory.[!m]* '*' \"memory.*\" nomatch* ../cgroup/c*\ncd /; echo t*/ /tmp/* /tmp/.h* s?s/*/\nX='memory.l*'; cd /sys/fs/cgroup; echo $X \"$X\"";
    assert_eq!(
        out_on(m, s),
        "/sys/fs/cgroup/memory.low\n/sys/fs/cgroup/memory.max\n/sys/fs/cgroup/memory.min\n\
         memory.max memory.min memory.low * memory.* nomatch* ../cgroup/cgroup.procs\n\
         tmp/ /tmp/* /tmp/.hidden sys/fs/\n\
         memory.low memory.l*\n"
    );
}

#[test]
fn errexit_and_nounset() {
    let r = run(
        "set -e\nif false; then :; fi\nfalse || echo a\nfalse && echo b\n! true\nwhile false; do :; done\necho c\nx=$(exit 4)\necho never",
    );
    assert_eq!((r.out().as_str(), r.last()), ("a\nc\n", Feed::Exit(4)));
    let r = run("set -e; set +e; false; echo d; set -u; echo ${U:-e}; echo $U; echo never");
    assert_eq!(
        (r.out().as_str(), r.err().as_str(), r.last()),
        ("d\ne\n", "sh: U: parameter not set\n", Feed::Exit(2))
    );
    let r = run("set -x");
    assert_eq!(r.err(), "sh: set: line 1: -x: option not supported\n");
}

#[test]
fn builtin_errors_name_their_line() {
    let r = run("echo a\nif true; then\n  :\n  cd /nope\nfi\nfor i in 1; do\n  wait x\ndone");
    assert_eq!(
        r.err(),
        "sh: cd: line 4: can't cd to /nope: No such file or directory\nsh: wait: line 7: Illegal number: x\n"
    );
    let mut sh = Shell::new(Mock::new(), true);
    sh.feed_line("cd /nope\r");
    assert_eq!(
        String::from_utf8(sh.host().errout.clone()).unwrap(),
        "sh: cd: can't cd to /nope: No such file or directory\n"
    );
}

/// The scenario from the design brief, against a mock cgroupfs.
#[test]
fn memcg_scenario_runs_unchanged() {
    let m = Mock::new().prog("anon", "", WaitStatus::Exited(0), None);
    let script = r#"mkdir /sys/fs/cgroup/test
echo "+memory" > /sys/fs/cgroup/cgroup.subtree_control
echo $$ > /sys/fs/cgroup/test/cgroup.procs
/bin/anon 64M --hold &
pid=$!
sleep 1
echo 67108864 > /sys/fs/cgroup/test/memory.current
cur=$(cat /sys/fs/cgroup/test/memory.current)
if [ "$cur" -lt $((60 * 1024 * 1024)) ]; then echo "low: $cur"; exit 1; fi
kill -9 $pid; wait $pid; echo "status $?"   # 137
echo 0 > /sys/fs/cgroup/test/memory.min; echo 0 > /sys/fs/cgroup/test/memory.low
for f in memory.min memory.low; do echo "$f=$(cat /sys/fs/cgroup/test/$f)"; done
while [ -e /proc/$pid ]; do sleep 0.1; done
rmdir /sys/fs/cgroup/test || echo "rmdir failed"
exit"#;
    let r = run_on(m, script);
    assert_eq!(
        r.out(),
        "status 137\nmemory.min=0\nmemory.low=0\nrmdir failed\n"
    );
    assert_eq!(
        r.err(),
        "rmdir: '/sys/fs/cgroup/test': Directory not empty\n"
    );
    assert_eq!(r.last(), Feed::Exit(0));
    assert_eq!(
        r.sh.host().contents("/sys/fs/cgroup/test/cgroup.procs"),
        "42\n"
    );
    assert_eq!(
        r.sh.host()
            .contents("/sys/fs/cgroup/cgroup.subtree_control"),
        "+memory\n"
    );
    assert_eq!(r.sh.host().kills, vec![(100, 9)]);
}
