/* The pipe benchmark (`tinymm bench`, boot/src/bench.rs): `pipe SIZE`
 * (bytes, or with a K, M or G suffix) makes a pipe and forks; the child
 * writes SIZE bytes into it in 64 KiB writes, the parent reads them all
 * with 64 KiB reads, checks them, and waits for the child, which must
 * exit 0. It prints, between `bench: begin` and `bench: end`:
 *
 *   pipe: read B bytes
 *   pipe: sum X          (the sum of the page stamps, see below)
 *   pipe: T ns           (CLOCK_MONOTONIC from before fork to after wait)
 *   pipe: tsc D          (the rdtsc delta over the same; under QEMU's
 *                         -icount shift=0 one tick is one instruction)
 *
 * The check is cheap, so that the kernel's copies dominate: the byte
 * stream is 0xa5 except for a stamp at every 4 KiB offset, the 64-bit
 * page number + 1, so X = n(n+1)/2 for n pages (the stamps of whole
 * pages; a tail shorter than 8 bytes has none). The parent checks every
 * stamp it receives: a lost, repeated or reordered page is an error.
 *
 * Run as pid 1 (Linux's /init in the benchmark's initramfs) it powers
 * the machine off at the end, since init must not exit. Each line is one
 * write(2): no stdio buffer is duplicated by fork. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define BENCH_NAME "pipe"
#include "bench.h"

#define CHUNK (64 << 10)
#define PAGE 4096

/* SIZE: decimal bytes with an optional K, M or G (powers of 1024). */
static long long parse_size(const char *s)
{
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (errno || end == s || n <= 0)
		return -1;
	int shift = 0;
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (*end || n > (LLONG_MAX >> shift))
		return -1;
	return n << shift;
}

static unsigned char buf[CHUNK];

/* The child: SIZE bytes of the pattern, stamped page by page. */
static void writer(int fd, long long size)
{
	memset(buf, 0xa5, sizeof buf);
	for (long long off = 0; off < size;) {
		size_t len = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		for (size_t p = 0; p + 8 <= len; p += PAGE) {
			uint64_t stamp = (uint64_t)(off + p) / PAGE + 1;
			memcpy(buf + p, &stamp, 8);
		}
		for (size_t done = 0; done < len;) {
			ssize_t n = write(fd, buf + done, len - done);
			if (n <= 0) {
				say("pipe: write: %s\n", n < 0 ? strerror(errno) : "wrote 0");
				_exit(1);
			}
			done += n;
		}
		off += len;
	}
	_exit(0);
}

/* The stamps of the first `len` bytes of the 64 KiB window `buf` (whose
 * offset 0 is the stream's offset `base`): each must be its page
 * number + 1. */
static int check(long long base, size_t len, uint64_t *sum)
{
	for (size_t p = 0; p + 8 <= len; p += PAGE) {
		uint64_t stamp, want = (uint64_t)(base + p) / PAGE + 1;
		memcpy(&stamp, buf + p, 8);
		if (stamp != want) {
			say("pipe: offset %lld: stamp %llu, not %llu\n", base + (long long)p,
			    (unsigned long long)stamp, (unsigned long long)want);
			return -1;
		}
		*sum += stamp;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long long size = argc == 2 ? parse_size(argv[1]) : -1;
	if (size < 0) {
		say("usage: pipe SIZE\n");
		return finish(2);
	}
	int fds[2];
	if (pipe(fds) < 0) {
		say("pipe: pipe: %s\n", strerror(errno));
		return finish(1);
	}
	struct timespec t0, t1;

	say("bench: begin\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long tsc0 = __rdtsc();
	pid_t pid = fork();
	if (pid < 0) {
		say("pipe: fork: %s\n", strerror(errno));
		return finish(1);
	}
	if (pid == 0) {
		close(fds[0]);
		writer(fds[1], size);
	}
	close(fds[1]);
	/* Reads land in `buf` at the stream offset modulo its size, so a
	 * stamp split between two reads is whole when it is checked. */
	long long total = 0;
	uint64_t sum = 0;
	for (;;) {
		size_t at = total % CHUNK;
		ssize_t n = read(fds[0], buf + at, CHUNK - at);
		if (n < 0) {
			say("pipe: read: %s\n", strerror(errno));
			return finish(1);
		}
		/* A full window, or at EOF the last partial one. */
		if ((n == 0 || at + n == CHUNK) && check(total - at, at + n, &sum) < 0)
			return finish(1);
		if (n == 0)
			break;
		total += n;
	}
	int status;
	if (waitpid(pid, &status, 0) != pid) {
		say("pipe: waitpid: %s\n", strerror(errno));
		return finish(1);
	}
	unsigned long long tsc1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		say("pipe: child status %#x\n", status);
		return finish(1);
	}
	if (total != size) {
		say("pipe: read %lld bytes, not %lld\n", total, size);
		return finish(1);
	}
	say("pipe: read %lld bytes\n", total);
	say("pipe: sum %llu\n", (unsigned long long)sum);
	say("pipe: %lld ns\n", ns_between(&t0, &t1));
	say("pipe: tsc %llu\n", tsc1 - tsc0);
	say("bench: end\n");
	return finish(0);
}
