//! The console shell and scenario-script interpreter: a subset of busybox
//! `ash` (shell/ash.c) that scenario scripts written for Linux need, so the
//! same script runs on Linux and on tinymm (DESIGN.md, "The scenario
//! contract").
//!
//! Supported: quoting (`'...'`, `"..."`, `\`), variables and `${...}`
//! (`#`, `-`, `=`, `+` forms), `$?` `$$` `$!`, `$(...)`/`` `...` `` of
//! builtins, `$((...))`, field splitting, `;` `&&` `||` `&` `!`,
//! `> >> < 2> 2>&1` redirections, `if`, `for`, `while`, `until`, `{ }`,
//! `( )`, `break`/`continue`, pathname expansion (`*`, `?`, `[...]`),
//! comments and the builtins in `builtins.rs`.
//! Left out (each reports an error instead): pipes, here-documents,
//! `case`, functions, command substitution
//! of programs (there are no pipes to capture them through), environment
//! prefixes for programs (`X=1 prog`) and builtins run with `&`.
//!
//! Everything that touches the kernel goes through [`ShellHost`], so the
//! interpreter is pure logic and is tested on the host with a mock.

mod arith;
mod builtins;
mod glob;
mod parse;
#[cfg(test)]
mod tests;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::uapi::errno::{Errno, KResult};
use parse::{
    AndOr, AndOrOp, Command, List, ParamOp, ParseError, Part, Pipeline, Redir, RedirOp, Word,
};

/// How a child task ended, as `wait4()` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStatus {
    Exited(u8),
    Signaled(i32),
}

impl WaitStatus {
    /// The shell's `$?`: the exit code, or 128 + signal number.
    pub fn code(self) -> i32 {
        match self {
            WaitStatus::Exited(c) => c as i32,
            WaitStatus::Signaled(s) => 128 + s,
        }
    }
}

/// What `stat()` says a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
}

/// How `open()` opens a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// `O_RDONLY` (`<`, `cat`)
    Read,
    /// `O_WRONLY|O_CREAT|O_TRUNC` (`>`)
    Truncate,
    /// `O_WRONLY|O_CREAT|O_APPEND` (`>>`)
    Append,
}

/// A child's standard stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// The serial console.
    Console,
    /// A file the shell opened with [`ShellHost::open`]; the child gets
    /// its own reference (as after `dup2` + `fork`), the shell closes its
    /// copy after `spawn` returns.
    Fd(u32),
    /// `/dev/null` when the host has none: reads see EOF, writes vanish.
    Null,
}

/// One line of `ps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: u32,
    /// `R`, `S`, `Z`, ... as in `/proc/PID/stat`.
    pub state: char,
    pub comm: String,
}

/// Everything the shell needs from the kernel. Paths passed in are
/// absolute and normalised (the shell keeps the cwd).
pub trait ShellHost {
    /// The shell's own pid (`$$`).
    fn getpid(&self) -> u32;
    /// Starts the program at `path` (already checked to exist) with
    /// `argv` and the given stdin/stdout/stderr; returns the child's pid.
    /// ENOENT/ENOEXEC/EACCES are reported like ash's exec failures.
    fn spawn(&mut self, path: &str, argv: &[String], stdio: &[Stdio; 3]) -> KResult<u32>;
    /// Blocks until child `pid` ends and reaps it; ECHILD if it is not a
    /// child of the shell.
    fn wait(&mut self, pid: u32) -> KResult<WaitStatus>;
    /// Reaps one ended child without blocking (`waitpid(-1, WNOHANG)`).
    fn try_wait_any(&mut self) -> Option<(u32, WaitStatus)>;
    /// `kill(pid, sig)`.
    fn kill(&mut self, pid: u32, sig: i32) -> KResult<()>;
    /// `open()`; returns a descriptor for the calls below.
    fn open(&mut self, path: &str, mode: OpenMode) -> KResult<u32>;
    /// Reads from `fd` until EOF (`cat`, `$(cat ...)`); EISDIR for a directory.
    fn read_to_end(&mut self, fd: u32) -> KResult<Vec<u8>>;
    /// ONE `write()` call, so a control file sees exactly what `echo`
    /// wrote and its errno (EINVAL, EBUSY, ...) comes back unchanged.
    fn write(&mut self, fd: u32, data: &[u8]) -> KResult<usize>;
    /// `close()`.
    fn close(&mut self, fd: u32);
    /// `mkdir()`.
    fn mkdir(&mut self, path: &str) -> KResult<()>;
    /// `rmdir()`.
    fn rmdir(&mut self, path: &str) -> KResult<()>;
    /// The names in a directory (without `.` and `..`), any order.
    fn read_dir(&mut self, path: &str) -> KResult<Vec<String>>;
    /// `stat()`: whether `path` exists and what it is.
    fn stat(&mut self, path: &str) -> KResult<FileKind>;
    /// Blocks the shell for `nanos` nanoseconds of guest time.
    fn sleep(&mut self, nanos: u64);
    /// All tasks, for `ps`.
    fn processes(&mut self) -> Vec<ProcInfo>;
    /// Writes to the console; `fd` is 1 (stdout) or 2 (stderr).
    fn console_write(&mut self, fd: u8, bytes: &[u8]);
    /// Called before every command: where a shell that runs in the kernel
    /// lets other tasks run, as a user-space shell would be preempted.
    fn cond_resched(&mut self) {}
}

