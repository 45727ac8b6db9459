// The stepping debugger behind `sysgate step`, without any terminal. It wires the parts to the
// keys: the recorder (recorder.ts) turns hook events into the timeline, the task view
// (task_view.ts) reads the task on view, the undo ring (snapshots.ts) steps back, the stop rules
// (stops.ts) say where a run ends and trap_repeats.ts which events are a resumed trap's second
// firing; what is left here is running the modes (one instruction, next stage, next syscall, out
// to user mode, continue) and which task is on view. The ink panels only read from it, so tests
// drive it directly.
//
// One CPU per kernel runs every task. The panels describe the task on view: whose event came last
// (after a run: the one the CPU ran), or the one the user picked with `t`. `s` executes one
// instruction of the task on view (it gets the CPU out of turn), or of the one the scheduler runs
// when that task sleeps.

import type { HookEvents, HookPoint } from "../../kernel-model/hooks.js";
import type { ExitState } from "../../kernel-model/linux.js";
import type { Task } from "../../kernel-model/sched/task.js";
import type { Machine } from "../machine.js";
import { Disassembler, type DisasmLine } from "./disasm.js";
import { entryPath, type StageView, type SyscallRecord } from "./entry_path.js";
import { hex } from "./format.js";
import { StepRecorder, type ListLine, type RecorderState } from "./recorder.js";
import { UndoRing } from "./snapshots.js";
import { StopRules, type RunMode } from "./stops.js";
import { TaskView, type PtRegsLine, type StackLine } from "./task_view.js";
import { TrapRepeats, isTrapEvent, type Refire } from "./trap_repeats.js";

export type { ListLine, PtRegsLine, RunMode, StackLine };

export interface RegView { name: string; value: bigint; changed: boolean }

/** Instructions per engine call while running: small enough to answer a key within ~30 ms. */
const CHUNK = 20_000;
/**
 * scheduler_tick under `c` and `n`: a thread that ran this many instructions while another thread
 * of its process waits gives up the CPU, as the run loop's block-counted slice does (Machine's
 * SLICE_BLOCKS; the stepper counts instructions, as it runs by them). Machine.step runs what it is told and never preempts, so a thread spinning on a
 * flag another thread sets would keep the CPU forever.
 */
const SLICE_INSNS = 1_000_000;
/** Bound on the walk from the boot code to the program's first instruction. */
const BOOT_STEPS = 10_000;

interface UiState {
  recorder: RecorderState; regs: Map<number, bigint[]>; prev: bigint[]; cur: bigint[];
  focus: number; message: string; refires: Map<number, Refire>;
}

export class StepSession {
  readonly recorder: StepRecorder;
  private readonly stops = new StopRules();
  /** Running when a mode is set and no stop has been reached yet. */
  mode: RunMode | undefined;
  exit: ExitState | undefined;
  message = "";
  /** Milliseconds the last action spent in the engine and the model (not drawing). */
  lastActionMs = 0;
  private readonly tasks = new TaskView();
  /** The task the panels describe: whose event came last, the one the CPU ran, or the one picked with `t`. */
  private focus: number;
  /** Registers of each task when it was last on view, for the change marks. */
  private regsAt = new Map<number, bigint[]>();
  private prevRegs: bigint[];
  private curRegs: bigint[];
  private hit: string | undefined;
  private stopAsked = false;
  private readonly undo: UndoRing<UiState>;
  private actionStart = 0;
  private readonly repeats = new TrapRepeats();
  /** The task the run modes last drove, and how many instructions it ran in a row. */
  private ranInRow: { task: Task | undefined; insns: number } = { task: undefined, insns: 0 };

  private constructor(readonly machine: Machine, readonly disasm: Disassembler) {
    this.focus = machine.task.pid;
    this.recorder = new StepRecorder(machine, { accept: (p, e) => this.accept(p, e), stage: (e, r, first) => this.stage(e, r, first) });
    this.bootToUser();
    this.curRegs = this.readRegs(this.view);
    this.prevRegs = this.curRegs;
    this.regsAt.set(this.focus, this.curRegs);
    this.undo = new UndoRing<UiState>(machine);
  }

