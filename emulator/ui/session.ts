// The stepping debugger behind `sysgate step`, without any terminal: run modes (one
// instruction, next stage, next syscall, out to user mode, continue), breakpoints on syscalls,
// the syscall list of every process and each syscall's entry path filled from the hook events,
// register change marks and step back. The ink panels only read from it, so tests drive it directly.
//
// Every process is its own machine. The panels describe the process whose event is current
// (after a step: the one the scheduler ran); `s` executes one instruction of whichever process
// the scheduler runs, since Machine.step() has no way to pick one.

import type { CpuState, HookEvents, HookPoint, HookRegistry } from "../../kernel-model/hooks.js";
import type { Reg } from "../../kernel-model/cpu.js";
import { PT_REGS_32, PT_REGS_64 } from "../../kernel-model/entry/pt_regs.js";
import type { ExitState, LinuxKernel } from "../../kernel-model/linux.js";
import type { LinuxI386 } from "../../kernel-model/linux_i386.js";
import type { LinuxX86_64 } from "../../kernel-model/linux_x86_64.js";
import type { Task } from "../../kernel-model/sched/task.js";
import { beginCall, formatCall, formatResult } from "../../kernel-model/trace/format.js";
import { SyscallTracer, traceTargetOf } from "../../kernel-model/trace/tracer.js";
import type { Machine } from "../machine.js";
import { Disassembler, type DisasmLine } from "./disasm.js";
import { entryPath, type Stage, type StageView, type SyscallRecord } from "./entry_path.js";
import { hex, readVirtual } from "./format.js";
import { UndoRing } from "./snapshots.js";

export type RunMode = "syscall" | "stage" | "out" | "continue";

export interface RegView { name: string; value: bigint; changed: boolean }
export interface StackLine { address: bigint; value: bigint; note: string | undefined; sp: boolean }
export interface PtRegsLine { field: string; address: bigint; value: bigint; pushed: boolean }
/** A line of the syscall list: a syscall (numbered by `index`) or a signal/process line (`marker`). */
export interface ListLine { index: number; key: string; text: string; record?: SyscallRecord; marker?: boolean }

const REGS_64: Reg[] = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "ss"];
const REGS_32: Reg[] = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"];
const ARG_REGS_64: Reg[] = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];
const ARG_REGS_32: Reg[] = ["ebx", "ecx", "edx", "esi", "edi", "ebp"];

/** Instructions per engine call while running: small enough to answer a key within ~30 ms. */
const CHUNK = 20_000;
/** Bound on the walk from the boot code to the program's first instruction. */
const BOOT_STEPS = 10_000;

type Entry = { kind: "syscall"; index: number } | { kind: "marker"; text: string };
interface Refire { pid: number; ip: bigint; points: HookPoint[] }
interface UiState {
  count: number; entries: number; live: SyscallRecord[]; regs: Map<number, bigint[]>; prev: bigint[]; cur: bigint[];
  focus: number; message: string; refire: Refire | undefined;
  /** Set when the action is over: whether it touched the first process alone (only then can it be undone). */
  solo?: boolean; other?: string;
}

export class StepSession {
  readonly records: SyscallRecord[] = [];
  readonly breakpoints = new Set<string>();
  /** Running when a mode is set and no stop has been reached yet. */
  mode: RunMode | undefined;
  exit: ExitState | undefined;
  message = "";
  /** Milliseconds the last action spent in the engine and the model (not drawing). */
  lastActionMs = 0;
  private readonly entries: Entry[] = [];
  /** Every pid seen: more than one, and lines get strace -f's `[pid N]`. */
  private readonly pids = new Set<number>();
  /** Each process's latest syscall. */
  private readonly lastByPid = new Map<number, SyscallRecord>();
  /** The process the panels describe: whose event came last, or the one the scheduler ran. */
  private focus: number;
  /** Registers of each process at its last stop, for the change marks. */
  private regsAt = new Map<number, bigint[]>();
  private prevRegs: bigint[];
  private curRegs: bigint[];
  private hit: string | undefined;
  private stopAsked = false;
  private undo: UndoRing<UiState>;
  private open: UiState | undefined;
  /** Pids that ran or reported during the current action, and whether a process was created or replaced. */
  private touched = new Set<number>();
  private lifecycle: string | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private actionStart = 0;
  /** Trap events (pid, point, address) seen during the current action. */
  private trapEvents: { pid: number; point: HookPoint; address: bigint }[] = [];
  /** The trap events at the IP where the last action stopped: the next instruction repeats them. */
  private refire: Refire | undefined;
  /** The strace formatter, fed only the events whose lines the list shows as they are (vDSO, signals, exits). */
  private readonly tracer: { feed<P extends "vdso" | "signal" | "process">(p: P, e: HookEvents[P]): string | undefined };

