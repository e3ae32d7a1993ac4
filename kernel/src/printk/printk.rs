//! The kernel log; mirrors kernel/printk/printk.c: `vprintk_emit` stores
//! every message as a record (sequence number, nanoseconds since boot,
//! facility, level, text) in a static 128 KiB ring (`CONFIG_LOG_BUF_SHIFT`
//! = 17, so it works before the heap exists) and prints those below
//! `console_loglevel` on the console; `syslog(2)` (`do_syslog`) and
//! /dev/kmsg (`devkmsg.rs`) read the records back in Linux's formats
//! (`record_print_text`, `info_print_ext_header`), and
//! /proc/sys/kernel/printk shows and sets the four console levels.
//!
//! The serial console prints the bare text, without the `[    s.uuuuuu] `
//! prefix Linux adds when `printk.time=1`: the console is also the protocol
//! the host program and the tests read (lines matched exactly, kernel lines
//! told from program output by their text), and without `-icount` the
//! timestamps would differ from run to run. The records keep their
//! timestamps, and syslog(2) shows them as Linux with `printk.time=1`
//! does, so `dmesg` prints what Linux's prints.
//!
//! Left out: continuation lines (`KERN_CONT`; every record is final),
//! caller ids, device info, `dmesg_restrict` (every task is root), the
//! `printk_devkmsg` sysctl (always "ratelimit"), /proc/kmsg, `log_buf_len=`
//! (no command line). Readers that block poll the log once a tick rather
//! than sleep on `log_wait`: printk runs in any context, also with the run
//! queue locked, where waking a task is not safe (Linux defers the wake-up
//! to an irq_work for the same reason).

use alloc::vec::Vec;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicI32, Ordering::Relaxed};

use super::printk_ringbuffer::{PrintkInfo, PrintkRingbuffer};
use crate::sync::SpinLock;
use crate::uapi::errno::{Errno, KResult};

/// `CONFIG_LOG_BUF_SHIFT`: the log holds 2^17 bytes of text.
pub const CONFIG_LOG_BUF_SHIFT: u32 = 17;
/// `log_buf_len`, what SYSLOG_ACTION_SIZE_BUFFER reports.
pub const LOG_BUF_LEN: usize = 1 << CONFIG_LOG_BUF_SHIFT;
/// `PRB_AVGBITS`: one descriptor per 32 bytes of text.
const PRB_AVGBITS: u32 = 5;
const LOG_DESCS: usize = LOG_BUF_LEN >> PRB_AVGBITS;
/// `CONSOLE_LOG_MAX`: a record formatted for syslog or the console.
pub const CONSOLE_LOG_MAX: usize = 1024;
/// `PREFIX_MAX`.
const PREFIX_MAX: usize = 32;
/// `LOG_LINE_MAX`: the longest text a record keeps.
pub const LOG_LINE_MAX: usize = CONSOLE_LOG_MAX - PREFIX_MAX;
/// `CONSOLE_EXT_LOG_MAX`: a record formatted for /dev/kmsg.
pub const CONSOLE_EXT_LOG_MAX: usize = 8192;

/// include/linux/kern_levels.h.
pub const LOGLEVEL_DEFAULT: i32 = -1;
pub const LOGLEVEL_EMERG: i32 = 0;
pub const LOGLEVEL_ALERT: i32 = 1;
pub const LOGLEVEL_CRIT: i32 = 2;
pub const LOGLEVEL_ERR: i32 = 3;
pub const LOGLEVEL_WARNING: i32 = 4;
pub const LOGLEVEL_NOTICE: i32 = 5;
pub const LOGLEVEL_INFO: i32 = 6;
pub const LOGLEVEL_DEBUG: i32 = 7;

/// Syslog facilities of the records: the kernel's, and the default of
/// /dev/kmsg writers.
pub const LOG_KERN: u8 = 0;
pub const LOG_USER: u8 = 1;

