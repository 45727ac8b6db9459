// fs/select.c: poll, ppoll, select, pselect6 (and i386's old select, _newselect, and the
// time32 variants). Each file says what it is ready for through its poll method (pipe_poll for
// pipes); files without one are always ready for reading and writing (DEFAULT_POLLMASK), as in
// Linux: regular files, /dev devices, sysgate's stdio.
//
// Waiting: nothing ready and a timeout of 0 returns at once. Otherwise the caller sleeps on the
// wait queues of the pipes it watches (WouldBlock; the call runs again when one is woken), and
// with a finite timeout also until its deadline (a timer of the scheduler's).

import { E, Errno } from "../../errno.js";
import type { File, PollResult } from "../../fs/file.js";
import { DEFAULT_POLLMASK } from "../../fs/poll.js";
import { nextSignal } from "../../sched/signal.js";
import type { Task } from "../../sched/task.js";
import { WouldBlock, type WaitQueue } from "../../sched/wait.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";
import { readTimespec } from "../kernel/time.js";
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM } from "../../uapi/asm-generic/poll.js";
import { SIG_DFL, SIG_IGN } from "../../uapi/asm-generic/signal-defs.js";
import { abiLayout } from "../../uapi/abi.js";

const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

/** RLIMIT_NOFILE's ceiling for nfds (sysctl_nr_open). */
const NR_OPEN = 1 << 20;

/** vfs_poll: the file's readiness, and the queues a sleeper on it waits on. */
export function vfsPoll(file: File, task?: Task): PollResult {
  if (file.poll) return file.poll();
  // files whose readiness depends on the poller (signalfd asks about the task's pending signals)
  const f = file as { pollMask?: (task?: Task) => number; pollQueues?: (task?: Task) => WaitQueue[] };
  return { mask: f.pollMask ? f.pollMask(task) : DEFAULT_POLLMASK, queues: f.pollQueues?.(task) ?? [] };
}

/** A timeout in nanoseconds; undefined = wait forever. */
export type Timeout = bigint | undefined;

/**
 * What to do when nothing is ready: returns normally when the timeout has expired (the caller
 * then reports 0), throws WouldBlock to sleep, or Errno(EINTR) for a signal with a handler.
 */
export function waitOrTimeout(ctx: SyscallContext, timeout: Timeout, queues: WaitQueue[], why: string): void {
  if (timeout === 0n) return;
  const task = ctx.task;
  const k = task.kernel;
  const sig = nextSignal(task);
  if (sig) {
    // poll and select end with EINTR when a handler is to run (ERESTARTNOHAND); a fatal or
    // ignored signal is left to the restart logic of the entry code
    const h = task.sigactions.get(sig)?.handler ?? SIG_DFL;
    if (h !== SIG_DFL && h !== SIG_IGN) throw new Errno(E.EINTR);
  }
  if (timeout !== undefined) {
    // a finite timeout is a deadline kept across the call's re-executions (restart_block)
    const now = k.monotonicNs();
    task.sleepDeadline ??= now + timeout;
    if (now >= task.sleepDeadline) {
      task.sleepDeadline = undefined;
      return;
    }
  }
  // nothing to watch and no timeout: only a signal ends this (like pause)
  throw new WouldBlock(queues.length ? queues : [task.signalWait], why, timeout === undefined ? undefined : task.sleepDeadline);
}

// ---- poll / ppoll ---------------------------------------------------------------------------

