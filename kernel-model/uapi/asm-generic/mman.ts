// include/uapi/asm-generic/mman.h: the mmap flags the generic header adds (x86 uses them).

export const MAP_GROWSDOWN = 0x100, MAP_DENYWRITE = 0x0800, MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000,
  MAP_NORESERVE = 0x4000;
