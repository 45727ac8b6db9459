// include/uapi/asm-generic/fcntl.h: open flags and fcntl commands (x86 uses the generic values
// for both ABIs).

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
/** Made of the bits above, as the header makes them. */
export const O_SYNC = __O_SYNC | O_DSYNC, O_TMPFILE = __O_TMPFILE | O_DIRECTORY;

export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const F_GETLK = 5;
export const F_SETLK = 6;
export const F_SETLKW = 7;
export const FD_CLOEXEC = 1;
export const F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11;
/** The 32-bit ABI's struct flock64 commands (the header defines them where long is 32 bits). */
export const F_GETLK64 = 12, F_SETLK64 = 13, F_SETLKW64 = 14;
export const F_SETOWN_EX = 15, F_GETOWN_EX = 16;
export const F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
export const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
