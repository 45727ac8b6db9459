// kernel/sched/: the scheduling calls a single-CPU guest can answer.

import { E } from "../../errno.js";
import { Scheduler } from "../../sched/scheduler.js";
import type { SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";

export const schedFamily: SyscallFamily = {
  /** yield_task_fair: the caller's slice ends now, so the way out of the kernel schedules another task. */
  sys_sched_yield: (ctx) => {
    const sched = ctx.task.kernel.sched;
    sched.sliceStart = ctx.task.kernel.monotonicNs() - Scheduler.SLICE_NS;
    return 0;
  },
  sys_sched_getaffinity: (ctx, a) => {
    const pid = int(a[0]);
    if (pid !== 0 && pid !== ctx.task.pid) return -E.ESRCH;
    const len = uint(a[1]);
    const w = ctx.abi === "x86_64" ? 8 : 4;
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
