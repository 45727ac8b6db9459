// Step back: a ring of undo records, one per UI action (a step, a stage, a run to the next
// syscall...). With one CPU and one physical memory per kernel, a record covers every task of the
// run: each CPU's registers and which task held it, the previous contents of every physical page
// the action changed, each task's saved context and where it continues, the run queue, and the
// copy-on-write faults to reverse. So an action that switched from one process to another (the
// parent slept in wait4, the child ran) goes back across the switch.
//
// Memory: a shadow copy of physical memory up to the frame allocator's high-water mark, diffed
// page by page after each action (Buffer.compare on 4 KiB slices). It catches writes from guest
// code and from the TypeScript kernel alike (service routines write physical memory directly, so
// an engine memory hook would miss them), costs one pass over the used memory per action (about
// 0.1 ms per MiB here) and no per-instruction work, so `c` runs at full speed.
//
// Saved contexts: __switch_to overwrites a task's saved context in place when the task leaves the
// CPU. The context a task had before the action is what the CPU holds right after the action's
// first switch to it, so it is copied at that context_switch event (noteSwitch).
//
// Not rewound (kernel objects kept in TypeScript): file offsets, VMAs, pipes, signals, output
// already captured, the clock. An action is refused for stepping back when rewinding registers and
// memory alone would leave the kernel inconsistent: a process was created, replaced or ended, a
// sleeping task was woken (its wait-queue entry is gone), or frames were freed (page tables put
// back would point at free frames).
//
// Frames: a shadow of every frame's reference count (page_count), diffed after each action as the
// memory is, so a record keeps only the counts its action changed; undo puts each of them back: the frames it handed out (anonymous pages, page-table
// pages, copy-on-write copies) are referenced only from page tables, which the memory restore put
// back, so they are free again, and a CoW's shared frame regains its user. Frames held by kernel
// objects that are not rewound would be freed under them: an action that added pages to the page
// cache (a file's page read on a fault) is refused, as are fork and exec (kernel stacks, page
// directories, the vDSO).

import type { CpuContext } from "../../kernel-model/cpu.js";
import type { CpuOwner, FirstUser, LinuxKernel } from "../../kernel-model/linux.js";
import { PAGE_SIZE } from "../../kernel-model/mm/phys.js";
import type { SchedSnapshot } from "../../kernel-model/sched/scheduler.js";
import type { Task, TaskState, ThreadState } from "../../kernel-model/sched/task.js";
import type { Machine } from "../machine.js";

interface KernelRecord {
  kernel: LinuxKernel;
  /** The CPU's registers before the action. */
  ctx: CpuContext;
  owner: CpuOwner;
  cachedPages: number;
  /** After the action: the frames whose count it changed, and the count each had before. */
  changedCounts: { pa: number; before: number }[];
  /** Page-aligned physical address → the page's bytes before the action. */
  pages: Map<number, Buffer>;
}

interface TaskRecord {
  /** None for a task that never runs guest code (pid 1, the run's init). */
  thread: ThreadState | undefined;
  pc: bigint;
  ctx: CpuContext | undefined;
  first: FirstUser | undefined;
  /** The context the task had before the action, copied when the action first switched to it. */
  copy?: CpuContext;
  state: TaskState;
  wakeBlocked: Task["wakeBlocked"];
  waitingIn: string | undefined;
  sleepDeadline: bigint | undefined;
  restartIp: bigint | undefined;
}

interface UndoRecord<T> {
  kernels: KernelRecord[];
  tasks: Map<Task, TaskRecord>;
  sched: SchedSnapshot;
  continuing: Task | undefined;
  /** Why this action cannot be stepped back over, if it cannot. */
  refused?: string;
  /** Whatever the caller wants back (the UI model) when this record is restored. */
  state: T;
}

export class UndoRing<T> {
  private readonly shadows = new Map<LinuxKernel, Buffer>();
  private readonly countShadows = new Map<LinuxKernel, Uint32Array>();
  private readonly ring: UndoRecord<T>[] = [];
  private open: UndoRecord<T> | undefined;
  /** Engine contexts of dropped records, reused: each one is a native allocation of its CPU. */
  private readonly spare = new Map<LinuxKernel, CpuContext[]>();
  /** Set while undo() puts state back: the context switch it makes is not part of any action. */
  restoring = false;

  constructor(private readonly machine: Machine, readonly capacity = 64) {
    for (const k of this.kernels()) { this.shadowOf(k); this.countShadowOf(k); }
  }

  private kernels(): LinuxKernel[] {
    return [...this.machine.kstate.machines];
  }

