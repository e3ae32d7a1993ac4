//! Host tests of printk.rs: formats against lines Linux prints (the
//! expected strings are in Linux's `dmesg -r` and /dev/kmsg formats), and
//! syslog(2)'s actions on a small log.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::*;

/// A task whose user memory is `mem` at `BASE`.
struct FakeUser {
    mem: RefCell<Vec<u8>>,
}

const BASE: u64 = 0x10000;

impl FakeUser {
    fn new(len: usize) -> Self {
        Self {
            mem: RefCell::new(alloc::vec![0; len]),
        }
    }

    fn text(&self, n: usize) -> String {
        String::from_utf8(self.mem.borrow()[..n].to_vec()).unwrap()
    }
}

impl LogReader for FakeUser {
    fn access_ok(&self, addr: u64, len: usize) -> bool {
        addr >= BASE && addr + len as u64 <= BASE + self.mem.borrow().len() as u64
    }

    fn copy_to_user(&self, addr: u64, bytes: &[u8]) -> KResult<()> {
        if !self.access_ok(addr, bytes.len()) {
            return Err(Errno::EFAULT);
        }
        let at = (addr - BASE) as usize;
        self.mem.borrow_mut()[at..at + bytes.len()].copy_from_slice(bytes);
        Ok(())
    }

    fn wait_event(&self, cond: &dyn Fn() -> bool) -> KResult<()> {
        // Nothing else runs here: a wait that would block is a test bug.
        assert!(cond(), "the read would block");
        Ok(())
    }
}

type Small = KernelLog<4096, 64>;

fn new_log() -> Box<SpinLock<Small>> {
    Box::new(SpinLock::new(Small::new()))
}

fn info(seq: u64, ts_nsec: u64, facility: u8, level: u8, text: &str) -> PrintkInfo {
    PrintkInfo {
        seq,
        ts_nsec,
        text_len: text.len() as u16,
        facility,
        level,
    }
}

