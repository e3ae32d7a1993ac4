/* mremap(2): shrinking and growing in place, moves (MREMAP_MAYMOVE,
 * MREMAP_FIXED, MREMAP_DONTUNMAP) of anonymous, private file, shared
 * file and shared anonymous mappings that carry the pages (no fault and
 * no new page after a move), fork after a move, glibc's realloc, and
 * Linux's EINVAL, EFAULT and ENOMEM cases.
 *
 * usage: mremap DIR -- DIR must not exist; its parent must be on a
 * tmpfs (Linux: /dev/shm; tinymm: /tmp). The program makes it, works in
 * it and removes it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096L
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

static sigjmp_buf probe_env;

static void on_fault(int sig)
{
	siglongjmp(probe_env, sig);
}

/* The signal a read of *p raises, 0 if none. */
static int probe(volatile char *p)
{
	int sig = sigsetjmp(probe_env, 1);
	if (sig)
		return sig;
	(void)*p;
	return 0;
}

static long minflt(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static char *anon(long pages)
{
	return mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
}

/* `pages` pages of memory and, right after them, a PROT_NONE page of
 * our own that blocks growing in place. */
static char *blocked(long pages)
{
	char *p = mmap(NULL, (pages + 1) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return mmap(p, pages * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void fill(char *p, long pages, char base)
{
	for (long i = 0; i < pages; i++)
		memset(p + i * PAGE, base + i, PAGE);
}

/* Are `pages` pages at p filled as fill() left them? */
static int filled(const char *p, long pages, char base)
{
	for (long i = 0; i < pages; i++)
		for (long j = 0; j < PAGE; j += 256)
			if (p[i * PAGE + j] != (char)(base + i))
				return 0;
	return 1;
}

static int is_unmapped(void *p)
{
	return msync(p, PAGE, MS_ASYNC) < 0 && errno == ENOMEM;
}

/* errno of a call expected to fail with MAP_FAILED, else 0. */
#define MERR(call) ((call) == MAP_FAILED ? errno : 0)

static void check_in_place(void)
{
	char *p = blocked(8);
	fill(p, 8, 'a');
	check(mremap(p, 8 * PAGE, 4 * PAGE, 0) == p && filled(p, 4, 'a'), "shrink_in_place");
	check(probe(p + 4 * PAGE) == SIGSEGV, "shrunk_tail_unmapped");
	long anon0 = status_kb("RssAnon");
	check(mremap(p, 4 * PAGE, 8 * PAGE, 0) == p, "grow_in_place");
	check(filled(p, 4, 'a') && p[5 * PAGE] == 0 && p[8 * PAGE - 1] == 0,
	      "grown_part_is_new_zero_memory");
	p[6 * PAGE] = 1;
	check(status_kb("RssAnon") - anon0 == 4, "grown_part_faults_in");
	check(mremap(p, 8 * PAGE, 8 * PAGE, 0) == p, "same_size_is_a_no_op");
	/* Not to the end of the VMA: cannot grow in place. */
	check(MERR(mremap(p, 2 * PAGE, 3 * PAGE, 0)) == ENOMEM, "grow_inside_vma_enomem");
	/* A neighbour in the way. */
	check(MERR(mremap(p, 8 * PAGE, 9 * PAGE, 0)) == ENOMEM, "grow_blocked_enomem");
	munmap(p, 9 * PAGE);
}

static void check_moves(void)
{
	char *p = blocked(4);
	fill(p, 4, 'm');
	char *blocker = p + 4 * PAGE;
	mprotect(blocker, PAGE, PROT_READ);
	long anon0 = status_kb("RssAnon");
	char *n = mremap(p, 4 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	check(n != MAP_FAILED && n != p, "maymove_moves_when_blocked");
	long f0 = minflt();
	int same = filled(n, 4, 'm');
	long faults = minflt() - f0;
	check(same, "moved_data_kept");
	checkf(faults == 0, "moved_pages_need_no_fault", "%ld faults", faults);
	check(status_kb("RssAnon") == anon0, "move_copies_no_page");
	check(is_unmapped(p) && is_unmapped(p + 3 * PAGE), "old_range_unmapped");
	check(blocker[0] == 0 && !is_unmapped(blocker), "blocker_untouched");
	munmap(blocker, PAGE);

	/* A fork child gets the moved pages copy-on-write. */
	pid_t pid = fork();
	if (pid == 0) {
		int ok = filled(n, 4, 'm');
		n[0] = 'C';
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0 && n[0] == 'm',
	      "fork_after_move");
	n[1] = 'W';
	check(n[1] == 'W' && n[2] == 'm', "write_after_fork_after_move");

	/* MREMAP_FIXED: to a chosen address, replacing what is there. */
	char *target = anon(12);
	fill(target, 6, 'T');
	char *f = mremap(n, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target + PAGE);
	check(f == target + PAGE, "fixed_moves_to_address");
	check(f[0] == 'm' && f[1] == 'W' && f[PAGE] == 'm' + 1 && f[3 * PAGE] == 'm' + 3, "fixed_data_kept");
	check(target[0] == 'T' && target[5 * PAGE] == 'T' + 5, "fixed_keeps_neighbours");
	check(is_unmapped(n), "fixed_old_unmapped");
	check(MERR(mremap(f, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, f + PAGE / 2)) ==
		      EINVAL,
	      "fixed_unaligned_einval");
	check(MERR(mremap(f, 2 * PAGE, 2 * PAGE, MREMAP_FIXED, target)) == EINVAL,
	      "fixed_without_maymove_einval");
	check(MERR(mremap(f, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, f + PAGE)) ==
		      EINVAL,
	      "fixed_overlap_einval");
	/* Shrinking while moving: the tail goes, the rest moves. */
	char *s = mremap(f, 4 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target + 8 * PAGE);
	check(s == target + 8 * PAGE && s[PAGE] == 'm' + 1 && is_unmapped(f + 3 * PAGE),
	      "fixed_shrink_moves");
	munmap(target, 12 * PAGE);

	/* MREMAP_DONTUNMAP: the pages move, the old range stays mapped. */
	p = anon(3);
	fill(p, 3, 'd');
	n = mremap(p, 3 * PAGE, 3 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	check(n != MAP_FAILED && n != p && filled(n, 3, 'd'), "dontunmap_moves_pages");
	check(!is_unmapped(p) && p[0] == 0 && p[2 * PAGE] == 0, "dontunmap_old_range_empty");
	check(MERR(mremap(n, 3 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL)) == EINVAL,
	      "dontunmap_resize_einval");
	check(MERR(mremap(n, 3 * PAGE, 3 * PAGE, MREMAP_DONTUNMAP, NULL)) == EINVAL,
	      "dontunmap_without_maymove_einval");
	munmap(p, 3 * PAGE);
	munmap(n, 3 * PAGE);
}

static void check_errors(void)
{
	char *p = anon(2);
	check(MERR(mremap(p + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE)) == EINVAL, "unaligned_einval");
	check(MERR(mremap(p, PAGE, 2 * PAGE, 8)) == EINVAL, "bad_flags_einval");
	check(MERR(mremap(p, PAGE, 0, MREMAP_MAYMOVE)) == EINVAL, "zero_new_len_einval");
	/* (musl's wrapper refuses it with ENOMEM itself.) */
	check(syscall(SYS_mremap, p, PAGE, -1L, MREMAP_MAYMOVE, 0) == -1 && errno == EINVAL,
	      "huge_new_len_einval");
	check(MERR(mremap(p, 0, PAGE, MREMAP_MAYMOVE)) == EINVAL, "private_duplicate_einval");
	check(MERR(mremap(p, 1L << 62, PAGE, 0)) == EINVAL, "shrink_past_user_space_einval");
	check(MERR(mremap(p, 1L << 62, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p + 8 * PAGE)) ==
		      EINVAL,
	      "fixed_overlap_past_user_space_einval");
	check(MERR(mremap(p, 3 * PAGE, 4 * PAGE, MREMAP_MAYMOVE)) == EFAULT,
	      "past_vma_end_efault");
	munmap(p, 2 * PAGE);
	check(MERR(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE)) == EFAULT, "unmapped_efault");
	check(MERR(mremap(NULL, PAGE, 2 * PAGE, 0)) == EFAULT, "null_efault");
}

static void check_files(void)
{
	int fd = open("f", O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, 8 * PAGE))
		return;
	char *m = mmap(blocked(2), 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	fill(m, 2, 's');
	char *b = m + 2 * PAGE;
	char *n = mremap(m, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	check(n != MAP_FAILED && n != m && filled(n, 2, 's') && n[3 * PAGE] == 0,
	      "shared_file_move_and_grow");
	memcpy(n + 3 * PAGE, "moved", 5);
	char buf[8] = {0};
	check(pread(fd, buf, 5, 3 * PAGE) == 5 && !strcmp(buf, "moved"),
	      "shared_file_moved_write_seen_by_read");
	munmap(b, PAGE);
	/* DONTUNMAP of a file mapping: the old range maps the file again. */
	char *d = mremap(n, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	check(d != MAP_FAILED && filled(d, 2, 's') && filled(n, 2, 's') && n[3 * PAGE] == 'm',
	      "shared_file_dontunmap_refaults_file");
	munmap(n, 4 * PAGE);
	munmap(d, 4 * PAGE);

	/* A private file mapping's copied page moves as it is. */
	m = mmap(blocked(2), 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
	m[0] = 'P';
	b = m + 2 * PAGE;
	n = mremap(m, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE);
	check(n != MAP_FAILED && n[0] == 'P' && n[PAGE] == 's' + 1 && n[2 * PAGE] == 0 &&
		      pread(fd, buf, 1, 0) == 1 && buf[0] == 's',
	      "private_file_move_keeps_copy");
	munmap(b, PAGE);
	munmap(n, 3 * PAGE);
	close(fd);
	unlink("f");

	/* Shared anonymous memory: old_len 0 duplicates the mapping; growing
	 * past the object's size leaves pages that raise SIGBUS. */
	char *a = mmap(blocked(2), 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	a[5] = 'x';
	char *dup = mremap(a, 0, 2 * PAGE, MREMAP_MAYMOVE);
	check(dup != MAP_FAILED && dup != a && dup[5] == 'x', "shared_duplicate");
	dup[PAGE] = 'y';
	check(a[PAGE] == 'y', "shared_duplicate_same_memory");
	munmap(dup, 2 * PAGE);
	b = a + 2 * PAGE;
	n = mremap(a, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	check(n != MAP_FAILED && n[5] == 'x' && n[PAGE] == 'y', "shared_anonymous_moves");
	check(probe(n + 2 * PAGE) == SIGBUS, "shared_anonymous_grown_past_size_sigbus");
	munmap(b, PAGE);
	munmap(n, 4 * PAGE);
}

static void check_locked_and_realloc(void)
{
	char *p = blocked(2);
	long lck0 = status_kb("VmLck");
	check(mlock(p, 2 * PAGE) == 0 && status_kb("VmLck") - lck0 == 8, "mlocked");
	char *b = p + 2 * PAGE;
	long anon0 = status_kb("RssAnon");
	char *n = mremap(p, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	check(n != MAP_FAILED && status_kb("VmLck") - lck0 == 16, "mlocked_move_grows_vmlck");
	check(status_kb("RssAnon") - anon0 == 8, "mlocked_grown_part_populated");
	munmap(b, PAGE);
	munmap(n, 4 * PAGE);
	check(status_kb("VmLck") == lck0, "munmap_returns_vmlck");

	/* glibc's realloc of an mmapped chunk uses mremap. */
	long size = 1L << 20;
	char *r = malloc(size);
	memset(r, 'r', size);
	r = realloc(r, 4 * size);
	int ok = r != NULL;
	for (long i = 0; ok && i < size; i += PAGE)
		ok = r[i] == 'r';
	memset(r + size, 's', 3 * size);
	r = realloc(r, size / 2);
	ok &= r && r[0] == 'r' && r[size / 2 - 1] == 'r';
	check(ok, "realloc_large_keeps_data");
	free(r);
}

static void warm_stack(void)
{
	volatile char buf[64 * 1024];
	for (size_t i = 0; i < sizeof buf; i += 512)
		buf[i] = 0;
}

int main(int argc, char **argv)
{
	checks_begin();
	if (argc != 2) {
		printf("usage: mremap DIR\n");
		return 2;
	}
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	check(mkdir(argv[1], 0755) == 0 && chdir(argv[1]) == 0, "work_dir");
	/* Signal frames deepen the stack (Linux's with their XSAVE area) and
	 * reading /proc grows the heap: their pages are anonymous memory, so
	 * they come before the baseline. */
	warm_stack();
	char *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(probe(none) == SIGSEGV && munmap(none, PAGE) == 0, "prot_none_segv");
	status_kb("RssAnon");
	long anon0 = status_kb("RssAnon");
	check_in_place();
	check_moves();
	check_errors();
	check_files();
	check_locked_and_realloc();
	checkf(status_kb("RssAnon") == anon0, "rss_anon_back", "%ld -> %ld", anon0,
	       status_kb("RssAnon"));
	check(chdir("/") == 0 && rmdir(argv[1]) == 0, "work_dir_removed");
	return checks_end();
}
