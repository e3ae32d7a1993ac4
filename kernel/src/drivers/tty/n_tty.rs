//! The N_TTY line discipline; mirrors drivers/tty/n_tty.c.
//!
//! Received bytes (`n_tty_receive_buf`, fed by the UART's interrupt) go
//! through input processing (ISTRIP, IUCLC, IGNCR/ICRNL/INLCR), IXON flow
//! control, ISIG (INTR, QUIT, SUSP raise their signals in the foreground
//! process group and flush the queues unless NOFLSH), and in canonical
//! mode line editing (ERASE, KILL, WERASE, LNEXT, REPRINT, EOF, EOL, EOL2)
//! with Linux's echo rules (ECHO, ECHOE, ECHOK, ECHOKE, ECHOCTL, ECHOPRT,
//! ECHONL) into a 4096-byte ring (`N_TTY_BUF_SIZE`) whose line ends are
//! marked in `read_flags`. Readers copy whole lines (canonical) or bytes
//! (VMIN/VTIME); writers go through OPOST processing (ONLCR, OCRNL, ONOCR,
//! ONLRET, OLCUC, XTABS).
//!
//! The state machine is host code, tested on the host; the sleeping parts
//! of `n_tty_read` and `n_tty_write` are at the end, for the kernel only.
//!
//! Left out: echoes are written when they are made, not through Linux's
//! echo ring (the serial driver always has room, except while output is
//! stopped, when they are held and sent on start); PARMRK marks only for
//! 0xff bytes (the UART driver reports no parity or framing errors);
//! packet mode and EXTPROC (no ptys).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::uapi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use crate::uapi::termbits::*;

/// `N_TTY_BUF_SIZE`: the input ring.
pub const N_TTY_BUF_SIZE: usize = 4096;
/// `__DISABLED_CHAR`: a c_cc slot set to 0 is off; an EOF is queued as it.
const DISABLED_CHAR: u8 = 0;
/// `TTY_THRESHOLD_THROTTLE` / `TTY_THRESHOLD_UNTHROTTLE`.
pub const TTY_THRESHOLD_THROTTLE: usize = 128;
pub const TTY_THRESHOLD_UNTHROTTLE: usize = 128;

/// `INIT_C_CC`: ^C ^\ DEL ^U ^D, TIME 0, MIN 1, SWTC off, ^Q ^S ^Z, EOL
/// off, ^R ^O ^W ^V, EOL2 off.
const INIT_C_CC: [u8; NCCS] = [
    3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0,
];

/// `baud_table` of drivers/tty/tty_baudrate.c, indexed by CBAUD (with
/// CBAUDEX folded in above B38400).
const BAUD_TABLE: [u32; 31] = [
    0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000,
    3000000, 3500000, 4000000,
];

/// `struct ktermios`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ktermios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
    pub c_ispeed: u32,
    pub c_ospeed: u32,
}

/// Size of the user's `struct termios` (TCGETS) and `struct termios2`.
pub const TERMIOS_SIZE: usize = 36;
pub const TERMIOS2_SIZE: usize = 44;

