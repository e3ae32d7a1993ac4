//! Builtins with busybox's behaviour and messages: ash's own (`cd`,
//! `exit`, `wait`, `kill`, `echo`, `test`, ...) and the applets a
//! scenario needs that tinymm runs in-process (`cat`, `ls`, `mkdir`,
//! `rmdir`, `sleep`, `ps`), so scripts need no /bin programs for them.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{FileKind, Flow, OpenMode, Shell, ShellHost, Tgt, arith};
use crate::uapi::errno::Errno;

const BUILTINS: &[&str] = &[
    "echo", "cat", "ls", "mkdir", "rmdir", "sleep", "kill", "wait", "exit", "cd", "pwd", "test",
    "[", "true", "false", ":", "ps", "export", "unset", "break", "continue", "set",
];

pub(super) fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

const SIGNALS: &[(&str, i32, &str)] = &[
    ("HUP", 1, "Hangup"),
    ("INT", 2, "Interrupt"),
    ("QUIT", 3, "Quit"),
    ("ILL", 4, "Illegal instruction"),
    ("TRAP", 5, "Trace/breakpoint trap"),
    ("ABRT", 6, "Aborted"),
    ("BUS", 7, "Bus error"),
    ("FPE", 8, "Floating point exception"),
    ("KILL", 9, "Killed"),
    ("USR1", 10, "User defined signal 1"),
    ("SEGV", 11, "Segmentation fault"),
    ("USR2", 12, "User defined signal 2"),
    ("PIPE", 13, "Broken pipe"),
    ("ALRM", 14, "Alarm clock"),
    ("TERM", 15, "Terminated"),
    ("CHLD", 17, "Child exited"),
    ("CONT", 18, "Continued"),
    ("STOP", 19, "Stopped (signal)"),
];

/// glibc's strsignal() text.
pub(super) fn strsignal(sig: i32) -> String {
    match SIGNALS.iter().find(|s| s.1 == sig) {
        Some(s) => s.2.to_string(),
        None => format!("Unknown signal {sig}"),
    }
}

/// A signal by number or name (`9`, `KILL`, `SIGKILL`, any case).
fn parse_signal(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (0..=64).contains(&n).then_some(n);
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    SIGNALS.iter().find(|x| x.0 == name).map(|x| x.1)
}

/// `sleep`'s operand: decimal seconds with an optional s/m/h/d suffix.
fn parse_duration(s: &str) -> Option<u64> {
    let (num, mult) = match s.as_bytes().last()? {
        b's' => (&s[..s.len() - 1], 1),
        b'm' => (&s[..s.len() - 1], 60),
        b'h' => (&s[..s.len() - 1], 3600),
        b'd' => (&s[..s.len() - 1], 86400),
        _ => (s, 1),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut nanos: u64 = 0;
    for (i, b) in frac.bytes().take(9).enumerate() {
        nanos += (b - b'0') as u64 * 10u64.pow(8 - i as u32);
    }
    secs.checked_mul(1_000_000_000)?
        .checked_add(nanos)?
        .checked_mul(mult)
}

/// `echo -e` escapes; returns false at `\c` (stop output).
fn unescape(s: &str, out: &mut Vec<u8>) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        let c = b[i];
        i += 1;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'e' => out.push(27),
            b'\\' => out.push(b'\\'),
            b'c' => return false,
            b'0' => {
                let mut v: u32 = 0;
                let mut n = 0;
                while n < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + (b[i] - b'0') as u32;
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            _ => {
                out.push(b'\\');
                out.push(c);
            }
        }
    }
    true
}

/// `test`'s error: busybox's syntax() prints "op: msg" and exits 2.
struct TestErr(String);

fn test_num(s: &str) -> Result<i64, TestErr> {
    let t = s.trim_start();
    let ok = {
        let d = t.strip_prefix(['-', '+']).unwrap_or(t);
        !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
    };
    match (ok, t.parse::<i64>()) {
        (true, Ok(v)) => Ok(v),
        (true, Err(_)) => Err(TestErr(format!("{s}: out of range"))),
        _ if s.is_empty() => Err(TestErr("bad number".into())),
        _ => Err(TestErr(format!("{s}: bad number"))),
    }
}

