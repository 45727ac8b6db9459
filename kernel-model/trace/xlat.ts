import { S_IFMT } from "../uapi/linux/stat.js";
// Symbolic names for syscall argument values, in the order strace prints them (its xlat
// tables). Values come from the kernel's uapi headers (asm-generic/fcntl.h, asm-generic/mman*.h,
// linux/sched.h, asm/signal.h, asm/prctl.h, linux/fcntl.h, linux/random.h, linux/time.h ...).

export type Xlat = readonly (readonly [string, number])[];

const hex = (v: number | bigint) => "0x" + v.toString(16);

/** One value: its name, or `0x.. /* PREFIX_??? *\/` (strace's form for an unknown constant). */
export function xlatValue(v: number, table: Xlat, unknownPrefix: string): string {
  for (const [name, val] of table) if (val === v) return name;
  return `${hex(v >>> 0)} /* ${unknownPrefix}_??? */`;
}

/**
 * A set of flags: the names of the bits (multi-bit entries first where the table lists them),
 * then what no name covers in hex. `zero` is printed for 0 (default "0").
 */
export function xlatFlags(v: number, table: Xlat, zero = "0"): string {
  let rest = v >>> 0;
  const parts: string[] = [];
  for (const [name, bits] of table) {
    if (bits !== 0 && (rest & bits) >>> 0 === bits >>> 0) {
      parts.push(name);
      rest = (rest & ~bits) >>> 0;
    }
  }
  if (rest) parts.push(hex(rest));
  return parts.length ? parts.join("|") : zero;
}

export const O_ACCMODE: Xlat = [["O_RDONLY", 0], ["O_WRONLY", 1], ["O_RDWR", 2]];
// O_SYNC is __O_SYNC|O_DSYNC and O_TMPFILE is __O_TMPFILE|O_DIRECTORY: listed before their parts.
export const OPEN_FLAGS: Xlat = [
  ["O_CREAT", 0o100], ["O_EXCL", 0o200], ["O_NOCTTY", 0o400], ["O_TRUNC", 0o1000], ["O_APPEND", 0o2000],
  ["O_NONBLOCK", 0o4000], ["O_SYNC", 0o4010000], ["O_DSYNC", 0o10000], ["O_DIRECT", 0o40000],
  ["O_LARGEFILE", 0o100000], ["O_NOFOLLOW", 0o400000], ["O_NOATIME", 0o1000000], ["O_CLOEXEC", 0o2000000],
  ["O_PATH", 0o10000000], ["O_TMPFILE", 0o20200000], ["O_DIRECTORY", 0o200000], ["FASYNC", 0o20000],
];

/** open/openat flags: the access mode, then the other bits. */
export function openFlags(v: number): string {
  const mode = v & 3;
  const rest = xlatFlags(v & ~3, OPEN_FLAGS, "");
  const acc = O_ACCMODE.find(([, m]) => m === mode)?.[0] ?? "O_ACCMODE";
  return rest ? `${acc}|${rest}` : acc;
}

/** A file mode argument: `%#03o` (0644, 000). */
export function octalMode(v: number): string {
  return v === 0 ? "000" : ("0" + v.toString(8)).padStart(3, "0");
}

export const PROT: Xlat = [
  ["PROT_READ", 1], ["PROT_WRITE", 2], ["PROT_EXEC", 4], ["PROT_SEM", 8], ["PROT_GROWSDOWN", 0x01000000], ["PROT_GROWSUP", 0x02000000],
];
export const prot = (v: number) => xlatFlags(v, PROT, "PROT_NONE");

const MAP_TYPE: Xlat = [["MAP_SHARED", 1], ["MAP_PRIVATE", 2], ["MAP_SHARED_VALIDATE", 3]];
export const MAP_FLAGS: Xlat = [
  ["MAP_FIXED", 0x10], ["MAP_ANONYMOUS", 0x20], ["MAP_32BIT", 0x40], ["MAP_NORESERVE", 0x4000], ["MAP_POPULATE", 0x8000],
  ["MAP_NONBLOCK", 0x10000], ["MAP_GROWSDOWN", 0x100], ["MAP_DENYWRITE", 0x800], ["MAP_EXECUTABLE", 0x1000],
  ["MAP_LOCKED", 0x2000], ["MAP_STACK", 0x20000], ["MAP_HUGETLB", 0x40000], ["MAP_SYNC", 0x80000],
  ["MAP_FIXED_NOREPLACE", 0x100000], ["MAP_UNINITIALIZED", 0x4000000],
];
/** mmap flags: the mapping type (low nibble), then the flags. */
export function mmapFlags(v: number): string {
  const type = MAP_TYPE.find(([, t]) => t === (v & 0xf))?.[0] ?? hex(v & 0xf);
  const rest = xlatFlags(v & ~0xf, MAP_FLAGS, "");
  return rest ? `${type}|${rest}` : type;
}

