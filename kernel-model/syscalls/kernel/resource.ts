// kernel/sys.c: getrusage, times, getpriority, setpriority. The model does not account CPU
// time per task, so the usage counters are zero; the nice value is kept per task so that what
// setpriority stores, getpriority returns.

import { E, Errno } from "../../errno.js";
import type { Task } from "../../sched/task.js";
import { int, type SyscallContext, type SyscallFamily } from "../types.js";
import { abiLayout } from "../../uapi/abi.js";

export const RUSAGE_SELF = 0;
export const RUSAGE_CHILDREN = -1;
export const RUSAGE_THREAD = 1;
export const PRIO_PROCESS = 0;
export const PRIO_PGRP = 1;
export const PRIO_USER = 2;
/** USER_HZ: the unit of clock_t that times() reports (sysconf(_SC_CLK_TCK)). */
export const USER_HZ = 100;
const MIN_NICE = -20;
const MAX_NICE = 19;

/** task_nice, kept beside the task (a fresh task runs at nice 0). */
const niceOf = new WeakMap<Task, number>();
export const taskNice = (task: Task): number => niceOf.get(task) ?? 0;

const longSize = (ctx: SyscallContext): number => abiLayout(ctx.abi).long;

/** The tasks (which, who) names; only the caller is known to this table of one. */
function matches(ctx: SyscallContext, which: number, who: number): Task[] {
  const t = ctx.task;
  switch (which) {
    case PRIO_PROCESS: {
      const p = who === 0 ? t : t.kernel.sched.findByVpid(who);
      return p ? [p] : [];
    }
    case PRIO_PGRP: return who === 0 || who === t.pgid ? [t] : [];
    case PRIO_USER: return who === 0 || who === t.cred.uid ? [t] : [];
    default: throw new Errno(E.EINVAL);
  }
}

export const resourceFamily: SyscallFamily = {
  /** struct rusage: two timevals and fourteen longs, all zero. */
  sys_getrusage: (ctx, a) => {
    const who = int(a[0]);
    if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN && who !== RUSAGE_THREAD) throw new Errno(E.EINVAL);
    ctx.mem.write(a[1], Buffer.alloc(18 * longSize(ctx)));
    return 0;
  },
  /** struct tms (four clock_t) is zero; the result is clock ticks since boot, at USER_HZ. */
  sys_times: (ctx, a) => {
    if (a[0] !== 0n) ctx.mem.write(a[0], Buffer.alloc(4 * longSize(ctx)));
    const ticks = ctx.task.kernel.monotonicNs() / BigInt(1_000_000_000 / USER_HZ);
    return ctx.abi === "x86_64" ? ticks : BigInt.asUintN(32, ticks);
  },
  /** The syscall answers 20 - nice (1..40) so that no success looks like an error. */
  sys_getpriority: (ctx, a) => {
    const tasks = matches(ctx, int(a[0]), int(a[1]));
    if (tasks.length === 0) throw new Errno(E.ESRCH);
    return Math.max(...tasks.map((t) => 20 - taskNice(t)));
  },
  /** set_one_prio: lowering nice (raising priority) needs CAP_SYS_NICE: EACCES otherwise. */
  sys_setpriority: (ctx, a) => {
    const niceval = Math.min(MAX_NICE, Math.max(MIN_NICE, int(a[2])));
    const tasks = matches(ctx, int(a[0]), int(a[1]));
    if (tasks.length === 0) throw new Errno(E.ESRCH);
    const euid = ctx.task.cred.euid;
    for (const t of tasks) {
      if (t.cred.uid !== euid && t.cred.euid !== euid && euid !== 0) throw new Errno(E.EPERM); // another user's process
      if (niceval < taskNice(t) && euid !== 0) throw new Errno(E.EACCES);
      niceOf.set(t, niceval);
    }
    return 0;
  },
};
