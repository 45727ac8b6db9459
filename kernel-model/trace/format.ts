// One strace line per syscall, from the syscall's name, its raw argument registers and guest
// memory. Input arguments (paths, buffers written out, structs passed in) are rendered when the
// call enters, before the kernel can change the memory they live in; output arguments (what
// read() filled, struct stat) when it leaves, and only if it succeeded (a failed call shows the
// bare pointer, as strace does).

import { ERRNO_MESSAGE, ERRNO_NAME } from "../errno.js";
import { ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, ERESTART_RESTARTBLOCK } from "../sched/signal.js";
import { DEFAULT_STRLEN, quoteBuffer, quoteCString } from "./escape.js";
import {
  formatRlimit32, formatRlimit64, formatSigaction, formatSigset, formatStat, formatStat64, formatStatx, formatTermios, formatTimespec,
  formatTimeval, formatUtsname, formatWinsize, STRUCT_SIZE, type TraceAbi, EPOLL_EVENT_SIZE, formatEpollEvent, formatSiginfo,
  SIGINFO_SIZE,
} from "./structs.js";
import { describeSyscall, type SyscallDesc } from "./syscalls.js";
import {
  ARCH_PRCTL, AT_FLAGS, CLOCKS, FACCESSAT_FLAGS, FCNTL_CMDS, FD_FLAGS, GRND_FLAGS, MADVISE, PRCTL_OPTIONS, RLIMITS, SIGPROCMASK_HOW,
  STATX_MASK, TIMER_FLAGS, WHENCE, accessMode, CLONE_FLAGS, cloneFlags, futexOp, ioctlRequest, mmapFlags, octalMode, openFlags,
  PIPE_FLAGS, prot, signalName, statxFlags, WAIT_OPTIONS, xlatFlags, xlatValue, EPOLL_CTL_OPS, EPOLL_FLAGS, MREMAP_FLAGS,
  clone3HighFlags,
} from "./xlat.js";
import {
  F_DUPFD, F_GETFD, F_GETFL, F_GETOWN, F_GETSIG, F_SETFD, F_SETFL, F_SETOWN, F_SETSIG, O_CREAT, __O_TMPFILE,
} from "../uapi/asm-generic/fcntl.js";
import {
  F_ADD_SEALS, F_DUPFD_CLOEXEC, F_GETLEASE, F_GETPIPE_SZ, F_GET_SEALS, F_NOTIFY, F_SETLEASE, F_SETPIPE_SZ,
} from "../uapi/linux/fcntl.js";
import { TCGETS, TCSETS, TCSETSF, TIOCGPGRP, TIOCGWINSZ, TIOCSPGRP } from "../uapi/asm-generic/ioctls.js";
import {
  PR_GET_CHILD_SUBREAPER, PR_GET_DUMPABLE, PR_GET_KEEPCAPS, PR_GET_NAME, PR_GET_PDEATHSIG, PR_GET_SECCOMP, PR_GET_TID_ADDRESS,
  PR_GET_TIMERSLACK, PR_GET_TIMING, PR_SET_CHILD_SUBREAPER, PR_SET_KEEPCAPS, PR_SET_NAME, PR_SET_NO_NEW_PRIVS,
  PR_SET_PDEATHSIG, PR_SET_THP_DISABLE, PR_SET_TIMERSLACK, PR_SET_TIMING,
} from "../uapi/linux/prctl.js";
import { EPOLL_CTL_DEL } from "../uapi/linux/eventpoll.js";
import { ARCH_GET_FS, ARCH_GET_GS } from "../uapi/asm/prctl.js";
import { FUTEX_PRIVATE_FLAG, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE } from "../uapi/linux/futex.js";
import { _NSIG } from "../uapi/asm/signal.js";
import { AT_FDCWD } from "../uapi/linux/fcntl.js";
import {
  CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER2,
  CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_INTO_CGROUP, CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_SETTLS,
} from "../uapi/linux/sched.js";

/** Guest memory as the tracer reads it; read() throws when the range is not mapped. */
export interface TraceMemory {
  read(addr: bigint, len: number): Buffer;
}

export interface FormatOptions {
  abi: TraceAbi;
  /** -s: how much of a string or buffer to show (default 32). */
  strlen?: number;
}

/** strace aligns the `= result` of short lines at this column. */
export const RESULT_COLUMN = 40;

/** A syscall between its entry and its exit. */
export interface PendingCall {
  nr: number;
  name: string | undefined;
  args: readonly bigint[];
  kinds: string[];
  ret: SyscallDesc["ret"];
  /** Rendered input arguments; undefined where the argument is an output (filled at exit). */
  parts: (string | undefined)[];
}

/** Outputs that strace appends to the input they belong to, after ` => ` (the value changed), with no separator. */
const GLUED_KINDS = new Set(["cargs_out"]);

