/* Signals: handlers with siginfo, nesting, SA_NODEFER, SA_RESETHAND,
 * SA_RESTART against EINTR, sigsuspend, masks and pending sets,
 * sigaltstack, SSE state across a handler, siglongjmp out of SIGSEGV,
 * SIGCHLD's siginfo, default actions, raise, abort, rt_sigtimedwait, and
 * user-mode exceptions (ud2, #DE, int3, cli) caught and default-killing. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

static pid_t gettid_raw(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void set_default(int sig)
{
	signal(sig, SIG_DFL);
}

static void unblock_all(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The status a child exits with: 0 for a death by signal, so a wait
 * status tells which. Children never print. */
static int child_status(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void no_core(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* --- siginfo from kill, tgkill and raise --- */

static volatile sig_atomic_t got_signo, got_code, got_count;
static volatile pid_t got_pid;
static volatile uid_t got_uid;

static void record(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_signo = sig == si->si_signo ? sig : -1;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_uid = si->si_uid;
	got_count++;
}

static void check_siginfo(void)
{
	handle(SIGUSR1, record, 0);
	got_count = 0;
	kill(getpid(), SIGUSR1);
	check(got_count == 1 && got_signo == SIGUSR1, "kill_runs_handler");
	checkf(got_code == SI_USER, "kill_si_code_si_user", "code %d", got_code);
	check(got_pid == getpid() && got_uid == getuid(), "kill_si_pid_si_uid");

	got_count = 0;
	syscall(SYS_tgkill, getpid(), gettid_raw(), SIGUSR1);
	check(got_count == 1, "tgkill_runs_handler");
	checkf(got_code == SI_TKILL, "tgkill_si_code_si_tkill", "code %d",
	       got_code);
	check(got_pid == getpid(), "tgkill_si_pid");

	got_count = 0;
	int r = raise(SIGUSR1);
	check(r == 0 && got_count == 1, "raise_runs_handler");
	checkf(got_code == SI_TKILL, "raise_si_code_si_tkill", "code %d",
	       got_code);

	set_default(SIGUSR1);
}

/* --- nesting, SA_NODEFER, SA_RESETHAND --- */

static volatile int depth, max_depth, trace[8], ntrace;

static void enter(int mark)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (ntrace < 8)
		trace[ntrace++] = mark;
}

static void nest_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	enter(2);
	depth--;
}

static void nest_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	enter(1);
	raise(SIGUSR2);
	if (ntrace < 8)
		trace[ntrace++] = 3;
	depth--;
}

static void self_nest(int sig, siginfo_t *si, void *uc)
{
	(void)si, (void)uc;
	enter(1);
	if (got_count++ == 0)
		raise(sig);
	depth--;
}

static void check_nesting(void)
{
	handle(SIGUSR1, nest_usr1, 0);
	handle(SIGUSR2, nest_usr2, 0);
	depth = max_depth = ntrace = 0;
	raise(SIGUSR1);
	check(ntrace == 3 && trace[0] == 1 && trace[1] == 2 && trace[2] == 3 &&
		      max_depth == 2,
	      "handler_interrupted_by_other_signal");

	/* Without SA_NODEFER the signal is blocked in its own handler: the
	 * second delivery waits until the first returns. */
	handle(SIGUSR1, self_nest, 0);
	depth = max_depth = ntrace = 0;
	got_count = 0;
	raise(SIGUSR1);
	checkf(got_count == 2 && max_depth == 1, "handler_blocks_own_signal",
	       "count %d depth %d", got_count, max_depth);

	handle(SIGUSR1, self_nest, SA_NODEFER);
	depth = max_depth = ntrace = 0;
	got_count = 0;
	raise(SIGUSR1);
	checkf(got_count == 2 && max_depth == 2, "sa_nodefer_nests",
	       "count %d depth %d", got_count, max_depth);

	handle(SIGUSR1, record, SA_RESETHAND);
	got_count = 0;
	raise(SIGUSR1);
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	check(got_count == 1 && now.sa_handler == SIG_DFL,
	      "sa_resethand_resets_to_default");
	set_default(SIGUSR1);
	set_default(SIGUSR2);
}

