/* SPDX-License-Identifier: MIT */
/*
 * __kernel_vsyscall: the i386 system-call entry a libc reaches through AT_SYSINFO
 * (glibc: `call *%gs:0x10`), after Linux's arch/x86/entry/vdso/vdso32/system_call.S.
 *
 * SYSENTER saves no return address and no user stack pointer, so the caller's %ecx, %edx and
 * %ebp go on the user stack and %ebp carries %esp to the kernel (entry_SYSENTER_32 reads the
 * sixth argument from there). The kernel's SYSEXIT always comes back to int80_landing_pad,
 * whose address the kernel must know (VdsoImage.sysenterReturn). If SYSENTER does nothing (no
 * kernel model hooked it: on Unicorn it is then a 2-byte no-op), execution falls into the
 * `int $0x80` below, which makes the same system call the slow way and lands on the same pops.
 */
	.text
	.globl	__kernel_vsyscall
	.type	__kernel_vsyscall, @function
	.p2align 4
__kernel_vsyscall:
	.cfi_startproc
	pushl	%ecx
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset ecx, 0
	pushl	%edx
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset edx, 0
	pushl	%ebp
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset ebp, 0
	movl	%esp, %ebp
	/* These labels stay in .symtab (the version script makes them local) for VdsoImage. */
	.globl	vsyscall_sysenter
vsyscall_sysenter:
	sysenter
	.globl	int80_fallback
int80_fallback:
	int	$0x80
	.globl	int80_landing_pad
int80_landing_pad:
	popl	%ebp
	.cfi_adjust_cfa_offset -4
	.cfi_restore ebp
	popl	%edx
	.cfi_adjust_cfa_offset -4
	.cfi_restore edx
	popl	%ecx
	.cfi_adjust_cfa_offset -4
	.cfi_restore ecx
	ret
	.cfi_endproc
	.size	__kernel_vsyscall, . - __kernel_vsyscall

	.section .note.GNU-stack, "", @progbits
