// include/uapi/asm-generic/mman-common.h: mmap's protection and mapping type, and madvise's
// advice (the values of Linux 6.1).

export const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20;
export const MAP_FIXED_NOREPLACE = 0x100000;

export const MADV_NORMAL = 0, MADV_DONTNEED = 4, MADV_FREE = 8, MADV_REMOVE = 9, MADV_COLLAPSE = 25;