fn word(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Ktermios {
    /// `tty_std_termios`.
    pub const fn tty_std_termios() -> Self {
        Self {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            c_cflag: B38400 | CS8 | CREAD | HUPCL,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: N_TTY as u8,
            c_cc: INIT_C_CC,
            c_ispeed: 38400,
            c_ospeed: 38400,
        }
    }

    /// `kernel_termios_to_user_termios_1()`: the TCGETS layout.
    pub fn to_termios(&self) -> [u8; TERMIOS_SIZE] {
        let mut b = [0u8; TERMIOS_SIZE];
        b[0..4].copy_from_slice(&self.c_iflag.to_ne_bytes());
        b[4..8].copy_from_slice(&self.c_oflag.to_ne_bytes());
        b[8..12].copy_from_slice(&self.c_cflag.to_ne_bytes());
        b[12..16].copy_from_slice(&self.c_lflag.to_ne_bytes());
        b[16] = self.c_line;
        b[17..17 + NCCS].copy_from_slice(&self.c_cc);
        b
    }

    /// `kernel_termios_to_user_termios()`: the TCGETS2 layout.
    pub fn to_termios2(&self) -> [u8; TERMIOS2_SIZE] {
        let mut b = [0u8; TERMIOS2_SIZE];
        b[..TERMIOS_SIZE].copy_from_slice(&self.to_termios());
        b[36..40].copy_from_slice(&self.c_ispeed.to_ne_bytes());
        b[40..44].copy_from_slice(&self.c_ospeed.to_ne_bytes());
        b
    }

    /// `user_termios_to_kernel_termios_1()` or, with the speeds,
    /// `user_termios_to_kernel_termios()`; then, as `set_termios` does,
    /// the speeds the CBAUD/CIBAUD bits name.
    pub fn from_user(b: &[u8]) -> Self {
        let mut c_cc = [0u8; NCCS];
        c_cc.copy_from_slice(&b[17..17 + NCCS]);
        let mut t = Self {
            c_iflag: word(b, 0),
            c_oflag: word(b, 4),
            c_cflag: word(b, 8),
            c_lflag: word(b, 12),
            c_line: b[16],
            c_cc,
            c_ispeed: 0,
            c_ospeed: 0,
        };
        if b.len() >= TERMIOS2_SIZE {
            t.c_ispeed = word(b, 36);
            t.c_ospeed = word(b, 40);
        }
        t.c_ispeed = t.tty_termios_input_baud_rate();
        t.c_ospeed = t.tty_termios_baud_rate();
        t
    }

    fn baud(cbaud: u32, other: u32) -> u32 {
        if cbaud == BOTHER {
            return other;
        }
        let idx = if cbaud & CBAUDEX != 0 {
            (cbaud & !CBAUDEX) + 15
        } else {
            cbaud
        };
        BAUD_TABLE.get(idx as usize).copied().unwrap_or(0)
    }

    /// `tty_termios_baud_rate()`.
    pub fn tty_termios_baud_rate(&self) -> u32 {
        Self::baud(self.c_cflag & CBAUD, self.c_ospeed)
    }

    /// `tty_termios_input_baud_rate()`: B0 in CIBAUD means "as output".
    pub fn tty_termios_input_baud_rate(&self) -> u32 {
        let cbaud = (self.c_cflag >> IBSHIFT) & CBAUD;
        if cbaud == B0 {
            return self.tty_termios_baud_rate();
        }
        Self::baud(cbaud, self.c_ispeed)
    }

    fn i(&self, f: u32) -> bool {
        self.c_iflag & f != 0
    }
    fn o(&self, f: u32) -> bool {
        self.c_oflag & f != 0
    }
    fn l(&self, f: u32) -> bool {
        self.c_lflag & f != 0
    }
    fn cc(&self, i: usize) -> u8 {
        self.c_cc[i]
    }
}

/// What the line discipline needs from the tty and its driver.
pub trait TtyOps {
    /// `tty->ops->write`: bytes to the device.
    fn write(&mut self, bytes: &[u8]);
    /// `__isig()`: `sig` to the tty's foreground process group.
    fn isig(&mut self, sig: i32);
}

/// `iscntrl()` of lib/ctype.c: 0..32, DEL and 128..160.
fn iscntrl(c: u8) -> bool {
    c < 32 || (127..160).contains(&c)
}

fn isalnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0xc0 && c != 0xd7 && c != 0xf7
}

/// `struct n_tty_data` with the termios it works under.
pub struct NTty {
    pub termios: Ktermios,
    read_buf: Box<[u8; N_TTY_BUF_SIZE]>,
    /// Bit i: `read_buf[i]` ends a line (`read_flags`).
    read_flags: Box<[u64; N_TTY_BUF_SIZE / 64]>,
    /// Free-running indices (`read_head`, `canon_head`, `read_tail`).
    read_head: usize,
    canon_head: usize,
    read_tail: usize,
    line_start: usize,
    icanon: bool,
    lnext: bool,
    erasing: bool,
    column: u32,
    canon_column: u32,
    /// `tty->flow.stopped`: output stopped by STOP (^S) or TCOOFF
    /// (`tco_stopped`).
    stopped: bool,
    tco_stopped: bool,
    /// Echoes made while output is stopped, sent on start.
    held: Vec<u8>,
}

