/* Named FIFOs (fs/pipe.c's fifo_open), the same lines on Linux and
 * tinymm: mkfifo and stat, the opens that wait for a partner and those
 * that do not (O_NONBLOCK, O_RDWR), ENXIO, a signal ending a waiting
 * open with EINTR or restarting it under SA_RESTART, the pipe living
 * while a file has it and freed with the last, poll's POLLHUP once a
 * writer came, FIONREAD, F_GETPIPE_SZ and F_SETPIPE_SZ, and a pipe
 * reopened through /proc/self/fd. `argv[1]`: a writable directory
 * for the FIFOs (made and removed there). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char fifo[512];

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int child_exit_status(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The events poll reports at once for `fd`. */
static int poll_now(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n = poll(&p, 1, 0);
	return n < 0 ? -1 : p.revents;
}

static int fionread(int fd)
{
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0)
		return -1;
	return n;
}

/* mkfifo makes an S_IFIFO node of size 0; fstat of an open one says the
 * same; it cannot seek. */
static void check_node(void)
{
	check(mkfifo(fifo, 0644) == 0, "mkfifo");
	errno = 0;
	checkf(mkfifo(fifo, 0644) == -1 && errno == EEXIST, "mkfifo_again_eexist", "errno %d",
	       errno);
	struct stat st;
	check(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_size == 0 &&
		      (st.st_mode & 07777) == (0644 & ~022),
	      "stat_s_ififo_size_0");
	int fd = open(fifo, O_RDWR);
	check(fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_size == 0,
	      "fstat_open_fifo");
	errno = 0;
	checkf(lseek(fd, 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek_espipe", "errno %d", errno);
	close(fd);
	errno = 0;
	fd = open(fifo, 3); /* not O_ACCMODE: musl's has O_PATH in it */
	checkf(fd == -1 && errno == EINVAL, "open_accmode_3_einval", "fd %d errno %d", fd, errno);
	if (fd >= 0)
		close(fd);
}

/* O_NONBLOCK: a reader opens at once (EOF, no POLLHUP until a writer
 * came), a writer without readers fails with ENXIO, with one it opens. */
static void check_nonblock(void)
{
	errno = 0;
	int w = open(fifo, O_WRONLY | O_NONBLOCK);
	checkf(w == -1 && errno == ENXIO, "nonblock_writer_no_reader_enxio", "fd %d errno %d", w,
	       errno);
	int r = open(fifo, O_RDONLY | O_NONBLOCK);
	check(r >= 0, "nonblock_reader_opens_alone");
	char buf[16];
	check(read(r, buf, sizeof buf) == 0, "nonblock_reader_alone_reads_eof");
	checkf(poll_now(r, POLLIN) == 0, "nonblock_reader_alone_no_pollhup", "revents %#x",
	       poll_now(r, POLLIN));
	w = open(fifo, O_WRONLY | O_NONBLOCK);
	check(w >= 0, "nonblock_writer_with_reader_opens");
	checkf(poll_now(w, POLLOUT) == POLLOUT, "writer_pollout", "revents %#x",
	       poll_now(w, POLLOUT));
	errno = 0;
	ssize_t n = read(r, buf, sizeof buf);
	checkf(n == -1 && errno == EAGAIN, "reader_empty_with_writer_eagain", "n %zd errno %d", n,
	       errno);
	check(write(w, "abc", 3) == 3, "write_3");
	check(fionread(r) == 3, "fionread_3");
	checkf(poll_now(r, POLLIN) == POLLIN, "reader_pollin", "revents %#x", poll_now(r, POLLIN));
	check(read(r, buf, sizeof buf) == 3 && memcmp(buf, "abc", 3) == 0, "read_abc");
	check(close(w) == 0, "close_writer");
	checkf(poll_now(r, POLLIN) == POLLHUP, "reader_pollhup_after_writer_left", "revents %#x",
	       poll_now(r, POLLIN));
	check(read(r, buf, sizeof buf) == 0, "reader_eof_after_writer_left");
	close(r);
}

/* O_RDWR never waits: the file is its own reader and writer. */
static void check_rdwr(void)
{
	int fd = open(fifo, O_RDWR);
	check(fd >= 0, "rdwr_opens_alone");
	checkf(poll_now(fd, POLLIN | POLLOUT) == POLLOUT, "rdwr_empty_pollout", "revents %#x",
	       poll_now(fd, POLLIN | POLLOUT));
	check(write(fd, "hello", 5) == 5, "rdwr_write");
	checkf(poll_now(fd, POLLIN | POLLOUT) == (POLLIN | POLLOUT), "rdwr_pollin_pollout",
	       "revents %#x", poll_now(fd, POLLIN | POLLOUT));
	char buf[16];
	check(read(fd, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0, "rdwr_read_back");
	/* A writer-only open finds the O_RDWR file's reader: no wait. */
	int w = open(fifo, O_WRONLY | O_NONBLOCK);
	check(w >= 0, "writer_finds_rdwr_reader");
	if (w >= 0)
		close(w);
	int r = open(fifo, O_RDONLY);
	check(r >= 0, "blocking_reader_finds_rdwr_writer");
	if (r >= 0)
		close(r);
	close(fd);
}

/* The pipe lives while any file has it: data written survive the
 * writer's close while a reader stays, and go with the last close. */
static void check_lifetime(void)
{
	int r = open(fifo, O_RDONLY | O_NONBLOCK);
	int w = open(fifo, O_WRONLY);
	check(r >= 0 && w >= 0, "lifetime_open_both");
	check(write(w, "kept", 4) == 4, "lifetime_write");
	close(w);
	char buf[16];
	check(read(r, buf, sizeof buf) == 4 && memcmp(buf, "kept", 4) == 0,
	      "data_outlive_the_writer");
	int fd = open(fifo, O_RDWR);
	check(write(fd, "lost", 4) == 4, "write_then_close_all");
	close(fd);
	close(r);
	fd = open(fifo, O_RDWR);
	checkf(fionread(fd) == 0, "last_close_frees_the_data", "fionread %d", fionread(fd));
	close(fd);
	/* Unlinked while open: the pipe stays with its files. */
	fd = open(fifo, O_RDWR);
	check(unlink(fifo) == 0, "unlink_open_fifo");
	check(write(fd, "xy", 2) == 2 && read(fd, buf, sizeof buf) == 2 && memcmp(buf, "xy", 2) == 0,
	      "unlinked_fifo_still_a_pipe");
	close(fd);
	check(mkfifo(fifo, 0600) == 0, "mkfifo_after_unlink");
}

/* The blocking opens: a reader waits until a writer opens, a writer
 * until a reader opens. The child says "now" on a pipe just before its
 * open, so the parent's open must have seen it first. */
static void check_blocking(int parent_reads)
{
	const char *name = parent_reads ? "blocking_reader" : "blocking_writer";
	int say[2];
	if (pipe(say) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(say[0]);
		sleep_ms(100);
		if (write(say[1], "n", 1) != 1)
			_exit(10);
		int fd = open(fifo, parent_reads ? O_WRONLY : O_RDONLY);
		if (fd < 0)
			_exit(11);
		char buf[16];
		if (parent_reads)
			_exit(write(fd, "from child", 10) == 10 ? 0 : 12);
		ssize_t n = read(fd, buf, sizeof buf);
		_exit(n == 11 && memcmp(buf, "from parent", 11) == 0 ? 0 : 13);
	}
	close(say[1]);
	int fd = open(fifo, parent_reads ? O_RDONLY : O_WRONLY);
	char c = 0;
	int flags = fcntl(say[0], F_GETFL);
	fcntl(say[0], F_SETFL, flags | O_NONBLOCK);
	ssize_t said = read(say[0], &c, 1);
	char line[64];
	snprintf(line, sizeof line, "%s_waits_for_partner", name);
	checkf(fd >= 0 && said == 1, line, "fd %d said %zd", fd, said);
	char buf[16];
	ssize_t n = -1;
	if (fd >= 0)
		n = parent_reads ? read(fd, buf, sizeof buf) : write(fd, "from parent", 11);
	snprintf(line, sizeof line, "%s_talks", name);
	checkf(parent_reads ? n == 10 && memcmp(buf, "from child", 10) == 0 : n == 11, line,
	       "n %zd", n);
	int status = child_exit_status(pid);
	snprintf(line, sizeof line, "%s_partner_status", name);
	checkf(status == 0, line, "status %d", status);
	if (fd >= 0)
		close(fd);
	close(say[0]);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen++;
}

/* A signal ends a waiting open: EINTR without SA_RESTART; under
 * SA_RESTART the open goes on and succeeds when the writer comes. (A
 * child sends the signal until told to stop: tinymm has no alarm(2).) */
static void check_signal(int restart)
{
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0}, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, &old);
	usr1_seen = 0;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; restart ? i < 3 : 1; i++) {
			sleep_ms(50);
			kill(parent, SIGUSR1);
		}
		sleep_ms(50);
		int fd = open(fifo, O_WRONLY);
		_exit(fd >= 0 && write(fd, "R", 1) == 1 ? 0 : 1);
	}
	errno = 0;
	int fd = open(fifo, O_RDONLY);
	int err = errno;
	if (restart) {
		char c = 0;
		ssize_t n = fd >= 0 ? read(fd, &c, 1) : -1;
		checkf(fd >= 0 && n == 1 && c == 'R' && usr1_seen >= 1, "sa_restart_open_restarts",
		       "fd %d errno %d n %zd seen %d", fd, err, n, (int)usr1_seen);
		int status = child_exit_status(pid);
		checkf(status == 0, "sa_restart_writer_status", "status %d", status);
	} else {
		checkf(fd == -1 && err == EINTR && usr1_seen >= 1, "signal_open_eintr",
		       "fd %d errno %d seen %d", fd, err, (int)usr1_seen);
		kill(pid, SIGKILL);
		int status = child_exit_status(pid);
		checkf(status == 128 + SIGKILL, "signal_sender_killed", "status %d", status);
	}
	if (fd >= 0)
		close(fd);
	sigaction(SIGUSR1, &old, NULL);
}

