// include/uapi/linux/mman.h: mremap's flags.

export const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;