/// `CONSOLE_LOGLEVEL_DEFAULT`, `MESSAGE_LOGLEVEL_DEFAULT`,
/// `CONSOLE_LOGLEVEL_MIN`.
const CONSOLE_LOGLEVEL_DEFAULT: i32 = 7;
const MESSAGE_LOGLEVEL_DEFAULT: i32 = 4;
const CONSOLE_LOGLEVEL_MIN: i32 = 1;

/// `console_printk[4]`: console_loglevel, default_message_loglevel,
/// minimum_console_loglevel, default_console_loglevel — the four numbers
/// of /proc/sys/kernel/printk.
pub struct ConsolePrintk(pub [AtomicI32; 4]);

impl ConsolePrintk {
    pub const fn new() -> Self {
        Self([
            AtomicI32::new(CONSOLE_LOGLEVEL_DEFAULT),
            AtomicI32::new(MESSAGE_LOGLEVEL_DEFAULT),
            AtomicI32::new(CONSOLE_LOGLEVEL_MIN),
            AtomicI32::new(CONSOLE_LOGLEVEL_DEFAULT),
        ])
    }

    pub fn console_loglevel(&self) -> i32 {
        self.0[0].load(Relaxed)
    }

    pub fn default_message_loglevel(&self) -> i32 {
        self.0[1].load(Relaxed)
    }

    pub fn minimum_console_loglevel(&self) -> i32 {
        self.0[2].load(Relaxed)
    }

    fn set_console_loglevel(&self, level: i32) {
        self.0[0].store(level, Relaxed);
    }

    /// `suppress_message_printing()`: the console shows only levels
    /// below console_loglevel.
    pub fn suppress_message_printing(&self, level: u8) -> bool {
        i32::from(level) >= self.console_loglevel()
    }
}

impl Default for ConsolePrintk {
    fn default() -> Self {
        Self::new()
    }
}

/// The ring and the readers' positions in it. All zero when new, so the
/// kernel's instance lives in .bss and costs the image nothing.
pub struct KernelLog<const N: usize, const D: usize> {
    pub prb: PrintkRingbuffer<N, D>,
    /// The next record SYSLOG_ACTION_READ returns, and how much of it an
    /// earlier short read already returned.
    syslog_seq: u64,
    syslog_partial: usize,
    /// The first record after the last SYSLOG_ACTION_CLEAR.
    clear_seq: u64,
    /// console_loglevel while SYSLOG_ACTION_CONSOLE_OFF holds it down
    /// (Linux's `saved_console_loglevel`, LOGLEVEL_DEFAULT as `None`).
    saved_console_loglevel: Option<i32>,
}

impl<const N: usize, const D: usize> Default for KernelLog<N, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const D: usize> KernelLog<N, D> {
    pub const fn new() -> Self {
        Self {
            prb: PrintkRingbuffer::new(),
            syslog_seq: 0,
            syslog_partial: 0,
            clear_seq: 0,
            saved_console_loglevel: None,
        }
    }

    /// `vprintk_store()`: one record; a trailing newline is dropped (the
    /// record is a line), LOGLEVEL_DEFAULT becomes default_message_loglevel,
    /// text beyond LOG_LINE_MAX is cut. Returns the stored level.
    pub fn vprintk_store(
        &mut self,
        con: &ConsolePrintk,
        ts_nsec: u64,
        facility: u8,
        level: i32,
        text: &[u8],
    ) -> u8 {
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let text = &text[..text.len().min(LOG_LINE_MAX)];
        let level = if level == LOGLEVEL_DEFAULT {
            con.default_message_loglevel()
        } else {
            level
        };
        let level = (level & 7) as u8;
        self.prb.store(ts_nsec, facility, level, text);
        level
    }

    /// The first record that reads as `seq`: a lost one moves the reader
    /// on to the oldest left.
    fn line_count_and_size(&self, seq: u64, syslog: bool, time: bool) -> Option<(u64, usize)> {
        let (info, text) = self.prb.read_valid(seq)?;
        let lines = text.iter().filter(|&&b| b == b'\n').count() + 1;
        Some((
            info.seq,
            get_record_print_text_size(&info, lines, syslog, time),
        ))
    }