const BINOPS: &[&str] = &["=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"];
const UNOPS: &[&str] = &["-z", "-n", "-e", "-f", "-d", "-r", "-w", "-x", "-s"];

struct Test<'a, H: ShellHost> {
    sh: &'a mut Shell<H>,
    args: &'a [String],
    i: usize,
}

impl<H: ShellHost> Test<'_, H> {
    fn arg(&self, k: usize) -> Option<&str> {
        self.args.get(self.i + k).map(|s| s.as_str())
    }

    fn or(&mut self) -> Result<bool, TestErr> {
        let mut v = self.and()?;
        while self.arg(0) == Some("-o") {
            self.i += 1;
            v |= self.and()?;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, TestErr> {
        let mut v = self.not()?;
        while self.arg(0) == Some("-a") {
            self.i += 1;
            v &= self.not()?;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, TestErr> {
        if self.arg(0) == Some("!") && self.arg(1).is_some() {
            self.i += 1;
            return Ok(!self.not()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, TestErr> {
        let Some(a) = self.arg(0).map(String::from) else {
            return Err(TestErr("argument expected".into()));
        };
        if a == "(" && self.arg(1).is_some() {
            self.i += 1;
            let v = self.or()?;
            if self.arg(0) != Some(")") {
                return Err(TestErr("closing paren expected".into()));
            }
            self.i += 1;
            return Ok(v);
        }
        if let Some(op) = self.arg(1).filter(|o| BINOPS.contains(o)).map(String::from)
            && let Some(b) = self.arg(2).map(String::from)
        {
            self.i += 3;
            return binary(&a, &op, &b);
        }
        if UNOPS.contains(&a.as_str())
            && let Some(b) = self.arg(1).map(String::from)
        {
            self.i += 2;
            return self.unary(&a, &b);
        }
        self.i += 1;
        Ok(!a.is_empty())
    }

    fn unary(&mut self, op: &str, s: &str) -> Result<bool, TestErr> {
        let kind = |sh: &mut Shell<H>| {
            let p = sh.resolve(s);
            sh.host.stat(&p).ok()
        };
        Ok(match op {
            "-z" => s.is_empty(),
            "-n" => !s.is_empty(),
            "-e" | "-r" | "-w" | "-x" => kind(self.sh).is_some(),
            "-f" => kind(self.sh) == Some(FileKind::File),
            "-d" => kind(self.sh) == Some(FileKind::Dir),
            "-s" => {
                let p = self.sh.resolve(s);
                match self.sh.host.open(&p, OpenMode::Read) {
                    Ok(h) => {
                        let r = self
                            .sh
                            .host
                            .read_to_end(h)
                            .map(|d| !d.is_empty())
                            .unwrap_or(true);
                        self.sh.host.close(h);
                        r
                    }
                    Err(_) => false,
                }
            }
            _ => return Err(TestErr(format!("{op}: unknown operand"))),
        })
    }
}

fn binary(a: &str, op: &str, b: &str) -> Result<bool, TestErr> {
    Ok(match op {
        "=" | "==" => a == b,
        "!=" => a != b,
        _ => {
            let (x, y) = (test_num(a)?, test_num(b)?);
            match op {
                "-eq" => x == y,
                "-ne" => x != y,
                "-lt" => x < y,
                "-le" => x <= y,
                "-gt" => x > y,
                _ => x >= y,
            }
        }
    })
}

impl<H: ShellHost> Shell<H> {
    /// Runs builtin `argv[0]`; sets `$?`.
    pub(super) fn run_builtin(&mut self, argv: &[String]) -> Flow {
        let args = &argv[1..];
        let (status, flow) = match argv[0].as_str() {
            "echo" => (self.echo(args), Flow::Normal),
            "cat" => (self.cat(args), Flow::Normal),
            "ls" => (self.ls(args), Flow::Normal),
            "mkdir" => (self.mkdir(args), Flow::Normal),
            "rmdir" => (self.rmdir(args), Flow::Normal),
            "sleep" => (self.sleep(args), Flow::Normal),
            "kill" => (self.kill(args), Flow::Normal),
            "wait" => (self.wait(args), Flow::Normal),
            "cd" => (self.cd(args), Flow::Normal),
            "pwd" => {
                let s = format!("{}\n", self.cwd);
                (self.write_or_report(s.as_bytes()), Flow::Normal)
            }
            "test" => (self.test(args, false), Flow::Normal),
            "[" => (self.test(args, true), Flow::Normal),
            "true" | ":" => (0, Flow::Normal),
            "false" => (1, Flow::Normal),
            "ps" => (self.ps(), Flow::Normal),
            "export" => (self.export(args), Flow::Normal),
            "unset" => {
                for a in args {
                    self.vars.remove(a);
                }
                (0, Flow::Normal)
            }
            "set" => (self.set(args), Flow::Normal),
            "exit" => return self.exit(args),
            "break" | "continue" => return self.break_continue(&argv[0], args),
            other => unreachable!("{other} is not a builtin"),
        };
        self.status = status;
        flow
    }

    /// Writes to stdout; a failure prints busybox's "write error".
    fn write_or_report(&mut self, data: &[u8]) -> i32 {
        match self.write_fd(1, data) {
            Ok(()) => 0,
            Err(e) => {
                self.err(&format!("sh: write error: {}", e.message()));
                1
            }
        }
    }

    /// coreutils/echo.c: options -n -e -E (combinable), one write().
    fn echo(&mut self, args: &[String]) -> i32 {
        let mut newline = true;
        let mut escapes = false;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let Some(flags) = a.strip_prefix('-') else {
                break;
            };
            if flags.is_empty() || !flags.bytes().all(|b| matches!(b, b'n' | b'e' | b'E')) {
                break;
            }
            for f in flags.bytes() {
                match f {
                    b'n' => newline = false,
                    b'e' => escapes = true,
                    _ => escapes = false,
                }
            }
            i += 1;
        }
        let mut buf = Vec::new();
        for (k, a) in args[i..].iter().enumerate() {
            if k > 0 {
                buf.push(b' ');
            }
            if escapes {
                if !unescape(a, &mut buf) {
                    newline = false;
                    break;
                }
            } else {
                buf.extend_from_slice(a.as_bytes());
            }
        }
        if newline {
            buf.push(b'\n');
        }
        self.write_or_report(&buf)
    }

    fn cat(&mut self, args: &[String]) -> i32 {
        let mut status = 0;
        let stdin = ["-".to_string()];
        let files = if args.is_empty() { &stdin[..] } else { args };
        for f in files {
            let data = if f == "-" {
                match self.fds[0] {
                    Tgt::Fd(h) => self.host.read_to_end(h),
                    Tgt::Null => Ok(Vec::new()),
                    Tgt::Console(_) | Tgt::Capture => {
                        self.err("cat: reading the console is not supported");
                        status = 1;
                        continue;
                    }
                }
            } else {
                let p = self.resolve(f);
                match self.host.open(&p, OpenMode::Read) {
                    Ok(h) => {
                        let d = self.host.read_to_end(h);
                        self.host.close(h);
                        d
                    }
                    Err(e) => {
                        self.err(&format!("cat: can't open '{f}': {}", e.message()));
                        status = 1;
                        continue;
                    }
                }
            };
            match data {
                Ok(d) => {
                    if self.write_or_report(&d) != 0 {
                        return 1;
                    }
                }
                Err(e) => {
                    self.err(&format!("cat: read error: {}", e.message()));
                    status = 1;
                }
            }
        }
        status
    }

    fn ls(&mut self, args: &[String]) -> i32 {
        let mut all = false;
        let mut paths = Vec::new();
        for a in args {
            match a.strip_prefix('-').filter(|f| !f.is_empty()) {
                Some(flags) => {
                    for f in flags.chars() {
                        match f {
                            '1' => {}
                            'a' => all = true,
                            _ => {
                                self.err(&format!("ls: unrecognized option '{f}'"));
                                return 1;
                            }
                        }
                    }
                }
                None => paths.push(a.clone()),
            }
        }
        if paths.is_empty() {
            paths.push(".".to_string());
        }
        let mut status = 0;
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        for p in &paths {
            match self.host.stat(&self.resolve(p)) {
                Ok(FileKind::File) => files.push(p.clone()),
                Ok(FileKind::Dir) => dirs.push(p.clone()),
                Err(e) => {
                    self.err(&format!("ls: {p}: {}", e.message()));
                    status = 1;
                }
            }
        }
        let mut out = String::new();
        for f in &files {
            out.push_str(f);
            out.push('\n');
        }
        let headers = paths.len() > 1;
        for (k, d) in dirs.iter().enumerate() {
            match self.host.read_dir(&self.resolve(d)) {
                Ok(mut names) => {
                    if all {
                        names.push(".".into());
                        names.push("..".into());
                    }
                    names.retain(|n| all || !n.starts_with('.'));
                    names.sort();
                    if headers {
                        if k > 0 || !files.is_empty() {
                            out.push('\n');
                        }
                        out.push_str(&format!("{d}:\n"));
                    }
                    for n in names {
                        out.push_str(&n);
                        out.push('\n');
                    }
                }
                Err(e) => {
                    self.err(&format!("ls: {d}: {}", e.message()));
                    status = 1;
                }
            }
        }
        if self.write_or_report(out.as_bytes()) != 0 {
            return 1;
        }
        status
    }

    fn mkdir(&mut self, args: &[String]) -> i32 {
        let parents = args.iter().any(|a| a == "-p");
        let mut status = 0;
        for a in args.iter().filter(|a| *a != "-p") {
            let path = self.resolve(a);
            let r = if parents {
                let mut prefix = String::new();
                let mut r = Ok(());
                for comp in path.split('/').filter(|c| !c.is_empty()) {
                    prefix.push('/');
                    prefix.push_str(comp);
                    if self.host.stat(&prefix) == Ok(FileKind::Dir) {
                        continue;
                    }
                    r = self.host.mkdir(&prefix);
                    if r.is_err() {
                        break;
                    }
                }
                r
            } else {
                self.host.mkdir(&path)
            };
            if let Err(e) = r {
                self.err(&format!(
                    "mkdir: can't create directory '{a}': {}",
                    e.message()
                ));
                status = 1;
            }
        }
        status
    }

    fn rmdir(&mut self, args: &[String]) -> i32 {
        let mut status = 0;
        for a in args {
            let p = self.resolve(a);
            if let Err(e) = self.host.rmdir(&p) {
                self.err(&format!("rmdir: '{a}': {}", e.message()));
                status = 1;
            }
        }
        status
    }

    fn sleep(&mut self, args: &[String]) -> i32 {
        if args.is_empty() {
            self.err("sleep: missing operand");
            return 1;
        }
        let mut total: u64 = 0;
        for a in args {
            match parse_duration(a) {
                Some(n) => total = total.saturating_add(n),
                None => {
                    self.err(&format!("sleep: invalid number '{a}'"));
                    return 1;
                }
            }
        }
        self.host.sleep(total);
        0
    }

    /// procps/kill.c as ash's builtin: `-9`, `-KILL`, `-SIGKILL`, `-s SIG`.
    fn kill(&mut self, args: &[String]) -> i32 {
        let mut sig = 15;
        let mut rest = args;
        if let Some(first) = rest.first() {
            if first == "-s" {
                let Some(name) = rest.get(1) else {
                    self.err("sh: kill: option requires an argument -- s");
                    return 1;
                };
                match parse_signal(name) {
                    Some(s) => sig = s,
                    None => {
                        self.err(&format!("sh: bad signal name '{name}'"));
                        return 1;
                    }
                }
                rest = &rest[2..];
            } else if let Some(name) = first
                .strip_prefix('-')
                .filter(|n| !n.is_empty() && *n != "-")
            {
                match parse_signal(name) {
                    Some(s) => sig = s,
                    None => {
                        self.err(&format!("sh: bad signal name '{name}'"));
                        return 1;
                    }
                }
                rest = &rest[1..];
            } else if first == "--" {
                rest = &rest[1..];
            }
        }
        if rest.is_empty() {
            self.err("sh: kill: usage: kill [-s SIG | -SIG] PID...");
            return 1;
        }
        let mut status = 0;
        for p in rest {
            let Ok(pid) = p.parse::<u32>() else {
                self.err(&format!("sh: invalid number '{p}'"));
                status = 1;
                continue;
            };
            if let Err(e) = self.host.kill(pid, sig) {
                self.err(&format!("sh: can't kill pid {pid}: {}", e.message()));
                status = 1;
            }
        }
        status
    }

    /// ash's waitcmd(): no operands waits for every job (status 0); with
    /// pids, the status is the last one's, 127 if it is not our child.
    fn wait(&mut self, args: &[String]) -> i32 {
        self.reap();
        if args.is_empty() {
            let pids: Vec<u32> = self.jobs.keys().copied().collect();
            for pid in pids {
                if self.jobs.get(&pid) == Some(&None) {
                    // Ignore errors: a vanished child simply has no status.
                    let _ = self.host.wait(pid);
                }
            }
            self.jobs.clear();
            return 0;
        }
        let mut status = 127;
        for a in args {
            let Ok(pid) = a.parse::<u32>() else {
                self.err_builtin("wait", &format!("Illegal number: {a}"));
                return 2;
            };
            status = match self.jobs.remove(&pid) {
                Some(Some(st)) => st.code(),
                Some(None) => match self.host.wait(pid) {
                    Ok(st) => st.code(),
                    Err(_) => 127,
                },
                None => 127,
            };
        }
        status
    }

    fn cd(&mut self, args: &[String]) -> i32 {
        let arg = match args.first().map(|s| s.as_str()) {
            None => self.vars.get("HOME").cloned().unwrap_or_else(|| "/".into()),
            Some("-") => match self.vars.get("OLDPWD").cloned() {
                Some(p) => p,
                None => {
                    self.err_builtin("cd", "OLDPWD not set");
                    return 2;
                }
            },
            Some(a) => a.to_string(),
        };
        let path = self.resolve(&arg);
        match self.host.stat(&path) {
            Ok(FileKind::Dir) => {
                let old = core::mem::replace(&mut self.cwd, path.clone());
                self.vars.insert("OLDPWD".into(), old);
                self.vars.insert("PWD".into(), path);
                0
            }
            other => {
                let e = match other {
                    Err(e) => e,
                    _ => Errno::ENOTDIR,
                };
                self.err_builtin("cd", &format!("can't cd to {arg}: {}", e.message()));
                2
            }
        }
    }

    fn test(&mut self, args: &[String], bracket: bool) -> i32 {
        let mut args = args;
        if bracket {
            match args.split_last() {
                Some((last, rest)) if last == "]" => args = rest,
                _ => {
                    self.err("sh: [: missing ]");
                    return 2;
                }
            }
        }
        // POSIX decides by argument count first: `[ -n ]` is a
        // one-argument test of the string "-n".
        let r = match args.len() {
            0 => Ok(false),
            1 => Ok(!args[0].is_empty()),
            2 if args[0] == "!" => Ok(args[1].is_empty()),
            3 if BINOPS.contains(&args[1].as_str()) => binary(&args[0], &args[1], &args[2]),
            _ => {
                let mut t = Test {
                    sh: self,
                    args,
                    i: 0,
                };
                match t.or() {
                    Ok(v) if t.i == args.len() => Ok(v),
                    Ok(_) => Err(TestErr(format!("{}: unknown operand", args[t.i]))),
                    Err(e) => Err(e),
                }
            }
        };
        match r {
            Ok(v) => (!v) as i32,
            Err(TestErr(m)) => {
                self.err(&format!("sh: {m}"));
                2
            }
        }
    }

    /// tinymm's `ps`: pid, state and command name (no users or sizes yet).
    fn ps(&mut self) -> i32 {
        let mut out = String::from("  PID STAT COMMAND\n");
        let mut procs = self.host.processes();
        procs.sort_by_key(|p| p.pid);
        for p in procs {
            out.push_str(&format!("{:>5} {:<4} {}\n", p.pid, p.state, p.comm));
        }
        self.write_or_report(out.as_bytes())
    }

    /// Variables are only the shell's (programs get no environment yet),
    /// so `export` records names for listing and assigns values.
    fn export(&mut self, args: &[String]) -> i32 {
        if args.is_empty() || args[0] == "-p" {
            let mut out = String::new();
            for n in &self.exported {
                if let Some(v) = self.vars.get(n) {
                    out.push_str(&format!("export {n}='{}'\n", v.replace('\'', "'\\''")));
                }
            }
            return self.write_or_report(out.as_bytes());
        }
        for a in args {
            let (name, value) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (a.as_str(), None),
            };
            if !super::parse::is_name(name) {
                self.err_builtin("export", &format!("{name}: bad variable name"));
                return 2;
            }
            if let Some(v) = value {
                self.vars.insert(name.into(), v.into());
            }
            if !self.exported.iter().any(|e| e == name) {
                self.exported.push(name.into());
            }
        }
        0
    }

    /// `set -e`/`-u` and their `+` forms; positional parameters and other
    /// options are not supported and say so.
    fn set(&mut self, args: &[String]) -> i32 {
        if args.is_empty() {
            let mut out = String::new();
            for (n, v) in &self.vars {
                out.push_str(&format!("{n}='{}'\n", v.replace('\'', "'\\''")));
            }
            return self.write_or_report(out.as_bytes());
        }
        for a in args {
            let (on, flags) = match (a.strip_prefix('-'), a.strip_prefix('+')) {
                (Some(f), _) if !f.is_empty() => (true, f),
                (_, Some(f)) if !f.is_empty() => (false, f),
                _ => {
                    self.err_builtin("set", "positional parameters are not supported");
                    return 2;
                }
            };
            for f in flags.chars() {
                match f {
                    'e' => self.errexit = on,
                    'u' => self.nounset = on,
                    _ => {
                        self.err_builtin("set", &format!("-{f}: option not supported"));
                        return 2;
                    }
                }
            }
        }
        0
    }

    fn exit(&mut self, args: &[String]) -> Flow {
        let code = match args.first() {
            None => self.status,
            Some(a) => {
                match arith::parse_int(a).filter(|_| a.bytes().all(|b| b.is_ascii_digit())) {
                    Some(n) => (n & 0xff) as i32,
                    None => {
                        self.err_builtin("exit", &format!("Illegal number: {a}"));
                        self.status = 2;
                        // exit is a special builtin: its error ends a script.
                        return if self.interactive {
                            Flow::Normal
                        } else {
                            Flow::Exit(2)
                        };
                    }
                }
            }
        };
        self.status = code;
        Flow::Exit(code)
    }

    fn break_continue(&mut self, name: &str, args: &[String]) -> Flow {
        let n = match args.first() {
            None => 1,
            Some(a) => match a.parse::<u32>() {
                Ok(n) if n > 0 => n,
                _ => {
                    self.err_builtin(name, &format!("Illegal number: {a}"));
                    self.status = 2;
                    return if self.interactive {
                        Flow::Normal
                    } else {
                        Flow::Exit(2)
                    };
                }
            },
        };
        self.status = 0;
        if self.loop_depth == 0 {
            return Flow::Normal;
        }
        let n = n.min(self.loop_depth);
        if name == "break" {
            Flow::Break(n)
        } else {
            Flow::Continue(n)
        }
    }
}
