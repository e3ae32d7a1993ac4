/* Shared mappings of tmpfs files and of shared anonymous memory:
 * writes through a mapping are the file's at once (read(2), pwrite(2),
 * other mappings, fork children), holes get pages on fault, truncation
 * unmaps what lies past the new end (SIGBUS after), O_RDONLY and
 * O_WRONLY descriptors and mprotect's VM_MAYWRITE, MAP_SHARED|
 * MAP_ANONYMOUS across fork with its /proc/PID/maps line and RssShmem,
 * msync's errors.
 *
 * usage: shmap DIR -- DIR must not exist; its parent must be on a tmpfs
 * (Linux: /dev/shm; tinymm: /tmp). The program makes it, works in it and
 * removes it.
 *
 * Helpers for scenario scripts:
 *   shmap hold BYTES         maps BYTES of MAP_SHARED|MAP_ANONYMOUS
 *                            memory, writes every page, prints
 *                            "hold: ready" and sleeps until killed
 *   shmap sigbus FILE PAGES  makes FILE PAGES pages long, maps it shared
 *                            and writes each page: "sigbus: page N" for
 *                            the first page that raised SIGBUS, or
 *                            "sigbus: none" */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096L
#define ERR(call) ((call) < 0 ? errno : 0)

static sigjmp_buf probe_env;
static volatile void *fault_addr;
static volatile int fault_code;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(probe_env, sig);
}

static void catch_faults(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* The signal an access to *p raises (0 if none): a read, or a write of
 * `v` when `write`. */
static int probe(volatile char *p, int write, char v)
{
	int sig = sigsetjmp(probe_env, 1);
	if (sig)
		return sig;
	if (write)
		*p = v;
	else
		(void)*p;
	return 0;
}

/* The /proc/self/maps line of the mapping at `addr`, or "". */
static const char *maps_line(void *addr)
{
	static char line[512];
	char want[32];
	snprintf(want, sizeof want, "%lx-", (unsigned long)addr);
	FILE *f = fopen("/proc/self/maps", "r");
	if (f) {
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, want, strlen(want))) {
				fclose(f);
				line[strcspn(line, "\n")] = 0;
				return line;
			}
		fclose(f);
	}
	line[0] = 0;
	return line;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && !strcmp(s + a - b, tail);
}

static long blocks_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? -1 : (long)st.st_blocks;
}