  private constructor(readonly machine: Machine, readonly disasm: Disassembler) {
    this.focus = machine.task.pid;
    this.pids.add(this.focus);
    this.tracer = lineTracer(machine);
    const points: HookPoint[] = ["instruction", "transition", "entry_stub", "syscall_entry", "syscall_exit", "return", "vdso", "signal", "process"];
    for (const p of points) this.unsubscribe.push(machine.hooks.on(p, (e) => this.onEvent(p, e)));
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

  // ---- which process ------------------------------------------------------------------------

  private task(pid: number): Task | undefined {
    return this.machine.kstate.sched.tasks.get(pid);
  }

  /** A process whose machine can still be read (an ended child's engine is closed; the first process's is kept). */
  private usable(t: Task | undefined): t is Task {
    return !!t && (t === this.machine.task || !(t.state === "zombie" || t.state === "dead"));
  }

  /** The process the panels show: the focus if it still runs, else the one the scheduler has, else the first. */
  get view(): Task {
    const t = this.task(this.focus);
    if (this.usable(t)) return t;
    const cur = this.machine.kstate.sched.current;
    return this.usable(cur) ? cur : this.machine.task;
  }
  get viewPid(): number { return this.view.pid; }
  /** Several processes have been seen: lines and titles name the pid. */
  get multiProcess(): boolean { return this.pids.size > 1; }

  private kernelOf(t: Task): LinuxX86_64 | LinuxI386 { return t.machine as LinuxX86_64 | LinuxI386; }
  get bits(): 64 | 32 { return this.view.machine.cpu.bits; }
  /** The ABI of the task in view (i386 on a 64-bit CPU: IA32 emulation). */
  get abi(): "x86_64" | "i386" { return this.view.abi; }
  get ip(): bigint { return ipOf(this.view.machine); }
  get sp(): bigint { return this.view.machine.cpu.get(this.bits === 64 ? "rsp" : "esp"); }
  cpl(): number { return Number(this.view.machine.cpu.get("cs") & 3n); }
  get running(): boolean { return this.mode !== undefined; }
  /** The syscall of the process on view: the one the entry path shows and the list selects. */
  get current(): SyscallRecord | undefined { return this.lastByPid.get(this.viewPid); }
  get undoDepth(): number { return this.undo.depth; }

  // ---- events -------------------------------------------------------------------------------

  private newRecord(pid: number, mechanism: SyscallRecord["mechanism"], nr: number, name: string | undefined): SyscallRecord {
    const t = this.task(pid)!;
    const cpu = t.machine.cpu;
    // the task's ABI, not the CPU's mode: a 32-bit task under the x86-64 kernel passes EBX, ECX, ...
    const regs = t.abi === "x86_64" ? ARG_REGS_64 : ARG_REGS_32;
    const r: SyscallRecord = { index: this.records.length, pid, prefixed: this.multiProcess, mechanism, nr, name, args: regs.map((x) => cpu.get(x) & (t.abi === "x86_64" ? ~0n : 0xffffffffn)),
      instructions: [], stage: "instruction", seen: [], done: false };
    if (mechanism !== "vdso") r.call = beginCall(nr, name, r.args, t.mm, { abi: t.abi });
    const prev = this.lastByPid.get(pid);
    if (prev && !prev.done) prev.done = true; // a vDSO call, or a syscall that never came back (exit)
    this.records.push(r);
    this.entries.push({ kind: "syscall", index: r.index });
    this.lastByPid.set(pid, r);
    return r;
  }

  private marker(pid: number, text: string): void {
    this.entries.push({ kind: "marker", text: (this.multiProcess ? pidPrefix(pid) : "") + text });
  }

  private mark(r: SyscallRecord, s: Stage): void {
    r.stage = s;
    if (!r.seen.includes(s)) r.seen.push(s);
  }

  private onEvent<P extends HookPoint>(point: P, ev: HookEvents[P]): void {
    const pid = ev.pid;
    this.pids.add(pid);
    this.touched.add(pid);
    this.focus = pid;
    const t = this.task(pid);
    // A stop inside a code trap leaves the IP on the trapped instruction: resuming fires the
    // trap again. Those repeats (only events: these traps have no other effect) are dropped.
    const trap = point === "entry_stub" || point === "return" || point === "vdso" ||
      (ev.point === "instruction" && ev.instruction === "call __kernel_vsyscall");
    if (trap && t) {
      const address = ipOf(t.machine); // in a code trap: the trapped instruction (not ev.address: a call's site)
      if (this.refire && pid === this.refire.pid && address === this.refire.ip && this.refire.points.includes(point)) return;
      // only the latest traps at one address can repeat: an earlier syscall's entry_stub at the
      // same address must not hide this one's
      const prev = this.trapEvents[this.trapEvents.length - 1];
      if (prev && (prev.pid !== pid || prev.address !== address)) this.trapEvents = [];
      this.trapEvents.push({ pid, point, address });
    } else this.trapEvents = [];
    const last = this.lastByPid.get(pid);
    let r = last;
    const live = r && !r.done ? r : undefined;
    switch (ev.point) {
      case "instruction": {
        // sysenter arrives twice: `call __kernel_vsyscall`, then `sysenter` inside it
        const again = live && live.mechanism === "sysenter" && ev.instruction === "sysenter" && !live.seen.includes("transition");
        // a call that slept runs its instruction again when woken: still the same call (as strace shows it)
        const restart = !again && last && last.mechanism === ev.mechanism && last.nr === ev.nr && last.seen.includes("generic") && !last.seen.includes("exit");
        if (again) r = live!;
        else if (restart) {
          r = last!;
          Object.assign(r, { restarts: (r.restarts ?? 0) + 1, done: false, seen: [], instructions: [], transition: undefined, stub: undefined, ret: undefined });
        } else r = this.newRecord(pid, ev.mechanism, ev.nr, ev.name);
        r.instructions.push({ text: ev.instruction, address: ev.address, fn: ev.function });
        this.mark(r, "instruction");
        this.maybeStop(ev, r, !again && !restart);
        return;
      }
      case "vdso": {
        const line = this.tracer.feed("vdso", ev);
        if (line === undefined) return; // one function under two names: the formatter shows it once
        r = this.newRecord(pid, "vdso", -1, ev.function.replace(/^__vdso_/, ""));
        r.args = ev.args;
        r.vdso = { function: ev.function, address: ev.address };
        r.text = line.replace(/^(.*?\)) +=/, "$1 =");
        this.mark(r, "vdso");
        this.maybeStop(ev, r, true);
        return;
      }
      case "signal": {
        this.onSignal(ev, live);
        return;
      }
      case "process": {
        this.onProcess(ev, live);
        return;
      }
    }
    // an exception's entry or return, not a syscall's: a syscall that went back to user mode is over
    if (!live || live.seen.includes("return")) return;
    r = live;
    switch (ev.point) {
      case "transition": {
        r.transition = { before: ev.before, after: ev.after, msrs: ev.msrs, gate: ev.gate };
        if (ev.gate && t) {
          const size = t.machine.cpu.bits === 64 ? 16 : 8;
          r.transition.gateBytes = readVirtual(t, this.kernelOf(t).boot.idt.va + BigInt(ev.gate.vector * size), size);
        }
        this.mark(r, "transition");
        break;
      }
      case "entry_stub":
        r.stub = { name: ev.stub, address: ev.address };
        this.mark(r, "entry_stub");
        break;
      case "syscall_entry":
        r.nr = ev.nr;
        r.name = ev.name;
        r.entryPoint = ev.entryPoint;
        r.ptRegs = ev.ptRegs;
        // inputs are read now, before the service routine can change them; a restarted call keeps its first reading
        if (t && !r.restarts) {
          r.args = [...ev.args];
          r.call = beginCall(ev.nr, ev.name, ev.args, t.mm, { abi: t.abi });
        }
        this.mark(r, "generic");
        this.mark(r, "service"); // the TypeScript routine runs inside the same trap, right after
        return; // never a stop here: see maybeStop
      case "syscall_exit":
        r.result = ev.result;
        this.finishText(r, t);
        this.mark(r, "exit");
        return;
      case "return":
        r.ret = { instruction: ev.instruction, address: ev.address, before: ev.before as CpuState, after: ev.after as CpuState };
        this.mark(r, "return");
        break;
    }
    this.maybeStop(ev, r, false);
  }

