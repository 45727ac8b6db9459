// kernel/sched/: the scheduling calls a single-CPU guest can answer.

import { E } from "../../errno.js";
import { Scheduler } from "../../sched/scheduler.js";
import type { Task } from "../../sched/task.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";
import { abiLayout } from "../../uapi/abi.js";

export const schedFamily: SyscallFamily = {
  /** yield_task_fair: the caller's slice ends now, so the way out of the kernel schedules another task. */
  sys_sched_yield: (ctx) => {
    const sched = ctx.task.kernel.sched;
    sched.sliceStart = ctx.task.kernel.monotonicNs() - Scheduler.SLICE_NS;
    return 0;
  },
  /**
   * The machine has one CPU: a mask is accepted when it includes CPU 0 (EINVAL when it names
   * only CPUs that do not exist), and every task stays on CPU 0, so getaffinity agrees with it.
   */
  sys_sched_setaffinity: (ctx, a) => {
    if (!taskOf(ctx, int(a[0]))) return -E.ESRCH;
    const len = uint(a[1]);
    if (len === 0) return -E.EINVAL;
    const first = ctx.mem.read(a[2], 1)[0]; // CPU 0 is bit 0 of the first byte
    return first & 1 ? 0 : -E.EINVAL;
  },
  sys_sched_getaffinity: (ctx, a) => {
    if (!taskOf(ctx, int(a[0]))) return -E.ESRCH;
    const len = uint(a[1]);
    const w = abiLayout(ctx.abi).long; // the mask is an array of unsigned longs
    if (len < w || len % w) return -E.EINVAL;
    const mask = Buffer.alloc(w);
    mask[0] = 1; // CPU 0 only
    ctx.mem.write(a[2], mask);
    return w;
  },
  sys_getcpu: (ctx, a) => {
    const zero = Buffer.alloc(4);
    if (a[0] !== 0n) ctx.mem.write(a[0], zero);
    if (a[1] !== 0n) ctx.mem.write(a[1], zero);
    return 0;
  },
};

/** find_process_by_pid: 0 is the caller. */
function taskOf(ctx: SyscallContext, pid: number): Task | undefined {
  if (pid === 0) return ctx.task;
  const t = ctx.task.kernel.sched.tasks.get(pid);
  return t && t.state !== "dead" && t.state !== "zombie" ? t : undefined;
}

export const schedCompat: SyscallFamily = {
  compat_sys_sched_setaffinity: schedFamily.sys_sched_setaffinity,
  compat_sys_sched_getaffinity: schedFamily.sys_sched_getaffinity,
};
