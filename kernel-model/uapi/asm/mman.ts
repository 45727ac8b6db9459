// arch/x86/include/uapi/asm/mman.h: the mmap flag x86-64 adds.
export const MAP_32BIT = 0x40;
