// SPDX-License-Identifier: MIT
/*
 * The vDSO clock functions of sysgate, for both ABIs (vdso32 builds this same file with -m32),
 * after Linux's arch/x86/entry/vdso/vclock_gettime.c and lib/vdso/gettimeofday.c.
 *
 * They read the vvar page (datapage.h) that the kernel model keeps current and make no kernel
 * entry for the clocks it serves; any other clock id, or clock_mode NONE, goes to the real
 * syscall: `syscall` on x86-64, `call __kernel_vsyscall` on i386, as Linux's fallbacks do.
 */
#include "datapage.h"

/* Placed by the linker script at vvar_page + VVAR_VDSO_DATA_OFFSET, i.e. in the page just before
 * the image: hidden, so gcc reaches it %rip-relative (x86-64) or @GOTOFF from the GOT base
 * (i386 -fpic) and the image needs no dynamic relocation wherever the kernel maps it. */
extern struct vdso_data _vdso_data __attribute__((visibility("hidden")));

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define barrier() __asm__ __volatile__("" ::: "memory")

typedef int clockid_t;

/* The user-space ABI types, named as the kernel's uapi names them. */
struct __kernel_timespec { long long tv_sec; long long tv_nsec; };
struct __kernel_old_timeval { long tv_sec; long tv_usec; };
struct old_timespec32 { int tv_sec; int tv_nsec; };
struct timezone { int tz_minuteswest; int tz_dsttime; };

#ifdef __x86_64__
#define __NR_gettimeofday 96
#define __NR_time 201
#define __NR_clock_gettime 228
#define __NR_clock_getres 229
#define __NR_getcpu 309

static inline long vdso_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "0"(nr), "D"(a), "S"(b), "d"(c)
			     : "rcx", "r11", "memory");
	return ret;
}
#else
#define __NR_time 13
#define __NR_gettimeofday 78
#define __NR_clock_gettime 265
#define __NR_clock_getres 266
#define __NR_clock_gettime64 403

/* %ebx carries the first argument but is also the PIC register: keep it in %edx meanwhile
 * (__kernel_vsyscall preserves %edx). */
static inline long vdso_syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ __volatile__("mov %%ebx, %%edx\n\t"
			     "mov %[a], %%ebx\n\t"
			     "call __kernel_vsyscall\n\t"
			     "mov %%edx, %%ebx"
			     : "=a"(ret)
			     : "0"(nr), [a] "g"(a), "c"(b)
			     : "edx", "memory");
	return ret;
}
#define vdso_syscall3(nr, a, b, c) vdso_syscall2(nr, a, b)
#endif

static inline unsigned int vdso_read_begin(const struct vdso_data *vd)
{
	unsigned int seq;

	/* Odd: the kernel model is in the middle of an update. */
	while ((seq = READ_ONCE(vd->seq)) & 1)
		__asm__ __volatile__("pause");
	barrier(); /* x86 keeps loads ordered: smp_rmb() is a compiler barrier */
	return seq;
}

static inline int vdso_read_retry(const struct vdso_data *vd, unsigned int start)
{
	barrier();
	return READ_ONCE(vd->seq) != start;
}

/* rdtsc_ordered(): LFENCE keeps RDTSC from running ahead of the seqcount load. */
static inline u64 rdtsc_ordered(void)
{
	unsigned int lo, hi;

	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((u64)hi << 32) | lo;
}

/* Seconds out of a nanosecond count by subtraction, as Linux's __iter_div_u64_rem: the count is
 * almost always below 2 s, and a real 64-bit division would need libgcc's __udivdi3 on i386. */
static inline u32 iter_div_u64_rem(u64 dividend, u64 divisor, u64 *remainder)
{
	u32 ret = 0;

	while (dividend >= divisor) {
		/* stops gcc from turning the loop back into a division */
		__asm__("" : "+rm"(dividend));
		dividend -= divisor;
		ret++;
	}
	*remainder = dividend;
	return ret;
}

static int do_hres(const struct vdso_data *vd, clockid_t clk, u64 *sec, u64 *nsec)
{
	const struct vdso_timestamp *ts = &vd->basetime[clk];
	u64 cycles, last, ns, s;
	unsigned int seq;

	do {
		seq = vdso_read_begin(vd);
		if (READ_ONCE(vd->clock_mode) == VDSO_CLOCKMODE_NONE)
			return -1;
		cycles = rdtsc_ordered();
		last = vd->cycle_last;
		ns = ts->nsec;
		/* A TSC behind cycle_last (another CPU, or a reset) adds nothing, as on x86 Linux. */
		if (cycles > last)
			ns += ((cycles - last) & vd->mask) * vd->mult;
		ns >>= vd->shift;
		s = ts->sec;
	} while (vdso_read_retry(vd, seq));

	*sec = s + iter_div_u64_rem(ns, NSEC_PER_SEC, &ns);
	*nsec = ns;
	return 0;
}

static int do_coarse(const struct vdso_data *vd, clockid_t clk, u64 *sec, u64 *nsec)
{
	const struct vdso_timestamp *ts = &vd->basetime[clk];
	unsigned int seq;

	do {
		seq = vdso_read_begin(vd);
		*sec = ts->sec;
		*nsec = ts->nsec;
	} while (vdso_read_retry(vd, seq));
	return 0;
}

