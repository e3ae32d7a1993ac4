/* Processes: fork/exec/wait statuses of every kind, orphans, #! scripts,
 * O_CLOEXEC, argv/envp/auxv, vfork, clone3, and (given `forkbomb`) a fork
 * loop until the task limit.
 *
 * usage: proc SCRIPT NONELF [forkbomb]
 *   SCRIPT: an executable file whose first line is `#!<this program> --shebang`
 *   NONELF: an executable file that is neither ELF nor `#!`
 * The program re-executes itself (argv[0], an absolute path) with a first
 * argument starting with `--` for the checks that need a fresh image; such
 * a helper answers with its exit status only. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

extern char **environ;
extern const Elf64_Ehdr __ehdr_start;
extern char _start[];

static const char *self;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* A child that dies without writing a core, so its status never has the
 * core bit (tinymm writes none; Linux would, where core_pattern pipes). */
static void no_core(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static pid_t fork_or_die(void)
{
	pid_t pid = fork();
	if (pid == -1) {
		printf("fork: %s\n", strerror(errno));
		exit(2);
	}
	return pid;
}

/* Waits for `pid` (or any child: -1) with `options`; returns the status,
 * -1000 for WNOHANG's 0, or -1 - errno. */
static int wait_status(pid_t pid, int options)
{
	int status;
	pid_t r = waitpid(pid, &status, options);
	if (r == 0)
		return -1000;
	if (r == -1 || (pid > 0 && r != pid))
		return -1 - errno;
	return status;
}

static void check_exit_code(int code, const char *name)
{
	pid_t pid = fork_or_die();
	if (pid == 0)
		_exit(code);
	int st = wait_status(pid, 0);
	checkf(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == code &&
		       st == (code << 8),
	       name, "status %#x", st);
}

static void check_killed(int sig, const char *name)
{
	pid_t pid = fork_or_die();
	if (pid == 0) {
		no_core();
		switch (sig) {
		case SIGSEGV:
			*(volatile int *)16 = 1;
			break;
		case SIGABRT:
			abort();
		default:
			for (;;)
				pause();
		}
		_exit(100);
	}
	if (sig == SIGKILL || sig == SIGTERM) {
		sleep_ms(20);
		kill(pid, sig);
	}
	int st = wait_status(pid, 0);
	checkf(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == sig && st == sig,
	       name, "status %#x", st);
}

static void check_stop_continue(void)
{
	pid_t pid = fork_or_die();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	int st = wait_status(pid, WUNTRACED);
	checkf(st >= 0 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP &&
		       st == 0x137f,
	       "wait_wuntraced_stopped", "status %#x", st);
	/* Stopped is reported once. */
	st = wait_status(pid, WUNTRACED | WNOHANG);
	checkf(st == -1000, "wait_stopped_reported_once", "status %#x", st);
	kill(pid, SIGCONT);
	st = wait_status(pid, WCONTINUED);
	checkf(st >= 0 && WIFCONTINUED(st) && st == 0xffff,
	       "wait_wcontinued_continued", "status %#x", st);
	kill(pid, SIGKILL);
	st = wait_status(pid, 0);
	checkf(st == SIGKILL, "wait_killed_after_continue", "status %#x", st);
}

static void check_wnohang(void)
{
	pid_t pid = fork_or_die();
	if (pid == 0) {
		sleep_ms(100);
		_exit(4);
	}
	int st = wait_status(pid, WNOHANG);
	checkf(st == -1000, "wnohang_live_child_returns_0", "status %#x", st);
	st = wait_status(-1, 0);
	checkf(st == 4 << 8, "wait_any_reaps_it", "status %#x", st);
	errno = 0;
	pid_t r = waitpid(-1, &st, WNOHANG);
	checkf(r == -1 && errno == ECHILD, "wnohang_no_child_echild",
	       "r %d errno %d", (int)r, errno);
	r = waitpid(-1, &st, 0);
	checkf(r == -1 && errno == ECHILD, "wait_no_child_echild",
	       "r %d errno %d", (int)r, errno);
}

static void check_waitid(void)
{
	pid_t pid = fork_or_die();
	if (pid == 0)
		_exit(3);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = waitid(P_PID, pid, &si, WEXITED);
	checkf(r == 0 && si.si_signo == SIGCHLD && si.si_code == CLD_EXITED &&
		       si.si_status == 3 && si.si_pid == pid,
	       "waitid_pid_exited", "r %d code %d status %d", r, si.si_code,
	       si.si_status);

	pid = fork_or_die();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, pid, &si, WEXITED);
	checkf(r == 0 && si.si_code == CLD_KILLED && si.si_status == SIGKILL &&
		       si.si_pid == pid,
	       "waitid_pid_killed", "r %d code %d status %d", r, si.si_code,
	       si.si_status);
	errno = 0;
	r = waitid(P_PID, pid, &si, WEXITED);
	checkf(r == -1 && errno == ECHILD, "waitid_reaped_echild", "r %d errno %d",
	       r, errno);
	r = waitid(P_PID, getpid(), &si, 0);
	checkf(r == -1 && errno == EINVAL, "waitid_no_options_einval",
	       "r %d errno %d", r, errno);
}

