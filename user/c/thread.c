/* Threads: 100 pthreads and their results, raw futex WAIT/WAKE (value
 * mismatch, timeout), __thread variables, CLONE_CHILD_CLEARTID, gettid
 * and getpid, exit_group from a thread, a mutex/condvar ping-pong, a
 * signal directed at one thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* linux/futex.h's values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static pid_t gettid_raw(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static long futex(volatile int *uaddr, int op, int val,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static pthread_attr_t small_stack;

/* --- 100 threads, __thread, ids --- */

enum { NTHREADS = 100 };
static __thread int tls_value = 5;
static pid_t thread_tids[NTHREADS];
static int thread_pid_ok[NTHREADS];

static void *worker(void *arg)
{
	int i = (int)(intptr_t)arg;
	int tls_start = tls_value;
	tls_value = 1000 + i;
	thread_tids[i] = gettid_raw();
	thread_pid_ok[i] = getpid() == (pid_t)syscall(SYS_getpid);
	sched_yield();
	long result = (long)i * i + 1;
	/* Another thread's writes never show through ours. */
	if (tls_value != 1000 + i || tls_start != 5)
		result = -1;
	return (void *)result;
}

static void check_many_threads(void)
{
	pthread_t t[NTHREADS];
	int created = 0;
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], &small_stack, worker, (void *)(intptr_t)i) == 0)
			created++;
	checkf(created == NTHREADS, "pthread_create_100", "%d created", created);
	int right = 0;
	for (int i = 0; i < created; i++) {
		void *ret;
		if (pthread_join(t[i], &ret) == 0 && (long)ret == (long)i * i + 1)
			right++;
	}
	checkf(right == NTHREADS, "pthread_join_100_results", "%d right", right);
	check(tls_value == 5, "tls_main_thread_untouched");
	int distinct = 1, pid_ok = 1;
	for (int i = 0; i < NTHREADS; i++) {
		if (thread_tids[i] == getpid() || thread_tids[i] <= 0)
			distinct = 0;
		for (int j = 0; j < i; j++)
			if (thread_tids[i] == thread_tids[j])
				distinct = 0;
		pid_ok &= thread_pid_ok[i];
	}
	check(distinct, "thread_tids_distinct_from_pid_and_each_other");
	check(pid_ok, "getpid_same_in_threads");
	check(gettid_raw() == getpid(), "main_thread_tid_is_pid");
}

static pid_t seen_pid;
static void *report_pid(void *arg)
{
	(void)arg;
	seen_pid = getpid();
	return NULL;
}

static void check_getpid_in_thread(void)
{
	pthread_t t;
	pthread_create(&t, &small_stack, report_pid, NULL);
	pthread_join(t, NULL);
	check(seen_pid == getpid(), "getpid_in_thread_is_tgid");
	check(getppid() == (pid_t)syscall(SYS_getppid), "getppid_raw");
}

/* --- futex --- */

static volatile int futex_word;
static volatile long waiter_ret = 99;

static void *futex_waiter(void *arg)
{
	(void)arg;
	waiter_ret = futex(&futex_word, FUTEX_WAIT_PRIVATE, 0, NULL);
	return NULL;
}

static void check_futex(void)
{
	futex_word = 0;
	errno = 0;
	long r = futex(&futex_word, FUTEX_WAIT_PRIVATE, 1, NULL);
	checkf(r == -1 && errno == EAGAIN, "futex_wait_mismatch_eagain",
	       "r %ld errno %d", r, errno);
	struct timespec ts = { 0, 20000000L };
	errno = 0;
	r = futex(&futex_word, FUTEX_WAIT_PRIVATE, 0, &ts);
	checkf(r == -1 && errno == ETIMEDOUT, "futex_wait_timeout_etimedout",
	       "r %ld errno %d", r, errno);
	check(futex(&futex_word, FUTEX_WAKE_PRIVATE, 1, NULL) == 0,
	      "futex_wake_nobody_0");

	/* Wake until the waiter was there to be woken: exactly one. */
	pthread_t t;
	pthread_create(&t, &small_stack, futex_waiter, NULL);
	long woken = 0;
	for (int i = 0; i < 5000 && woken == 0; i++) {
		woken = futex(&futex_word, FUTEX_WAKE_PRIVATE, 1, NULL);
		if (woken == 0)
			sleep_ms(1);
	}
	pthread_join(t, NULL);
	checkf(woken == 1 && waiter_ret == 0, "futex_wake_wakes_waiter",
	       "woken %ld waiter %ld", woken, waiter_ret);

	/* The shared (non-private) ops on a private mapping work too. */
	waiter_ret = 99;
	futex_word = 0;
	errno = 0;
	r = futex(&futex_word, FUTEX_WAIT, 7, NULL);
	checkf(r == -1 && errno == EAGAIN, "futex_shared_wait_mismatch_eagain",
	       "r %ld errno %d", r, errno);
	errno = 0;
	r = futex(&futex_word, 99, 0, NULL);
	checkf(r == -1 && errno == ENOSYS, "futex_bad_op_enosys", "r %ld errno %d",
	       r, errno);
	errno = 0;
	r = futex((volatile int *)((char *)&futex_word + 1), FUTEX_WAIT_PRIVATE,
		  0, NULL);
	checkf(r == -1 && errno == EINVAL, "futex_unaligned_einval",
	       "r %ld errno %d", r, errno);
}

