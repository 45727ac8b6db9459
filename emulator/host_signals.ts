// The outside world of a command-line run: signals sent to sysgate itself. Ctrl-C at a terminal
// makes the tty send SIGINT to its foreground process group; the guest's processes are that
// group from the user's point of view, so sysgate catches SIGINT (and SIGTERM, SIGHUP, SIGQUIT)
// instead of dying of it, and sends it on to every guest process of the run (job control is not
// modelled, so "every process" stands for the foreground group), with si_code SI_KERNEL as the
// tty's does.
//
// Node runs a signal listener only when its event loop turns, and the run loop is synchronous,
// so a run with the host attached goes in slices: the run loop hands control back every
// SLICE_NS (at a syscall exit, or at the end of a counted time slice while several tasks share the
// CPU: machine.ts), and whenever it has nothing to run (every process sleeps, until a deadline or for
// ever) it says so and returns instead of waiting itself; runWithHost then waits here, where a
// signal can end the wait. A run where every process sleeps with no deadline is a deadlock only
// if no host signal could wake any of them.
//
// While a guest process runs a handler for one of them, runs are also bounded by time (a slice),
// so that a process busy in user mode hands back control too; and a syscall that makes a signal
// caught (or no longer) hands back control at its exit, so that sysgate listens for it at once.
//
// A run in a worker thread of `sysgate serve` gets no process signals: its client's arrive in a
// mailbox shared with the server's main thread (a bit per signal, set with Atomics), which the
// same checks look at.

import type { ExitState } from "../kernel-model/linux.js";
import type { KernelState } from "../kernel-model/kernel.js";
import { caught, sendGroupSignal, sigmask } from "../kernel-model/sched/signal.js";
import type { Task } from "../kernel-model/sched/task.js";
import type { Scheduler } from "../kernel-model/sched/scheduler.js";
import { SI_KERNEL } from "../kernel-model/uapi/asm-generic/siginfo.js";
import { SIG_DFL, SIG_IGN } from "../kernel-model/uapi/asm-generic/signal-defs.js";
import { SIGHUP, SIGINT, SIGQUIT, SIGTERM } from "../kernel-model/uapi/asm/signal.js";

/** The signals a terminal or a supervisor sends to the foreground job, forwarded to the guest. */
export const FORWARDED: readonly [NodeJS.Signals, number][] = [["SIGINT", SIGINT], ["SIGTERM", SIGTERM], ["SIGHUP", SIGHUP], ["SIGQUIT", SIGQUIT]];
/** How long the run loop runs before it lets Node see signals (ns of host time). */
const SLICE_NS = 20_000_000n;

/** Atomics.waitAsync (Node >= 16; typed in lib es2024, newer than this project's target). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, ms?: number): { async: false } | { async: true; value: Promise<unknown> };
}).waitAsync;

/** What the run loop reported when it gave control back: keep going, or nothing to run for a while. */
type Idle = { ns: bigint | undefined } | undefined;

export class HostSignals {
  private readonly queue: number[] = [];
  private readonly listeners = new Map<NodeJS.Signals, () => void>();
  private wakeUp: (() => void) | undefined;
  /** When the run loop next hands back control (the run's CLOCK_MONOTONIC, ns). */
  private nextYield: bigint;
  private idle: Idle;

  /**
   * `clock`: the run's CLOCK_MONOTONIC (the host's: a deterministic run takes no host signals).
   * `mailbox`: where signals come from instead of sysgate's own process (element 0, bit N for
   * signal N, set by another thread with Atomics.or and Atomics.notify).
   */
  constructor(private readonly clock: () => bigint, private readonly mailbox?: Int32Array) {
    this.nextYield = clock() + SLICE_NS;
  }

  /** Moves what the mailbox holds into the queue: is anything there? */
  private collect(): boolean {
    if (this.mailbox && Atomics.load(this.mailbox, 0) !== 0) {
      const bits = Atomics.exchange(this.mailbox, 0, 0);
      for (let sig = 1; sig < 32; sig++) if (bits & (1 << sig)) this.queue.push(sig);
    }
    return this.queue.length > 0;
  }

  /** Has a signal come that is not delivered yet? (a host read that waits asks, to give up: -ERESTARTSYS). */
  pending(): boolean {
    return this.collect();
  }

  /**
   * Catches the forwarded signals in `which` (sysgate no longer dies of them) and lets the others
   * take their default action on sysgate itself.
   */
  listen(which: (sig: number) => boolean): void {
    if (this.mailbox) return;
    for (const [name, sig] of FORWARDED) {
      const on = this.listeners.has(name);
      if (which(sig) && !on) {
        const fn = () => {
          this.queue.push(sig);
          this.wakeUp?.();
        };
        this.listeners.set(name, fn);
        process.on(name, fn);
      } else if (!which(sig) && on) {
        process.off(name, this.listeners.get(name)!);
        this.listeners.delete(name);
      }
    }
  }

  /**
   * Does a guest process run a handler for a signal sysgate listens for? Then a guest busy in user
   * mode must still hand back control every slice, or that handler would never run (a signal
   * the guest ignores can wait for the next hand-back). Set by runWithHost.
   */
  catching = false;

