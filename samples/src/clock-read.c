/* clock-read: read the clocks through the libc, which uses the vDSO when the kernel
 * provides one (then no clock syscall is made at all).
 *
 * Prints "clock: ok" when realtime, gettimeofday and time() are past 2001-09-09
 * (> 1e9 s) and CLOCK_MONOTONIC did not go backwards; else "clock: bad <what>", exit 1.
 * Built against glibc and musl, for x86-64 and i386.
 */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static int bad(const char *what)
{
	printf("clock: bad %s\n", what);
	return 1;
}

int main(void)
{
	struct timespec mono1, mono2, real;
	struct timeval tv;

	if (clock_gettime(CLOCK_MONOTONIC, &mono1) != 0)
		return bad("clock_gettime(CLOCK_MONOTONIC)");
	if (clock_gettime(CLOCK_REALTIME, &real) != 0)
		return bad("clock_gettime(CLOCK_REALTIME)");
	if (gettimeofday(&tv, NULL) != 0)
		return bad("gettimeofday");
	time_t now = time(NULL);
	if (clock_gettime(CLOCK_MONOTONIC, &mono2) != 0)
		return bad("clock_gettime(CLOCK_MONOTONIC)");

	if (real.tv_sec <= 1000000000)
		return bad("CLOCK_REALTIME");
	if (tv.tv_sec <= 1000000000)
		return bad("gettimeofday");
	if (now <= 1000000000)
		return bad("time");
	if (mono2.tv_sec < mono1.tv_sec || (mono2.tv_sec == mono1.tv_sec && mono2.tv_nsec < mono1.tv_nsec))
		return bad("CLOCK_MONOTONIC went backwards");
	printf("clock: ok\n");
	return 0;
}
