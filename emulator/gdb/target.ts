// The one place where the gdb stub meets the emulator: everything it needs from a run (the
// tasks, a task's registers and address space, one instruction of a task, running until
// something gdb wants to hear about, the fork/exec/exit/syscall events) is here, written
// against today's Machine, where the tasks of an ABI share one kernel, one CPU engine and one
// physical memory, each task with its page-table root and saved CPU state (its thread). The
// protocol side (stub.ts) knows none of that.
//
// Stepping uses Machine.step(1), the same single step `sysgate step` takes: a `syscall`,
// `sysenter` or `int $0x80` is one instruction that lands on the first instruction of the
// kernel's entry stub (the model performs the transition in the engine's instruction hook),
// and `sysretq` / `iret` / `sysexit` are real instructions back to CPL 3.

import { waitStatusKilled } from "../../kernel-model/sched/exit.js";
import type { ExitState, LinuxKernel } from "../../kernel-model/linux.js";
import type { Task } from "../../kernel-model/sched/task.js";
import type { X86Cpu } from "../cpu/x86_cpu.js";
import type { Machine } from "../machine.js";
import { BreakpointTable, CodeHooks } from "./breakpoints.js";
import { decodeSegmentBase } from "./segments.js";
import type { AddressSpace } from "./memory.js";
import type { RegisterFile } from "./registers.js";
import { SIGINT, SIGKILL } from "../../kernel-model/uapi/asm/signal.js";
import { AT } from "../../kernel-model/uapi/linux/auxvec.js";

export type Stop =
  | { kind: "trap"; tid: number; breakpoint?: boolean }
  | { kind: "signal"; tid: number; sig: number }
  | { kind: "syscall_entry" | "syscall_return"; tid: number; nr: number }
  | { kind: "fork"; tid: number; child: number; vfork: boolean }
  | { kind: "vforkdone"; tid: number }
  | { kind: "exec"; tid: number; path: string }
  | { kind: "exited"; pid: number; code: number }
  | { kind: "killed"; pid: number; sig: number };

/** What the protocol asked gdb's side to be told about (qSupported, QCatchSyscalls). */
export interface EventOptions {
  fork: boolean;
  vfork: boolean;
  exec: boolean;
  /** undefined: no catching; empty set: every syscall. */
  syscalls: Set<number> | undefined;
}


const alive = (t: Task) => t.state === "runnable" || t.state === "blocked";

export class Target {
  readonly bits: 64 | 32;
  readonly events: EventOptions = { fork: false, vfork: false, exec: false, syscalls: undefined };
  /** The processes gdb is attached to (a fork's child until gdb detaches it). */
  private readonly attached = new Set<number>();
  private readonly breakpoints = new BreakpointTable();
  private readonly hooks: CodeHooks;
  private readonly stops: Stop[] = [];
  /** Per task: the address a resume starts from, whose breakpoint must not fire at once. */
  private readonly skip = new Map<Task, bigint>();
  /** Per task: stop before this address is executed (its first user instruction). */
  private readonly arrival = new Map<Task, bigint>();
  /** Exec'ed tasks still to be run to their new program's entry (AT_ENTRY). */
  private readonly execEntry = new Map<Task, bigint>();
  /** The syscall-entry call sites and their return addresses, per kernel text. */
  private readonly syscallSites = new WeakMap<LinuxKernel, { calls: Set<bigint>; returns: Set<bigint> }>();
  /** A stepped task that sleeps: the run pauses as soon as it is woken. */
  private waitingFor: Task | undefined;
  private readonly vforkChildren = new Map<number, number>();
  private pauseLocal = false;
  /**
   * Machines that ran freely since their translations were last flushed. Unicorn counts the
   * instructions of a single step only in blocks translated while counting, so a step after a
   * free run first drops the old translations (TB flush), or it would run on past the step.
   */
  private readonly ranFree = new Set<LinuxKernel>();
  private exitState: ExitState | undefined;

