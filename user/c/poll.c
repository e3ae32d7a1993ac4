/* poll(2), ppoll(2), select(2), pselect6 and ioctl(2): readiness of
 * pipes and devices, timeouts and the time select writes back, POLLHUP,
 * POLLERR and POLLNVAL, EINTR by a signal and ppoll's signal mask,
 * EINVAL/EFAULT/EBADF; the generic ioctls (FIONREAD, FIONBIO, FIOCLEX)
 * and ENOTTY for files that are not terminals; TCGETS, TCSETS and the
 * tty ioctls on a terminal (stdin where it is one, as the console is on
 * tinymm; else a pty). Nothing here reads from or flushes the terminal:
 * on tinymm, the rest of the script waits in it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/* A child that sends SIGUSR1 to us after `ms`. */
static pid_t signal_later(int ms)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, ms * 1000000L };
		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	return pid;
}

static void pipes(void)
{
	int p[2];
	if (!check(pipe(p) == 0, "pipe"))
		return;
	struct pollfd fds[2] = { { p[0], POLLIN, -1 }, { p[1], POLLOUT, -1 } };

	long t0 = now_ms();
	int r = poll(fds, 1, 50);
	long waited = now_ms() - t0;
	checkf(r == 0 && fds[0].revents == 0, "poll_empty_pipe_times_out",
	       "r %d revents %#x", r, fds[0].revents);
	checkf(waited >= 45 && waited < 2000, "poll_waits_its_timeout",
	       "%ld ms", waited);
	r = poll(fds, 2, 0);
	checkf(r == 1 && fds[0].revents == 0 && fds[1].revents == POLLOUT,
	       "poll_write_end_writable", "r %d %#x %#x", r, fds[0].revents,
	       fds[1].revents);

	write(p[1], "abc", 3);
	r = poll(fds, 1, -1);
	checkf(r == 1 && fds[0].revents == POLLIN, "poll_data_is_pollin",
	       "r %d revents %#x", r, fds[0].revents);
	int n = -1;
	checkf(ioctl(p[0], FIONREAD, &n) == 0 && n == 3, "fionread_pipe",
	       "n %d errno %d", n, errno);
	struct termios t;
	errno = 0;
	checkf(tcgetattr(p[0], &t) == -1 && errno == ENOTTY,
	       "tcgets_pipe_enotty", "errno %d", errno);

	close(p[1]);
	r = poll(fds, 1, 0);
	checkf(r == 1 && fds[0].revents == (POLLIN | POLLHUP),
	       "poll_data_and_hup", "revents %#x", fds[0].revents);
	char buf[8];
	read(p[0], buf, sizeof buf);
	r = poll(fds, 1, -1);
	checkf(r == 1 && fds[0].revents == POLLHUP, "poll_hup_after_writer_closed",
	       "revents %#x", fds[0].revents);
	/* POLLHUP is reported even when not asked for. */
	fds[0].events = 0;
	r = poll(fds, 1, 0);
	checkf(r == 1 && fds[0].revents == POLLHUP, "pollhup_unrequested",
	       "revents %#x", fds[0].revents);
	close(p[0]);

	if (pipe(p) == 0) {
		close(p[0]);
		struct pollfd w = { p[1], POLLOUT, 0 };
		r = poll(&w, 1, 0);
		checkf(r == 1 && w.revents == (POLLOUT | POLLERR),
		       "pollerr_without_readers", "revents %#x", w.revents);
		close(p[1]);
	}

	/* A closed descriptor: POLLNVAL; a negative one is skipped. */
	struct pollfd bad[2] = { { 999, POLLIN, 0 }, { -1, POLLIN, 7 } };
	r = poll(bad, 2, 0);
	checkf(r == 1 && bad[0].revents == POLLNVAL && bad[1].revents == 0,
	       "pollnval_and_negative_fd", "r %d %#x %#x", r, bad[0].revents,
	       bad[1].revents);

	if (pipe(p) == 0) {
		int on = 1;
		check(ioctl(p[0], FIONBIO, &on) == 0, "fionbio");
		errno = 0;
		checkf(read(p[0], buf, 1) == -1 && errno == EAGAIN,
		       "fionbio_read_eagain", "errno %d", errno);
		check(ioctl(p[0], FIOCLEX) == 0 &&
			      fcntl(p[0], F_GETFD) == FD_CLOEXEC,
		      "fioclex");
		check(ioctl(p[0], FIONCLEX) == 0 && fcntl(p[0], F_GETFD) == 0,
		      "fionclex");
		close(p[0]);
		close(p[1]);
	}
}