/* 0 with the time in *sec and *nsec when the page serves `clock`, -1 when the syscall must. */
static int vdso_clock_get(clockid_t clock, u64 *sec, u64 *nsec)
{
	const struct vdso_data *vd = &_vdso_data;
	u32 msk;

	if ((u32)clock >= VDSO_BASES)
		return -1;
	msk = 1u << clock;
	if (msk & VDSO_HRES)
		return do_hres(vd, clock, sec, nsec);
	if (msk & VDSO_COARSE)
		return do_coarse(vd, clock, sec, nsec);
	return -1;
}

/* 0 with the resolution in *ns when the page serves `clock`, -1 for the syscall. */
static int vdso_clock_res(clockid_t clock, u32 *ns)
{
	u32 msk;

	if ((u32)clock >= VDSO_BASES)
		return -1;
	msk = 1u << clock;
	if (msk & VDSO_HRES)
		*ns = READ_ONCE(_vdso_data.hrtimer_res);
	else if (msk & VDSO_COARSE)
		*ns = LOW_RES_NSEC;
	else
		return -1;
	return 0;
}

static int vdso_gettimeofday(struct __kernel_old_timeval *tv, struct timezone *tz)
{
	const struct vdso_data *vd = &_vdso_data;

	if (tv) {
		u64 sec, nsec;

		if (do_hres(vd, CLOCK_REALTIME, &sec, &nsec))
			return vdso_syscall3(__NR_gettimeofday, (long)tv, (long)tz, 0);
		tv->tv_sec = (long)sec;
		tv->tv_usec = (u32)nsec / 1000u;
	}
	if (tz) {
		tz->tz_minuteswest = vd->tz_minuteswest;
		tz->tz_dsttime = vd->tz_dsttime;
	}
	return 0;
}

static long vdso_time(long *t)
{
	const struct vdso_data *vd = &_vdso_data;
	long secs;

	if (READ_ONCE(vd->clock_mode) == VDSO_CLOCKMODE_NONE)
		return vdso_syscall3(__NR_time, (long)t, 0, 0);
	/* One aligned load: no seqcount needed for a single word, as in Linux. */
	secs = (long)READ_ONCE(vd->basetime[CLOCK_REALTIME].sec);
	if (t)
		*t = secs;
	return secs;
}

#ifdef __x86_64__

int __vdso_clock_gettime(clockid_t clock, struct __kernel_timespec *ts)
{
	u64 sec, nsec;

	if (vdso_clock_get(clock, &sec, &nsec))
		return (int)vdso_syscall3(__NR_clock_gettime, clock, (long)ts, 0);
	ts->tv_sec = (long long)sec;
	ts->tv_nsec = (long long)nsec;
	return 0;
}
int clock_gettime(clockid_t, struct __kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));

int __vdso_gettimeofday(struct __kernel_old_timeval *tv, struct timezone *tz)
{
	return vdso_gettimeofday(tv, tz);
}
int gettimeofday(struct __kernel_old_timeval *, struct timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));

long __vdso_time(long *t)
{
	return vdso_time(t);
}
long time(long *) __attribute__((weak, alias("__vdso_time")));

long __vdso_getcpu(unsigned int *cpu, unsigned int *node, void *unused)
{
	(void)unused;
	if (cpu)
		*cpu = READ_ONCE(_vdso_data.cpu);
	if (node)
		*node = READ_ONCE(_vdso_data.node);
	return 0;
}
long getcpu(unsigned int *, unsigned int *, void *) __attribute__((weak, alias("__vdso_getcpu")));

int __vdso_clock_getres(clockid_t clock, struct __kernel_timespec *res)
{
	u32 ns;

	if (vdso_clock_res(clock, &ns))
		return (int)vdso_syscall3(__NR_clock_getres, clock, (long)res, 0);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = ns;
	}
	return 0;
}
int clock_getres(clockid_t, struct __kernel_timespec *)
	__attribute__((weak, alias("__vdso_clock_getres")));

#else /* i386 */

/* The 32-bit time_t interface (y2038-limited), as Linux's vdso32 keeps it. */
int __vdso_clock_gettime(clockid_t clock, struct old_timespec32 *ts)
{
	u64 sec, nsec;

	if (vdso_clock_get(clock, &sec, &nsec))
		return (int)vdso_syscall2(__NR_clock_gettime, clock, (long)ts);
	ts->tv_sec = (int)sec;
	ts->tv_nsec = (int)nsec;
	return 0;
}

int __vdso_clock_gettime64(clockid_t clock, struct __kernel_timespec *ts)
{
	u64 sec, nsec;

	if (vdso_clock_get(clock, &sec, &nsec))
		return (int)vdso_syscall2(__NR_clock_gettime64, clock, (long)ts);
	ts->tv_sec = (long long)sec;
	ts->tv_nsec = (long long)nsec;
	return 0;
}

int __vdso_gettimeofday(struct __kernel_old_timeval *tv, struct timezone *tz)
{
	return vdso_gettimeofday(tv, tz);
}

long __vdso_time(long *t)
{
	return vdso_time(t);
}

int __vdso_clock_getres(clockid_t clock, struct old_timespec32 *res)
{
	u32 ns;

	if (vdso_clock_res(clock, &ns))
		return (int)vdso_syscall2(__NR_clock_getres, clock, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = (int)ns;
	}
	return 0;
}

#endif
