// sysgate's bounds on what one run may take from the host, and how hitting one is told. The guest
// gets what Linux gives at its own limit (EAGAIN from fork at max_threads, ENOMEM past the commit
// limit, E2BIG from execve); the person running sysgate gets one line per bound, the first time.

import { E, Errno } from "./errno.js";
import type { KernelState } from "./kernel.js";
import type { Task } from "./sched/task.js";
import { rlimitCur } from "./sched/rlimit.js";
import { RLIMIT_NPROC } from "./uapi/asm-generic/resource.js";

/**
 * Processes at once in one run (Linux's max_threads, which fork_init derives from RAM). Every
 * process here is a machine of its own, so the host pays for each: the default stays modest.
 */
export const DEFAULT_MAX_PROCS = 256;

/** RLIMIT_NPROC of the first process: fork_init gives init max_threads / 2. */
export const nprocLimitFor = (maxThreads: number): bigint => BigInt(Math.max(1, Math.floor(maxThreads / 2)));

/** A bound of the run was reached: an Errno for the guest, with `bound` naming what was hit. */
export class LimitReached extends Errno {
  constructor(errno: number, readonly bound: string, readonly explanation: string) {
    super(errno, explanation);
  }
}

/**
 * copy_process's checks on the number of processes, in the kernel's order: the user's RLIMIT_NPROC
 * (root, with CAP_SYS_RESOURCE, is exempt) and then max_threads (no one is). EAGAIN past either.
 * Zombies count, as they do in Linux until release_task.
 */
export function copyProcessLimits(k: KernelState, parent: Task): void {
  const tasks = [...k.sched.tasks.values()].filter((t) => t.state !== "dead" && !k.sched.isStandIn(t)); // the run's own, not pid 1 or the first one's parent
  const nproc = rlimitCur(parent.rlimits, RLIMIT_NPROC);
  const uid = parent.cred.uid;
  if (uid !== 0 && BigInt(tasks.filter((t) => t.cred.uid === uid).length) >= nproc) {
    throw new LimitReached(E.EAGAIN, "nproc", `fork: RLIMIT_NPROC reached (${nproc} processes of uid ${uid}; ` +
      `half of --max-procs ${k.maxThreads} by default): EAGAIN to the guest`);
  }
  if (tasks.length >= k.maxThreads) {
    throw new LimitReached(E.EAGAIN, "max_threads", `fork: the run's process bound reached (--max-procs ${k.maxThreads}): EAGAIN to the guest`);
  }
}