static void check_file_mapping(void)
{
	char buf[64];
	int fd = open("f", O_CREAT | O_RDWR, 0644);
	check(fd >= 0 && ftruncate(fd, 3 * PAGE) == 0, "file_three_pages");
	check(blocks_of(fd) == 0, "file_starts_as_a_hole");
	char *m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "mmap_shared_writable");
	if (m == MAP_FAILED)
		return;
	check(m[PAGE] == 0, "hole_reads_zero_through_mapping");
	check(blocks_of(fd) == 8, "fault_on_hole_allocates_a_page");
	memcpy(m + 10, "through the map", 15);
	check(pread(fd, buf, 15, 10) == 15 && !memcmp(buf, "through the map", 15),
	      "mapped_write_seen_by_read");
	check(blocks_of(fd) == 16, "write_fault_allocates_a_page");
	struct stat st;
	fstat(fd, &st);
	check(st.st_size == 3 * PAGE, "mapped_write_keeps_size");
	check(pwrite(fd, "by pwrite", 9, 2 * PAGE + 5) == 9 &&
		      !memcmp(m + 2 * PAGE + 5, "by pwrite", 9),
	      "pwrite_seen_through_mapping");
	char *m2 = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PAGE);
	check(m2 != MAP_FAILED && !memcmp(m2 + PAGE + 5, "by pwrite", 9),
	      "second_mapping_same_pages");
	m2[100] = 'Q';
	check(m[PAGE + 100] == 'Q', "second_mapping_write_seen_by_first");
	munmap(m2, 2 * PAGE);

	pid_t pid = fork();
	if (pid == 0) {
		memcpy(m + 2 * PAGE, "child", 5);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	check(!memcmp(m + 2 * PAGE, "child", 5), "fork_child_write_seen");

	check(mprotect(m, 3 * PAGE, PROT_READ) == 0 && probe(m + 10, 1, 'x') == SIGSEGV,
	      "mprotect_read_only_write_segv");
	check(mprotect(m, 3 * PAGE, PROT_READ | PROT_WRITE) == 0 &&
		      probe(m + 10, 1, 'T') == 0 && pread(fd, buf, 1, 10) == 1 &&
		      buf[0] == 'T',
	      "mprotect_back_writable_writes_file");

	/* Truncation unmaps past the new end: the page the end falls in
	 * stays, its tail zeroed; past it SIGBUS with the address. */
	m[PAGE + 50] = 'k';
	m[PAGE + 300] = 'z';
	check(ftruncate(fd, PAGE + 100) == 0, "ftruncate_shrink_mapped");
	check(m[PAGE + 50] == 'k' && m[PAGE + 300] == 0, "truncate_zeroes_tail_of_last_page");
	check(probe(m + 2 * PAGE, 0, 0) == SIGBUS && fault_addr == m + 2 * PAGE &&
		      fault_code == BUS_ADRERR,
	      "past_eof_read_sigbus");
	check(probe(m + 2 * PAGE + 8, 1, 'w') == SIGBUS, "past_eof_write_sigbus");
	check(blocks_of(fd) == 16, "truncate_freed_the_page");
	check(ftruncate(fd, 3 * PAGE) == 0 && probe(m + 2 * PAGE, 0, 0) == 0 &&
		      m[2 * PAGE] == 0,
	      "regrown_file_maps_a_zero_page");
	munmap(m, 3 * PAGE);

	/* A mapping longer than the file. */
	check(ftruncate(fd, 100) == 0, "file_one_partial_page");
	m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED && probe(m + 200, 1, 'a') == 0 &&
		      probe(m + PAGE, 0, 0) == SIGBUS,
	      "mapping_past_eof_sigbus");
	munmap(m, 2 * PAGE);
	close(fd);

	/* The file's access mode limits what a shared mapping may do. */
	fd = open("f", O_RDONLY);
	check(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
		      errno == EACCES,
	      "rdonly_fd_shared_write_eacces");
	m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED && m[10] == 'T', "rdonly_fd_shared_read");
	check(ERR(mprotect(m, PAGE, PROT_READ | PROT_WRITE)) == EACCES,
	      "rdonly_fd_mprotect_write_eacces");
	check(strstr(maps_line(m), " r--s ") != NULL, "rdonly_fd_maps_shared");
	munmap(m, PAGE);
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check(m != MAP_FAILED && probe(m + 10, 1, 'P') == 0 && pread(fd, buf, 1, 10) == 1 &&
		      buf[0] == 'T',
	      "rdonly_fd_private_write_stays_private");
	munmap(m, PAGE);
	close(fd);
	fd = open("f", O_WRONLY);
	check(mmap(NULL, PAGE, PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES,
	      "wronly_fd_mmap_eacces");
	close(fd);

	/* Unlinked while mapped: the pages live on with the mapping. */
	fd = open("f", O_RDWR);
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	unlink("f");
	m[1] = 'u';
	check(m[10] == 'T' && m[1] == 'u', "unlinked_file_mapping_lives");
	munmap(m, PAGE);
}

static void check_readonly_file(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	check(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
		      errno == EACCES,
	      "program_file_shared_write_eacces");
	char *m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED && !memcmp(m, "\177ELF", 4), "program_file_shared_read");
	check(ERR(mprotect(m, PAGE, PROT_WRITE)) == EACCES, "program_file_mprotect_eacces");
	munmap(m, PAGE);
	close(fd);
}

static void check_shared_anonymous(void)
{
	long shmem0 = status_kb("RssShmem"), anon0 = status_kb("RssAnon");
	char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	check(m != MAP_FAILED, "mmap_shared_anonymous");
	if (m == MAP_FAILED)
		return;
	const char *line = maps_line(m);
	check(strstr(line, " rw-s 00000000 ") && ends_with(line, " /dev/zero (deleted)"),
	      "shared_anonymous_maps_line");
	int zero = 1;
	for (long i = 0; i < 4 * PAGE; i += 512)
		zero &= m[i] == 0;
	check(zero, "shared_anonymous_reads_zero");
	for (long i = 0; i < 4; i++)
		m[i * PAGE] = 'a' + i;
	checkf(status_kb("RssShmem") - shmem0 == 16, "shared_anonymous_rss_shmem",
	       "%ld -> %ld", shmem0, status_kb("RssShmem"));
	check(status_kb("RssAnon") == anon0, "shared_anonymous_not_rss_anon");

	int to_child[2], to_parent[2];
	char c;
	if (pipe(to_child) || pipe(to_parent))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		m[1] = 'c';
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(3);
		_exit(m[PAGE + 1] == 'p' && m[3 * PAGE] == 'd' ? 0 : 1);
	}
	check(read(to_parent[0], &c, 1) == 1 && m[1] == 'c', "child_write_seen_by_parent");
	m[PAGE + 1] = 'p';
	check(write(to_child[1], "x", 1) == 1, "parent_wrote");
	int status = 0;
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "parent_write_seen_by_child");
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);

	check(probe(m + 4 * PAGE - 1, 1, 'e') == 0, "shared_anonymous_last_byte");
	check(munmap(m, 4 * PAGE) == 0 && status_kb("RssShmem") == shmem0,
	      "munmap_returns_rss_shmem");

	m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	checkf(m != MAP_FAILED && status_kb("RssShmem") - shmem0 == 32,
	       "shared_anonymous_populate", "%ld", status_kb("RssShmem") - shmem0);
	munmap(m, 8 * PAGE);
	/* An offset is ignored: the memory is its own from the start. */
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 5 * PAGE);
	check(m != MAP_FAILED && strstr(maps_line(m), " rw-s 00000000 "),
	      "shared_anonymous_offset_ignored");
	munmap(m, PAGE);
}

