/* swappeak CGROUP_DIR: Linux's test_memcg_swap_max_peak
 * (tools/testing/selftests/cgroup/test_memcontrol.c) on the fresh memory
 * cgroup CGROUP_DIR, with the memory.peak and memory.swap.peak
 * descriptors kept open across the workloads as the selftest keeps them.
 * Every check prints one line, `swappeak: NAME ok` or `swappeak: NAME
 * FAIL (value V)`, then `swappeak: N failed`; exits 0 only if none
 * failed. Needs swap on. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB(x) ((long)(x) << 20)

static const char *cg;
static int failed;

static void check(const char *name, int ok, long value)
{
	if (ok)
		printf("swappeak: %s ok\n", name);
	else
		printf("swappeak: %s FAIL (value %ld)\n", name, value);
	failed += !ok;
}

static long read_fd(int fd)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	return atol(buf);
}

static int open_cg(const char *file, int flags)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", cg, file);
	return open(path, flags);
}

/* cg_read_long */
static long read_long(const char *file)
{
	int fd = open_cg(file, O_RDONLY);
	long v;

	if (fd < 0)
		return -errno;
	v = read_fd(fd);
	close(fd);
	return v;
}

/* cg_read_key_long: the number after the first occurrence of `key`. */
static long read_key(const char *file, const char *key)
{
	char buf[4096];
	int fd = open_cg(file, O_RDONLY);
	ssize_t n;
	char *at;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	at = strstr(buf, key);
	return at ? atol(at + strlen(key)) : -1;
}