  /** Frames are handed out upwards from a high-water mark and RAM above it is still zero: only [0, mark) can differ. */
  private shadowOf(k: LinuxKernel): Buffer {
    let s = this.shadows.get(k);
    if (!s) this.shadows.set(k, s = Buffer.from(k.phys.mem.subarray(0, k.phys.highWater)));
    return s;
  }

  private context(k: LinuxKernel): CpuContext {
    return k.cpu.saveContext(this.spare.get(k)?.pop());
  }

  private release(k: LinuxKernel, ctx: CpuContext | undefined): void {
    if (!ctx) return;
    let s = this.spare.get(k);
    if (!s) this.spare.set(k, s = []);
    s.push(ctx);
  }

  get depth(): number { return this.ring.length; }

  /** Before an action: every CPU, every task's switch state, the run queue, and the UI state to come back to. */
  begin(state: T): void {
    const tasks = new Map<Task, TaskRecord>();
    for (const t of this.machine.kstate.sched.tasks.values()) {
      const th = t.thread as ThreadState | undefined;
      tasks.set(t, { thread: th, pc: th?.pc ?? 0n, ctx: th?.ctx, first: th?.first, state: t.state,
        wakeBlocked: t.wakeBlocked, waitingIn: t.waitingIn, sleepDeadline: t.sleepDeadline,
        restartIp: t.restartIp });
    }
    this.open = {
      kernels: this.kernels().map((k) => ({ kernel: k, ctx: this.context(k), owner: k.cpuOwner(),
        cachedPages: k.pageCache.cachedPages, changedCounts: [], pages: new Map() })),
      tasks, sched: this.machine.kstate.sched.snapshot(), continuing: this.machine.continuing, state,
    };
  }

  /** The action cannot be stepped back over (a fork, exec or exit happened in it). */
  refuse(why: string): void {
    if (this.open) this.open.refused ??= why;
  }

  /** A context switch in the action: the incoming task's saved context is in the CPU now, as it was before. */
  noteSwitch(next: Task): void {
    const rec = this.open?.tasks.get(next);
    if (this.restoring || !rec || rec.copy || !rec.ctx || next.thread !== rec.thread) return;
    rec.copy = this.context(next.machine);
  }

  /** page_count of each frame `k` has handed out, as of the last commit or undo (grown with the high-water mark: frames above it were free). */
  private countShadowOf(k: LinuxKernel): Uint32Array {
    const n = k.phys.highWater / PAGE_SIZE;
    let c = this.countShadows.get(k);
    if (!c || c.length < n) {
      const grown = new Uint32Array(n);
      if (c) grown.set(c);
      else for (let i = 0; i < n; i++) grown[i] = k.phys.pageCount(i * PAGE_SIZE);
      this.countShadows.set(k, c = grown);
    }
    return c;
  }

  /** The frames whose count the action changed (into `kr`, the shadow follows); refuses the record if one of them was freed. */
  private countChanges(k: LinuxKernel, kr: KernelRecord | undefined, rec: UndoRecord<T> | undefined): void {
    const phys = k.phys;
    const shadow = this.countShadowOf(k);
    for (let i = 0; i < shadow.length; i++) {
      const before = shadow[i];
      const now = phys.pageCount(i * PAGE_SIZE);
      if (now === before) continue;
      shadow[i] = now;
      if (!rec || !kr) continue;
      if (before > 0 && now === 0) rec.refused ??= "the kernel freed memory (munmap, brk...) that page tables put back would still point at";
      kr.changedCounts.push({ pa: i * PAGE_SIZE, before });
    }
    if (rec && kr && k.pageCache.cachedPages !== kr.cachedPages) rec.refused ??= "the page cache read file pages in it (other processes may map them now)";
  }

  /** After the action: record the pages it changed and whether it can be undone. Returns how many pages. */
  commit(): number {
    const rec = this.open;
    this.open = undefined;
    let changed = 0;
    for (const k of this.kernels()) {
      const kr = rec?.kernels.find((x) => x.kernel === k);
      if (rec && !kr) rec.refused ??= "a kernel booted for another ABI";
      changed += this.diff(k, kr?.pages);
      this.countChanges(k, kr, rec);
    }
    if (!rec) return changed;
    for (const [t, r] of rec.tasks) {
      const was = r.state, now = t.state;
      if (t.thread !== r.thread) rec.refused ??= `pid ${t.pid} moved to another kernel`;
      else if (was === "blocked" && (now !== "blocked" || t.wakeBlocked !== r.wakeBlocked)) rec.refused ??= `pid ${t.pid} was woken (its place on a wait queue is gone)`;
      else if (now !== was && !(was === "runnable" && now === "blocked")) rec.refused ??= `pid ${t.pid} ended`;
    }
    for (const t of this.machine.kstate.sched.tasks.values()) if (!rec.tasks.has(t)) rec.refused ??= `pid ${t.pid} was created`;
    this.ring.push(rec);
    if (this.ring.length > this.capacity) this.drop(this.ring.shift()!);
    return changed;
  }

