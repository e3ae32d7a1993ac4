/* /proc/self and /proc/PID as Linux's fs/proc/{array,base,fd}.c show
 * them: stat's fields against getpid/getppid/getpgrp/getsid and the
 * argument area, statm against stat, cmdline and environ against argv
 * and envp, comm with PR_GET_NAME and writes, fd/ and fdinfo/ against
 * open files, exe against the program, task/ with a second thread, the
 * state letters of a sleeping, stopped and dead child, and the formats
 * of /proc/uptime, loadavg and stat. The same lines on Linux and tinymm. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

/* The whole of a file (NUL-terminated); its length, -1 with errno. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r <= 0) {
			close(fd);
			if (r < 0)
				return -1;
			break;
		}
		n += r;
	}
	buf[n] = 0;
	return n;
}

/* A stat line split into its 52 fields (1-based, as proc(5) numbers
 * them); the name may hold spaces and parentheses. Returns the count. */
static int stat_fields(const char *path, char *buf, size_t size, char *f[64])
{
	if (slurp(path, buf, size) < 0)
		return -1;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close)
		return -1;
	*open = *close = 0;
	f[1] = buf;
	f[2] = open + 1;
	int n = 2;
	for (char *p = strtok(close + 1, " \n"); p && n < 63; p = strtok(NULL, " \n"))
		f[++n] = p;
	return n;
}

static unsigned long long num(const char *s)
{
	return strtoull(s, NULL, 10);
}

static void check_stat(int argc, char **argv)
{
	char buf[4096], *f[64];
	int n = stat_fields("/proc/self/stat", buf, sizeof buf, f);
	checkf(n == 52, "stat_has_52_fields", "%d", n);
	if (n != 52)
		return;
	char comm[16];
	prctl(PR_GET_NAME, comm);
	checkf(atoi(f[1]) == getpid(), "stat_pid", "%s", f[1]);
	checkf(!strcmp(f[2], comm), "stat_comm_is_pr_get_name", "%s %s", f[2], comm);
	checkf(!strcmp(f[3], "R"), "stat_state_running", "%s", f[3]);
	checkf(atoi(f[4]) == getppid(), "stat_ppid", "%s", f[4]);
	checkf(atoi(f[5]) == getpgrp(), "stat_pgrp", "%s", f[5]);
	checkf(atoi(f[6]) == getsid(0), "stat_session", "%s %d", f[6], getsid(0));
	/* task_prio(): 20 + nice for SCHED_OTHER (the tests may run niced). */
	int nice = atoi(f[19]);
	checkf(atoi(f[18]) == 20 + nice && nice >= -20 && nice <= 19, "stat_priority_and_nice",
	       "%s %s", f[18], f[19]);
	checkf(!strcmp(f[20], "1"), "stat_one_thread", "%s", f[20]);
	checkf(!strcmp(f[21], "0"), "stat_itrealvalue_0", "%s", f[21]);
	struct rlimit rss;
	getrlimit(RLIMIT_RSS, &rss);
	checkf(num(f[25]) == rss.rlim_cur, "stat_rsslim_is_rlimit_rss", "%s", f[25]);
	/* (Linux's RSS counters are per-CPU and may lag: rss is not checked.) */
	checkf(num(f[23]) > 0, "stat_vsize_nonzero", "%s", f[23]);
	checkf(num(f[26]) <= (uintptr_t)check_stat && (uintptr_t)check_stat < num(f[27]),
	       "stat_code_holds_a_function", "%s %s", f[26], f[27]);
	uintptr_t arg_start = num(f[48]), arg_end = num(f[49]);
	checkf(arg_start == (uintptr_t)argv[0], "stat_arg_start_is_argv0", "%s %p", f[48], argv[0]);
	checkf(arg_end == (uintptr_t)argv[argc - 1] + strlen(argv[argc - 1]) + 1,
	       "stat_arg_end_after_last_arg", "%s", f[49]);
	checkf(num(f[50]) == arg_end, "stat_env_start_is_arg_end", "%s", f[50]);
	checkf(num(f[28]) > arg_end - 0x100000 && num(f[28]) < arg_start, "stat_startstack_below_args",
	       "%s", f[28]);
	checkf(!strcmp(f[38], "17"), "stat_exit_signal_sigchld", "%s", f[38]);
	checkf(!strcmp(f[52], "0"), "stat_exit_code_0", "%s", f[52]);
	char up[128];
	slurp("/proc/uptime", up, sizeof up);
	checkf(num(f[22]) <= strtod(up, NULL) * 100 + 1, "stat_starttime_before_now", "%s %s",
	       f[22], up);

	char m[256];
	unsigned long size, resident, shared, text, lib, data, dt;
	slurp("/proc/self/statm", m, sizeof m);
	int k = sscanf(m, "%lu %lu %lu %lu %lu %lu %lu", &size, &resident, &shared, &text, &lib,
		       &data, &dt);
	checkf(k == 7 && lib == 0 && dt == 0, "statm_seven_fields", "%s", m);
	checkf(size * 4096 == num(f[23]), "statm_size_is_vsize", "%lu %s", size, f[23]);
	checkf(shared <= resident && text > 0 && data > 0, "statm_counts", "%s", m);
}