const OUTPUT_KINDS = new Set(["cargs_out", "obuf", "obufx", "ostr", "stat", "stat64", "statx", "ts", "ts64", "tv", "uts", "rlim", "rlim64",
  "sigset_out", "sa_out", "fds2", "loff", "plong", "winsize", "pstr", "llres", "wstatus", "iov_out", "dents", "dents64", "termios_out",
  "pint", "puint", "psig", "pcomm", "siginfo", "epevents"]);

const baseKind = (k: string) => k.split(/[:@]/)[0];
/** The argument a kind at position `i` prints: its own, or argument N for `kind@N`. */
const argIndex = (kind: string, i: number): number => (kind.includes("@") ? Number(kind.split("@")[1]) : i);
const bits = (abi: TraceAbi) => (abi === "x86_64" ? 64 : 32);

function hexOf(v: bigint, abi: TraceAbi): string {
  const u = BigInt.asUintN(bits(abi), v);
  return u === 0n ? "0" : "0x" + u.toString(16);
}
function ptrOf(v: bigint, abi: TraceAbi): string {
  const u = BigInt.asUintN(bits(abi), v);
  return u === 0n ? "NULL" : "0x" + u.toString(16);
}
const int = (v: bigint) => Number(BigInt.asIntN(32, v));

function tryRead(mem: TraceMemory, addr: bigint, len: number): Buffer | undefined {
  if (addr === 0n) return undefined;
  try {
    return mem.read(addr, len);
  } catch {
    return undefined;
  }
}

/** A NUL-terminated string, at most `max` bytes (page by page, so the end of a mapping is fine). */
export function readCString(mem: TraceMemory, addr: bigint, max: number): { bytes: Buffer; terminated: boolean } | undefined {
  if (addr === 0n) return undefined;
  const parts: Buffer[] = [];
  let total = 0, a = addr;
  while (total < max) {
    const n = Math.min(4096 - Number(a & 4095n), max - total);
    let chunk: Buffer;
    try {
      chunk = mem.read(a, n);
    } catch {
      if (total === 0) return undefined;
      break;
    }
    const z = chunk.indexOf(0);
    if (z >= 0) {
      parts.push(chunk.subarray(0, z));
      return { bytes: Buffer.concat(parts), terminated: true };
    }
    parts.push(chunk);
    total += n;
    a += BigInt(n);
  }
  return { bytes: Buffer.concat(parts), terminated: false };
}

/** The argument kinds of a call, including the ones that depend on another argument. */
export function argKinds(name: string | undefined, args: readonly bigint[], abi: TraceAbi): { kinds: string[]; ret: SyscallDesc["ret"] } {
  const desc = name ? describeSyscall(name) : undefined;
  if (!desc) return { kinds: ["x", "x", "x", "x", "x", "x"], ret: "d" };
  const k = (kinds: string[]) => ({ kinds, ret: desc.ret });
  switch (name) {
    case "open":
    case "openat": {
      // The mode is only meaningful (and only printed) when a file may be created.
      const flags = int(args[name === "open" ? 1 : 2]);
      const creates = (flags & (O_CREAT | __O_TMPFILE)) !== 0;
      return k(creates ? [...desc.args, "mode"] : desc.args);
    }
    case "fcntl":
    case "fcntl64": {
      const cmd = int(args[1]);
      const t = cmd in FCNTL_ARG ? FCNTL_ARG[cmd] : FCNTL_CMDS.some(([, v]) => v === cmd) ? "p" : "x";
      return k(t ? ["fd", "fcntlcmd", t] : ["fd", "fcntlcmd"]);
    }
    case "ioctl": {
      const req = int(args[1]) >>> 0;
      if (req === TIOCGWINSZ) return k(["fd", "ioctl", "winsize"]);
      // TCGETS fills a struct termios; TCSETS, TCSETSW, TCSETSF pass one in
      if (req === TCGETS) return k(["fd", "ioctl", "termios_out"]);
      if (req >= TCSETS && req <= TCSETSF) return k(["fd", "ioctl", "termios_in"]);
      // the foreground process group: passed in, or filled (strace's term.c)
      if (req === TIOCSPGRP) return k(["fd", "ioctl", "pint_in"]);
      if (req === TIOCGPGRP) return k(["fd", "ioctl", "pint"]);
      const known = ioctlRequest(req) && !ioctlRequest(req).startsWith("_IOC(");
      return k(["fd", "ioctl", known ? "p" : "x"]);
    }
    case "arch_prctl": {
      const code = int(args[0]);
      return k(["archcode", code === ARCH_GET_FS || code === ARCH_GET_GS ? "plong" : "x"]);
    }
    case "prctl":
      return k(prctlKinds(int(args[0])));
    case "rt_sigtimedwait":
    case "rt_sigtimedwait_time64":
      // the siginfo is the only output: with none asked for, everything is printed at entry
      return k([desc.args[0], args[1] === 0n ? "p" : "siginfo", ...desc.args.slice(2)]);
    case "epoll_ctl":
      return k(["fd", "epctl", "fd", int(args[1]) === EPOLL_CTL_DEL ? "p" : "epevent_in"]);
    case "futex": {
      const cmd = int(args[1]) & (FUTEX_PRIVATE_FLAG - 1);
      if (cmd === FUTEX_WAKE) return k(["p", "futexop", "d"]);
      if (cmd === FUTEX_WAIT) return k(["p", "futexop", "d", "ts_in"]);
      if (cmd === FUTEX_WAIT_BITSET) return k(["p", "futexop", "d", "ts_in", "p", "x"]);
      return k(["p", "futexop", "d", "p", "p", "d"]);
    }
    case "_llseek":
      // fd, offset_high:offset_low, result, whence
      return k(["fd", "lloff", "llres@3", "whence@4"]);
    case "clone":
      return k(["clone"]);
    case "clone3":
      // the struct at entry; what the kernel wrote back (` => {parent_tid=[N]}`) at exit, then the size
      return k(["cargs", "cargs_out@0", "lu@1"]);
    default:
      return k(desc.args);
  }
}

