// The structures a trace line shows, decoded from the bytes the kernel wrote (or the program
// passed), in strace's abbreviated (non -v) form. Layouts per ABI: struct stat differs between
// x86_64 (144 bytes) and i386 (64), struct stat64 is i386 only (96, packed), statx is shared
// (see kernel-model/syscalls/fs/stat.ts, which encodes them).

import { escapeBytes } from "./escape.js";
import { EPOLL_EVENTS, SA_FLAGS, STATX_ATTRS, STATX_MASK, TC_BAUD, TC_BSDLY, TC_CFLAG, TC_CRDLY, TC_CSIZE, TC_FFDLY, TC_IFLAG,
  TC_LFLAG, TC_NLDLY, TC_OFLAG, TC_TABDLY, TC_VTDLY, siCode, signalAbbrev, signalName, statMode, xlatFlags, type Xlat } from "./xlat.js";
import { ERRNO_NAME } from "../errno.js";
import { SA_RESTORER, SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGIO, SIGSEGV, SIGTRAP } from "../uapi/asm/signal.js";
import { CLD_EXITED, POLL_IN, POLL_MSG, POLL_OUT, SI_SIGIO, SI_TIMER, SI_TKILL, SI_USER } from "../uapi/asm-generic/siginfo.js";
import { S_IFBLK, S_IFCHR, S_IFMT } from "../uapi/linux/stat.js";
import { BSDLY, CBAUD, CRDLY, CSIZE, FFDLY, NLDLY, TABDLY, VTDLY } from "../uapi/asm-generic/termbits.js";

export type TraceAbi = "x86_64" | "i386";

/** Bytes each structure needs from guest memory. */
export const STRUCT_SIZE = {
  stat: (abi: TraceAbi) => (abi === "x86_64" ? 144 : 64),
  stat64: 96,
  statx: 256,
  timespec: (abi: TraceAbi) => (abi === "x86_64" ? 16 : 8),
  utsname: 390,
  rlimit: (abi: TraceAbi) => (abi === "x86_64" ? 16 : 8),
  rlimit64: 16,
  winsize: 8,
  sigaction: (abi: TraceAbi) => (abi === "x86_64" ? 32 : 20),
};

/** glibc's major()/minor() for a dev_t (new_encode_dev or old 8:8 encodings both decode right). */
export function makedev(dev: bigint): string {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn & 0xffffffffn));
  return `makedev(0x${major.toString(16)}, 0x${minor.toString(16)})`;
}

/** st_mode, then st_rdev for devices or st_size for the rest, then `...` (strace without -v). */
function statCommon(mode: number, rdev: bigint, size: bigint): string {
  const type = mode & S_IFMT;
  const dev = type === S_IFCHR || type === S_IFBLK;
  return `{st_mode=${statMode(mode)}, ${dev ? `st_rdev=${makedev(rdev)}` : `st_size=${size}`}, ...}`;
}

/** struct stat in the task's ABI (x86_64: newfstatat/fstat/stat; i386: the old 16-bit layout). */
export function formatStat(b: Buffer, abi: TraceAbi): string {
  if (abi === "x86_64") return statCommon(b.readUInt32LE(24), b.readBigUInt64LE(40), b.readBigInt64LE(48));
  return statCommon(b.readUInt16LE(8), BigInt(b.readUInt32LE(16)), BigInt(b.readUInt32LE(20)));
}

/** struct stat64 (i386 stat64/fstat64/fstatat64). */
export function formatStat64(b: Buffer): string {
  return statCommon(b.readUInt32LE(16), b.readBigUInt64LE(32), b.readBigInt64LE(44));
}

/** struct statx: the mask, attributes, mode and size (or the device numbers). */
export function formatStatx(b: Buffer): string {
  const mode = b.readUInt16LE(28);
  const type = mode & S_IFMT;
  const dev = type === S_IFCHR || type === S_IFBLK;
  const tail = dev
    ? `stx_rdev_major=${b.readUInt32LE(128)}, stx_rdev_minor=${b.readUInt32LE(132)}`
    : `stx_size=${b.readBigUInt64LE(40)}`;
  return `{stx_mask=${xlatFlags(b.readUInt32LE(0), STATX_MASK)}, stx_attributes=${xlatFlags(Number(b.readBigUInt64LE(8) & 0xffffffffn), STATX_ATTRS)}, stx_mode=${statMode(mode)}, ${tail}, ...}`;
}

/** struct timespec (64-bit longs on x86_64, 32-bit on i386's old time syscalls). */
export function formatTimespec(b: Buffer, abi: TraceAbi): string {
  return abi === "x86_64"
    ? `{tv_sec=${b.readBigInt64LE(0)}, tv_nsec=${b.readBigInt64LE(8)}}`
    : `{tv_sec=${b.readInt32LE(0)}, tv_nsec=${b.readInt32LE(4)}}`;
}