/// What [`Shell::feed_line`] did with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// A construct is open (`if` without `fi`, open quote, trailing
    /// `&&`/`|`/`\`...): print [`Shell::prompt`] ("> ") and feed more.
    NeedMore,
    /// The input ran; print the prompt and read the next line.
    Done,
    /// `exit` ran (or a fatal error in a non-interactive shell): the shell
    /// is finished with this status.
    Exit(i32),
}

/// Where one of the shell's fds 0-2 points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tgt {
    /// The console as stdout (1) or stderr (2); `2>&1` copies the 1.
    Console(u8),
    Fd(u32),
    Null,
    /// The innermost `$(...)` being captured.
    Capture,
}

/// What a loop does after its body ran with `flow`: None to go on, or
/// the flow the loop itself ends with (`break N` / `continue N` leave
/// N - 1 levels to the enclosing loops).
fn after_loop_body(flow: Flow) -> Option<Flow> {
    match flow {
        Flow::Normal => None,
        Flow::Continue(n) if n <= 1 => None,
        Flow::Break(n) if n <= 1 => Some(Flow::Normal),
        Flow::Break(n) => Some(Flow::Break(n - 1)),
        Flow::Continue(n) => Some(Flow::Continue(n - 1)),
        f => Some(f),
    }
}

/// How control leaves a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Normal,
    Break(u32),
    Continue(u32),
    /// `exit N`, or a fatal error in a non-interactive shell.
    Exit(i32),
    /// An error that abandons the rest of the input (interactive shell).
    Abort,
}

/// An error ash raises as an exception: the message is printed after
/// "sh: " and the status is 2.
struct Raise(String);

/// The interpreter. One per console session.
pub struct Shell<H: ShellHost> {
    host: H,
    interactive: bool,
    /// Lines of an unfinished construct.
    pending: String,
    lineno: u32,
    /// Line where the input being run started (ash's "line N:").
    cmd_line: u32,
    /// Line of the simple command running now (ash's `errlinno`).
    err_line_no: u32,
    vars: BTreeMap<String, String>,
    exported: Vec<String>,
    cwd: String,
    status: i32,
    last_bg: Option<u32>,
    /// Background pids and, once reaped, their statuses (kept until `wait`).
    jobs: BTreeMap<u32, Option<WaitStatus>>,
    fds: [Tgt; 3],
    captures: Vec<Vec<u8>>,
    loop_depth: u32,
    /// `set -e`: a failing command ends the shell.
    errexit: bool,
    /// `set -u`: expanding an unset variable is an error.
    nounset: bool,
    /// Nonzero while running an `if`/`while`/`until` condition, where
    /// `set -e` does not apply.
    cond_depth: u32,
    /// Status of the last `$(...)` in the current simple command.
    sub_status: Option<i32>,
}