function doPoll(ctx: SyscallContext, ufds: bigint, nfds: number, timeout: Timeout): number {
  if (nfds > NR_OPEN) return -E.EINVAL;
  const raw = nfds ? ctx.mem.read(ufds, nfds * 8) : Buffer.alloc(0); // struct pollfd {int fd; short events, revents}
  const out = Buffer.from(raw);
  let count = 0;
  const queues: WaitQueue[] = [];
  for (let i = 0; i < nfds; i++) {
    const fd = raw.readInt32LE(i * 8);
    const events = raw.readUInt16LE(i * 8 + 4);
    let revents = 0;
    if (fd >= 0) {
      const file = ctx.task.files.get(fd);
      if (!file) revents = POLLNVAL;
      else {
        const p = vfsPoll(file, ctx.task);
        // POLLERR and POLLHUP are reported whether asked for or not
        revents = p.mask & (events | POLLERR | POLLHUP);
        queues.push(...p.queues);
      }
    }
    out.writeUInt16LE(revents, i * 8 + 6);
    if (revents) count++;
  }
  if (count === 0) waitOrTimeout(ctx, timeout, queues, "poll");
  if (nfds) ctx.mem.write(ufds, out);
  return count;
}

/** The time left, written back: none (the call timed out). */
function writeZeroTime(ctx: SyscallContext, addr: bigint, time64: boolean): void {
  if (addr) ctx.mem.write(addr, Buffer.alloc(abiLayout(ctx.abi).timeSize(time64)));
}

/**
 * set_user_sigmask: ppoll and pselect6 run with the caller's temporary mask; the old one is
 * put back on return, or after the handler's frame saved it when a signal interrupted the call.
 */
export function withSigmask(ctx: SyscallContext, maskAddr: bigint, size: bigint, body: () => number): number {
  if (!maskAddr) return body();
  if (size !== 8n) return -E.EINVAL;
  const t = ctx.task;
  const mask = ctx.mem.read(maskAddr, 8).readBigUInt64LE(0) & ~((1n << 8n) | (1n << 18n)); // not SIGKILL/SIGSTOP
  t.savedSigmask ??= t.blocked;
  t.blocked = mask;
  const restore = () => {
    if (t.savedSigmask !== undefined) { t.blocked = t.savedSigmask; t.savedSigmask = undefined; }
  };
  let r: number;
  try {
    r = body();
  } catch (e) {
    if (e instanceof WouldBlock) throw e; // the call runs again with the same mask
    if (e instanceof Errno && e.errno === E.EINTR) throw e; // restored after the handler's frame
    restore();
    throw e;
  }
  restore();
  return r;
}

function ppoll(ctx: SyscallContext, a: readonly bigint[], wide: boolean): number {
  const tsAddr = a[2];
  const timeout = tsAddr ? readTimespec(ctx, tsAddr, wide) : undefined;
  return withSigmask(ctx, a[3], a[4], () => {
    const r = doPoll(ctx, a[0], uint(a[1]), timeout);
    if (r === 0 && timeout !== undefined) writeZeroTime(ctx, tsAddr, wide);
    return r;
  });
}

// ---- select / pselect6 ----------------------------------------------------------------------

/** An fd_set of n bits: an array of longs, so its size is rounded up to the ABI's long. */
function fdsetBytes(ctx: SyscallContext, n: number): number {
  const w = abiLayout(ctx.abi).long;
  return Math.ceil(n / (8 * w)) * w;
}

function coreSysSelect(ctx: SyscallContext, n: number, inp: bigint, outp: bigint, exp: bigint, timeout: Timeout): number {
  if (n < 0) return -E.EINVAL;
  if (n > NR_OPEN) n = NR_OPEN; // Linux stops at the fd table's size; nothing is open past this
  const bytes = fdsetBytes(ctx, n);
  const read = (addr: bigint) => (addr && bytes ? ctx.mem.read(addr, bytes) : undefined);
  const sets = [read(inp), read(outp), read(exp)];
  const res = sets.map(() => Buffer.alloc(bytes));
  const want = [POLLIN_SET, POLLOUT_SET, POLLEX_SET];
  const queues: WaitQueue[] = [];
  let count = 0;
  for (let fd = 0; fd < n; fd++) {
    const byte = fd >> 3, bit = 1 << (fd & 7);
    const asked = sets.map((s) => s !== undefined && (s[byte] & bit) !== 0);
    if (!asked.some(Boolean)) continue;
    const file = ctx.task.files.get(fd);
    if (!file) return -E.EBADF;
    const p = vfsPoll(file, ctx.task);
    queues.push(...p.queues);
    for (let i = 0; i < 3; i++) {
      if (asked[i] && p.mask & want[i]) {
        res[i][byte] |= bit;
        count++;
      }
    }
  }
  if (count === 0) waitOrTimeout(ctx, timeout, queues, "select");
  // the sets are rewritten in place: what is ready now (all clear after a timeout)
  [inp, outp, exp].forEach((addr, i) => { if (addr && bytes) ctx.mem.write(addr, res[i]); });
  return count;
}

