/* SPDX-License-Identifier: MIT */
/*
 * The i386 signal-return trampolines (Linux's arch/x86/entry/vdso/vdso32/sigreturn.S). When a
 * handler installed without SA_RESTORER returns, it returns here: the kernel put the address in
 * the signal frame's return slot.
 *
 * __kernel_sigreturn serves the old frame (struct sigframe), whose first word after the return
 * address is the signal number: pop it so %esp points at the saved sigcontext, then
 * sigreturn (119). __kernel_rt_sigreturn serves the SA_SIGINFO frame: rt_sigreturn (173).
 *
 * The nop before each entry is there because unwinders look up the FDE of (return address - 1),
 * which must still fall inside the trampoline's range.
 */
#define __NR_sigreturn		119
#define __NR_rt_sigreturn	173

	.text
	.p2align 5
	nop
	.globl	__kernel_sigreturn
	.type	__kernel_sigreturn, @function
__kernel_sigreturn:
	popl	%eax
	movl	$__NR_sigreturn, %eax
	int	$0x80
	.size	__kernel_sigreturn, . - __kernel_sigreturn

	.p2align 5
	nop
	.globl	__kernel_rt_sigreturn
	.type	__kernel_rt_sigreturn, @function
__kernel_rt_sigreturn:
	movl	$__NR_rt_sigreturn, %eax
	int	$0x80
	.size	__kernel_rt_sigreturn, . - __kernel_rt_sigreturn

	.section .note.GNU-stack, "", @progbits
