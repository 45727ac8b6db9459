/* SPDX-License-Identifier: MIT */
/*
 * Linker script of the x86-64 vDSO (Linux's vdso.lds.S): the shared layout, and the version
 * script that exports the functions, with their unprefixed weak aliases, as LINUX_2.6 (the
 * version glibc looks them up with) and hides everything else.
 */
#include "vdso-layout.lds.S"

VERSION {
	LINUX_2.6 {
	global:
		clock_gettime;
		__vdso_clock_gettime;
		gettimeofday;
		__vdso_gettimeofday;
		getcpu;
		__vdso_getcpu;
		time;
		__vdso_time;
		clock_getres;
		__vdso_clock_getres;
	local: *;
	};
}
