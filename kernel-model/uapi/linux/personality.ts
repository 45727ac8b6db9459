// include/uapi/linux/personality.h: the execution domains personality() selects.

export const PER_LINUX = 0;
export const PER_LINUX32 = 0x0008;
export const PER_MASK = 0x00ff;
