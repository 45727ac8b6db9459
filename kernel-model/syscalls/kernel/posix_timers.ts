// kernel/time/posix-timers.c: timer_create, timer_settime, timer_gettime, timer_getoverrun,
// timer_delete. A process's timers are numbered from 0; each is an hrtimer of the scheduler
// (sched/hrtimer.ts) that sends its signal (SIGEV_SIGNAL, SIGEV_THREAD_ID) with si_code SI_TIMER,
// or only counts (SIGEV_NONE). A timer that fires again while its signal is still pending adds an
// overrun instead of a second signal. Timers on CLOCK_REALTIME run on the monotonic clock: the
// model's realtime clock never jumps, so an absolute realtime expiry converts once.

import { E, Errno } from "../../errno.js";
import { Hrtimer, hrtimerForward } from "../../sched/hrtimer.js";
import { sendGroupSignal, sendSignal, sigmask } from "../../sched/signal.js";
import type { SigInfo, Task } from "../../sched/task.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { clockNs, putTimespec } from "./time.js";
import { SI_TIMER } from "../../uapi/asm-generic/siginfo.js";
import { _NSIG, SIGALRM } from "../../uapi/asm/signal.js";
import { abiLayout } from "../../uapi/abi.js";
import { TIMER_ABSTIME } from "../../uapi/linux/time.js";

export const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
/** DELAYTIMER_MAX: timer_getoverrun never reports more. */
const DELAYTIMER_MAX = 0x7fffffff;
/** Clocks a timer may use (the CPU-time clocks count, like clock_gettime's, on the monotonic clock). */
const TIMER_CLOCKS = new Set([0, 1, 2, 3, 7, 8, 9, 11]);

/**
 * An armed or disarmed timer's setting in nanoseconds: the interval, and the expiry on the
 * monotonic clock. Shared by POSIX timers and timerfd (fs/timerfd.ts).
 */
export class KTimer {
  interval = 0n;
  readonly hrtimer: Hrtimer;

  /** `owned`: the timer dies with the task (a POSIX timer); a timerfd's lives as long as its file. */
  constructor(readonly task: Task, readonly clock: number, expire: (overruns: number) => void, owned = true) {
    this.hrtimer = new Hrtimer((now, expired) => {
      if (!this.interval) { expire(0); return undefined; }
      const { next, overruns } = hrtimerForward(expired, now, this.interval);
      expire(overruns);
      return next;
    }, owned ? task : undefined);
  }

  /** common_timer_get: interval and time left (1 ns when due but not yet run; 0 when disarmed). */
  get(): { interval: bigint; value: bigint } {
    if (!this.hrtimer.active) return { interval: this.interval, value: 0n };
    const left = this.hrtimer.expires! - this.task.kernel.monotonicNs();
    return { interval: this.interval, value: left > 0n ? left : 1n };
  }

  /** common_timer_set: a value of 0 disarms; TIMER_ABSTIME takes it on the timer's own clock. Returns the old setting. */
  set(value: bigint, interval: bigint, absolute: boolean): { interval: bigint; value: bigint } {
    const old = this.get();
    const k = this.task.kernel;
    k.sched.hrtimers.cancel(this.hrtimer);
    this.interval = value ? interval : 0n;
    if (value) {
      const mono = k.monotonicNs();
      const clockNow = this.clock === 0 || this.clock === 8 || this.clock === 11 ? k.realtimeNs() : mono;
      k.sched.hrtimers.start(this.hrtimer, absolute ? mono + (value - clockNow) : mono + value);
    }
    return old;
  }

  cancel(): void {
    this.task.kernel.sched.hrtimers.cancel(this.hrtimer);
  }
}

/** struct itimerspec {it_interval, it_value} of 64-bit (time64) or 32-bit (time32) timespecs. */
export function readItimerspec(ctx: SyscallContext, addr: bigint, wide: boolean): { interval: bigint; value: bigint } {
  const b = ctx.mem.read(addr, wide ? 32 : 16);
  const ts = (off: number) => {
    const sec = wide ? b.readBigInt64LE(off) : BigInt(b.readInt32LE(off));
    const nsec = wide ? b.readBigInt64LE(off + 8) : BigInt(b.readInt32LE(off + 4));
    if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) throw new Errno(E.EINVAL); // timespec64_valid
    return sec * 1_000_000_000n + nsec;
  };
  return { interval: ts(0), value: ts(wide ? 16 : 8) };
}

export function putItimerspec(ctx: SyscallContext, addr: bigint, v: { interval: bigint; value: bigint }, wide: boolean): void {
  putTimespec(ctx, addr, v.interval, wide);
  putTimespec(ctx, addr + (wide ? 16n : 8n), v.value, wide);
}

/** struct k_itimer */
interface PosixTimer {
  id: number;
  timer: KTimer;
  notify: number;
  signo: number;
  value: bigint;
  target: Task;
  /** SIGEV_THREAD_ID: the signal goes to that thread, not to the process. */
  threadDirected: boolean;
  /** The siginfo of the signal last sent (its si_overrun grows while it is pending). */
  sent: SigInfo | undefined;
}

/** signal_struct->posix_timers, per process (the thread group's leader). */
const timersOf = new WeakMap<Task, Map<number, PosixTimer>>();

