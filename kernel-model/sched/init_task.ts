// pid 1 (README "pid 1"): the run's init. Linux's first user process (started by kernel_init)
// adopts every orphan that has no subreaper among its ancestors and reaps it; here it is a task
// of the process table that never runs guest code: it owns pid 1, shows in /proc and `ps` as a
// root process sleeping in wait, and reaps the children handed to it at once (its wait loop).
// The run's first process is not pid 1 (it keeps its pid, and Linux's signal rules for an init,
// SIGNAL_UNKILLABLE, would change what `kill $$` and Ctrl-C do to it).
//
// The first process's parent is the same kind of stand-in: the shell (or whatever) that started
// sysgate, outside the model. Its getppid() is that process's pid, as natively, so the pid must be
// a process of the model too: kill(getppid(), 0) finds it, /proc/<ppid> shows its name, ps lists
// it. It runs nothing, sleeps in wait4 for good, and a signal sent to it goes nowhere (it is not
// the host's process).

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
/** /proc/1/exe: the program its command line names. */
export const INIT_EXE = "/sbin/init";

/** The command line of each stand-in: its memory holds none (it runs no guest code). */
const standInCmdlines = new WeakMap<Task, Buffer>();
/** What /proc/<pid>/cmdline shows for a stand-in task; undefined for a task that runs guest code. */
export function standInCmdline(t: Task): Buffer | undefined {
  return standInCmdlines.get(t);
}

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
  init.exe = { hostPath: "", guestPath: INIT_EXE };
  standInCmdlines.set(init, INIT_CMDLINE);
  return init;
}

/** What the emulator knows of the process that started sysgate (from the host's /proc). */
export interface OutsideParent { pid: number; comm: string; cmdline: Buffer; exe: string }

/**
 * The stand-in for the first process's parent: its pid, name, command line and program as the
 * host has them, the first process's user, parent pid 1 (its own parent is nothing the model
 * knows), its own process group and session (a shell's), asleep in wait4 (for sysgate), never queued.
 */
export function createParentStandIn(k: KernelState, abi: Abi, mm: MmStruct, p: OutsideParent, cred: Task["cred"]): Task {
  const t = new Task(k, abi, mm, new FilesStruct(), new FsStruct("/"), { ...cred }, { pid: p.pid, ppid: INIT_PID }, p.comm.slice(0, 15));
  t.state = "blocked";
  t.waitingIn = "wait4";
  t.exe = { hostPath: "", guestPath: p.exe };
  standInCmdlines.set(t, p.cmdline);
  return t;
}
