// include/uapi/linux/fcntl.h: the *at() calls' directory and flags, and the Linux-only fcntl
// commands.

export const F_DUPFD_CLOEXEC = 1030;

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EACCESS = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
export const AT_STATX_SYNC_TYPE = 0x6000;
/** F_LINUX_SPECIFIC_BASE (1024) + n. */
export const F_SETLEASE = 1024, F_GETLEASE = 1025, F_NOTIFY = 1026, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032,
  F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
export const AT_STATX_SYNC_AS_STAT = 0x0000, AT_STATX_FORCE_SYNC = 0x2000, AT_STATX_DONT_SYNC = 0x4000;
export const AT_RECURSIVE = 0x8000;