export const AT_FLAGS: Xlat = [
  ["AT_SYMLINK_NOFOLLOW", 0x100], ["AT_REMOVEDIR", 0x200], ["AT_SYMLINK_FOLLOW", 0x400], ["AT_NO_AUTOMOUNT", 0x800],
  ["AT_EMPTY_PATH", 0x1000], ["AT_STATX_FORCE_SYNC", 0x2000], ["AT_STATX_DONT_SYNC", 0x4000], ["AT_RECURSIVE", 0x8000],
];
/** faccessat2: 0x200 means AT_EACCESS there. */
export const FACCESSAT_FLAGS: Xlat = [["AT_SYMLINK_NOFOLLOW", 0x100], ["AT_EACCESS", 0x200], ["AT_EMPTY_PATH", 0x1000]];
/** statx flags: the sync type (AT_STATX_SYNC_AS_STAT is 0, so always named) then the rest. */
export function statxFlags(v: number): string {
  const sync = v & 0x6000;
  const name = sync === 0 ? "AT_STATX_SYNC_AS_STAT" : sync === 0x2000 ? "AT_STATX_FORCE_SYNC" : sync === 0x4000 ? "AT_STATX_DONT_SYNC" : hex(sync);
  const rest = xlatFlags(v & ~0x6000, AT_FLAGS, "");
  return rest ? `${name}|${rest}` : name;
}
export const STATX_MASK: Xlat = [
  ["STATX_BASIC_STATS", 0x7ff], ["STATX_TYPE", 1], ["STATX_MODE", 2], ["STATX_NLINK", 4], ["STATX_UID", 8], ["STATX_GID", 0x10],
  ["STATX_ATIME", 0x20], ["STATX_MTIME", 0x40], ["STATX_CTIME", 0x80], ["STATX_INO", 0x100], ["STATX_SIZE", 0x200],
  ["STATX_BLOCKS", 0x400], ["STATX_BTIME", 0x800], ["STATX_MNT_ID", 0x1000], ["STATX_DIOALIGN", 0x2000],
];

export const ACCESS_MODES: Xlat = [["R_OK", 4], ["W_OK", 2], ["X_OK", 1]];
export const accessMode = (v: number) => xlatFlags(v, ACCESS_MODES, "F_OK");

/** madvise advice (include/uapi/asm-generic/mman-common.h). */
export const MADVISE: Xlat = [
  ["MADV_NORMAL", 0], ["MADV_RANDOM", 1], ["MADV_SEQUENTIAL", 2], ["MADV_WILLNEED", 3], ["MADV_DONTNEED", 4],
  ["MADV_FREE", 8], ["MADV_REMOVE", 9], ["MADV_DONTFORK", 10], ["MADV_DOFORK", 11], ["MADV_MERGEABLE", 12],
  ["MADV_UNMERGEABLE", 13], ["MADV_HUGEPAGE", 14], ["MADV_NOHUGEPAGE", 15], ["MADV_DONTDUMP", 16], ["MADV_DODUMP", 17],
  ["MADV_WIPEONFORK", 18], ["MADV_KEEPONFORK", 19], ["MADV_COLD", 20], ["MADV_PAGEOUT", 21], ["MADV_POPULATE_READ", 22],
  ["MADV_POPULATE_WRITE", 23], ["MADV_DONTNEED_LOCKED", 24], ["MADV_COLLAPSE", 25], ["MADV_HWPOISON", 100], ["MADV_SOFT_OFFLINE", 101],
];

