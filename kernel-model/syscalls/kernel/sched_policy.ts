// kernel/sched/syscalls.c, read side: every task runs under SCHED_OTHER at static priority 0
// on the model's one CPU (init included); a pid no task holds is ESRCH.

import { E, Errno } from "../../errno.js";
import { int, type SyscallContext, type SyscallFamily } from "../types.js";

export const SCHED_OTHER = 0;
export const SCHED_FIFO = 1;
export const SCHED_RR = 2;
export const SCHED_BATCH = 3;
export const SCHED_IDLE = 5;
export const SCHED_DEADLINE = 6;
const MAX_RT_PRIO = 100;

/** find_process_by_pid: 0 is the caller; a negative pid is EINVAL. */
function checkPid(ctx: SyscallContext, pid: number): void {
  if (pid < 0) throw new Errno(E.EINVAL);
  if (pid !== 0 && !ctx.task.kernel.sched.findByVpid(pid)) throw new Errno(E.ESRCH);
}

/** The real-time policies have priorities 1..99; the others only 0. */
function priorityRange(policy: number): [number, number] {
  switch (policy) {
    case SCHED_FIFO: case SCHED_RR: return [1, MAX_RT_PRIO - 1];
    case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE: case SCHED_DEADLINE: return [0, 0];
    default: throw new Errno(E.EINVAL);
  }
}

export const schedPolicyFamily: SyscallFamily = {
  sys_sched_getscheduler: (ctx, a) => { checkPid(ctx, int(a[0])); return SCHED_OTHER; },
  /** struct sched_param { int sched_priority; }: 0 for SCHED_OTHER. */
  sys_sched_getparam: (ctx, a) => {
    const pid = int(a[0]);
    if (a[1] === 0n || pid < 0) throw new Errno(E.EINVAL);
    checkPid(ctx, pid);
    ctx.mem.write(a[1], Buffer.alloc(4));
    return 0;
  },
  sys_sched_get_priority_max: (_ctx, a) => priorityRange(int(a[0]))[1],
  sys_sched_get_priority_min: (_ctx, a) => priorityRange(int(a[0]))[0],
};