/* No reader left: SIGPIPE (ignored here) and EPIPE. */
static void check_epipe(void)
{
	struct sigaction sa = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &sa, &old);
	int r = open(fifo, O_RDONLY | O_NONBLOCK);
	int w = open(fifo, O_WRONLY | O_NONBLOCK);
	close(r);
	checkf(poll_now(w, POLLOUT) == (POLLOUT | POLLERR), "writer_pollerr_without_reader",
	       "revents %#x", poll_now(w, POLLOUT));
	errno = 0;
	ssize_t n = write(w, "x", 1);
	checkf(n == -1 && errno == EPIPE, "write_without_reader_epipe", "n %zd errno %d", n, errno);
	close(w);
	sigaction(SIGPIPE, &old, NULL);
}

/* F_GETPIPE_SZ and F_SETPIPE_SZ: pages, rounded up to a power of two;
 * EBUSY when the contents would not fit; EBADF on other files. */
static void check_pipe_size(void)
{
	static char big[20000];
	memset(big, 'z', sizeof big);
	int fd = open(fifo, O_RDWR | O_NONBLOCK);
	int sz = fcntl(fd, F_GETPIPE_SZ);
	checkf(sz == 65536, "getpipe_sz_65536", "sz %d", sz);
	sz = fcntl(fd, F_SETPIPE_SZ, 5000);
	checkf(sz == 8192 && fcntl(fd, F_GETPIPE_SZ) == 8192, "setpipe_sz_5000_is_8192", "sz %d",
	       sz);
	sz = fcntl(fd, F_SETPIPE_SZ, 0);
	checkf(sz == 4096, "setpipe_sz_0_is_4096", "sz %d", sz);
	ssize_t n = write(fd, big, 5000);
	checkf(n == 4096, "write_cut_at_4096", "n %zd", n);
	errno = 0;
	n = write(fd, "x", 1);
	checkf(n == -1 && errno == EAGAIN, "full_4096_eagain", "n %zd errno %d", n, errno);
	sz = fcntl(fd, F_SETPIPE_SZ, 16384);
	checkf(sz == 16384 && fionread(fd) == 4096, "grow_keeps_data", "sz %d", sz);
	n = write(fd, big, 6000);
	checkf(n == 6000 && fionread(fd) == 10096, "grown_takes_more", "n %zd", n);
	errno = 0;
	sz = fcntl(fd, F_SETPIPE_SZ, 4096);
	checkf(sz == -1 && errno == EBUSY, "shrink_below_contents_ebusy", "sz %d errno %d", sz,
	       errno);
	static char out[20000];
	n = read(fd, out, sizeof out);
	checkf(n == 10096 && memcmp(out, big, 10096) == 0, "contents_intact", "n %zd", n);
	errno = 0;
	sz = fcntl(fd, F_SETPIPE_SZ, 0x80000001u);
	checkf(sz == -1 && errno == EINVAL, "setpipe_sz_past_2g_einval", "sz %d errno %d", sz,
	       errno);
	close(fd);
	fd = open(fifo, O_RDWR);
	sz = fcntl(fd, F_GETPIPE_SZ);
	checkf(sz == 65536, "new_pipe_default_size", "sz %d", sz);
	close(fd);
	char reg[600];
	snprintf(reg, sizeof reg, "%s.reg", fifo);
	fd = open(reg, O_RDWR | O_CREAT | O_TRUNC, 0600);
	errno = 0;
	sz = fcntl(fd, F_GETPIPE_SZ);
	checkf(sz == -1 && errno == EBADF, "getpipe_sz_regular_ebadf", "sz %d errno %d", sz, errno);
	close(fd);
	unlink(reg);
}

