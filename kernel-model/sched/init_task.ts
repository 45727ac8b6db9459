// pid 1 (README "pid 1"): the run's init. Linux's first user process (started by kernel_init)
// adopts every orphan that has no subreaper among its ancestors and reaps it; here it is a task
// of the process table that never runs guest code: it owns pid 1, shows in /proc and `ps` as a
// root process sleeping in wait, and reaps the children handed to it at once (its wait loop).
// The run's first process is not pid 1 (it keeps its pid, and Linux's signal rules for an init,
// SIGNAL_UNKILLABLE, would change what `kill $$` and Ctrl-C do to it).

import type { KernelState } from "../kernel.js";
import type { MmStruct } from "../mm/mm_struct.js";
import { FilesStruct } from "../fs/files_struct.js";
import { FsStruct } from "../fs/fs_struct.js";
import type { Abi } from "../uapi/abi.js";
import { Task } from "./task.js";

/** is_global_init's pid. */
export const INIT_PID = 1;
/** What /proc/1/comm and /proc/1/cmdline say (as a Debian host's `/sbin/init`). */
export const INIT_COMM = "init";
export const INIT_CMDLINE = Buffer.from("/sbin/init\0");

/**
 * The init task: root's (uid 0), its own process group and session, parent 0 (the idle task), no
 * user memory (an empty mm: it runs nothing) and no files. It sleeps from the start and is never
 * on the run queue.
 */
export function createInitTask(k: KernelState, abi: Abi, mm: MmStruct): Task {
  const root = { uid: 0, gid: 0, euid: 0, egid: 0, suid: 0, sgid: 0, fsuid: 0, fsgid: 0 };
  const init = new Task(k, abi, mm, new FilesStruct(), new FsStruct("/"), root, { pid: INIT_PID, ppid: 0 }, INIT_COMM);
  init.state = "blocked";
  init.waitingIn = "wait (init)";
  return init;
}