/* The NUL-separated strings of a vector, as cmdline and environ hold
 * them. */
static size_t joined(char **v, char *out)
{
	size_t n = 0;
	for (; *v; v++) {
		size_t l = strlen(*v) + 1;
		memcpy(out + n, *v, l);
		n += l;
	}
	return n;
}

static void check_cmdline_environ(char **argv, char **envp)
{
	char want[8192], got[8192];
	size_t n = joined(argv, want);
	ssize_t r = slurp("/proc/self/cmdline", got, sizeof got);
	checkf(r == (ssize_t)n && !memcmp(got, want, n), "cmdline_is_argv", "%zd %zu", r, n);
	n = joined(envp, want);
	r = slurp("/proc/self/environ", got, sizeof got);
	checkf(r == (ssize_t)n && !memcmp(got, want, n), "environ_is_envp", "%zd %zu", r, n);
	pid_t child = fork();
	if (child == 0) {
		r = slurp("/proc/self/cmdline", got, sizeof got);
		n = joined(argv, want);
		_exit(r == (ssize_t)n && !memcmp(got, want, n) ? 0 : 1);
	}
	int status;
	waitpid(child, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "cmdline_after_fork_is_parents");
	struct stat st;
	check(stat("/proc/self/environ", &st) == 0 && (st.st_mode & 0777) == 0400,
	      "environ_mode_0400");
}

static void check_comm(void)
{
	char buf[64], name[16];
	prctl(PR_GET_NAME, name);
	slurp("/proc/self/comm", buf, sizeof buf);
	char want[32];
	snprintf(want, sizeof want, "%s\n", name);
	checkf(!strcmp(buf, want), "comm_is_pr_get_name", "%s", buf);
	int fd = open("/proc/self/comm", O_WRONLY);
	ssize_t w = write(fd, "renamed-by-a-long-write", 23);
	close(fd);
	prctl(PR_GET_NAME, name);
	checkf(w == 23 && !strcmp(name, "renamed-by-a-lo"), "comm_write_truncates_to_15", "%zd %s",
	       w, name);
	fd = open("/proc/self/comm", O_WRONLY);
	w = write(fd, "procfs\n", 7);
	close(fd);
	prctl(PR_GET_NAME, name);
	checkf(w == 7 && !strcmp(name, "procfs\n"), "comm_write_keeps_newline", "%zd", w);
	prctl(PR_SET_NAME, "procfs");
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/comm", parent);
		int cfd = open(path, O_WRONLY);
		ssize_t cw = write(cfd, "x", 1);
		_exit(cfd >= 0 && cw == -1 && errno == EINVAL ? 0 : 1);
	}
	int status;
	waitpid(child, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "comm_of_other_process_einval");
}