/** struct timeval. */
export function formatTimeval(b: Buffer, abi: TraceAbi): string {
  return abi === "x86_64"
    ? `{tv_sec=${b.readBigInt64LE(0)}, tv_usec=${b.readBigInt64LE(8)}}`
    : `{tv_sec=${b.readInt32LE(0)}, tv_usec=${b.readInt32LE(4)}}`;
}

/** struct new_utsname: six 65-byte fields; strace shows the first two and `...`. */
export function formatUtsname(b: Buffer): string {
  const field = (i: number) => {
    const f = b.subarray(i * 65, i * 65 + 65);
    const z = f.indexOf(0);
    return `"${escapeBytes(z < 0 ? f : f.subarray(0, z))}"`;
  };
  return `{sysname=${field(0)}, nodename=${field(1)}, ...}`;
}

/** One rlimit value: `RLIM64_INFINITY`, `8192*1024` for whole KiB multiples, or the number. */
function rlimValue(v: bigint, infinity: bigint, infName: string): string {
  if (v === infinity) return infName;
  if (v > 1024n && v % 1024n === 0n) return `${v / 1024n}*1024`;
  return String(v);
}

/** struct rlimit64 (prlimit64, and getrlimit on x86_64 where rlimit is 64-bit). */
export function formatRlimit64(b: Buffer, infName = "RLIM64_INFINITY"): string {
  const inf = 0xffffffffffffffffn;
  return `{rlim_cur=${rlimValue(b.readBigUInt64LE(0), inf, infName)}, rlim_max=${rlimValue(b.readBigUInt64LE(8), inf, infName)}}`;
}

/** i386 struct rlimit (two 32-bit words, RLIM_INFINITY = ~0UL). */
export function formatRlimit32(b: Buffer): string {
  const inf = 0xffffffffn;
  return `{rlim_cur=${rlimValue(BigInt(b.readUInt32LE(0)), inf, "RLIM_INFINITY")}, rlim_max=${rlimValue(BigInt(b.readUInt32LE(4)), inf, "RLIM_INFINITY")}}`;
}

export function formatWinsize(b: Buffer): string {
  return `{ws_row=${b.readUInt16LE(0)}, ws_col=${b.readUInt16LE(2)}, ws_xpixel=${b.readUInt16LE(4)}, ws_ypixel=${b.readUInt16LE(6)}}`;
}

/**
 * A signal set: `[INT TERM]`; when more than half the bits are set, strace prints the
 * complement as `~[...]` (glibc's full set is `~[RTMIN RT_1]`).
 */
export function formatSigset(b: Buffer): string {
  const bits = b.length * 8;
  const set: number[] = [];
  for (let i = 0; i < bits; i++) if (b[i >> 3] & (1 << (i & 7))) set.push(i + 1);
  const invert = set.length > bits / 2;
  const shown = invert ? Array.from({ length: bits }, (_, i) => i + 1).filter((s) => !set.includes(s)) : set;
  return `${invert ? "~" : ""}[${shown.map((s) => signalAbbrev(s) ?? String(s)).join(" ")}]`;
}

/** struct sigaction as rt_sigaction takes it: handler, flags, restorer, then the mask. */
export function formatSigaction(b: Buffer, abi: TraceAbi, maskBytes = 8): string {
  const w = abi === "x86_64" ? 8 : 4;
  const word = (i: number) => (w === 8 ? b.readBigUInt64LE(i * 8) : BigInt(b.readUInt32LE(i * 4)));
  const handler = word(0), flags = Number(word(1) & 0xffffffffn), restorer = word(2);
  const mask = b.subarray(3 * w, 3 * w + maskBytes);
  const h = handler === 0n ? "SIG_DFL" : handler === 1n ? "SIG_IGN" : "0x" + handler.toString(16);
  const parts = [`sa_handler=${h}`, `sa_mask=${formatSigset(mask)}`, `sa_flags=${xlatFlags(flags, SA_FLAGS)}`];
  if (flags & Number(SA_RESTORER)) parts.push(`sa_restorer=0x${restorer.toString(16)}`);
  return `{${parts.join(", ")}}`;
}

// struct termios (asm-generic/termbits.h) as strace prints it without -v: the four flag words, then
// "...". A multi-bit field (a delay, the speed, the size) by name, before the single bits.
const field = (v: number, mask: number, values: Xlat): string => {
  const x = v & mask;
  return values.find(([, val]) => val === x)?.[0] ?? `0${x.toString(8)}`;
};

/** c_oflag's delay fields, each with the names of its values. */
const OFLAG_FIELDS: readonly (readonly [number, Xlat])[] = [
  [NLDLY, TC_NLDLY], [CRDLY, TC_CRDLY], [TABDLY, TC_TABDLY], [BSDLY, TC_BSDLY], [VTDLY, TC_VTDLY], [FFDLY, TC_FFDLY],
];