  constructor(readonly machine: Machine, private readonly interrupted: () => boolean) {
    this.bits = machine.kernel.cpu.bits;
    // a whole TB flush costs 0.4-4 s with 1 GiB of guest RAM: drop the blocks of that one instruction
    this.hooks = new CodeHooks((k, a) => this.onCode(k, a), (k, a) => (k.cpu as X86Cpu).uc.removeCache(a, a + 1n));
    this.attached.add(machine.task.pid);
    // A pause is asked for by our hooks, or by gdb's interrupt byte from the connection thread.
    const reg = machine.hooks;
    Object.defineProperty(reg, "pauseRequested", {
      get: () => this.pauseLocal || this.interrupted(),
      set: (v: boolean) => { this.pauseLocal = v; },
      configurable: true,
    });
    reg.on("process", (e) => this.onProcess(e.pid, e.action, e.child, e.program, e.status));
    const sched = machine.kstate.sched;
    const wake = sched.wake.bind(sched);
    sched.wake = (t: Task) => {
      wake(t);
      if (t === this.waitingFor && t.state === "runnable") this.pauseLocal = true;
    };
    this.prepare(machine.task.machine, machine.task);
  }

  // ---- tasks --------------------------------------------------------------------------------

  /** The first process (its end is the run's end). */
  get firstPid(): number { return this.machine.task.pid; }

  /** A task that runs guest code (pid 1 and the first process's parent run none: gdb cannot attach to them). */
  task(tid: number): Task | undefined {
    const t = this.machine.kstate.sched.tasks.get(tid);
    return t && alive(t) && !this.machine.kstate.sched.isStandIn(t) ? t : undefined;
  }

  /** The live tasks (threads included) of the processes gdb is attached to, in pid order. */
  tasks(): Task[] {
    return [...this.machine.kstate.sched.tasks.values()].filter((t) => alive(t) && this.attached.has(t.tgid)).sort((x, y) => x.pid - y.pid);
  }

  isAttached(pid: number): boolean { return this.attached.has(pid); }

  /** The task the CPU ran last (where an interrupt is reported). */
  currentTid(): number {
    const c = this.machine.kstate.sched.current;
    return c && this.attached.has(c.tgid) && this.task(c.pid) ? c.pid : this.tasks()[0]?.pid ?? this.firstPid;
  }

  get ended(): ExitState | undefined { return this.exitState; }

  // ---- registers and memory -----------------------------------------------------------------

  registers(tid: number): RegisterFile | undefined {
    const t = this.task(tid);
    if (!t) return undefined;
    const k = t.machine;
    const cpu = k.cpu as X86Cpu;
    const bits = cpu.bits;
    // the CPU holds the registers of its current task; another task's are in its saved context,
    // which context_switch puts back (the run loop switches to whichever task it runs next)
    const on = () => k.switchTo(t);
    const nx = bits === 64 ? 16 : 8;
    // the x87/SSE state as X86Cpu.xsave lays it out: 16-byte slots, XMMs, ST0-7, MXCSR, FPCW, FPSW, FPTAG
    const slot = (name: string): number | undefined => {
      let m: RegExpExecArray | null;
      if ((m = /^xmm(\d+)$/.exec(name))) return Number(m[1]);
      if ((m = /^st(\d)$/.exec(name))) return nx + Number(m[1]);
      return { mxcsr: nx + 8, fctrl: nx + 9, fstat: nx + 10, ftag: nx + 11 }[name];
    };
    const ip = bits === 64 ? "rip" : "eip";
    const orig = () => this.origAx(t);
    const segBase = (seg: "fs" | "gs") => {
      if (bits === 64) return seg === "fs" ? cpu.get("fs_base") : cpu.get("gs_base");
      return decodeSegmentBase(Number(cpu.get(seg)), cpu.getTable("gdtr").base, (va, n) => this.readKernel(t, va, n));
    };
    return {
      bits,
      get: (name) => {
        on();
        if (name === "eflags") return cpu.get(bits === 64 ? "rflags" : "eflags");
        if (name === "orig_rax" || name === "orig_eax") return orig();
        if (name === "fs_base" || name === "gs_base") return segBase(name === "fs_base" ? "fs" : "gs");
        return cpu.get(name as Parameters<X86Cpu["get"]>[0]);
      },
      set: (name, value) => {
        on();
        if (name === "orig_rax" || name === "orig_eax") return; // only meaningful inside a syscall stop
        if (bits === 32 && (name === "fs_base" || name === "gs_base")) return; // i386 bases come from the GDT
        if (name === "eflags") return cpu.set(bits === 64 ? "rflags" : "eflags", value);
        if (/^(cs|ss|ds|es|fs|gs)$/.test(name)) return; // a selector write cannot change CPL or load a descriptor here
        cpu.set(name as Parameters<X86Cpu["set"]>[0], BigInt.asUintN(bits, value));
        if (name === ip) t.thread.pc = BigInt.asUintN(bits, value);
      },
      fp: (name) => {
        on();
        const s = slot(name);
        const buf = Buffer.alloc(cpu.xstateSize);
        cpu.xsave(buf);
        return s === undefined ? Buffer.alloc(4) : buf.subarray(s * 16, s * 16 + 16);
      },
      setFp: (name, value) => {
        on();
        const s = slot(name);
        if (s === undefined) return;
        const buf = Buffer.alloc(cpu.xstateSize);
        cpu.xsave(buf);
        value.copy(buf, s * 16, 0, Math.min(16, value.length));
        cpu.xrstor(buf);
      },
    };
  }