impl Default for NTty {
    fn default() -> Self {
        Self::new(Ktermios::tty_std_termios())
    }
}

impl NTty {
    /// `n_tty_open()`.
    pub fn new(termios: Ktermios) -> Self {
        let mut ldata = Self {
            termios,
            read_buf: Box::new([0; N_TTY_BUF_SIZE]),
            read_flags: Box::new([0; N_TTY_BUF_SIZE / 64]),
            read_head: 0,
            canon_head: 0,
            read_tail: 0,
            line_start: 0,
            icanon: false,
            lnext: false,
            erasing: false,
            column: 0,
            canon_column: 0,
            stopped: false,
            tco_stopped: false,
            held: Vec::new(),
        };
        ldata.icanon = termios.l(ICANON);
        ldata
    }

    fn read_cnt(&self) -> usize {
        self.read_head - self.read_tail
    }

    fn read_buf_at(&self, i: usize) -> u8 {
        self.read_buf[i & (N_TTY_BUF_SIZE - 1)]
    }

    fn flag(&self, i: usize) -> bool {
        let i = i & (N_TTY_BUF_SIZE - 1);
        self.read_flags[i / 64] & (1 << (i % 64)) != 0
    }

    fn set_flag(&mut self, i: usize, on: bool) {
        let i = i & (N_TTY_BUF_SIZE - 1);
        if on {
            self.read_flags[i / 64] |= 1 << (i % 64);
        } else {
            self.read_flags[i / 64] &= !(1 << (i % 64));
        }
    }

    fn put_tty_queue(&mut self, c: u8) {
        self.read_buf[self.read_head & (N_TTY_BUF_SIZE - 1)] = c;
        self.read_head += 1;
    }

    /// `reset_buffer_flags()`.
    fn reset_buffer_flags(&mut self) {
        self.read_head = 0;
        self.canon_head = 0;
        self.read_tail = 0;
        self.line_start = 0;
        self.erasing = false;
        self.read_flags.fill(0);
    }

    /// `n_tty_flush_buffer()` (TCIFLUSH) with `tty_driver_flush_buffer()`
    /// (TCOFLUSH) when `output`.
    pub fn flush(&mut self, input: bool, output: bool) {
        if input {
            self.reset_buffer_flags();
        }
        if output {
            self.held.clear();
        }
    }

    /// `receive_room()`: free space; in canonical mode with no complete
    /// line, one byte is always let in so that erase keeps working.
    pub fn receive_room(&self) -> usize {
        usize::try_from(self.room())
            .unwrap_or(0)
            .max(usize::from(self.overflow()))
    }

    /// Free bytes less one (each byte may take three with PARMRK); below
    /// zero when an overflowing line filled the ring.
    fn room(&self) -> isize {
        let free = (N_TTY_BUF_SIZE - self.read_cnt()) as isize;
        if self.termios.i(PARMRK) {
            (free + 2) / 3 - 1
        } else {
            free - 1
        }
    }

    /// A canonical line without its end fills the ring: newer bytes
    /// replace its last one, so that ERASE and the newline still work.
    fn overflow(&self) -> bool {
        self.icanon && self.canon_head == self.read_tail
    }

    /// `chars_in_buffer()`: what a reader could take now (complete lines
    /// in canonical mode).
    pub fn chars_in_buffer(&self) -> usize {
        if self.icanon {
            self.canon_head - self.read_tail
        } else {
            self.read_cnt()
        }
    }

    /// Whether the driver should stop feeding (`n_tty_check_throttle`).
    /// Not while an unfinished canonical line fills the ring: nobody could
    /// read to unthrottle it, and its end must still get in.
    pub fn should_throttle(&self) -> bool {
        self.receive_room() < TTY_THRESHOLD_THROTTLE && !self.overflow()
    }

