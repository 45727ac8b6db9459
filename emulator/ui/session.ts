// The stepping debugger behind `sysgate step`, without any terminal: run modes (one
// instruction, next stage, next syscall, out to user mode, continue), breakpoints on syscalls,
// the syscall list and each syscall's entry path filled from the hook events, register change
// marks and step back. The ink panels only read from it, so tests drive it directly.

import type { CpuState, HookEvents, HookPoint } from "../../kernel-model/hooks.js";
import type { Reg } from "../../kernel-model/cpu.js";
import { PT_REGS_32, PT_REGS_64 } from "../../kernel-model/entry/pt_regs.js";
import type { Machine } from "../machine.js";
import type { ExitState } from "../../kernel-model/linux.js";
import { Disassembler, type DisasmLine } from "./disasm.js";
import { entryPath, type Stage, type StageView, type SyscallRecord } from "./entry_path.js";
import { hex, readVirtual, straceLine } from "./format.js";
import { UndoRing } from "./snapshots.js";

export type RunMode = "syscall" | "stage" | "out" | "continue";

export interface RegView { name: string; value: bigint; changed: boolean }
export interface StackLine { address: bigint; value: bigint; note: string | undefined; sp: boolean }
export interface PtRegsLine { field: string; address: bigint; value: bigint; pushed: boolean }

const REGS_64: Reg[] = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "ss"];
const REGS_32: Reg[] = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"];
const ARG_REGS_64: Reg[] = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];
const ARG_REGS_32: Reg[] = ["ebx", "ecx", "edx", "esi", "edi", "ebp"];

/** Instructions per engine call while running: small enough to answer a key within ~30 ms. */
const CHUNK = 20_000;
/** Bound on the walk from the boot code to the program's first instruction. */
const BOOT_STEPS = 10_000;

interface Refire { ip: bigint; points: HookPoint[] }
interface UiState {
  count: number; last: SyscallRecord | undefined; prev: bigint[]; cur: bigint[]; message: string;
  refire: Refire | undefined;
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
  readonly bits: 64 | 32;
  private readonly regNames: Reg[];
  private prevRegs: bigint[];
  private curRegs: bigint[];
  private hit: string | undefined;
  private stopAsked = false;
  private readonly undo: UndoRing<UiState>;
  private readonly unsubscribe: (() => void)[] = [];
  private actionStart = 0;
  /** Trap events (point, address) seen during the current action. */
  private trapEvents: { point: HookPoint; address: bigint }[] = [];
  /** The trap events at the IP where the last action stopped: the next instruction repeats them. */
  private refire: Refire | undefined;

  private constructor(readonly machine: Machine, readonly disasm: Disassembler) {
    this.bits = machine.cpu.bits;
    this.regNames = this.bits === 64 ? REGS_64 : REGS_32;
    const points: HookPoint[] = ["instruction", "transition", "entry_stub", "syscall_entry", "syscall_exit", "return", "vdso"];
    for (const p of points) this.unsubscribe.push(machine.hooks.on(p, (e) => this.onEvent(p, e)));
    this.bootToUser();
    this.curRegs = this.readRegs();
    this.prevRegs = this.curRegs;
    this.undo = new UndoRing<UiState>(machine);
  }

  static async create(machine: Machine): Promise<StepSession> {
    return new StepSession(machine, await Disassembler.create(machine));
  }

  /** The machine starts in the kernel's boot code: walk it to the program's first instruction. */
  private bootToUser(): void {
    for (let i = 0; i < BOOT_STEPS && this.cpl() !== 3; i++) {
      const r = this.machine.step(1);
      if (!r.paused) { this.exit = r; return; }
    }
    this.message = "at the program's entry point: n next syscall, s step, i next stage, ? help";
  }

  get ip(): bigint { return this.machine.cpu.get(this.bits === 64 ? "rip" : "eip"); }
  get sp(): bigint { return this.machine.cpu.get(this.bits === 64 ? "rsp" : "esp"); }
  cpl(): number { return Number(this.machine.cpu.get("cs") & 3n); }
  get running(): boolean { return this.mode !== undefined; }
  get current(): SyscallRecord | undefined { return this.records[this.records.length - 1]; }
  get undoDepth(): number { return this.undo.depth; }

  // ---- events -------------------------------------------------------------------------------

  private newRecord(mechanism: SyscallRecord["mechanism"], nr: number, name: string | undefined): SyscallRecord {
    const regs = this.bits === 64 ? ARG_REGS_64 : ARG_REGS_32;
    const r: SyscallRecord = { index: this.records.length, mechanism, nr, name, args: regs.map((x) => this.machine.cpu.get(x)),
      instructions: [], stage: "instruction", seen: [], done: false };
    const prev = this.current;
    if (prev && !prev.done) prev.done = true; // a vDSO call, or a syscall that never came back (exit)
    this.records.push(r);
    return r;
  }