export const CLONE_FLAGS: Xlat = [
  ["CLONE_VM", 0x100], ["CLONE_FS", 0x200], ["CLONE_FILES", 0x400], ["CLONE_SIGHAND", 0x800], ["CLONE_PIDFD", 0x1000],
  ["CLONE_PTRACE", 0x2000], ["CLONE_VFORK", 0x4000], ["CLONE_PARENT", 0x8000], ["CLONE_THREAD", 0x10000],
  ["CLONE_NEWNS", 0x20000], ["CLONE_SYSVSEM", 0x40000], ["CLONE_SETTLS", 0x80000], ["CLONE_PARENT_SETTID", 0x100000],
  ["CLONE_CHILD_CLEARTID", 0x200000], ["CLONE_DETACHED", 0x400000], ["CLONE_UNTRACED", 0x800000],
  ["CLONE_CHILD_SETTID", 0x1000000], ["CLONE_NEWCGROUP", 0x2000000], ["CLONE_NEWUTS", 0x4000000],
  ["CLONE_NEWIPC", 0x8000000], ["CLONE_NEWUSER", 0x10000000], ["CLONE_NEWPID", 0x20000000],
  ["CLONE_NEWNET", 0x40000000], ["CLONE_IO", 0x80000000],
];
/** clone flags: the names, then the exit signal in the low byte. */
export function cloneFlags(v: number): string {
  const sig = v & 0xff;
  const parts = xlatFlags(v & ~0xff, CLONE_FLAGS, "");
  const s = sig ? signalName(sig) : "";
  return [parts, s].filter(Boolean).join("|") || "0";
}

const SIGNALS = [
  "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM",
  "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF",
  "WINCH", "IO", "PWR", "SYS",
];
/** A signal's short name as in a sigset: `TERM`, `RTMIN`, `RT_1`. */
export function signalAbbrev(n: number): string | undefined {
  if (n >= 1 && n <= 31) return SIGNALS[n];
  if (n === 32) return "RTMIN";
  if (n > 32 && n <= 64) return `RT_${n - 32}`;
  return undefined;
}
/** A signal argument: `SIGINT`, `SIGRTMIN`, or the number. */
export function signalName(n: number): string {
  const a = signalAbbrev(n);
  return a ? "SIG" + a : String(n);
}

export const SIGPROCMASK_HOW: Xlat = [["SIG_BLOCK", 0], ["SIG_UNBLOCK", 1], ["SIG_SETMASK", 2]];
export const SA_FLAGS: Xlat = [
  ["SA_RESTORER", 0x04000000], ["SA_ONSTACK", 0x08000000], ["SA_RESTART", 0x10000000], ["SA_NODEFER", 0x40000000],
  ["SA_RESETHAND", 0x80000000], ["SA_SIGINFO", 4], ["SA_NOCLDSTOP", 1], ["SA_NOCLDWAIT", 2],
  ["SA_UNSUPPORTED", 0x400], ["SA_EXPOSE_TAGBITS", 0x800],
];

export const FCNTL_CMDS: Xlat = [
  ["F_DUPFD", 0], ["F_GETFD", 1], ["F_SETFD", 2], ["F_GETFL", 3], ["F_SETFL", 4], ["F_GETLK", 5], ["F_SETLK", 6],
  ["F_SETLKW", 7], ["F_SETOWN", 8], ["F_GETOWN", 9], ["F_SETSIG", 10], ["F_GETSIG", 11], ["F_GETLK64", 12],
  ["F_SETLK64", 13], ["F_SETLKW64", 14], ["F_SETOWN_EX", 15], ["F_GETOWN_EX", 16], ["F_OFD_GETLK", 36],
  ["F_OFD_SETLK", 37], ["F_OFD_SETLKW", 38], ["F_SETLEASE", 1024], ["F_GETLEASE", 1025], ["F_NOTIFY", 1026],
  ["F_DUPFD_CLOEXEC", 1030], ["F_SETPIPE_SZ", 1031], ["F_GETPIPE_SZ", 1032], ["F_ADD_SEALS", 1033], ["F_GET_SEALS", 1034],
];
export const FD_FLAGS: Xlat = [["FD_CLOEXEC", 1]];

export const IOCTL_REQUESTS: Xlat = [
  ["TCGETS", 0x5401], ["TCSETS", 0x5402], ["TCSETSW", 0x5403], ["TCSETSF", 0x5404], ["TCGETA", 0x5405],
  ["TIOCSCTTY", 0x540e], ["TIOCGPGRP", 0x540f], ["TIOCSPGRP", 0x5410], ["TIOCGWINSZ", 0x5413], ["TIOCSWINSZ", 0x5414],
  ["FIONREAD", 0x541b], ["FIONBIO", 0x5421], ["TIOCNOTTY", 0x5422], ["FIONCLEX", 0x5450], ["FIOCLEX", 0x5451],
  ["FIOASYNC", 0x5452], ["TIOCGPTN", 0x80045430], ["TIOCSPTLCK", 0x40045431],
];
/** An ioctl request: its name, or `_IOC(dir, type, nr, size)` decoded from the number. */
export function ioctlRequest(v: number): string {
  const u = v >>> 0;
  for (const [name, val] of IOCTL_REQUESTS) if (val >>> 0 === u) return name;
  const dir = u >>> 30, size = (u >>> 16) & 0x3fff, type = (u >>> 8) & 0xff, nr = u & 0xff;
  const dirName = ["_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE"][dir];
  return `_IOC(${dirName}, ${hex(type)}, ${hex(nr)}, ${size ? hex(size) : "0"})`;
}