/* cg_read_strcmp */
static int read_is(const char *file, const char *want)
{
	char buf[64];
	int fd = open_cg(file, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = 0;
	return strcmp(buf, want) == 0;
}

/* cg_write: strlen bytes, O_WRONLY|O_APPEND; 0 on a whole write. */
static int write_cg(const char *file, const char *text)
{
	int fd = open_cg(file, O_WRONLY | O_APPEND);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int values_close(long a, long b, int err)
{
	return labs(a - b) <= (a + b) / 100 * err;
}

/* volatile: the compiler may drop stores to memory freed unread. */
static int alloc_anon(long size)
{
	volatile char *buf = malloc(size);
	long i;

	if (!buf)
		return -1;
	for (i = 0; i < size; i += 4096)
		buf[i] = 0;
	free((char *)buf);
	return 0;
}

static int alloc_anon_50M_check_swap(long mem_max)
{
	long size = MB(50), mem_current, swap_current = 0;
	volatile char *buf = malloc(size);
	int ret = -1;
	long i;

	if (!buf)
		return -1;
	for (i = 0; i < size; i += 4096)
		buf[i] = 0;
	mem_current = read_long("memory.current");
	if (!mem_current || !values_close(mem_current, mem_max, 3))
		goto out;
	swap_current = read_long("memory.swap.current");
	if (!swap_current || !values_close(mem_current + swap_current, size, 3))
		goto out;
	ret = 0;
out:
	if (ret)
		printf("swappeak: 50M: current %ld swap %ld\n", mem_current, swap_current);
	free((char *)buf);
	return ret;
}

/* cg_run: the child joins the cgroup and exits with fn's result; -1
 * when it did not exit normally. */
static int cg_run(int (*fn)(long), long arg)
{
	char pid[32];
	int status;
	pid_t child = fork();

	if (child < 0)
		return -1;
	if (child == 0) {
		snprintf(pid, sizeof pid, "%d", getpid());
		if (write_cg("cgroup.procs", pid))
			exit(2);
		exit(fn(arg) ? 1 : 0);
	}
	if (waitpid(child, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
	static const char reset[] = "foobarbaz";
	int swap_fd, mem_fd, run;
	long v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: swappeak CGROUP_DIR\n");
		return 2;
	}
	cg = argv[1];
	v = read_long("memory.swap.current");
	check("fresh_swap_current_0", v == 0, v);

	/* 1 */
	swap_fd = open_cg("memory.swap.peak", O_RDWR | O_APPEND | O_CLOEXEC);
	mem_fd = open_cg("memory.peak", O_RDWR | O_APPEND | O_CLOEXEC);
	check("open_fds", swap_fd >= 0 && mem_fd >= 0, -errno);
	v = read_long("memory.swap.peak");
	check("swap_peak_0", v == 0, v);
	v = read_fd(swap_fd);
	check("swap_fd_0", v == 0, v);
	/* 2 */
	v = write(swap_fd, reset, sizeof reset);
	check("swap_fd_reset_10", v == sizeof reset, v);
	v = read_fd(swap_fd);
	check("swap_fd_0_after_reset", v == 0, v);
	v = read_long("memory.peak");
	check("mem_peak_0", v == 0, v);
	v = read_fd(mem_fd);
	check("mem_fd_0", v == 0, v);
	v = write(mem_fd, reset, sizeof reset);
	check("mem_fd_reset_10", v == sizeof reset, v);
	v = read_fd(mem_fd);
	check("mem_fd_0_after_reset", v == 0, v);
	/* 3 */
	check("max_is_max", read_is("memory.max", "max\n"), 0);
	check("swap_max_is_max", read_is("memory.swap.max", "max\n"), 0);
	check("set_swap_max_30M", write_cg("memory.swap.max", "30M") == 0, 0);
	check("set_max_30M", write_cg("memory.max", "30M") == 0, 0);
	/* 4: 100M through 30M of memory and 30M of swap is OOM-killed. */
	run = cg_run(alloc_anon, MB(100));
	check("alloc_100M_fails", run != 0, run);
	v = read_key("memory.events", "oom ");
	check("oom_1", v == 1, v);
	v = read_key("memory.events", "oom_kill ");
	check("oom_kill_1", v == 1, v);
	/* 5 */
	v = read_long("memory.peak");
	check("mem_peak_ge_29M", v >= MB(29), v);
	v = read_long("memory.swap.peak");
	check("swap_peak_ge_29M", v >= MB(29), v);
	v = read_fd(mem_fd);
	check("mem_fd_ge_29M", v >= MB(29), v);
	v = read_fd(swap_fd);
	check("swap_fd_ge_29M", v >= MB(29), v);
	/* 6 */
	check("reset_swap_peak_new_fd", write_cg("memory.swap.peak", reset) == 0, 0);
	check("reset_mem_peak_new_fd", write_cg("memory.peak", reset) == 0, 0);
	/* 7 */
	v = write(swap_fd, reset, sizeof reset);
	check("swap_fd_reset_again_10", v == sizeof reset, v);
	v = write(mem_fd, reset, sizeof reset);
	check("mem_fd_reset_again_10", v == sizeof reset, v);
	v = read_fd(swap_fd);
	check("swap_fd_le_10M", v <= MB(10), v);
	v = read_fd(mem_fd);
	check("mem_fd_le_1M", v <= MB(1), v);
	v = read_long("memory.peak");
	check("mem_peak_still_ge_29M", v >= MB(29), v);
	v = read_long("memory.swap.peak");
	check("swap_peak_still_ge_29M", v >= MB(29), v);
	/* 8 */
	run = cg_run(alloc_anon_50M_check_swap, MB(30));
	check("alloc_50M_check_swap", run == 0, run);
	/* 9 */
	v = read_key("memory.events", "max ");
	check("events_max_gt_0", v > 0, v);
	v = read_long("memory.peak");
	check("mem_peak_ge_29M_end", v >= MB(29), v);
	v = read_long("memory.swap.peak");
	check("swap_peak_ge_29M_end", v >= MB(29), v);
	v = read_fd(mem_fd);
	check("mem_fd_ge_29M_end", v >= MB(29), v);
	v = read_fd(swap_fd);
	check("swap_fd_ge_19M_end", v >= MB(19), v);
	/* 10 */
	check("close_fds", close(swap_fd) == 0 && close(mem_fd) == 0, 0);
	printf("swappeak: %d failed\n", failed);
	return failed != 0;
}