static void errors(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	struct pollfd one = { 0, 0, 0 };
	errno = 0;
	checkf(poll(&one, rl.rlim_cur + 1, 0) == -1 && errno == EINVAL,
	       "poll_nfds_over_rlimit_einval", "errno %d", errno);
	errno = 0;
	checkf(syscall(SYS_poll, 8, 1, 0) == -1 && errno == EFAULT,
	       "poll_efault", "errno %d", errno);
	struct timespec badts = { 0, 1000000000 };
	errno = 0;
	checkf(ppoll(&one, 1, &badts, NULL) == -1 && errno == EINVAL,
	       "ppoll_bad_timespec_einval", "errno %d", errno);
	fd_set rs;
	FD_ZERO(&rs);
	/* Within the descriptor table's 64 slots: select looks no further. */
	FD_SET(50, &rs);
	struct timeval tv = { 0, 0 };
	errno = 0;
	checkf(select(51, &rs, NULL, NULL, &tv) == -1 && errno == EBADF,
	       "select_closed_fd_ebadf", "errno %d", errno);
	errno = 0;
	checkf(select(-1, NULL, NULL, NULL, &tv) == -1 && errno == EINVAL,
	       "select_negative_n_einval", "errno %d", errno);
	tv.tv_sec = -1;
	errno = 0;
	checkf(select(0, NULL, NULL, NULL, &tv) == -1 && errno == EINVAL,
	       "select_negative_timeout_einval", "errno %d", errno);
}

