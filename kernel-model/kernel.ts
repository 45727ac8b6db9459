// The machine-wide state of the kernel model: what Linux keeps in globals (the mount table,
// the clocks, the entropy pool, init_uts_ns) and what a run was configured with.

import { createHash, randomFillSync } from "node:crypto";
import type { Vfs } from "./fs/vfs.js";

export interface Utsname {
  sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string;
}

export interface Kernel {
  readonly vfs: Vfs;
  /** Fills `buf` from the entropy source: seeded in deterministic mode, the host's otherwise. */
  getRandomBytes(buf: Buffer): void;
  /** CLOCK_REALTIME in nanoseconds since the epoch. */
  realtimeNs(): bigint;
  /** CLOCK_MONOTONIC in nanoseconds since boot. */
  monotonicNs(): bigint;
  readonly utsname: Utsname;
  /** Says something about the run on sysgate's stderr (unimplemented syscalls, ...). */
  warn(message: string): void;
}

/** The run-wide choices a Kernel is made with. */
export interface KernelConfig {
  vfs: Vfs;
  /** Deterministic mode: virtual clock and seeded entropy (DESIGN.md section 4). */
  deterministic: boolean;
  seed: bigint;
  machine: "x86_64" | "i686";
  warn: (message: string) => void;
}

/** Virtual time starts here in deterministic mode: 2023-11-14T22:13:20Z. */
export const VIRTUAL_EPOCH_NS = 1_700_000_000n * 1_000_000_000n;
/** How far the virtual clock moves at each kernel entry. */
export const VIRTUAL_TICK_NS = 1_000n;

export class KernelState implements Kernel {
  readonly vfs: Vfs;
  readonly utsname: Utsname;
  /** Virtual nanoseconds since boot (deterministic mode). */
  private virtualNs = 1_000_000_000n;
  private readonly bootHr = process.hrtime.bigint();
  private readonly bootRealtime = BigInt(Date.now()) * 1_000_000n;
  private rngCounter = 0n;

  constructor(readonly config: KernelConfig) {
    this.vfs = config.vfs;
    this.utsname = {
      sysname: "Linux", nodename: "sysgate", release: "6.1.0-sysgate",
      version: "#1 SMP PREEMPT_DYNAMIC sysgate", machine: config.machine, domainname: "(none)",
    };
  }

  warn(message: string): void {
    this.config.warn(message);
  }

  get deterministic(): boolean {
    return this.config.deterministic;
  }

  /** Runs after each tick of virtual time (the vDSO's vvar page follows it). */
  onTick: (() => void) | undefined;

  /** Called by the entry code on every kernel entry: the event that moves virtual time. */
  tick(): void {
    if (!this.config.deterministic) return;
    this.virtualNs += VIRTUAL_TICK_NS;
    this.onTick?.();
  }

  monotonicNs(): bigint {
    return this.config.deterministic ? this.virtualNs : process.hrtime.bigint() - this.bootHr + 1_000_000_000n;
  }

  realtimeNs(): bigint {
    return this.config.deterministic
      ? VIRTUAL_EPOCH_NS + this.virtualNs
      : this.bootRealtime + (process.hrtime.bigint() - this.bootHr);
  }

  /** Seeded: SHA-256 of (seed, counter) blocks, so a run's random bytes depend on the seed alone. */
  getRandomBytes(buf: Buffer): void {
    if (!this.config.deterministic) {
      randomFillSync(buf);
      return;
    }
    for (let off = 0; off < buf.length; off += 32) {
      const block = createHash("sha256").update(`sysgate:${this.config.seed}:${this.rngCounter++}`).digest();
      block.copy(buf, off, 0, Math.min(32, buf.length - off));
    }
  }
}