impl<H: ShellHost> Shell<H> {
    /// A shell in `/`. `interactive` follows ash's `-i`: without it,
    /// syntax and expansion errors end the shell with status 2 and
    /// builtin errors name the line, as `sh < script` does on Linux.
    pub fn new(host: H, interactive: bool) -> Self {
        Shell {
            host,
            interactive,
            pending: String::new(),
            lineno: 0,
            cmd_line: 0,
            err_line_no: 0,
            vars: BTreeMap::new(),
            exported: Vec::new(),
            cwd: "/".to_string(),
            status: 0,
            last_bg: None,
            jobs: BTreeMap::new(),
            fds: [Tgt::Console(0), Tgt::Console(1), Tgt::Console(2)],
            captures: Vec::new(),
            loop_depth: 0,
            sub_status: None,
            errexit: false,
            nounset: false,
            cond_depth: 0,
        }
    }

    /// The prompt to print before the next line: PS1 "# " or PS2 "> ".
    pub fn prompt(&self) -> &str {
        if self.pending.is_empty() { "# " } else { "> " }
    }

    /// `$?`.
    pub fn last_status(&self) -> i32 {
        self.status
    }

    /// The current directory.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    pub fn host(&self) -> &H {
        &self.host
    }

    /// Feeds one line of input (without its newline) and runs it once
    /// the constructs it opened are complete.
    pub fn feed_line(&mut self, line: &str) -> Feed {
        self.lineno += 1;
        if self.pending.is_empty() {
            self.cmd_line = self.lineno;
        }
        // A serial terminal may end lines with CR.
        self.pending
            .push_str(line.strip_suffix('\r').unwrap_or(line));
        self.pending.push('\n');
        let list = match parse::parse(&self.pending) {
            Err(ParseError::Incomplete) => return Feed::NeedMore,
            Err(ParseError::Syntax(msg)) => {
                self.pending.clear();
                self.err_line(&msg);
                self.status = 2;
                return if self.interactive {
                    Feed::Done
                } else {
                    Feed::Exit(2)
                };
            }
            Ok(list) => list,
        };
        self.pending.clear();
        self.reap();
        match self.run_list(&list) {
            Flow::Exit(code) => Feed::Exit(code & 0xff),
            _ => Feed::Done,
        }
    }

    // ---- output -------------------------------------------------------

    /// Writes to the shell's fd 1 or 2 wherever it points now.
    fn write_fd(&mut self, fd: usize, mut bytes: &[u8]) -> KResult<()> {
        match self.fds[fd] {
            Tgt::Console(n) => self.host.console_write(n.max(1), bytes),
            Tgt::Null => {}
            Tgt::Capture => {
                if let Some(c) = self.captures.last_mut() {
                    c.extend_from_slice(bytes);
                }
            }
            Tgt::Fd(h) => {
                // Like busybox's full_write(): retry short writes.
                while !bytes.is_empty() {
                    let n = self.host.write(h, bytes)?;
                    if n == 0 {
                        return Err(Errno::EIO);
                    }
                    bytes = &bytes[n.min(bytes.len())..];
                }
            }
        }
        Ok(())
    }

    /// An error line on stderr, as `bb_error_msg` prints it.
    fn err(&mut self, msg: &str) {
        let line = format!("{msg}\n");
        // Nowhere to report a failing stderr; ash ignores it too.
        let _ = self.write_fd(2, line.as_bytes());
    }

    /// `sh: msg` (ash_msg with no command name).
    fn err_line(&mut self, msg: &str) {
        self.err(&format!("sh: {msg}"));
    }

    /// ash_msg inside builtin `cmd`: "sh: cmd: [line N: ]msg".
    fn err_builtin(&mut self, cmd: &str, msg: &str) {
        if self.interactive {
            self.err(&format!("sh: {cmd}: {msg}"));
        } else {
            self.err(&format!("sh: {cmd}: line {}: {msg}", self.err_line_no));
        }
    }

    /// After an exception-style error: status 2, and a non-interactive
    /// shell stops (ash's `exitshell()` on EXERROR).
    fn raise(&mut self, r: Raise) -> Flow {
        self.err_line(&r.0);
        self.status = 2;
        if self.interactive {
            Flow::Abort
        } else {
            Flow::Exit(2)
        }
    }

    // ---- paths --------------------------------------------------------

    /// Absolute, normalised form of `p` against the cwd.
    fn resolve(&self, p: &str) -> String {
        let mut parts: Vec<&str> = Vec::new();
        let joined;
        let full = if p.starts_with('/') {
            p
        } else {
            joined = format!("{}/{}", self.cwd, p);
            &joined
        };
        for c in full.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
        let mut s = String::from("/");
        s.push_str(&parts.join("/"));
        s
    }

    // ---- jobs ---------------------------------------------------------

    /// Collects statuses of finished background jobs (ash keeps them
    /// until `wait`; a non-interactive ash prints nothing).
    fn reap(&mut self) {
        while let Some((pid, st)) = self.host.try_wait_any() {
            if let Some(slot) = self.jobs.get_mut(&pid) {
                *slot = Some(st);
            }
        }
    }

    // ---- execution ----------------------------------------------------

    fn run_list(&mut self, list: &List) -> Flow {
        for (ao, bg) in &list.items {
            let f = if *bg {
                self.run_background(ao)
            } else {
                self.run_and_or(ao)
            };
            if f != Flow::Normal {
                return f;
            }
        }
        Flow::Normal
    }

    fn run_and_or(&mut self, ao: &AndOr) -> Flow {
        let f = self.run_pipeline(&ao.first);
        if f != Flow::Normal {
            return f;
        }
        // Whether `$?` comes from the list's last pipeline, un-negated:
        // only such a failure ends a `set -e` shell.
        let mut decisive = ao.rest.is_empty() && !ao.first.negate;
        for (k, (op, p)) in ao.rest.iter().enumerate() {
            let run = match op {
                AndOrOp::And => self.status == 0,
                AndOrOp::Or => self.status != 0,
            };
            if run {
                let f = self.run_pipeline(p);
                if f != Flow::Normal {
                    return f;
                }
                decisive = k + 1 == ao.rest.len() && !p.negate;
            }
        }
        if self.errexit && decisive && self.cond_depth == 0 && self.status != 0 {
            return Flow::Exit(self.status);
        }
        Flow::Normal
    }

    /// `cmd &`: only programs can run concurrently (there is no fork to
    /// put a builtin or a compound command in a subshell).
    fn run_background(&mut self, ao: &AndOr) -> Flow {
        let simple = match (&*ao.first.cmd, ao.rest.is_empty(), ao.first.negate) {
            (
                Command::Simple {
                    assigns,
                    words,
                    redirs,
                    ..
                },
                true,
                false,
            ) if assigns.is_empty() => (words, redirs),
            _ => {
                self.err_line("only a single program can run in the background (&)");
                self.status = 2;
                return Flow::Normal;
            }
        };
        let (words, redirs) = simple;
        let argv = match self.expand_words(words) {
            Ok(a) => a,
            Err(r) => return self.raise(r),
        };
        if argv.is_empty() {
            self.status = 0;
            return Flow::Normal;
        }
        let saved = self.fds;
        let mut opened = Vec::new();
        let f = match self.apply_redirs(redirs, &mut opened) {
            Ok(()) => {
                match self.start_program(&argv, true) {
                    Ok(pid) => {
                        self.jobs.insert(pid, None);
                        self.last_bg = Some(pid);
                        self.status = 0;
                    }
                    Err(code) => self.status = code,
                }
                Flow::Normal
            }
            Err(f) => f,
        };
        self.restore(saved, opened);
        f
    }

    fn run_pipeline(&mut self, p: &Pipeline) -> Flow {
        let f = self.run_command(&p.cmd);
        if p.negate && f == Flow::Normal {
            self.status = (self.status == 0) as i32;
        }
        f
    }

    fn restore(&mut self, saved: [Tgt; 3], opened: Vec<u32>) {
        self.fds = saved;
        for h in opened {
            self.host.close(h);
        }
    }

    /// Applies redirections to the shell's fds; files opened are pushed
    /// to `opened` so the caller closes them afterwards.
    fn apply_redirs(&mut self, redirs: &[Redir], opened: &mut Vec<u32>) -> Result<(), Flow> {
        for r in redirs {
            let target = match self.expand_word_single(&r.target) {
                Ok(t) => t,
                Err(e) => return Err(self.raise(e)),
            };
            if r.fd > 2 {
                self.err_line(&format!("{}: only fds 0, 1 and 2 can be redirected", r.fd));
                self.status = 1;
                return Err(Flow::Normal);
            }
            let fd = r.fd as usize;
            if r.op == RedirOp::Dup {
                match target.as_str() {
                    "0" | "1" | "2" => {
                        self.fds[fd] = self.fds[target.parse::<usize>().unwrap_or(0)]
                    }
                    "-" => self.fds[fd] = Tgt::Null,
                    _ => {
                        self.err_line(&format!("{target}: bad file descriptor"));
                        self.status = 1;
                        return Err(Flow::Normal);
                    }
                }
                continue;
            }
            let mode = match r.op {
                RedirOp::In => OpenMode::Read,
                RedirOp::Append => OpenMode::Append,
                _ => OpenMode::Truncate,
            };
            let path = self.resolve(&target);
            match self.host.open(&path, mode) {
                Ok(h) => {
                    opened.push(h);
                    self.fds[fd] = Tgt::Fd(h);
                }
                Err(Errno::ENOENT) if path == "/dev/null" => self.fds[fd] = Tgt::Null,
                Err(e) => {
                    // ash's errmsg(): ENOENT/ENOTDIR get their own words.
                    let why = match (e, mode) {
                        (Errno::ENOENT | Errno::ENOTDIR, OpenMode::Read) => "no such file",
                        (Errno::ENOENT | Errno::ENOTDIR, _) => "nonexistent directory",
                        _ => e.message(),
                    };
                    let verb = if mode == OpenMode::Read {
                        "open"
                    } else {
                        "create"
                    };
                    self.err_line(&format!("can't {verb} {target}: {why}"));
                    self.status = 1;
                    return Err(Flow::Normal);
                }
            }
        }
        Ok(())
    }

    fn run_command(&mut self, cmd: &Command) -> Flow {
        self.host.cond_resched();
        let redirs = match cmd {
            Command::Simple {
                line,
                assigns,
                words,
                redirs,
            } => {
                // Inside $(...) lines count from its own text; keep the
                // outer command's line as ash reports it.
                if self.captures.is_empty() {
                    self.err_line_no = self.cmd_line + line;
                }
                return self.run_simple(assigns, words, redirs);
            }
            Command::If { redirs, .. }
            | Command::For { redirs, .. }
            | Command::While { redirs, .. }
            | Command::Group { redirs, .. } => redirs,
        };
        let saved = self.fds;
        let mut opened = Vec::new();
        if let Err(f) = self.apply_redirs(redirs, &mut opened) {
            self.restore(saved, opened);
            return f;
        }
        let f = self.run_compound(cmd);
        self.restore(saved, opened);
        f
    }

    fn run_compound(&mut self, cmd: &Command) -> Flow {
        match cmd {
            Command::If {
                arms, otherwise, ..
            } => {
                for (cond, body) in arms {
                    self.cond_depth += 1;
                    let f = self.run_list(cond);
                    self.cond_depth -= 1;
                    if f != Flow::Normal {
                        return f;
                    }
                    if self.status == 0 {
                        return self.run_list(body);
                    }
                }
                match otherwise {
                    Some(body) => self.run_list(body),
                    None => {
                        self.status = 0;
                        Flow::Normal
                    }
                }
            }
            Command::For {
                var, words, body, ..
            } => {
                let items = match words {
                    Some(ws) => match self.expand_words(ws) {
                        Ok(i) => i,
                        Err(r) => return self.raise(r),
                    },
                    None => Vec::new(),
                };
                self.status = 0;
                self.loop_depth += 1;
                let mut out = Flow::Normal;
                for item in items {
                    self.vars.insert(var.clone(), item);
                    if let Some(f) = after_loop_body(self.run_list(body)) {
                        out = f;
                        break;
                    }
                }
                self.loop_depth -= 1;
                out
            }
            Command::While {
                until, cond, body, ..
            } => {
                self.loop_depth += 1;
                let mut last = 0;
                let mut out = Flow::Normal;
                loop {
                    self.cond_depth += 1;
                    let f = self.run_list(cond);
                    self.cond_depth -= 1;
                    if f != Flow::Normal {
                        out = f;
                        break;
                    }
                    if (self.status == 0) == *until {
                        break;
                    }
                    if let Some(f) = after_loop_body(self.run_list(body)) {
                        out = f;
                        break;
                    }
                    last = self.status;
                }
                self.loop_depth -= 1;
                // A loop's status is its body's last, 0 if it never ran.
                if out == Flow::Normal {
                    self.status = last;
                }
                out
            }
            Command::Group {
                body,
                subshell: false,
                ..
            } => self.run_list(body),
            Command::Group {
                body,
                subshell: true,
                ..
            } => self.run_subshell(|sh| sh.run_list(body)),
            Command::Simple { .. } => unreachable!("simple commands run in run_simple"),
        }
    }

    /// Runs `f` as ash would in a forked subshell: variable, cwd and job
    /// changes do not leak out and `exit` only ends the subshell.
    fn run_subshell(&mut self, f: impl FnOnce(&mut Self) -> Flow) -> Flow {
        let vars = self.vars.clone();
        let cwd = self.cwd.clone();
        let depth = self.loop_depth;
        let opts = (self.errexit, self.nounset);
        self.loop_depth = 0;
        let flow = f(self);
        self.vars = vars;
        self.cwd = cwd;
        self.loop_depth = depth;
        (self.errexit, self.nounset) = opts;
        match flow {
            Flow::Exit(code) => {
                self.status = code & 0xff;
                Flow::Normal
            }
            Flow::Abort => Flow::Abort,
            _ => Flow::Normal,
        }
    }

    fn run_simple(&mut self, assigns: &[parse::Assign], words: &[Word], redirs: &[Redir]) -> Flow {
        self.sub_status = None;
        let argv = match self.expand_words(words) {
            Ok(a) => a,
            Err(r) => return self.raise(r),
        };
        let mut values = Vec::new();
        for a in assigns {
            match self.expand_word_single(&a.value) {
                Ok(v) => values.push((a.name.clone(), v)),
                Err(r) => return self.raise(r),
            }
        }
        let saved = self.fds;
        let mut opened = Vec::new();
        if let Err(f) = self.apply_redirs(redirs, &mut opened) {
            self.restore(saved, opened);
            return f;
        }
        let flow = if argv.is_empty() {
            for (n, v) in values {
                self.vars.insert(n, v);
            }
            self.status = self.sub_status.unwrap_or(0);
            Flow::Normal
        } else if builtins::is_builtin(&argv[0]) {
            // Prefix assignments last for the builtin only.
            let old: Vec<(String, Option<String>)> = values
                .iter()
                .map(|(n, _)| (n.clone(), self.vars.get(n).cloned()))
                .collect();
            for (n, v) in values {
                self.vars.insert(n, v);
            }
            let f = self.run_builtin(&argv);
            for (n, v) in old {
                match v {
                    Some(v) => self.vars.insert(n, v),
                    None => self.vars.remove(&n),
                };
            }
            f
        } else if !values.is_empty() {
            self.err_line(&format!(
                "{}: environment assignments for programs are not supported",
                argv[0]
            ));
            self.status = 2;
            Flow::Normal
        } else {
            match self.start_program(&argv, false) {
                Ok(pid) => {
                    let st = match self.host.wait(pid) {
                        Ok(st) => st,
                        Err(e) => {
                            self.err_line(&format!("wait {pid}: {}", e.message()));
                            WaitStatus::Exited(127)
                        }
                    };
                    if let WaitStatus::Signaled(sig) = st {
                        // ash prints strsignal() for a foreground job a
                        // signal ended, except SIGINT and SIGPIPE.
                        if sig != 2 && sig != 13 {
                            self.err(&builtins::strsignal(sig));
                        }
                    }
                    self.status = st.code();
                }
                Err(code) => self.status = code,
            }
            Flow::Normal
        };
        self.restore(saved, opened);
        flow
    }

    /// Finds and spawns a program; on failure prints ash's message and
    /// returns the status (127 not found, 126 not executable).
    fn start_program(&mut self, argv: &[String], background: bool) -> Result<u32, i32> {
        let name = &argv[0];
        if self.fds.contains(&Tgt::Capture) {
            self.err_line(&format!(
                "{name}: command substitution of programs is not supported"
            ));
            return Err(1);
        }
        let path = if name.contains('/') {
            self.resolve(name)
        } else {
            format!("/bin/{name}")
        };
        match self.host.stat(&path) {
            Ok(FileKind::File) => {}
            Ok(FileKind::Dir) => {
                self.err_line(&format!("{name}: Permission denied"));
                return Err(126);
            }
            Err(_) => {
                if background && builtins::is_builtin(name) {
                    self.err_line(&format!(
                        "{name}: builtins cannot run in the background (&)"
                    ));
                    return Err(2);
                }
                self.err_line(&format!("{name}: not found"));
                return Err(127);
            }
        }
        let stdio = self.fds.map(|t| match t {
            Tgt::Console(_) => Stdio::Console,
            Tgt::Fd(h) => Stdio::Fd(h),
            Tgt::Null | Tgt::Capture => Stdio::Null,
        });
        match self.host.spawn(&path, argv, &stdio) {
            Ok(pid) => Ok(pid),
            Err(Errno::ENOENT) => {
                self.err_line(&format!("{name}: not found"));
                Err(127)
            }
            Err(e) => {
                self.err_line(&format!("{name}: {}", e.message()));
                Err(126)
            }
        }
    }

    // ---- expansion ----------------------------------------------------

    fn param_value(&mut self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "$" => Some(self.host.getpid().to_string()),
            "!" => self.last_bg.map(|p| p.to_string()),
            "#" => Some("0".to_string()),
            "0" => Some("sh".to_string()),
            "-" => Some(if self.interactive { "i" } else { "" }.to_string()),
            "@" | "*" => Some(String::new()),
            n if n.chars().all(|c| c.is_ascii_digit()) => None,
            n => self.vars.get(n).cloned(),
        }
    }

    /// Expands one word part to text; `None` means "unset and unquoted
    /// expansion produced nothing".
    fn expand_part(&mut self, part: &Part) -> Result<String, Raise> {
        match part {
            Part::Lit { text, .. } => Ok(text.clone()),
            Part::Param { param, .. } => {
                let v = self.param_value(&param.name);
                let checked = matches!(param.op, ParamOp::Plain | ParamOp::Length);
                if checked
                    && v.is_none()
                    && self.nounset
                    && !matches!(param.name.as_str(), "@" | "*")
                {
                    return Err(Raise(format!("{}: parameter not set", param.name)));
                }
                match &param.op {
                    ParamOp::Plain => Ok(v.unwrap_or_default()),
                    ParamOp::Length => Ok(v.unwrap_or_default().chars().count().to_string()),
                    ParamOp::Default { colon, word } | ParamOp::Assign { colon, word } => {
                        let use_word = match &v {
                            None => true,
                            Some(s) => *colon && s.is_empty(),
                        };
                        if !use_word {
                            return Ok(v.unwrap_or_default());
                        }
                        let w = self.expand_word_single(word)?;
                        if matches!(param.op, ParamOp::Assign { .. }) {
                            if !parse::is_name(&param.name) {
                                return Err(Raise(format!("{}: bad variable name", param.name)));
                            }
                            self.vars.insert(param.name.clone(), w.clone());
                        }
                        Ok(w)
                    }
                    ParamOp::Alt { colon, word } => {
                        let set = match &v {
                            None => false,
                            Some(s) => !(*colon && s.is_empty()),
                        };
                        if set {
                            self.expand_word_single(word)
                        } else {
                            Ok(String::new())
                        }
                    }
                }
            }
            Part::CmdSub { src, .. } => self.command_subst(src),
            Part::Arith { src, .. } => {
                let w = parse::parse_word_dq(src).map_err(|e| match e {
                    ParseError::Syntax(m) => Raise(m),
                    ParseError::Incomplete => Raise("arithmetic syntax error".into()),
                })?;
                let text = self.expand_word_single(&w)?;
                let mut vars = ArithEnv {
                    vars: &mut self.vars,
                };
                arith::eval(&text, &mut vars)
                    .map(|v| v.to_string())
                    .map_err(Raise)
            }
        }
    }

    /// `$(...)`: runs the commands as a subshell with stdout captured;
    /// trailing newlines are removed.
    fn command_subst(&mut self, src: &str) -> Result<String, Raise> {
        let list = parse::parse_sub(src).map_err(|e| match e {
            ParseError::Syntax(m) => Raise(m),
            ParseError::Incomplete => Raise("syntax error: unexpected end of file".into()),
        })?;
        let saved = self.fds[1];
        self.fds[1] = Tgt::Capture;
        self.captures.push(Vec::new());
        let flow = self.run_subshell(|sh| sh.run_list(&list));
        let out = self.captures.pop().unwrap_or_default();
        self.fds[1] = saved;
        self.sub_status = Some(self.status);
        if flow == Flow::Abort {
            return Err(Raise("command substitution failed".into()));
        }
        let mut s = String::from_utf8_lossy(&out).into_owned();
        while s.ends_with('\n') {
            s.pop();
        }
        Ok(s)
    }

    /// Expands a word without field splitting (assignments, redirection
    /// targets, `case`-like contexts).
    fn expand_word_single(&mut self, w: &Word) -> Result<String, Raise> {
        let mut s = String::new();
        for p in &w.parts {
            s.push_str(&self.expand_part(p)?);
        }
        Ok(s)
    }

    /// Expands words into fields: unquoted expansion results are split on
    /// blanks and newlines (default IFS), then fields with unquoted glob
    /// characters become the sorted matching paths (or stay as they are
    /// when nothing matches, as in ash).
    fn expand_words(&mut self, words: &[Word]) -> Result<Vec<String>, Raise> {
        let mut fields = Vec::new();
        for w in words {
            // The field, and the same text as a pattern with quoted
            // characters escaped so they match only themselves.
            let mut cur = String::new();
            let mut pat = String::new();
            let mut have = false;
            for p in &w.parts {
                let text = self.expand_part(p)?;
                let (quoted, split) = match p {
                    Part::Lit { quoted, .. } => (*quoted, false),
                    Part::Param { quoted, .. }
                    | Part::CmdSub { quoted, .. }
                    | Part::Arith { quoted, .. } => (*quoted, !*quoted),
                };
                if !split {
                    have = true;
                }
                for c in text.chars() {
                    if split && matches!(c, ' ' | '\t' | '\n') {
                        if have {
                            self.push_field(
                                &mut fields,
                                core::mem::take(&mut cur),
                                core::mem::take(&mut pat),
                            );
                            have = false;
                        }
                        continue;
                    }
                    if quoted && matches!(c, '*' | '?' | '[' | '\\') {
                        pat.push('\\');
                    }
                    pat.push(c);
                    cur.push(c);
                    have = true;
                }
            }
            if have {
                self.push_field(&mut fields, cur, pat);
            }
        }
        Ok(fields)
    }

    fn push_field(&mut self, fields: &mut Vec<String>, field: String, pat: String) {
        if glob::has_meta(&pat) {
            let host = &mut self.host;
            let found = glob::expand(&pat, &self.cwd, &mut |dir: &str| host.read_dir(dir).ok());
            if !found.is_empty() {
                fields.extend(found);
                return;
            }
        }
        fields.push(field);
    }
}

struct ArithEnv<'a> {
    vars: &'a mut BTreeMap<String, String>,
}

impl arith::ArithVars for ArithEnv<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn set(&mut self, name: &str, value: i64) {
        self.vars.insert(name.to_string(), value.to_string());
    }
}