    /// `find_first_fitting_seq()`: the first record from `start_seq` on
    /// such that it and all after it (up to `max_seq`) fit in `size` bytes.
    fn find_first_fitting_seq(&self, start_seq: u64, max_seq: u64, size: usize) -> u64 {
        let mut len = 0;
        let mut seq = start_seq;
        while let Some((s, n)) = self.line_count_and_size(seq, true, true) {
            if s >= max_seq {
                break;
            }
            len += n;
            seq = s + 1;
        }
        let max_seq = max_seq.min(seq);
        let mut seq = start_seq;
        while let Some((s, n)) = self.line_count_and_size(seq, true, true) {
            seq = s;
            if len <= size || s >= max_seq {
                break;
            }
            len -= n;
            seq = s + 1;
        }
        seq
    }

    /// SYSLOG_ACTION_SIZE_UNREAD: what SYSLOG_ACTION_READ would return now.
    fn syslog_size_unread(&mut self) -> usize {
        let Some((first, _)) = self.line_count_and_size(self.syslog_seq, true, true) else {
            return 0;
        };
        if first != self.syslog_seq {
            self.syslog_seq = first;
            self.syslog_partial = 0;
        }
        let mut total = 0;
        let mut seq = self.syslog_seq;
        while let Some((s, n)) = self.line_count_and_size(seq, true, true) {
            total += n;
            seq = s + 1;
        }
        total.saturating_sub(self.syslog_partial)
    }

    /// One step of `devkmsg_read()` for a reader at `*seq`: the next record
    /// in /dev/kmsg's format in `out` (which must have room for
    /// `CONSOLE_EXT_LOG_MAX` bytes: nothing under the lock may allocate) and
    /// the reader moved past it; EPIPE
    /// (and the reader moved to the oldest record left) if its record was
    /// overwritten; `None` if there is nothing to read yet.
    pub fn devkmsg_read(&self, seq: &mut u64, out: &mut Vec<u8>) -> Option<KResult<()>> {
        let (info, text) = self.prb.read_valid(*seq)?;
        if info.seq != *seq {
            *seq = info.seq;
            return Some(Err(Errno::EPIPE));
        }
        info_print_ext_header(&info, out);
        msg_print_ext_body(text, out);
        *seq = info.seq + 1;
        Some(Ok(()))
    }

    /// `syslog_clear()`.
    fn syslog_clear(&mut self) {
        self.clear_seq = self.prb.next_seq();
    }

    /// Where `lseek(SEEK_DATA)` on /dev/kmsg puts a reader.
    pub fn clear_seq(&self) -> u64 {
        self.clear_seq
    }
}

/// Appends to a byte vector through `fmt::Write`.
struct VecWriter<'a>(&'a mut Vec<u8>);

impl Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A record's prefix, formatted on the stack: the log lock is held while
/// records are formatted, and nothing under it may allocate (the
/// allocator logs).
struct Prefix {
    buf: [u8; PREFIX_MAX],
    len: usize,
}