/* /proc/self/fd/N of a pipe opens another file of the same pipe,
 * without waiting. */
static void check_proc_reopen(void)
{
	int p[2];
	if (pipe(p) < 0)
		return;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
	int w = open(path, O_WRONLY);
	check(w >= 0, "proc_fd_reopen_pipe");
	check(write(w, "via", 3) == 3, "proc_fd_reopen_write");
	char buf[8];
	check(read(p[0], buf, sizeof buf) == 3 && memcmp(buf, "via", 3) == 0,
	      "proc_fd_reopen_same_pipe");
	close(p[1]);
	check(write(w, "2", 1) == 1, "proc_fd_reopen_keeps_writer");
	close(w);
	check(read(p[0], buf, sizeof buf) == 1 && read(p[0], buf, sizeof buf) == 0,
	      "proc_fd_reopen_eof_after_both_closed");
	close(p[0]);
}

int main(int argc, char **argv)
{
	checks_begin();
	umask(022);
	if (argc != 2) {
		printf("usage: fifo DIR\n");
		return 2;
	}
	snprintf(fifo, sizeof fifo, "%s/fifo-%d", argv[1], 1);
	unlink(fifo);
	check_node();
	check_nonblock();
	check_rdwr();
	check_lifetime();
	check_blocking(1);
	check_blocking(0);
	check_signal(0);
	check_signal(1);
	check_epipe();
	check_pipe_size();
	check_proc_reopen();
	check(unlink(fifo) == 0, "unlink");
	return checks_end();
}