  /** orig_ax as ptrace shows it: the syscall number while inside one (a syscall stop), else -1. */
  private origAx(t: Task): bigint {
    const s = this.lastStop;
    const inSyscall = s && (s.kind === "syscall_entry" || s.kind === "syscall_return") && s.tid === t.pid;
    return inSyscall ? BigInt.asUintN(this.bits, BigInt(s.nr)) : BigInt.asUintN(this.bits, -1n);
  }

  private readKernel(t: Task, va: bigint, n: number): Buffer | undefined {
    const pte = t.mm.pgd.lookup(va & ~0xfffn);
    if (!pte) return undefined;
    const pa = pte.pa + Number(va & 0xfffn);
    return Buffer.from(t.machine.phys.mem.subarray(pa, pa + n));
  }

  addressSpace(tid: number): AddressSpace | undefined {
    const t = this.task(tid);
    if (!t) return undefined;
    const k = t.machine;
    const text = k.text;
    const mm = t.mm;
    return {
      taskSize: mm.layout.taskSize,
      limit: 1n << BigInt(k.cpu.bits),
      kernelText: [text.base, text.base + BigInt(text.bytes.length)],
      readUser: (a, n) => mm.peek(a, n),
      writeUser: (a, d) => {
        mm.poke(a, d);
        k.switchTo(t);
        (k.cpu as X86Cpu).uc.removeCache(a, a + BigInt(d.length)); // the bytes may be code that already ran
      },
      lookup: (va) => mm.pgd.lookup(va),
      phys: k.phys.mem,
    };
  }

  /** The auxiliary vector the program started with (qXfer:auxv:read), read back from its stack. */
  auxv(tid: number): Buffer | undefined {
    const t = this.task(tid);
    if (!t) return undefined;
    const w = this.bits / 8;
    const mm = t.mm;
    const word = (a: bigint) => (w === 8 ? mm.peek(a, 8).readBigUInt64LE() : BigInt(mm.peek(a, 4).readUInt32LE()));
    try {
      let p = mm.startStack;
      const argc = word(p);
      p += BigInt(w) * (argc + 2n); // argc, argv[], NULL
      while (word(p) !== 0n) p += BigInt(w); // envp[]
      p += BigInt(w);
      const start = p;
      for (let i = 0; i < 64 && word(p) !== 0n; i++) p += 2n * BigInt(w);
      return mm.peek(start, Number(p - start) + 2 * w);
    } catch {
      return undefined;
    }
  }

  /** The program file of a process, as a host path gdb can open. */
  execFile(pid: number): string | undefined {
    return this.task(pid)?.exe.hostPath || undefined;
  }

  // ---- breakpoints --------------------------------------------------------------------------

  insertBreakpoint(tid: number, addr: bigint): boolean {
    const t = this.task(tid);
    if (!t) return false;
    this.breakpoints.insert(t.tgid, addr);
    t.machine.switchTo(t); // the translations to drop are those of this address space
    this.hooks.ensure(t.machine, addr);
    return true;
  }

  removeBreakpoint(tid: number, addr: bigint): boolean {
    const t = this.task(tid);
    if (!t) return false;
    this.breakpoints.remove(t.tgid, addr);
    return true;
  }

  // ---- running ------------------------------------------------------------------------------

  private lastStop: Stop | undefined;

  /** The first process at its first user instruction (the boot code of its machine run). */
  bootFirst(): void {
    this.bootToUser(this.machine.task);
  }

