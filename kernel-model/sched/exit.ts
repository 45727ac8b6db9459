// do_exit and the parent's side of it (kernel/exit.c): close the files, hand the children to a
// subreaper or to init (pid 1, sched/init_task.ts), leave a zombie with its wait status for the
// parent (or vanish if the parent said it will not wait), tell the parent with its exit signal,
// and wake whoever waits.

import type { KernelState } from "../kernel.js";
import { exitRobustList, futexWake } from "../syscalls/kernel/futex.js";
import { alive, liveThreads, retargetSharedPending, sendGroupSignal, sendSignal } from "./signal.js";
import type { Task } from "./task.js";
import { CLD_DUMPED, CLD_EXITED, CLD_KILLED, SI_USER } from "../uapi/asm-generic/siginfo.js";
import { SA_NOCLDWAIT, SIG_IGN } from "../uapi/asm-generic/signal-defs.js";
import { SIGCHLD } from "../uapi/asm/signal.js";

export { waitStatusKilled } from "./signal.js";
export const waitStatusExited = (code: number): number => (code & 0xff) << 8;


/**
 * The thread group's leader (the task whose tid is the tgid). Children belong to the whole group
 * in Linux (any thread may wait for them); here they hang on the leader.
 */
export function groupLeader(task: Task): Task {
  const leader = task.kernel.sched.tasks.get(task.tgid);
  return leader && leader.state !== "dead" ? leader : task;
}

/**
 * do_group_exit's zap_other_threads, for exit_group and for a fatal signal: the process's status
 * is `status` (group_exit_code) and every other thread ends (Linux sends them SIGKILL; they
 * leave the kernel at once here).
 */
export function zapOtherThreads(task: Task, status: number, k: KernelState): void {
  task.signal.groupExitCode ??= status;
  for (const t of liveThreads(task)) if (t !== task) t.machine.exitTask(status, t);
}

/**
 * delay_group_leader: a leader that has exited while other threads of its process run on stays
 * a zombie nobody may reap; its parent hears of the process when the last thread ends.
 */
export function delayGroupLeader(task: Task): boolean {
  return task.pid === task.tgid && task.state === "zombie" && liveThreads(task).length > 0;
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
  forgetOriginalParent(task, k);
  task.state = "zombie";
  const others = liveThreads(task).length > 0;
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
 * group's if exit_group or a fatal signal ended it, else the leader's own; the parent is told
 * with the exit signal and may reap the zombie (or it vanishes).
 */
function exitNotify(task: Task, k: KernelState): void {
  task.exitStatus = task.signal.groupExitCode ?? task.exitStatus;
  const parent = task.parent;
  // (a parent whose main thread has exited lives on in its other threads)
  if (!parent || !liveThreads(parent).length) {
    // the first process's parent is outside the run (the shell that started sysgate): it stays a
    // zombie for the run to read its status; anyone else with no parent left is released
    if (task.pid !== k.config.firstPid) k.sched.release(task);
    return;
  }
  notifyParent(task, parent, k);
}

const living = (t: Task | undefined): t is Task => t !== undefined && t.state !== "dead" && t.state !== "zombie";

/**
 * forget_original_parent: when the last thread of a group is gone, the group's children (they
 * hang on the leader here) go to the nearest living subreaper among the ancestors, else to init
 * (find_new_reaper). While other threads live the children stay (find_alive_thread: any thread
 * of the group may still wait for them).
 */
function forgetOriginalParent(task: Task, k: KernelState): void {
  const leader = groupLeader(task);
  if (liveThreads(task).some((t) => t !== task)) return;
  const reaper = findNewReaper(task, k.sched.init);
  for (const holder of new Set([leader, task])) {
    for (const c of holder.children) {
      reparentLeader(c, reaper, k);
      // PR_SET_PDEATHSIG: the child asked for a signal when its parent goes (from the parent, SI_USER)
      for (const t of liveThreads(c)) {
        if (t.pdeathSignal) sendSignal(t, t.pdeathSignal, { signo: t.pdeathSignal, code: SI_USER, pid: task.tgid, uid: task.cred.uid }, (x) => k.sched.wake(x));
      }
    }
    holder.children.clear();
  }
}

/**
 * reparent_leader: the child's exit signal becomes SIGCHLD ("we don't want people slaying init")
 * and, if it is already a zombie, the new parent is told as do_notify_parent would.
 */
function reparentLeader(c: Task, reaper: Task | undefined, k: KernelState): void {
  c.parent = reaper;
  c.ppid = reaper?.tgid ?? 0;
  c.exitSignal = SIGCHLD;
  if (!reaper) {
    if (c.state === "zombie") k.sched.release(c);
    return;
  }
  reaper.children.add(c);
  if (c.state === "zombie") notifyParent(c, reaper, k);
}

/**
 * do_notify_parent: the exit signal with its siginfo, and the wait queue woken. The zombie is
 * released at once when the parent will not wait for it: a parent that ignores SIGCHLD or set
 * SA_NOCLDWAIT, and init, whose wait loop reaps whatever it is handed.
 */
function notifyParent(task: Task, parent: Task, k: KernelState): void {
  const sched = k.sched;
  if (parent === sched.init) {
    parent.children.delete(task);
    sched.release(task);
    return;
  }
  const act = parent.sigactions.get(SIGCHLD);
  const autoreap = task.exitSignal === SIGCHLD && (act?.handler === SIG_IGN || ((act?.flags ?? 0n) & SA_NOCLDWAIT) !== 0n);
  const status = task.exitStatus;
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

/** find_new_reaper: a living ancestor that is a child subreaper, else init (when it lives). */
function findNewReaper(task: Task, init: Task | undefined): Task | undefined {
  for (let a = task.parent; a && a !== init; a = a.parent) if (a.isChildSubreaper && living(a)) return a;
  return init !== task && init && init.state !== "dead" ? init : undefined;
}