/* --- CLONE_CHILD_CLEARTID, raw --- */

/* A raw thread that exits at once: clone with glibc's thread flags and
 * PARENT_SETTID/CHILD_SETTID/CHILD_CLEARTID; the child runs no C. */
static long raw_thread(int *ptid, int *ctid, void *stack)
{
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			      CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
			      CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
	long ret;
	register long r10 __asm__("r10") = (long)ctid;
	register long r8 __asm__("r8") = 0;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone), "D"(flags), "S"(stack), "d"(ptid),
			   "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static void check_clear_tid(void)
{
	static char stack[4096] __attribute__((aligned(16)));
	static volatile int ptid = -1, ctid = -1;
	long tid = raw_thread((int *)&ptid, (int *)&ctid, stack + sizeof stack);
	check(tid > 0 && tid != getpid(), "raw_clone_thread_tid");
	check(ptid == tid, "clone_parent_settid");
	/* The exit clears the word and wakes it (CHILD_SETTID may land
	 * before or after we look). */
	int v, rounds = 0;
	while ((v = ctid) != 0 && rounds++ < 100) {
		struct timespec ts = { 0, 50000000L };
		futex(&ctid, FUTEX_WAIT, v, &ts);
	}
	checkf(ctid == 0, "clone_child_cleartid_cleared_at_exit", "ctid %d", ctid);
}

/* --- exit_group from a thread --- */

static void *group_exit(void *arg)
{
	(void)arg;
	syscall(SYS_exit_group, 42);
	return NULL;
}

static void *thread_exit_only(void *arg)
{
	(void)arg;
	pthread_exit((void *)9);
}

static void check_exit_group(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, &small_stack, group_exit, NULL);
		for (;;)
			pause();
	}
	int st = -1;
	waitpid(pid, &st, 0);
	checkf(st == 42 << 8, "exit_group_from_thread_ends_process", "status %#x",
	       st);

	/* A thread's exit (pthread_exit: SYS_exit) ends only the thread; the
	 * process goes on and exits with its own status. */
	pid = fork();
	if (pid == 0) {
		pthread_t t;
		void *ret = NULL;
		pthread_create(&t, &small_stack, thread_exit_only, NULL);
		pthread_join(t, &ret);
		_exit(ret == (void *)9 ? 3 : 4);
	}
	st = -1;
	waitpid(pid, &st, 0);
	checkf(st == 3 << 8, "thread_exit_ends_only_thread", "status %#x", st);

	/* The main thread exiting alone leaves the others running; the
	 * process's status is the last thread's group exit. */
	pid = fork();
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, &small_stack, group_exit, NULL);
		pthread_exit(NULL);
	}
	st = -1;
	waitpid(pid, &st, 0);
	checkf(st == 42 << 8, "main_pthread_exit_process_lives_on", "status %#x",
	       st);
}

/* --- mutex/condvar ping-pong --- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn, hits[2];
enum { ROUNDS = 1000 };

static void *player(void *arg)
{
	int me = (int)(intptr_t)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		while (turn != me)
			pthread_cond_wait(&turn_changed, &lock);
		hits[me]++;
		turn = 1 - me;
		pthread_cond_broadcast(&turn_changed);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void check_ping_pong(void)
{
	pthread_t a, b;
	pthread_create(&a, &small_stack, player, (void *)0);
	pthread_create(&b, &small_stack, player, (void *)1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	check(hits[0] == ROUNDS && hits[1] == ROUNDS && turn == 0,
	      "mutex_condvar_ping_pong");
}

/* --- a signal directed at one thread --- */

static volatile pid_t handler_tid, target_tid;
static volatile int target_ready, target_done;

static void on_usr1(int sig)
{
	(void)sig;
	handler_tid = gettid_raw();
}

static void *target(void *arg)
{
	(void)arg;
	target_tid = gettid_raw();
	target_ready = 1;
	while (!handler_tid)
		sleep_ms(1);
	target_done = 1;
	return NULL;
}

static void check_thread_signal(void)
{
	signal(SIGUSR1, on_usr1);
	handler_tid = 0;
	pthread_t t;
	pthread_create(&t, &small_stack, target, NULL);
	while (!target_ready)
		sleep_ms(1);
	int r = pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	check(r == 0 && handler_tid == target_tid && target_done,
	      "pthread_kill_runs_handler_in_that_thread");
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	checks_begin();
	pthread_attr_init(&small_stack);
	pthread_attr_setstacksize(&small_stack, 64 * 1024);
	check_many_threads();
	check_getpid_in_thread();
	check_futex();
	check_clear_tid();
	check_exit_group();
	check_ping_pong();
	check_thread_signal();
	return checks_end();
}
