// include/uapi/asm-generic/mman.h: the mmap flags the generic header adds (x86 uses them).

export const MAP_GROWSDOWN = 0x100, MAP_NORESERVE = 0x4000;