impl Prefix {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Write for Prefix {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(PREFIX_MAX - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// `info_print_prefix()`: `<level>` (facility << 3 | level) for syslog,
/// then `[%5lu.%06lu] ` (`print_time`) for the timestamp.
fn info_print_prefix(info: &PrintkInfo, syslog: bool, time: bool) -> Prefix {
    let mut p = Prefix {
        buf: [0; PREFIX_MAX],
        len: 0,
    };
    if syslog {
        let _ = write!(
            p,
            "<{}>",
            u32::from(info.facility) << 3 | u32::from(info.level)
        );
    }
    if time {
        let secs = info.ts_nsec / 1_000_000_000;
        let usecs = info.ts_nsec % 1_000_000_000 / 1000;
        let _ = write!(p, "[{secs:5}.{usecs:06}] ");
    }
    p
}

/// `record_print_text()`: the record as syslog(2) or the console shows
/// it, appended to `out`: every line with the prefix, each ending in a
/// newline, within `CONSOLE_LOG_MAX` bytes (and a terminator Linux keeps
/// room for): the line that does not fit is cut, those after it dropped.
/// `out` must have room for `CONSOLE_LOG_MAX` bytes already.
pub fn record_print_text(
    info: &PrintkInfo,
    text: &[u8],
    syslog: bool,
    time: bool,
    out: &mut Vec<u8>,
) {
    let buf_size = CONSOLE_LOG_MAX;
    let prefix = info_print_prefix(info, syslog, time);
    let prefix = prefix.as_bytes();
    let prefix_len = prefix.len();
    let mut text = &text[..text.len().min(buf_size)];
    let mut len = 0;
    let mut truncated = false;
    loop {
        let line_len = match text.iter().position(|&b| b == b'\n') {
            Some(i) => i,
            None if truncated => break,
            None => text.len(),
        };
        if len + prefix_len + text.len() + 2 > buf_size {
            if len + prefix_len + line_len + 2 > buf_size {
                break;
            }
            text = &text[..buf_size - len - prefix_len - 2];
            truncated = true;
        }
        out.extend_from_slice(prefix);
        out.extend_from_slice(&text[..line_len]);
        out.push(b'\n');
        len += prefix_len + line_len + 1;
        if text.len() == line_len {
            break;
        }
        text = &text[line_len + 1..];
    }
}

/// `get_record_print_text_size()`: what `record_print_text` makes of a
/// record of `line_count` lines when nothing is cut.
fn get_record_print_text_size(
    info: &PrintkInfo,
    line_count: usize,
    syslog: bool,
    time: bool,
) -> usize {
    info_print_prefix(info, syslog, time).len * line_count + usize::from(info.text_len) + 1
}

/// `info_print_ext_header()`: /dev/kmsg's `level,seq,usec,flag;` (the
/// flag is `-`: no record is a continuation).
fn info_print_ext_header(info: &PrintkInfo, out: &mut Vec<u8>) {
    let _ = write!(
        VecWriter(out),
        "{},{},{},-;",
        u32::from(info.facility) << 3 | u32::from(info.level),
        info.seq,
        info.ts_nsec / 1000
    );
}

/// `msg_print_ext_body()`: the text with control characters, bytes above
/// 126 and backslashes as `\xNN`, then a newline.
fn msg_print_ext_body(text: &[u8], out: &mut Vec<u8>) {
    for &c in text {
        if !(b' '..127).contains(&c) || c == b'\\' {
            let _ = write!(VecWriter(out), "\\x{c:02x}");
        } else {
            out.push(c);
        }
    }
    out.push(b'\n');
}

/// The parts of `devkmsg_write()` that read the text: a leading `<N>`
/// (decimal, as `simple_strtoul` reads it) sets the level (N & 7) and,
/// if N >> 3 is not 0, the facility (LOG_USER otherwise); the text ends at
/// a NUL, as the `%s` it is printed with does.
pub fn devkmsg_parse(buf: &[u8], default_level: i32) -> (u8, i32, &[u8]) {
    let buf = buf.split(|&b| b == 0).next().unwrap_or(buf);
    let mut facility = LOG_USER;
    let mut level = default_level;
    let mut line = buf;
    if let Some(rest) = buf.strip_prefix(b"<") {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if rest.get(digits) == Some(&b'>') {
            let u = rest[..digits].iter().fold(0u32, |v, &d| {
                v.wrapping_mul(10).wrapping_add(u32::from(d - b'0'))
            });
            level = (u & 7) as i32;
            if (u >> 3) & 0xff != 0 {
                facility = ((u >> 3) & 0xff) as u8;
            }
            line = &rest[digits + 1..];
        }
    }
    (facility, level, line)
}

/// syslog(2)'s actions (include/linux/syslog.h).
pub const SYSLOG_ACTION_CLOSE: i32 = 0;
pub const SYSLOG_ACTION_OPEN: i32 = 1;
pub const SYSLOG_ACTION_READ: i32 = 2;
pub const SYSLOG_ACTION_READ_ALL: i32 = 3;
pub const SYSLOG_ACTION_READ_CLEAR: i32 = 4;
pub const SYSLOG_ACTION_CLEAR: i32 = 5;
pub const SYSLOG_ACTION_CONSOLE_OFF: i32 = 6;
pub const SYSLOG_ACTION_CONSOLE_ON: i32 = 7;
pub const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;
pub const SYSLOG_ACTION_SIZE_UNREAD: i32 = 9;
pub const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

/// What the log's readers need of the calling task: its memory, and
/// sleeping until there is something to read.
pub trait LogReader {
    fn access_ok(&self, addr: u64, len: usize) -> bool;
    fn copy_to_user(&self, addr: u64, bytes: &[u8]) -> KResult<()>;
    /// `wait_event_interruptible()`: returns once `cond` holds, or
    /// ERESTARTSYS when a signal comes first.
    fn wait_event(&self, cond: &dyn Fn() -> bool) -> KResult<()>;
}

/// `syslog_print()`: SYSLOG_ACTION_READ's copy, record by record from the
/// reader position, which it advances; a record that does not fit whole
/// is returned in part only if it is the first (the rest comes next time).
/// Each record is formatted under the lock and copied after it.
fn syslog_print<const N: usize, const D: usize>(
    log: &SpinLock<KernelLog<N, D>>,
    buf: u64,
    mut size: usize,
    user: &dyn LogReader,
) -> KResult<usize> {
    let mut text = Vec::with_capacity(CONSOLE_LOG_MAX);
    let mut len = 0;
    while size > 0 {
        text.clear();
        let (skip, n) = {
            let mut l = log.lock_irqsave();
            let Some((info, t)) = l.prb.read_valid(l.syslog_seq) else {
                break;
            };
            record_print_text(&info, t, true, true, &mut text);
            if info.seq != l.syslog_seq {
                l.syslog_seq = info.seq;
                l.syslog_partial = 0;
            }
            let skip = l.syslog_partial;
            let n = if text.len() - skip <= size {
                l.syslog_seq = info.seq + 1;
                l.syslog_partial = 0;
                text.len() - skip
            } else if len == 0 {
                l.syslog_partial += size;
                size
            } else {
                0
            };
            (skip, n)
        };
        if n == 0 {
            break;
        }
        if user
            .copy_to_user(buf + len as u64, &text[skip..skip + n])
            .is_err()
        {
            if len == 0 {
                return Err(Errno::EFAULT);
            }
            break;
        }
        len += n;
        size -= n;
    }
    Ok(len)
}

/// `syslog_print_all()`: SYSLOG_ACTION_READ_ALL (and READ_CLEAR): the
/// newest records since the last clear that fit in `size`, oldest first;
/// the reader position stays. With `clear`, the next READ_ALL starts
/// after them.
fn syslog_print_all<const N: usize, const D: usize>(
    log: &SpinLock<KernelLog<N, D>>,
    buf: u64,
    size: usize,
    clear: bool,
    user: &dyn LogReader,
) -> KResult<usize> {
    let mut text = Vec::with_capacity(CONSOLE_LOG_MAX);
    let mut seq = {
        let l = log.lock_irqsave();
        l.find_first_fitting_seq(l.clear_seq, u64::MAX, size)
    };
    let mut result = Ok(0);
    let mut len = 0;
    loop {
        text.clear();
        {
            let l = log.lock_irqsave();
            let Some((info, t)) = l.prb.read_valid(seq) else {
                break;
            };
            record_print_text(&info, t, true, true, &mut text);
            seq = info.seq;
        }
        if len + text.len() > size {
            break;
        }
        if let Err(e) = user.copy_to_user(buf + len as u64, &text) {
            result = Err(e);
            break;
        }
        len += text.len();
        result = Ok(len);
        seq += 1;
    }
    if clear {
        log.lock_irqsave().clear_seq = seq;
    }
    result
}

/// `do_syslog()`: syslog(2) on `log`, with `con`'s console levels.
pub fn do_syslog<const N: usize, const D: usize>(
    log: &SpinLock<KernelLog<N, D>>,
    con: &ConsolePrintk,
    action: i32,
    buf: u64,
    len: i32,
    user: &dyn LogReader,
) -> KResult<i64> {
    let read_args = || -> KResult<Option<usize>> {
        if buf == 0 || len < 0 {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(None);
        }
        if !user.access_ok(buf, len as usize) {
            return Err(Errno::EFAULT);
        }
        Ok(Some(len as usize))
    };
    let n = match action {
        SYSLOG_ACTION_CLOSE | SYSLOG_ACTION_OPEN => 0,
        SYSLOG_ACTION_READ => {
            let Some(size) = read_args()? else {
                return Ok(0);
            };
            user.wait_event(&|| {
                let l = log.lock_irqsave();
                l.prb.read_valid(l.syslog_seq).is_some()
            })?;
            syslog_print(log, buf, size, user)?
        }
        SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            let Some(size) = read_args()? else {
                return Ok(0);
            };
            syslog_print_all(log, buf, size, action == SYSLOG_ACTION_READ_CLEAR, user)?
        }
        SYSLOG_ACTION_CLEAR => {
            log.lock_irqsave().syslog_clear();
            0
        }
        SYSLOG_ACTION_CONSOLE_OFF => {
            let mut l = log.lock_irqsave();
            if l.saved_console_loglevel.is_none() {
                l.saved_console_loglevel = Some(con.console_loglevel());
            }
            con.set_console_loglevel(con.minimum_console_loglevel());
            0
        }
        SYSLOG_ACTION_CONSOLE_ON => {
            if let Some(saved) = log.lock_irqsave().saved_console_loglevel.take() {
                con.set_console_loglevel(saved);
            }
            0
        }
        SYSLOG_ACTION_CONSOLE_LEVEL => {
            if !(1..=8).contains(&len) {
                return Err(Errno::EINVAL);
            }
            con.set_console_loglevel(len.max(con.minimum_console_loglevel()));
            // Implicitly re-enables the console.
            log.lock_irqsave().saved_console_loglevel = None;
            0
        }
        SYSLOG_ACTION_SIZE_UNREAD => log.lock_irqsave().syslog_size_unread(),
        SYSLOG_ACTION_SIZE_BUFFER => N,
        _ => return Err(Errno::EINVAL),
    };
    Ok(n as i64)
}

/// The kernel's log (`prb` with the syslog state).
pub static LOG: SpinLock<KernelLog<LOG_BUF_LEN, LOG_DESCS>> = SpinLock::new(KernelLog::new());

/// The kernel's `console_printk`.
pub static CONSOLE_PRINTK: ConsolePrintk = ConsolePrintk::new();

/// `/proc/sys/kernel/printk`: the four levels, tab-separated
/// (`proc_dointvec`).
pub fn printk_sysctl_show(m: &mut alloc::string::String) -> fmt::Result {
    let v: Vec<alloc::string::String> = CONSOLE_PRINTK
        .0
        .iter()
        .map(|a| alloc::format!("{}", a.load(Relaxed)))
        .collect();
    writeln!(m, "{}", v.join("\t"))
}

#[cfg(target_os = "none")]
pub use kernel_glue::*;

/// What only the running kernel has: the clock, the console, the calling
/// task.
#[cfg(target_os = "none")]
mod kernel_glue {
    use super::*;
    use crate::arch::x86_64::early_printk::{console_write_bytes, flush};
    use crate::arch::x86_64::uaccess;
    use crate::task::sched::schedule_timeout_interruptible;
    use crate::task::signal::signal_pending;
    use crate::task::time::ktime_get_ns;

