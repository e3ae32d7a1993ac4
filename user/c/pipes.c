/* Pipes' semantics (fs/pipe.c), the same lines on Linux and tinymm:
 * capacity, PIPE_BUF atomicity, partial reads, EOF, SIGPIPE and EPIPE,
 * O_NONBLOCK, EFAULT with the data kept, readv/writev, sendfile into a
 * pipe, and a stream of odd-sized writes and reads that wraps around the
 * buffer many times with every byte checked. `argv[0]` must name the
 * program itself (sendfile reads it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define BAD ((void *)8)
#define KERNEL_ADDR ((void *)0xffff888000000000UL)

/* write(2) and read(2) through syscall(2): no libc check on the way. */
static ssize_t sys_write(int fd, const void *buf, size_t len)
{
	return syscall(SYS_write, fd, buf, len);
}

static ssize_t sys_read(int fd, void *buf, size_t len)
{
	return syscall(SYS_read, fd, buf, len);
}

static int child_exit_status(pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static unsigned char big[256 << 10];

/* An empty pipe takes 65536 bytes without blocking; a bigger
 * non-blocking write is cut there, a full pipe gives EAGAIN. */
static void check_capacity(void)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK) < 0) {
		checkf(0, "capacity_pipe2", "errno %d", errno);
		return;
	}
	memset(big, 'c', 100000);
	ssize_t n = write(p[1], big, 100000);
	checkf(n == 65536, "capacity_nonblock_write_cut_at_65536", "n %zd", n);
	errno = 0;
	n = write(p[1], "x", 1);
	checkf(n == -1 && errno == EAGAIN, "capacity_full_eagain", "n %zd errno %d", n, errno);
	size_t total = 0;
	while ((n = read(p[0], big, sizeof big)) > 0)
		total += n;
	checkf(total == 65536 && n == -1 && errno == EAGAIN, "capacity_drained_then_eagain",
	       "total %zu n %zd errno %d", total, n, errno);
	close(p[0]);
	close(p[1]);
}

/* A write of at most PIPE_BUF goes in whole or not at all. */
static void check_pipe_buf_nonblock(void)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK) < 0)
		return;
	memset(big, 'a', sizeof big);
	ssize_t n = write(p[1], big, 65536 - 100);
	check(n == 65536 - 100, "pipe_buf_fill_to_100_left");
	errno = 0;
	n = write(p[1], big, 200);
	checkf(n == -1 && errno == EAGAIN, "pipe_buf_200_into_100_eagain", "n %zd errno %d", n,
	       errno);
	n = write(p[1], big, 50);
	checkf(n == 50, "pipe_buf_50_into_100", "n %zd", n);
	close(p[0]);
	close(p[1]);
}

/* Two writers' PIPE_BUF writes never interleave: every 4 KiB block the
 * reader sees is one writer's. */
