// File-related ABI constants: include/uapi/asm-generic/fcntl.h (x86 uses the generic values for
// both ABIs), include/uapi/linux/fcntl.h (AT_*), include/uapi/linux/fs.h (SEEK_*) and
// include/linux/fs.h (FMODE_*: kernel-internal, never seen by user space).

export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const FASYNC = 0o20000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_NOATIME = 0o1000000;
export const O_CLOEXEC = 0o2000000;
export const __O_SYNC = 0o4000000;
export const O_PATH = 0o10000000;
export const __O_TMPFILE = 0o20000000;

/** Flags F_SETFL may change (fs/fcntl.c SETFL_MASK). */
export const SETFL_MASK = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME;

export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_GETLK = 5;
export const F_SETLK = 6;
export const F_SETLKW = 7;
export const F_DUPFD_CLOEXEC = 1030;
export const FD_CLOEXEC = 1;

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EACCESS = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800;
export const AT_EMPTY_PATH = 0x1000;
export const AT_STATX_SYNC_TYPE = 0x6000;

export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;

export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

/** f_mode bits: what an open file may do, decided once at open time (do_dentry_open). */
export const FMODE_READ = 0x1;
export const FMODE_WRITE = 0x2;
export const FMODE_LSEEK = 0x4;
export const FMODE_PREAD = 0x8;
export const FMODE_PWRITE = 0x10;

/** struct stat st_mode file types (include/uapi/linux/stat.h). */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** linux_dirent64 d_type values (include/linux/fs_types.h): the S_IFMT bits shifted down. */
export const DT_UNKNOWN = 0;
export const DT_DIR = 4;
export const DT_CHR = 2;
export const DT_REG = 8;
export const DT_LNK = 10;
export const modeToDtype = (mode: number): number => (mode >>> 12) & 15;

export const PATH_MAX = 4096;
export const NAME_MAX = 255;
/** The largest count one read/write moves (include/linux/fs.h MAX_RW_COUNT = INT_MAX & PAGE_MASK). */
export const MAX_RW_COUNT = 0x7ffff000;
/** Symlinks followed in one walk before ELOOP (include/linux/namei.h MAXSYMLINKS). */
export const MAXSYMLINKS = 40;
