// include/uapi/linux/resource.h: struct rlimit64's "no limit" (prlimit64 and the 64-bit
// getrlimit; the i386 getrlimit gives RLIM_INFINITY, ~0UL of 32 bits).

export const RLIM64_INFINITY = 0xffffffffffffffffn;