    /// A message formatted on the stack, cut at LOG_LINE_MAX: printk must
    /// not allocate (it runs in the allocator's own warnings).
    struct LineBuf {
        buf: [u8; LOG_LINE_MAX],
        len: usize,
    }

    impl Write for LineBuf {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let n = s.len().min(LOG_LINE_MAX - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
            self.len += n;
            Ok(())
        }
    }

    /// `vprintk_emit()`: store the message, then print it on the console
    /// unless its level is at or above console_loglevel. Interrupts stay
    /// off throughout, so the console shows records in their order.
    #[inline(never)]
    pub fn vprintk_emit(facility: u8, level: i32, args: fmt::Arguments) {
        let mut line = LineBuf {
            buf: [0; LOG_LINE_MAX],
            len: 0,
        };
        let _ = line.write_fmt(args);
        vprintk_emit_text(facility, level, &line.buf[..line.len]);
    }

    /// `vprintk_emit()` of text already formatted (/dev/kmsg's writes).
    pub fn vprintk_emit_text(facility: u8, level: i32, text: &[u8]) {
        ::x86_64::instructions::interrupts::without_interrupts(|| {
            let level = LOG.lock_irqsave().vprintk_store(
                &CONSOLE_PRINTK,
                ktime_get_ns(),
                facility,
                level,
                text,
            );
            if !CONSOLE_PRINTK.suppress_message_printing(level) {
                let text = text.strip_suffix(b"\n").unwrap_or(text);
                console_write_bytes(&text[..text.len().min(LOG_LINE_MAX)]);
                console_write_bytes(b"\n");
            }
        });
    }

