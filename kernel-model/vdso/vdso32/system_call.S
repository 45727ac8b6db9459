/* SPDX-License-Identifier: MIT */
/*
 * __kernel_vsyscall: the i386 system-call entry a libc reaches through AT_SYSINFO
 * (glibc: `call *%gs:0x10`), after Linux's arch/x86/entry/vdso/vdso32/system_call.S.
 *
 * One image serves every kernel and CPU, as in Linux: the fast entry is an alternative patched
 * when the kernel maps the image (vdso_image.ts, the model's apply_alternatives):
 *   nothing            the `int $0x80` below does the call (the site is NOPs)
 *   SYSENTER           `movl %esp, %ebp; sysenter`  native i386 kernel (X86_FEATURE_SEP), and
 *                      Intel CPUs under the x86-64 kernel (X86_FEATURE_SYSENTER32)
 *   SYSCALL            `movl %ecx, %ebp; syscall`   AMD CPUs under the x86-64 kernel
 *                      (X86_FEATURE_SYSCALL32): SYSCALL puts the return address in ECX
 * Neither instruction saves a return address or (SYSENTER) the user stack pointer, so the
 * caller's %ecx, %edx and %ebp go on the user stack first, and %ebp carries %esp or %ecx to
 * the kernel (which reads the sixth argument from the stack). The kernel returns, with SYSEXIT
 * (i386) or SYSRETL (x86-64), to int80_landing_pad, whose address it must know
 * (VdsoImage.sysenterReturn); a syscall to restart goes back to the `int $0x80` before it. If
 * a patched instruction does nothing (no kernel model hooked it: on Unicorn it is then a 2-byte
 * no-op), execution falls into the `int $0x80`, which makes the same call the slow way.
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
	/* These labels stay in .symtab (the version script makes them local) for VdsoImage. */
	.globl	vsyscall_alt_site
vsyscall_alt_site:
	.skip	4, 0x90			/* ALTERNATIVE_2 "", SYSENTER_SEQUENCE, SYSCALL_SEQUENCE */
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

	/*
	 * The replacements (Linux keeps them in .altinstr_replacement): copied over
	 * vsyscall_alt_site, never executed here. Each is as long as the site.
	 */
	.globl	alt_sysenter_sequence
alt_sysenter_sequence:
	movl	%esp, %ebp
	sysenter
	.globl	alt_syscall_sequence
alt_syscall_sequence:
	movl	%ecx, %ebp
	syscall
	.globl	alt_end
alt_end:

	.section .note.GNU-stack, "", @progbits