/* --- SA_RESTART against EINTR --- */

static void nothing(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	got_count++;
}

/* A read from a pipe, interrupted by SIGALRM from a child after `ms`,
 * which writes a byte `ms` later: returns what read returned (errno in
 * *err). */
static ssize_t interrupted_read(int flags, long ms, int *err, char *byte)
{
	handle(SIGALRM, nothing, flags);
	got_count = 0;
	int p[2];
	if (pipe(p) == -1)
		return -2;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		sleep_ms(ms);
		kill(parent, SIGALRM);
		sleep_ms(ms);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	errno = 0;
	ssize_t n = read(p[0], byte, 1);
	*err = errno;
	close(p[0]);
	child_status(pid);
	set_default(SIGALRM);
	return n;
}

static long elapsed_ms(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* nanosleep against signals: a handler ends it with EINTR and the time
 * left; a stop and continue (no handler runs) do not end it early. */
static void check_nanosleep_signals(void)
{
	handle(SIGALRM, nothing, 0);
	got_count = 0;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		kill(parent, SIGALRM);
		_exit(0);
	}
	struct timespec req = { 2, 0 }, rem = { 0, 0 };
	errno = 0;
	int r = nanosleep(&req, &rem);
	int err = errno;
	child_status(pid);
	set_default(SIGALRM);
	checkf(r == -1 && err == EINTR && got_count == 1 && rem.tv_sec >= 1 && rem.tv_sec <= 2,
	       "nanosleep_eintr_reports_time_left", "r %d errno %d rem %ld", r, err,
	       (long)rem.tv_sec);

	pid = fork();
	if (pid == 0) {
		struct timespec t0, d = { 0, 400000000L };
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int r = nanosleep(&d, NULL);
		_exit(r == 0 && elapsed_ms(&t0) >= 400 ? 0 : 1);
	}
	sleep_ms(100);
	kill(pid, SIGSTOP);
	sleep_ms(50);
	kill(pid, SIGCONT);
	int st = child_status(pid);
	checkf(st == 0, "nanosleep_survives_stop_and_continue", "status %#x", st);
}

static void check_restart(void)
{
	int err;
	char byte = 0;
	/* A signal that came before read blocked leaves read to return the
	 * byte: try again with a longer delay (a slow machine). */
	ssize_t n = 0;
	for (long ms = 50; ms <= 800; ms *= 4) {
		n = interrupted_read(0, ms, &err, &byte);
		if (n != 1)
			break;
	}
	checkf(n == -1 && err == EINTR && got_count == 1,
	       "read_interrupted_eintr_without_sa_restart", "n %zd errno %d", n,
	       err);
	n = interrupted_read(SA_RESTART, 50, &err, &byte);
	checkf(n == 1 && byte == 'x' && got_count == 1,
	       "read_restarted_with_sa_restart", "n %zd errno %d", n, err);
}

/* --- masks: sigprocmask, sigpending, sigsuspend --- */

