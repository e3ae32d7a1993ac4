/* The swap benchmark (`tinymm bench`, boot/src/bench.rs): `swapbench
 * SIZE_MIB` is user/c/swapcheck.c's two passes, timed. It writes
 * SIZE_MIB of private anonymous memory (every word a function of its
 * address), then reads all of it back and checks every word. Run in a
 * memcg whose memory.max is below SIZE_MIB with a swap area on, the write
 * pass swaps out and the read pass swaps back in. It prints, per pass:
 *
 *   swapbench: touched N pages          (the write pass only)
 *   swapbench: T ns                     (CLOCK_MONOTONIC over the pass)
 *   swapbench: tsc D                    (the rdtsc delta; under QEMU's
 *                                        -icount shift=0, guest ns: the
 *                                        instructions plus idle time)
 *   swapbench: idle_ns I                (idle + iowait of /proc/stat's
 *                                        `cpu` line over the pass, in ns:
 *                                        waiting for the disk, which
 *                                        -icount counts as time too)
 *
 * then `swapbench: verified N pages, B bad`, and exits 1 if a word was
 * wrong. Each line is one write(2). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <x86intrin.h>

#define BENCH_NAME "swapbench"
#include "bench.h"

#define PAGE 4096UL

/* The word at index `w` of page `p` (swapcheck.c's pattern). */
static uint64_t pattern(uint64_t p, uint64_t w)
{
	uint64_t x = p * 0x9e3779b97f4a7c15ULL ^ (w + 1) * 0xc2b2ae3d27d4eb4fULL;
	return x ^ (x >> 29);
}

struct pass {
	struct timespec t0;
	unsigned long long tsc0;
	long long idle0;
};

/* Idle and iowait time so far, in ns (/proc/stat's clock ticks); -1 if
 * it cannot be read. */
static long long idle_ns(void)
{
	unsigned long long user, nice, sys, idle, iowait;
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle, &iowait);
	fclose(f);
	if (n != 5)
		return -1;
	return (long long)(idle + iowait) * (1000000000LL / sysconf(_SC_CLK_TCK));
}

static void start(struct pass *p)
{
	p->idle0 = idle_ns();
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	p->tsc0 = __rdtsc();
}

static void end(const struct pass *p)
{
	unsigned long long tsc = __rdtsc() - p->tsc0;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	say("swapbench: %lld ns\n", ns_between(&p->t0, &t1));
	say("swapbench: tsc %llu\n", tsc);
	long long idle = idle_ns();
	if (idle >= 0 && p->idle0 >= 0)
		say("swapbench: idle_ns %lld\n", idle - p->idle0);
}

int main(int argc, char **argv)
{
	unsigned long pages, p, w, bad = 0;
	struct pass pass;
	uint64_t *mem;

	if (argc != 2 || atol(argv[1]) <= 0) {
		say("usage: swapbench SIZE_MIB\n");
		return finish(2);
	}
	pages = (unsigned long)atol(argv[1]) * (1024 * 1024 / PAGE);
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		say("swapbench: mmap: %s\n", strerror(errno));
		return finish(1);
	}
	start(&pass);
	for (p = 0; p < pages; p++) {
		uint64_t *page = mem + p * (PAGE / 8);
		for (w = 0; w < PAGE / 8; w++)
			page[w] = pattern(p, w);
	}
	end(&pass);
	say("swapbench: touched %lu pages\n", pages);
	start(&pass);
	for (p = 0; p < pages; p++) {
		uint64_t *page = mem + p * (PAGE / 8);
		for (w = 0; w < PAGE / 8; w++)
			if (page[w] != pattern(p, w)) {
				bad++;
				break;
			}
	}
	end(&pass);
	say("swapbench: verified %lu pages, %lu bad\n", pages, bad);
	return finish(bad ? 1 : 0);
}
