// kernel/time/: the clock syscalls (posix-timers.c, time.c). The clocks come from the Kernel,
// which is the virtual clock in deterministic mode and the host's otherwise.

import { E, Errno } from "../../errno.js";
import { WouldBlock } from "../../sched/wait.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { abiLayout } from "../../uapi/abi.js";

import {
  CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID, TIMER_ABSTIME,
} from "../../uapi/linux/time.js";

export function clockNs(ctx: SyscallContext, id: number): bigint | undefined {
  const k = ctx.task.kernel;
  switch (id) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM: case CLOCK_TAI:
      return k.realtimeNs();
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM: case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
      return k.monotonicNs();
    default:
      return undefined;
  }
}

/** put_timespec64 / put_old_timespec32: struct timespec with 64-bit (`wide`) or the ABI's fields. */
export function putTimespec(ctx: SyscallContext, addr: bigint, ns: bigint, wide: boolean): void {
  abiLayout(ctx.abi).putTimespec(ctx.mem, addr, ns, wide);
}

function clockGettime(ctx: SyscallContext, id: number, addr: bigint, wide: boolean) {
  const ns = clockNs(ctx, id);
  if (ns === undefined) return -E.EINVAL;
  putTimespec(ctx, addr, ns, wide);
  return 0;
}

function clockGetres(ctx: SyscallContext, id: number, addr: bigint, wide: boolean) {
  if (clockNs(ctx, id) === undefined) return -E.EINVAL;
  const coarse = id === CLOCK_REALTIME_COARSE || id === CLOCK_MONOTONIC_COARSE;
  if (addr !== 0n) putTimespec(ctx, addr, coarse ? 4_000_000n : 1n, wide);
  return 0;
}

/** struct timespec of 64-bit (time64) or 32-bit (time32) fields, as nanoseconds (EINVAL if malformed). */
export function readTimespec(ctx: SyscallContext, addr: bigint, wide: boolean): bigint {
  const { sec, frac: nsec } = abiLayout(ctx.abi).getTime(ctx.mem, addr, wide);
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) throw new Errno(E.EINVAL); // timespec64_valid
  return sec * 1_000_000_000n + nsec;
}

/**
 * hrtimer_nanosleep: the task sleeps until a deadline on CLOCK_MONOTONIC; other processes run
 * meanwhile. When every process sleeps, the run loop moves the clock to the earliest deadline:
 * at once on the virtual clock, by really waiting on the host's.
 */
function nanosleep(ctx: SyscallContext, clock: number, flags: number, req: bigint, rem: bigint, wide: boolean): number {
  const now = clockNs(ctx, clock);
  if (now === undefined) return -E.EINVAL;
  const t = ctx.task;
  const mono = t.kernel.monotonicNs();
  if (t.sleepDeadline === undefined) {
    const ns = readTimespec(ctx, req, wide);
    t.sleepDeadline = mono + (flags & TIMER_ABSTIME ? ns - now : ns);
  }
  if (mono < t.sleepDeadline) throw new WouldBlock([], "nanosleep", t.sleepDeadline);
  t.sleepDeadline = undefined;
  if (rem && !(flags & TIMER_ABSTIME)) putTimespec(ctx, rem, 0n, wide);
  return 0;
}

export const timeFamily: SyscallFamily = {
  sys_nanosleep: (ctx, a) => nanosleep(ctx, CLOCK_MONOTONIC, 0, a[0], a[1], true),
  sys_nanosleep_time32: (ctx, a) => nanosleep(ctx, CLOCK_MONOTONIC, 0, a[0], a[1], false),
  sys_clock_nanosleep: (ctx, a) => nanosleep(ctx, int(a[0]), int(a[1]), a[2], a[3], true),
  sys_clock_nanosleep_time32: (ctx, a) => nanosleep(ctx, int(a[0]), int(a[1]), a[2], a[3], false),
  // x86-64's clock_gettime and i386's clock_gettime64 take a 64-bit timespec
  sys_clock_gettime: (ctx, a) => clockGettime(ctx, int(a[0]), a[1], true),
  sys_clock_gettime32: (ctx, a) => clockGettime(ctx, int(a[0]), a[1], false),
  sys_clock_getres: (ctx, a) => clockGetres(ctx, int(a[0]), a[1], true),
  sys_clock_getres_time32: (ctx, a) => clockGetres(ctx, int(a[0]), a[1], false),
  sys_gettimeofday: (ctx, a) => {
    const ns = ctx.task.kernel.realtimeNs();
    if (a[0] !== 0n) abiLayout(ctx.abi).putTimeval(ctx.mem, a[0], ns);
    if (a[1] !== 0n) ctx.mem.write(a[1], Buffer.alloc(8)); // struct timezone: UTC
    return 0;
  },
  sys_time: (ctx, a) => {
    const sec = ctx.task.kernel.realtimeNs() / 1_000_000_000n;
    if (a[0] !== 0n) abiLayout(ctx.abi).putLong(ctx.mem, a[0], sec); // time_t: a long
    return sec;
  },
  sys_time32: (ctx, a) => timeFamily.sys_time(ctx, a),
};
