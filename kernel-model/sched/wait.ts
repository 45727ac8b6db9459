// Wait queues (include/linux/wait.h): a task that cannot go on (an empty pipe, a child still
// running) sleeps on a queue, and whoever changes the condition wakes the queue. In this model a
// service routine says "I would block" by throwing WouldBlock; the entry code then rewinds the
// task to its syscall instruction and the scheduler runs someone else, so the call is simply
// made again once the task is woken (Linux's -ERESTARTNOINTR).

import { KernelAnswer } from "../errno.js";

export class WaitQueue {
  private readonly waiters = new Set<() => void>();

  add(wake: () => void): void {
    this.waiters.add(wake);
  }

  remove(wake: () => void): void {
    this.waiters.delete(wake);
  }

  /** wake_up_all */
  wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }
}

export class WouldBlock extends KernelAnswer {
  /**
   * `deadline` (CLOCK_MONOTONIC, ns) wakes the task by itself when it passes: a timed sleep
   * (hrtimer). The same deadline stays on the task for the re-executed call (Task.sleepDeadline).
   */
  constructor(readonly queues: readonly WaitQueue[], readonly why: string, readonly deadline?: bigint) {
    super(`would block: ${why}`);
  }
}
