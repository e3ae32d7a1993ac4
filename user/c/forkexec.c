/* The fork+exec+wait benchmark (`tinymm bench`, boot/src/bench.rs):
 * `forkexec N PROGRAM` forks N times, each child execs PROGRAM with no
 * arguments and an empty environment, and the parent waits for it and
 * checks it exited 0. It prints, between `bench: begin` and `bench: end`:
 *
 *   forkexec: N iterations
 *   forkexec: T ns       (CLOCK_MONOTONIC over the N iterations)
 *   forkexec: tsc D      (the rdtsc delta over them; under QEMU's
 *                         -icount shift=0 one tick is one instruction)
 *
 * Run as pid 1 (Linux's /init in the benchmark's initramfs) it powers
 * the machine off at the end, since init must not exit. Each line is one
 * write(2): no stdio buffer is duplicated by fork. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define BENCH_NAME "forkexec"
#include "bench.h"

int main(int argc, char **argv)
{
	char *end;
	long n = argc == 3 ? strtol(argv[1], &end, 10) : 0;
	if (argc != 3 || *end || n <= 0) {
		say("usage: forkexec N PROGRAM\n");
		return finish(2);
	}
	char *child_argv[] = {argv[2], NULL};
	char *child_envp[] = {NULL};
	struct timespec t0, t1;

	say("bench: begin\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned long long tsc0 = __rdtsc();
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			say("forkexec: fork: %s\n", strerror(errno));
			return finish(1);
		}
		if (pid == 0) {
			execve(argv[2], child_argv, child_envp);
			say("forkexec: execve %s: %s\n", argv[2], strerror(errno));
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid) {
			say("forkexec: waitpid: %s\n", strerror(errno));
			return finish(1);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			say("forkexec: child status %#x\n", status);
			return finish(1);
		}
	}
	unsigned long long tsc1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	say("forkexec: %ld iterations\n", n);
	say("forkexec: %lld ns\n", ns_between(&t0, &t1));
	say("forkexec: tsc %llu\n", tsc1 - tsc0);
	say("bench: end\n");
	return finish(0);
}
