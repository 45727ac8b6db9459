/* SPDX-License-Identifier: MIT */
/*
 * The layout shared by both vDSO images (Linux's arch/x86/entry/vdso/vdso-layout.lds.S),
 * included by vdso.lds.S and vdso32/vdso32.lds.S and run through the C preprocessor.
 *
 * The image is linked at address 0: the ELF header is its first byte, one PT_LOAD covers the
 * whole of it, and every reference inside it is PC-relative, so the kernel can map it anywhere.
 */
#include "datapage.h"

#define PAGE_SIZE 4096

SECTIONS
{
	/*
	 * The vvar page sits just before the image, so its symbols get negative addresses: the
	 * code reaches them relative to its own position, and the kernel maps vvar at
	 * vdso_base - PAGE_SIZE. Before rather than after: nothing can dangle past the end of the
	 * PT_LOAD segment.
	 */
	vvar_page = . - PAGE_SIZE;
	_vdso_data = vvar_page + VVAR_VDSO_DATA_OFFSET;

	. = SIZEOF_HEADERS;

	.hash		: { *(.hash) }			:text
	.gnu.hash	: { *(.gnu.hash) }
	.dynsym		: { *(.dynsym) }
	.dynstr		: { *(.dynstr) }
	.gnu.version	: { *(.gnu.version) }
	.gnu.version_d	: { *(.gnu.version_d) }
	.gnu.version_r	: { *(.gnu.version_r) }

	.dynamic	: { *(.dynamic) }		:text	:dynamic

	/* Read-only data and whatever data gcc makes: the image is mapped read-only. */
	.rodata		: {
		*(.rodata*)
		*(.data*)
		*(.got.plt) *(.got)
		*(.bss*)
	}						:text

	.note		: { *(.note.*) }		:text	:note

	.eh_frame_hdr	: { *(.eh_frame_hdr) }		:text	:eh_frame_hdr
	.eh_frame	: { KEEP (*(.eh_frame)) }	:text

	.text		: { *(.text*) }			:text	=0x90909090

	/DISCARD/ : {
		*(.discard)
		*(.discard.*)
		*(.note.gnu.property)
	}
}

PHDRS
{
	text		PT_LOAD		FLAGS(5) FILEHDR PHDRS;	/* PF_R|PF_X */
	dynamic		PT_DYNAMIC	FLAGS(4);		/* PF_R */
	note		PT_NOTE		FLAGS(4);		/* PF_R */
	eh_frame_hdr	PT_GNU_EH_FRAME;
}