    /// Whether a throttled driver may feed again (`n_tty_check_unthrottle`).
    pub fn may_unthrottle(&self) -> bool {
        self.chars_in_buffer() <= TTY_THRESHOLD_UNTHROTTLE
    }

    /// `input_available_p()`: with `poll`, a non-canonical tty with VMIN
    /// and no VTIME reports input only once VMIN bytes are there.
    pub fn input_available_p(&self, poll: bool) -> bool {
        let t = &self.termios;
        let amt = if poll && t.cc(VTIME) == 0 && t.cc(VMIN) != 0 {
            usize::from(t.cc(VMIN))
        } else {
            1
        };
        if self.icanon {
            self.canon_head != self.read_tail
        } else {
            self.read_cnt() >= amt
        }
    }

    /// `inq_canon()` / TIOCINQ: bytes a read would return, EOF marks not
    /// counted.
    pub fn inq(&self) -> usize {
        if !self.icanon {
            return self.read_cnt();
        }
        (self.read_tail..self.canon_head)
            .filter(|&i| !(self.flag(i) && self.read_buf_at(i) == DISABLED_CHAR))
            .count()
    }

    // --- output ---

    /// `tty->ops->write` unless output is stopped.
    fn put(&mut self, bytes: &[u8], ops: &mut dyn TtyOps) {
        if self.stopped {
            let room = N_TTY_BUF_SIZE.saturating_sub(self.held.len());
            self.held.extend_from_slice(&bytes[..bytes.len().min(room)]);
        } else {
            ops.write(bytes);
        }
    }