  /** `disasm`: a disassembler being made already (the CLI starts Capstone while the machine boots). */
  static async create(machine: Machine, disasm: Promise<Disassembler> = Disassembler.create()): Promise<StepSession> {
    return new StepSession(machine, await disasm);
  }

  /** The machine starts in the kernel's boot code: walk it to the program's first instruction. */
  private bootToUser(): void {
    for (let i = 0; i < BOOT_STEPS && this.cpl() !== 3; i++) {
      const r = this.machine.step(1);
      if (!r.paused) { this.exit = r; return; }
    }
    this.message = "at the program's entry point: n next syscall, s step, i next stage, ? help";
  }

  // ---- which task ---------------------------------------------------------------------------

  private task(pid: number): Task | undefined {
    return this.machine.kstate.sched.tasks.get(pid);
  }

  /** A task that runs guest code and has not ended (pid 1, the run's init, runs none). */
  private alive(t: Task): boolean {
    return t !== this.machine.kstate.sched.init && (t.state === "runnable" || t.state === "blocked");
  }

  /** A task the panels can show (the first process even after its end: its registers stay in the CPU). */
  private usable(t: Task | undefined): t is Task {
    return !!t && (t === this.machine.task || this.alive(t));
  }

  /** The task the panels show: the focus if it still runs, else the one the scheduler has, else the first. */
  get view(): Task {
    const t = this.task(this.focus);
    if (this.usable(t)) return t;
    const cur = this.machine.kstate.sched.current;
    return this.usable(cur) ? cur : this.machine.task;
  }
  get viewPid(): number { return this.view.pid; }
  /** `pid N`, and `tid M` for a thread other than its process's first. */
  get viewName(): string {
    const v = this.view;
    return `pid ${v.tgid}${v.pid !== v.tgid ? ` tid ${v.pid}` : ""}`;
  }
  /** Several tasks have been seen: lines and titles name the pid. */
  get multiProcess(): boolean { return this.recorder.multiProcess; }

  /** `t`: the next live task (processes and threads, by tid) goes on view; `s` then steps it. */
  viewNext(): void {
    const live = this.machine.kstate.sched.live().sort((a, b) => a.pid - b.pid);
    if (!live.length) { this.message = "no task left to view"; return; }
    const cur = this.viewPid;
    const next = live.find((t) => t.pid > cur) ?? live[0];
    this.focus = next.pid;
    this.showRegs();
    const state = this.tasks.onCpu(next) ? "on the CPU" : next.state === "blocked" ? `sleeping${next.waitingIn ? ` in ${next.waitingIn}` : ""}` : this.tasks.notRun(next) ? "not run yet" : "runnable";
    this.message = `viewing ${this.viewName} (${state}) of ${live.length} task${live.length > 1 ? "s" : ""}: s steps it`;
  }

  get bits(): 64 | 32 { return this.tasks.bits(this.view); }
  /** The ABI of the task in view (i386 on a 64-bit CPU: IA32 emulation). */
  get abi(): "x86_64" | "i386" { return this.view.abi; }
  get ip(): bigint { return this.tasks.ip(this.view); }
  get sp(): bigint { return this.tasks.sp(this.view); }
  cpl(): number { return this.tasks.cpl(this.view); }
  get running(): boolean { return this.mode !== undefined; }
  /** The syscall of the task on view: the one the entry path shows and the list selects. */
  get current(): SyscallRecord | undefined { return this.recorder.last(this.viewPid); }
  get records(): SyscallRecord[] { return this.recorder.records; }
  get undoDepth(): number { return this.undo.depth; }
  /** Syscall names and numbers `c` stops at. */
  get breakpoints(): ReadonlySet<string> { return this.stops.breakpoints; }

  // ---- what the recorder asks ---------------------------------------------------------------

