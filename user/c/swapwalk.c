/* swapwalk SIZE_MIB: swap entries wherever page tables are walked. Run
 * in a memcg whose memory.max is well below SIZE_MIB, with swap on. It
 * writes SIZE_MIB of private anonymous memory (every word a function of
 * its page and index), so that most of it goes to swap, then:
 *
 *   mprotect  the region read-only: swap entries stay, and read faults
 *             bring back every page (read-only); then read-write again;
 *   fork      the child shares every swap slot: its smaps_rollup shows
 *             SwapPss below Swap; it checks every byte, writes its own
 *             words over the first half (copy on write of swapped
 *             pages) and exits; the parent then checks that its own
 *             bytes are unchanged;
 *   mremap    the region moves to a new address, swap entries with it,
 *             and every byte is still right there;
 *   munmap    of the first half: VmSwap (/proc/self/status) falls.
 *
 * Swap of the region itself is read from its /proc/self/smaps entry.
 *
 * Prints one line per step with facts that are the same on Linux and
 * tinymm, and exits 0 only if every check held. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL

static int failed;

static uint64_t pattern(uint64_t p, uint64_t w, uint64_t salt)
{
	uint64_t x = (p + salt) * 0x9e3779b97f4a7c15ULL ^ (w + 1) * 0xc2b2ae3d27d4eb4fULL;
	return x ^ (x >> 29);
}

static void fill(uint64_t *mem, unsigned long from, unsigned long to, uint64_t salt)
{
	for (unsigned long p = from; p < to; p++)
		for (unsigned long w = 0; w < PAGE / 8; w++)
			mem[p * (PAGE / 8) + w] = pattern(p, w, salt);
}

/* Pages in [from, to) whose words are not those of `salt`. */
static unsigned long bad_pages(const uint64_t *mem, unsigned long from, unsigned long to,
			       uint64_t salt)
{
	unsigned long bad = 0;

	for (unsigned long p = from; p < to; p++)
		for (unsigned long w = 0; w < PAGE / 8; w++)
			if (mem[p * (PAGE / 8) + w] != pattern(p, w, salt)) {
				bad++;
				break;
			}
	return bad;
}

/* The kB number of the line starting with `key` in `file`, -1 if none. */
static long kb_field(const char *file, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0) {
			v = atol(line + strlen(key));
			break;
		}
	fclose(f);
	return v;
}

/* The Swap: kB of the mapping starting at `start` in /proc/self/smaps,
 * -1 if there is none. Unlike VmSwap it counts only pages nothing but
 * this program's checks touch. */
static long region_swap(const void *start)
{
	char line[256], head[32];
	long v = -1;
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(head, sizeof head, "%lx-", (unsigned long)start);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, head, strlen(head)) == 0)
			in = 1;
		else if (in && strncmp(line, "Swap:", 5) == 0) {
			v = atol(line + 5);
			break;
		}
	}
	fclose(f);
	return v;
}

static void check(const char *what, int ok)
{
	printf("swapwalk: %s: %s\n", what, ok ? "ok" : "FAIL");
	failed += !ok;
}

int main(int argc, char **argv)
{
	unsigned long pages, half;
	uint64_t *mem, *moved;
	long swap_before, swap_after;
	int status;
	pid_t child;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || atol(argv[1]) <= 0) {
		fprintf(stderr, "usage: swapwalk SIZE_MIB\n");
		return 2;
	}
	pages = (unsigned long)atol(argv[1]) * (1024 * 1024 / PAGE);
	half = pages / 2;
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("swapwalk: mmap");
		return 1;
	}
	fill(mem, 0, pages, 0);
	swap_before = region_swap(mem);
	check("most pages in swap after the write",
	      swap_before > (long)(pages * PAGE / 1024 / 2));

	if (mprotect(mem, pages * PAGE, PROT_READ) != 0)
		perror("swapwalk: mprotect");
	/* More may go out meanwhile; none may come back untouched. */
	check("swap entries kept by mprotect", region_swap(mem) >= swap_before);
	check("read-only pages come back from swap", bad_pages(mem, 0, pages, 0) == 0);
	if (mprotect(mem, pages * PAGE, PROT_READ | PROT_WRITE) != 0)
		perror("swapwalk: mprotect");
	/* Push it out again before the fork: the parent writes it anew. */
	fill(mem, 0, pages, 0);

	child = fork();
	if (child == 0) {
		long swap = kb_field("/proc/self/smaps_rollup", "Swap:");
		long swappss = kb_field("/proc/self/smaps_rollup", "SwapPss:");

		failed = 0;
		check("child shares the parent's swap slots", swap > 0 && swappss < swap);
		check("child reads the parent's bytes", bad_pages(mem, 0, pages, 0) == 0);
		fill(mem, 0, half, 1);
		check("child's copies are its own", bad_pages(mem, 0, half, 1) == 0);
		_exit(failed != 0);
	}
	waitpid(child, &status, 0);
	check("child exited 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check("parent's bytes unchanged by the child", bad_pages(mem, 0, pages, 0) == 0);

	/* A place of our own to move to. */
	moved = mmap(NULL, pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (moved != MAP_FAILED)
		moved = mremap(mem, pages * PAGE, pages * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, moved);
	if (moved == MAP_FAILED) {
		perror("swapwalk: mremap");
		return 1;
	}
	check("mremap moved the region", moved != mem);
	check("moved pages come back from swap", bad_pages(moved, 0, pages, 0) == 0);

	fill(moved, 0, pages, 0);
	swap_before = kb_field("/proc/self/status", "VmSwap:");
	munmap(moved, half * PAGE);
	swap_after = kb_field("/proc/self/status", "VmSwap:");
	check("munmap frees swap entries", swap_after < swap_before);
	check("the mapping's smaps entry shows the rest's swap",
	      region_swap((char *)moved + half * PAGE) >= 0);
	check("the rest is intact", bad_pages(moved, half, pages, 0) == 0);
	printf("swapwalk: %d failed\n", failed);
	return failed != 0;
}