  /** Does this host take its signals from sysgate's own process (not from a mailbox)? */
  get ownSignals(): boolean {
    return this.mailbox === undefined;
  }

  uninstall(): void {
    this.listen(() => false);
  }

  /**
   * Asked by the run loop after each slice and at syscall exits: time to let the event loop run?
   * `now` is the clock of the kernel entry when there is one (no second read of the host clock).
   */
  due(now: () => bigint = this.clock): boolean {
    return this.collect() || now() >= this.nextYield;
  }

  /** The run loop has nothing to run for `ns` of host time (undefined: until something from outside). */
  sleep(ns: bigint | undefined): void {
    this.idle = { ns };
  }

  /**
   * Could a forwarded signal still make a sleeping guest process go on (run its handler)? A signal
   * whose default action would only kill it does not count: threads or processes that wait for
   * each other forever are reported as a deadlock rather than left hanging until Ctrl-C.
   */
  canWake(sched: Scheduler): boolean {
    return sched.live().some((t) => FORWARDED.some(([, sig]) => {
      const h = t.sigactions.get(sig)?.handler ?? SIG_DFL;
      return !(t.blocked & sigmask(sig)) && h !== SIG_IGN && h !== SIG_DFL;
    }));
  }

  /**
   * Sends what arrived to every live guest process (the tty's kill_pgrp). The run is between two
   * slices, so no task is in the kernel: a signal fatal to a process ends it at once
   * (sendGroupSignal, complete_signal's group exit), even one busy in user mode.
   */
  deliver(kstate: KernelState): void {
    this.collect();
    const sched = kstate.sched;
    while (this.queue.length) {
      const sig = this.queue.shift()!;
      // each process once, by its leader (which may have exited while its threads run on)
      const processes = new Map<number, Task>();
      for (const t of sched.live()) if (!processes.has(t.tgid)) processes.set(t.tgid, sched.tasks.get(t.tgid) ?? t);
      for (const p of processes.values()) {
        sendGroupSignal(p, sig, { signo: sig, code: SI_KERNEL, pid: 0, uid: 0 }, (x) => sched.wake(x), null);
      }
    }
  }

  /** Between two slices: lets Node run its listeners, and waits as long as the run loop asked. */
  async pause(): Promise<void> {
    const idle = this.idle;
    this.idle = undefined;
    if (!idle || this.collect()) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    } else if (this.mailbox) {
      const ms = idle.ns === undefined ? undefined : Math.max(1, Math.ceil(Number(idle.ns) / 1e6));
      const w = waitAsync(this.mailbox, 0, 0, ms);
      if (w.async) await w.value;
    } else {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wakeUp = undefined;
          resolve();
        };
        this.wakeUp = done;
        // without a deadline only a signal ends the wait; the long timer just keeps Node alive
        const ms = idle.ns === undefined ? 2 ** 30 : Math.max(1, Math.ceil(Number(idle.ns) / 1e6));
        const timer = setTimeout(done, ms);
      });
    }
    this.nextYield = this.clock() + SLICE_NS;
  }
}

/** The part of a Machine runWithHost drives. */
export interface HostDriven {
  readonly kstate: KernelState;
  host: HostSignals | undefined;
  run(): ExitState | { paused: true };
}

/**
 * Runs to the end with the host's signals forwarded to the guest (the command line's run). A
 * deterministic run takes nothing from the outside (its result would depend on when a signal
 * came): it runs as the library's runToEnd, and Ctrl-C ends sysgate itself.
 */
export async function runWithHost(machine: HostDriven & { runToEnd(): ExitState }, host = new HostSignals(machine.kstate.clock)): Promise<ExitState> {
  if (machine.kstate.deterministic) return machine.runToEnd();
  machine.host = host;
  // a process that makes syscalls hands back control at one of their exits (schedule() on the way out)
  // and when a guest process changed what it catches, so that sysgate listens for it at once
  const sched = machine.kstate.sched;
  const own = host.ownSignals;
  sched.hostDue = (now) => (own && sched.handlersChanged) || host.due(now);
  try {
    for (;;) {
      host.deliver(machine.kstate);
      // While the guest runs, Node cannot run a listener: a signal no guest process catches or
      // ignores takes its default action on sysgate then (the same end as the guest's, which a
      // process busy in user mode could not be told of anyway); a caught one waits for the next
      // hand-back. While the run waits (below), every one is caught and forwarded.
      sched.handlersChanged = false;
      host.listen((sig) => sched.live().some((t) => (t.sigactions.get(sig)?.handler ?? SIG_DFL) !== SIG_DFL));
      host.catching = own && sched.live().some((t) => FORWARDED.some(([, sig]) => caught(t, sig)));
      const r = machine.run();
      if (!("paused" in r && r.paused)) return r as ExitState;
      host.listen(() => true);
      await host.pause();
    }
  } finally {
    machine.host = undefined;
    machine.kstate.sched.hostDue = undefined;
    host.uninstall();
  }
}
