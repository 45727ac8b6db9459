// The step recorder: turns the hook events of every task into the timeline `sysgate step` shows.
// Each syscall becomes a record whose entry-path stages fill in as its events arrive (per tid, so
// a thread's calls are its own); vDSO calls, signals, forks, execs, exits, context switches and
// copy-on-write faults become lines between them, strace -f style. It knows nothing of run modes
// or keys: the session tells it which events to pass over and hears which stages a run may stop at.

import type { CpuState, HookEvents, HookPoint, HookRegistry } from "../../kernel-model/hooks.js";
import type { Reg } from "../../kernel-model/cpu.js";
import type { LinuxKernel } from "../../kernel-model/linux.js";
import type { LinuxI386 } from "../../kernel-model/linux_i386.js";
import type { LinuxX86_64 } from "../../kernel-model/linux_x86_64.js";
import type { Task } from "../../kernel-model/sched/task.js";
import { beginCall, formatCall, formatResult } from "../../kernel-model/trace/format.js";
import { SyscallTracer, traceTargetOf } from "../../kernel-model/trace/tracer.js";
import type { Machine } from "../machine.js";
import type { Stage, SyscallRecord } from "./entry_path.js";
import { hex, readVirtual } from "./format.js";

/** A line of the syscall list: a syscall (numbered by `index`) or a signal/process line (`marker`). */
export interface ListLine { index: number; key: string; text: string; record?: SyscallRecord; marker?: boolean }

/** The points the recorder listens to. */
export const RECORDED: readonly HookPoint[] = ["instruction", "transition", "entry_stub", "syscall_entry", "syscall_exit", "return", "vdso", "signal", "process", "context_switch", "cow_fault"];

/** What the session learns from the recorder and decides for it. */
export interface RecorderHost {
  /** False to pass over an event (a code trap firing again where a stop left the CPU). */
  accept(point: HookPoint, ev: HookEvents[HookPoint]): boolean;
  /** A record reached a stage at which a run may stop (`first`: a syscall just began). */
  stage(ev: { pause(): void; point: string }, r: SyscallRecord, first: boolean): void;
}

/** The recorder's state at a moment, for step back. */
export interface RecorderState { count: number; entries: number; live: SyscallRecord[] }

const ARG_REGS_64: Reg[] = ["rdi", "rsi", "rdx", "r10", "r8", "r9"];
const ARG_REGS_32: Reg[] = ["ebx", "ecx", "edx", "esi", "edi", "ebp"];

type Entry = { kind: "syscall"; index: number } | { kind: "marker"; text: string };