  /** The strace line once the result is known (outputs such as read()'s buffer are read now). */
  private finishText(r: SyscallRecord, t: Task | undefined): void {
    if (!r.call || !t) return;
    const abi = t.abi;
    r.text = `${formatCall(r.call, r.result, t.mm, { abi })} = ${formatResult(r.call, r.result, abi)}`;
  }

  /** `--- SIGxxx {...} ---` in the list; on a syscall's way out, the signal stage of its entry path too. */
  private onSignal(ev: HookEvents["signal"], live: SyscallRecord | undefined): void {
    const line = this.tracer.feed("signal", ev);
    if (line !== undefined) this.marker(ev.pid, line);
    const t = this.task(ev.pid);
    // delivered at an exception's return (a fault), or with no syscall in progress: a list line only
    if (!live || live.seen.includes("return") || live.mechanism === "vdso" || !t) return;
    const regs = live.ptRegs !== undefined ? t.machine.ptRegs(live.ptRegs) : undefined;
    const read = regs && { ip: regs.get("ip"), sp: regs.get("sp"), ax: regs.get("ax"), di: regs.get(t.machine.cpu.bits === 64 ? "di" : "ax"), flags: regs.get("flags") };
    live.signal = { action: ev.action, name: ev.action === "sigreturn" ? (live.name ?? ev.name) : ev.name,
      info: line?.match(/\{.*\}/)?.[0], handler: ev.handler, frame: ev.frame, regs: read };
    // a sleeping call interrupted without SA_RESTART: its exit hook never ran, regs->ax says -EINTR
    if (ev.action === "handler" && live.result === undefined && read && BigInt.asIntN(t.machine.cpu.bits, read.ax) === -4n) {
      live.result = read.ax;
      this.finishText(live, t);
      this.mark(live, "exit");
    }
    this.mark(live, "signal");
  }

