// High-resolution timers (kernel/time/hrtimer.c) reduced to what the model needs: a timer is a
// deadline on CLOCK_MONOTONIC and a function run when the clock passes it. The scheduler runs the
// due ones at each kernel entry and in its idle loop (the hrtimer interrupt), and its idle loop
// moves the clock to the earliest one (at once on the virtual clock, by waiting on the host's).
// itimers, POSIX timers and timerfd are built on these.

import type { Task } from "./task.js";

/**
 * Runs when the timer expires (`expired` is when it was due, `now` when it ran). HRTIMER_RESTART /
 * HRTIMER_NORESTART: it returns its next expiry to stay armed, or undefined.
 */
export type HrtimerFn = (now: bigint, expired: bigint) => bigint | undefined;

/**
 * hrtimer_forward: a periodic timer's next expiry after `now`, kept in phase with the first one,
 * and how many periods it was late beyond the one that fired (the overruns).
 */
export function hrtimerForward(expired: bigint, now: bigint, interval: bigint): { next: bigint; overruns: number } {
  if (now < expired + interval) return { next: expired + interval, overruns: 0 };
  const late = (now - expired) / interval;
  return { next: expired + (late + 1n) * interval, overruns: Number(late) };
}

export class Hrtimer {
  /** The armed expiry (CLOCK_MONOTONIC ns), undefined while inactive. */
  expires: bigint | undefined;

  /**
   * `owner`: the process the timer belongs to; once it has exited the timer is dropped without
   * firing (exit_itimers and the release of its files, done lazily here).
   */
  constructor(readonly fn: HrtimerFn, readonly owner?: Task) {}

  get active(): boolean {
    return this.expires !== undefined;
  }
}

const ownerGone = (t: Hrtimer) => t.owner !== undefined && (t.owner.state === "zombie" || t.owner.state === "dead");

/** The clock base of one CPU: every armed timer. */
export class HrtimerBase {
  private readonly armed = new Set<Hrtimer>();

  /** How many timers are armed (their owners may have gone: run() drops those). */
  get armedCount(): number {
    return this.armed.size;
  }

  /** hrtimer_start: (re)arms `timer` for `expires`. */
  start(timer: Hrtimer, expires: bigint): void {
    timer.expires = expires;
    this.armed.add(timer);
  }

  /** hrtimer_cancel */
  cancel(timer: Hrtimer): void {
    timer.expires = undefined;
    this.armed.delete(timer);
  }

  /** __hrtimer_run_queues: runs every timer due at `now`, earliest first; periodic ones re-arm. */
  run(now: bigint): void {
    for (;;) {
      let due: Hrtimer | undefined;
      for (const t of this.armed) {
        if (ownerGone(t)) { this.cancel(t); continue; }
        if (t.expires! <= now && (!due || t.expires! < due.expires!)) due = t;
      }
      if (!due) return;
      const expired = due.expires!;
      this.cancel(due);
      const next = due.fn(now, expired);
      if (next !== undefined) this.start(due, next > now ? next : now + 1n);
    }
  }

  /** The earliest expiry of a timer whose owner still lives. */
  next(): bigint | undefined {
    let min: bigint | undefined;
    for (const t of this.armed) {
      if (ownerGone(t)) continue;
      if (min === undefined || t.expires! < min) min = t.expires;
    }
    return min;
  }
}
