/* SPDX-License-Identifier: MIT */
/*
 * The vvar page of sysgate's vDSO: the data the kernel model keeps current and the vDSO's clock
 * functions read without entering the kernel. Modelled on Linux's struct vdso_data
 * (include/vdso/datapage.h); kernel-model/vdso/vvar.ts writes the same layout, and a test
 * compiles this header for -m64 and -m32 and compares every offset with vvar.ts.
 *
 * Every 64-bit field sits at an 8-byte aligned offset with explicit padding, so the layout is the
 * same for x86-64 and i386 (where gcc would otherwise align a u64 member to 4 bytes only).
 */
#ifndef SYSGATE_VDSO_DATAPAGE_H
#define SYSGATE_VDSO_DATAPAGE_H

/* clockid_t values (include/uapi/linux/time.h) */
#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID  3
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7
#define CLOCK_REALTIME_ALARM     8
#define CLOCK_BOOTTIME_ALARM     9
#define CLOCK_TAI                11
#define VDSO_BASES               (CLOCK_TAI + 1)

/* The clocks the page serves, as Linux's VDSO_HRES / VDSO_COARSE masks. Everything else (the
 * CPU-time clocks, MONOTONIC_RAW, the alarm clocks, invalid ids) goes to the real syscall. */
#define VDSO_HRES   ((1u << CLOCK_REALTIME) | (1u << CLOCK_MONOTONIC) | \
                     (1u << CLOCK_BOOTTIME) | (1u << CLOCK_TAI))
#define VDSO_COARSE ((1u << CLOCK_REALTIME_COARSE) | (1u << CLOCK_MONOTONIC_COARSE))

/* vdso_data.clock_mode (Linux's enum vdso_clock_mode): NONE sends every clock to the syscall. */
#define VDSO_CLOCKMODE_NONE 0
#define VDSO_CLOCKMODE_TSC  1

#ifndef __ASSEMBLER__
#define NSEC_PER_SEC 1000000000ULL
#endif
/* Resolution of the coarse clocks: one tick (Linux's LOW_RES_NSEC = TICK_NSEC), HZ = 250. */
#define LOW_RES_NSEC 4000000u

/* Offset of the vdso_data inside the vvar page: 128, as Linux's DECLARE_VVAR(128, ...). */
#define VVAR_VDSO_DATA_OFFSET 128

/* The rest is C only: the linker scripts include this header for VVAR_VDSO_DATA_OFFSET. */
#ifndef __ASSEMBLER__

typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;

struct vdso_timestamp {
	u64 sec;   /* seconds */
	u64 nsec;  /* nanoseconds, shifted left by vdso_data.shift for the HRES clocks */
};

struct vdso_data {
	u32 seq;            /*   0: seqcount, odd while the kernel model writes the page */
	s32 clock_mode;     /*   4: VDSO_CLOCKMODE_* */
	u64 cycle_last;     /*   8: TSC value at which basetime[] was taken */
	u64 mask;           /*  16: mask applied to (tsc - cycle_last) */
	u32 mult;           /*  24: ns = (delta * mult) >> shift; 0 freezes the clock between updates */
	u32 shift;          /*  28 */
	struct vdso_timestamp basetime[VDSO_BASES]; /* 32: indexed by clockid, 16 bytes each */
	s32 tz_minuteswest; /* 224: struct timezone for gettimeofday */
	s32 tz_dsttime;     /* 228 */
	u32 hrtimer_res;    /* 232: clock_getres answer for the HRES clocks, in ns */
	u32 cpu;            /* 236: getcpu: sysgate keeps the CPU/node here (Linux reads them with */
	u32 node;           /* 240:   LSL on a per-CPU GDT segment or RDPID) so the vDSO does not */
	u32 __unused;       /* 244:   depend on the GDT layout of the boot code */
};                          /* 248 bytes */

#define VDSO_DATA_ASSERT(f, off) \
	_Static_assert(__builtin_offsetof(struct vdso_data, f) == (off), "vdso_data." #f)
VDSO_DATA_ASSERT(seq, 0);
VDSO_DATA_ASSERT(clock_mode, 4);
VDSO_DATA_ASSERT(cycle_last, 8);
VDSO_DATA_ASSERT(mask, 16);
VDSO_DATA_ASSERT(mult, 24);
VDSO_DATA_ASSERT(shift, 28);
VDSO_DATA_ASSERT(basetime, 32);
VDSO_DATA_ASSERT(tz_minuteswest, 224);
VDSO_DATA_ASSERT(tz_dsttime, 228);
VDSO_DATA_ASSERT(hrtimer_res, 232);
VDSO_DATA_ASSERT(cpu, 236);
VDSO_DATA_ASSERT(node, 240);
_Static_assert(sizeof(struct vdso_data) == 248, "sizeof(struct vdso_data)");

#endif /* !__ASSEMBLER__ */

#endif
