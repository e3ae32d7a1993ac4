//! N_TTY against Linux's behaviour: what a read returns, what is echoed
//! and which signals are raised for typed bytes (the expected echo bytes
//! are what Linux 6.1 writes to a pty master for the same input under
//! the same termios).

use super::*;
use alloc::vec;

#[derive(Default)]
struct Recorder {
    out: Vec<u8>,
    sigs: Vec<i32>,
}

impl TtyOps for Recorder {
    fn write(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }
    fn isig(&mut self, sig: i32) {
        self.sigs.push(sig);
    }
}

fn feed(tty: &mut NTty, input: &[u8]) -> Recorder {
    let mut r = Recorder::default();
    assert_eq!(tty.n_tty_receive_buf(input, &mut r), input.len());
    r
}

fn read(tty: &mut NTty, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let n = tty.copy_out(&mut buf);
    buf.truncate(n);
    buf
}

#[test]
fn std_termios_is_linuxs() {
    let t = Ktermios::tty_std_termios();
    // `stty -g` of a fresh pty on Linux: 500:5:bf:8a3b:3:1c:7f:15:4:0:1:0:11:13:1a:0:12:f:17:16:0...
    assert_eq!(t.c_iflag, 0x500);
    assert_eq!(t.c_oflag, 0x5);
    assert_eq!(t.c_cflag & !HUPCL, 0xbf);
    assert_eq!(t.c_lflag, 0x8a3b);
    assert_eq!(
        &t.c_cc[..17],
        &[
            3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16, 0
        ]
    );
    let b = t.to_termios2();
    assert_eq!(Ktermios::from_user(&b), t);
    // TCSETS (no speeds) takes them from CBAUD.
    let back = Ktermios::from_user(&t.to_termios());
    assert_eq!((back.c_ispeed, back.c_ospeed), (38400, 38400));
}

#[test]
fn canonical_line_with_erase_and_icrnl() {
    let mut tty = NTty::default();
    let r = feed(&mut tty, b"ab\x7fc\r");
    assert_eq!(r.out, b"ab\x08 \x08c\r\n");
    assert!(r.sigs.is_empty());
    assert!(tty.input_available_p(false));
    assert_eq!(tty.inq(), 3);
    assert_eq!(read(&mut tty, 100), b"ac\n");
    assert!(!tty.input_available_p(false));
}

#[test]
fn partial_line_is_not_readable_and_short_reads_split_lines() {
    let mut tty = NTty::default();
    feed(&mut tty, b"hello");
    assert!(!tty.input_available_p(false));
    assert_eq!(tty.inq(), 0);
    feed(&mut tty, b"\nworld\n");
    assert_eq!(read(&mut tty, 3), b"hel");
    assert_eq!(read(&mut tty, 100), b"lo\n");
    assert_eq!(read(&mut tty, 100), b"world\n");
}

#[test]
fn kill_and_werase() {
    let mut tty = NTty::default();
    // ECHOKE: the line is erased character by character.
    let r = feed(&mut tty, b"abc\x15");
    assert_eq!(r.out, b"abc\x08 \x08\x08 \x08\x08 \x08");
    let r = feed(&mut tty, b"foo bar\x17x\n");
    assert_eq!(r.out, b"foo bar\x08 \x08\x08 \x08\x08 \x08x\r\n");
    assert_eq!(read(&mut tty, 100), b"foo x\n");
    // Without ECHOKE: the kill character is echoed, then a newline (ECHOK).
    tty.termios.c_lflag &= !ECHOKE;
    let r = feed(&mut tty, b"zz\x15");
    assert_eq!(r.out, b"zz^U\r\n");
    assert!(!tty.input_available_p(false));
}

#[test]
fn eof_ends_a_line_without_itself_and_reads_zero_at_line_start() {
    let mut tty = NTty::default();
    let r = feed(&mut tty, b"ab\x04");
    // EOF is not echoed.
    assert_eq!(r.out, b"ab");
    assert_eq!(read(&mut tty, 100), b"ab");
    feed(&mut tty, b"\x04");
    assert!(tty.input_available_p(false));
    assert_eq!(tty.inq(), 0);
    assert_eq!(read(&mut tty, 100), b"");
    assert!(!tty.input_available_p(false));
}

#[test]
fn isig_raises_signals_flushes_and_echoes_ctl() {
    let mut tty = NTty::default();
    feed(&mut tty, b"done\n");
    let r = feed(&mut tty, b"xy\x03");
    assert_eq!(r.sigs, [SIGINT]);
    assert_eq!(r.out, b"xy^C");
    // The queued line went too.
    assert!(!tty.input_available_p(false));
    let r = feed(&mut tty, b"\x1c\x1a");
    assert_eq!(r.sigs, [SIGQUIT, SIGTSTP]);
    assert_eq!(r.out, b"^\\^Z");
    // NOFLSH keeps the input.
    tty.termios.c_lflag |= NOFLSH;
    feed(&mut tty, b"keep\n");
    let r = feed(&mut tty, b"\x03");
    assert_eq!(r.sigs, [SIGINT]);
    assert_eq!(read(&mut tty, 100), b"keep\n");
    // Without ISIG, ^C is data.
    tty.termios.c_lflag &= !ISIG;
    let r = feed(&mut tty, b"\x03\n");
    assert!(r.sigs.is_empty());
    assert_eq!(read(&mut tty, 100), b"\x03\n");
}

#[test]
fn echoctl_and_lnext() {
    let mut tty = NTty::default();
    let r = feed(&mut tty, b"\x01\t\n");
    assert_eq!(r.out, b"^A\t\r\n");
    // ^V makes the next byte literal: ^U is queued, not a kill.
    let r = feed(&mut tty, b"\x16\x15\n");
    assert_eq!(r.out, b"^\x08^U\r\n");
    assert_eq!(read(&mut tty, 100), b"\x01\t\n");
    assert_eq!(read(&mut tty, 100), b"\x15\n");
    // Erasing a control character takes back both columns of ^A.
    let r = feed(&mut tty, b"\x01\x7f");
    assert_eq!(r.out, b"^A\x08 \x08\x08 \x08");
}

