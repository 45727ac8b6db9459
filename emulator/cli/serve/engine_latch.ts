// A guest that spins in user mode never enters the kernel, so the SIGKILL for a client that
// went away (or for a server that stops) would wait for ever in the runner's mailbox, and the
// guest would spin on. The server's main thread then stops the runner's CPU engine with
// uc_emu_stop, as Unicorn's own timeout watchdog does from its thread (and gdb's connection
// thread, emulator/gdb): the run loop regains control and finds the signal. Only when the signal
// has waited past STOP_AFTER_MS: a stop from another thread can skip a code hook of the
// instruction it lands on (emulator/cpu/ENGINE.md), so a guest that hands back control by itself
// is never stopped.
//
// The latch is shared memory between the two threads: a lock word and the engine's handle. The
// runner publishes the handle once the machine is made and withdraws it before closing the
// machine, under the lock, so the main thread never stops an engine that is gone.

import koffi from "koffi";

/** How long a forwarded signal may wait unseen before the engine is stopped (ms). */
export const STOP_AFTER_MS = 200;

/** Layout: Int32 lock at byte 0, the handle (uintptr) at byte 8. */
const SIZE = 16;

export class EngineLatch {
  private readonly lock: Int32Array;
  private readonly handle: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SIZE)) {
    this.lock = new Int32Array(buffer, 0, 1);
    this.handle = new BigInt64Array(buffer, 8, 1);
  }

  private locked<T>(f: () => T): T {
    while (Atomics.compareExchange(this.lock, 0, 0, 1) !== 0) Atomics.wait(this.lock, 0, 1, 1);
    try {
      return f();
    } finally {
      Atomics.store(this.lock, 0, 0);
      Atomics.notify(this.lock, 0);
    }
  }

  /** The runner: this engine runs the request's guest now (0n: none any more). */
  publish(address: bigint): void {
    this.locked(() => { Atomics.store(this.handle, 0, address); });
  }

  /** The main thread: stops the published engine, if any, with `stop` (uc_emu_stop). */
  stop(stop: (uc: bigint) => unknown): void {
    this.locked(() => {
      const h = Atomics.load(this.handle, 0);
      if (h !== 0n) stop(h);
    });
  }
}

let stopFn: ((uc: bigint) => unknown) | null | undefined;

/** uc_emu_stop of the library at `path` (the one the runners loaded), or undefined if it cannot be had. */
export function engineStopper(path: string): ((uc: bigint) => unknown) | undefined {
  if (stopFn === undefined) {
    try {
      // the handle passed as an integer: the same register as a pointer in the calling convention
      stopFn = koffi.load(path).func("int uc_emu_stop(uintptr_t uc)") as (uc: bigint) => unknown;
    } catch {
      stopFn = null; // signals then wait for the guest's next syscall
    }
  }
  return stopFn ?? undefined;
}
