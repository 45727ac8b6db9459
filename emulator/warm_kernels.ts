// Warm kernels: booted kernels kept between runs, so that a run is "a new process tree in a
// booted kernel, then execve of the program" rather than a machine made from nothing
// (`sysgate serve` keeps one set per runner thread; `sysgate run` makes none). What a kept kernel
// keeps is what a booted Linux keeps between two logins: its text and tables, its CPU (the
// Unicorn engine, with the code it translated from the frames it still holds), its physical
// memory and its page cache (a program's file pages, read once). What each run gets new is
// everything a process can see: the process table and pids, files and descriptors, the working
// directory, umask, signal dispositions, resource limits, the environment, clocks and hooks
// (Machine makes a KernelState per run; LinuxKernel.adopt attaches the kernel to it).
//
// A kernel goes back to the pool only when every task of its run has ended and given back its
// kernel stack and address space (Machine.close checks). Translated code stays correct across
// runs as within one: the engine keys it by physical frame and address; a page-cache frame never
// changes its bytes (a file changed on the host has another page-cache key: device, inode, size,
// mtime and ctime, mm/filemap.ts), and a freed frame that was ever mapped executable is not handed
// out again before the translations are flushed (PhysMem's code quarantine).
//
// The host memory a kept kernel holds is bounded by these rules, applied when a run gives it back:
// - the page cache above KEEP_CACHE_PAGES is dropped (shrink: nothing maps its pages between runs);
// - frames waiting for a translation flush above KEEP_QUARANTINED_FRAMES are freed by one flush;
// - a kernel whose physical memory has been used past RECYCLE_RAM_BYTES (the host keeps what it
//   touched) or that has served RECYCLE_AFTER_RUNS runs is closed, and the next run boots afresh.

import type { LinuxKernel } from "../kernel-model/linux.js";
import type { GuestRam } from "./cpu/guest_ram.js";
import type { X86Cpu } from "./cpu/x86_cpu.js";

/** One booted kernel with what it runs on. */
export interface KeptKernel { readonly linux: LinuxKernel; readonly cpu: X86Cpu; readonly ram: GuestRam }

export interface WarmLimits {
  /** Page-cache pages kept between runs (beyond them the cache is dropped). */
  cachePages: number;
  /** Freed code frames left waiting for a translation flush between runs (beyond them, one flush). */
  quarantinedFrames: number;
  /** Physical memory ever handed out, in bytes, past which the kernel is closed. */
  ramBytes: number;
  /** Runs a kernel serves before it is closed. */
  runs: number;
  /** Kernels kept at once (one per kind of kernel: ABI, CPU vendor, physical memory size). */
  kernels: number;
}

/** 64 MiB of file pages: busybox's 2 MB many times over. */
export const KEEP_CACHE_PAGES = 16_384;
/** 8 MiB of frames that held code (a JIT's, a changed program's). */
export const KEEP_QUARANTINED_FRAMES = 2_048;
export const RECYCLE_RAM_BYTES = 256 << 20;
export const RECYCLE_AFTER_RUNS = 2_000;

export const DEFAULT_WARM_LIMITS: WarmLimits = {
  cachePages: KEEP_CACHE_PAGES, quarantinedFrames: KEEP_QUARANTINED_FRAMES,
  ramBytes: RECYCLE_RAM_BYTES, runs: RECYCLE_AFTER_RUNS, kernels: 2,
};

interface Entry { kernel: KeptKernel; runs: number }

export class WarmKernels {
  private readonly kept = new Map<string, Entry>();
  /** Runs each kernel taken from or new to this pool has served (by kernel). */
  private readonly runs = new WeakMap<LinuxKernel, number>();
  /** Kernels closed by the rules above (for SYSGATE_SERVE_TIMING and tests). */
  recycled = 0;

  constructor(readonly limits: WarmLimits = DEFAULT_WARM_LIMITS) {}

  /** A kept kernel of this kind, taken out of the pool for one run (undefined: boot one). */
  take(kind: string): KeptKernel | undefined {
    const e = this.kept.get(kind);
    if (!e) return undefined;
    this.kept.delete(kind);
    this.runs.set(e.kernel.linux, e.runs);
    return e.kernel;
  }

  /**
   * A run is over and every task of it gone from `k`: the kernel is trimmed and kept for the next
   * run of its kind, or closed when it has used too much memory or served enough runs.
   */
  keep(kind: string, k: KeptKernel): void {
    const runs = (this.runs.get(k.linux) ?? 0) + 1;
    const phys = k.linux.phys;
    if (runs >= this.limits.runs || phys.highWater > this.limits.ramBytes) {
      this.recycled++;
      return close(k);
    }
    if (k.linux.pageCache.cachedPages > this.limits.cachePages) k.linux.pageCache.shrink();
    if (phys.framesAwaitingFlush > this.limits.quarantinedFrames) {
      k.linux.requestTbFlush(); // the engine is stopped: the flush happens now, and the frames are free again
      k.linux.flushPendingCode();
    }
    const old = this.kept.get(kind);
    if (old) close(old.kernel);
    this.kept.delete(kind);
    this.kept.set(kind, { kernel: k, runs });
    for (const [key, e] of this.kept) {
      if (this.kept.size <= this.limits.kernels) break;
      this.kept.delete(key); // the least recently kept first
      close(e.kernel);
    }
  }

  /** Closes every kept kernel. */
  close(): void {
    for (const e of this.kept.values()) close(e.kernel);
    this.kept.clear();
  }

  /** How many kernels are kept now. */
  get size(): number {
    return this.kept.size;
  }
}

function close(k: KeptKernel): void {
  k.cpu.close();
  k.ram.unmap();
}