    /// `printk()` at a level the `log` macros have no name for
    /// (`pr_notice`, `pr_crit`, ...).
    pub fn printk(level: i32, args: fmt::Arguments) {
        vprintk_emit(LOG_KERN, level, args);
    }

    /// The `log` facade's records are printk's: error, warn, info, debug
    /// and trace become KERN_ERR, KERN_WARNING, KERN_INFO and KERN_DEBUG.
    struct Printk;

    static LOGGER: Printk = Printk;

    impl log::Log for Printk {
        fn enabled(&self, _metadata: &log::Metadata) -> bool {
            true
        }

        fn log(&self, record: &log::Record) {
            let level = match record.level() {
                log::Level::Error => LOGLEVEL_ERR,
                log::Level::Warn => LOGLEVEL_WARNING,
                log::Level::Info => LOGLEVEL_INFO,
                log::Level::Debug | log::Level::Trace => LOGLEVEL_DEBUG,
            };
            vprintk_emit(LOG_KERN, level, *record.args());
        }

        fn flush(&self) {
            flush();
        }
    }

    /// Sends the `log` facade to printk; the first thing `start_kernel`
    /// does, so every message of the boot is in the log. KERN_DEBUG
    /// messages are stored too; the console leaves them out.
    pub fn printk_set_logger() {
        // Fails only if a logger is already set, i.e. on a second call.
        if log::set_logger(&LOGGER).is_ok() {
            log::set_max_level(log::LevelFilter::Debug);
        }
    }

    /// The running task as a reader of the log.
    pub struct CurrentReader;

    impl LogReader for CurrentReader {
        fn access_ok(&self, addr: u64, len: usize) -> bool {
            uaccess::access_ok(addr, len)
        }

        fn copy_to_user(&self, addr: u64, bytes: &[u8]) -> KResult<()> {
            uaccess::copy_to_user(addr, bytes)
        }

        fn wait_event(&self, cond: &dyn Fn() -> bool) -> KResult<()> {
            let me = crate::task::current();
            loop {
                if cond() {
                    return Ok(());
                }
                if signal_pending(&me) {
                    return Err(Errno::ERESTARTSYS);
                }
                schedule_timeout_interruptible(1);
            }
        }
    }

    /// `SYSCALL_DEFINE3(syslog)`.
    #[inline(never)]
    pub fn sys_syslog(action: i32, buf: u64, len: i32) -> KResult<i64> {
        do_syslog(&LOG, &CONSOLE_PRINTK, action, buf, len, &CurrentReader)
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