static void check_masks(void)
{
	handle(SIGUSR2, nothing, 0);
	sigset_t usr2, old, pending;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, &old);
	got_count = 0;
	raise(SIGUSR2);
	sigpending(&pending);
	check(got_count == 0 && sigismember(&pending, SIGUSR2) == 1,
	      "blocked_signal_pending");
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigpending(&pending);
	check(got_count == 1 && sigismember(&pending, SIGUSR2) == 0,
	      "unblocked_signal_delivered");

	/* SIGKILL and SIGSTOP cannot be blocked: the mask silently drops
	 * them. */
	sigset_t kill_stop, now;
	sigemptyset(&kill_stop);
	sigaddset(&kill_stop, SIGKILL);
	sigaddset(&kill_stop, SIGSTOP);
	sigprocmask(SIG_BLOCK, &kill_stop, NULL);
	sigprocmask(SIG_BLOCK, NULL, &now);
	check(!sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP),
	      "sigkill_sigstop_unblockable");
	errno = 0;
	check(sigprocmask(99, &usr2, NULL) == -1 && errno == EINVAL,
	      "sigprocmask_bad_how_einval");

	/* sigsuspend: waits with the given mask, returns EINTR after the
	 * handler, and puts the old mask back. */
	sigprocmask(SIG_BLOCK, &usr2, &old);
	raise(SIGUSR2);
	got_count = 0;
	sigset_t none;
	sigemptyset(&none);
	errno = 0;
	int r = sigsuspend(&none);
	int err = errno;
	sigprocmask(SIG_BLOCK, NULL, &now);
	check(r == -1 && err == EINTR && got_count == 1, "sigsuspend_eintr");
	check(sigismember(&now, SIGUSR2) == 1, "sigsuspend_restores_mask");
	sigprocmask(SIG_SETMASK, &old, NULL);
	set_default(SIGUSR2);
}

/* --- sigaltstack --- */

static char *alt_base;
static size_t alt_size;
static volatile int on_alt, alt_flag_seen;

static void alt_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	char here;
	on_alt = &here >= alt_base && &here < alt_base + alt_size;
	stack_t now;
	sigaltstack(NULL, &now);
	alt_flag_seen = (now.ss_flags & SS_ONSTACK) != 0;
}

static void check_altstack(void)
{
	alt_size = 64 * 1024;
	alt_base = malloc(alt_size);
	stack_t ss = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0 };
	check(sigaltstack(&ss, NULL) == 0, "sigaltstack_set");
	handle(SIGUSR1, alt_handler, SA_ONSTACK);
	raise(SIGUSR1);
	check(on_alt, "handler_runs_on_alt_stack");
	check(alt_flag_seen, "sigaltstack_ss_onstack_in_handler");
	stack_t now;
	sigaltstack(NULL, &now);
	check(now.ss_sp == alt_base && now.ss_size == alt_size &&
		      now.ss_flags == 0,
	      "sigaltstack_query");
	stack_t tiny = { .ss_sp = alt_base, .ss_size = 512, .ss_flags = 0 };
	errno = 0;
	check(sigaltstack(&tiny, NULL) == -1 && errno == ENOMEM,
	      "sigaltstack_too_small_enomem");
	/* Without SA_ONSTACK the handler stays on the normal stack. */
	handle(SIGUSR1, alt_handler, 0);
	raise(SIGUSR1);
	check(!on_alt, "handler_without_sa_onstack_on_normal_stack");
	stack_t off = { .ss_flags = SS_DISABLE };
	sigaltstack(&off, NULL);
	set_default(SIGUSR1);
}

/* --- SSE state across a handler --- */

static volatile uint32_t handler_mxcsr;

static void sse_clobber(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	uint32_t m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	handler_mxcsr = m;
	uint32_t other = 0x1f80 | 0x6000;
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
			 "pcmpeqd %%xmm1, %%xmm1\n\t"
			 "pcmpeqd %%xmm2, %%xmm2\n\t"
			 "pcmpeqd %%xmm3, %%xmm3\n\t"
			 "pcmpeqd %%xmm4, %%xmm4\n\t"
			 "pcmpeqd %%xmm5, %%xmm5\n\t"
			 "pcmpeqd %%xmm6, %%xmm6\n\t"
			 "pcmpeqd %%xmm7, %%xmm7\n\t"
			 "pcmpeqd %%xmm8, %%xmm8\n\t"
			 "pcmpeqd %%xmm9, %%xmm9\n\t"
			 "pcmpeqd %%xmm10, %%xmm10\n\t"
			 "pcmpeqd %%xmm11, %%xmm11\n\t"
			 "pcmpeqd %%xmm12, %%xmm12\n\t"
			 "pcmpeqd %%xmm13, %%xmm13\n\t"
			 "pcmpeqd %%xmm14, %%xmm14\n\t"
			 "pcmpeqd %%xmm15, %%xmm15\n\t"
			 "ldmxcsr %0"
			 :
			 : "m"(other)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
			   "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			   "xmm13", "xmm14", "xmm15");
}