fn printed(info: &PrintkInfo, text: &str, syslog: bool, time: bool) -> String {
    let mut out = Vec::new();
    record_print_text(info, text.as_bytes(), syslog, time, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn syslog_text_is_linuxs_record_print_text() {
    // As `dmesg -r` shows Linux's first line, and a later one.
    let i = info(0, 0, 0, 5, "Linux version 6.1.0");
    assert_eq!(
        printed(&i, "Linux version 6.1.0", true, true),
        "<5>[    0.000000] Linux version 6.1.0\n"
    );
    let i = info(7, 1_234_567_891, 0, 6, "x");
    assert_eq!(printed(&i, "x", true, true), "<6>[    1.234567] x\n");
    assert_eq!(printed(&i, "x", false, true), "[    1.234567] x\n");
    assert_eq!(printed(&i, "x", false, false), "x\n");
    let i = info(7, 123_456_000_999_999, 1, 4, "u");
    assert_eq!(printed(&i, "u", true, true), "<12>[123456.000999] u\n");
    // Every line of a record gets the prefix.
    let i = info(0, 2_000_000_000, 0, 3, "a\nb");
    assert_eq!(
        printed(&i, "a\nb", true, true),
        "<3>[    2.000000] a\n<3>[    2.000000] b\n"
    );
    let i = info(0, 0, 0, 6, "");
    assert_eq!(printed(&i, "", true, true), "<6>[    0.000000] \n");
}

#[test]
fn record_print_text_cuts_at_console_log_max() {
    let text = "y".repeat(LOG_LINE_MAX);
    let i = info(0, 0, 0, 6, &text);
    // 18 bytes of prefix + 992 + newline fit in 1024 (with a terminator).
    assert_eq!(printed(&i, &text, true, true).len(), 18 + LOG_LINE_MAX + 1);
    // Many short lines: whole lines until the buffer is full, the line
    // that does not fit is cut, and nothing after it.
    let text = "ab\n".repeat(300);
    let i = info(0, 0, 0, 6, &text[..text.len() - 1]);
    let out = printed(&i, &text[..text.len() - 1], true, true);
    // 21 bytes a line; room for 1022 (a newline and a terminator kept).
    assert_eq!(out.lines().count(), 48);
    assert_eq!(out.len(), 48 * 21);
    assert!(out.lines().all(|l| l.starts_with("<6>[    0.000000] ")));
    assert!(out.ends_with('\n'));
}

#[test]
fn devkmsg_lines_are_linuxs_ext_format() {
    let log = new_log();
    let mut l = log.lock_irqsave();
    let con = ConsolePrintk::new();
    l.vprintk_store(&con, 1_234_567_891, LOG_KERN, LOGLEVEL_INFO, b"hello\n");
    l.vprintk_store(&con, 5_000, LOG_USER, LOGLEVEL_DEFAULT, b"tab\there\\ \x7f");
    let mut seq = 0;
    let mut out = Vec::with_capacity(CONSOLE_EXT_LOG_MAX);
    assert_eq!(l.devkmsg_read(&mut seq, &mut out), Some(Ok(())));
    assert_eq!(out, b"6,0,1234567,-;hello\n");
    out.clear();
    assert_eq!(l.devkmsg_read(&mut seq, &mut out), Some(Ok(())));
    // LOG_USER (1) << 3 | default_message_loglevel (4).
    assert_eq!(out, b"12,1,5,-;tab\\x09here\\x5c \\x7f\n");
    assert_eq!(seq, 2);
    assert_eq!(l.devkmsg_read(&mut seq, &mut out), None);
}

#[test]
fn a_devkmsg_reader_whose_record_was_overwritten_gets_epipe_once() {
    let log = new_log();
    let mut l = log.lock_irqsave();
    let con = ConsolePrintk::new();
    for i in 0..100 {
        l.vprintk_store(&con, 0, LOG_KERN, 6, alloc::format!("m{i}").as_bytes());
    }
    // 64 descriptors: records 0..36 are gone.
    let mut seq = 0;
    let mut out = Vec::with_capacity(CONSOLE_EXT_LOG_MAX);
    assert_eq!(l.devkmsg_read(&mut seq, &mut out), Some(Err(Errno::EPIPE)));
    assert_eq!(seq, 36);
    assert_eq!(l.devkmsg_read(&mut seq, &mut out), Some(Ok(())));
    assert_eq!(out, b"6,36,0,-;m36\n");
}

#[test]
fn devkmsg_writes_parse_the_prefix_as_linux() {
    assert_eq!(devkmsg_parse(b"hello", 4), (1, 4, &b"hello"[..]));
    assert_eq!(devkmsg_parse(b"<3>err", 4), (1, 3, &b"err"[..]));
    assert_eq!(
        devkmsg_parse(b"<14>user info", 4),
        (1, 6, &b"user info"[..])
    );
    // local4.notice: facility 20.
    assert_eq!(devkmsg_parse(b"<165>x", 4), (20, 5, &b"x"[..]));
    // Facility 0 is not allowed from user space: LOG_USER stays.
    assert_eq!(devkmsg_parse(b"<6>x", 4), (1, 6, &b"x"[..]));
    // No digits still parses (simple_strtoul gives 0): KERN_EMERG.
    assert_eq!(devkmsg_parse(b"<>x", 4), (1, 0, &b"x"[..]));
    assert_eq!(devkmsg_parse(b"<a>x", 4), (1, 4, &b"<a>x"[..]));
    assert_eq!(devkmsg_parse(b"<3x", 4), (1, 4, &b"<3x"[..]));
    assert_eq!(devkmsg_parse(b"a\0b", 4), (1, 4, &b"a"[..]));
}

fn syslog(
    log: &SpinLock<Small>,
    con: &ConsolePrintk,
    a: i32,
    len: i32,
    u: &FakeUser,
) -> KResult<i64> {
    do_syslog(log, con, a, BASE, len, u)
}

#[test]
fn syslog_read_all_clear_and_sizes() {
    let log = new_log();
    let con = ConsolePrintk::new();
    let u = FakeUser::new(4096);
    {
        let mut l = log.lock_irqsave();
        l.vprintk_store(&con, 1_000_000, LOG_KERN, 6, b"one");
        l.vprintk_store(&con, 2_500_000_000, LOG_KERN, 3, b"two");
    }
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_SIZE_BUFFER, 0, &u),
        Ok(4096)
    );
    let all = "<6>[    0.001000] one\n<3>[    2.500000] two\n";
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_SIZE_UNREAD, 0, &u),
        Ok(all.len() as i64)
    );
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_READ_ALL, 4096, &u),
        Ok(all.len() as i64)
    );
    assert_eq!(u.text(all.len()), all);
    // Too small for both: the newest that fit.
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ_ALL, 30, &u), Ok(22));
    assert_eq!(u.text(22), "<3>[    2.500000] two\n");
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ_ALL, 10, &u), Ok(0));
    // READ_ALL leaves the reader position; READ_CLEAR empties READ_ALL.
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_SIZE_UNREAD, 0, &u),
        Ok(all.len() as i64)
    );
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_READ_CLEAR, 4096, &u),
        Ok(all.len() as i64)
    );
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ_ALL, 4096, &u), Ok(0));
    log.lock_irqsave()
        .vprintk_store(&con, 3_000_000_000, LOG_KERN, 6, b"three");
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ_ALL, 4096, &u), Ok(24));
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_CLEAR, 0, &u), Ok(0));
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ_ALL, 4096, &u), Ok(0));
    // Clearing does not touch what READ has still to read.
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_SIZE_UNREAD, 0, &u),
        Ok(all.len() as i64 + 24)
    );
}