static void selects(void)
{
	int p[2];
	if (pipe(p) != 0)
		return;
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(p[0], &rs);
	/* The raw syscall: musl hands the kernel a copy of the timeval. */
	struct timeval tv = { 0, 50000 };
	long t0 = now_ms();
	int r = syscall(SYS_select, p[0] + 1, &rs, NULL, NULL, &tv);
	long waited = now_ms() - t0;
	checkf(r == 0 && !FD_ISSET(p[0], &rs), "select_times_out", "r %d", r);
	checkf(waited >= 45 && waited < 2000, "select_waits_its_timeout",
	       "%ld ms", waited);
	checkf(tv.tv_sec == 0 && tv.tv_usec == 0, "select_writes_back_time_left",
	       "%ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);

	write(p[1], "x", 1);
	FD_SET(p[0], &rs);
	FD_SET(p[1], &ws);
	FD_SET(p[1], &rs);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	r = syscall(SYS_select, p[1] + 1, &rs, &ws, NULL, &tv);
	checkf(r == 2 && FD_ISSET(p[0], &rs) && !FD_ISSET(p[1], &rs) &&
		       FD_ISSET(p[1], &ws),
	       "select_ready_bits", "r %d", r);
	checkf(tv.tv_sec <= 5 && tv.tv_sec >= 4, "select_time_left_after_ready",
	       "%ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);

	/* pselect with a signal mask and no time-out write-back. */
	struct timespec ts = { 0, 0 };
	sigset_t empty;
	sigemptyset(&empty);
	FD_ZERO(&ws);
	FD_SET(p[1], &ws);
	r = pselect(p[1] + 1, NULL, &ws, NULL, &ts, &empty);
	check(r == 1 && FD_ISSET(p[1], &ws), "pselect_writable");
	close(p[0]);
	close(p[1]);

	int null = open("/dev/null", O_RDWR);
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(null, &rs);
	FD_SET(null, &ws);
	tv.tv_sec = 0;
	r = select(null + 1, &rs, &ws, NULL, &tv);
	check(r == 2, "select_dev_null_always_ready");
	close(null);
}

static void interrupted(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	int p[2];
	if (pipe(p) != 0)
		return;
	struct pollfd fd = { p[0], POLLIN, 0 };

	got_usr1 = 0;
	pid_t child = signal_later(30);
	errno = 0;
	int r = poll(&fd, 1, -1);
	checkf(r == -1 && errno == EINTR && got_usr1 == 1, "poll_eintr",
	       "r %d errno %d handled %d", r, errno, (int)got_usr1);
	waitpid(child, NULL, 0);

	got_usr1 = 0;
	child = signal_later(30);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	errno = 0;
	r = select(p[0] + 1, &rs, NULL, NULL, NULL);
	checkf(r == -1 && errno == EINTR && got_usr1 == 1, "select_eintr",
	       "r %d errno %d", r, errno);
	waitpid(child, NULL, 0);

	/* ppoll: SIGUSR1 blocked outside, let in for the wait; the handler
	 * runs, then the old mask is back. */
	sigset_t usr1, old, cur, empty;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	got_usr1 = 0;
	child = signal_later(30);
	struct timespec ts = { 5, 0 };
	errno = 0;
	r = ppoll(&fd, 1, &ts, &empty);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	checkf(r == -1 && errno == EINTR && got_usr1 == 1 &&
		       sigismember(&cur, SIGUSR1),
	       "ppoll_sigmask_eintr", "r %d errno %d handled %d blocked %d", r,
	       errno, (int)got_usr1, sigismember(&cur, SIGUSR1));
	waitpid(child, NULL, 0);
	/* Blocked during a ppoll that keeps it blocked: pending, no EINTR. */
	kill(getpid(), SIGUSR1);
	ts.tv_sec = 0;
	ts.tv_nsec = 20000000;
	r = ppoll(&fd, 1, &ts, &usr1);
	sigset_t pend;
	sigpending(&pend);
	checkf(r == 0 && sigismember(&pend, SIGUSR1), "ppoll_masked_signal_waits",
	       "r %d", r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	checkf(got_usr1 == 2, "pending_signal_delivered_after_unblock",
	       "handled %d", (int)got_usr1);
	close(p[0]);
	close(p[1]);
}

static void devices(const char *self)
{
	int null = open("/dev/null", O_RDWR);
	struct termios t;
	errno = 0;
	checkf(tcgetattr(null, &t) == -1 && errno == ENOTTY,
	       "tcgets_dev_null_enotty", "errno %d", errno);
	errno = 0;
	checkf(ioctl(null, TIOCGPGRP, &(pid_t){ 0 }) == -1 && errno == ENOTTY,
	       "tiocgpgrp_dev_null_enotty", "errno %d", errno);
	check(!isatty(null), "dev_null_is_not_a_tty");
	close(null);

	int fd = open(self, O_RDONLY);
	off_t size = lseek(fd, 0, SEEK_END);
	lseek(fd, 100, SEEK_SET);
	int n = -1;
	int r = ioctl(fd, FIONREAD, &n);
	checkf(r == 0 && n == size - 100, "fionread_regular_file",
	       "r %d n %d size %ld", r, n, (long)size);
	errno = 0;
	checkf(ioctl(fd, TCGETS, &t) == -1 && errno == ENOTTY,
	       "tcgets_regular_file_enotty", "errno %d", errno);
	close(fd);

	char buf[16];
	memset(buf, 1, sizeof buf);
	fd = open("/dev/zero", O_RDONLY);
	check(read(fd, buf, sizeof buf) == sizeof buf && buf[0] == 0 &&
		      buf[15] == 0,
	      "dev_zero_reads_zeros");
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	errno = 0;
	checkf(write(fd, "x", 1) == -1 && errno == ENOSPC, "dev_full_enospc",
	       "errno %d", errno);
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	check(read(fd, buf, sizeof buf) == sizeof buf, "dev_urandom_reads");
	close(fd);
}

/* A terminal: stdin if it is one, else a new pty's slave. */
static int open_tty(void)
{
	if (isatty(0))
		return 0;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		return -1;
	return open(ptsname(m), O_RDWR | O_NOCTTY);
}

static void terminal(void)
{
	int tty = open_tty();
	if (!check(tty >= 0 && isatty(tty), "a_terminal"))
		return;
	struct termios t, t2;
	check(tcgetattr(tty, &t) == 0, "tcgets");
	checkf(t.c_iflag == (ICRNL | IXON), "tty_iflag", "%#x", t.c_iflag);
	checkf(t.c_oflag == (OPOST | ONLCR), "tty_oflag", "%#x", t.c_oflag);
	check(t.c_cc[VINTR] == 3 && t.c_cc[VQUIT] == 034 &&
		      t.c_cc[VERASE] == 0177 && t.c_cc[VKILL] == 025 &&
		      t.c_cc[VEOF] == 4 && t.c_cc[VSUSP] == 032 &&
		      t.c_cc[VSTART] == 021 && t.c_cc[VSTOP] == 023,
	      "tty_control_chars");
	t2 = t;
	t2.c_cc[VMIN] = 5;
	t2.c_lflag ^= TOSTOP;
	check(tcsetattr(tty, TCSANOW, &t2) == 0, "tcsets");
	struct termios t3;
	tcgetattr(tty, &t3);
	check(t3.c_cc[VMIN] == 5 && t3.c_lflag == t2.c_lflag, "tcsets_reads_back");
	check(tcsetattr(tty, TCSADRAIN, &t) == 0, "tcsetsw_restores");
	tcgetattr(tty, &t3);
	check(t3.c_lflag == t.c_lflag && t3.c_cc[VMIN] == t.c_cc[VMIN],
	      "restored");
	pid_t pg;
	errno = 0;
	checkf(ioctl(tty, TIOCGPGRP, &pg) == -1 && errno == ENOTTY,
	       "tiocgpgrp_not_our_ctty_enotty", "errno %d", errno);
	errno = 0;
	checkf(ioctl(tty, TIOCGSID, &pg) == -1 && errno == ENOTTY,
	       "tiocgsid_not_our_ctty_enotty", "errno %d", errno);
	int ld = -1;
	check(ioctl(tty, TIOCGETD, &ld) == 0 && ld == N_TTY, "tiocgetd_n_tty");
	ld = 99;
	errno = 0;
	checkf(ioctl(tty, TIOCSETD, &ld) == -1 && errno == EINVAL,
	       "tiocsetd_unknown_einval", "errno %d", errno);
	int q = -1;
	check(ioctl(tty, TIOCOUTQ, &q) == 0 && q == 0, "tiocoutq");
	struct winsize ws = { 24, 80, 0, 0 }, ws2;
	check(ioctl(tty, TIOCSWINSZ, &ws) == 0 && ioctl(tty, TIOCGWINSZ, &ws2) == 0 &&
		      ws2.ws_row == 24 && ws2.ws_col == 80,
	      "winsize");
	errno = 0;
	checkf(ioctl(tty, TCFLSH, 7) == -1 && errno == EINVAL,
	       "tcflsh_bad_queue_einval", "errno %d", errno);
	errno = 0;
	checkf(ioctl(tty, TCXONC, 9) == -1 && errno == EINVAL,
	       "tcxonc_bad_action_einval", "errno %d", errno);
	errno = 0;
	checkf(ioctl(tty, 0x54ff, 0) == -1 && errno == ENOTTY,
	       "unknown_tty_ioctl_enotty", "errno %d", errno);
	struct pollfd fd = { tty, POLLOUT, 0 };
	check(poll(&fd, 1, 0) == 1 && fd.revents == POLLOUT, "tty_pollout");
	/* Not a session leader: TIOCSCTTY is EPERM. */
	errno = 0;
	checkf(ioctl(tty, TIOCSCTTY, 0) == -1 && errno == EPERM,
	       "tiocsctty_not_leader_eperm", "errno %d", errno);
}

int main(int argc, char **argv)
{
	(void)argc;
	checks_begin();
	pipes();
	errors();
	selects();
	interrupted();
	devices(argv[0]);
	terminal();
	return checks_end();
}