  /** fork and exec markers, `+++ exited with N +++`; an execve's line ends with 0 (it never returns). */
  private onProcess(ev: HookEvents["process"], live: SyscallRecord | undefined): void {
    this.lifecycle = `pid ${ev.pid} ${ev.action === "fork" ? "forked" : ev.action === "exec" ? "exec'd" : "exited"}`;
    if (ev.action === "fork") {
      this.pids.add(ev.child!);
      this.marker(ev.pid, `=== fork: child pid ${ev.child} ===`);
      return;
    }
    if (ev.action === "exec") {
      if (live) {
        live.result = 0n;
        this.finishText(live, this.task(ev.pid));
        this.mark(live, "exit");
        live.done = true;
      }
      this.marker(ev.pid, `=== exec ${ev.program} ===`);
      return;
    }
    if (live) live.done = true;
    const line = this.tracer.feed("process", ev);
    if (line !== undefined) this.marker(ev.pid, line);
  }

  private matchesBreak(r: SyscallRecord): boolean {
    return this.breakpoints.has(String(r.nr)) || (r.name !== undefined && this.breakpoints.has(r.name));
  }

  /**
   * Decides, by run mode, whether this event ends the run (the machine stops once the hook
   * returns). Never for syscall_entry/syscall_exit: they fire inside the do_syscall_64 trap, and
   * a stop there makes the machine run the trap, hence the service routine, again on resume
   * (measured: a write printed twice). The stage walk single-steps through the kernel instead.
   */
  private maybeStop(ev: { pause(): void; point: string }, r: SyscallRecord, first: boolean): void {
    let why: string | undefined;
    switch (this.mode) {
      case "stage": why = `stage: ${ev.point}`; break;
      case "syscall": if (first) why = `next syscall: ${r.name ?? r.nr}`; break;
      case "out": if (ev.point === "return") why = "return"; break;
      case "continue": if (first && this.matchesBreak(r)) why = `breakpoint: ${r.name ?? r.nr}`; break;
    }
    if (why) {
      this.hit ??= why;
      ev.pause();
    }
  }