export const WHENCE: Xlat = [["SEEK_SET", 0], ["SEEK_CUR", 1], ["SEEK_END", 2], ["SEEK_DATA", 3], ["SEEK_HOLE", 4]];

export const ARCH_PRCTL: Xlat = [
  ["ARCH_SET_GS", 0x1001], ["ARCH_SET_FS", 0x1002], ["ARCH_GET_FS", 0x1003], ["ARCH_GET_GS", 0x1004],
  ["ARCH_GET_CPUID", 0x1011], ["ARCH_SET_CPUID", 0x1012], ["ARCH_GET_XCOMP_SUPP", 0x1021],
  ["ARCH_GET_XCOMP_PERM", 0x1022], ["ARCH_REQ_XCOMP_PERM", 0x1023], ["ARCH_GET_XCOMP_GUEST_PERM", 0x1024],
  ["ARCH_REQ_XCOMP_GUEST_PERM", 0x1025], ["ARCH_MAP_VDSO_X32", 0x2001], ["ARCH_MAP_VDSO_32", 0x2002],
  ["ARCH_MAP_VDSO_64", 0x2003], ["ARCH_SHSTK_ENABLE", 0x5001], ["ARCH_SHSTK_DISABLE", 0x5002],
  ["ARCH_SHSTK_LOCK", 0x5003], ["ARCH_SHSTK_UNLOCK", 0x5004], ["ARCH_SHSTK_STATUS", 0x5005],
];

export const GRND_FLAGS: Xlat = [["GRND_NONBLOCK", 1], ["GRND_RANDOM", 2], ["GRND_INSECURE", 4]];

export const CLOCKS: Xlat = [
  ["CLOCK_REALTIME", 0], ["CLOCK_MONOTONIC", 1], ["CLOCK_PROCESS_CPUTIME_ID", 2], ["CLOCK_THREAD_CPUTIME_ID", 3],
  ["CLOCK_MONOTONIC_RAW", 4], ["CLOCK_REALTIME_COARSE", 5], ["CLOCK_MONOTONIC_COARSE", 6], ["CLOCK_BOOTTIME", 7],
  ["CLOCK_REALTIME_ALARM", 8], ["CLOCK_BOOTTIME_ALARM", 9], ["CLOCK_TAI", 11],
];
export const TIMER_FLAGS: Xlat = [["TIMER_ABSTIME", 1]];

export const RLIMITS: Xlat = [
  ["RLIMIT_CPU", 0], ["RLIMIT_FSIZE", 1], ["RLIMIT_DATA", 2], ["RLIMIT_STACK", 3], ["RLIMIT_CORE", 4], ["RLIMIT_RSS", 5],
  ["RLIMIT_NPROC", 6], ["RLIMIT_NOFILE", 7], ["RLIMIT_MEMLOCK", 8], ["RLIMIT_AS", 9], ["RLIMIT_LOCKS", 10],
  ["RLIMIT_SIGPENDING", 11], ["RLIMIT_MSGQUEUE", 12], ["RLIMIT_NICE", 13], ["RLIMIT_RTPRIO", 14], ["RLIMIT_RTTIME", 15],
];

