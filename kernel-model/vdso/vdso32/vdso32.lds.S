/* SPDX-License-Identifier: MIT */
/*
 * Linker script of the i386 vDSO (Linux's vdso32/vdso32.lds.S). As in Linux, two version
 * definitions: LINUX_2.5 for the system-call entry and the signal trampolines (they date from
 * the 2.5 series), LINUX_2.6 for the clock functions, which libcs look up as LINUX_2.6.
 * e_entry is __kernel_vsyscall, one more way to find AT_SYSINFO.
 */
#include "../vdso-layout.lds.S"

ENTRY(__kernel_vsyscall);

VERSION
{
	LINUX_2.6 {
	global:
		__vdso_clock_gettime;
		__vdso_gettimeofday;
		__vdso_time;
		__vdso_clock_getres;
		__vdso_clock_gettime64;
	};

	LINUX_2.5 {
	global:
		__kernel_vsyscall;
		__kernel_sigreturn;
		__kernel_rt_sigreturn;
	local: *;
	};
}