#[test]
fn tab_erase_backs_up_to_the_tab_stop() {
    let mut tty = NTty::default();
    let r = feed(&mut tty, b"ab\t\x7f");
    assert_eq!(r.out, b"ab\t\x08\x08\x08\x08\x08\x08");
}

#[test]
fn no_echo_and_echonl() {
    let mut tty = NTty::default();
    tty.termios.c_lflag &= !ECHO;
    let r = feed(&mut tty, b"secret\n");
    assert!(r.out.is_empty());
    tty.termios.c_lflag |= ECHONL;
    let r = feed(&mut tty, b"x\n");
    assert_eq!(r.out, b"\r\n");
    assert_eq!(read(&mut tty, 100), b"secret\n");
}

#[test]
fn noncanonical_reads_take_bytes_and_vmin_vtime_plan() {
    let mut tty = NTty::default();
    let mut raw = tty.termios;
    raw.c_lflag &= !(ICANON | ECHO);
    raw.c_cc[VMIN] = 3;
    raw.c_cc[VTIME] = 0;
    tty.set_termios(raw, &mut Recorder::default());
    feed(&mut tty, b"ab");
    assert!(tty.input_available_p(false));
    // poll() waits for VMIN bytes when there is no VTIME.
    assert!(!tty.input_available_p(true));
    feed(&mut tty, b"\rc");
    assert!(tty.input_available_p(true));
    // ICRNL still applies; ERASE is data.
    assert_eq!(read(&mut tty, 100), b"ab\nc");
    assert_eq!(tty.read_params(1000), (3, 0, None));
    raw.c_cc[VTIME] = 5;
    tty.set_termios(raw, &mut Recorder::default());
    assert_eq!(tty.read_params(1000), (3, 500, None));
    raw.c_cc[VMIN] = 0;
    tty.set_termios(raw, &mut Recorder::default());
    assert_eq!(tty.read_params(1000), (1, 0, Some(500)));
    raw.c_cc[VTIME] = 0;
    tty.set_termios(raw, &mut Recorder::default());
    assert_eq!(tty.read_params(1000), (1, 0, Some(0)));
}

#[test]
fn switching_to_canonical_makes_pending_bytes_a_line() {
    let mut tty = NTty::default();
    let mut raw = tty.termios;
    raw.c_lflag &= !ICANON;
    tty.set_termios(raw, &mut Recorder::default());
    feed(&mut tty, b"xy");
    tty.set_termios(Ktermios::tty_std_termios(), &mut Recorder::default());
    assert!(tty.input_available_p(false));
    assert_eq!(read(&mut tty, 100), b"xy");
}

#[test]
fn opost_onlcr_and_raw_output() {
    let mut tty = NTty::default();
    let mut r = Recorder::default();
    assert_eq!(tty.write_chunk(b"a\nb\tc", &mut r), 5);
    assert_eq!(r.out, b"a\r\nb\tc");
    tty.termios.c_oflag |= XTABS;
    let mut r = Recorder::default();
    tty.write_chunk(b"\n12\tx", &mut r);
    assert_eq!(r.out, b"\r\n12      x");
    tty.termios.c_oflag &= !OPOST;
    let mut r = Recorder::default();
    tty.write_chunk(b"a\n", &mut r);
    assert_eq!(r.out, b"a\n");
}

#[test]
fn ixon_stops_and_starts_output() {
    let mut tty = NTty::default();
    let r = feed(&mut tty, b"\x13");
    assert!(r.out.is_empty());
    assert!(tty.stopped());
    let mut w = Recorder::default();
    assert_eq!(tty.write_chunk(b"out", &mut w), 0);
    // Echo is held while stopped, sent by ^Q.
    let r = feed(&mut tty, b"e");
    assert!(r.out.is_empty());
    let r = feed(&mut tty, b"\x11");
    assert_eq!(r.out, b"e");
    assert!(!tty.stopped());
    // ^S and ^Q are not data.
    feed(&mut tty, b"\n");
    assert_eq!(read(&mut tty, 100), b"e\n");
}

#[test]
fn full_buffer_refuses_bytes_but_canonical_erase_still_works() {
    let mut tty = NTty::default();
    let mut r = Recorder::default();
    let big = vec![b'x'; N_TTY_BUF_SIZE + 10];
    let taken = tty.n_tty_receive_buf(&big, &mut r);
    // A line without its end takes every byte, the newest replacing the
    // last one; the line end still gets in.
    assert_eq!(taken, big.len());
    assert!(!tty.should_throttle());
    assert_eq!(tty.n_tty_receive_buf(b"\x7fz\n", &mut r), 3);
    let line = read(&mut tty, 2 * N_TTY_BUF_SIZE);
    assert_eq!(line.len(), N_TTY_BUF_SIZE);
    assert_eq!(&line[N_TTY_BUF_SIZE - 3..], b"xz\n");
    let mut raw = Ktermios::tty_std_termios();
    raw.c_lflag &= !ICANON;
    let mut tty = NTty::new(raw);
    assert_eq!(tty.n_tty_receive_buf(&big, &mut r), N_TTY_BUF_SIZE - 1);
    assert_eq!(tty.n_tty_receive_buf(b"y", &mut r), 0);
    assert_eq!(read(&mut tty, 10).len(), 10);
    assert!(!tty.may_unthrottle());
    assert_eq!(tty.n_tty_receive_buf(b"y", &mut r), 1);
}
