// do_exit and the parent's side of it (kernel/exit.c): close the files, hand the children to
// init, leave a zombie with its wait status for the parent (or vanish if the parent said it
// will not wait), tell the parent with its exit signal, and wake whoever waits.

import type { KernelState } from "../kernel.js";
import { exitRobustList, futexWake } from "../syscalls/kernel/futex.js";
import { sendSignal } from "./signal.js";
import type { Task } from "./task.js";
import { CLD_DUMPED, CLD_EXITED, CLD_KILLED } from "../uapi/asm-generic/siginfo.js";
import { SA_NOCLDWAIT, SIG_IGN } from "../uapi/asm-generic/signal-defs.js";
import { SIGCHLD } from "../uapi/asm/signal.js";

/** The wait status of a task killed by `sig` (the low 7 bits; 0x80 when it dumped core). */
export const waitStatusKilled = (sig: number, core: boolean): number => (sig & 0x7f) | (core ? 0x80 : 0);
export const waitStatusExited = (code: number): number => (code & 0xff) << 8;

const alive = (t: Task) => t.state === "runnable" || t.state === "blocked";

/**
 * The thread group's leader (the task whose tid is the tgid). Children belong to the whole group
 * in Linux (any thread may wait for them); here they hang on the leader.
 */
export function groupLeader(task: Task): Task {
  const leader = task.kernel.sched.tasks.get(task.tgid);
  return leader && leader.state !== "dead" ? leader : task;
}

/** The live threads of `task`'s thread group, `task` included if it is alive. */
export function threadGroup(task: Task, k: KernelState): Task[] {
  return [...k.sched.tasks.values()].filter((t) => t.tgid === task.tgid && alive(t));
}

/**
 * zap_other_threads for exit_group and for a fatal signal: every other thread of the group ends
 * with the same status (Linux sends them SIGKILL; they leave the kernel at once here).
 */
export function zapOtherThreads(task: Task, status: number, k: KernelState): void {
  for (const t of threadGroup(task, k)) if (t !== task) t.machine.exitTask(status, t);
}

export function doExit(task: Task, status: number, k: KernelState): void {
  if (task.state === "zombie" || task.state === "dead") return;
  const sched = k.sched;
  // exit_files: the fd table closes with its last user (threads made with CLONE_FILES share it)
  if (![...sched.tasks.values()].some((t) => t !== task && t.files === task.files && alive(t))) task.files.closeAll();
  exitRobustList(task); // futex_exit_release: locks the thread still holds are marked as its owner's death
  // mm_release: CLONE_CHILD_CLEARTID's word is cleared and one sleeper on it woken (pthread_join)
  if (task.clearChildTid) {
    try {
      task.mm.write(task.clearChildTid, Buffer.alloc(4) /* the tid word is 32-bit on both ABIs */);
      futexWake(task.mm, task.clearChildTid, 1);
    } catch { /* unmapped: ignore */ }
  }
  task.exitStatus = status;
  // vfork: the parent may run again
  if (task.vforkParent) {
    task.vforkParent = undefined;
    task.vforkDone.wake();
  }
  // forget_original_parent: the children go to the nearest living subreaper among the ancestors
  // (find_new_reaper), else to init (the first task, README "pid 1"), or are reaped if it is gone
  const init = findNewReaper(task, sched.init);
  for (const c of task.children) {
    c.parent = init;
    c.ppid = init?.tgid ?? 1; // with the run's init gone, the host's init stands for it
    if (init) {
      init.children.add(c);
      if (c.state === "zombie") init.childExit.wake();
    } else if (c.state === "zombie") sched.release(c);
  }
  task.children.clear();
  task.state = "zombie";
  const parent = task.parent;
  if (!parent || parent.state === "dead" || parent.state === "zombie") {
    if (task !== sched.init) sched.release(task);
    return;
  }
  // do_notify_parent: a parent that ignores SIGCHLD or asked SA_NOCLDWAIT gets no zombie
  const act = parent.sigactions.get(SIGCHLD);
  const autoreap = task.exitSignal === SIGCHLD && (act?.handler === SIG_IGN || ((act?.flags ?? 0n) & SA_NOCLDWAIT) !== 0n);
  if (task.exitSignal) {
    const killed = status & 0x7f;
    sendSignal(parent, task.exitSignal, {
      signo: task.exitSignal, code: killed ? (status & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
      pid: task.tgid, uid: task.cred.uid, status: killed ? killed : (status >> 8) & 0xff,
    }, (t) => sched.wake(t));
  }
  if (autoreap) {
    parent.children.delete(task);
    sched.release(task);
  }
  parent.childExit.wake();
}

const living = (t: Task | undefined): t is Task => t !== undefined && t.state !== "dead" && t.state !== "zombie";

/** find_new_reaper: a living ancestor that is a child subreaper, else init (when it lives). */
function findNewReaper(task: Task, init: Task | undefined): Task | undefined {
  for (let a = task.parent; a && a !== init; a = a.parent) if (a.isChildSubreaper && living(a)) return a;
  return init !== task && living(init) ? init : undefined;
}
