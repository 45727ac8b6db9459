// The machine-wide state of the kernel model: what Linux keeps in globals (the mount table,
// the clocks, the entropy pool, init_uts_ns) and what a run was configured with.

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
