//! `#!` scripts (fs/binfmt_script.c, `load_script`): the interpreter line
//! in the first BINPRM_BUF_SIZE bytes is split into the interpreter's path
//! and at most one argument (everything after the first run of blanks, up
//! to the end of the line without trailing blanks). exec.rs rewrites argv
//! as Linux does and restarts the load with the interpreter.
//!
//! Pure: tested on the host.

use alloc::vec::Vec;

use super::binfmt_elf::BINPRM_BUF_SIZE;
use crate::uapi::errno::{Errno, KResult};

/// The parsed `#!` line.
#[derive(Debug, PartialEq, Eq)]
pub struct ScriptInterp {
    pub name: Vec<u8>,
    pub arg: Option<Vec<u8>>,
}

fn spacetab(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

/// `next_non_spacetab()` over `buf[first..=last]`.
fn next_non_spacetab(buf: &[u8], first: usize, last: usize) -> Option<usize> {
    (first..=last).find(|&i| !spacetab(buf[i]))
}

/// `next_terminator()`: the first blank or NUL in `buf[first..=last]`.
fn next_terminator(buf: &[u8], first: usize, last: usize) -> Option<usize> {
    (first..=last).find(|&i| spacetab(buf[i]) || buf[i] == 0)
}

/// A C string: up to the first NUL.
fn c_str(b: &[u8]) -> Vec<u8> {
    b.iter().copied().take_while(|&c| c != 0).collect()
}

/// `load_script()`'s parse of `bprm->buf`. ENOEXEC if the file does not
/// start with `#!`, if the line names no interpreter, or if it fills the
/// buffer with no blank after the name (the path may be cut off).
pub fn parse_interpreter_line(buf: &[u8; BINPRM_BUF_SIZE]) -> KResult<ScriptInterp> {
    if buf[0] != b'#' || buf[1] != b'!' {
        return Err(Errno::ENOEXEC);
    }
    let buf_end = BINPRM_BUF_SIZE - 1;
    let mut i_end = match buf.iter().position(|&c| c == b'\n') {
        Some(nl) => nl,
        None => {
            let first = next_non_spacetab(buf, 2, buf_end).ok_or(Errno::ENOEXEC)?;
            next_terminator(buf, first, buf_end).ok_or(Errno::ENOEXEC)?;
            buf_end
        }
    };
    while i_end > 2 && spacetab(buf[i_end - 1]) {
        i_end -= 1;
    }
    let i_name = match next_non_spacetab(buf, 2, i_end) {
        Some(n) if n != i_end => n,
        _ => return Err(Errno::ENOEXEC),
    };
    let i_sep = next_terminator(buf, i_name, i_end);
    let i_arg = i_sep
        .filter(|&s| buf[s] != 0)
        .and_then(|s| next_non_spacetab(buf, s, i_end))
        .filter(|&a| a < i_end);
    let name_end = match (i_arg, i_sep) {
        (Some(_), Some(sep)) => sep,
        _ => i_end,
    };
    Ok(ScriptInterp {
        name: c_str(&buf[i_name..name_end]),
        arg: i_arg.map(|a| c_str(&buf[a..i_end])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> KResult<ScriptInterp> {
        let mut buf = [0u8; BINPRM_BUF_SIZE];
        let n = text.len().min(BINPRM_BUF_SIZE);
        buf[..n].copy_from_slice(&text[..n]);
        parse_interpreter_line(&buf)
    }

    fn interp(name: &str, arg: Option<&str>) -> KResult<ScriptInterp> {
        Ok(ScriptInterp {
            name: name.into(),
            arg: arg.map(Into::into),
        })
    }

    #[test]
    fn interpreter_and_optional_argument() {
        assert_eq!(parse(b"#!/bin/sh\necho hi\n"), interp("/bin/sh", None));
        assert_eq!(parse(b"#!/bin/sh -e\n"), interp("/bin/sh", Some("-e")));
        assert_eq!(parse(b"#! /bin/sh\n"), interp("/bin/sh", None));
        assert_eq!(parse(b"#!\t/bin/sh\t-x\t\n"), interp("/bin/sh", Some("-x")));
        // Everything after the first blanks is one argument.
        assert_eq!(
            parse(b"#!/usr/bin/env  python3 -u  \n"),
            interp("/usr/bin/env", Some("python3 -u"))
        );
        assert_eq!(parse(b"#!/bin/sh   \n"), interp("/bin/sh", None));
        // A file that is only the line, without a newline.
        assert_eq!(parse(b"#!/bin/true"), interp("/bin/true", None));
        // A NUL ends the name.
        assert_eq!(parse(b"#!/bin/sh\0junk\n"), interp("/bin/sh", None));
    }

    #[test]
    fn unusable_lines_are_enoexec() {
        assert_eq!(parse(b"#!\n"), Err(Errno::ENOEXEC), "no interpreter");
        assert_eq!(parse(b"#!   \t\n"), Err(Errno::ENOEXEC));
        // Without a newline the NULs after "#!" end an empty name, which
        // the lookup then refuses (EACCES on Linux).
        assert_eq!(parse(b"#!"), interp("", None));
        assert_eq!(parse(b"#/bin/sh\n"), Err(Errno::ENOEXEC));
        assert_eq!(parse(b"\x7fELF"), Err(Errno::ENOEXEC));
        // A line longer than the buffer: a name that may be cut off.
        let mut long = b"#!/".to_vec();
        long.resize(300, b'a');
        assert_eq!(parse(&long), Err(Errno::ENOEXEC));
        let mut spaces = b"#!".to_vec();
        spaces.resize(300, b' ');
        assert_eq!(parse(&spaces), Err(Errno::ENOEXEC));
        // ... but a blank inside the buffer ends the name: the argument
        // is what is left in the buffer.
        let mut cut = b"#!/bin/sh ".to_vec();
        cut.resize(300, b'x');
        let r = parse(&cut).unwrap();
        assert_eq!(r.name, b"/bin/sh");
        assert_eq!(r.arg.unwrap().len(), BINPRM_BUF_SIZE - 1 - 10);
    }
}