  /** Runs every task until something gdb is told about (or step one instruction of `step`). */
  resume(step?: number): Stop {
    const s = this.stops.length ? this.stops.shift()! : step !== undefined ? this.stepTask(step) : this.run();
    this.lastStop = s;
    return s;
  }

  private rootEnded(r: ExitState): Stop {
    this.exitState = r;
    const pid = this.firstPid;
    return r.signal !== undefined ? { kind: "killed", pid, sig: r.signal } : { kind: "exited", pid, code: r.code ?? 0 };
  }

  private run(until?: () => boolean): Stop {
    if (this.exitState) return this.rootEnded(this.exitState);
    this.armSkips();
    for (;;) {
      for (const t of this.machine.kstate.sched.live()) this.ranFree.add(t.machine);
      const r = this.machine.run();
      if (!r.paused) return this.rootEnded(r);
      if (this.stops.length) return this.finish(this.stops.shift()!);
      if (this.interrupted()) return { kind: "signal", tid: this.currentTid(), sig: SIGINT };
      if (until?.()) return { kind: "trap", tid: this.currentTid() };
    }
  }

  /** One instruction of task `tid` (a sleeping task is first waited for, the others running meanwhile). */
  private stepTask(tid: number): Stop {
    const t = this.task(tid);
    if (!t) return this.run();
    if (this.exitState) return this.rootEnded(this.exitState);
    if (t.state === "blocked") {
      this.waitingFor = t;
      try {
        const s = this.run(() => t.state === "runnable");
        if (s.kind !== "trap" || (t.state as string) !== "runnable") return s;
      } finally {
        this.waitingFor = undefined;
      }
      // woken: the step is its next instruction, below
    }
    this.switchTo(t);
    this.armSkips();
    if (this.ranFree.delete(t.machine)) t.machine.cpu.flushCode();
    const r = this.machine.step(1);
    if (!r.paused) return this.rootEnded(r);
    if (this.stops.length) return this.finish(this.stops.shift()!);
    if (!this.task(tid)) return this.run(); // it ended in that instruction: gdb hears of it from the run
    return { kind: "trap", tid };
  }

  /** Makes `t` the task the run loop continues with (the one that ran is queued again). */
  private switchTo(t: Task): void {
    const cur = this.machine.continuing;
    if (cur && cur !== t) this.machine.kstate.sched.requeue(cur);
    this.machine.continueWith(t);
  }

  /** Where each attached task resumes, a breakpoint there must let it through once. */
  private armSkips(): void {
    this.skip.clear();
    for (const t of this.tasks()) this.skip.set(t, t.thread.pc);
  }

  /**
   * Runs `t` alone until it is about to execute `ip` (its first user instruction), as free runs:
   * single-stepping a task's way to user mode (Unicorn's instruction count through the boot or
   * ret_from_fork) left glibc programs hanging in the next free run, so steps are kept for user
   * code and the entry paths gdb walks.
   */
  private runTo(t: Task, ip: bigint): void {
    const save = this.machine.continuing;
    this.arrival.set(t, ip);
    t.machine.switchTo(t);
    this.hooks.ensure(t.machine, ip);
    this.switchTo(t);
    for (let i = 0; i < 16 && this.arrival.has(t) && alive(t); i++) {
      for (const x of this.machine.kstate.sched.live()) this.ranFree.add(x.machine);
      const r = this.machine.run();
      if (!r.paused) { this.exitState = r; break; }
    }
    this.arrival.delete(t);
    if (save && save !== t && this.task(save.pid)) this.switchTo(save);
  }

  /** A task that has not reached user mode yet (the boot, or a fork's child) is run to its first user instruction. */
  private bootToUser(t: Task): void {
    const first = t.thread.first;
    if (!first || !alive(t)) return;
    this.runTo(t, first.fork ? first.fork.regs.ip : first.ip);
  }

  /** A stop that may need a forked or exec'ed task brought to its first user instruction. */
  private finish(s: Stop): Stop {
    if (s.kind === "fork") {
      const child = this.task(s.child);
      if (child) {
        s.vfork = child.vforkParent?.pid === s.tid;
        if (s.vfork) this.vforkChildren.set(child.pid, s.tid);
        this.bootToUser(child);
        const parent = this.task(s.tid);
        if (parent) this.switchTo(parent);
      }
    } else if (s.kind === "exec") {
      const t = this.task(s.tid);
      const entry = t && this.execEntry.get(t);
      if (t && entry !== undefined) {
        this.execEntry.delete(t);
        this.runTo(t, entry);
        this.prepare(t.machine, t);
      }
    }
    return s;
  }

