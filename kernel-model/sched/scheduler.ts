// The process table and the run queue (kernel/pid.c, kernel/sched/core.c reduced to one CPU).
// Each task runs on its own machine (CPU engine and RAM); the emulator's loop asks pickNext()
// which one to run, round-robin in a fixed order, so deterministic runs interleave the same way.

import { HrtimerBase } from "./hrtimer.js";
import type { Task } from "./task.js";
import type { WaitQueue } from "./wait.js";

export interface SchedSnapshot {
  readonly queue: readonly Task[];
  readonly current: Task | undefined;
  readonly sliceStart: bigint;
  readonly timers: readonly (readonly [Task, bigint])[];
}

export class Scheduler {
  readonly tasks = new Map<number, Task>();
  private readonly runQueue: Task[] = [];
  private nextPid: number;
  /** pid 1 (sched/init_task.ts): orphans without a subreaper are reparented to it, and it reaps them. */
  init: Task | undefined;
  current: Task | undefined;
  /** When the current task got the CPU (CLOCK_MONOTONIC ns). */
  sliceStart = 0n;
  /** How long a task keeps the CPU while others are runnable (sched_slice, roughly). */
  static readonly SLICE_NS = 10_000_000n;

  /**
   * TIF_NEED_RESCHED: set when the current task used up a slice measured in blocks (the run loop's
   * counted runs, the scheduler tick of this model); the way back to user mode schedules.
   */
  needResched = false;
  /**
   * The run loop runs the current task without a slice limit (no thread of its process waited
   * when it started): the first syscall exit after one does ends the run (sliceNeeded).
   */
  unlimitedRun = false;
  /**
   * The run loop runs the current task with neither a time limit nor a block budget, because
   * nobody waited for the CPU or a timer when it started: the first syscall exit after another
   * task becomes runnable or a timer is armed ends the run, so the next one is bounded.
   */
  untimedRun = false;
  /** The last stop at a syscall exit only ended an untimed run: the run loop keeps the task on the CPU. */
  rebound = false;

  /**
   * need_resched on the way back to user mode: the slice is used up and someone else is waiting.
   * Called at every syscall exit, so nothing here reads a clock unless another task is runnable
   * or the host waits for a hand-back: `now` is asked for only then.
   */
  shouldPreempt(now: () => bigint): boolean {
    // the run has no slice limit and now needs one: someone else became runnable or a timer
    // was armed (check_preempt_wakeup, roughly); the next run is sliced
    if (this.unlimitedRun && this.current !== undefined && this.sliceNeeded(this.current)) return true;
    if (this.untimedRun && (this.runnableCount > 0 || this.timersArmed)) {
      // only the run ends, to be bounded from now on: the task keeps the CPU, as a parent does
      // after fork (its slice is not over), unless the usual rules below say otherwise
      this.rebound = !(this.runQueue.length && this.runnableCount > 0 && (this.needResched || now() - this.sliceStart >= Scheduler.SLICE_NS));
      return true;
    }
    if (this.runQueue.length && this.runnableCount > 0) {
      if (this.needResched) return true;
      if (now() - this.sliceStart >= Scheduler.SLICE_NS) return true;
    }
    return this.hostDue !== undefined && this.hostDue(now);
  }

  /**
   * Does `task` need a time slice by block count? Another thread of its process waits to
   * run, or sleeps until a deadline: threads synchronise through memory they share, so one can
   * spin, never entering the kernel, on what another must do. (Processes meet in syscalls, and
   * are preempted at their exits.)
   */
  sliceNeeded(task: Task): boolean {
    for (const t of this.runQueue) if (t !== task && t.mm === task.mm && t.state === "runnable") return true;
    for (const t of this.timers.keys()) if (t !== task && t.mm === task.mm) return true;
    return false;
  }

  /** Set while the run takes signals from the host: true when the run loop should hand control back to it. */
  hostDue: ((now: () => bigint) => boolean) | undefined;
  /** A signal's action went between default, ignored and caught (setSigaction) since the host last chose what it listens for. */
  handlersChanged = false;

  constructor(firstPid: number) {
    this.nextPid = firstPid;
  }