/** fcntl's third argument per command: none (null), or its kind (the rest: a pointer, `p`). */
const FCNTL_ARG: Record<number, string | null> = {
  [F_GETFD]: null, [F_GETFL]: null, [F_GETOWN]: null, [F_GETSIG]: null, [F_GETLEASE]: null, [F_GETPIPE_SZ]: null, [F_GET_SEALS]: null,
  [F_SETFD]: "fdflags", [F_SETFL]: "oflags", [F_DUPFD]: "d", [F_DUPFD_CLOEXEC]: "d", [F_SETOWN]: "d", [F_SETSIG]: "d",
  [F_SETLEASE]: "d", [F_NOTIFY]: "x", [F_SETPIPE_SZ]: "d", [F_ADD_SEALS]: "x",
};

/** prctl's arguments per option, as strace's prctl.c prints them (the rest: four in hex). */
function prctlKinds(option: number): string[] {
  switch (option) {
    case PR_GET_KEEPCAPS: case PR_GET_SECCOMP: case PR_GET_TIMERSLACK: case PR_GET_TIMING: case PR_GET_DUMPABLE:
      return ["prctlopt"];
    case PR_GET_CHILD_SUBREAPER: return ["prctlopt", "puint"];
    case PR_GET_NAME: return ["prctlopt", "pcomm"];
    case PR_GET_PDEATHSIG: return ["prctlopt", "psig"];
    case PR_GET_TID_ADDRESS: return ["prctlopt", "plong"];
    case PR_SET_CHILD_SUBREAPER: case PR_SET_KEEPCAPS: case PR_SET_TIMING: return ["prctlopt", "lu"];
    case PR_SET_NAME: return ["prctlopt", "comm"];
    case PR_SET_PDEATHSIG: return ["prctlopt", "pdsig"];
    case PR_SET_TIMERSLACK: return ["prctlopt", "ld"];
    case PR_SET_NO_NEW_PRIVS: case PR_SET_THP_DISABLE: return ["prctlopt", "lu", "x", "x", "x"];
    default: return ["prctlopt", "x", "x", "x", "x"];
  }
}

/** TASK_COMM_LEN: a task's name with its NUL. */
const TASK_COMM_LEN = 16;