static void check_pipe_buf_atomic(void)
{
	int p[2];
	if (pipe(p) < 0)
		return;
	enum { BLOCKS = 16 }; /* 2 x 64 KiB: both fit in `big` */
	pid_t pids[2];
	for (int w = 0; w < 2; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(p[0]);
			unsigned char block[4096];
			memset(block, 'A' + w, sizeof block);
			for (int i = 0; i < BLOCKS; i++)
				if (write(p[1], block, sizeof block) != sizeof block)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	size_t total = 0;
	ssize_t n;
	while ((n = read(p[0], big + total, sizeof big - total)) > 0)
		total += n;
	int whole = total == 2 * BLOCKS * 4096;
	for (size_t b = 0; whole && b < total; b += 4096)
		for (size_t i = 1; i < 4096; i++)
			if (big[b + i] != big[b]) {
				whole = 0;
				break;
			}
	int s0 = child_exit_status(pids[0]), s1 = child_exit_status(pids[1]);
	checkf(whole && s0 == 0 && s1 == 0, "pipe_buf_writes_not_interleaved",
	       "total %zu statuses %d %d", total, s0, s1);
	close(p[0]);
}

/* Reads return what is there, up to their size; EOF once the writers
 * are gone and the pipe is empty; zero-length reads and writes are 0. */
static void check_reads_and_eof(void)
{
	int p[2];
	if (pipe(p) < 0)
		return;
	char buf[200];
	check(write(p[1], "0123456789", 10) == 10, "write_10");
	check(read(p[0], buf, 4) == 4 && memcmp(buf, "0123", 4) == 0, "read_4_of_10");
	check(read(p[0], buf, sizeof buf) == 6 && memcmp(buf, "456789", 6) == 0,
	      "read_rest_short");
	check(read(p[0], buf, 0) == 0, "read_0_bytes");
	check(write(p[1], buf, 0) == 0, "write_0_bytes");
	close(p[1]);
	check(read(p[0], buf, sizeof buf) == 0, "read_eof_after_writer_closed");
	close(p[0]);
	if (pipe2(p, O_NONBLOCK) < 0)
		return;
	errno = 0;
	ssize_t n = read(p[0], buf, sizeof buf);
	checkf(n == -1 && errno == EAGAIN, "read_empty_nonblock_eagain", "n %zd errno %d", n,
	       errno);
	close(p[1]);
	check(read(p[0], buf, sizeof buf) == 0, "read_empty_nonblock_eof");
	close(p[0]);
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* No reader: SIGPIPE and EPIPE (the default action kills); a zero-length
 * write raises nothing. */
static void check_sigpipe(void)
{
	int p[2];
	if (pipe(p) < 0)
		return;
	close(p[0]);
	struct sigaction sa = {.sa_handler = on_sigpipe}, old;
	sigaction(SIGPIPE, &sa, &old);
	sigpipes = 0;
	errno = 0;
	ssize_t n = write(p[1], "x", 1);
	checkf(n == -1 && errno == EPIPE && sigpipes == 1, "write_no_reader_sigpipe_epipe",
	       "n %zd errno %d sigpipes %d", n, errno, (int)sigpipes);
	n = write(p[1], "x", 0);
	checkf(n == 0 && sigpipes == 1, "write_0_no_reader_no_signal", "n %zd sigpipes %d", n,
	       (int)sigpipes);
	sigaction(SIGPIPE, &old, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		(void)!write(p[1], "x", 1);
		_exit(0);
	}
	check(child_exit_status(pid) == 128 + SIGPIPE, "write_no_reader_killed_by_sigpipe");
	close(p[1]);
}

/* A bad buffer: EFAULT, and the pipe keeps its bytes. */
static void check_efault(void)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK) < 0)
		return;
	char buf[16];
	errno = 0;
	ssize_t n = sys_write(p[1], BAD, 5);
	checkf(n == -1 && errno == EFAULT, "write_bad_buffer_efault", "n %zd errno %d", n, errno);
	errno = 0;
	n = sys_write(p[1], KERNEL_ADDR, 5);
	checkf(n == -1 && errno == EFAULT, "write_kernel_buffer_efault", "n %zd errno %d", n,
	       errno);
	errno = 0;
	n = read(p[0], buf, sizeof buf);
	checkf(n == -1 && errno == EAGAIN, "write_efault_wrote_nothing", "n %zd errno %d", n,
	       errno);
	check(write(p[1], "hello", 5) == 5, "write_5");
	errno = 0;
	n = sys_read(p[0], BAD, 5);
	checkf(n == -1 && errno == EFAULT, "read_bad_buffer_efault", "n %zd errno %d", n, errno);
	errno = 0;
	n = sys_read(p[0], KERNEL_ADDR, 5);
	checkf(n == -1 && errno == EFAULT, "read_kernel_buffer_efault", "n %zd errno %d", n,
	       errno);
	n = read(p[0], buf, sizeof buf);
	check(n == 5 && memcmp(buf, "hello", 5) == 0, "read_efault_kept_the_bytes");
	close(p[0]);
	close(p[1]);
}