static void check_sse(void)
{
	handle(SIGUSR1, sse_clobber, 0);
	uint8_t in[16][16], out[16][16];
	for (int r = 0; r < 16; r++)
		for (int b = 0; b < 16; b++)
			in[r][b] = (uint8_t)(r * 16 + b + 1);
	memset(out, 0, sizeof out);
	/* Round toward zero, exceptions masked: not the default MXCSR. */
	uint32_t mxcsr = 0x1f80 | 0x6000, after = 0;
	long nr = SYS_kill, pid = getpid(), sig = SIGUSR1;
	/* Load every XMM register, send the signal with a raw syscall (so
	 * nothing between the load and the store touches them), store. */
	__asm__ volatile(
		"ldmxcsr %[mx]\n\t"
		"movdqu 0(%[in]), %%xmm0\n\t"
		"movdqu 16(%[in]), %%xmm1\n\t"
		"movdqu 32(%[in]), %%xmm2\n\t"
		"movdqu 48(%[in]), %%xmm3\n\t"
		"movdqu 64(%[in]), %%xmm4\n\t"
		"movdqu 80(%[in]), %%xmm5\n\t"
		"movdqu 96(%[in]), %%xmm6\n\t"
		"movdqu 112(%[in]), %%xmm7\n\t"
		"movdqu 128(%[in]), %%xmm8\n\t"
		"movdqu 144(%[in]), %%xmm9\n\t"
		"movdqu 160(%[in]), %%xmm10\n\t"
		"movdqu 176(%[in]), %%xmm11\n\t"
		"movdqu 192(%[in]), %%xmm12\n\t"
		"movdqu 208(%[in]), %%xmm13\n\t"
		"movdqu 224(%[in]), %%xmm14\n\t"
		"movdqu 240(%[in]), %%xmm15\n\t"
		"syscall\n\t"
		"movdqu %%xmm0, 0(%[out])\n\t"
		"movdqu %%xmm1, 16(%[out])\n\t"
		"movdqu %%xmm2, 32(%[out])\n\t"
		"movdqu %%xmm3, 48(%[out])\n\t"
		"movdqu %%xmm4, 64(%[out])\n\t"
		"movdqu %%xmm5, 80(%[out])\n\t"
		"movdqu %%xmm6, 96(%[out])\n\t"
		"movdqu %%xmm7, 112(%[out])\n\t"
		"movdqu %%xmm8, 128(%[out])\n\t"
		"movdqu %%xmm9, 144(%[out])\n\t"
		"movdqu %%xmm10, 160(%[out])\n\t"
		"movdqu %%xmm11, 176(%[out])\n\t"
		"movdqu %%xmm12, 192(%[out])\n\t"
		"movdqu %%xmm13, 208(%[out])\n\t"
		"movdqu %%xmm14, 224(%[out])\n\t"
		"movdqu %%xmm15, 240(%[out])\n\t"
		"stmxcsr %[after]\n\t"
		"ldmxcsr %[dflt]"
		: "+a"(nr), "+D"(pid), "+S"(sig), [after] "=m"(after)
		: [in] "r"(in), [out] "r"(out), [mx] "m"(mxcsr),
		  [dflt] "m"((uint32_t){ 0x1f80 })
		: "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
		  "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
		  "xmm12", "xmm13", "xmm14", "xmm15");
	check(nr == 0, "sse_kill_returned_0");
	int bad = -1;
	for (int r = 0; r < 16 && bad < 0; r++)
		if (memcmp(in[r], out[r], 16))
			bad = r;
	checkf(bad < 0, "xmm_registers_survive_handler", "xmm%d differs", bad);
	checkf(after == mxcsr, "mxcsr_survives_handler", "%#x", after);
	checkf(handler_mxcsr == 0x1f80, "handler_starts_with_default_mxcsr",
	       "%#x", handler_mxcsr);
	set_default(SIGUSR1);
}