  // ---- actions ------------------------------------------------------------------------------

  private saveState(): UiState {
    const live = [...this.lastByPid.values()].filter((r) => !r.done).map((r) => structuredClone(r));
    return { count: this.records.length, entries: this.entries.length, live, regs: new Map(this.regsAt), prev: this.prevRegs, cur: this.curRegs,
      focus: this.focus, message: this.message, refire: this.refire };
  }

  private begin(): boolean {
    if (this.exit) {
      this.message = `the program has ended (${this.exitText()}): q quits`;
      return false;
    }
    this.actionStart = performance.now();
    // the first process exec'd onto a new machine: the old ring's pages and contexts are of no use
    if (this.undo.kernel !== this.machine.kernel) this.undo = new UndoRing<UiState>(this.machine);
    this.open = this.saveState();
    this.undo.begin(this.open);
    this.touched = new Set();
    this.lifecycle = undefined;
    this.hit = undefined;
    this.stopAsked = false;
    this.trapEvents = [];
    return true;
  }

  /** After every stop: finished syscalls, register marks, the undo record. */
  private end(): void {
    for (const r of this.lastByPid.values()) {
      const t = this.task(r.pid);
      if (!r.done && r.stage === "return" && this.usable(t) && !(t.state === "zombie" || t.state === "dead") && (t.machine.cpu.get("cs") & 3n) === 3n) {
        r.done = true;
        this.mark(r, "user");
      }
    }
    this.noteRefire();
    const v = this.view;
    this.curRegs = this.readRegs(v);
    this.prevRegs = this.regsAt.get(v.pid) ?? this.curRegs;
    if (this.prevRegs.length !== this.curRegs.length) this.prevRegs = this.curRegs; // exec'd to the other ABI
    this.regsAt.set(v.pid, this.curRegs);
    if (this.open) {
      const first = this.machine.task.pid;
      this.open.other = this.lifecycle ?? [...this.touched].find((p) => p !== first)?.toString();
      this.open.solo = this.open.other === undefined;
      this.open = undefined;
    }
    this.undo.commit();
    this.mode = undefined;
    this.lastActionMs = performance.now() - this.actionStart;
  }

  /** Remembers the trap events at the IP the stopped process is on: resuming fires them again. */
  private noteRefire(): void {
    const t = this.machine.kstate.sched.current;
    if (!this.usable(t) || (t.state === "zombie" || t.state === "dead")) { this.refire = undefined; return; }
    const ip = ipOf(t.machine);
    const points = this.trapEvents.filter((e) => e.pid === t.pid && e.address === ip).map((e) => e.point);
    this.refire = points.length ? { pid: t.pid, ip, points } : undefined;
  }

  private exitText(): string {
    const e = this.exit!;
    return e.signal !== undefined ? `killed by signal ${e.signal}${e.detail ? `: ${e.detail}` : ""}` : `exit status ${e.code ?? 0}`;
  }

  /** One engine call (of the process the scheduler picks); false when the program ended. */
  private drive(count: number): boolean {
    if (this.refire) {
      // the first instruction alone, so only its repeated trap events are dropped
      const r = this.machine.step(1);
      this.refire = undefined;
      this.ran();
      if (!r.paused) return this.ended(r);
      if (--count <= 0 || this.hit) return true;
    }
    const r = this.machine.step(count);
    this.ran();
    return r.paused ? true : this.ended(r);
  }

  /** The process that just executed is the one on view. */
  private ran(): void {
    const t = this.machine.kstate.sched.current;
    if (!t) return;
    this.touched.add(t.pid);
    this.focus = t.pid;
  }

  private ended(r: ExitState): false {
    this.exit = r;
    for (const rec of this.lastByPid.values()) rec.done = true; // exit never returns: strace's "= ?" unless the exit hook gave a value
    this.focus = this.machine.task.pid;
    this.message = `program ended: ${this.exitText()}`;
    return false;
  }

  /** `s`: one instruction of the process the scheduler runs (a syscall/sysenter lands on the entry stub). */
  stepInstruction(): void {
    if (!this.begin()) return;
    if (this.drive(1)) this.message = `stepped to ${this.where()}`;
    this.end();
  }