/** Renders one argument; `phase` says whether inputs or outputs are wanted now. */
function renderArg(kind: string, i: number, args: readonly bigint[], mem: TraceMemory, o: Required<FormatOptions>, result?: bigint): string {
  const [base, lenArg] = kind.split("@")[0].split(":");
  i = argIndex(kind, i);
  const v = args[i] ?? 0n;
  const abi = o.abi;
  const lenOf = () => Number(BigInt.asUintN(bits(abi), args[Number(lenArg)] ?? 0n));
  const struct = (len: number, fmt: (b: Buffer) => string) => {
    const b = tryRead(mem, v, len);
    return b ? fmt(b) : ptrOf(v, abi);
  };
  switch (base) {
    case "d": case "fd": return String(int(v));
    case "ld": return String(BigInt.asIntN(bits(abi), v));
    case "lu": return String(BigInt.asUintN(bits(abi), v));
    case "x": return hexOf(v, abi);
    case "p": return ptrOf(v, abi);
    case "dirfd": return int(v) === AT_FDCWD ? "AT_FDCWD" : String(int(v));
    case "off": return String(BigInt.asIntN(bits(abi), v));
    case "path": {
      const s = readCString(mem, v, 4096);
      return s ? quoteCString(s.bytes, s.terminated, 4096) : ptrOf(v, abi);
    }
    case "str": case "pstr": {
      const s = readCString(mem, v, o.strlen + 1);
      return s ? quoteCString(s.bytes, s.terminated, o.strlen) : ptrOf(v, abi);
    }
    case "comm": case "pcomm": {
      // PR_SET_NAME shows what the kernel keeps (15 bytes), PR_GET_NAME the whole buffer it filled
      const max = base === "comm" ? TASK_COMM_LEN - 1 : TASK_COMM_LEN;
      const s = readCString(mem, v, max + 1);
      return s ? quoteCString(s.bytes, s.terminated, max) : ptrOf(v, abi);
    }
    case "pint": case "pint_in": return struct(4, (b) => `[${b.readInt32LE(0)}]`);
    case "puint": return struct(4, (b) => `[${b.readUInt32LE(0)}]`);
    case "psig": return struct(4, (b) => `[${signalName(b.readInt32LE(0))}]`);
    case "pdsig": return BigInt.asUintN(bits(abi), v) > 128n ? String(BigInt.asUintN(bits(abi), v)) : signalName(int(v));
    case "siginfo": return struct(SIGINFO_SIZE, (b) => formatSiginfo(b, abi));
    case "epctl": return xlatValue(int(v), EPOLL_CTL_OPS, "EPOLL_CTL");
    case "epflags": return xlatFlags(int(v), EPOLL_FLAGS);
    case "epevent_in": return struct(EPOLL_EVENT_SIZE, (b) => formatEpollEvent(b));
    case "epevents": {
      const n = Number(result ?? 0n);
      if (n === 0) return "[]";
      const shown = Math.min(n, o.strlen);
      return struct(shown * EPOLL_EVENT_SIZE, (b) => {
        const items = Array.from({ length: shown }, (_, j) => formatEpollEvent(b, j * EPOLL_EVENT_SIZE));
        return `[${items.join(", ")}${n > shown ? ", ..." : ""}]`;
      });
    }
    case "ibuf": {
      const len = lenOf();
      const b = tryRead(mem, v, Math.min(len, o.strlen));
      return b ? quoteBuffer(b, len, o.strlen) : ptrOf(v, abi);
    }
    case "obuf": case "obufx": {
      const len = Number(result ?? 0n);
      if (len === 0) return v === 0n ? "NULL" : '""';
      const b = tryRead(mem, v, Math.min(len, o.strlen));
      return b ? quoteBuffer(b, len, o.strlen, base === "obufx") : ptrOf(v, abi);
    }
    case "ostr": {
      const s = readCString(mem, v, o.strlen + 1);
      return s ? quoteCString(s.bytes, s.terminated, o.strlen) : ptrOf(v, abi);
    }
    case "oflags": return openFlags(int(v));
    case "pflags": return xlatFlags(int(v), PIPE_FLAGS);
    case "wopts": return xlatFlags(int(v), WAIT_OPTIONS);
    case "wstatus": return result === 0n ? ptrOf(v, abi) : struct(4, (b) => `[${formatWaitStatus(b.readInt32LE(0))}]`);
    case "iov_in": return formatIovec(mem, v, lenOf(), abi, o.strlen, undefined);
    case "iov_out": return formatIovec(mem, v, lenOf(), abi, o.strlen, Number(result ?? 0n));
    case "dents": case "dents64": return `${ptrOf(v, abi)} /* ${countDirents(mem, v, Number(result ?? 0n), base === "dents64" ? "x86_64" : abi)} entries */`;
    case "argv": return formatArgv(mem, v, abi, o.strlen);
    case "udesc": return struct(16, formatUserDesc);
    case "envp": return formatEnvp(mem, v, abi);
    case "mode": return octalMode(int(v));
    case "prot": return prot(int(v));
    case "mflags": return mmapFlags(int(v));
    case "mmoff": return hexOf(v, abi);
    case "mmoff2": return hexOf(BigInt.asUintN(32, v) * 4096n, "x86_64");
    case "mremap": return xlatFlags(int(v), MREMAP_FLAGS);
    case "atflags": return xlatFlags(int(v), AT_FLAGS);
    case "faflags": return xlatFlags(int(v), FACCESSAT_FLAGS);
    case "sxflags": return statxFlags(int(v));
    case "sxmask": return xlatFlags(int(v), STATX_MASK);
    case "acc": return accessMode(int(v));
    case "sig": return signalName(int(v));
    case "whence": return xlatValue(int(v), WHENCE, "SEEK");
    case "madv": return xlatValue(int(v), MADVISE, "MADV");
    case "clock": return xlatValue(int(v), CLOCKS, "CLOCK");
    case "tflags": return xlatFlags(int(v), TIMER_FLAGS);
    case "grnd": return xlatFlags(int(v), GRND_FLAGS);
    case "how": return xlatValue(int(v), SIGPROCMASK_HOW, "SIG");
    case "rlres": return xlatValue(int(v), RLIMITS, "RLIMIT");
    case "fcntlcmd": return xlatValue(int(v), FCNTL_CMDS, "F");
    case "fdflags": return xlatFlags(int(v), FD_FLAGS);
    case "ioctl": return ioctlRequest(int(v));
    case "archcode": return xlatValue(int(v), ARCH_PRCTL, "ARCH");
    case "prctlopt": return xlatValue(int(v), PRCTL_OPTIONS, "PR");
    case "futexop": return futexOp(int(v));
    case "ts_in": case "ts": return struct(STRUCT_SIZE.timespec(abi), (b) => formatTimespec(b, abi));
    case "ts64_in": case "ts64": return struct(16, (b) => formatTimespec(b, "x86_64"));
    case "tv": return struct(abi === "x86_64" ? 16 : 8, (b) => formatTimeval(b, abi));
    case "stat": return struct(STRUCT_SIZE.stat(abi), (b) => formatStat(b, abi));
    case "stat64": return struct(STRUCT_SIZE.stat64, formatStat64);
    case "statx": return struct(STRUCT_SIZE.statx, formatStatx);
    case "uts": return struct(STRUCT_SIZE.utsname, formatUtsname);
    case "rlim": case "rlim_in": return abi === "x86_64" ? struct(16, (b) => formatRlimit64(b)) : struct(8, formatRlimit32);
    case "rlim64": case "rlim64_in": return struct(16, (b) => formatRlimit64(b));
    case "winsize": return struct(STRUCT_SIZE.winsize, formatWinsize);
    case "termios_in": case "termios_out": return struct(36, formatTermios);
    case "sigset_in": case "sigset_out": {
      const n = lenOf();
      return n > 0 && n <= 128 ? struct(n, formatSigset) : ptrOf(v, abi);
    }
    case "sa_in": case "sa_out": return struct(STRUCT_SIZE.sigaction(abi), (b) => formatSigaction(b, abi));
    case "fds2": return struct(8, (b) => `[${b.readInt32LE(0)}, ${b.readInt32LE(4)}]`);
    case "loff": return struct(8, (b) => `[${b.readBigInt64LE(0)}]`);
    case "llres": return struct(8, (b) => `[${b.readBigInt64LE(0)}]`);
    case "plong": return struct(abi === "x86_64" ? 8 : 4, (b) => `[0x${(abi === "x86_64" ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0))).toString(16)}]`);
    case "lloff": return String(BigInt.asIntN(64, (BigInt.asUintN(32, args[1]) << 32n) | BigInt.asUintN(32, args[2])));
    case "clone": return cloneArgs(args, abi);
    case "cargs": return cloneArgsStruct(mem, v, args[1], abi);
    case "cargs_out": return cloneArgsChanged(mem, v, args[1], abi);
    default: return hexOf(v, abi);
  }
}

