/* SPDX-License-Identifier: MIT */
/*
 * The "Linux" ELF note every Linux vDSO carries (Linux's vdso-note.S, vdso32/note.S): its
 * descriptor is LINUX_VERSION_CODE, which some libcs read to learn the kernel version.
 * build.sh passes LINUX_VERSION_CODE.
 */
	.section .note.Linux, "a", @note
	.balign 4
	.long 2f - 1f		/* namesz */
	.long 4f - 3f		/* descsz */
	.long 0			/* type */
1:	.asciz "Linux"
2:	.balign 4
3:	.long LINUX_VERSION_CODE
4:	.balign 4

	.section .note.GNU-stack, "", @progbits
