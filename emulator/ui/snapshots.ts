// Step back: a ring of undo records, one per UI action (a step, a stage, a run to the next
// syscall...). Each holds the CPU context from before the action and the previous contents of
// every guest-physical page the action changed.
//
// Choice: a shadow copy of guest RAM up to the page allocator's high-water mark, diffed page by
// page after each action (Buffer.compare on 4 KiB slices). It catches writes from guest code and
// from the TypeScript kernel alike (service routines write phys.mem directly, so an engine
// memory hook would miss them), costs one pass over the used RAM per action (about 0.1 ms per
// MiB here) and no per-instruction work, so `c` runs at full speed. What it does not rewind:
// kernel objects kept in TypeScript (file offsets, VMAs, output already captured, the clock).
// It covers the first process's machine only (the one Machine.resumeAt can move): the session
// refuses to step back over an action that ran another process, and starts a new ring when the
// first process exec'd onto a new machine.

import type { CpuContext } from "../../kernel-model/cpu.js";
import { PAGE_SIZE } from "../../kernel-model/mm/phys.js";
import type { LinuxKernel } from "../../kernel-model/linux.js";
import type { Machine } from "../machine.js";

export interface UndoRecord<T> {
  ctx: CpuContext;
  /** Page-aligned physical address → the page's bytes before the action. */
  pages: Map<number, Buffer>;
  /** Whatever the caller wants back (the UI model) when this record is restored. */
  state: T;
}

export class UndoRing<T> {
  private shadow: Buffer;
  private readonly ring: UndoRecord<T>[] = [];
  private open: UndoRecord<T> | undefined;
  /** Engine contexts of dropped records, reused: each one is a native allocation. */
  private readonly spare: CpuContext[] = [];

  /** The machine this ring rewinds: the first process's when the ring was made. */
  readonly kernel: LinuxKernel;

  constructor(private readonly machine: Machine, readonly capacity = 64) {
    this.kernel = machine.kernel;
    this.shadow = Buffer.from(this.mem.subarray(0, this.highWater()));
  }

  private get mem(): Buffer { return this.kernel.phys.mem; }

  /**
   * Frames are handed out upwards from a high-water mark and RAM above it is still zero, so only
   * [0, mark) can differ from the shadow.
   */
  private highWater(): number {
    return this.kernel.phys.highWater;
  }

  get depth(): number { return this.ring.length; }

  /** Before an action: the CPU state and the UI state to come back to. */
  begin(state: T): void {
    this.open = { ctx: this.kernel.cpu.saveContext(this.spare.pop()), pages: new Map(), state };
  }

  /** After the action: record the pages it changed, keep the shadow in step. Returns how many. */
  commit(): number {
    const rec = this.open;
    this.open = undefined;
    const mem = this.mem;
    const mark = this.highWater();
    if (mark > this.shadow.length) {
      const grown = Buffer.alloc(mark);
      this.shadow.copy(grown);
      this.shadow = grown; // RAM above the old mark was zero: the diff below sees what was written there
    }
    let changed = 0;
    for (let pa = 0; pa < mark; pa += PAGE_SIZE) {
      const end = Math.min(pa + PAGE_SIZE, mark);
      if (mem.compare(this.shadow, pa, end, pa, end) === 0) continue;
      changed++;
      rec?.pages.set(pa, Buffer.from(this.shadow.subarray(pa, end)));
      mem.copy(this.shadow, pa, pa, end);
    }
    if (rec) {
      this.ring.push(rec);
      if (this.ring.length > this.capacity) this.spare.push(this.ring.shift()!.ctx);
    }
    return changed;
  }

  /** The UI state of the record undo() would restore next. */
  peek(): T | undefined {
    return this.ring[this.ring.length - 1]?.state;
  }

  /** Puts memory and CPU back as they were before the last action; returns its UI state. */
  undo(): T | undefined {
    const rec = this.ring.pop();
    if (!rec) return undefined;
    for (const [pa, bytes] of rec.pages) {
      bytes.copy(this.mem, pa);
      bytes.copy(this.shadow, pa);
    }
    const cpu = this.kernel.cpu;
    cpu.restoreContext(rec.ctx);
    this.spare.push(rec.ctx);
    cpu.flushTlb(); // page tables may have been among the pages put back
    cpu.flushCode();
    this.machine.resumeAt(cpu.get(cpu.bits === 64 ? "rip" : "eip"));
    return rec.state;
  }
}