  /** Every event: the view follows it; the undo ring hears of switches, CoW faults and process changes; trap repeats are dropped. */
  private accept(point: HookPoint, ev: HookEvents[HookPoint]): boolean {
    if (this.undo?.restoring) return false; // step back's own context switch
    const pid = ev.pid;
    this.focus = pid;
    const t = this.task(pid);
    if (ev.point === "context_switch") {
      if (t) this.undo?.noteSwitch(t);
      return true;
    }
    if (ev.point === "cow_fault") return true; // a line of the list; undo puts the frame counts back (snapshots.ts)
    if (ev.point === "process") {
      this.undo?.refuse(`pid ${pid} ${ev.action === "fork" ? `made ${ev.child}` : ev.action === "exec" ? "exec'd" : "exited"}`);
      return true;
    }
    if (!isTrapEvent(point, ev.point === "instruction" ? ev.instruction : undefined) || !t) {
      this.repeats.other();
      return true;
    }
    // in a code trap the task's IP is the trapped instruction (ev.address may be a call's site)
    return this.repeats.accept(pid, point, this.tasks.ip(t));
  }

  /** A record reached a stage: the run ends there if its mode says so (the machine stops once the hook returns). */
  private stage(ev: { pause(): void; point: string }, r: SyscallRecord, first: boolean): void {
    const why = this.stops.why(this.mode, ev.point, r, first);
    if (why) {
      this.hit ??= why;
      ev.pause();
    }
  }

  // ---- actions ------------------------------------------------------------------------------

  private saveState(): UiState {
    return { recorder: this.recorder.save(), regs: new Map(this.regsAt), prev: this.prevRegs, cur: this.curRegs,
      focus: this.focus, message: this.message, refires: this.repeats.save() };
  }

  private begin(): boolean {
    if (this.exit) {
      this.message = `the program has ended (${this.exitText()}): q quits`;
      return false;
    }
    this.actionStart = performance.now();
    this.undo.begin(this.saveState());
    this.hit = undefined;
    this.stopAsked = false;
    this.repeats.begin();
    return true;
  }

  /** After every stop: finished syscalls, register marks, the undo record. */
  private end(): void {
    this.recorder.settle((pid) => {
      const t = this.task(pid);
      return !!t && this.alive(t) && this.tasks.cpl(t) === 3;
    });
    this.noteRefire();
    this.showRegs();
    this.undo.commit();
    this.mode = undefined;
    this.lastActionMs = performance.now() - this.actionStart;
  }

  /** The registers of the task on view, marked against what they were when it was last on view. */
  private showRegs(): void {
    const v = this.view;
    this.curRegs = this.readRegs(v);
    this.prevRegs = this.regsAt.get(v.pid) ?? this.curRegs;
    if (this.prevRegs.length !== this.curRegs.length) this.prevRegs = this.curRegs; // exec'd to the other ABI
    this.regsAt.set(v.pid, this.curRegs);
  }

  /** Remembers the trap events at the IP the stopped task is on: resuming it fires them again. */
  private noteRefire(): void {
    const t = this.machine.kstate.sched.current;
    if (t && this.alive(t)) this.repeats.stopped(t.pid, this.tasks.ip(t));
  }

  private exitText(): string {
    const e = this.exit!;
    return e.signal !== undefined ? `killed by signal ${e.signal}${e.detail ? `: ${e.detail}` : ""}` : `exit status ${e.code ?? 0}`;
  }

  /** One engine call (of the task the run loop continues with); false when the program ended. */
  private drive(count: number): boolean {
    const next = this.machine.continuing ?? this.machine.kstate.sched.current;
    if (next && this.repeats.pending(next.pid)) {
      // the first instruction alone, so only its repeated trap events are dropped
      const r = this.machine.step(1);
      this.repeats.resumed(next.pid);
      this.ran();
      if (!r.paused) return this.ended(r);
      if (--count <= 0 || this.hit) return true;
    }
    const r = this.machine.step(count);
    this.ran();
    return r.paused ? true : this.ended(r);
  }

  /**
   * Counts a chunk against the running task's slice; a used-up slice with a sibling thread waiting
   * puts it back in the queue. A deterministic clock moves with the chunk (a nanosecond an
   * instruction), so a program that waits for a timer or the clock without a syscall goes on.
   */
  private tick(insns: number): void {
    const kstate = this.machine.kstate;
    if (kstate.deterministic) kstate.advance(BigInt(insns));
    const sched = kstate.sched;
    const t = sched.current;
    if (t !== this.ranInRow.task) this.ranInRow = { task: t, insns: 0 };
    this.ranInRow.insns += insns;
    if (!t || this.ranInRow.insns < SLICE_INSNS || t.state !== "runnable" || !t.machine.preemptible || !sched.sliceNeeded(t)) return;
    if (this.machine.continuing === t) this.machine.continueWith(undefined);
    sched.requeue(t);
    this.ranInRow = { task: undefined, insns: 0 };
  }

