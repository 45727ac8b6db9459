// include/uapi/linux/limits.h: how long a path and one of its names may be.

export const PATH_MAX = 4096;
export const NAME_MAX = 255;
