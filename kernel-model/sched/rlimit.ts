// A task's resource limits (signal->rlim in Linux): what a fresh login starts with, and the
// soft limit a check reads (rlimit(), include/linux/sched/signal.h). getrlimit/setrlimit/prlimit64
// (syscalls/kernel/sys.ts) read and change them.

import {
  RLIMIT_CORE, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RTPRIO, RLIMIT_SIGPENDING,
  RLIMIT_STACK,
} from "../uapi/asm-generic/resource.js";
import { RLIM64_INFINITY } from "../uapi/linux/resource.js";

/** Defaults of a fresh Linux login (include/asm-generic/resource.h INIT_RLIMITS, with 8 MiB stack). */
export function defaultRlimit(resource: number): [bigint, bigint] {
  switch (resource) {
    case RLIMIT_STACK: return [8n * 1024n * 1024n, RLIM64_INFINITY];
    case RLIMIT_NOFILE: return [1024n, 4096n];
    case RLIMIT_MEMLOCK: return [8n * 1024n * 1024n, 8n * 1024n * 1024n];
    case RLIMIT_NPROC: return [63541n, 63541n]; // a run sets its own (limits.ts nprocLimitFor)
    case RLIMIT_SIGPENDING: return [63541n, 63541n];
    case RLIMIT_MSGQUEUE: return [819200n, 819200n];
    case RLIMIT_NICE: case RLIMIT_RTPRIO: return [0n, 0n];
    case RLIMIT_CORE: return [0n, RLIM64_INFINITY];
    default: return [RLIM64_INFINITY, RLIM64_INFINITY];
  }
}

/** rlimit(): the soft limit of `resource` for a task with these limits. */
export function rlimitCur(rlimits: ReadonlyMap<number, readonly [bigint, bigint]>, resource: number): bigint {
  return (rlimits.get(resource) ?? defaultRlimit(resource))[0];
}