  private mark(r: SyscallRecord, s: Stage): void {
    r.stage = s;
    if (!r.seen.includes(s)) r.seen.push(s);
  }

  private onEvent<P extends HookPoint>(point: P, ev: HookEvents[P]): void {
    // A stop inside a code trap leaves the IP on the trapped instruction: resuming fires the
    // trap again. Those repeats (only events: these traps have no other effect) are dropped.
    const trap = point === "entry_stub" || point === "return" || point === "vdso" ||
      (ev.point === "instruction" && ev.instruction === "call __kernel_vsyscall");
    if (trap) {
      const address = this.ip; // in a code trap: the trapped instruction (not ev.address: a call's site)
      if (this.refire && address === this.refire.ip && this.refire.points.includes(point)) return;
      this.trapEvents.push({ point, address });
    }
    let r = this.current;
    const live = r && !r.done ? r : undefined;
    switch (ev.point) {
      case "instruction": {
        // sysenter arrives twice: `call __kernel_vsyscall`, then `sysenter` inside it
        const again = live && live.mechanism === "sysenter" && ev.instruction === "sysenter" && !live.seen.includes("transition");
        r = again ? live! : this.newRecord(ev.mechanism, ev.nr, ev.name);
        r.instructions.push({ text: ev.instruction, address: ev.address, fn: ev.function });
        this.mark(r, "instruction");
        this.maybeStop(ev, r, !again);
        return;
      }
      case "vdso": {
        r = this.newRecord("vdso", -1, ev.function.replace(/^__vdso_/, ""));
        r.args = ev.args;
        r.vdso = { function: ev.function, address: ev.address };
        this.mark(r, "vdso");
        this.maybeStop(ev, r, true);
        return;
      }
    }
    if (!live) return; // an exception's entry or return, not a syscall's
    r = live;
    switch (ev.point) {
      case "transition": {
        r.transition = { before: ev.before, after: ev.after, msrs: ev.msrs, gate: ev.gate };
        if (ev.gate) {
          const k = this.machine.kernel;
          const size = this.bits === 64 ? 16 : 8;
          r.transition.gateBytes = readVirtual(this.machine, k.boot.idt.va + BigInt(ev.gate.vector * size), size);
        }
        this.mark(r, "transition");
        break;
      }
      case "entry_stub":
        r.stub = { name: ev.stub, address: ev.address };
        this.mark(r, "entry_stub");
        break;
      case "syscall_entry":
        r.args = [...ev.args];
        r.nr = ev.nr;
        r.name = ev.name;
        r.entryPoint = ev.entryPoint;
        r.ptRegs = ev.ptRegs;
        this.mark(r, "generic");
        this.mark(r, "service"); // the TypeScript routine runs inside the same trap, right after
        return; // never a stop here: see maybeStop
      case "syscall_exit":
        r.result = ev.result;
        this.mark(r, "exit");
        return;
      case "return":
        r.ret = { instruction: ev.instruction, address: ev.address, before: ev.before as CpuState, after: ev.after as CpuState };
        this.mark(r, "return");
        break;
    }
    this.maybeStop(ev, r, false);
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
    const last = this.current;
    return { count: this.records.length, last: last && structuredClone(last), prev: this.prevRegs, cur: this.curRegs, message: this.message, refire: this.refire };
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
    this.trapEvents = [];
    return true;
  }

  /** After every stop: register marks, a finished syscall, the undo record. */
  private end(): void {
    const r = this.current;
    if (r && !r.done && r.stage === "return" && this.cpl() === 3) {
      r.done = true;
      this.mark(r, "user");
    }
    this.noteRefire();
    this.prevRegs = this.curRegs;
    this.curRegs = this.readRegs();
    this.undo.commit();
    this.mode = undefined;
    this.lastActionMs = performance.now() - this.actionStart;
  }

  /** Remembers the trap events at the IP the machine stopped on: resuming fires them again. */
  private noteRefire(): void {
    const ip = this.ip;
    const points = this.trapEvents.filter((e) => e.address === ip).map((e) => e.point);
    this.refire = points.length ? { ip, points } : undefined;
  }

  private exitText(): string {
    const e = this.exit!;
    return e.signal !== undefined ? `killed by signal ${e.signal}${e.detail ? `: ${e.detail}` : ""}` : `exit status ${e.code ?? 0}`;
  }

  /** One engine call; false when the program ended. */
  private drive(count: number): boolean {
    if (this.refire) {
      // the first instruction alone, so only its repeated trap events are dropped
      const r = this.machine.step(1);
      this.refire = undefined;
      if (!r.paused) return this.ended(r);
      if (--count <= 0 || this.hit) return true;
    }
    const r = this.machine.step(count);
    return r.paused ? true : this.ended(r);
  }