static void check_msync(void)
{
	int fd = open("s", O_CREAT | O_RDWR, 0644);
	if (ftruncate(fd, 4 * PAGE))
		return;
	char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	m[0] = 's';
	check(msync(m, 4 * PAGE, MS_SYNC) == 0, "msync_sync");
	check(msync(m, PAGE, MS_ASYNC) == 0, "msync_async");
	check(msync(m, 100, MS_INVALIDATE) == 0, "msync_invalidate");
	check(msync(m, 0, MS_SYNC) == 0, "msync_zero_length");
	check(ERR(msync(m, PAGE, MS_SYNC | MS_ASYNC)) == EINVAL, "msync_sync_async_einval");
	check(ERR(msync(m, PAGE, 8)) == EINVAL, "msync_bad_flag_einval");
	check(ERR(msync(m + 1, PAGE, MS_SYNC)) == EINVAL, "msync_unaligned_einval");
	check(ERR(msync(m, -PAGE, MS_SYNC)) == ENOMEM, "msync_wrapping_enomem");
	munmap(m + 2 * PAGE, PAGE);
	check(ERR(msync(m, 4 * PAGE, MS_SYNC)) == ENOMEM, "msync_hole_enomem");
	check(ERR(msync(m + 2 * PAGE, 2 * PAGE, MS_ASYNC)) == ENOMEM,
	      "msync_async_hole_first_enomem");
	check(ERR(msync(m + 2 * PAGE, PAGE, 0)) == ENOMEM, "msync_unmapped_enomem");
	char *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(msync(a, PAGE, MS_SYNC) == 0, "msync_anonymous");
	check(mlock(a, PAGE) == 0 && ERR(msync(a, PAGE, MS_INVALIDATE)) == EBUSY &&
		      msync(a, PAGE, MS_SYNC) == 0,
	      "msync_invalidate_locked_ebusy");
	munmap(a, PAGE);
	munmap(m, 4 * PAGE);
	close(fd);
	unlink("s");
}

/* `shmap hold BYTES` */
static int hold(long bytes)
{
	char *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		printf("hold: errno %d\n", errno);
		return 1;
	}
	for (long i = 0; i < bytes; i += PAGE)
		m[i] = 1;
	printf("hold: ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

/* `shmap sigbus FILE PAGES` */
static int sigbus(const char *file, long pages)
{
	int fd = open(file, O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, pages * PAGE)) {
		printf("sigbus: errno %d\n", errno);
		return 1;
	}
	char *m = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		printf("sigbus: errno %d\n", errno);
		return 1;
	}
	catch_faults();
	for (long i = 0; i < pages; i++)
		if (probe(m + i * PAGE, 1, 1) == SIGBUS) {
			printf("sigbus: page %ld\n", i);
			return 0;
		}
	printf("sigbus: none\n");
	return 0;
}

int main(int argc, char **argv)
{
	checks_begin();
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(atol(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "sigbus"))
		return sigbus(argv[2], atol(argv[3]));
	if (argc != 2) {
		printf("usage: shmap DIR\n");
		return 2;
	}
	catch_faults();
	check(mkdir(argv[1], 0755) == 0 && chdir(argv[1]) == 0, "work_dir");
	check_file_mapping();
	check_readonly_file();
	check_shared_anonymous();
	check_msync();
	check(chdir("/") == 0 && rmdir(argv[1]) == 0, "work_dir_removed");
	return checks_end();
}
