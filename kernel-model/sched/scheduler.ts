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

  /** need_resched on the way back to user mode: the slice is used up and someone else is waiting. */
  shouldPreempt(now: bigint): boolean {
    return (now - this.sliceStart >= Scheduler.SLICE_NS && this.runnableCount > 0) || (this.hostDue?.() ?? false);
  }

  /** Set while the run takes signals from the host: true when the run loop should hand control back to it. */
  hostDue: (() => boolean) | undefined;

  constructor(firstPid: number) {
    this.nextPid = firstPid;
  }

  allocPid(): number {
    while (this.tasks.has(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  /** The init task takes pid 1; it sleeps for good and is never queued. */
  setInit(init: Task): void {
    this.tasks.set(init.pid, init);
    this.init = init;
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

  get runnableCount(): number {
    return this.runQueue.filter((t) => t.state === "runnable").length;
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
    for (const [t, deadline] of [...this.timers]) if (deadline <= now) this.wake(t);
    this.hrtimers.run(now);
  }

  /** The earliest deadline of a sleeping task or an armed hrtimer, if any. */
  nextDeadline(): bigint | undefined {
    let min = this.hrtimers.next();
    for (const d of this.timers.values()) if (min === undefined || d < min) min = d;
    return min;
  }

  /** Tasks that run guest code and are neither dead nor zombies (init runs none). */
  live(): Task[] {
    return [...this.tasks.values()].filter((t) => t !== this.init && (t.state === "runnable" || t.state === "blocked"));
  }

  /** release_task: the pid is free again. */
  release(task: Task): void {
    this.timers.delete(task);
    task.state = "dead";
    this.tasks.delete(task.pid);
  }
}