  /** The task that just executed is the one on view. */
  private ran(): void {
    const t = this.machine.kstate.sched.current;
    if (t) this.focus = t.pid;
  }

  private ended(r: ExitState): false {
    this.exit = r;
    this.recorder.ended();
    this.focus = this.machine.task.pid;
    this.message = `program ended: ${this.exitText()}`;
    return false;
  }

  /**
   * The task on view gets the CPU next, out of turn (what `s` steps); false when it cannot run
   * now (it sleeps, or has ended).
   */
  private giveCpuToView(): boolean {
    const v = this.view;
    if (v.state !== "runnable") return false;
    const m = this.machine;
    const cur = m.continuing;
    if (cur === v) return true;
    const sched = m.kstate.sched;
    sched.dequeue(v);
    if (cur && cur.state === "runnable") sched.requeue(cur);
    m.continueWith(v);
    return true;
  }

  /** `s`: one instruction of the task on view (a syscall/sysenter lands on the entry stub), or of the scheduler's when it sleeps. */
  stepInstruction(): void {
    const v = this.view;
    const asleep = v.state === "blocked" ? `${this.viewName} sleeps${v.waitingIn ? ` in ${v.waitingIn}` : ""}` : undefined;
    if (!this.begin()) return;
    this.giveCpuToView();
    if (this.drive(1)) this.message = asleep ? `${asleep}: stepped ${this.viewName} instead, to ${this.where()}` : `stepped to ${this.where()}`;
    this.end();
  }

  /** Starts a run in a mode; the caller then calls slice() until it returns true (or runToStop()). */
  start(mode: RunMode): boolean {
    if (mode === "out" && this.cpl() === 3 && !(this.current && !this.current.done)) {
      this.message = "already in user mode";
      return false;
    }
    if (!this.begin()) return false;
    // the stage walk and `o` go on with the syscall of the task on view
    if (mode === "stage" || mode === "out") this.giveCpuToView();
    // After the return instruction's event the next stage is user mode: one instruction away.
    const r = this.current;
    if (mode === "stage" && r && !r.done && r.stage === "return") {
      if (this.drive(1)) this.message = `back in user mode at ${this.where()}`;
      this.end();
      return false;
    }
    this.mode = mode;
    this.message = mode === "continue" ? "running..." : "";
    return true;
  }

  /** `p`: a running guest stops at the end of the current slice. */
  pause(): void {
    if (this.mode) this.stopAsked = true;
  }

  /** Runs the current mode for about `budgetMs`; true once it stopped (hit, pause, end). */
  slice(budgetMs = 30): boolean {
    if (!this.mode) return true;
    const t0 = performance.now();
    for (;;) {
      if (this.stopAsked) {
        this.message = `paused at ${this.where()}`;
        break;
      }
      // Through the kernel the stage walk goes one instruction at a time (a few dozen): the
      // generic entry's stages end with its trap instruction, where no hook may stop.
      const rec = this.current;
      const before = rec?.seen.length;
      const single = this.mode === "stage" && this.cpl() === 0;
      if (!this.drive(single ? 1 : CHUNK)) break;
      if (!single) this.tick(CHUNK);
      if (single && !this.hit && this.current && (this.current !== rec || this.current.seen.length !== before)) this.hit = `stage: ${this.current.stage}`;
      if (this.hit) {
        if (this.mode === "out") {
          // stopped on the return instruction: execute it to land in user mode
          this.noteRefire();
          if (this.drive(1)) this.message = `back in user mode at ${this.where()}`;
        } else this.message = `${this.hit.startsWith("stage:") ? this.currentStageText() : this.hit} at ${this.where()}`;
        break;
      }
      if (performance.now() - t0 > budgetMs) return false;
    }
    this.end();
    return true;
  }

  /** Runs a mode to its stop synchronously (tests, and keys that must not return early). */
  run(mode: RunMode): void {
    if (this.start(mode)) while (!this.slice(1000));
  }