  /** Starts a run in a mode; the caller then calls slice() until it returns true (or runToStop()). */
  start(mode: RunMode): boolean {
    if (mode === "out" && this.cpl() === 3 && !(this.current && !this.current.done)) {
      this.message = "already in user mode";
      return false;
    }
    if (!this.begin()) return false;
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

  /** `r`: back to the state before the last action (only an action of the first process alone). */
  stepBack(): boolean {
    if (this.mode) return false;
    if (this.exit) {
      // the process is gone (its engine retired): there is no machine to rewind
      this.message = "the program has ended: no stepping back past its exit";
      return false;
    }
    const peek = this.undo.peek();
    if (!peek) {
      this.message = "nothing to step back to";
      return false;
    }
    if (!peek.solo) {
      // other processes' machines, and the process table, are not recorded
      this.message = `no stepping back: the last key ran ${/^\d+$/.test(peek.other ?? "") ? `pid ${peek.other}` : peek.other} (only the first process's own steps rewind)`;
      return false;
    }
    const s = this.undo.undo()!;
    this.records.length = s.count;
    this.entries.length = s.entries;
    for (const r of s.live) this.records[r.index] = r;
    this.lastByPid.clear();
    for (const r of this.records) this.lastByPid.set(r.pid, r);
    this.regsAt = s.regs;
    this.prevRegs = s.prev;
    this.curRegs = s.cur;
    this.focus = s.focus;
    this.refire = s.refire;
    this.message = `stepped back to ${this.where()} (registers and memory; kernel objects and output stay)`;
    return true;
  }

  /** `b`: a breakpoint on a syscall name or number; returns an error text when unknown. */
  toggleBreakpoint(spec: string): string | undefined {
    const s = spec.trim();
    if (!s) return "which syscall?";
    const slot = this.machine.kernel.table.lookup(s);
    if (!slot) return `no syscall '${s}' in the ${this.machine.kernel.table.abi} table`;
    const key = /^\d+$/.test(s) ? String(slot.nr) : slot.name;
    if (this.breakpoints.delete(key)) this.message = `breakpoint on ${key} removed`;
    else {
      this.breakpoints.add(key);
      this.message = `breakpoint on ${slot.name} (#${slot.nr}): c runs to it`;
    }
    return undefined;
  }

  /** `symbol+off (CPL n)`, with the pid once there are several processes. */
  where(): string {
    const v = this.view;
    const d = v.machine.symbols.describe(this.ip);
    return `${d ?? "0x" + hex(this.ip)} (CPL ${this.cpl()}${this.multiProcess ? `, pid ${v.pid}` : ""})`;
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }

  // ---- views --------------------------------------------------------------------------------

  private readRegs(t: Task): bigint[] {
    const cpu = t.machine.cpu;
    return (cpu.bits === 64 ? REGS_64 : REGS_32).map((r) => cpu.get(r));
  }

  registers(): RegView[] {
    const names = this.curRegs.length === REGS_64.length ? REGS_64 : REGS_32;
    return names.map((name, i) => ({ name, value: this.curRegs[i], changed: this.curRegs[i] !== this.prevRegs[i] }));
  }

  /** The list: every process's syscalls (strace -f style), signal deliveries, forks, execs and exits. */
  syscallLines(filter = ""): ListLine[] {
    const f = filter.toLowerCase();
    return this.entries
      .map((e, i): ListLine => (e.kind === "syscall"
        ? { index: e.index, key: `s${e.index}`, record: this.records[e.index], text: this.syscallText(this.records[e.index]) }
        : { index: -1, key: `m${i}`, text: e.text, marker: true }))
      .filter((l) => !f || l.text.toLowerCase().includes(f));
  }

  syscallText(r: SyscallRecord): string {
    const prefix = r.prefixed ? pidPrefix(r.pid) : "";
    if (r.text !== undefined) return prefix + r.text;
    if (r.mechanism === "vdso" || !r.call) return `${prefix}${r.name ?? r.nr}(...)`;
    const t = this.task(r.pid);
    const abi = t?.abi ?? (this.bits === 64 ? "x86_64" : "i386");
    // in progress: outputs not filled yet show as the pointers they are
    const head = formatCall(r.call, undefined, t?.mm ?? { read: () => { throw new Error("gone"); } }, { abi });
    return `${prefix}${head}${r.done ? " = ?" : " ..."}`;
  }

  entryPath(): { record: SyscallRecord | undefined; stages: StageView[] } {
    const r = this.current;
    const t = r && this.task(r.pid);
    const m = t?.machine;
    return { record: r, stages: r ? entryPath(r, r.pid === this.viewPid ? this.bits : (m?.cpu.bits ?? this.bits), t && m ? t.abi === "i386" && m.cpu.bits === 64 : false) : [] };
  }

  disassembly(lines: number): DisasmLine[] {
    return this.disasm.around(this.view, this.ip, lines);
  }

  stack(lines: number): StackLine[] {
    const v = this.view;
    const size = this.bits === 64 ? 8 : 4;
    const sp = this.sp;
    const bytes = readVirtual(v, sp, lines * size);
    const out: StackLine[] = [];
    for (let i = 0; i + size <= bytes.length; i += size) {
      const value = size === 8 ? bytes.readBigUInt64LE(i) : BigInt(bytes.readUInt32LE(i));
      out.push({ address: sp + BigInt(i), value, note: v.machine.symbols.describe(value), sp: i === 0 });
    }
    return out;
  }

  /** The pt_regs frame of the syscall in progress, field by field (only while in the kernel). */
  ptRegs(): { address: bigint; lines: PtRegsLine[] } | undefined {
    if (this.cpl() !== 0) return undefined;
    const v = this.view;
    const k = this.kernelOf(v);
    const names = this.bits === 64 ? PT_REGS_64 : PT_REGS_32;
    const size = this.bits === 64 ? 8 : 4;
    const address = this.current?.ptRegs ?? k.boot.stackTop - BigInt(names.length * size);
    const bytes = readVirtual(v, address, names.length * size);
    if (bytes.length < names.length * size) return undefined;
    const sp = this.sp;
    const onKernelStack = sp >= k.boot.stackTop - BigInt(k.boot.stack.size) && sp <= k.boot.stackTop;
    return {
      address,
      lines: names.map((field, i) => {
        const a = address + BigInt(i * size);
        return { field, address: a, value: size === 8 ? bytes.readBigUInt64LE(i * size) : BigInt(bytes.readUInt32LE(i * size)), pushed: onKernelStack && a >= sp };
      }),
    };
  }

  /** The address the memory pane follows by default: the current syscall's buffer, else the stack. */
  defaultMemoryAddress(): bigint {
    const r = this.current;
    if (r && r.mechanism !== "vdso") {
      const cand = r.args[1];
      if (cand > 0xffffn && readVirtual(this.view, cand, 1).length) return cand;
    }
    return this.sp;
  }

  memory(address: bigint, length: number): Buffer {
    return readVirtual(this.view, address, length);
  }

  output(): { stdout: string; stderr: string } {
    return { stdout: this.machine.stdout.toString("latin1"), stderr: this.machine.stderr.toString("latin1") };
  }
}

const ipOf = (k: LinuxKernel): bigint => k.cpu.get(k.cpu.bits === 64 ? "rip" : "eip");

/** strace -f's prefix, as `sysgate trace` writes it. */
const pidPrefix = (pid: number): string => `[pid ${String(pid).padStart(5)}] `;

/**
 * The lines `sysgate trace` prints for vDSO calls, signals and process exits, from its own
 * SyscallTracer: it is attached to a private hook registry and fed single events, and the line it
 * writes is taken back without its pid prefix (the list adds its own).
 */
function lineTracer(machine: Machine) {
  const handlers = new Map<HookPoint, (e: never) => void>();
  const hooks = { on: (p: HookPoint, fn: (e: never) => void) => { handlers.set(p, fn); return () => {}; } } as Pick<HookRegistry, "on">;
  let out = "";
  new SyscallTracer({ ...traceTargetOf(machine.kstate), hooks, onEverySyscall: () => {} }, { write: (s) => { out += s; } }).attach();
  return {
    feed<P extends "vdso" | "signal" | "process">(p: P, e: HookEvents[P]): string | undefined {
      out = "";
      (handlers.get(p) as ((x: HookEvents[P]) => void) | undefined)?.(e);
      const line = out.trimEnd().split("\n").pop();
      return line ? line.replace(/^\[pid +\d+\] /, "") : undefined;
    },
  };
}