/* writev and readv move the segments' bytes in order. */
static void check_vectors(void)
{
	int p[2];
	if (pipe(p) < 0)
		return;
	struct iovec out[3] = {{"ab", 2}, {"cde", 3}, {"fghij", 5}};
	check(writev(p[1], out, 3) == 10, "writev_10");
	char a[4], b[16];
	struct iovec in[2] = {{a, 4}, {b, sizeof b}};
	ssize_t n = readv(p[0], in, 2);
	check(n == 10 && memcmp(a, "abcd", 4) == 0 && memcmp(b, "efghij", 6) == 0,
	      "readv_10_in_order");
	close(p[0]);
	close(p[1]);
}

/* sendfile from a regular file into a pipe: the file's bytes. */
static void check_sendfile(const char *self)
{
	int fd = open(self, O_RDONLY);
	int p[2];
	if (fd < 0 || pipe(p) < 0) {
		checkf(0, "sendfile_open_self", "errno %d", errno);
		return;
	}
	off_t off = 100;
	ssize_t n = sendfile(p[1], fd, &off, 3000);
	static unsigned char want[3000], got[3000];
	ssize_t w = pread(fd, want, sizeof want, 100);
	size_t total = 0;
	close(p[1]);
	ssize_t r;
	while ((r = read(p[0], got + total, sizeof got - total)) > 0)
		total += r;
	checkf(n == 3000 && off == 3100 && w == 3000 && total == 3000 &&
		       memcmp(want, got, 3000) == 0,
	       "sendfile_file_to_pipe", "n %zd off %ld total %zu", n, (long)off, total);
	close(p[0]);
	close(fd);
}

/* 4 MiB from a child in writes of 7777 bytes, read in pieces of 5003: a
 * position-dependent pattern arrives whole and in order, and a blocking
 * write bigger than the pipe returns all of it. */
static void check_stream(void)
{
	enum { TOTAL = 4 << 20, WRITE = 7777, READ = 5003 };
	int p[2];
	if (pipe(p) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		static unsigned char chunk[WRITE];
		for (size_t off = 0; off < TOTAL;) {
			size_t len = TOTAL - off < WRITE ? TOTAL - off : WRITE;
			for (size_t i = 0; i < len; i++)
				chunk[i] = (unsigned char)((off + i) * 131 + ((off + i) >> 12));
			if (write(p[1], chunk, len) != (ssize_t)len)
				_exit(1);
			off += len;
		}
		memset(big, 'z', sizeof big);
		if (write(p[1], big, sizeof big) != sizeof big)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	static unsigned char piece[READ];
	size_t off = 0, bad = (size_t)-1;
	ssize_t n;
	while (off < TOTAL && (n = read(p[0], piece, READ < TOTAL - off ? READ : TOTAL - off)) > 0) {
		for (ssize_t i = 0; i < n && bad == (size_t)-1; i++)
			if (piece[i] != (unsigned char)((off + i) * 131 + ((off + i) >> 12)))
				bad = off + i;
		off += n;
	}
	size_t tail = 0;
	int tail_ok = 1;
	while ((n = read(p[0], piece, READ)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			tail_ok &= piece[i] == 'z';
		tail += n;
	}
	int status = child_exit_status(pid);
	checkf(off == TOTAL && bad == (size_t)-1, "stream_4m_odd_sizes_in_order",
	       "got %zu first bad byte %zd", off, (ssize_t)bad);
	checkf(tail == sizeof big && tail_ok && status == 0, "stream_write_256k_blocking_whole",
	       "tail %zu ok %d status %d", tail, tail_ok, status);
	close(p[0]);
}

int main(int argc, char **argv)
{
	(void)argc;
	checks_begin();
	check_capacity();
	check_pipe_buf_nonblock();
	check_pipe_buf_atomic();
	check_reads_and_eof();
	check_sigpipe();
	check_efault();
	check_vectors();
	check_sendfile(argv[0]);
	check_stream();
	return checks_end();
}