static void check_fds(const char *self)
{
	char path[64], link[PATH_MAX], info[256];
	int fd = open(self, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	checkf(n > 0 && !strcmp(link, self), "fd_link_names_the_file", "%s %s", link, self);
	struct stat lst, a, b;
	check(lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && (lst.st_mode & 0777) == 0500,
	      "fd_link_mode_r_x_for_reading");
	int again = open(path, O_RDONLY);
	check(again >= 0 && fstat(again, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino == b.st_ino &&
		      a.st_dev == b.st_dev,
	      "fd_link_opens_the_same_file");
	close(again);
	char buf[10];
	read(fd, buf, sizeof buf);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	slurp(path, info, sizeof info);
	unsigned long long pos = 0, ino = 0;
	unsigned flags = 0;
	char *p = strstr(info, "pos:\t"), *q = strstr(info, "flags:\t0"), *r = strstr(info, "ino:\t");
	if (p)
		pos = strtoull(p + 5, NULL, 10);
	if (q)
		flags = strtoul(q + 7, NULL, 8);
	if (r)
		ino = strtoull(r + 5, NULL, 10);
	checkf(pos == 10, "fdinfo_pos_after_read", "%s", info);
	checkf(flags & O_CLOEXEC && (flags & O_ACCMODE) == O_RDONLY, "fdinfo_flags_cloexec_rdonly",
	       "%o", flags);
	checkf(ino == b.st_ino, "fdinfo_ino", "%s", info);
	check(strstr(info, "mnt_id:\t") != NULL, "fdinfo_mnt_id");

	int pipefd[2];
	pipe(pipefd);
	struct stat pst;
	fstat(pipefd[1], &pst);
	snprintf(path, sizeof path, "/proc/self/fd/%d", pipefd[1]);
	n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	char want[64];
	snprintf(want, sizeof want, "pipe:[%llu]", (unsigned long long)pst.st_ino);
	checkf(!strcmp(link, want), "fd_link_of_pipe", "%s %s", link, want);
	check(lstat(path, &lst) == 0 && (lst.st_mode & 0777) == 0300, "fd_link_mode_wx_for_writing");

	DIR *d = opendir("/proc/self/fd");
	/* A descriptor nobody opened. */
	const int unused = 900;
	int seen_fd = 0, seen_pipe = 0, seen_gap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int v = atoi(e->d_name);
		seen_fd |= v == fd;
		seen_pipe |= v == pipefd[0];
		seen_gap |= v == unused;
	}
	closedir(d);
	check(seen_fd && seen_pipe && !seen_gap, "fd_dir_lists_open_descriptors");
	snprintf(path, sizeof path, "/proc/self/fd/%d", unused);
	check(readlink(path, link, sizeof link) == -1 && errno == ENOENT, "fd_link_of_closed_enoent");
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);

	n = readlink("/proc/self/exe", link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	checkf(!strcmp(link, self), "exe_link_is_the_program", "%s %s", link, self);
	int exe = open("/proc/self/exe", O_RDONLY);
	check(exe >= 0 && fstat(exe, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino,
	      "exe_opens_the_program");
	close(exe);
	char cwd[PATH_MAX];
	getcwd(cwd, sizeof cwd);
	n = readlink("/proc/self/cwd", link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	checkf(!strcmp(link, cwd), "cwd_link_is_getcwd", "%s %s", link, cwd);
}

static int thread_pipe[2];

static void *sleeper(void *arg)
{
	char c;
	(void)arg;
	read(thread_pipe[0], &c, 1);
	return NULL;
}

/* The entries of a /proc directory that are numbers. */
static int numeric_entries(const char *path, pid_t *out, int max)
{
	DIR *d = opendir(path);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && n < max)
			out[n++] = atoi(e->d_name);
	if (d)
		closedir(d);
	return n;
}

static void check_threads(void)
{
	pipe(thread_pipe);
	pthread_t t;
	pthread_create(&t, NULL, sleeper, NULL);
	char buf[4096], *f[64];
	/* The thread may not have started: wait for its directory. */
	pid_t tids[8];
	int n = 0;
	for (int i = 0; i < 1000 && n < 2; i++) {
		n = numeric_entries("/proc/self/task", tids, 8);
		if (n < 2)
			usleep(1000);
	}
	checkf(n == 2, "task_dir_lists_two_threads", "%d", n);
	pid_t other = tids[0] == gettid() ? tids[1] : tids[0];
	check(n == 2 && (tids[0] == gettid() || tids[1] == gettid()), "task_dir_has_gettid");
	stat_fields("/proc/self/stat", buf, sizeof buf, f);
	checkf(!strcmp(f[20], "2"), "stat_two_threads", "%s", f[20]);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", other);
	int k = stat_fields(path, buf, sizeof buf, f);
	checkf(k == 52 && atoi(f[1]) == other && atoi(f[4]) == getppid(), "task_stat_of_thread",
	       "%d %s", k, f[1]);
	pid_t pids[4096];
	int np = numeric_entries("/proc", pids, 4096), listed_self = 0, listed_thread = 0;
	for (int i = 0; i < np; i++) {
		listed_self |= pids[i] == getpid();
		listed_thread |= pids[i] == other;
	}
	check(listed_self && !listed_thread, "proc_lists_processes_not_threads");
	snprintf(path, sizeof path, "/proc/%d/status", other);
	check(access(path, R_OK) == 0, "proc_tid_is_found");
	write(thread_pipe[1], "x", 1);
	pthread_join(t, NULL);
}

/* /proc/PID/stat's state letter of `pid`. */
static char state_of(pid_t pid)
{
	char path[64], buf[4096], *f[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	return stat_fields(path, buf, sizeof buf, f) == 52 ? f[3][0] : '?';
}

static void check_child_states(void)
{
	int p[2];
	pipe(p);
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		_exit(3);
	}
	close(p[0]);
	char s = '?';
	for (int i = 0; i < 2000 && (s = state_of(child)) != 'S'; i++)
		usleep(1000);
	checkf(s == 'S', "child_blocked_in_read_is_S", "%c", s);
	kill(child, SIGSTOP);
	int status;
	waitpid(child, &status, WUNTRACED);
	s = state_of(child);
	checkf(s == 'T', "stopped_child_is_T", "%c", s);
	kill(child, SIGCONT);
	write(p[1], "x", 1);
	siginfo_t si;
	waitid(P_PID, child, &si, WEXITED | WNOWAIT);
	s = state_of(child);
	checkf(s == 'Z', "exited_child_is_Z", "%c", s);
	char path[64], buf[4096], *f[64];
	snprintf(path, sizeof path, "/proc/%d/stat", child);
	int n = stat_fields(path, buf, sizeof buf, f);
	check(n == 52 && !strcmp(f[23], "0") && !strcmp(f[24], "0") && !strcmp(f[48], "0"),
	      "zombie_has_no_mm_fields");
	checkf(n == 52 && atoi(f[52]) == (3 << 8), "zombie_exit_code", "%s", n == 52 ? f[52] : "");
	snprintf(path, sizeof path, "/proc/%d/cmdline", child);
	check(slurp(path, buf, sizeof buf) == 0, "zombie_cmdline_empty");
	waitpid(child, &status, 0);
	snprintf(path, sizeof path, "/proc/%d/stat", child);
	check(open(path, O_RDONLY) == -1 && errno == ENOENT, "reaped_child_gone");
	close(p[1]);
}

static void check_system_files(void)
{
	char buf[65536];
	double up, idle;
	slurp("/proc/uptime", buf, sizeof buf);
	char tail[8];
	check(sscanf(buf, "%lf %lf%1s", &up, &idle, tail) == 2 && strchr(buf, '.')[3] == ' ',
	      "uptime_two_numbers_two_decimals");
	slurp("/proc/loadavg", buf, sizeof buf);
	double l1, l5, l15;
	int running, threads, last;
	int k = sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &threads, &last);
	checkf(k == 6 && running >= 1 && threads >= running && last > 0, "loadavg_format", "%s", buf);
	slurp("/proc/stat", buf, sizeof buf);
	unsigned long long v[10];
	k = sscanf(buf, "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	checkf(k == 10, "stat_cpu_line_ten_values", "%d", k);
	check(strstr(buf, "\ncpu0 ") != NULL, "stat_cpu0_line");
	const char *keys[] = {"\nintr ", "\nctxt ", "\nbtime ", "\nprocesses ", "\nprocs_running ",
			      "\nprocs_blocked ", "\nsoftirq "};
	int all = 1;
	for (unsigned i = 0; i < sizeof keys / sizeof *keys; i++)
		all &= strstr(buf, keys[i]) != NULL;
	check(all, "stat_has_linuxs_lines");
	unsigned long long btime = strtoull(strstr(buf, "\nbtime ") + 7, NULL, 10);
	long long now = time(NULL);
	checkf(llabs((long long)btime + (long long)up - now) <= 2, "btime_plus_uptime_is_now",
	       "%llu %f %lld", btime, up, now);
	int procs_running = atoi(strstr(buf, "\nprocs_running ") + 15);
	check(procs_running >= 1, "stat_procs_running");
	slurp("/proc/self/status", buf, sizeof buf);
	check(!strncmp(buf, "Name:\tprocfs\n", 13), "status_name");
	char *t = strstr(buf, "\nThreads:\t");
	check(t && atoi(t + 10) == 1, "status_threads");
	check(strstr(buf, "\nState:\tR (running)\n") != NULL, "status_state");
}

int main(int argc, char **argv, char **envp)
{
	checks_begin();
	char self[PATH_MAX];
	if (!realpath(argv[0], self))
		strcpy(self, argv[0]);
	check_stat(argc, argv);
	check_cmdline_environ(argv, envp);
	check_comm();
	check_fds(self);
	check_threads();
	check_child_states();
	check_system_files();
	return checks_end();
}