/* --- SIGSEGV handler that siglongjmps out --- */

static sigjmp_buf jump;
static volatile int fault_sig, fault_code;
static void *volatile fault_addr;

static void jump_out(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(jump, 1);
}

static void check_segv_longjmp(void)
{
	handle(SIGSEGV, jump_out, 0);
	fault_sig = 0;
	if (sigsetjmp(jump, 1) == 0)
		*(volatile int *)0x10 = 1;
	check(fault_sig == SIGSEGV, "sigsegv_handler_siglongjmps_out");
	checkf(fault_code == SEGV_MAPERR && fault_addr == (void *)0x10,
	       "sigsegv_maperr_si_addr", "code %d", fault_code);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	check(!sigismember(&now, SIGSEGV), "siglongjmp_restores_mask");

	char *volatile ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fault_sig = 0;
	if (ro != MAP_FAILED && sigsetjmp(jump, 1) == 0)
		*(volatile char *)(ro + 8) = 1;
	checkf(fault_sig == SIGSEGV && fault_code == SEGV_ACCERR &&
		       fault_addr == ro + 8,
	       "sigsegv_accerr_si_addr", "sig %d code %d", fault_sig, fault_code);
	munmap(ro, 4096);
	set_default(SIGSEGV);
}

/* --- SIGCHLD --- */

static volatile int chld_code, chld_status;
static volatile pid_t chld_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid = si->si_pid;
	got_count++;
}

/* Forks a child that exits with `code` (or is killed with SIGKILL if
 * code < 0) and waits for SIGCHLD with sigsuspend. */
static pid_t await_sigchld(int code)
{
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	got_count = 0;
	pid_t pid = fork();
	if (pid == 0) {
		if (code >= 0)
			_exit(code);
		for (;;)
			pause();
	}
	if (code < 0)
		kill(pid, SIGKILL);
	sigset_t wait_mask = old;
	sigdelset(&wait_mask, SIGCHLD);
	while (!got_count)
		sigsuspend(&wait_mask);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

static void check_sigchld(void)
{
	handle(SIGCHLD, on_chld, 0);
	pid_t pid = await_sigchld(7);
	checkf(chld_code == CLD_EXITED && chld_status == 7 && chld_pid == pid,
	       "sigchld_cld_exited_si_status", "code %d status %d", chld_code,
	       chld_status);
	check(child_status(pid) == 7 << 8, "sigchld_child_reaped_after");
	pid = await_sigchld(-1);
	checkf(chld_code == CLD_KILLED && chld_status == SIGKILL &&
		       chld_pid == pid,
	       "sigchld_cld_killed_si_status", "code %d status %d", chld_code,
	       chld_status);
	child_status(pid);
	set_default(SIGCHLD);

	/* SIGCHLD's default action is to ignore it. */
	raise(SIGCHLD);
	check(1, "sigchld_default_ignored");
}

/* --- default actions, abort --- */

static void check_defaults(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		raise(SIGUSR1);
		_exit(0);
	}
	int st = child_status(pid);
	checkf(st == SIGUSR1, "sigusr1_default_kills", "status %#x", st);

	pid = fork();
	if (pid == 0) {
		no_core();
		abort();
	}
	st = child_status(pid);
	checkf(st == SIGABRT, "abort_status_sigabrt", "status %#x", st);

	/* A handler that returns does not save the program from abort. */
	pid = fork();
	if (pid == 0) {
		no_core();
		handle(SIGABRT, nothing, 0);
		abort();
	}
	st = child_status(pid);
	checkf(st == SIGABRT, "abort_with_handler_status_sigabrt", "status %#x",
	       st);

	/* An ignored SIGTERM does nothing; a blocked one waits. */
	signal(SIGTERM, SIG_IGN);
	raise(SIGTERM);
	check(1, "ignored_sigterm_survived");
	set_default(SIGTERM);
}

/* --- rt_sigtimedwait --- */

