// kernel/time/itimer.c: alarm, setitimer, getitimer. Each process has three interval timers:
// ITIMER_REAL counts real time and sends SIGALRM; ITIMER_VIRTUAL (SIGVTALRM) and ITIMER_PROF
// (SIGPROF) count the process's CPU time, which the model measures as it measures
// CLOCK_PROCESS_CPUTIME_ID: on the monotonic clock. The timers are hrtimers of the scheduler
// (sched/hrtimer.ts); a fork's child starts with none, an execve keeps them.

import { E, Errno } from "../../errno.js";
import { Hrtimer, hrtimerForward } from "../../sched/hrtimer.js";
import { sendSignal } from "../../sched/signal.js";
import type { Task } from "../../sched/task.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";
import { SI_KERNEL } from "../../uapi/asm-generic/siginfo.js";
import { SIGALRM, SIGPROF, SIGVTALRM } from "../../uapi/asm/signal.js";
import { abiLayout, type AbiLayout } from "../../uapi/abi.js";

export const ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;
const SIGNAL_OF = [SIGALRM, SIGVTALRM, SIGPROF];
const NSEC_PER_SEC = 1_000_000_000n, NSEC_PER_USEC = 1000n;

interface Itimer { timer: Hrtimer; interval: bigint }

/** signal_struct's real_timer and it[]: per process (the thread group's leader). */
const itimers = new WeakMap<Task, Itimer[]>();

function itimersOf(task: Task): Itimer[] {
  const leader = task.kernel.sched.tasks.get(task.tgid) ?? task;
  let its = itimers.get(leader);
  if (!its) {
    its = SIGNAL_OF.map((sig) => {
      const it: Itimer = {
        interval: 0n,
        // it_real_fn / the CPU-timer expiry: the signal goes to the process, then the interval re-arms
        timer: new Hrtimer((now, expired) => {
          sendSignal(leader, sig, { signo: sig, code: SI_KERNEL, pid: 0, uid: 0 }, (t) => leader.kernel.sched.wake(t));
          return it.interval ? hrtimerForward(expired, now, it.interval).next : undefined;
        }, leader),
      };
      return it;
    });
    itimers.set(leader, its);
  }
  return its;
}

/** struct (__kernel_old_)timeval at `off`: two longs of the ABI. */
function readTimeval(layout: AbiLayout, b: Buffer, off: number): bigint {
  const { sec, frac: usec } = layout.readTime(b, off);
  if (sec < 0n || usec < 0n || usec >= 1_000_000n) throw new Errno(E.EINVAL); // timeval_valid
  return sec * NSEC_PER_SEC + usec * NSEC_PER_USEC;
}

/** What getitimer reports: the interval and the time left (1 µs when due but not yet run). */
function getItimer(task: Task, which: number): { interval: bigint; value: bigint } {
  const it = itimersOf(task)[which];
  if (!it.timer.active) return { interval: it.interval, value: 0n };
  const left = it.timer.expires! - task.kernel.monotonicNs();
  return { interval: it.interval, value: left > 0n ? left : NSEC_PER_USEC };
}

/** do_setitimer: a value of 0 disarms; the old setting is returned. */
export function setItimer(task: Task, which: number, value: bigint, interval: bigint): { interval: bigint; value: bigint } {
  const old = getItimer(task, which);
  const it = itimersOf(task)[which];
  const base = task.kernel.sched.hrtimers;
  base.cancel(it.timer);
  it.interval = value ? interval : 0n;
  if (value) base.start(it.timer, task.kernel.monotonicNs() + value);
  return old;
}

/** struct itimerval: two timevals, it_interval then it_value. */
function putItimerval(ctx: SyscallContext, addr: bigint, v: { interval: bigint; value: bigint }): void {
  const layout = abiLayout(ctx.abi);
  const b = Buffer.alloc(2 * layout.timeSize());
  layout.writeTimeval(b, v.interval, 0);
  layout.writeTimeval(b, v.value, layout.timeSize());
  ctx.mem.write(addr, b);
}

export const itimerFamily: SyscallFamily = {
  sys_getitimer: (ctx, a) => {
    const which = int(a[0]);
    if (which < ITIMER_REAL || which > ITIMER_PROF) return -E.EINVAL;
    putItimerval(ctx, a[1], getItimer(ctx.task, which));
    return 0;
  },
  sys_setitimer: (ctx, a) => {
    const which = int(a[0]);
    if (which < ITIMER_REAL || which > ITIMER_PROF) return -E.EINVAL;
    const layout = abiLayout(ctx.abi);
    let value = 0n, interval = 0n;
    if (a[1] !== 0n) { // a NULL new value disarms, as Linux still allows
      const b = ctx.mem.read(a[1], 2 * layout.timeSize());
      interval = readTimeval(layout, b, 0);
      value = readTimeval(layout, b, layout.timeSize());
    }
    const old = setItimer(ctx.task, which, value, interval);
    if (a[2] !== 0n) putItimerval(ctx, a[2], old);
    return 0;
  },
  /** alarm_setitimer: ITIMER_REAL in whole seconds; returns the seconds that were left, rounded. */
  sys_alarm: (ctx, a) => {
    const seconds = BigInt(uint(a[0]));
    const old = setItimer(ctx.task, ITIMER_REAL, seconds * NSEC_PER_SEC, 0n);
    let secs = old.value / NSEC_PER_SEC;
    const usec = (old.value % NSEC_PER_SEC) / NSEC_PER_USEC;
    if ((!secs && usec) || usec >= 500_000n) secs++;
    return secs;
  },
};

/** The compat column's names (the layouts follow the task's ABI already). */
export const itimerCompat: SyscallFamily = {
  compat_sys_getitimer: itimerFamily.sys_getitimer,
  compat_sys_setitimer: itimerFamily.sys_setitimer,
};