  // ---- events -------------------------------------------------------------------------------

  /** Hooks a machine needs whatever gdb asks: the syscall-stop sites of its kernel text. */
  private prepare(k: LinuxKernel, t: Task): void {
    const sites = this.syscallSites.get(k) ?? findSyscallCalls(k);
    this.syscallSites.set(k, sites);
    if (this.events.syscalls) for (const a of [...sites.calls, ...sites.returns]) this.hooks.ensure(k, a);
    for (const a of this.breakpoints.of(t.tgid)) this.hooks.ensure(k, a);
  }

  /** QCatchSyscalls: undefined stops catching, an empty set catches every syscall. */
  catchSyscalls(set: Set<number> | undefined): void {
    this.events.syscalls = set;
    if (!set) return;
    for (const t of this.tasks()) {
      const sites = this.syscallSites.get(t.machine) ?? findSyscallCalls(t.machine);
      this.syscallSites.set(t.machine, sites);
      for (const a of [...sites.calls, ...sites.returns]) this.hooks.ensure(t.machine, a);
    }
  }

  private stopHere(k: LinuxKernel, s: Stop): void {
    this.stops.push(s);
    this.pauseLocal = true;
    k.cpu.stop();
  }

  /** Every code hook of the stub lands here, before the instruction at `addr` runs. */
  private onCode(k: LinuxKernel, addr: bigint): void {
    const t = k.current; // the task whose instruction this is
    if (!t || !alive(t)) return;
    if (this.arrival.get(t) === addr) {
      this.arrival.delete(t);
      this.pauseLocal = true;
      k.cpu.stop();
      return;
    }
    if (this.skip.get(t) === addr) {
      this.skip.delete(t);
      return;
    }
    this.skip.delete(t); // the task has moved on from where it resumed
    if (!this.attached.has(t.tgid)) return;
    if (this.breakpoints.has(t.tgid, addr)) {
      this.stopHere(k, { kind: "trap", tid: t.pid, breakpoint: true });
      return;
    }
    const sites = this.syscallSites.get(k);
    const want = this.events.syscalls;
    if (!sites || !want) return;
    const entry = sites.calls.has(addr);
    if (!entry && !sites.returns.has(addr)) return;
    // pt_regs: the stub's first argument at the call (RDI / EAX); right after it, the stack pointer
    const bits = k.cpu.bits;
    const regsVa = entry ? k.cpu.get(bits === 64 ? "rdi" : "eax") : k.cpu.get(bits === 64 ? "rsp" : "esp");
    const nr = Number(BigInt.asIntN(32, k.ptRegs(regsVa).get("orig_ax")));
    if (want.size && !want.has(nr)) return;
    this.stopHere(k, { kind: entry ? "syscall_entry" : "syscall_return", tid: t.pid, nr });
  }

  /** AT_ENTRY of a task's auxiliary vector: where its program starts. */
  private entryOf(tid: number): bigint | undefined {
    const a = this.auxv(tid);
    if (!a) return undefined;
    const w = this.task(tid)!.machine.cpu.bits / 8;
    for (let o = 0; o + 2 * w <= a.length; o += 2 * w) {
      const key = w === 8 ? a.readBigUInt64LE(o) : BigInt(a.readUInt32LE(o));
      const val = w === 8 ? a.readBigUInt64LE(o + w) : BigInt(a.readUInt32LE(o + w));
      if (key === BigInt(AT.AT_ENTRY)) return val;
    }
    return undefined;
  }