static void check_sigtimedwait(void)
{
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	/* kill, not raise: glibc's sigtimedwait reports SI_TKILL as SI_USER. */
	kill(getpid(), SIGUSR1);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	struct timespec ts = { 1, 0 };
	int r = sigtimedwait(&usr1, &si, &ts);
	checkf(r == SIGUSR1 && si.si_signo == SIGUSR1 && si.si_code == SI_USER &&
		       si.si_pid == getpid(),
	       "sigtimedwait_takes_pending", "r %d code %d", r, si.si_code);
	sigset_t pending;
	sigpending(&pending);
	check(!sigismember(&pending, SIGUSR1), "sigtimedwait_consumes_it");
	struct timespec short_ts = { 0, 10000000L };
	errno = 0;
	r = sigtimedwait(&usr1, &si, &short_ts);
	checkf(r == -1 && errno == EAGAIN, "sigtimedwait_timeout_eagain",
	       "r %d errno %d", r, errno);
	struct timespec bad = { 0, 1000000000L };
	errno = 0;
	r = sigtimedwait(&usr1, &si, &bad);
	checkf(r == -1 && errno == EINVAL, "sigtimedwait_bad_timeout_einval",
	       "r %d errno %d", r, errno);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* --- user-mode exceptions --- */

void do_ud2(void);
void do_div0(void);
void div0_insn(void);
void do_int3(void);
void int3_next(void);
void do_cli(void);
__asm__(".text\n"
	".globl do_ud2\n do_ud2: ud2\n ret\n"
	".globl do_div0\n do_div0: xor %ecx, %ecx\n mov $1, %eax\n cltd\n"
	".globl div0_insn\n div0_insn: idiv %ecx\n ret\n"
	".globl do_int3\n do_int3: int3\n"
	".globl int3_next\n int3_next: ret\n"
	".globl do_cli\n do_cli: cli\n ret\n");

static volatile uintptr_t trap_rip;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	trap_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
}

static void check_exception(int sig, void (*fn)(void), const char *caught,
			    int code, void *addr, const char *killed)
{
	handle(sig, jump_out, 0);
	fault_sig = fault_code = 0;
	fault_addr = 0;
	if (sigsetjmp(jump, 1) == 0)
		fn();
	checkf(fault_sig == sig && fault_code == code && fault_addr == addr,
	       caught, "sig %d code %d addr %p", fault_sig, fault_code,
	       fault_addr);
	set_default(sig);
	pid_t pid = fork();
	if (pid == 0) {
		no_core();
		fn();
		_exit(0);
	}
	int st = child_status(pid);
	checkf(st == sig, killed, "status %#x", st);
}

static void check_exceptions(void)
{
	check_exception(SIGILL, do_ud2, "ud2_sigill_ill_illopn", ILL_ILLOPN,
			(void *)do_ud2, "ud2_default_kills_sigill");
	check_exception(SIGFPE, do_div0, "div0_sigfpe_fpe_intdiv", FPE_INTDIV,
			(void *)div0_insn, "div0_default_kills_sigfpe");
	check_exception(SIGSEGV, do_cli, "cli_sigsegv_si_kernel", SI_KERNEL,
			NULL, "cli_default_kills_sigsegv");
	check_exception(SIGTRAP, do_int3, "int3_sigtrap_si_kernel", SI_KERNEL,
			NULL, "int3_default_kills_sigtrap");

	/* int3 is a trap: the handler sees rip after it, and returning
	 * continues there. */
	handle(SIGTRAP, on_trap, 0);
	fault_sig = 0;
	do_int3();
	check(fault_sig == SIGTRAP && trap_rip == (uintptr_t)int3_next,
	      "int3_handler_returns_past_it");
	set_default(SIGTRAP);
}

int main(void)
{
	checks_begin();
	unblock_all();
	check_siginfo();
	check_nesting();
	check_restart();
	check_nanosleep_signals();
	check_masks();
	check_altstack();
	check_sse();
	check_segv_longjmp();
	check_sigchld();
	check_defaults();
	check_sigtimedwait();
	check_exceptions();
	return checks_end();
}
