/* The boot-time benchmark (`tinymm bench`, boot/src/bench.rs): the
 * first command of /init's scenario, on tinymm and on Linux, prints
 *
 *   boottime: tsc T      (the time stamp counter)
 *   boottime: K ns       (CLOCK_BOOTTIME: time since the kernel started)
 *
 * QEMU resets the counter when the machine starts, and under -icount
 * shift=0 it advances one tick per instruction (and, with sleep=off, by
 * the time an idle guest skips to its next timer), so T is the guest
 * time from QEMU's start, through the firmware, the kernel and /init,
 * to this program; K is the kernel's share as the kernel counts it. */
#include <x86intrin.h>

#define BENCH_NAME "boottime"
#include "bench.h"

int main(void)
{
	unsigned long long tsc = __rdtsc();
	struct timespec zero = {0, 0}, now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	say("boottime: tsc %llu\n", tsc);
	say("boottime: %lld ns\n", ns_between(&zero, &now));
	return finish(0);
}
