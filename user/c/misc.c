/* The small syscalls' shapes: uname, sysinfo, getrandom, rlimits, umask,
 * ids, clocks, nanosleep, prctl names, affinity, sessions and process
 * groups, and bad input: EFAULT, EBADF, EINVAL. Bad-input calls go
 * through syscall(2) so neither libc checks them first (or reaches them
 * through the vDSO, where a bad pointer would fault instead). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define BAD ((void *)8)

static void check_uname(void)
{
	struct utsname u;
	check(uname(&u) == 0, "uname_ok");
	check(strcmp(u.sysname, "Linux") == 0, "uname_sysname_linux");
	check(strcmp(u.machine, "x86_64") == 0, "uname_machine_x86_64");
	check(u.release[0] != 0, "uname_release_non_empty");
	check(u.version[0] != 0, "uname_version_non_empty");
}

static void check_sysinfo(void)
{
	struct sysinfo si;
	check(sysinfo(&si) == 0, "sysinfo_ok");
	check(si.mem_unit >= 1, "sysinfo_mem_unit");
	checkf(si.totalram > si.freeram && si.freeram > 0,
	       "sysinfo_totalram_gt_freeram_gt_0", "total %lu free %lu",
	       si.totalram, si.freeram);
	check(si.procs >= 1, "sysinfo_procs");
}

static void check_getrandom(void)
{
	unsigned char buf[16];
	memset(buf, 0, sizeof buf);
	long n = syscall(SYS_getrandom, buf, sizeof buf, 0);
	int nonzero = 0;
	for (size_t i = 0; i < sizeof buf; i++)
		nonzero |= buf[i];
	check(n == 16 && nonzero, "getrandom_16_bytes");
	errno = 0;
	n = syscall(SYS_getrandom, buf, sizeof buf, 0x100);
	check(n == -1 && errno == EINVAL, "getrandom_bad_flags_einval");
	errno = 0;
	n = syscall(SYS_getrandom, BAD, sizeof buf, 0);
	check(n == -1 && errno == EFAULT, "getrandom_bad_pointer_efault");
}

static void check_limits_and_ids(void)
{
	struct rlimit rl;
	check(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == 8 << 20,
	      "rlimit_stack_soft_8mib");
	struct rlimit nofile;
	check(getrlimit(RLIMIT_NOFILE, &nofile) == 0 &&
		      nofile.rlim_cur <= nofile.rlim_max,
	      "rlimit_nofile_soft_le_hard");
	struct rlimit lower = { nofile.rlim_cur - 1, nofile.rlim_max }, now;
	check(setrlimit(RLIMIT_NOFILE, &lower) == 0 &&
		      getrlimit(RLIMIT_NOFILE, &now) == 0 &&
		      now.rlim_cur == lower.rlim_cur,
	      "setrlimit_round_trip");
	setrlimit(RLIMIT_NOFILE, &nofile);
	struct rlimit inverted = { 10, 5 };
	errno = 0;
	check(setrlimit(RLIMIT_NOFILE, &inverted) == -1 && errno == EINVAL,
	      "setrlimit_soft_above_hard_einval");

	mode_t old = umask(027);
	mode_t back = umask(old);
	check(back == 027, "umask_round_trip");

	/* Root everywhere we run; a non-root run still agrees with itself. */
	if (getuid() == 0)
		check(geteuid() == 0 && getgid() == 0 && getegid() == 0,
		      "ids_root_or_consistent");
	else
		check(geteuid() == getuid() && getegid() == getgid(),
		      "ids_root_or_consistent");
}

static long long ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void check_clocks(void)
{
	long long prev = ns(CLOCK_MONOTONIC);
	int monotonic = 1;
	for (int i = 0; i < 1000; i++) {
		long long now = ns(CLOCK_MONOTONIC);
		monotonic &= now >= prev;
		prev = now;
	}
	check(monotonic, "clock_monotonic_non_decreasing");

	struct timeval tv;
	struct timespec rt;
	gettimeofday(&tv, NULL);
	clock_gettime(CLOCK_REALTIME, &rt);
	time_t t = time(NULL);
	check(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "gettimeofday_usec_range");
	check(rt.tv_sec - tv.tv_sec <= 1 && rt.tv_sec >= tv.tv_sec &&
		      t - rt.tv_sec <= 1 && t >= rt.tv_sec,
	      "gettimeofday_clock_realtime_time_agree");

	long long before = ns(CLOCK_MONOTONIC);
	struct timespec ten = { 0, 10000000L };
	int r = nanosleep(&ten, NULL);
	long long slept = ns(CLOCK_MONOTONIC) - before;
	checkf(r == 0 && slept >= 10000000LL, "nanosleep_10ms_at_least_10ms",
	       "%lld ns", slept);
	before = ns(CLOCK_MONOTONIC);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ten, NULL);
	slept = ns(CLOCK_MONOTONIC) - before;
	checkf(r == 0 && slept >= 10000000LL, "clock_nanosleep_10ms",
	       "r %d %lld ns", r, slept);
	struct timespec bad = { 0, 1000000000L };
	errno = 0;
	check(syscall(SYS_nanosleep, &bad, NULL) == -1 && errno == EINVAL,
	      "nanosleep_bad_nsec_einval");
}

