/* The benchmark programs' shared helpers: one write(2) per line (no
 * stdio buffering between the timestamps), pid 1's power-off, and
 * timespec arithmetic. `BENCH_NAME` prefixes the lines. */
#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* Exits with `status`, or as pid 1 powers off (after saying how it
 * ended: the host sees no exit status then). */
static int finish(int status)
{
	if (getpid() == 1) {
		say(BENCH_NAME ": exit status %d\n", status);
		reboot(RB_POWER_OFF);
		say(BENCH_NAME ": reboot: %s\n", strerror(errno));
		for (;;)
			pause();
	}
	return status;
}

static long long ns_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

#endif