/** clone: strace names the arguments and shows the pointers only when the flags use them. */
function cloneArgs(args: readonly bigint[], abi: TraceAbi): string {
  const flags = int(args[0]) >>> 0;
  // x86_64: flags, stack, parent_tid, child_tid, tls; i386 (CLONE_BACKWARDS): flags, stack, parent_tid, tls, child_tid
  const [childTid, tls] = abi === "x86_64" ? [args[3], args[4]] : [args[4], args[3]];
  const parts = [`child_stack=${ptrOf(args[1], abi)}`, `flags=${cloneFlags(flags)}`];
  if (flags & (CLONE_PARENT_SETTID | CLONE_PIDFD)) parts.push(`parent_tid=${ptrOf(args[2], abi)}`);
  if (flags & CLONE_SETTLS) parts.push(`tls=${ptrOf(tls, abi)}`);
  if (flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) parts.push(`child_tidptr=${ptrOf(childTid, abi)}`);
  return parts.join(", ");
}


/** struct clone_args as far as it is read: its u64 fields in order, or undefined (too small, unmapped). */
function readCloneArgs(mem: TraceMemory, addr: bigint, size: bigint): bigint[] | undefined {
  if (size < BigInt(CLONE_ARGS_SIZE_VER0)) return undefined;
  const b = tryRead(mem, addr, Math.min(Number(size), CLONE_ARGS_SIZE_VER2));
  if (!b) return undefined;
  return Array.from({ length: CLONE_ARGS_SIZE_VER2 / 8 }, (_, i) => (i * 8 + 8 <= b.length ? b.readBigUInt64LE(i * 8) : 0n));
}