static void check_prctl_affinity(void)
{
	char name[16] = { 0 };
	check(prctl(PR_SET_NAME, "ctest-name", 0, 0, 0) == 0 &&
		      prctl(PR_GET_NAME, name, 0, 0, 0) == 0 &&
		      strcmp(name, "ctest-name") == 0,
	      "prctl_name_round_trip");
	check(prctl(PR_SET_NAME, "a-name-longer-than-fifteen", 0, 0, 0) == 0 &&
		      prctl(PR_GET_NAME, name, 0, 0, 0) == 0 &&
		      strcmp(name, "a-name-longer-t") == 0,
	      "prctl_name_truncated_to_15");
	errno = 0;
	check(prctl(0x7fff, 0, 0, 0, 0) == -1 && errno == EINVAL,
	      "prctl_unknown_option_einval");

	cpu_set_t set;
	CPU_ZERO(&set);
	check(sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1 &&
		      CPU_ISSET(0, &set),
	      "sched_getaffinity_non_empty");
	check(sched_setaffinity(0, sizeof set, &set) == 0, "sched_setaffinity_same");
	errno = 0;
	check(syscall(SYS_sched_getaffinity, 0, 0, &set) == -1 && errno == EINVAL,
	      "sched_getaffinity_size_0_einval");
}

/* Session and process-group calls, in a child (we may lead a group). */
static void check_sessions(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		pid_t me = getpid();
		/* 0 when the session leader is outside our pid namespace. */
		if (getpgrp() != getpgid(0) || getsid(0) < 0)
			bad |= 1;
		if (setpgid(0, 0) != 0 || getpgrp() != me)
			bad |= 2;
		/* A group leader cannot start a session. */
		if (setsid() != -1 || errno != EPERM)
			bad |= 4;
		_exit(bad);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	checkf(st == 0, "setpgid_getpgrp_leader_setsid_eperm", "status %#x", st);

	pid = fork();
	if (pid == 0) {
		int bad = 0;
		pid_t me = getpid();
		if (setsid() != me)
			bad |= 1;
		if (getsid(0) != me || getpgrp() != me || getpgid(0) != me)
			bad |= 2;
		errno = 0;
		if (getpgid(0x3fffffff) != -1 || errno != ESRCH)
			bad |= 4;
		_exit(bad);
	}
	st = -1;
	waitpid(pid, &st, 0);
	checkf(st == 0, "setsid_new_session_and_group", "status %#x", st);
}

static void check_bad_input(void)
{
	int fd = open("/dev/null", O_RDONLY);
	errno = 0;
	check(syscall(SYS_uname, BAD) == -1 && errno == EFAULT, "uname_efault");
	errno = 0;
	check(syscall(SYS_sysinfo, BAD) == -1 && errno == EFAULT, "sysinfo_efault");
	errno = 0;
	check(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD) == -1 &&
		      errno == EFAULT,
	      "clock_gettime_efault");
	errno = 0;
	check(syscall(SYS_open, BAD, O_RDONLY) == -1 && errno == EFAULT,
	      "open_bad_path_efault");
	errno = 0;
	check(syscall(SYS_getrlimit, RLIMIT_STACK, BAD) == -1 && errno == EFAULT,
	      "getrlimit_efault");
	errno = 0;
	check(syscall(SYS_fstat, fd, BAD) == -1 && errno == EFAULT, "fstat_efault");
	errno = 0;
	check(syscall(SYS_write, 1, BAD, 4) == -1 && errno == EFAULT,
	      "write_stdout_efault");

	errno = 0;
	check(syscall(SYS_close, 999) == -1 && errno == EBADF, "close_ebadf");
	char c;
	errno = 0;
	check(syscall(SYS_read, 999, &c, 1) == -1 && errno == EBADF, "read_ebadf");
	struct stat st;
	errno = 0;
	check(syscall(SYS_fstat, -1, &st) == -1 && errno == EBADF, "fstat_ebadf");
	errno = 0;
	check(syscall(SYS_dup, 999) == -1 && errno == EBADF, "dup_ebadf");
	errno = 0;
	check(syscall(SYS_lseek, 999, 0, SEEK_SET) == -1 && errno == EBADF,
	      "lseek_ebadf");
	errno = 0;
	check(syscall(SYS_write, fd, "x", 1) == -1 && errno == EBADF,
	      "write_to_read_only_fd_ebadf");

	errno = 0;
	check(syscall(SYS_clock_gettime, 9999, &st) == -1 && errno == EINVAL,
	      "clock_gettime_bad_clock_einval");
	errno = 0;
	check(syscall(SYS_lseek, fd, 0, 99) == -1 && errno == EINVAL,
	      "lseek_bad_whence_einval");
	errno = 0;
	check(syscall(SYS_mmap, NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		      0) == -1 &&
		      errno == EINVAL,
	      "mmap_len_0_einval");
	errno = 0;
	unsigned long mask = 0;
	check(syscall(SYS_rt_sigprocmask, 99, &mask, NULL, 8) == -1 &&
		      errno == EINVAL,
	      "rt_sigprocmask_bad_how_einval");
	errno = 0;
	check(syscall(SYS_wait4, -1, NULL, 0x100, NULL) == -1 && errno == EINVAL,
	      "wait4_bad_options_einval");
	errno = 0;
	check(syscall(SYS_getrlimit, 999, &st) == -1 && errno == EINVAL,
	      "getrlimit_bad_resource_einval");
	close(fd);
}

int main(void)
{
	checks_begin();
	check_uname();
	check_sysinfo();
	check_getrandom();
	check_limits_and_ids();
	check_clocks();
	check_prctl_affinity();
	check_sessions();
	check_bad_input();
	return checks_end();
}