  /** fork, exec and exit of a task, from inside the kernel (the CPU is running: no translation flush here). */
  private onProcess(pid: number, action: "fork" | "exec" | "exit", child?: number, program?: string, status?: number): void {
    const t = this.machine.kstate.sched.tasks.get(pid);
    if (!t) return;
    if (action === "fork" && child !== undefined && this.attached.has(t.tgid)) {
      const c = this.machine.kstate.sched.tasks.get(child);
      if (!c || c.tgid === t.tgid) return; // a new thread: gdb finds it in the thread list at the next stop
      if (!this.events.fork && !this.events.vfork) return; // gdb cannot follow it: the child runs free
      // the child shares the parent's kernel and code frames: the parent's hooks are its hooks
      this.attached.add(c.pid);
      this.breakpoints.inherit(t.tgid, c.pid);
      this.stops.push({ kind: "fork", tid: pid, child, vfork: false });
      this.pauseLocal = true;
      return;
    }
    if ((action === "exec" || action === "exit") && this.vforkChildren.has(pid)) {
      const parent = this.vforkChildren.get(pid)!;
      this.vforkChildren.delete(pid);
      if (this.attached.has(parent) && this.events.vfork) this.stops.push({ kind: "vforkdone", tid: parent });
    }
    if (action === "exec" && this.attached.has(t.tgid)) {
      this.breakpoints.clear(t.tgid); // a new address space: gdb inserts its breakpoints again
      if (this.events.exec) {
        this.stops.push({ kind: "exec", tid: pid, path: this.execFile(pid) ?? program ?? "" });
        // once the CPU has stopped, finish() runs the task to its new program's first instruction
        const entry = this.entryOf(pid);
        if (entry !== undefined) this.execEntry.set(t, entry);
        this.pauseLocal = true;
      }
      return;
    }
    // a process ends with its thread-group leader (a thread's end is not a process exit)
    if (action === "exit" && status !== undefined && pid !== this.firstPid && t.pid === t.tgid && this.attached.has(t.tgid)) {
      this.attached.delete(t.tgid);
      this.stops.push(status & 0x7f ? { kind: "killed", pid, sig: status & 0x7f } : { kind: "exited", pid, code: (status >> 8) & 0xff });
      this.pauseLocal = true;
    }
  }

  // ---- ending -------------------------------------------------------------------------------

  /** gdb leaves one process (D;pid): its breakpoints go, it runs on unobserved. */
  detach(pid: number): void {
    this.attached.delete(pid);
    this.breakpoints.clear(pid);
  }

  /** gdb leaves: nothing stops the run any more. */
  detachAll(): void {
    for (const p of [...this.attached]) this.detach(p);
    this.events.syscalls = undefined;
    this.stops.length = 0;
  }

  /** Runs to the end with no one watching (after a detach). */
  runToEnd(): ExitState {
    if (this.exitState) return this.exitState;
    this.exitState = this.machine.runToEnd();
    return this.exitState;
  }

  /** k / vKill, or gdb gone: SIGKILL to every task; the run ends with the first one's death. */
  kill(pid?: number): ExitState {
    const live = this.machine.kstate.sched.live().filter((t) => pid === undefined || t.tgid === pid);
    for (const t of live) t.machine.exitTask(waitStatusKilled(SIGKILL, false), t);
    if (pid !== undefined && pid !== this.firstPid) {
      this.attached.delete(pid);
      return { signal: SIGKILL };
    }
    this.detachAll();
    return this.runToEnd();
  }

  /** The stop-request words of every engine (the connection thread sets them on an interrupt: emulator/cpu/stop_request.ts). */
  engineStopWords(): SharedArrayBuffer[] {
    return [...new Set(this.machine.kstate.sched.live().map((t) => t.machine))]
      .flatMap((k) => (k.cpu as X86Cpu).stopRequest()?.buffer ?? []);
  }
}

/**
 * The `call do_*syscall*` instructions of a kernel text (E8 rel32 to a syscall trap): the
 * syscall-entry stop is at the call, with pt_regs built; the syscall-return stop right after it,
 * where Linux's ptrace stops are (syscall_trace_enter / syscall_exit_work).
 */
function findSyscallCalls(k: LinuxKernel): { calls: Set<bigint>; returns: Set<bigint> } {
  const text = k.text;
  const targets = new Set([...text.symbols].filter(([n]) => /^do_\w*syscall\w*$/.test(n)).map(([, a]) => a));
  const calls = new Set<bigint>(), returns = new Set<bigint>();
  const b = text.bytes;
  for (let i = 0; i + 5 <= b.length; i++) {
    if (b[i] !== 0xe8) continue;
    const next = text.base + BigInt(i + 5);
    const dest = BigInt.asUintN(k.cpu.bits, next + BigInt(b.readInt32LE(i + 1)));
    if (!targets.has(dest)) continue;
    calls.add(text.base + BigInt(i));
    returns.add(next);
  }
  return { calls, returns };
}