/** struct timeval {long tv_sec; long tv_usec} in the caller's ABI, as nanoseconds. */
function readTimeval(ctx: SyscallContext, addr: bigint): bigint {
  const { sec, frac: usec } = abiLayout(ctx.abi).getTime(ctx.mem, addr);
  if (sec < 0n || usec < 0n) throw new Errno(E.EINVAL);
  // poll_select_set_timeout normalises tv_usec >= 1000000 rather than failing
  return sec * 1_000_000_000n + usec * 1000n;
}

function select(ctx: SyscallContext, n: number, inp: bigint, outp: bigint, exp: bigint, tvp: bigint): number {
  const timeout = tvp ? readTimeval(ctx, tvp) : undefined;
  const r = coreSysSelect(ctx, n, inp, outp, exp, timeout);
  // Linux writes back the time left: all of it was used when the call timed out
  if (r === 0 && timeout !== undefined) writeZeroTime(ctx, tvp, false);
  return r;
}

function pselect6(ctx: SyscallContext, a: readonly bigint[], wide: boolean): number {
  const tsAddr = a[4];
  const timeout = tsAddr ? readTimespec(ctx, tsAddr, wide) : undefined;
  // the sixth argument points at {const sigset_t *ss; size_t ss_len}, two longs of the ABI
  let maskAddr = 0n, maskSize = 0n;
  if (a[5]) {
    const layout = abiLayout(ctx.abi);
    const b = ctx.mem.read(a[5], 2 * layout.long);
    maskAddr = layout.readULong(b, 0);
    maskSize = layout.readULong(b, layout.long);
  }
  return withSigmask(ctx, maskAddr, maskSize, () => {
    const r = coreSysSelect(ctx, int(a[0]), a[1], a[2], a[3], timeout);
    if (r === 0 && timeout !== undefined) writeZeroTime(ctx, tsAddr, wide);
    return r;
  });
}

export const selectSyscalls: SyscallFamily = {
  sys_poll: (ctx, a) => {
    const ms = int(a[2]);
    return doPoll(ctx, a[0], uint(a[1]), ms < 0 ? undefined : BigInt(ms) * 1_000_000n);
  },
  // x86-64's ppoll and i386's ppoll_time64 take a 64-bit timespec, i386's ppoll a 32-bit one
  sys_ppoll: (ctx, a) => ppoll(ctx, a, true),
  sys_ppoll_time32: (ctx, a) => ppoll(ctx, a, false),
  // x86-64's select and i386's _newselect
  sys_select: (ctx, a) => select(ctx, int(a[0]), a[1], a[2], a[3], a[4]),
  // i386 #82: one pointer to struct sel_arg_struct {n, inp, outp, exp, tvp}, 32-bit each
  sys_old_select: (ctx, a) => {
    const b = ctx.mem.read(a[0], 20);
    const f = (i: number) => BigInt(b.readUInt32LE(i * 4));
    return select(ctx, b.readInt32LE(0), f(1), f(2), f(3), f(4));
  },
  sys_pselect6: (ctx, a) => pselect6(ctx, a, true),
  sys_pselect6_time32: (ctx, a) => pselect6(ctx, a, false),
};
