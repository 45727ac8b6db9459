// The i386 kernel's memory layout and selectors (3G/1G split). entry/layout_32.inc says the
// same to the assembler; test/entry/entry_bytes.test.ts keeps the two in agreement.

/** PAGE_OFFSET: the kernel owns everything from 3 GiB up. */
export const PAGE_OFFSET = 0xc0000000n;
export const KERNEL_TEXT_START = 0xc1000000n;
export const KERNEL_DATA_START = 0xc2000000n;

// arch/x86/include/asm/segment.h (CONFIG_X86_32)
export const GDT_ENTRY_TLS_MIN = 6;
export const GDT_ENTRY_TLS_ENTRIES = 3;
export const GDT_ENTRY_KERNEL_CS = 12;
export const GDT_ENTRY_KERNEL_DS = 13;
export const GDT_ENTRY_DEFAULT_USER_CS = 14;
export const GDT_ENTRY_DEFAULT_USER_DS = 15;
export const GDT_ENTRY_TSS = 16;
export const GDT_ENTRIES = 32;
export const __KERNEL_CS = GDT_ENTRY_KERNEL_CS * 8;
export const __KERNEL_DS = GDT_ENTRY_KERNEL_DS * 8;
export const __USER_CS = GDT_ENTRY_DEFAULT_USER_CS * 8 + 3;
export const __USER_DS = GDT_ENTRY_DEFAULT_USER_DS * 8 + 3;

/** THREAD_SIZE: 8 KiB kernel stacks on i386. */
export const THREAD_SIZE = 8192;

export const TASK_SIZE_32 = PAGE_OFFSET;
export const STACK_TOP_32 = TASK_SIZE_32;
/** mmap_base = TASK_SIZE - 128 MiB gap (mm/util.c), no randomization. */
export const MMAP_BASE_32 = 0xb8000000n;

/** Kernel stacks are mapped here, one per task (in the vmalloc area below the top of the 4 GiB). */
export const VMALLOC_START = 0xf0000000n;