#[test]
fn syslog_read_is_destructive_and_resumes_a_partial_record() {
    let log = new_log();
    let con = ConsolePrintk::new();
    let u = FakeUser::new(4096);
    {
        let mut l = log.lock_irqsave();
        l.vprintk_store(&con, 0, LOG_KERN, 6, b"first");
        l.vprintk_store(&con, 0, LOG_KERN, 6, b"second");
    }
    // 24 + 25 bytes. 30: the first whole, not a part of the second.
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ, 30, &u), Ok(24));
    assert_eq!(u.text(24), "<6>[    0.000000] first\n");
    // 10: a part of the second, then the rest.
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ, 10, &u), Ok(10));
    assert_eq!(u.text(10), "<6>[    0.");
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_SIZE_UNREAD, 0, &u), Ok(15));
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ, 100, &u), Ok(15));
    assert_eq!(u.text(15), "000000] second\n");
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_SIZE_UNREAD, 0, &u), Ok(0));
    // READ_ALL still has both.
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_READ_ALL, 4096, &u), Ok(49));
}

#[test]
fn syslog_errors_are_linuxs() {
    let log = new_log();
    let con = ConsolePrintk::new();
    let u = FakeUser::new(64);
    log.lock_irqsave().vprintk_store(&con, 0, LOG_KERN, 6, b"x");
    for action in [
        SYSLOG_ACTION_READ,
        SYSLOG_ACTION_READ_ALL,
        SYSLOG_ACTION_READ_CLEAR,
    ] {
        assert_eq!(do_syslog(&log, &con, action, 0, 10, &u), Err(Errno::EINVAL));
        assert_eq!(
            do_syslog(&log, &con, action, BASE, -1, &u),
            Err(Errno::EINVAL)
        );
        assert_eq!(do_syslog(&log, &con, action, BASE, 0, &u), Ok(0));
        assert_eq!(
            do_syslog(&log, &con, action, BASE, 65, &u),
            Err(Errno::EFAULT)
        );
        assert_eq!(do_syslog(&log, &con, action, 8, 10, &u), Err(Errno::EFAULT));
    }
    for action in [-1, 11, 100] {
        assert_eq!(syslog(&log, &con, action, 0, &u), Err(Errno::EINVAL));
    }
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_OPEN, 0, &u), Ok(0));
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_CLOSE, 0, &u), Ok(0));
}

#[test]
fn console_level_off_and_on() {
    let log = new_log();
    let con = ConsolePrintk::new();
    let u = FakeUser::new(0);
    let levels = |c: &ConsolePrintk| c.0.each_ref().map(|a| a.load(Relaxed));
    assert_eq!(levels(&con), [7, 4, 1, 7]);
    assert!(!con.suppress_message_printing(6));
    assert!(con.suppress_message_printing(7));
    for bad in [0, 9, -1] {
        assert_eq!(
            syslog(&log, &con, SYSLOG_ACTION_CONSOLE_LEVEL, bad, &u),
            Err(Errno::EINVAL)
        );
    }
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_CONSOLE_LEVEL, 3, &u),
        Ok(0)
    );
    assert_eq!(con.console_loglevel(), 3);
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_CONSOLE_OFF, 0, &u), Ok(0));
    assert_eq!(con.console_loglevel(), 1);
    // A second OFF keeps the first saved level.
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_CONSOLE_OFF, 0, &u), Ok(0));
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_CONSOLE_ON, 0, &u), Ok(0));
    assert_eq!(con.console_loglevel(), 3);
    // ON without OFF changes nothing; LEVEL cancels an OFF.
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_CONSOLE_ON, 0, &u), Ok(0));
    assert_eq!(con.console_loglevel(), 3);
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_CONSOLE_OFF, 0, &u), Ok(0));
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_CONSOLE_LEVEL, 8, &u),
        Ok(0)
    );
    assert_eq!(syslog(&log, &con, SYSLOG_ACTION_CONSOLE_ON, 0, &u), Ok(0));
    assert_eq!(con.console_loglevel(), 8);
    // Never below minimum_console_loglevel.
    con.0[2].store(4, Relaxed);
    assert_eq!(
        syslog(&log, &con, SYSLOG_ACTION_CONSOLE_LEVEL, 2, &u),
        Ok(0)
    );
    assert_eq!(con.console_loglevel(), 4);
}

#[test]
fn the_store_drops_one_newline_and_fills_in_the_default_level() {
    let log = new_log();
    let con = ConsolePrintk::new();
    let mut l = log.lock_irqsave();
    assert_eq!(
        l.vprintk_store(&con, 0, LOG_KERN, LOGLEVEL_DEFAULT, b"a\n\n"),
        4
    );
    assert_eq!(l.prb.read_valid(0).unwrap().1, b"a\n");
    let long = [b'z'; 2000];
    l.vprintk_store(&con, 0, LOG_KERN, LOGLEVEL_NOTICE, &long);
    let (i, t) = l.prb.read_valid(1).unwrap();
    assert_eq!((i.level, t.len()), (5, LOG_LINE_MAX));
}

#[test]
fn the_kernel_log_is_linuxs_size_and_zero_initialised() {
    assert_eq!(LOG_BUF_LEN, 131072);
    assert_eq!(LOG_DESCS, 4096);
    assert_eq!(LOG_LINE_MAX, 992);
    let mut m = String::new();
    printk_sysctl_show(&mut m).unwrap();
    assert_eq!(m, "7\t4\t1\t7\n");
}