/** clone3's struct clone_args as strace prints it: the pointers only when the flags use them. */
function cloneArgsStruct(mem: TraceMemory, addr: bigint, size: bigint, abi: TraceAbi): string {
  const c = readCloneArgs(mem, addr, size);
  if (!c) return ptrOf(addr, abi);
  const [flags, pidfd, childTid, parentTid, exitSignal, stack, stackSize, tls, setTid, setTidSize, cgroup] = c;
  const p64 = (v: bigint) => (v === 0n ? "NULL" : "0x" + v.toString(16));
  const high = clone3HighFlags(Number(flags >> 32n));
  const names = [xlatFlags(Number(flags & 0xffffffffn), CLONE_FLAGS, ""), high].filter(Boolean).join("|");
  const f = [`flags=${names || "0"}`];
  if (flags & BigInt(CLONE_PIDFD)) f.push(`pidfd=${p64(pidfd)}`);
  if (flags & BigInt(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) f.push(`child_tid=${p64(childTid)}`);
  if (flags & BigInt(CLONE_PARENT_SETTID)) f.push(`parent_tid=${p64(parentTid)}`);
  f.push(`exit_signal=${exitSignal < 0x7fffffffn ? signalName(Number(exitSignal)) : exitSignal}`, `stack=${p64(stack)}`, `stack_size=0x${stackSize.toString(16)}`);
  if (flags & BigInt(CLONE_SETTLS)) {
    const d = abi === "i386" ? tryRead(mem, tls, 16) : undefined;
    f.push(`tls=${d ? formatUserDesc(d) : p64(tls)}`);
  }
  if (setTid || setTidSize) f.push(`set_tid=${p64(setTid)}`, `set_tid_size=${setTidSize}`);
  if (size > 80n && (cgroup || flags & CLONE_INTO_CGROUP)) f.push(`cgroup=${cgroup}`);
  return `{${f.join(", ")}}`;
}

/** What clone3 wrote back into the struct: ` => {parent_tid=[N]}` (nothing when it writes nothing). */
function cloneArgsChanged(mem: TraceMemory, addr: bigint, size: bigint, abi: TraceAbi): string {
  const c = readCloneArgs(mem, addr, size);
  if (!c) return "";
  const f: string[] = [];
  const int32 = (at: bigint) => tryRead(mem, at, 4)?.readInt32LE(0);
  if (c[0] & BigInt(CLONE_PIDFD)) f.push(`pidfd=${int32(c[1]) ?? ptrOf(c[1], abi)}`);
  if (c[0] & BigInt(CLONE_PARENT_SETTID)) {
    const tid = int32(c[3]);
    f.push(`parent_tid=${tid === undefined ? ptrOf(c[3], abi) : `[${tid}]`}`);
  }
  return f.length ? ` => {${f.join(", ")}}` : "";
}

const opts = (o: FormatOptions): Required<FormatOptions> => ({ abi: o.abi, strlen: o.strlen ?? DEFAULT_STRLEN });

/** At syscall entry: renders the input arguments now, leaves the outputs for the exit. */
export function beginCall(nr: number, name: string | undefined, args: readonly bigint[], mem: TraceMemory, o: FormatOptions): PendingCall {
  const { kinds, ret } = argKinds(name, args, o.abi);
  const full = opts(o);
  const parts = kinds.map((kind, i) => (OUTPUT_KINDS.has(baseKind(kind)) ? undefined : renderArg(kind, i, args, mem, full)));
  return { nr, name, args: [...args], kinds, ret, parts };
}

/** include/linux/errno.h's codes as strace names them. */
const KERNEL_RESTART: Record<number, string> = {
  [ERESTARTSYS]: "ERESTARTSYS (To be restarted if SA_RESTART is set)", [ERESTARTNOINTR]: "ERESTARTNOINTR (To be restarted)",
  [ERESTARTNOHAND]: "ERESTARTNOHAND (To be restarted if no handler)", [ERESTART_RESTARTBLOCK]: "ERESTART_RESTARTBLOCK (Interrupted by signal)",
};

/** Whether a raw result is an error return (-4095..-1 in the ABI's width). */
export function isError(result: bigint, abi: TraceAbi): boolean {
  const r = BigInt.asIntN(bits(abi), result);
  return r < 0n && r >= -4095n;
}

/** `= 3`, `-1 ENOENT (No such file or directory)`, `0x4ac000`, `?` — the text after `= `. */
export function formatResult(call: Pick<PendingCall, "ret" | "name" | "args">, result: bigint | undefined, abi: TraceAbi): string {
  if (call.ret === "?" || result === undefined) return "?";
  const r = BigInt.asIntN(bits(abi), result);
  const restart = KERNEL_RESTART[Number(-r)];
  if (restart) return `? ${restart}`; // the kernel's restart codes: strace shows no -1 (user space never gets them)
  if (isError(result, abi)) {
    const e = Number(-r);
    return `-1 ${ERRNO_NAME[e] ?? `E${e}`} (${ERRNO_MESSAGE[e] ?? `Unknown error ${e}`})`;
  }
  if (call.ret === "x") return "0x" + BigInt.asUintN(bits(abi), result).toString(16);
  if (call.ret === "o") return r === 0n ? "0" : "0" + r.toString(8);
  if ((call.name === "rt_sigtimedwait" || call.name === "rt_sigtimedwait_time64") && r > 0n && r <= _NSIG) {
    return `${r} (${signalName(Number(r))})`; // the signal taken, named (strace's auxstr)
  }
  if (call.name === "fcntl" || call.name === "fcntl64") {
    const cmd = int(call.args[1]);
    if (cmd === F_GETFL) return `0x${r.toString(16)} (flags ${openFlags(Number(r))})`;
    if (cmd === F_GETFD && r !== 0n) return `0x${r.toString(16)} (flags ${xlatFlags(Number(r), FD_FLAGS)})`;
  }
  return String(r);
}

/** Rendered arguments at exit: the inputs kept from the entry, the outputs read now (bare pointers after a failure). */
function renderParts(call: PendingCall, result: bigint | undefined, mem: TraceMemory, o: FormatOptions): string[] {
  const full = opts(o);
  const failed = result === undefined || isError(result, o.abi);
  return call.parts.map((p, i) => {
    if (p !== undefined) return p;
    if (failed) return GLUED_KINDS.has(baseKind(call.kinds[i])) ? "" : ptrOf(call.args[argIndex(call.kinds[i], i)] ?? 0n, o.abi);
    return renderArg(call.kinds[i], i, call.args, mem, full, result);
  });
}

/** The arguments from `from` on, joined as strace separates them (a glued output follows its input directly). */
function joinParts(kinds: readonly string[], parts: readonly string[], from = 0): string {
  let s = "";
  for (let i = from; i < parts.length; i++) s += (i > from && !GLUED_KINDS.has(baseKind(kinds[i])) ? ", " : "") + parts[i];
  return s;
}

/** `name(args)`: the call as strace prints it, with the outputs read now that it returned. */
export function formatCall(call: PendingCall, result: bigint | undefined, mem: TraceMemory, o: FormatOptions): string {
  const name = call.name ?? `syscall_0x${call.nr.toString(16)}`;
  return `${name}(${joinParts(call.kinds, renderParts(call, result, mem, o))})`;
}

/** The arguments strace prints when a call is cut by another process's line: the inputs before the first output. */
export function formatCallHead(call: PendingCall): string {
  const first = call.parts.findIndex((p) => p === undefined);
  const shown = (first < 0 ? call.parts : call.parts.slice(0, first)) as string[];
  const name = call.name ?? `syscall_0x${call.nr.toString(16)}`;
  // `wait4(22849, ` then ` <unfinished ...>`: strace leaves the separator of the next argument
  const sep = first > 0 && !GLUED_KINDS.has(baseKind(call.kinds[first])) ? ", " : "";
  return `${name}(${joinParts(call.kinds, shown)}${sep}`;
}

/** What strace prints after `<... name resumed>`: the arguments from the first output on, and `)`. */
export function formatCallTail(call: PendingCall, result: bigint | undefined, mem: TraceMemory, o: FormatOptions): string {
  const first = call.parts.findIndex((p) => p === undefined);
  if (first < 0) return ")";
  return `${joinParts(call.kinds, renderParts(call, result, mem, o), first)})`;
}

/** struct user_desc (set_thread_area): the descriptor fields, the bit field spelled out. */
function formatUserDesc(b: Buffer): string {
  const f = b.readUInt32LE(12);
  return `{entry_number=${b.readInt32LE(0)}, base_addr=0x${b.readUInt32LE(4).toString(16)}, limit=0x${b.readUInt32LE(8).toString(16).padStart(6, "0")}, ` +
    `seg_32bit=${f & 1}, contents=${(f >> 1) & 3}, read_exec_only=${(f >> 3) & 1}, limit_in_pages=${(f >> 4) & 1}, ` +
    `seg_not_present=${(f >> 5) & 1}, useable=${(f >> 6) & 1}}`;
}

/** What strace adds after a result: set_thread_area's chosen entry. */
export function resultSuffix(call: PendingCall, result: bigint | undefined, mem: TraceMemory, abi: TraceAbi): string {
  if (call.name !== "set_thread_area" || result === undefined || isError(result, abi)) return "";
  const b = tryRead(mem, call.args[0], 4);
  return b ? ` (entry_number=${b.readInt32LE(0)})` : "";
}

/** The wait status word as strace decodes it (printstatus). */
export function formatWaitStatus(s: number): string {
  const sig = s & 0x7f;
  if (sig === 0) return `{WIFEXITED(s) && WEXITSTATUS(s) == ${(s >> 8) & 0xff}}`;
  if (sig === 0x7f) return `{WIFSTOPPED(s) && WSTOPSIG(s) == ${signalName((s >> 8) & 0xff)}}`;
  if (s === 0xffff) return "{WIFCONTINUED(s)}";
  return `{WIFSIGNALED(s) && WTERMSIG(s) == ${signalName(sig)}${s & 0x80 ? " && WCOREDUMP(s)" : ""}}`;
}

/** struct iovec[n]: each base as a string (for readv, only the `filled` bytes the call read). */
function formatIovec(mem: TraceMemory, addr: bigint, n: number, abi: TraceAbi, strlen: number, filled: number | undefined): string {
  const w = abi === "x86_64" ? 8 : 4;
  const raw = n > 0 && n <= 1024 ? tryRead(mem, addr, n * 2 * w) : undefined;
  if (!raw) return ptrOf(addr, abi);
  const items: string[] = [];
  let left = filled ?? Infinity;
  for (let i = 0; i < n; i++) {
    if (i >= 32) { items.push("..."); break; } // strace's default abbreviation of long arrays
    const base = w === 8 ? raw.readBigUInt64LE(i * 16) : BigInt(raw.readUInt32LE(i * 8));
    const len = w === 8 ? Number(raw.readBigUInt64LE(i * 16 + 8)) : raw.readUInt32LE(i * 8 + 4);
    const shown = Math.max(0, Math.min(len, left));
    left -= shown;
    const b = tryRead(mem, base, Math.min(shown, strlen));
    const text = shown === 0 ? '""' : b ? quoteBuffer(b, shown, strlen) : ptrOf(base, abi);
    items.push(`{iov_base=${text}, iov_len=${len}}`);
  }
  return `[${items.join(", ")}]`;
}

/** How many linux_dirent(64) records `len` bytes at `addr` hold (strace's non-verbose getdents). */
function countDirents(mem: TraceMemory, addr: bigint, len: number, layout: TraceAbi): number {
  const b = len > 0 ? tryRead(mem, addr, len) : undefined;
  if (!b) return 0;
  // d_reclen follows d_ino and d_off: 8 + 8 in linux_dirent64 (layout "x86_64") and the 64-bit linux_dirent, 4 + 4 in the 32-bit one
  const at = layout === "x86_64" ? 16 : 8;
  let n = 0;
  for (let off = 0; off + at + 2 <= b.length; n++) {
    const reclen = b.readUInt16LE(off + at);
    if (reclen === 0) break;
    off += reclen;
  }
  return n;
}

/** execve's argv: the strings, as strace quotes them. */
function formatArgv(mem: TraceMemory, addr: bigint, abi: TraceAbi, strlen: number): string {
  const w = abi === "x86_64" ? 8 : 4;
  const items: string[] = [];
  for (let i = 0; ; i++) {
    const p = tryRead(mem, addr + BigInt(i * w), w);
    if (!p) return items.length ? `[${items.join(", ")}, ...]` : ptrOf(addr, abi);
    const ptr = w === 8 ? p.readBigUInt64LE(0) : BigInt(p.readUInt32LE(0));
    if (ptr === 0n) break;
    if (i >= 32) { items.push("..."); break; }
    const s = readCString(mem, ptr, strlen + 1);
    items.push(s ? quoteCString(s.bytes, s.terminated, strlen) : ptrOf(ptr, abi));
  }
  return `[${items.join(", ")}]`;
}

/** execve's envp: the pointer, then how many strings in a comment, as strace shows it. */
function formatEnvp(mem: TraceMemory, addr: bigint, abi: TraceAbi): string {
  const w = abi === "x86_64" ? 8 : 4;
  let n = 0;
  for (;; n++) {
    const p = tryRead(mem, addr + BigInt(n * w), w);
    if (!p) return ptrOf(addr, abi);
    if ((w === 8 ? p.readBigUInt64LE(0) : BigInt(p.readUInt32LE(0))) === 0n) break;
  }
  return `${ptrOf(addr, abi)} /* ${n} ${n === 1 ? "var" : "vars"} */`;
}

/** A whole line: `prefix` (the -i address), the call, padded so `=` sits at column 40. */
export function traceLine(prefix: string, call: string, result: string): string {
  const head = `${prefix}${call} `;
  return `${head.padEnd(RESULT_COLUMN)}= ${result}`;
}

/** The -i prefix: the instruction's address in the ABI's width, `[0000000000401016] `. */
export function ipPrefix(ip: bigint | undefined, abi: TraceAbi): string {
  const w = abi === "x86_64" ? 16 : 8;
  return `[${ip === undefined ? "?".repeat(w) : ip.toString(16).padStart(w, "0")}] `;
}

/** The first line strace prints, for the execve that loaded the program (the Machine did its work). */
export function formatExecve(path: string, argv: readonly string[], envp: bigint, envCount: number, strlen = DEFAULT_STRLEN): string {
  const q = (s: string) => quoteCString(Buffer.from(s), true, strlen);
  const p = quoteCString(Buffer.from(path), true, 4096);
  return `execve(${p}, [${argv.map(q).join(", ")}], 0x${envp.toString(16)} /* ${envCount} ${envCount === 1 ? "var" : "vars"} */)`;
}