  allocPid(): number {
    while (this.tasks.has(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  /** The init task takes pid 1; it sleeps for good and is never queued. */
  setInit(init: Task): void {
    this.addStandIn(init);
    this.init = init;
  }

  /** Tasks that stand for processes running no guest code (sched/init_task.ts): init, the first process's parent. */
  private readonly standIns = new Set<Task>();
  /** A stand-in takes its pid; it sleeps for good and is never queued. */
  addStandIn(t: Task): void {
    this.tasks.set(t.pid, t);
    this.standIns.add(t);
  }
  isStandIn(t: Task): boolean {
    return this.standIns.has(t);
  }

  add(task: Task): void {
    this.tasks.set(task.pid, task);
    task.state = "runnable";
    this.runQueue.push(task);
  }

  /** find_task_by_vpid: the task that holds `pid` (a zombie holds it until it is reaped). */
  findByVpid(pid: number): Task | undefined {
    const t = this.tasks.get(pid);
    return t && t.state !== "dead" ? t : undefined;
  }

  /** The next task to run, or undefined when every live task sleeps. */
  pickNext(): Task | undefined {
    while (this.runQueue.length) {
      const t = this.runQueue.shift()!;
      if (t.state === "runnable") return t;
    }
    return undefined;
  }

  /** Takes `task` out of the queue: a debugger gives it the CPU next, out of turn. */
  dequeue(task: Task): void {
    const i = this.runQueue.indexOf(task);
    if (i >= 0) this.runQueue.splice(i, 1);
  }

  /**
   * The queue, the current task and the sleepers' deadlines, for a debugger's step back. Only the
   * scheduler's own bookkeeping: the tasks' states and the wait queues they sleep on are the caller's.
   */
  snapshot(): SchedSnapshot {
    return { queue: [...this.runQueue], current: this.current, sliceStart: this.sliceStart, timers: [...this.timers] };
  }

  restore(s: SchedSnapshot): void {
    this.runQueue.splice(0, this.runQueue.length, ...s.queue);
    this.current = s.current;
    this.sliceStart = s.sliceStart;
    this.timers.clear();
    for (const [t, d] of s.timers) this.timers.set(t, d);
  }

  /** Puts a task that ran and can go on at the back of the queue. */
  requeue(task: Task): void {
    if (task.state === "runnable" && !this.runQueue.includes(task)) this.runQueue.push(task);
  }

  /** Tasks waiting in the run queue (the current one is not in it). */
  get runnableCount(): number {
    let n = 0;
    for (const t of this.runQueue) if (t.state === "runnable") n++;
    return n;
  }

  /** Sleepers with a deadline (CLOCK_MONOTONIC ns): the model's hrtimers. */
  private readonly timers = new Map<Task, bigint>();

  /** Sleeps `task` on `queues` until one of them is woken, or until `deadline` passes. */
  block(task: Task, queues: readonly WaitQueue[], deadline?: bigint): void {
    task.state = "blocked";
    const wake = () => this.wake(task);
    task.wakeBlocked = () => { for (const q of queues) q.remove(wake); };
    for (const q of queues) q.add(wake);
    if (deadline !== undefined) this.timers.set(task, deadline);
  }

  /** try_to_wake_up */
  wake(task: Task): void {
    if (task.state !== "blocked") return;
    task.wakeBlocked?.();
    task.wakeBlocked = undefined;
    this.timers.delete(task);
    task.state = "runnable";
    this.runQueue.push(task);
  }

  /** Timers that run a function (itimers, POSIX timers, timerfd): sched/hrtimer.ts. */
  readonly hrtimers = new HrtimerBase();

  /** Wakes the sleepers whose deadline is `now` or earlier and runs the due hrtimers (the hrtimer interrupt). */
  fireTimers(now: bigint): void {
    if (!this.timersArmed) return;
    for (const [t, deadline] of [...this.timers]) if (deadline <= now) this.wake(t);
    this.hrtimers.run(now);
  }

  /** A sleeper has a deadline or an hrtimer is armed: only then does a kernel entry look at the clock for them. */
  get timersArmed(): boolean {
    return this.timers.size > 0 || this.hrtimers.armedCount > 0;
  }

  /** The earliest deadline of a sleeping task or an armed hrtimer, if any. */
  nextDeadline(): bigint | undefined {
    let min = this.hrtimers.next();
    for (const d of this.timers.values()) if (min === undefined || d < min) min = d;
    return min;
  }

  /** Tasks that run guest code and are neither dead nor zombies (the stand-ins run none). */
  live(): Task[] {
    return [...this.tasks.values()].filter((t) => !this.standIns.has(t) && (t.state === "runnable" || t.state === "blocked"));
  }

  /** release_task: the pid is free again. */
  release(task: Task): void {
    this.timers.delete(task);
    task.state = "dead";
    this.tasks.delete(task.pid);
  }
}
