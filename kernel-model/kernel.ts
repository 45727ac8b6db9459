// The machine-wide state of the kernel model: what Linux keeps in globals (the mount table,
// the clocks, the entropy pool, init_uts_ns) and what a run was configured with.

import { closeSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
import type { Vfs } from "./fs/vfs.js";
import { procSource } from "./fs/proc/task_view.js";
import { HookRegistry, type HookPoint } from "./hooks.js";
import { DEFAULT_MAX_PROCS, type LimitReached } from "./limits.js";
import type { LinuxKernel } from "./linux.js";
import { Scheduler } from "./sched/scheduler.js";
import type { Task } from "./sched/task.js";
import type { Abi } from "./uapi/abi.js";
import type { PtRegs } from "./entry/pt_regs.js";
import { PAGE_SIZE } from "./mm/phys.js";

/**
 * node:crypto, loaded only by a deterministic run (its seeded bytes are SHA-256 blocks): loading
 * the module cost every start of a program 3-20 ms, more than booting the kernel. Other runs take
 * the host's entropy from /dev/urandom, as getrandom does.
 */
const nodeCrypto = (() => {
  let crypto: typeof import("node:crypto") | undefined;
  return () => (crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto"));
})();

/**
 * What only the emulator can do for the kernel model: boot a kernel on a CPU engine with
 * physical memory, and load programs. fork and execve ask for these.
 */
export interface ProcessFactory {
  /** The kernel that runs tasks of this ABI, booted on first use. */
  kernelFor(abi: Abi): LinuxKernel;
  /**
   * execve's load_elf_binary for `task` (in a syscall whose pt_regs are `regs`): the program in a
   * new address space, on the same kernel (exec_mmap) or on the other ABI's; throws Errno, and
   * then the old program goes on.
   */
  exec(task: Task, file: { hostPath: string; guestPath: string }, argv: Buffer[], envp: Buffer[], execfn: Buffer, regs: PtRegs): void;
}

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
  /** Deterministic mode: virtual clock and seeded entropy (ARCHITECTURE.md, "Determinism"). */
  deterministic: boolean;
  seed: bigint;
  machine: "x86_64" | "i686";
  warn: (message: string) => void;
  /** The first task's pid (the scheduler counts up from it). */
  firstPid: number;
  warnUnimplemented: boolean;
  /** The host name uname reports (default "sysgate": what deterministic runs use). */
  nodename?: string;
  /** Each process's commit bound in bytes (--memory): past it, mmap/brk fail with ENOMEM. */
  memoryLimit?: number;
  /** Processes at once (max_threads; default DEFAULT_MAX_PROCS). */
  maxThreads?: number;
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

  /** The process table and run queue, shared by every machine. */
  readonly sched: Scheduler;
  /** The hooks of the interception points: one registry for every process of the run. */
  readonly hooks = new HookRegistry();
  /** Set by the emulator. */
  processes!: ProcessFactory;
  /** The booted kernels (for hook traps that must exist on all of them). */
  readonly machines = new Set<LinuxKernel>();
  /** CommitLimit of each address space, in pages. */
  get commitLimitPages(): number {
    return Math.floor((this.config.memoryLimit ?? Number.MAX_SAFE_INTEGER) / PAGE_SIZE);
  }
  /** Program functions hooked by name. */
  readonly watchedFunctions = new Set<string>();

  constructor(readonly config: KernelConfig) {
    this.vfs = config.vfs;
    this.sched = new Scheduler(config.firstPid);
    this.hooks.onFirst = (point: HookPoint) => { for (const m of this.machines) m.installHookTraps(point); };
    this.hooks.tgidOf = (tid) => this.sched.tasks.get(tid)?.tgid ?? tid;
    this.vfs.proc = procSource(this);
    this.utsname = {
      sysname: "Linux", nodename: config.nodename ?? "sysgate", release: "6.1.0-sysgate",
      version: "#1 SMP PREEMPT_DYNAMIC sysgate", machine: config.machine, domainname: "(none)",
    };
  }

  warn(message: string): void {
    this.config.warn(message);
  }

  /** max_threads: copy_process refuses a task past it, whoever asks. */
  get maxThreads(): number {
    return this.config.maxThreads ?? DEFAULT_MAX_PROCS;
  }

  private readonly limitsTold = new Set<string>();
  /** A bound of the run was hit: say which, once per bound (the guest got its errno either way). */
  noteLimit(e: LimitReached): void {
    if (this.limitsTold.has(e.bound)) return;
    this.limitsTold.add(e.bound);
    this.warn(`sysgate: ${e.explanation} (said once)`);
  }

  get deterministic(): boolean {
    return this.config.deterministic;
  }

  /** Runs at each kernel entry with the clock of that entry (the vDSO's vvar pages follow it). */
  onTick: ((now: bigint) => void) | undefined;

  /**
   * Called by the entry code on every kernel entry: the event that moves virtual time, and the
   * hrtimer interrupt. The host clock is read once here (none at all in deterministic mode), and
   * the timers are looked at only while one is armed.
   */
  tick(): void {
    const now = this.config.deterministic ? (this.virtualNs += VIRTUAL_TICK_NS) : this.hostMonotonicNs();
    this.entryNs = now;
    if (this.sched.timersArmed) this.sched.fireTimers(now);
    this.onTick?.(now);
  }

  /** A deterministic sleep, or a used-up time slice: virtual time jumps by `ns`. */
  advance(ns: bigint): void {
    this.virtualNs += ns;
    this.onTick?.(this.virtualNs);
  }

  /** For callers that may not need it: asked for only when they do (see Scheduler.shouldPreempt). */
  readonly clock = (): bigint => this.monotonicNs();

  /** CLOCK_MONOTONIC as the last kernel entry read it: what the way out of that entry compares with. */
  private entryNs = 0n;
  readonly entryClock = (): bigint => this.entryNs;

  monotonicNs(): bigint {
    return this.config.deterministic ? this.virtualNs : this.hostMonotonicNs();
  }

  private hostMonotonicNs(): bigint {
    return process.hrtime.bigint() - this.bootHr + 1_000_000_000n;
  }

  realtimeNs(): bigint {
    return this.config.deterministic
      ? VIRTUAL_EPOCH_NS + this.virtualNs
      : this.bootRealtime + (process.hrtime.bigint() - this.bootHr);
  }

  /** Seeded: SHA-256 of (seed, counter) blocks, so a run's random bytes depend on the seed alone. */
  getRandomBytes(buf: Buffer): void {
    if (!this.config.deterministic) {
      const fd = openSync("/dev/urandom", "r");
      try {
        for (let off = 0; off < buf.length;) off += readSync(fd, buf, off, buf.length - off, null);
      } finally {
        closeSync(fd);
      }
      return;
    }
    for (let off = 0; off < buf.length; off += 32) {
      const block = nodeCrypto().createHash("sha256").update(`sysgate:${this.config.seed}:${this.rngCounter++}`).digest();
      block.copy(buf, off, 0, Math.min(32, buf.length - off));
    }
  }
}