/* A grandchild whose parent exits is re-parented to a live reaper (pid 1
 * on tinymm; on the host maybe a subreaper): its getppid() changes away
 * from the dead parent. */
static void check_orphan(void)
{
	int p[2];
	if (pipe(p) == -1) {
		checkf(0, "orphan_reparented", "pipe: errno %d", errno);
		return;
	}
	pid_t pid = fork_or_die();
	if (pid == 0) {
		pid_t parent = getpid();
		if (fork() == 0) {
			close(p[0]);
			char verdict = 'n';
			for (int i = 0; i < 500; i++) {
				pid_t now = getppid();
				if (now != parent) {
					verdict = now > 0 && kill(now, 0) == 0 ? 'y' : 'd';
					break;
				}
				sleep_ms(10);
			}
			if (write(p[1], &verdict, 1) != 1)
				_exit(1);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	wait_status(pid, 0);
	char verdict = 0;
	ssize_t n = read(p[0], &verdict, 1);
	close(p[0]);
	checkf(n == 1 && verdict == 'y', "orphan_reparented", "read %zd verdict %c",
	       n, verdict ? verdict : '?');
}

/* Runs `self` with argv and envp in a child; returns its wait status. */
static int run_self(char *const argv[], char *const envp[])
{
	pid_t pid = fork_or_die();
	if (pid == 0) {
		execve(self, argv, envp);
		_exit(127);
	}
	return wait_status(pid, 0);
}

static void check_exec(const char *script, const char *nonelf)
{
	char env_script[4096];
	snprintf(env_script, sizeof env_script, "CTEST_SCRIPT=%s", script);
	char env_self[4096];
	snprintf(env_self, sizeof env_self, "CTEST_SELF=%s", self);
	char *envp[] = { env_script, env_self, NULL };
	char *argv[] = { (char *)script, "extra", NULL };

	pid_t pid = fork_or_die();
	if (pid == 0) {
		execve(script, argv, envp);
		_exit(127);
	}
	int st = wait_status(pid, 0);
	checkf(st == 0, "exec_shebang_script", "status %#x", st);

	char *argv2[] = { (char *)nonelf, NULL };
	errno = 0;
	int r = execve(nonelf, argv2, envp);
	checkf(r == -1 && errno == ENOEXEC, "exec_non_elf_enoexec",
	       "r %d errno %d", r, errno);
	errno = 0;
	r = execve("/nonexistent-tinymm", argv2, envp);
	checkf(r == -1 && errno == ENOENT, "exec_missing_enoent", "r %d errno %d",
	       r, errno);
	errno = 0;
	r = execve("/", argv2, envp);
	checkf(r == -1 && errno == EACCES, "exec_directory_eacces",
	       "r %d errno %d", r, errno);

	char *argv3[] = { (char *)self, "--argv", "a b", "", "c", NULL };
	char *envp3[] = { "X=1", "EMPTY=", "Y=two words", NULL };
	st = run_self(argv3, envp3);
	checkf(st == 0, "exec_argv_envp", "status %#x", st);

	char *argv4[] = { (char *)self, "--exit", NULL };
	char *envp4[] = { NULL };
	st = run_self(argv4, envp4);
	checkf(st == 0, "exec_empty_envp", "status %#x", st);
}

static void check_cloexec(void)
{
	pid_t pid = fork_or_die();
	if (pid == 0) {
		int keep = open("/dev/null", O_RDONLY);
		int gone = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (keep < 0 || gone < 0 || dup2(keep, 10) != 10 ||
		    dup3(gone, 11, O_CLOEXEC) != 11 || dup2(keep, 12) != 12 ||
		    fcntl(12, F_SETFD, FD_CLOEXEC) != 0)
			_exit(126);
		char *argv[] = { (char *)self, "--cloexec", NULL };
		char *envp[] = { NULL };
		execve(self, argv, envp);
		_exit(127);
	}
	int st = wait_status(pid, 0);
	checkf(st == 0, "exec_closes_o_cloexec_only", "status %#x", st);
}

/* The auxiliary vector as create_elf_tables builds it. */
static void check_auxv(int argc, char **argv)
{
	check(argv[argc] == NULL, "argv_null_terminated");
	check(environ == argv + argc + 1, "envp_follows_argv");
	check(getauxval(AT_RANDOM) != 0, "auxv_at_random_present");
	check(getauxval(AT_PAGESZ) == 4096, "auxv_at_pagesz_4096");
	unsigned long phdr = (unsigned long)&__ehdr_start + __ehdr_start.e_phoff;
	checkf(getauxval(AT_PHDR) == phdr, "auxv_at_phdr_is_program_headers",
	       "%#lx vs %#lx", getauxval(AT_PHDR), phdr);
	check(getauxval(AT_PHENT) == sizeof(Elf64_Phdr), "auxv_at_phent");
	check(getauxval(AT_PHNUM) == __ehdr_start.e_phnum, "auxv_at_phnum");
	checkf(getauxval(AT_ENTRY) == (unsigned long)_start, "auxv_at_entry_is_start",
	       "%#lx vs %p", getauxval(AT_ENTRY), (void *)_start);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	check(execfn && strcmp(execfn, argv[0]) == 0, "auxv_at_execfn_is_argv0");
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	check(platform && strcmp(platform, "x86_64") == 0, "auxv_at_platform");
	check(getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() &&
		      getauxval(AT_GID) == getgid() &&
		      getauxval(AT_EGID) == getegid(),
	      "auxv_ids");
	check(getauxval(AT_SECURE) == 0, "auxv_at_secure_0");
	check(getauxval(AT_BASE) == 0, "auxv_at_base_0_without_interpreter");
	check(getauxval(AT_CLKTCK) == 100, "auxv_at_clktck_100");
	struct rlimit rl;
	check(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == 8 << 20,
	      "rlimit_stack_8mib");
}

static volatile int vfork_shared;

static void check_vfork(void)
{
	vfork_shared = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		vfork_shared = 1;
		/* The parent sleeps until we exit: it must see 2, never 1. */
		struct timespec ts = { 0, 50000000L };
		nanosleep(&ts, NULL);
		vfork_shared = 2;
		_exit(7);
	}
	int seen = vfork_shared;
	int st = wait_status(pid, 0);
	checkf(pid > 0 && seen == 2, "vfork_parent_waits_for_exit", "seen %d", seen);
	checkf(st == 7 << 8, "vfork_child_status", "status %#x", st);

	char *argv[] = { (char *)self, "--exit", "3", NULL };
	char *envp[] = { NULL };
	pid = vfork();
	if (pid == 0) {
		execve(self, argv, envp);
		_exit(127);
	}
	st = wait_status(pid, 0);
	checkf(pid > 0 && st == 3 << 8, "vfork_exec_status", "status %#x", st);
}

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls;
};