  private ended(r: ExitState): false {
    this.exit = r;
    const last = this.current;
    if (last) last.done = true; // exit never returns: strace's "= ?" unless the exit hook gave a value
    this.message = `program ended: ${this.exitText()}`;
    return false;
  }

  /** `s`: one instruction (a syscall/sysenter lands on the entry stub; int $0x80 on the gate's target). */
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
      const before = this.current?.seen.length;
      const single = this.mode === "stage" && this.cpl() === 0;
      if (!this.drive(single ? 1 : CHUNK)) break;
      if (single && !this.hit && this.current?.seen.length !== before) this.hit = `stage: ${this.current!.stage}`;
      if (this.hit) {
        if (this.mode === "out") {
          // stopped on the return instruction: execute it to land in user mode
          this.noteRefire();
          if (this.drive(1)) this.message = `back in user mode at ${this.where()}`;
        } else this.message = `${this.hit} at ${this.where()}`;
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

  /** `r`: back to the state before the last action. */
  stepBack(): boolean {
    if (this.mode) return false;
    if (this.exit) {
      // the process is gone (its engine retired): there is no machine to rewind
      this.message = "the program has ended: no stepping back past its exit";
      return false;
    }
    const s = this.undo.undo();
    if (!s) {
      this.message = "nothing to step back to";
      return false;
    }
    this.records.length = s.count;
    if (s.last) this.records[s.count - 1] = s.last;
    this.prevRegs = s.prev;
    this.curRegs = s.cur;
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

  where(): string {
    const d = this.machine.kernel.symbols.describe(this.ip);
    return `${d ?? "0x" + hex(this.ip)} (CPL ${this.cpl()})`;
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }

  // ---- views --------------------------------------------------------------------------------

  private readRegs(): bigint[] {
    return this.regNames.map((r) => this.machine.cpu.get(r));
  }

  registers(): RegView[] {
    return this.regNames.map((name, i) => ({ name, value: this.curRegs[i], changed: this.curRegs[i] !== this.prevRegs[i] }));
  }

  syscallLines(filter = ""): { index: number; text: string; record: SyscallRecord }[] {
    const f = filter.toLowerCase();
    return this.records
      .map((r) => ({ index: r.index, record: r, text: this.syscallText(r) }))
      .filter((l) => !f || l.text.toLowerCase().includes(f));
  }

  syscallText(r: SyscallRecord): string {
    if (r.mechanism === "vdso") return `${r.vdso?.function ?? "vdso"}() [vDSO]`;
    const line = straceLine(r.name, r.nr, r.args, r.result, this.bits);
    return r.result === undefined ? line.replace(/ = \?$/, r.done ? " = ?" : " ...") : line;
  }

  entryPath(): { record: SyscallRecord | undefined; stages: StageView[] } {
    const r = this.current;
    return { record: r, stages: r ? entryPath(r, this.bits) : [] };
  }

  disassembly(lines: number): DisasmLine[] {
    return this.disasm.around(this.ip, lines);
  }

  stack(lines: number): StackLine[] {
    const size = this.bits === 64 ? 8 : 4;
    const sp = this.sp;
    const bytes = readVirtual(this.machine, sp, lines * size);
    const out: StackLine[] = [];
    for (let i = 0; i + size <= bytes.length; i += size) {
      const value = size === 8 ? bytes.readBigUInt64LE(i) : BigInt(bytes.readUInt32LE(i));
      out.push({ address: sp + BigInt(i), value, note: this.machine.kernel.symbols.describe(value), sp: i === 0 });
    }
    return out;
  }

  /** The pt_regs frame of the syscall in progress, field by field (only while in the kernel). */
  ptRegs(): { address: bigint; lines: PtRegsLine[] } | undefined {
    if (this.cpl() !== 0) return undefined;
    const k = this.machine.kernel;
    const names = this.bits === 64 ? PT_REGS_64 : PT_REGS_32;
    const size = this.bits === 64 ? 8 : 4;
    const address = this.current?.ptRegs ?? k.boot.stackTop - BigInt(names.length * size);
    const bytes = readVirtual(this.machine, address, names.length * size);
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
      if (cand > 0xffffn && readVirtual(this.machine, cand, 1).length) return cand;
    }
    return this.sp;
  }

  memory(address: bigint, length: number): Buffer {
    return readVirtual(this.machine, address, length);
  }

  output(): { stdout: string; stderr: string } {
    return { stdout: this.machine.stdout.toString("latin1"), stderr: this.machine.stderr.toString("latin1") };
  }
}
