// The kernel side of the file ABI (include/linux/fs.h, fs/fcntl.c, include/linux/namei.h): what
// the kernel derives from the user-visible constants in uapi/ (asm-generic/fcntl.ts,
// linux/fcntl.ts, linux/fs.ts, linux/stat.ts), never seen by user space itself.

import { FASYNC, O_APPEND, O_DIRECT, O_NOATIME, O_NONBLOCK } from "../uapi/asm-generic/fcntl.js";

/** Flags F_SETFL may change (fs/fcntl.c SETFL_MASK). */
export const SETFL_MASK = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME;

/** access()'s mode bits (faccessat checks `mode & ~S_IRWXO`; unistd.h names them). */
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

/** linux_dirent64 d_type values (include/linux/fs_types.h): the S_IFMT bits shifted down. */
export const DT_UNKNOWN = 0;
export const DT_DIR = 4;
export const DT_CHR = 2;
export const DT_REG = 8;
export const DT_LNK = 10;
export const modeToDtype = (mode: number): number => (mode >>> 12) & 15;

/** The largest count one read/write moves (include/linux/fs.h MAX_RW_COUNT = INT_MAX & PAGE_MASK). */
export const MAX_RW_COUNT = 0x7ffff000;
/** Symlinks followed in one walk before ELOOP (include/linux/namei.h MAXSYMLINKS). */
export const MAXSYMLINKS = 40;
