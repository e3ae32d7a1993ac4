/* The checks' shared helpers: one line per check, `name: ok` or
 * `name: FAIL (detail)`, then `N passed, M failed`. Output must be the
 * same on Linux and on tinymm, so lines carry facts and verdicts, never
 * pids, addresses or times (a FAIL's detail may, since it is read only
 * when something is wrong). */
#ifndef CHECK_H
#define CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks_passed, checks_failed;

/* Line-buffered stdout whatever stdout is (a pipe on the host, the
 * console on tinymm): each line is one write, and a fork never inherits
 * unwritten lines. */
static void checks_begin(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Records a check; `fmt` (may be NULL) details a failure. Returns cond. */
__attribute__((format(printf, 3, 4)))
static int checkf(int cond, const char *name, const char *fmt, ...)
{
	if (cond) {
		checks_passed++;
		printf("%s: ok\n", name);
		return 1;
	}
	checks_failed++;
	printf("%s: FAIL", name);
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		printf(" (");
		vprintf(fmt, ap);
		printf(")");
		va_end(ap);
	}
	printf("\n");
	return 0;
}

#define check(cond, name) checkf((cond), (name), "%s", #cond)

/* Prints the summary; the process's exit status: 0 only if none failed. */
static int checks_end(void)
{
	printf("%d passed, %d failed\n", checks_passed, checks_failed);
	fflush(stdout);
	return checks_failed ? 1 : 0;
}

/* A field of /proc/self/status in kB, or -1. */
static inline long status_kb(const char *field)
{
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

#endif
