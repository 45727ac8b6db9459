// Symbolic names for syscall argument values, in the order strace prints them (its xlat
// tables). The values are the uapi constants of kernel-model/uapi/, each defined once there;
// these tables only say which names a printed argument may have and in what order.

import { ARCH_GET_CPUID, ARCH_GET_FS, ARCH_GET_GS, ARCH_GET_XCOMP_GUEST_PERM, ARCH_GET_XCOMP_PERM, ARCH_GET_XCOMP_SUPP,
  ARCH_MAP_VDSO_32, ARCH_MAP_VDSO_64, ARCH_MAP_VDSO_X32, ARCH_REQ_XCOMP_GUEST_PERM, ARCH_REQ_XCOMP_PERM, ARCH_SET_CPUID,
  ARCH_SET_FS, ARCH_SET_GS, ARCH_SHSTK_DISABLE, ARCH_SHSTK_ENABLE, ARCH_SHSTK_LOCK, ARCH_SHSTK_STATUS, ARCH_SHSTK_UNLOCK,
} from "../uapi/asm/prctl.js";
import { MAP_32BIT } from "../uapi/asm/mman.js";
import { SA_RESTORER, SIGRTMIN, _NSIG } from "../uapi/asm/signal.js";
import * as S from "../uapi/asm/signal.js";
import { FASYNC, FD_CLOEXEC, F_DUPFD, F_GETFD, F_GETFL, F_GETLK, F_GETLK64, F_GETOWN, F_GETOWN_EX, F_GETSIG,
  F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETFD, F_SETFL, F_SETLK, F_SETLK64, F_SETLKW, F_SETLKW64, F_SETOWN,
  F_SETOWN_EX, F_SETSIG, O_ACCMODE as O_ACCMODE_MASK, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_DSYNC,
  O_EXCL, O_LARGEFILE, O_NOATIME, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_SYNC, O_TMPFILE,
  O_TRUNC, O_WRONLY,
} from "../uapi/asm-generic/fcntl.js";
import { FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD, TCGETA, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGPTN,
  TIOCGWINSZ, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP, TIOCSPTLCK, TIOCSWINSZ,
} from "../uapi/asm-generic/ioctls.js";
import { MADV_COLD, MADV_COLLAPSE, MADV_DODUMP, MADV_DOFORK, MADV_DONTDUMP, MADV_DONTFORK, MADV_DONTNEED,
  MADV_DONTNEED_LOCKED, MADV_FREE, MADV_HUGEPAGE, MADV_HWPOISON, MADV_KEEPONFORK, MADV_MERGEABLE, MADV_NOHUGEPAGE,
  MADV_NORMAL, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_RANDOM, MADV_REMOVE, MADV_SEQUENTIAL,
  MADV_SOFT_OFFLINE, MADV_UNMERGEABLE, MADV_WILLNEED, MADV_WIPEONFORK, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE,
  MAP_HUGETLB, MAP_NONBLOCK, MAP_POPULATE, MAP_STACK, MAP_SYNC, MAP_TYPE,
  MAP_UNINITIALIZED, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_SEM, PROT_WRITE,
} from "../uapi/asm-generic/mman-common.js";
import { MAP_DENYWRITE, MAP_EXECUTABLE, MAP_GROWSDOWN, MAP_LOCKED, MAP_NORESERVE } from "../uapi/asm-generic/mman.js";
import { RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE,
  RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK,
} from "../uapi/asm-generic/resource.js";
import { SA_EXPOSE_TAGBITS, SA_NOCLDSTOP, SA_NOCLDWAIT, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_SIGINFO,
  SA_UNSUPPORTED, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK,
} from "../uapi/asm-generic/signal-defs.js";
import { AT_EACCESS, AT_EMPTY_PATH, AT_NO_AUTOMOUNT, AT_RECURSIVE, AT_REMOVEDIR, AT_STATX_DONT_SYNC,
  AT_STATX_FORCE_SYNC, AT_STATX_SYNC_AS_STAT, AT_STATX_SYNC_TYPE, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW,
  F_ADD_SEALS, F_DUPFD_CLOEXEC, F_GETLEASE, F_GETPIPE_SZ, F_GET_SEALS, F_NOTIFY, F_SETLEASE, F_SETPIPE_SZ,
} from "../uapi/linux/fcntl.js";
import { SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from "../uapi/linux/fs.js";
import { FUTEX_CLOCK_REALTIME, FUTEX_CMP_REQUEUE, FUTEX_CMP_REQUEUE_PI, FUTEX_FD, FUTEX_LOCK_PI,
  FUTEX_LOCK_PI2, FUTEX_PRIVATE_FLAG, FUTEX_REQUEUE, FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI, FUTEX_WAIT, FUTEX_WAIT_BITSET,
  FUTEX_WAIT_REQUEUE_PI, FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP,
} from "../uapi/linux/futex.js";
import { PR_CAPBSET_DROP, PR_CAPBSET_READ, PR_CAP_AMBIENT, PR_GET_CHILD_SUBREAPER, PR_GET_DUMPABLE, PR_GET_KEEPCAPS,
  PR_GET_NAME, PR_GET_NO_NEW_PRIVS, PR_GET_PDEATHSIG, PR_GET_SECCOMP, PR_GET_SECUREBITS, PR_GET_THP_DISABLE,
  PR_GET_TID_ADDRESS, PR_GET_TIMERSLACK, PR_GET_TIMING, PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_KEEPCAPS,
  PR_SET_MM, PR_SET_NAME, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_SECUREBITS,
  PR_SET_THP_DISABLE, PR_SET_TIMERSLACK, PR_SET_TIMING, PR_SET_VMA,
} from "../uapi/linux/prctl.js";
import { GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from "../uapi/linux/random.js";
import { CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_DETACHED, CLONE_FILES, CLONE_FS, CLONE_IO, CLONE_NEWCGROUP,
  CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, CLONE_PARENT,
  CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_PTRACE, CLONE_SETTLS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD,
  CLONE_UNTRACED, CLONE_VFORK, CLONE_VM, CSIGNAL, CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP,
} from "../uapi/linux/sched.js";
import { STATX_ATIME, STATX_ATTR_APPEND, STATX_ATTR_AUTOMOUNT, STATX_ATTR_COMPRESSED, STATX_ATTR_DAX,
  STATX_ATTR_ENCRYPTED, STATX_ATTR_IMMUTABLE, STATX_ATTR_MOUNT_ROOT, STATX_ATTR_NODUMP, STATX_ATTR_VERITY,
  STATX_BASIC_STATS, STATX_BLOCKS, STATX_BTIME, STATX_CTIME, STATX_DIOALIGN, STATX_GID, STATX_INO, STATX_MNT_ID,
  STATX_MODE, STATX_MTIME, STATX_NLINK, STATX_SIZE, STATX_TYPE, STATX_UID, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO,
  S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, S_ISVTX,
} from "../uapi/linux/stat.js";
import { CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
  CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI,
  CLOCK_THREAD_CPUTIME_ID, TIMER_ABSTIME,
} from "../uapi/linux/time.js";
import { WCONTINUED, WNOHANG, WUNTRACED, __WALL, __WCLONE, __WNOTHREAD } from "../uapi/linux/wait.js";
import * as T from "../uapi/asm-generic/termbits.js";
import { R_OK, W_OK, X_OK } from "../fs/fcntl.js";
import { MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE } from "../uapi/linux/mman.js";
import * as SI from "../uapi/asm-generic/siginfo.js";
import { EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLMSG, EPOLLNVAL, EPOLLONESHOT, EPOLLOUT, EPOLLPRI,
  EPOLLRDBAND, EPOLLRDHUP, EPOLLRDNORM, EPOLLWAKEUP, EPOLLWRBAND, EPOLLWRNORM, EPOLL_CLOEXEC, EPOLL_CTL_ADD,
  EPOLL_CTL_DEL, EPOLL_CTL_MOD,
} from "../uapi/linux/eventpoll.js";

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

/** A table of names whose values are the constants of the same name (bigint flags as numbers). */
const named = (o: Record<string, number | bigint>): Xlat => Object.entries(o).map(([k, v]) => [k, Number(v)] as const);

// struct termios's flag words (asm-generic/termbits.h) in strace's order: the single bits, and the
// values of the multi-bit fields (the delays, the speed, the character size)
export const TC_IFLAG: Xlat = named({ IGNBRK: T.IGNBRK, BRKINT: T.BRKINT, IGNPAR: T.IGNPAR, PARMRK: T.PARMRK, INPCK: T.INPCK,
  ISTRIP: T.ISTRIP, INLCR: T.INLCR, IGNCR: T.IGNCR, ICRNL: T.ICRNL, IUCLC: T.IUCLC, IXON: T.IXON, IXANY: T.IXANY,
  IXOFF: T.IXOFF, IMAXBEL: T.IMAXBEL, IUTF8: T.IUTF8 });
export const TC_OFLAG: Xlat = named({ OPOST: T.OPOST, OLCUC: T.OLCUC, ONLCR: T.ONLCR, OCRNL: T.OCRNL, ONOCR: T.ONOCR,
  ONLRET: T.ONLRET, OFILL: T.OFILL, OFDEL: T.OFDEL });
export const TC_NLDLY: Xlat = named({ NL0: T.NL0, NL1: T.NL1 });
export const TC_CRDLY: Xlat = named({ CR0: T.CR0, CR1: T.CR1, CR2: T.CR2, CR3: T.CR3 });
export const TC_TABDLY: Xlat = named({ TAB0: T.TAB0, TAB1: T.TAB1, TAB2: T.TAB2, TAB3: T.TAB3 });
export const TC_BSDLY: Xlat = named({ BS0: T.BS0, BS1: T.BS1 });
export const TC_VTDLY: Xlat = named({ VT0: T.VT0, VT1: T.VT1 });
export const TC_FFDLY: Xlat = named({ FF0: T.FF0, FF1: T.FF1 });
export const TC_BAUD: Xlat = named({ B0: T.B0, B50: T.B50, B75: T.B75, B110: T.B110, B134: T.B134, B150: T.B150, B200: T.B200,
  B300: T.B300, B600: T.B600, B1200: T.B1200, B1800: T.B1800, B2400: T.B2400, B4800: T.B4800, B9600: T.B9600,
  B19200: T.B19200, B38400: T.B38400, B57600: T.B57600, B115200: T.B115200, B230400: T.B230400, B460800: T.B460800,
  B500000: T.B500000, B576000: T.B576000, B921600: T.B921600, B1000000: T.B1000000, B1152000: T.B1152000,
  B1500000: T.B1500000, B2000000: T.B2000000, B2500000: T.B2500000, B3000000: T.B3000000, B3500000: T.B3500000,
  B4000000: T.B4000000 });
export const TC_CSIZE: Xlat = named({ CS5: T.CS5, CS6: T.CS6, CS7: T.CS7, CS8: T.CS8 });
export const TC_CFLAG: Xlat = named({ CSTOPB: T.CSTOPB, CREAD: T.CREAD, PARENB: T.PARENB, PARODD: T.PARODD, HUPCL: T.HUPCL,
  CLOCAL: T.CLOCAL, CMSPAR: T.CMSPAR, CRTSCTS: T.CRTSCTS });
export const TC_LFLAG: Xlat = named({ ISIG: T.ISIG, ICANON: T.ICANON, XCASE: T.XCASE, ECHO: T.ECHO, ECHOE: T.ECHOE,
  ECHOK: T.ECHOK, ECHONL: T.ECHONL, NOFLSH: T.NOFLSH, IEXTEN: T.IEXTEN /* before ECHOCTL, as strace */, ECHOCTL: T.ECHOCTL,
  ECHOPRT: T.ECHOPRT, ECHOKE: T.ECHOKE, FLUSHO: T.FLUSHO, PENDIN: T.PENDIN, TOSTOP: T.TOSTOP, EXTPROC: T.EXTPROC });

export const O_ACCMODE: Xlat = named({ O_RDONLY, O_WRONLY, O_RDWR });
// O_SYNC is __O_SYNC|O_DSYNC and O_TMPFILE is __O_TMPFILE|O_DIRECTORY: listed before their parts.
export const OPEN_FLAGS: Xlat = named({
  O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_SYNC, O_DSYNC, O_DIRECT, O_LARGEFILE, O_NOFOLLOW,
  O_NOATIME, O_CLOEXEC, O_PATH, O_TMPFILE, O_DIRECTORY, FASYNC,
});

/** open/openat flags: the access mode, then the other bits. */
export function openFlags(v: number): string {
  const mode = v & O_ACCMODE_MASK;
  const rest = xlatFlags(v & ~O_ACCMODE_MASK, OPEN_FLAGS, "");
  const acc = O_ACCMODE.find(([, m]) => m === mode)?.[0] ?? "O_ACCMODE";
  return rest ? `${acc}|${rest}` : acc;
}

/** A file mode argument: `%#03o` (0644, 000). */
export function octalMode(v: number): string {
  return v === 0 ? "000" : ("0" + v.toString(8)).padStart(3, "0");
}

export const PROT: Xlat = named({ PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP });
export const prot = (v: number) => xlatFlags(v, PROT, "PROT_NONE");

const MAP_TYPES: Xlat = named({ MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE });
export const MAP_FLAGS: Xlat = named({
  MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_GROWSDOWN, MAP_DENYWRITE,
  MAP_EXECUTABLE, MAP_LOCKED, MAP_STACK, MAP_HUGETLB, MAP_SYNC, MAP_FIXED_NOREPLACE, MAP_UNINITIALIZED,
});
/** mmap flags: the mapping type (MAP_TYPE's bits), then the flags. */
export function mmapFlags(v: number): string {
  const type = MAP_TYPES.find(([, t]) => t === (v & MAP_TYPE))?.[0] ?? hex(v & MAP_TYPE);
  const rest = xlatFlags(v & ~MAP_TYPE, MAP_FLAGS, "");
  return rest ? `${type}|${rest}` : type;
}

export const AT_FLAGS: Xlat = named({
  AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_NO_AUTOMOUNT, AT_EMPTY_PATH, AT_STATX_FORCE_SYNC,
  AT_STATX_DONT_SYNC, AT_RECURSIVE,
});
/** faccessat2: AT_REMOVEDIR's bit means AT_EACCESS there. */
export const FACCESSAT_FLAGS: Xlat = named({ AT_SYMLINK_NOFOLLOW, AT_EACCESS, AT_EMPTY_PATH });
const STATX_SYNC_TYPES: Xlat = named({ AT_STATX_SYNC_AS_STAT, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC });
/** statx flags: the sync type (AT_STATX_SYNC_AS_STAT is 0, so always named) then the rest. */
export function statxFlags(v: number): string {
  const sync = v & AT_STATX_SYNC_TYPE;
  const name = STATX_SYNC_TYPES.find(([, t]) => t === sync)?.[0] ?? hex(sync);
  const rest = xlatFlags(v & ~AT_STATX_SYNC_TYPE, AT_FLAGS, "");
  return rest ? `${name}|${rest}` : name;
}
export const STATX_MASK: Xlat = named({
  STATX_BASIC_STATS, STATX_TYPE, STATX_MODE, STATX_NLINK, STATX_UID, STATX_GID, STATX_ATIME, STATX_MTIME, STATX_CTIME,
  STATX_INO, STATX_SIZE, STATX_BLOCKS, STATX_BTIME, STATX_MNT_ID, STATX_DIOALIGN,
});

export const ACCESS_MODES: Xlat = named({ R_OK, W_OK, X_OK });
export const accessMode = (v: number) => xlatFlags(v, ACCESS_MODES, "F_OK");

/** madvise advice. */
export const MADVISE: Xlat = named({
  MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK,
  MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP,
  MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
  MADV_DONTNEED_LOCKED, MADV_COLLAPSE, MADV_HWPOISON, MADV_SOFT_OFFLINE,
});

export const CLONE_FLAGS: Xlat = named({
  CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT, CLONE_THREAD,
  CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_DETACHED,
  CLONE_UNTRACED, CLONE_CHILD_SETTID, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
  CLONE_NEWNET, CLONE_IO,
});
/** clone3's flags above bit 31 (what clone's int could not hold), shifted down by 32 to fit a table. */
const CLONE3_HIGH_FLAGS: Xlat = Object.entries({ CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP }).map(([k, v]) => [k, Number(v >> 32n)] as const);
/** The names of clone3's flags above bit 31 (`high`: the flags shifted right by 32). */
export const clone3HighFlags = (high: number): string => xlatFlags(high, CLONE3_HIGH_FLAGS, "");
/** clone flags: the names, then the exit signal in the low byte (CSIGNAL). */
export function cloneFlags(v: number): string {
  const sig = v & CSIGNAL;
  const parts = xlatFlags(v & ~CSIGNAL, CLONE_FLAGS, "");
  const s = sig ? signalName(sig) : "";
  return [parts, s].filter(Boolean).join("|") || "0";
}

/** The classic signals' short names, by number (asm/signal.h's SIG* names without "SIG"). */
const SIGNALS: readonly string[] = (() => {
  const names: string[] = [];
  // SIGIOT and SIGPOLL share SIGABRT's and SIGIO's numbers: strace names the first ones.
  for (const [k, v] of Object.entries(S)) {
    if (/^SIG[A-Z0-9]+$/.test(k) && k !== "SIGIOT" && k !== "SIGPOLL" && k !== "SIGRTMIN" && typeof v === "number") names[v] = k.slice(3);
  }
  return names;
})();
/** A signal's short name as in a sigset: `TERM`, `RTMIN`, `RT_1`. */
export function signalAbbrev(n: number): string | undefined {
  if (n >= 1 && n < SIGRTMIN) return SIGNALS[n];
  if (n === SIGRTMIN) return "RTMIN";
  if (n > SIGRTMIN && n <= _NSIG) return `RT_${n - SIGRTMIN}`;
  return undefined;
}
/** A signal argument: `SIGINT`, `SIGRTMIN`, or the number. */
export function signalName(n: number): string {
  const a = signalAbbrev(n);
  return a ? "SIG" + a : String(n);
}

export const SIGPROCMASK_HOW: Xlat = named({ SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK });
export const SA_FLAGS: Xlat = named({
  SA_RESTORER, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_SIGINFO, SA_NOCLDSTOP, SA_NOCLDWAIT, SA_UNSUPPORTED,
  SA_EXPOSE_TAGBITS,
});

export const FCNTL_CMDS: Xlat = named({
  F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG,
  F_GETLK64, F_SETLK64, F_SETLKW64, F_SETOWN_EX, F_GETOWN_EX, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE,
  F_GETLEASE, F_NOTIFY, F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS,
});
export const FD_FLAGS: Xlat = named({ FD_CLOEXEC });

export const IOCTL_REQUESTS: Xlat = named({
  TCGETS, TCSETS, TCSETSW, TCSETSF, TCGETA, TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO,
  TIOCNOTTY, FIONCLEX, FIOCLEX, FIOASYNC, TIOCGPTN, TIOCSPTLCK,
});
/** An ioctl request: its name, or `_IOC(dir, type, nr, size)` decoded from the number (asm-generic/ioctl.h). */
export function ioctlRequest(v: number): string {
  const u = v >>> 0;
  for (const [name, val] of IOCTL_REQUESTS) if (val >>> 0 === u) return name;
  const dir = u >>> 30, size = (u >>> 16) & 0x3fff, type = (u >>> 8) & 0xff, nr = u & 0xff;
  const dirName = ["_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE"][dir];
  return `_IOC(${dirName}, ${hex(type)}, ${hex(nr)}, ${size ? hex(size) : "0"})`;
}

export const MREMAP_FLAGS: Xlat = named({ MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP });

export const WHENCE: Xlat = named({ SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE });

export const ARCH_PRCTL: Xlat = named({
  ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS, ARCH_GET_CPUID, ARCH_SET_CPUID, ARCH_GET_XCOMP_SUPP,
  ARCH_GET_XCOMP_PERM, ARCH_REQ_XCOMP_PERM, ARCH_GET_XCOMP_GUEST_PERM, ARCH_REQ_XCOMP_GUEST_PERM, ARCH_MAP_VDSO_X32,
  ARCH_MAP_VDSO_32, ARCH_MAP_VDSO_64, ARCH_SHSTK_ENABLE, ARCH_SHSTK_DISABLE, ARCH_SHSTK_LOCK, ARCH_SHSTK_UNLOCK,
  ARCH_SHSTK_STATUS,
});

export const GRND_FLAGS: Xlat = named({ GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE });

export const CLOCKS: Xlat = named({
  CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
  CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI,
});
export const TIMER_FLAGS: Xlat = named({ TIMER_ABSTIME });

export const RLIMITS: Xlat = named({
  RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS, RLIMIT_NPROC, RLIMIT_NOFILE,
  RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME,
});

export const PRCTL_OPTIONS: Xlat = named({
  PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_GET_TIMING,
  PR_SET_TIMING, PR_SET_NAME, PR_GET_NAME, PR_GET_SECCOMP, PR_SET_SECCOMP, PR_CAPBSET_READ, PR_CAPBSET_DROP,
  PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_SET_TIMERSLACK, PR_GET_TIMERSLACK, PR_SET_MM, PR_SET_CHILD_SUBREAPER,
  PR_GET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_GET_TID_ADDRESS, PR_SET_THP_DISABLE,
  PR_GET_THP_DISABLE, PR_CAP_AMBIENT, PR_SET_VMA,
});

export const FUTEX_OPS: Xlat = named({
  FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_LOCK_PI, FUTEX_UNLOCK_PI,
  FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2,
});
/** The bits below the flags: where the commands are (FUTEX_CMD_MASK keeps the unused high bits too). */
const FUTEX_CMD_BITS = FUTEX_PRIVATE_FLAG - 1;
/** futex op: the command with FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME folded in as strace does. */
export function futexOp(v: number): string {
  const cmd = v & FUTEX_CMD_BITS;
  let s = xlatValue(cmd, FUTEX_OPS, "FUTEX");
  if (v & FUTEX_PRIVATE_FLAG) s += "_PRIVATE";
  if (v & FUTEX_CLOCK_REALTIME) s = "FUTEX_CLOCK_REALTIME|" + s;
  const rest = v & ~(FUTEX_CMD_BITS | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  return rest ? `${s}|${hex(rest)}` : s;
}

export const FILE_TYPES: Xlat = named({ S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO });
const MODE_BITS: Xlat = named({ S_ISUID, S_ISGID, S_ISVTX });
/** st_mode: `S_IFREG|0644`, `S_IFDIR|S_ISVTX|0777`. */
export function statMode(mode: number): string {
  const parts: string[] = [];
  const type = FILE_TYPES.find(([, t]) => t === (mode & S_IFMT));
  if (type) parts.push(type[0]);
  else if (mode & S_IFMT) parts.push(hex(mode & S_IFMT));
  for (const [name, bit] of MODE_BITS) if (mode & bit) parts.push(name);
  parts.push(octalMode(mode & 0o777));
  return parts.join("|");
}

/** pipe2 and dup3 flags (strace prints 0 when none is set, not O_RDONLY). */
export const PIPE_FLAGS: Xlat = named({ O_NONBLOCK, O_DIRECT, O_CLOEXEC });

/** wait4 / waitpid options. */
export const WAIT_OPTIONS: Xlat = named({ WNOHANG, WUNTRACED, WCONTINUED, __WNOTHREAD, __WALL, __WCLONE });

/** stx_attributes, in strace's order. */
export const STATX_ATTRS: Xlat = named({
  STATX_ATTR_COMPRESSED, STATX_ATTR_IMMUTABLE, STATX_ATTR_APPEND, STATX_ATTR_NODUMP, STATX_ATTR_ENCRYPTED,
  STATX_ATTR_AUTOMOUNT, STATX_ATTR_MOUNT_ROOT, STATX_ATTR_VERITY, STATX_ATTR_DAX,
});

/** epoll_event.events, in strace's order. */
export const EPOLL_EVENTS: Xlat = named({
  EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLNVAL, EPOLLRDNORM, EPOLLRDBAND, EPOLLWRNORM, EPOLLWRBAND, EPOLLMSG,
  EPOLLRDHUP, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET,
});
export const EPOLL_CTL_OPS: Xlat = named({ EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD });
export const EPOLL_FLAGS: Xlat = named({ EPOLL_CLOEXEC });

/** The si_code names of one family of siginfo.h (`CLD_` for CLD_EXITED ...). */
const siCodes = (prefix: string): Xlat =>
  Object.entries(SI).filter(([k, v]) => k.startsWith(prefix) && typeof v === "number").map(([k, v]) => [k, v as number] as const);
/** The codes any signal may carry (sent by a process, or SI_KERNEL). */
const SI_CODES = siCodes("SI_");
/** Per signal, the codes of its own family (strace's si_codes[]). */
const SI_CODES_BY_SIGNAL: Record<number, Xlat> = {
  [S.SIGTRAP]: siCodes("TRAP_"), [S.SIGCHLD]: siCodes("CLD_"), [S.SIGIO]: siCodes("POLL_"), [S.SIGILL]: siCodes("ILL_"),
  [S.SIGFPE]: siCodes("FPE_"), [S.SIGSEGV]: siCodes("SEGV_"), [S.SIGBUS]: siCodes("BUS_"), [S.SIGSYS]: siCodes("SYS_"),
};
/** A siginfo's si_code as strace names it: the general codes first, then the signal's own, else the number. */
export function siCode(sig: number, code: number): string {
  for (const [name, v] of SI_CODES) if (v === code) return name;
  for (const [name, v] of SI_CODES_BY_SIGNAL[sig] ?? []) if (v === code) return name;
  return String(code);
}
