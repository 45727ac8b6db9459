// The x86-64 kernel's memory layout and selectors. entry/layout_64.inc says the same to the
// assembler; test/entry/entry_bytes.test.ts keeps the two in agreement.

export const KERNEL_TEXT_START = 0xffffffff81000000n;
/** Kernel data (GDT, IDT, TSS, per-CPU area, stacks), after the text as in Linux's image. */
export const KERNEL_DATA_START = 0xffffffff82000000n;

// arch/x86/include/asm/segment.h (CONFIG_X86_64)
export const GDT_ENTRY_KERNEL32_CS = 1;
export const GDT_ENTRY_KERNEL_CS = 2;
export const GDT_ENTRY_KERNEL_DS = 3;
export const GDT_ENTRY_DEFAULT_USER32_CS = 4;
export const GDT_ENTRY_DEFAULT_USER_DS = 5;
export const GDT_ENTRY_DEFAULT_USER_CS = 6;
export const GDT_ENTRY_TSS = 8;
export const GDT_ENTRIES = 16;
export const __KERNEL_CS = GDT_ENTRY_KERNEL_CS * 8;
export const __KERNEL_DS = GDT_ENTRY_KERNEL_DS * 8;
export const __USER32_CS = GDT_ENTRY_DEFAULT_USER32_CS * 8 + 3;
export const __USER_DS = GDT_ENTRY_DEFAULT_USER_DS * 8 + 3;
export const __USER_CS = GDT_ENTRY_DEFAULT_USER_CS * 8 + 3;

export const PER_CPU_USER_RSP = 0x00;
export const PER_CPU_TOP_OF_STACK = 0x08;

/** THREAD_SIZE: 16 KiB kernel stacks on x86-64. */
export const THREAD_SIZE = 16384;

/** User address-space layout of a 64-bit task (no randomization: deterministic by design). */
export const TASK_SIZE_64 = 0x7ffffffff000n;
export const STACK_TOP_64 = TASK_SIZE_64;
/** mmap_base = STACK_TOP - gap (128 MiB minimum gap in mm/util.c) - the guard page. */
export const MMAP_BASE_64 = 0x7ffff7fff000n;

// IA32 emulation: what a 32-bit task sees under this kernel (arch/x86/include/asm/page_64_types.h,
// processor.h, segment.h). Its TLS entries are GDT 12..14 (selectors 0x63, 0x6b, 0x73), not 6..8.
export const GDT_ENTRY_TLS_MIN = 12;
export const GDT_ENTRY_TLS_ENTRIES = 3;
/** IA32_PAGE_OFFSET: TASK_SIZE and STACK_TOP of a compat task; the last page below 4 GiB stays unmapped. */
export const IA32_PAGE_OFFSET = 0xffffe000n;
/** mmap_base of a compat task: IA32_PAGE_OFFSET - the 128 MiB minimum gap (mm/util.c), no randomization. */
export const MMAP_BASE_COMPAT = IA32_PAGE_OFFSET - 0x8000000n;
/**
 * Kernel stacks are mapped here, one per task (VMAP_STACK's area: VMALLOC_START of 4-level
 * paging). The boot creates its page tables so that every address space, which copies the kernel's
 * top-level entries when it is made, sees every stack.
 */
export const VMALLOC_START = 0xffffc90000000000n;