    /// `do_output_char()`: one byte with OPOST processing.
    fn do_output_char(&mut self, c: u8, ops: &mut dyn TtyOps) {
        let t = self.termios;
        let mut c = c;
        match c {
            b'\n' => {
                if t.o(ONLRET) {
                    self.column = 0;
                }
                if t.o(ONLCR) {
                    self.column = 0;
                    self.canon_column = 0;
                    self.put(b"\r\n", ops);
                    return;
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if t.o(ONOCR) && self.column == 0 {
                    return;
                }
                if t.o(OCRNL) {
                    c = b'\n';
                    if t.o(ONLRET) {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                } else {
                    self.column = 0;
                    self.canon_column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                self.column += spaces;
                if t.c_oflag & TABDLY == XTABS {
                    self.put(&b"        "[..spaces as usize], ops);
                    return;
                }
            }
            0x08 => self.column = self.column.saturating_sub(1),
            _ => {
                if !iscntrl(c) {
                    if t.o(OLCUC) {
                        c = c.to_ascii_uppercase();
                    }
                    if !(t.i(IUTF8) && c & 0xc0 == 0x80) {
                        self.column += 1;
                    }
                }
            }
        }
        self.put(&[c], ops);
    }

    /// `n_tty_write()`'s output step: `buf` with OPOST processing (or
    /// raw). Returns the bytes taken: 0 while output is stopped.
    pub fn write_chunk(&mut self, buf: &[u8], ops: &mut dyn TtyOps) -> usize {
        if self.stopped {
            return 0;
        }
        if !self.termios.o(OPOST) {
            ops.write(buf);
            return buf.len();
        }
        // Runs of bytes that need no processing go out in one piece, as
        // `process_output_block` sends them.
        let mut start = 0;
        for (i, &c) in buf.iter().enumerate() {
            let plain = !iscntrl(c) && !self.termios.o(OLCUC) && c != b'\t';
            if plain {
                if !(self.termios.i(IUTF8) && c & 0xc0 == 0x80) {
                    self.column += 1;
                }
                continue;
            }
            if start < i {
                ops.write(&buf[start..i]);
            }
            self.do_output_char(c, ops);
            start = i + 1;
        }
        if start < buf.len() {
            ops.write(&buf[start..]);
        }
        buf.len()
    }

    // --- echo ---

    /// `echo_char_raw()`.
    fn echo_char_raw(&mut self, c: u8, ops: &mut dyn TtyOps) {
        if self.termios.o(OPOST) {
            self.do_output_char(c, ops);
        } else {
            self.put(&[c], ops);
        }
    }

    /// `echo_char()`: control characters as `^X` under ECHOCTL.
    fn echo_char(&mut self, c: u8, ops: &mut dyn TtyOps) {
        if self.termios.l(ECHOCTL) && iscntrl(c) && c != b'\t' {
            self.column += 2;
            self.put(&[b'^', c ^ 0o100], ops);
        } else {
            self.echo_char_raw(c, ops);
        }
    }

    /// `finish_erasing()`: close an ECHOPRT `\...` erase with `/`.
    fn finish_erasing(&mut self, ops: &mut dyn TtyOps) {
        if self.erasing {
            self.echo_char_raw(b'/', ops);
            self.erasing = false;
        }
    }

    /// `echo_set_canon_col()`: the first byte of a line is echoed here.
    fn echo_set_canon_col(&mut self) {
        self.canon_column = self.column;
    }

    /// `echo_erase_tab()`: back up over a tab, given the columns used
    /// since the line start (or, `after_tab`, since the previous tab).
    fn echo_erase_tab(&mut self, num_chars: u32, after_tab: bool, ops: &mut dyn TtyOps) {
        let mut n = num_chars & 7;
        if !after_tab {
            n += self.canon_column;
        }
        for _ in 0..8 - (n & 7) {
            self.column = self.column.saturating_sub(1);
            self.put(b"\x08", ops);
        }
    }

    fn is_continuation(&self, c: u8) -> bool {
        self.termios.i(IUTF8) && c & 0xc0 == 0x80
    }

    /// `eraser()`: ERASE, WERASE or KILL in canonical mode.
    fn eraser(&mut self, c: u8, ops: &mut dyn TtyOps) {
        #[derive(PartialEq)]
        enum Kill {
            Erase,
            Werase,
            Line,
        }
        let t = self.termios;
        if self.read_head == self.canon_head {
            return;
        }
        let kill_type = if c == t.cc(VERASE) {
            Kill::Erase
        } else if c == t.cc(VWERASE) {
            Kill::Werase
        } else {
            if !t.l(ECHO) {
                self.read_head = self.canon_head;
                return;
            }
            if !t.l(ECHOK) || !t.l(ECHOKE) || !t.l(ECHOE) {
                self.read_head = self.canon_head;
                self.finish_erasing(ops);
                self.echo_char(t.cc(VKILL), ops);
                if t.l(ECHOK) {
                    self.echo_char_raw(b'\n', ops);
                }
                return;
            }
            Kill::Line
        };
        let mut seen_alnums = 0;
        while self.read_head != self.canon_head {
            let mut head = self.read_head;
            let mut c;
            loop {
                head -= 1;
                c = self.read_buf_at(head);
                if !(self.is_continuation(c) && head != self.canon_head) {
                    break;
                }
            }
            if self.is_continuation(c) {
                break;
            }
            if kill_type == Kill::Werase {
                if isalnum(c) || c == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let cnt = self.read_head - head;
            self.read_head = head;
            if t.l(ECHO) {
                if t.l(ECHOPRT) {
                    if !self.erasing {
                        self.echo_char_raw(b'\\', ops);
                        self.erasing = true;
                    }
                    self.echo_char(c, ops);
                    for k in 1..cnt {
                        let b = self.read_buf_at(head + k);
                        self.echo_char_raw(b, ops);
                        self.column = self.column.saturating_sub(1);
                    }
                } else if kill_type == Kill::Erase && !t.l(ECHOE) {
                    self.echo_char(t.cc(VERASE), ops);
                } else if c == b'\t' {
                    let mut num_chars = 0;
                    let mut after_tab = false;
                    let mut tail = self.read_head;
                    while tail != self.canon_head {
                        tail -= 1;
                        let c = self.read_buf_at(tail);
                        if c == b'\t' {
                            after_tab = true;
                            break;
                        } else if iscntrl(c) {
                            if t.l(ECHOCTL) {
                                num_chars += 2;
                            }
                        } else if !self.is_continuation(c) {
                            num_chars += 1;
                        }
                    }
                    self.echo_erase_tab(num_chars, after_tab, ops);
                } else {
                    if iscntrl(c) && t.l(ECHOCTL) {
                        self.echo_char_raw(0x08, ops);
                        self.echo_char_raw(b' ', ops);
                        self.echo_char_raw(0x08, ops);
                    }
                    if !iscntrl(c) || t.l(ECHOCTL) {
                        self.echo_char_raw(0x08, ops);
                        self.echo_char_raw(b' ', ops);
                        self.echo_char_raw(0x08, ops);
                    }
                }
            }
            if kill_type == Kill::Erase {
                break;
            }
        }
        if self.read_head == self.canon_head && t.l(ECHO) {
            self.finish_erasing(ops);
        }
    }

    // --- input ---

    /// `start_tty()`: output resumes; held echoes go out.
    pub fn start_tty(&mut self, ops: &mut dyn TtyOps) {
        if !self.stopped || self.tco_stopped {
            return;
        }
        self.stopped = false;
        let held = core::mem::take(&mut self.held);
        ops.write(&held);
    }

    /// `stop_tty()`.
    pub fn stop_tty(&mut self) {
        self.stopped = true;
    }

    /// TCXONC's TCOOFF / TCOON (`tco_stopped`).
    pub fn tco_flow(&mut self, on: bool, ops: &mut dyn TtyOps) {
        if on {
            if self.tco_stopped {
                self.tco_stopped = false;
                self.start_tty(ops);
            }
        } else if !self.tco_stopped {
            self.tco_stopped = true;
            self.stop_tty();
        }
    }

    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// The `char_map` test: bytes `n_tty_receive_char_special` handles.
    fn is_special(&self, c: u8) -> bool {
        let t = &self.termios;
        if c == DISABLED_CHAR {
            return false;
        }
        (c == b'\r' && (t.i(IGNCR) || t.i(ICRNL)))
            || (c == b'\n' && t.i(INLCR))
            || (t.l(ICANON)
                && (c == t.cc(VERASE)
                    || c == t.cc(VKILL)
                    || c == t.cc(VEOF)
                    || c == b'\n'
                    || c == t.cc(VEOL)
                    || (t.l(IEXTEN)
                        && (c == t.cc(VWERASE)
                            || c == t.cc(VLNEXT)
                            || c == t.cc(VEOL2)
                            || (t.l(ECHO) && c == t.cc(VREPRINT))))))
            || (t.i(IXON) && (c == t.cc(VSTART) || c == t.cc(VSTOP)))
            || (t.l(ISIG) && (c == t.cc(VINTR) || c == t.cc(VQUIT) || c == t.cc(VSUSP)))
    }

    /// `isig()`: the signal, and unless NOFLSH the input, echo and output
    /// queues flushed.
    fn isig(&mut self, sig: i32, ops: &mut dyn TtyOps) {
        ops.isig(sig);
        if !self.termios.l(NOFLSH) {
            self.held.clear();
            self.reset_buffer_flags();
        }
    }

    /// `n_tty_receive_signal_char()`.
    fn receive_signal_char(&mut self, sig: i32, c: u8, ops: &mut dyn TtyOps) {
        self.isig(sig, ops);
        if self.termios.i(IXON) {
            self.start_tty(ops);
        }
        if self.termios.l(ECHO) {
            self.echo_char(c, ops);
        }
    }

    /// `n_tty_receive_char()`: an ordinary byte.
    fn receive_char(&mut self, c: u8, ops: &mut dyn TtyOps) {
        let t = self.termios;
        if self.stopped && t.i(IXON) && t.i(IXANY) {
            self.start_tty(ops);
        }
        if t.l(ECHO) {
            self.finish_erasing(ops);
            if self.canon_head == self.read_head {
                self.echo_set_canon_col();
            }
            self.echo_char(c, ops);
        }
        if c == 0xff && t.i(PARMRK) {
            self.put_tty_queue(c);
        }
        self.put_tty_queue(c);
    }

    /// `n_tty_receive_char_special()`; true when the byte was LNEXT.
    fn receive_char_special(&mut self, c: u8, ops: &mut dyn TtyOps) -> bool {
        let t = self.termios;
        let mut c = c;
        if t.i(IXON) {
            if c == t.cc(VSTART) {
                self.start_tty(ops);
                return false;
            }
            if c == t.cc(VSTOP) {
                self.stop_tty();
                return false;
            }
        }
        if t.l(ISIG) {
            let sig = if c == t.cc(VINTR) {
                Some(SIGINT)
            } else if c == t.cc(VQUIT) {
                Some(SIGQUIT)
            } else if c == t.cc(VSUSP) {
                Some(SIGTSTP)
            } else {
                None
            };
            if let Some(sig) = sig {
                self.receive_signal_char(sig, c, ops);
                return false;
            }
        }
        if self.stopped && t.i(IXON) && t.i(IXANY) {
            self.start_tty(ops);
        }
        if c == b'\r' {
            if t.i(IGNCR) {
                return false;
            }
            if t.i(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.i(INLCR) {
            c = b'\r';
        }
        if self.icanon {
            if c == t.cc(VERASE) || c == t.cc(VKILL) || (c == t.cc(VWERASE) && t.l(IEXTEN)) {
                self.eraser(c, ops);
                return false;
            }
            if c == t.cc(VLNEXT) && t.l(IEXTEN) {
                if t.l(ECHO) {
                    self.finish_erasing(ops);
                    if t.l(ECHOCTL) {
                        self.echo_char_raw(b'^', ops);
                        self.echo_char_raw(0x08, ops);
                    }
                }
                return true;
            }
            if c == t.cc(VREPRINT) && t.l(ECHO) && t.l(IEXTEN) {
                self.finish_erasing(ops);
                self.echo_char(c, ops);
                self.echo_char_raw(b'\n', ops);
                for i in self.canon_head..self.read_head {
                    let b = self.read_buf_at(i);
                    self.echo_char(b, ops);
                }
                return false;
            }
            let newline = if c == b'\n' {
                if t.l(ECHO) || t.l(ECHONL) {
                    self.echo_char_raw(b'\n', ops);
                }
                true
            } else if c == t.cc(VEOF) {
                c = DISABLED_CHAR;
                true
            } else if c == t.cc(VEOL) || (c == t.cc(VEOL2) && t.l(IEXTEN)) {
                if t.l(ECHO) {
                    if self.canon_head == self.read_head {
                        self.echo_set_canon_col();
                    }
                    self.echo_char(c, ops);
                }
                if c == 0xff && t.i(PARMRK) {
                    self.put_tty_queue(c);
                }
                true
            } else {
                false
            };
            if newline {
                self.set_flag(self.read_head, true);
                self.put_tty_queue(c);
                self.canon_head = self.read_head;
                return false;
            }
        }
        if t.l(ECHO) {
            self.finish_erasing(ops);
            if c == b'\n' {
                self.echo_char_raw(b'\n', ops);
            } else {
                if self.canon_head == self.read_head {
                    self.echo_set_canon_col();
                }
                self.echo_char(c, ops);
            }
        }
        if c == 0xff && t.i(PARMRK) {
            self.put_tty_queue(c);
        }
        self.put_tty_queue(c);
        false
    }

    /// Whether no input processing applies (`ldata->raw`).
    fn raw(&self) -> bool {
        let t = &self.termios;
        !(t.i(ISTRIP | IUCLC | IGNCR | ICRNL | INLCR | IXON | PARMRK) || t.l(ICANON | ISIG | ECHO))
    }

    /// `n_tty_receive_buf()`: process received bytes while there is
    /// room; returns how many were taken (the rest stay with the driver,
    /// which should throttle).
    #[inline(never)]
    pub fn n_tty_receive_buf(&mut self, cp: &[u8], ops: &mut dyn TtyOps) -> usize {
        let mut taken = 0;
        for &c in cp {
            let room = self.room();
            if room <= 0 {
                if !self.overflow() {
                    break;
                }
                if room < 0 {
                    self.read_head -= 1;
                }
            }
            taken += 1;
            if self.raw() {
                self.put_tty_queue(c);
                continue;
            }
            let t = self.termios;
            let mut c = c;
            if t.i(ISTRIP) {
                c &= 0x7f;
            }
            if t.i(IUCLC) && t.l(IEXTEN) {
                c = c.to_ascii_lowercase();
            }
            if self.lnext {
                self.lnext = false;
                self.receive_char(c, ops);
            } else if self.is_special(c) {
                self.lnext = self.receive_char_special(c, ops);
            } else {
                self.receive_char(c, ops);
            }
        }
        taken
    }

    /// `n_tty_set_termios()`: switching ICANON resets the line state; a
    /// switch to canonical mode with bytes unread makes them a line.
    pub fn set_termios(&mut self, new: Ktermios, ops: &mut dyn TtyOps) {
        let old = self.termios;
        self.termios = new;
        if (old.c_lflag ^ new.c_lflag) & ICANON != 0 {
            self.read_flags.fill(0);
            self.line_start = self.read_tail;
            if !new.l(ICANON) || self.read_cnt() == 0 {
                self.canon_head = self.read_tail;
            } else {
                self.set_flag(self.read_head - 1, true);
                self.canon_head = self.read_head;
            }
            self.erasing = false;
            self.lnext = false;
        }
        self.icanon = new.l(ICANON);
        if !new.i(IXON) && old.i(IXON) && !self.tco_stopped {
            self.start_tty(ops);
        }
    }

    /// `canon_copy_from_read_buf()`: copy up to the end of the first line
    /// (with its newline; an EOF mark is consumed, not copied). Returns
    /// the bytes copied.
    pub fn canon_copy_from_read_buf(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.canon_head - self.read_tail);
        let eol = (self.read_tail..self.read_tail + n).find(|&i| self.flag(i));
        let (copy, consume) = match eol {
            Some(e) if self.read_buf_at(e) == DISABLED_CHAR => {
                (e - self.read_tail, e - self.read_tail + 1)
            }
            Some(e) => (e - self.read_tail + 1, e - self.read_tail + 1),
            None => (n, n),
        };
        for (k, b) in buf[..copy].iter_mut().enumerate() {
            *b = self.read_buf_at(self.read_tail + k);
        }
        if let Some(e) = eol {
            self.set_flag(e, false);
        }
        self.read_tail += consume;
        if eol.is_some() {
            self.line_start = self.read_tail;
        }
        copy
    }

    /// `copy_from_read_buf()`: non-canonical reads take any bytes.
    pub fn copy_from_read_buf(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.read_cnt());
        for (k, b) in buf[..n].iter_mut().enumerate() {
            *b = self.read_buf_at(self.read_tail + k);
        }
        self.read_tail += n;
        n
    }

    /// One copy step of `n_tty_read()` into `buf`.
    pub fn copy_out(&mut self, buf: &mut [u8]) -> usize {
        if self.icanon {
            self.canon_copy_from_read_buf(buf)
        } else {
            self.copy_from_read_buf(buf)
        }
    }

    /// `n_tty_read()`'s plan: (minimum bytes, VTIME in ticks for the gap
    /// after the first byte, the first wait in ticks: None = forever).
    pub fn read_params(&self, hz: u64) -> (usize, u64, Option<u64>) {
        if self.icanon {
            return (0, 0, None);
        }
        let min = usize::from(self.termios.cc(VMIN));
        let time = (hz / 10) * u64::from(self.termios.cc(VTIME));
        if min > 0 {
            (min, time, None)
        } else {
            (1, 0, Some(time))
        }
    }

    pub fn icanon(&self) -> bool {
        self.icanon
    }
}

#[cfg(test)]
mod tests;
