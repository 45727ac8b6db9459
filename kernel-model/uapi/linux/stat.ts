// include/uapi/linux/stat.h: the file type and mode bits of st_mode, and statx's mask and
// attribute bits.

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
export const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000;

export const STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_NLINK = 0x4, STATX_UID = 0x8, STATX_GID = 0x10,
  STATX_ATIME = 0x20, STATX_MTIME = 0x40, STATX_CTIME = 0x80, STATX_INO = 0x100, STATX_SIZE = 0x200,
  STATX_BLOCKS = 0x400, STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800, STATX_MNT_ID = 0x1000,
  STATX_DIOALIGN = 0x2000;
/** stx_attributes (a __u64). */
export const STATX_ATTR_COMPRESSED = 0x4n, STATX_ATTR_IMMUTABLE = 0x10n, STATX_ATTR_APPEND = 0x20n,
  STATX_ATTR_NODUMP = 0x40n, STATX_ATTR_ENCRYPTED = 0x800n, STATX_ATTR_AUTOMOUNT = 0x1000n,
  STATX_ATTR_MOUNT_ROOT = 0x2000n, STATX_ATTR_VERITY = 0x100000n, STATX_ATTR_DAX = 0x200000n;