  /** The stage the entry path marks ▶, as the header names it (`stage: CPU`): the event that stopped the walk may be an earlier one. */
  private currentStageText(): string {
    const cur = this.entryPath().stages.find((s) => s.state === "current");
    return cur ? `stage: ${cur.label}` : this.hit ?? "stage";
  }

  /** `r`: every task, every CPU and memory back as before the last action (see snapshots.ts for what is not). */
  stepBack(): boolean {
    if (this.mode) return false;
    if (this.exit) {
      // the run is over: its tasks are gone
      this.message = "the program has ended: no stepping back past its exit";
      return false;
    }
    const peek = this.undo.peek();
    if (!peek) {
      this.message = "nothing to step back to";
      return false;
    }
    if (peek.refused) {
      this.message = `no stepping back over the last key: ${peek.refused}`;
      return false;
    }
    const s = this.undo.undo()!;
    this.recorder.restore(s.recorder);
    this.regsAt = s.regs;
    this.prevRegs = s.prev;
    this.curRegs = s.cur;
    this.focus = s.focus;
    this.repeats.restore(s.refires);
    this.message = `stepped back to ${this.where()} (registers and memory; kernel objects and output stay)`;
    return true;
  }

  /** `b`: a breakpoint on a syscall name or number; returns an error text when unknown. */
  toggleBreakpoint(spec: string): string | undefined {
    const r = this.stops.toggle(spec, this.machine.kernel.table);
    if ("error" in r) return r.error;
    this.message = r.message;
    return undefined;
  }

  /** `symbol+off (CPL n)`, with the pid (and tid) once there are several tasks. */
  where(): string {
    const v = this.view;
    const d = this.tasks.describe(v, this.ip);
    return `${d ?? "0x" + hex(this.ip)} (CPL ${this.cpl()}${this.multiProcess ? `, ${this.viewName}` : ""})`;
  }

  close(): void {
    this.recorder.close();
  }

  // ---- views --------------------------------------------------------------------------------

  private readRegs(t: Task): bigint[] {
    return this.tasks.registerFile(t).values;
  }

  registers(): RegView[] {
    const names = this.tasks.registerFile(this.view).names;
    if (names.length !== this.curRegs.length) this.showRegs();
    return names.map((name, i) => ({ name, value: this.curRegs[i], changed: this.curRegs[i] !== this.prevRegs[i] }));
  }

  /** The list: every task's syscalls (strace -f style), signal deliveries, forks, execs, exits, switches, CoW faults. */
  syscallLines(filter = ""): ListLine[] {
    return this.recorder.lines(filter);
  }

  syscallText(r: SyscallRecord): string {
    return this.recorder.text(r);
  }

  entryPath(): { record: SyscallRecord | undefined; stages: StageView[] } {
    const r = this.current;
    const t = r && this.task(r.pid);
    const m = t?.machine;
    return { record: r, stages: r ? entryPath(r, m?.cpu.bits ?? this.bits, t && m ? t.abi === "i386" && m.cpu.bits === 64 : false) : [] };
  }

  disassembly(lines: number): DisasmLine[] {
    return this.disasm.around(this.view, this.ip, lines);
  }

  stack(lines: number): StackLine[] {
    return this.tasks.stack(this.view, lines);
  }

  /** The pt_regs frame of the syscall in progress, field by field (only while in the kernel). */
  ptRegs(): { address: bigint; lines: PtRegsLine[] } | undefined {
    return this.tasks.ptRegs(this.view, this.current?.ptRegs);
  }

  /** The address the memory pane follows by default: the current syscall's buffer, else the stack. */
  defaultMemoryAddress(): bigint {
    const r = this.current;
    if (r && r.mechanism !== "vdso") {
      const cand = r.args[1];
      if (cand > 0xffffn && this.tasks.memory(this.view, cand, 1).length) return cand;
    }
    return this.sp;
  }

  memory(address: bigint, length: number): Buffer {
    return this.tasks.memory(this.view, address, length);
  }

  output(): { stdout: string; stderr: string } {
    return { stdout: this.machine.stdout.toString("latin1"), stderr: this.machine.stderr.toString("latin1") };
  }
}