export function formatTermios(b: Buffer): string {
  const [i, o, c, l] = [0, 4, 8, 12].map((off) => b.readUInt32LE(off));
  const oflag = OFLAG_FIELDS.map(([mask, values]) => field(o, mask, values));
  const orest = xlatFlags(o & ~OFLAG_FIELDS.reduce((m, [mask]) => m | mask, 0), TC_OFLAG, "");
  const cflag = [field(c, CBAUD, TC_BAUD), field(c, CSIZE, TC_CSIZE)];
  const crest = xlatFlags(c & ~(CBAUD | CSIZE), TC_CFLAG, "");
  return `{c_iflag=${xlatFlags(i, TC_IFLAG)}, c_oflag=${[...oflag, ...(orest ? [orest] : [])].join("|")}, ` +
    `c_cflag=${[...cflag, ...(crest ? [crest] : [])].join("|")}, c_lflag=${xlatFlags(l, TC_LFLAG)}, ...}`;
}

/** sizeof(siginfo_t): 128 on both ABIs. */
export const SIGINFO_SIZE = 128;

/**
 * siginfo_t as strace prints it (printsiginfo): the signal and its code, then the fields that code
 * fills. The union follows si_signo, si_errno and si_code, aligned to a long: at 16 on x86_64, 12
 * on i386; a clock_t and a pointer are a long.
 */
export function formatSiginfo(b: Buffer, abi: TraceAbi): string {
  const signo = b.readInt32LE(0);
  if (signo === 0) return "{}";
  const errno = b.readInt32LE(4), code = b.readInt32LE(8);
  const wide = abi === "x86_64";
  const u = wide ? 16 : 12;
  const long = (at: number) => (wide ? b.readBigInt64LE(at) : BigInt(b.readInt32LE(at)));
  const ptr = (at: number) => {
    const v = wide ? b.readBigUInt64LE(at) : BigInt(b.readUInt32LE(at));
    return v === 0n ? "NULL" : "0x" + v.toString(16);
  };
  const f = [`si_signo=${signalName(signo)}`, `si_code=${siCode(signo, code)}`];
  if (errno) f.push(`si_errno=${ERRNO_NAME[errno] ?? errno}`);
  const source = () => f.push(`si_pid=${b.readInt32LE(u)}`, `si_uid=${b.readUInt32LE(u + 4)}`);
  // union sigval after si_pid and si_uid (or si_tid and si_overrun), a long's alignment
  const sigval = () => f.push(`si_int=${b.readInt32LE(u + 8)}`, `si_ptr=${ptr(u + 8)}`);
  const sigvalSet = () => (wide ? b.readBigUInt64LE(u + 8) : BigInt(b.readUInt32LE(u + 8))) !== 0n;
  const band = () => f.push(`si_band=${long(u)}`, `si_fd=${b.readInt32LE(u + (wide ? 8 : 4))}`);
  if (code <= SI_USER) {
    // sent by a process: kill, tgkill, sigqueue, a timer, queued I/O
    if (code === SI_TIMER) {
      const id = b.readUInt32LE(u);
      f.push(`si_timerid=${id ? "0x" + id.toString(16) : "0"}`, `si_overrun=${b.readInt32LE(u + 4)}`);
      sigval();
    } else if (code === SI_SIGIO) band();
    else {
      source();
      if (code !== SI_USER && code !== SI_TKILL && sigvalSet()) sigval();
    }
    return `{${f.join(", ")}}`;
  }
  switch (signo) {
    case SIGCHLD: {
      source();
      const status = b.readInt32LE(u + 8);
      const clk = wide ? [u + 16, u + 24] : [u + 12, u + 16];
      f.push(`si_status=${code === CLD_EXITED ? status : signalName(status)}`, `si_utime=${long(clk[0])}`, `si_stime=${long(clk[1])}`);
      break;
    }
    case SIGILL: case SIGFPE: case SIGBUS: case SIGSEGV: case SIGTRAP:
      f.push(`si_addr=${ptr(u)}`);
      break;
    case SIGIO:
      if (code === POLL_IN || code === POLL_OUT || code === POLL_MSG) band();
      break;
    default:
      if (b.readInt32LE(u) || b.readUInt32LE(u + 4)) source();
      if (sigvalSet()) sigval();
  }
  return `{${f.join(", ")}}`;
}

/** struct epoll_event (packed on x86: 12 bytes): the events, then the data both ways strace shows it. */
export const EPOLL_EVENT_SIZE = 12;
export function formatEpollEvent(b: Buffer, at = 0): string {
  const data = b.readBigUInt64LE(at + 4);
  return `{events=${xlatFlags(b.readUInt32LE(at), EPOLL_EVENTS)}, data={u32=${Number(data & 0xffffffffn)}, u64=${data}}}`;
}
