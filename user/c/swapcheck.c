/* swapcheck SIZE_MIB [CGROUP_DIR]: writes SIZE_MIB of private anonymous
 * memory, every byte of it a function of its address, then reads all of
 * it back and checks every byte. With CGROUP_DIR, reads its
 * memory.current every 256 pages of both passes and reports the highest
 * value seen. Prints facts only (the same on Linux and on tinymm):
 *
 *   swapcheck: wrote N pages
 *   swapcheck: verified N pages, B bad
 *   swapcheck: max memory.current K kB      (with CGROUP_DIR)
 *
 * and exits 0 only if no byte was wrong. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096UL

static const char *current_path;
static long max_current;

static void sample_current(void)
{
	char buf[64];
	FILE *f;
	long v;

	if (!current_path)
		return;
	f = fopen(current_path, "r");
	if (!f)
		return;
	if (fgets(buf, sizeof buf, f)) {
		v = atol(buf);
		if (v > max_current)
			max_current = v;
	}
	fclose(f);
}

/* The word at index `w` of page `p`. */
static uint64_t pattern(uint64_t p, uint64_t w)
{
	uint64_t x = p * 0x9e3779b97f4a7c15ULL ^ (w + 1) * 0xc2b2ae3d27d4eb4fULL;
	return x ^ (x >> 29);
}

int main(int argc, char **argv)
{
	char path[512];
	unsigned long pages, p, w, bad = 0;
	uint64_t *mem;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argc > 3 || atol(argv[1]) <= 0) {
		fprintf(stderr, "usage: swapcheck SIZE_MIB [CGROUP_DIR]\n");
		return 2;
	}
	pages = (unsigned long)atol(argv[1]) * (1024 * 1024 / PAGE);
	if (argc == 3) {
		snprintf(path, sizeof path, "%s/memory.current", argv[2]);
		current_path = path;
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
	if (current_path)
		printf("swapcheck: max memory.current %ld kB\n", max_current / 1024);
	return bad ? 1 : 0;
}
