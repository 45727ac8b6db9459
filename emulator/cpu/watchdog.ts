// A time limit on one run of the engine, without Unicorn's watchdog thread.
//
// uc_emu_start with a timeout creates a thread for that run, which sleeps in steps of a few
// microseconds (each step a wake-up of its own, ~55 us with the kernel's timer slack) and is
// joined before uc_emu_start returns: every bounded run paid a thread and at least one sleep step,
// also when it lasted microseconds (ENGINE.md). Here each engine has one POSIX timer
// (timer_create with SIGEV_THREAD), armed before a bounded run and disarmed after it: two system
// calls. Only if it expires does the C library start a thread, which runs the notification
// function; no JavaScript runs on that thread.
//
// The timer's thread does not stop the engine itself (a stop from another thread is not safe to
// resume from: stop_request.ts): its notification function sets the engine's stop-request word,
// and the engine's block hook stops it at the next block's start, on the engine's thread. Linux
// with glibc only (timer_create); elsewhere `Watchdog.open` answers undefined and runs that would
// need a time limit are bounded by block counts (machine.ts).

import { CLOCK_MONOTONIC } from "../../kernel-model/uapi/linux/time.js";
import { hostLibc, type HostLibc } from "./libc.js";
import type { StopRequest } from "./stop_request.js";

// <signal.h> on Linux (the clock ids are the guest's: kernel-model/uapi)
const SIGEV_THREAD = 2;
/** struct sigevent: sigev_value (8 bytes), sigev_signo, sigev_notify, then _sigev_thread's function and attributes. */
const SIGEVENT_SIZE = 64, SIGEV_NOTIFY = 12, SIGEV_FUNCTION = 16;
/** struct itimerspec: it_interval then it_value, each a timespec of two 64-bit fields. */
const ITIMERSPEC_SIZE = 32, IT_VALUE_SEC = 16, IT_VALUE_NSEC = 24;
/**
 * How long after an expiry the request may still arrive: the C library's thread starts after the
 * timer's signal reaches its helper thread, and sets the word then (close() waits this out).
 */
const STOP_LATENCY_MS = 100;

export class Watchdog {
  private readonly arming = Buffer.alloc(ITIMERSPEC_SIZE);
  private readonly disarming = Buffer.alloc(ITIMERSPEC_SIZE);
  private readonly old = Buffer.alloc(ITIMERSPEC_SIZE);
  private armedUs = 0;
  /** When the timer last expired (performance.now() ms), or -Infinity. */
  private firedAt = -Infinity;
  private closed = false;

  private constructor(private readonly c: HostLibc, private readonly timer: unknown) {}

  /** A timer that sets TIMER_BIT in `stop`'s word, or undefined where POSIX timers are not available. */
  static open(stop: StopRequest): Watchdog | undefined {
    const c = hostLibc();
    if (!c) return undefined;
    try {
      const sev = Buffer.alloc(SIGEVENT_SIZE);
      sev.writeBigUInt64LE(stop.address, 0); // sigev_value.sival_ptr: the function's argument
      sev.writeInt32LE(SIGEV_THREAD, SIGEV_NOTIFY);
      sev.writeBigUInt64LE(stop.timerFunction, SIGEV_FUNCTION); // attributes (next field) NULL: the defaults
      const out: unknown[] = [null];
      if (c.timer_create(CLOCK_MONOTONIC, sev, out) !== 0) return undefined;
      return new Watchdog(c, out[0]);
    } catch {
      return undefined;
    }
  }

  /** Starts the timer: the engine is asked to stop `us` microseconds from now unless disarm() comes first. */
  arm(us: number): void {
    if (us !== this.armedUs) {
      this.arming.writeBigInt64LE(BigInt(Math.floor(us / 1e6)), IT_VALUE_SEC);
      this.arming.writeBigInt64LE(BigInt((us % 1e6) * 1000), IT_VALUE_NSEC);
      this.armedUs = us;
    }
    this.c.timer_settime(this.timer, 0, this.arming, null);
  }

  /** Stops the timer; true if it had expired (the engine was, or is about to be, asked to stop). */
  disarm(): boolean {
    this.c.timer_settime(this.timer, 0, this.disarming, this.old);
    // an armed one-shot timer reads back what was left of it; all zero once it went off
    const expired = this.old.readBigInt64LE(IT_VALUE_SEC) === 0n && this.old.readBigInt64LE(IT_VALUE_NSEC) === 0n;
    if (expired) this.firedAt = performance.now();
    return expired;
  }

  /**
   * Deletes the timer. The request word must outlive a notification already on its way: if the
   * timer went off moments ago, wait until the C library's thread has surely run.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.c.timer_delete(this.timer);
    const wait = this.firedAt + STOP_LATENCY_MS - performance.now();
    if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
  }
}
