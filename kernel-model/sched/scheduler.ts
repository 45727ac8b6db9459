// The process table and the run queue (kernel/pid.c, kernel/sched/core.c reduced to one CPU).
// Each task runs on its own machine (CPU engine and RAM); the emulator's loop asks pickNext()
// which one to run, round-robin in a fixed order, so deterministic runs interleave the same way.

import type { Task } from "./task.js";
import type { WaitQueue } from "./wait.js";

export class Scheduler {
  readonly tasks = new Map<number, Task>();
  private readonly runQueue: Task[] = [];
  private nextPid: number;
  /** The first task: orphans are reparented to it (our init). */
  init: Task | undefined;
  current: Task | undefined;

  constructor(firstPid: number) {
    this.nextPid = firstPid;
  }

  allocPid(): number {
    while (this.tasks.has(this.nextPid)) this.nextPid++;
    return this.nextPid++;
  }

  add(task: Task): void {
    this.tasks.set(task.pid, task);
    this.init ??= task;
    task.state = "runnable";
    this.runQueue.push(task);
  }

  /** The next task to run, or undefined when every live task sleeps. */
  pickNext(): Task | undefined {
    while (this.runQueue.length) {
      const t = this.runQueue.shift()!;
      if (t.state === "runnable") return t;
    }
    return undefined;
  }

  /** Puts a task that ran and can go on at the back of the queue. */
  requeue(task: Task): void {
    if (task.state === "runnable" && !this.runQueue.includes(task)) this.runQueue.push(task);
  }

  get runnableCount(): number {
    return this.runQueue.filter((t) => t.state === "runnable").length;
  }

  /** Sleeps `task` on `queues` until one of them is woken. */
  block(task: Task, queues: readonly WaitQueue[]): void {
    task.state = "blocked";
    const wake = () => {
      for (const q of queues) q.remove(wake);
      this.wake(task);
    };
    task.wakeBlocked = wake;
    for (const q of queues) q.add(wake);
  }

  /** try_to_wake_up */
  wake(task: Task): void {
    if (task.state !== "blocked") return;
    task.wakeBlocked = undefined;
    task.state = "runnable";
    this.runQueue.push(task);
  }

  /** Tasks that are neither dead nor zombies. */
  live(): Task[] {
    return [...this.tasks.values()].filter((t) => t.state === "runnable" || t.state === "blocked");
  }

  /** release_task: the pid is free again. */
  release(task: Task): void {
    task.state = "dead";
    this.tasks.delete(task.pid);
  }
}