export class StepRecorder {
  readonly records: SyscallRecord[] = [];
  private readonly entries: Entry[] = [];
  /** Every tid seen: more than one, and lines get strace -f's `[pid N]`. */
  readonly pids = new Set<number>();
  /** Each task's latest syscall. */
  private readonly lastByPid = new Map<number, SyscallRecord>();
  /** The strace formatter, fed only the events whose lines the list shows as they are (vDSO, signals, exits). */
  private readonly tracer: { feed<P extends "vdso" | "signal" | "process">(p: P, e: HookEvents[P]): string | undefined };
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly machine: Machine, private readonly host: RecorderHost) {
    this.pids.add(machine.task.pid);
    this.tracer = lineTracer(machine);
    for (const p of RECORDED) this.unsubscribe.push(machine.hooks.on(p, (e) => this.onEvent(p, e)));
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }

  /** Several tasks have been seen: lines and titles name the tid. */
  get multiProcess(): boolean { return this.pids.size > 1; }

  /** The latest syscall of a task. */
  last(pid: number): SyscallRecord | undefined { return this.lastByPid.get(pid); }
  /** The latest syscall of each task. */
  latest(): IterableIterator<SyscallRecord> { return this.lastByPid.values(); }

  private task(pid: number): Task | undefined {
    return this.machine.kstate.sched.tasks.get(pid);
  }

  // ---- records and lines --------------------------------------------------------------------

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

  private marker(pid: number | undefined, text: string): void {
    this.entries.push({ kind: "marker", text: (pid !== undefined && this.multiProcess ? pidPrefix(pid) : "") + text });
  }

  private mark(r: SyscallRecord, s: Stage): void {
    r.stage = s;
    if (!r.seen.includes(s)) r.seen.push(s);
  }

  /** The list: every task's syscalls (strace -f style), signal deliveries, forks, execs, exits, switches and CoW faults. */
  lines(filter = ""): ListLine[] {
    const f = filter.toLowerCase();
    return this.entries
      .map((e, i): ListLine => (e.kind === "syscall"
        ? { index: e.index, key: `s${e.index}`, record: this.records[e.index], text: this.text(this.records[e.index]) }
        : { index: -1, key: `m${i}`, text: e.text, marker: true }))
      .filter((l) => !f || l.text.toLowerCase().includes(f));
  }

  text(r: SyscallRecord): string {
    const prefix = r.prefixed ? pidPrefix(r.pid) : "";
    if (r.text !== undefined) return prefix + r.text;
    if (r.mechanism === "vdso" || !r.call) return `${prefix}${r.name ?? r.nr}(...)`;
    const t = this.task(r.pid);
    const abi = t?.abi ?? (this.machine.kernel.cpu.bits === 64 ? "x86_64" : "i386");
    // in progress: outputs not filled yet show as the pointers they are
    const head = formatCall(r.call, undefined, t?.mm ?? { read: () => { throw new Error("gone"); } }, { abi });
    return `${prefix}${head}${r.done ? " = ?" : " ..."}`;
  }

  // ---- state for step back ------------------------------------------------------------------

  save(): RecorderState {
    const live = [...this.lastByPid.values()].filter((r) => !r.done).map((r) => structuredClone(r));
    return { count: this.records.length, entries: this.entries.length, live };
  }

  restore(s: RecorderState): void {
    this.records.length = s.count;
    this.entries.length = s.entries;
    for (const r of s.live) this.records[r.index] = r;
    this.lastByPid.clear();
    for (const r of this.records) this.lastByPid.set(r.pid, r);
  }

  /** After a stop: a syscall whose return took its task back to user mode is over. */
  settle(userMode: (pid: number) => boolean): void {
    for (const r of this.lastByPid.values()) {
      if (!r.done && r.stage === "return" && userMode(r.pid)) {
        r.done = true;
        this.mark(r, "user");
      }
    }
  }

  /** The run is over: no call comes back any more (strace's "= ?" unless the exit hook gave a value). */
  ended(): void {
    for (const r of this.lastByPid.values()) r.done = true;
  }

  // ---- events -------------------------------------------------------------------------------

  private onEvent<P extends HookPoint>(point: P, ev: HookEvents[P]): void {
    if (!this.host.accept(point, ev)) return;
    const pid = ev.pid;
    this.pids.add(pid);
    const t = this.task(pid);
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
        this.host.stage(ev, r, !again && !restart);
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
        this.host.stage(ev, r, true);
        return;
      }
      case "signal":
        this.onSignal(ev, live);
        return;
      case "process":
        this.onProcess(ev, live);
        return;
      case "context_switch":
        this.onSwitch(ev);
        return;
      case "cow_fault":
        this.onCow(ev);
        return;
    }
    // an exception's entry or return, not a syscall's: a syscall that went back to user mode is over
    if (!live || live.seen.includes("return")) return;
    r = live;
    switch (ev.point) {
      case "transition": {
        r.transition = { before: ev.before, after: ev.after, msrs: ev.msrs, gate: ev.gate };
        if (ev.gate && t) {
          const size = t.machine.cpu.bits === 64 ? 16 : 8;
          r.transition.gateBytes = readVirtual(t, kernelOf(t.machine).boot.idt.va + BigInt(ev.gate.vector * size), size);
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
        return; // never a stop here: see StepSession.stage
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
    this.host.stage(ev, r, false);
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

  /** fork, clone and exec lines, `+++ exited with N +++`; an execve's line ends with 0 (it never returns). */
  private onProcess(ev: HookEvents["process"], live: SyscallRecord | undefined): void {
    if (ev.action === "fork") {
      this.pids.add(ev.child!);
      const child = this.task(ev.child!);
      const parent = this.task(ev.pid);
      // CLONE_THREAD: a new thread of the same process (strace shows the same clone line either way)
      const thread = child && parent && child.tgid === parent.tgid;
      this.marker(ev.pid, thread ? `=== clone: new thread tid ${ev.child} ===` : `=== fork: child pid ${ev.child} ===`);
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

  /**
   * schedule() → context_switch: which task gets the CPU and the page-table root switch_mm loads
   * (none between threads of one process: they share the address space).
   */
  private onSwitch(ev: HookEvents["context_switch"]): void {
    this.pids.add(ev.next);
    const cr3 = ev.prevCr3 === ev.nextCr3 ? `CR3 ${hex(ev.nextCr3)} kept (same mm)` : `CR3 ${hex(ev.prevCr3)} → ${hex(ev.nextCr3)}`;
    this.marker(undefined, `=== context_switch ${ev.prev} → ${ev.next}: ${cr3} ===`);
  }

  /** do_wp_page: a write to a copy-on-write page, and the frame the writer got. */
  private onCow(ev: HookEvents["cow_fault"]): void {
    // the frame the page had → the frame the writer has now (the same one when it was the last user)
    const what = ev.reused ? `frame ${hex(ev.oldFrame)} kept (last user)` : `frame ${hex(ev.oldFrame)} → ${hex(ev.newFrame)}`;
    this.marker(ev.pid, `=== CoW fault ${hex(ev.address)}: ${what} ===`);
  }
}

const kernelOf = (k: LinuxKernel): LinuxX86_64 | LinuxI386 => k as LinuxX86_64 | LinuxI386;

/** strace -f's prefix, as `sysgate trace` writes it. */
export const pidPrefix = (pid: number): string => `[pid ${String(pid).padStart(5)}] `;

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