function processTimers(task: Task): Map<number, PosixTimer> {
  const leader = task.kernel.sched.tasks.get(task.tgid) ?? task;
  let m = timersOf.get(leader);
  if (!m) timersOf.set(leader, (m = new Map()));
  return m;
}

/** posix_timer_fn: queue the timer's signal, or count an overrun if the last one is still pending. */
function posixTimerFire(t: PosixTimer, overruns: number): void {
  if (t.notify === SIGEV_NONE) return;
  const target = t.target;
  const queued = (q: { pending: bigint; pendingInfo: Map<number, SigInfo> }) => (q.pending & sigmask(t.signo)) !== 0n && q.pendingInfo.get(t.signo) === t.sent;
  const pending = t.sent && (queued(target) || queued(target.signal));
  if (pending) {
    t.sent!.timer!.overrun = Math.min(DELAYTIMER_MAX, t.sent!.timer!.overrun + 1 + overruns);
    return;
  }
  const info: SigInfo = { signo: t.signo, code: SI_TIMER, pid: 0, uid: 0, timer: { id: t.id, overrun: overruns, value: t.value } };
  t.sent = info;
  (t.threadDirected ? sendSignal : sendGroupSignal)(target, t.signo, info, (x) => x.kernel.sched.wake(x));
}

function lookup(ctx: SyscallContext, id: number): PosixTimer {
  const t = processTimers(ctx.task).get(id);
  if (!t) throw new Errno(E.EINVAL);
  return t;
}

export const posixTimersFamily: SyscallFamily = {
  sys_timer_create: (ctx, a) => {
    const clock = int(a[0]);
    if (!TIMER_CLOCKS.has(clock) || clockNs(ctx, clock) === undefined) return -E.EINVAL;
    const timers = processTimers(ctx.task);
    let id = 0;
    while (timers.has(id)) id++;
    // struct sigevent {sigval_t value; int signo; int notify; union {int tid; ...}}
    let notify = SIGEV_SIGNAL, signo = SIGALRM, value = BigInt(id), target = ctx.task.kernel.sched.tasks.get(ctx.task.tgid) ?? ctx.task;
    if (a[1] !== 0n) {
      const layout = abiLayout(ctx.abi), w = layout.long; // sigval_t: a pointer-sized union
      const b = ctx.mem.read(a[1], w + 12);
      value = layout.readULong(b, 0);
      signo = b.readInt32LE(w);
      notify = b.readInt32LE(w + 4);
      // good_sigevent
      if (notify & SIGEV_THREAD_ID) {
        const tid = b.readInt32LE(w + 8);
        const t = ctx.task.kernel.sched.tasks.get(tid);
        if (!t || t.tgid !== ctx.task.tgid || (notify & ~SIGEV_THREAD_ID) !== SIGEV_SIGNAL) return -E.EINVAL;
        target = t;
      } else if (notify !== SIGEV_SIGNAL && notify !== SIGEV_NONE) {
        return -E.EINVAL; // SIGEV_THREAD is the C library's (a thread it starts on SIGEV_THREAD_ID)
      }
      if (notify !== SIGEV_NONE && (signo < 1 || signo > _NSIG)) return -E.EINVAL;
    }
    const pt: PosixTimer = { id, notify: notify === SIGEV_NONE ? SIGEV_NONE : SIGEV_SIGNAL, threadDirected: (notify & SIGEV_THREAD_ID) !== 0, signo, value, target, sent: undefined,
      timer: undefined as unknown as KTimer };
    pt.timer = new KTimer(ctx.task, clock, (overruns) => posixTimerFire(pt, overruns));
    const out = Buffer.alloc(4);
    out.writeInt32LE(id);
    ctx.mem.write(a[2], out); // timer_t is an int in the kernel's ABI
    timers.set(id, pt);
    return 0;
  },
  sys_timer_settime: (ctx, a) => timerSettime(ctx, a, true),
  sys_timer_settime32: (ctx, a) => timerSettime(ctx, a, false),
  sys_timer_gettime: (ctx, a) => { putItimerspec(ctx, a[1], lookup(ctx, int(a[0])).timer.get(), true); return 0; },
  sys_timer_gettime32: (ctx, a) => { putItimerspec(ctx, a[1], lookup(ctx, int(a[0])).timer.get(), false); return 0; },
  sys_timer_getoverrun: (ctx, a) => lookup(ctx, int(a[0])).sent?.timer?.overrun ?? 0,
  sys_timer_delete: (ctx, a) => {
    const t = lookup(ctx, int(a[0]));
    t.timer.cancel();
    processTimers(ctx.task).delete(t.id);
    return 0;
  },
};

/** The compat column's name (struct sigevent is read in the task's ABI already). */
export const posixTimersCompat: SyscallFamily = { compat_sys_timer_create: posixTimersFamily.sys_timer_create };

function timerSettime(ctx: SyscallContext, a: readonly bigint[], wide: boolean): number {
  const t = lookup(ctx, int(a[0]));
  const flags = int(a[1]);
  const v = readItimerspec(ctx, a[2], wide);
  const old = t.timer.set(v.value, v.interval, (flags & TIMER_ABSTIME) !== 0);
  if (a[3] !== 0n) putItimerspec(ctx, a[3], old, wide);
  return 0;
}
