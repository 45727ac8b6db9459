// do_exit and the parent's side of it (kernel/exit.c): close the files, hand the children to
// init, leave a zombie with its wait status for the parent (or vanish if the parent said it
// will not wait), tell the parent with its exit signal, and wake whoever waits.

import type { KernelState } from "../kernel.js";
import { exitRobustList, futexWake } from "../syscalls/kernel/futex.js";
import { CLD_DUMPED, CLD_EXITED, CLD_KILLED, SA_NOCLDWAIT, SIGCHLD, SIG_IGN, liveThreads, retargetSharedPending, sendGroupSignal } from "./signal.js";
import type { Task } from "./task.js";

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
 * do_group_exit's zap_other_threads, for exit_group and for a fatal signal: the process's status
 * is `status` (group_exit_code) and every other thread ends (Linux sends them SIGKILL; they
 * leave the kernel at once here).
 */
export function zapOtherThreads(task: Task, status: number, k: KernelState): void {
  task.signal.groupExitCode ??= status;
  for (const t of threadGroup(task, k)) if (t !== task) t.machine.exitTask(status, t);
}

/**
 * delay_group_leader: a leader that has exited while other threads of its process run on stays
 * a zombie nobody may reap; its parent hears of the process when the last thread ends.
 */
export function delayGroupLeader(task: Task): boolean {
  return task.pid === task.tgid && task.state === "zombie" && threadGroup(task, task.kernel).length > 0;
}

export function doExit(task: Task, status: number, k: KernelState): void {
  if (task.state === "zombie" || task.state === "dead") return;
  const sched = k.sched;
  // exit_signals: what the process has pending and this thread did not block goes to another thread
  retargetSharedPending(task, ~task.blocked, (t) => sched.wake(t));
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
  task.state = "zombie";
  const others = threadGroup(task, k).length > 0;
  if (task.pid !== task.tgid) {
    // a thread other than the leader is released at once (its exit signal is -1: no one waits);
    // the last one out lets the waiting leader's parent hear of the whole process
    sched.release(task);
    const leader = sched.tasks.get(task.tgid);
    if (!others && leader?.state === "zombie") {
      leader.exitStatus = status; // without a group exit, the process ends with its last thread's status (as measured natively)
      exitNotify(leader, k);
    }
    return;
  }
  if (!others) exitNotify(task, k);
}

/**
 * exit_notify for a process whose last thread has ended (`task` is its leader): its status is the
 * group's if exit_group or a fatal signal ended it, else the leader's own; the children go to a
 * reaper; the parent is told with the exit signal and may reap the zombie (or it vanishes).
 */
function exitNotify(task: Task, k: KernelState): void {
  const sched = k.sched;
  task.exitStatus = task.signal.groupExitCode ?? task.exitStatus;
  const status = task.exitStatus;
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
  const parent = task.parent;
  // (a parent whose main thread has exited lives on in its other threads)
  if (!parent || !liveThreads(parent).length) {
    if (task !== sched.init) sched.release(task);
    return;
  }
  // do_notify_parent: a parent that ignores SIGCHLD or asked SA_NOCLDWAIT gets no zombie
  const act = parent.sigactions.get(SIGCHLD);
  const autoreap = task.exitSignal === SIGCHLD && (act?.handler === SIG_IGN || ((act?.flags ?? 0n) & SA_NOCLDWAIT) !== 0n);
  if (task.exitSignal) {
    const killed = status & 0x7f;
    sendGroupSignal(parent, task.exitSignal, {
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
