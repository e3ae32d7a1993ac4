/* swapcheck [--hold] SIZE_MIB [CGROUP_DIR]: writes SIZE_MIB of private
 * anonymous memory, every byte of it a function of its address, then
 * reads all of it back and checks every byte. With CGROUP_DIR, reads its
 * memory.current every 256 pages of both passes and reports the highest
 * value seen, and reports memory.current and memory.swap.current right
 * after the write pass. With --hold, it stops after the write pass (and
 * that report) until SIGUSR1 comes, so that a script can swapoff, read
 * counters or kill it while every page is written but none read back.
 * Prints facts only (the same on Linux and on tinymm):
 *
 *   swapcheck: wrote N pages
 *   swapcheck: after write current C swap S     (bytes; with CGROUP_DIR)
 *   swapcheck: holding                          (with --hold)
 *   swapcheck: verified N pages, B bad
 *   swapcheck: max memory.current K kB          (with CGROUP_DIR)
 *
 * and exits 0 only if no byte was wrong. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096UL

static const char *cgroup_dir;
static long max_current;

/* The number in the cgroup file `name`, -1 if it cannot be read. */
static long read_cg(const char *name)
{
	char path[512], buf[64];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof path, "%s/%s", cgroup_dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof buf, f))
		v = atol(buf);
	fclose(f);
	return v;
}

static void sample_current(void)
{
	long v;

	if (!cgroup_dir)
		return;
	v = read_cg("memory.current");
	if (v > max_current)
		max_current = v;
}

/* The word at index `w` of page `p`. */
static uint64_t pattern(uint64_t p, uint64_t w)
{
	uint64_t x = p * 0x9e3779b97f4a7c15ULL ^ (w + 1) * 0xc2b2ae3d27d4eb4fULL;
	return x ^ (x >> 29);
}

static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	unsigned long pages, p, w, bad = 0;
	int hold = 0;
	sigset_t block, old;
	uint64_t *mem;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "--hold") == 0) {
		hold = 1;
		argv++;
		argc--;
	}
	if (argc < 2 || argc > 3 || atol(argv[1]) <= 0) {
		fprintf(stderr, "usage: swapcheck [--hold] SIZE_MIB [CGROUP_DIR]\n");
		return 2;
	}
	pages = (unsigned long)atol(argv[1]) * (1024 * 1024 / PAGE);
	if (argc == 3)
		cgroup_dir = argv[2];
	if (hold) {
		/* Blocked from the start, so a SIGUSR1 sent as soon as
		 * "holding" is printed cannot be lost. */
		signal(SIGUSR1, on_usr1);
		sigemptyset(&block);
		sigaddset(&block, SIGUSR1);
		sigprocmask(SIG_BLOCK, &block, &old);
	}
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("swapcheck: mmap");
		return 1;
	}
	for (p = 0; p < pages; p++) {
		uint64_t *page = mem + p * (PAGE / 8);
		for (w = 0; w < PAGE / 8; w++)
			page[w] = pattern(p, w);
		if (p % 256 == 0)
			sample_current();
	}
	printf("swapcheck: wrote %lu pages\n", pages);
	if (cgroup_dir) {
		sample_current();
		printf("swapcheck: after write current %ld swap %ld\n", read_cg("memory.current"),
		       read_cg("memory.swap.current"));
	}
	if (hold) {
		printf("swapcheck: holding\n");
		sigsuspend(&old);
	}
	for (p = 0; p < pages; p++) {
		uint64_t *page = mem + p * (PAGE / 8);
		for (w = 0; w < PAGE / 8; w++)
			if (page[w] != pattern(p, w)) {
				bad++;
				break;
			}
		if (p % 256 == 0)
			sample_current();
	}
	printf("swapcheck: verified %lu pages, %lu bad\n", pages, bad);
	if (cgroup_dir)
		printf("swapcheck: max memory.current %ld kB\n", max_current / 1024);
	return bad ? 1 : 0;
}