/* clone3 is either ENOSYS for every call or real; a valid fork-like
 * struct never gets EINVAL. */
/* wait4's rusage is the reaped child's: its page faults and peak RSS. */
static void check_wait4_rusage(void)
{
	pid_t pid = fork_or_die();
	if (pid == 0) {
		enum { PAGES = 256 };
		volatile char *p = malloc(PAGES * 4096);
		for (int i = 0; p && i < PAGES; i++)
			p[i * 4096] = 1;
		_exit(0);
	}
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	int st = -1;
	pid_t r = wait4(pid, &st, 0, &ru);
	checkf(r == pid && st == 0 && ru.ru_minflt >= 256 && ru.ru_maxrss >= 1024,
	       "wait4_rusage_is_the_childs", "minflt %ld maxrss %ld", ru.ru_minflt,
	       ru.ru_maxrss);
}

static void check_clone3(void)
{
	struct clone_args_v0 args;
	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, &args, sizeof args);
	if (r == 0)
		_exit(5);
	int err = errno;
	if (r > 0) {
		int st = wait_status((pid_t)r, 0);
		checkf(st == 5 << 8, "clone3_fork_like_or_enosys", "status %#x", st);
	} else {
		checkf(err == ENOSYS, "clone3_fork_like_or_enosys", "errno %d", err);
	}
	/* A size below the first version's is EINVAL where clone3 exists. */
	r = syscall(SYS_clone3, &args, 8);
	err = errno;
	checkf(r == -1 && (err == ENOSYS || err == EINVAL),
	       "clone3_short_struct_einval_or_enosys", "r %ld errno %d", r, err);
}

struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static long clone3_into(int cgroup_fd)
{
	struct clone_args_v2 args;
	memset(&args, 0, sizeof args);
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cgroup_fd;
	return syscall(SYS_clone3, &args, sizeof args);
}

/* clone3 with CLONE_INTO_CGROUP (cgroup_util.c's clone_into_cgroup):
 * the child starts in the cgroup the descriptor names; a descriptor that
 * is no cgroup directory is EBADF; the cgroup empties when the child
 * exits. Only on tinymm (`forkbomb`): the host's cgroup tree is not
 * ours to change. */
static void check_clone3_into_cgroup(void)
{
	const char *dir = "/sys/fs/cgroup/proc-clone3";
	if (mkdir(dir, 0755) != 0) {
		checkf(0, "clone3_into_cgroup_child_there", "mkdir: errno %d", errno);
		return;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long r = clone3_into(fd);
	if (r == 0) {
		char buf[256], want[32];
		int procs = open("/sys/fs/cgroup/proc-clone3/cgroup.procs", O_RDONLY);
		ssize_t n = procs < 0 ? -1 : read(procs, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = 0;
		snprintf(want, sizeof want, "%d\n", (int)getpid());
		_exit(strcmp(buf, want) == 0 ? 0 : 1);
	}
	int st = r > 0 ? wait_status((pid_t)r, 0) : -1;
	checkf(r > 0 && st == 0, "clone3_into_cgroup_child_there", "r %ld status %#x", r, st);
	int null = open("/dev/null", O_RDONLY);
	r = clone3_into(null);
	checkf(r == -1 && errno == EBADF, "clone3_into_non_cgroup_ebadf", "r %ld errno %d", r, errno);
	r = clone3_into(999);
	checkf(r == -1 && errno == EBADF, "clone3_into_bad_fd_ebadf", "r %ld errno %d", r, errno);
	close(null);
	close(fd);
	check(rmdir(dir) == 0, "clone3_cgroup_empty_after_exit");
}

/* Forks until fork fails: it must fail with EAGAIN or ENOMEM, and after
 * the children die a fork works again. Only on tinymm (`forkbomb`):
 * RLIMIT_NPROC does not bind root on the host, where this would take the
 * machine down. */
static void check_fork_loop(void)
{
	enum { MAX = 100000 };
	static pid_t pids[MAX];
	int n = 0, err = 0;
	while (n < MAX) {
		pid_t pid = fork();
		if (pid == 0) {
			for (;;)
				pause();
		}
		if (pid == -1) {
			err = errno;
			break;
		}
		pids[n++] = pid;
	}
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	int reaped = 0;
	for (int i = 0; i < n; i++)
		reaped += wait_status(pids[i], 0) == SIGKILL;
	checkf(err == EAGAIN || err == ENOMEM, "fork_loop_ends_eagain_or_enomem",
	       "%d forks, errno %d", n, err);
	checkf(reaped == n && n > 0, "fork_loop_children_reaped", "%d of %d",
	       reaped, n);
	check_exit_code(0, "fork_after_fork_loop");
}

/* The helpers run as a fresh image and answer with their exit status. */
static int helper(int argc, char **argv)
{
	const char *mode = argv[1];
	if (strcmp(mode, "--exit") == 0)
		return argc > 2 ? atoi(argv[2]) : environ[0] != NULL;
	if (strcmp(mode, "--cloexec") == 0) {
		int bad = 0;
		if (fcntl(10, F_GETFD) != 0)
			bad |= 1;
		if (fcntl(11, F_GETFD) != -1 || errno != EBADF)
			bad |= 2;
		if (fcntl(12, F_GETFD) != -1 || errno != EBADF)
			bad |= 4;
		return bad;
	}
	if (strcmp(mode, "--argv") == 0) {
		int bad = 0;
		if (argc != 5 || strcmp(argv[2], "a b") || strcmp(argv[3], "") ||
		    strcmp(argv[4], "c") || argv[5])
			bad |= 1;
		if (!environ[0] || strcmp(environ[0], "X=1") || !environ[1] ||
		    strcmp(environ[1], "EMPTY=") || !environ[2] ||
		    strcmp(environ[2], "Y=two words") || environ[3])
			bad |= 2;
		const char *y = getenv("Y");
		if (!y || strcmp(y, "two words"))
			bad |= 4;
		const char *execfn = (const char *)getauxval(AT_EXECFN);
		if (!execfn || strcmp(execfn, self))
			bad |= 8;
		return bad;
	}
	if (strcmp(mode, "--shebang") == 0) {
		/* Linux's rewriting: interpreter, its one argument, the
		 * script's path as given to execve, then the old argv[1..].
		 * AT_EXECFN stays the script's path. */
		const char *script = getenv("CTEST_SCRIPT");
		const char *interp = getenv("CTEST_SELF");
		int bad = 0;
		if (!script || !interp)
			return 64;
		if (argc != 4 || strcmp(argv[0], interp) || strcmp(argv[2], script) ||
		    strcmp(argv[3], "extra"))
			bad |= 1;
		const char *execfn = (const char *)getauxval(AT_EXECFN);
		if (!execfn || strcmp(execfn, script))
			bad |= 2;
		return bad;
	}
	return 99;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 1 && strncmp(argv[1], "--", 2) == 0)
		return helper(argc, argv);
	checks_begin();
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "forkbomb"))) {
		printf("usage: proc SCRIPT NONELF [forkbomb]\n");
		return 2;
	}
	check(self[0] == '/', "argv0_is_absolute");
	check_auxv(argc, argv);
	check_exit_code(0, "wait_exit_0");
	check_exit_code(1, "wait_exit_1");
	check_exit_code(255, "wait_exit_255");
	check_killed(SIGKILL, "wait_killed_sigkill");
	check_killed(SIGTERM, "wait_killed_sigterm");
	check_killed(SIGSEGV, "wait_killed_sigsegv");
	check_killed(SIGABRT, "wait_killed_sigabrt");
	check_stop_continue();
	check_wnohang();
	check_waitid();
	check_orphan();
	check_exec(argv[1], argv[2]);
	check_cloexec();
	check_vfork();
	check_wait4_rusage();
	check_clone3();
	if (argc == 4) {
		check_clone3_into_cgroup();
		check_fork_loop();
	}
	return checks_end();
}
