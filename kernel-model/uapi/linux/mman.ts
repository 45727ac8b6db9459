// include/uapi/linux/mman.h: mmap's mapping types and mremap's flags.
export const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03;

export const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;