  /** Pages of `k`'s memory that differ from the shadow: into `pages` (their old bytes), and the shadow follows. */
  private diff(k: LinuxKernel, pages: Map<number, Buffer> | undefined): number {
    const mem = k.phys.mem;
    const mark = k.phys.highWater;
    let shadow = this.shadowOf(k);
    if (mark > shadow.length) {
      const grown = Buffer.alloc(mark);
      shadow.copy(grown);
      this.shadows.set(k, shadow = grown); // RAM above the old mark was zero: the diff below sees what was written there
    }
    let changed = 0;
    for (let pa = 0; pa < mark; pa += PAGE_SIZE) {
      const end = Math.min(pa + PAGE_SIZE, mark);
      if (mem.compare(shadow, pa, end, pa, end) === 0) continue;
      changed++;
      pages?.set(pa, Buffer.from(shadow.subarray(pa, end)));
      mem.copy(shadow, pa, pa, end);
    }
    return changed;
  }

  private drop(rec: UndoRecord<T>): void {
    for (const kr of rec.kernels) this.release(kr.kernel, kr.ctx);
    for (const [t, r] of rec.tasks) this.release(t.machine, r.copy);
  }

  /** The UI state of the record undo() would restore next, and why it cannot be, if it cannot. */
  peek(): { state: T; refused?: string } | undefined {
    const r = this.ring[this.ring.length - 1];
    return r && { state: r.state, refused: r.refused };
  }

  /** Puts every CPU, memory, the tasks and the run queue back as they were before the last action; returns its UI state. */
  undo(): T | undefined {
    const rec = this.ring[this.ring.length - 1];
    if (!rec || rec.refused) return undefined;
    this.ring.pop();
    this.restoring = true;
    try {
      // the task that had each CPU gets it back (switch_mm, the entry template, TSS, TLS), then memory
      for (const kr of rec.kernels) kr.kernel.restoreCpuOwner(kr.owner);
      const code = new Set<LinuxKernel>();
      for (const kr of rec.kernels) {
        const mem = kr.kernel.phys.mem;
        const shadow = this.shadowOf(kr.kernel);
        for (const [pa, bytes] of kr.pages) {
          bytes.copy(mem, pa);
          bytes.copy(shadow, pa);
          if (kr.kernel.phys.isCode(pa)) code.add(kr.kernel);
        }
      }
      // every count back as it was, users regained first so no frame passes through free on its
      // way back: a CoW's shared frame gets its user back (do_wp_page in reverse), and the frames
      // the action handed out, which only the page tables put back referred to, are free again
      for (const kr of rec.kernels) {
        const phys = kr.kernel.phys;
        for (const { pa, before } of kr.changedCounts) while (phys.pageCount(pa) < before) phys.getPage(pa);
        for (const { pa, before } of kr.changedCounts) while (phys.pageCount(pa) > before) phys.putPage(pa);
        const shadow = this.countShadowOf(kr.kernel);
        for (const { pa, before } of kr.changedCounts) shadow[pa / PAGE_SIZE] = before;
      }
      for (const [t, r] of rec.tasks) {
        const th = r.thread;
        if (!th) continue;
        th.pc = r.pc;
        th.first = r.first;
        if (r.copy) {
          this.release(t.machine, th.ctx !== r.copy ? th.ctx : undefined);
          th.ctx = r.copy;
        } else if (th.ctx !== r.ctx && !r.ctx && t.machine.current !== t) {
          this.release(t.machine, th.ctx);
          th.ctx = undefined; // it had never run: ret_from_fork starts it again
        }
        if (r.state === "runnable" && t.state === "blocked") {
          t.wakeBlocked?.(); // off the wait queues it went to sleep on in the action
          t.wakeBlocked = undefined;
        }
        t.state = r.state;
        t.waitingIn = r.waitingIn;
        t.sleepDeadline = r.sleepDeadline;
        t.restartIp = r.restartIp;
      }
      this.machine.kstate.sched.restore(rec.sched);
      this.machine.continueWith(rec.continuing);
      for (const kr of rec.kernels) {
        const cpu = kr.kernel.cpu;
        cpu.restoreContext(kr.ctx);
        this.release(kr.kernel, kr.ctx);
        cpu.flushTlb(); // page tables may have been among the pages put back, and CR3 may differ
        // translations follow physical frames: only bytes put back in a frame that held code can be stale
        // (a translation flush costs in proportion to the translation buffer, ~3 ms at 32 MiB: ENGINE.md)
        if (code.has(kr.kernel)) cpu.flushCode();
      }
    } finally {
      this.restoring = false;
    }
    return rec.state;
  }
}