export const PRCTL_OPTIONS: Xlat = [
  ["PR_SET_PDEATHSIG", 1], ["PR_GET_PDEATHSIG", 2], ["PR_GET_DUMPABLE", 3], ["PR_SET_DUMPABLE", 4],
  ["PR_GET_KEEPCAPS", 7], ["PR_SET_KEEPCAPS", 8], ["PR_GET_TIMING", 13], ["PR_SET_TIMING", 14], ["PR_SET_NAME", 15],
  ["PR_GET_NAME", 16], ["PR_GET_SECCOMP", 21], ["PR_SET_SECCOMP", 22], ["PR_CAPBSET_READ", 23], ["PR_CAPBSET_DROP", 24],
  ["PR_GET_SECUREBITS", 27], ["PR_SET_SECUREBITS", 28], ["PR_SET_TIMERSLACK", 29], ["PR_GET_TIMERSLACK", 30],
  ["PR_SET_MM", 35], ["PR_SET_CHILD_SUBREAPER", 36], ["PR_GET_CHILD_SUBREAPER", 37], ["PR_SET_NO_NEW_PRIVS", 38],
  ["PR_GET_NO_NEW_PRIVS", 39], ["PR_GET_TID_ADDRESS", 40], ["PR_SET_THP_DISABLE", 41], ["PR_GET_THP_DISABLE", 42],
  ["PR_CAP_AMBIENT", 47], ["PR_SET_VMA", 0x53564d41],
];

export const FUTEX_OPS: Xlat = [
  ["FUTEX_WAIT", 0], ["FUTEX_WAKE", 1], ["FUTEX_FD", 2], ["FUTEX_REQUEUE", 3], ["FUTEX_CMP_REQUEUE", 4],
  ["FUTEX_WAKE_OP", 5], ["FUTEX_LOCK_PI", 6], ["FUTEX_UNLOCK_PI", 7], ["FUTEX_TRYLOCK_PI", 8], ["FUTEX_WAIT_BITSET", 9],
  ["FUTEX_WAKE_BITSET", 10], ["FUTEX_WAIT_REQUEUE_PI", 11], ["FUTEX_CMP_REQUEUE_PI", 12], ["FUTEX_LOCK_PI2", 13],
];
/** futex op: the command with _PRIVATE (128) and FUTEX_CLOCK_REALTIME (256) folded in as strace does. */
export function futexOp(v: number): string {
  const cmd = v & 127;
  let s = xlatValue(cmd, FUTEX_OPS, "FUTEX");
  if (v & 128) s += "_PRIVATE";
  if (v & 256) s = "FUTEX_CLOCK_REALTIME|" + s;
  const rest = v & ~(127 | 128 | 256);
  return rest ? `${s}|${hex(rest)}` : s;
}

export const FILE_TYPES: Xlat = [
  ["S_IFSOCK", 0o140000], ["S_IFLNK", 0o120000], ["S_IFREG", 0o100000], ["S_IFBLK", 0o60000],
  ["S_IFDIR", 0o40000], ["S_IFCHR", 0o20000], ["S_IFIFO", 0o10000],
];
/** st_mode: `S_IFREG|0644`, `S_IFDIR|S_ISVTX|0777`. */
export function statMode(mode: number): string {
  const parts: string[] = [];
  const type = FILE_TYPES.find(([, t]) => t === (mode & S_IFMT));
  if (type) parts.push(type[0]);
  else if (mode & S_IFMT) parts.push(hex(mode & S_IFMT));
  if (mode & 0o4000) parts.push("S_ISUID");
  if (mode & 0o2000) parts.push("S_ISGID");
  if (mode & 0o1000) parts.push("S_ISVTX");
  parts.push(octalMode(mode & 0o777));
  return parts.join("|");
}

/** pipe2 and dup3 flags (strace prints 0 when none is set, not O_RDONLY). */
export const PIPE_FLAGS: Xlat = [["O_NONBLOCK", 0o4000], ["O_DIRECT", 0o40000], ["O_CLOEXEC", 0o2000000]];

/** wait4 / waitpid options (include/uapi/linux/wait.h). */
export const WAIT_OPTIONS: Xlat = [
  ["WNOHANG", 1], ["WUNTRACED", 2], ["WCONTINUED", 8], ["__WNOTHREAD", 0x20000000], ["__WALL", 0x40000000], ["__WCLONE", 0x80000000],
];

/** stx_attributes (include/uapi/linux/stat.h), in strace's order. */
export const STATX_ATTRS: Xlat = [
  ["STATX_ATTR_COMPRESSED", 0x4], ["STATX_ATTR_IMMUTABLE", 0x10], ["STATX_ATTR_APPEND", 0x20], ["STATX_ATTR_NODUMP", 0x40],
  ["STATX_ATTR_ENCRYPTED", 0x800], ["STATX_ATTR_AUTOMOUNT", 0x1000], ["STATX_ATTR_MOUNT_ROOT", 0x2000], ["STATX_ATTR_VERITY", 0x100000],
  ["STATX_ATTR_DAX", 0x200000],
];
