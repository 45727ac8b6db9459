// What every booted kernel model does on its one CPU, whatever the architecture: run a task,
// hand exceptions to the IDT (Unicorn reports them to a hook instead), run the exception
// handlers, dispatch syscalls through the table, and end the task. linux_x86_64.ts and
// linux_i386.ts add the boot and the syscall entry paths of each architecture.

import type { Cpu } from "./cpu.js";
import { HookRegistry, type CpuState, type HookPoint, type Mechanism, type SyscallEvent } from "./hooks.js";
import { SymbolTable } from "./symbols.js";
import type { VdsoMapping } from "./vdso/vdso_mapping.js";
import { SyscallDispatcher, type SyscallOutcome } from "./entry/common.js";
import { IDT_TRAPS, idtEntryFor, type IdtEntry } from "./entry/idtentry.js";
import { InterruptDeliverer, type InterruptDelivery } from "./entry/interrupt.js";
import { KernelContext } from "./entry/kernel_context.js";
import type { KernelText } from "./entry/kernel_text.js";
import { PtRegs } from "./entry/pt_regs.js";
import { CORE_SIGNALS, SIGSEGV, TRAP_NAMES, X86_TRAP, signalForTrap } from "./entry/traps.js";
import type { KernelState } from "./kernel.js";
import type { MmStruct } from "./mm/mm_struct.js";
import type { PhysMem } from "./mm/phys.js";
import type { Task } from "./sched/task.js";
import { allSyscalls } from "./syscalls/index.js";
import { SyscallTable } from "./syscalls/table.js";
import type { Abi, SyscallArgs, SyscallContext } from "./syscalls/types.js";

export interface ExitState {
  /** exit status (0..255) when the task exited, undefined when a signal killed it. */
  code?: number;
  signal?: number;
  core?: boolean;
  /** For a death by signal: what happened, for the shell-like message. */
  detail?: string;
}

/** The kernel data areas every architecture has, as the CPU sees them (va) and in RAM (pa). */
export interface KernelArea { va: bigint; pa: number; size: number }

export abstract class LinuxKernel {
  readonly table: SyscallTable;
  readonly dispatcher: SyscallDispatcher;
  exited: ExitState | undefined;
  /** The CPL 0 state every kernel entry starts from, saved at the first switch to user mode. */
  protected readonly kctx: KernelContext;
  protected interrupts!: InterruptDeliverer;
  /** An exception or INT n the CPU raised, delivered once the engine has stopped. */
  private pending: { vector: number; cr2: bigint } | undefined;
  lastInterrupt: InterruptDelivery | undefined;
  lastSyscall: SyscallOutcome | undefined;
  protected firstUser: { ip: bigint; sp: bigint } | undefined;
  private task_: Task | undefined;
  /** The hooks of the interception points (DESIGN.md section 3). */
  readonly hooks = new HookRegistry();
  /** Names for addresses: kernel text here, the program and the vDSO added by exec(). */
  readonly symbols = new SymbolTable();
  vdso: VdsoMapping | undefined;
  /** Functions of the program with a `function` hook trap installed. */
  private readonly watched = new Set<string>();
  /** The argument registers' pt_regs fields, in order. */
  protected abstract readonly argFields: readonly ("di" | "si" | "dx" | "r10" | "r8" | "r9" | "bx" | "cx" | "bp")[];

  abstract readonly text: KernelText;
  /** The first page of the physically contiguous kernel data block (GDT first). */
  protected abstract readonly dataBlock: KernelArea;
  abstract readonly entryPoint: bigint;
  abstract newMm(): MmStruct;
  protected abstract switchToUser(): void;

  constructor(readonly cpu: Cpu, readonly phys: PhysMem, readonly kernel: KernelState, readonly abi: Abi,
    opts: { warnUnimplemented: boolean }) {
    this.table = new SyscallTable(abi, allSyscalls);
    this.dispatcher = new SyscallDispatcher(this.table, (m) => kernel.warn(m), opts.warnUnimplemented);
    this.kctx = new KernelContext(cpu);
    this.hooks.onFirst = (point) => this.installHookTraps(point);
  }

  /**
   * Traps that only exist while someone listens: the entry stubs, the return instructions and
   * the vDSO functions each cost a call into JS per execution, so they are set up on demand.
   */
  protected installHookTraps(point: HookPoint): void {
    const traps = this.hookTraps(point);
    for (const [addr, fn] of traps) this.cpu.onExecute(addr, fn);
    if (traps.length) this.cpu.flushCode(); // hooks apply to code translated from now on
  }

  protected hookTraps(point: HookPoint): [bigint, () => void][] {
    if (point !== "vdso" || !this.vdso) return [];
    const served = [...this.vdso.image.symbols.keys()].filter((n) => !/vsyscall|sigreturn/.test(n));
    return served.map((name) => [this.vdso!.sym(name), () => {
      this.hooks.emit("vdso", { point: "vdso", mechanism: "vdso", pid: this.task.pid, function: name,
        address: this.vdso!.sym(name), args: this.userArgs() });
      this.checkPause();
    }]);
  }

  /** The first argument registers of a user-mode function call (SysV ABIs). */
  protected abstract userArgs(): bigint[];

  /** Hooks a program function by ELF symbol: every call to it emits a `function` event. */
  watchFunction(name: string): void {
    if (this.watched.has(name)) return;
    const sym = this.symbols.get(name);
    if (!sym) throw new Error(`no function '${name}' in the program's symbol table`);
    this.watched.add(name);
    this.cpu.onExecute(sym.address, () => {
      if (!this.hooks.has("function")) return;
      const sp = this.cpu.get(this.cpu.bits === 64 ? "rsp" : "esp");
      const returnAddress = this.cpu.bits === 64 ? this.task.mm.readU64(sp) : BigInt(this.task.mm.readU32(sp));
      this.hooks.emit("function", { point: "function", pid: this.task.pid, symbol: name, address: sym.address,
        args: this.userArgs(), returnAddress });
      this.checkPause();
    });
    this.cpu.flushCode();
  }

  /** After a hook: a pause() stops the CPU once the current hook returns. */
  protected checkPause(): void {
    if (this.hooks.pauseRequested) this.cpu.stop();
  }

  /** CPL, CS:IP, SS:SP and flags now. */
  protected cpuState(): CpuState {
    const b = this.cpu.bits === 64;
    const cs = Number(this.cpu.get("cs"));
    return { cpl: cs & 3, cs, ip: this.cpu.get(b ? "rip" : "eip"), ss: Number(this.cpu.get("ss")),
      sp: this.cpu.get(b ? "rsp" : "esp"), flags: this.cpu.get(b ? "rflags" : "eflags") };
  }

  /** Hooks shared by both architectures; subclasses call this once their text is known. */
  protected installCommonHooks(idt: { va: bigint }, tss: { va: bigint }): void {
    this.interrupts = new InterruptDeliverer(this.cpu.bits, this.kctx, this.phys.mem, (va) => this.kernelPa(va), idt, tss);
    for (const [name, addr] of this.text.symbols) if (!name.includes(".")) this.symbols.add(name, addr);
    this.cpu.onExecute(this.text.sym("boot_user_switch"), () => this.switchToUser());
    for (const t of IDT_TRAPS) this.cpu.onExecute(this.text.sym(t.handler), () => this.do_trap(t));
    this.cpu.onInterrupt((v) => this.onInterrupt(v));
  }

  get task(): Task {
    if (!this.task_) throw new Error("no task: call exec() first");
    return this.task_;
  }

  /** Makes `task` current and arranges its first return to user mode (start_thread). */
  exec(task: Task, ip: bigint, sp: bigint, vdso?: VdsoMapping): void {
    this.task_ = task;
    this.vdso = vdso;
    if (vdso) for (const [name, off] of vdso.image.symbols) this.symbols.add(name, vdso.base + BigInt(off));
    this.cpu.set("cr3", task.mm.pgd.root);
    this.firstUser = { ip, sp };
  }

  /** A kernel data address in guest RAM (the data block is physically contiguous). */
  kernelPa(va: bigint): number {
    return this.dataBlock.pa + Number(va - this.dataBlock.va);
  }

  /** pt_regs at the address a stub passed (RDI on x86-64, EAX on i386). */
  protected ptRegs(va: bigint): PtRegs {
    return new PtRegs(this.phys.mem, this.kernelPa(va), va, this.cpu.bits);
  }

  protected context(): SyscallContext {
    return {
      abi: this.abi, task: this.task, mem: this.task.mm, cpu: this.cpu,
      exit: (code, signal) => this.exit({ code: signal ? undefined : code, signal }),
    };
  }

  /**
   * The generic entry (interception points 5, 6 and 7): hooks on every syscall, then the slot's
   * own hooks, then the service routine unless a hook skipped it, then the exit hooks; the result
   * goes to regs->ax.
   */
  protected syscall(regs: PtRegs, nr: number, args: SyscallArgs, mechanism: Exclude<Mechanism, "vdso">): void {
    const slot = this.table.slot(nr);
    let skipped: bigint | undefined;
    let callArgs = args;
    if (this.hooks.has("syscall_entry") || slot?.hooks.length) {
      const mk = (point: "syscall_entry" | "service") => ({
        point, mechanism, pid: this.task.pid, nr, name: slot?.name, entryPoint: slot?.entry ?? undefined,
        args: [...callArgs], ptRegs: regs.va, skip: (r: bigint | number) => { skipped = BigInt(r); },
      });
      const apply = (e: SyscallEvent) => {
        if (e.args.some((v, i) => v !== callArgs[i])) {
          callArgs = e.args.slice(0, 6).map((v) => BigInt.asUintN(this.cpu.bits, v)) as unknown as SyscallArgs;
          this.argFields.forEach((f, i) => regs.set(f, callArgs[i])); // as a ptrace SETREGS would
        }
      };
      if (this.hooks.has("syscall_entry")) apply(this.hooks.emit("syscall_entry", mk("syscall_entry")));
      if (skipped === undefined && slot?.hooks.length) {
        const e = this.hooks.stamp<"service">(mk("service"));
        for (const h of slot.hooks) h(e);
        apply(e);
      }
    }
    const outcome = skipped !== undefined
      ? { nr, slot, args: callArgs, result: skipped }
      : this.dispatcher.dispatch(this.context(), nr, callArgs);
    if (this.hooks.has("syscall_exit")) {
      const e = this.hooks.emit("syscall_exit", {
        point: "syscall_exit", mechanism, pid: this.task.pid, nr, name: slot?.name, entryPoint: slot?.entry ?? undefined,
        args: [...callArgs], result: BigInt.asIntN(64, outcome.result), skipped: skipped !== undefined, implemented: !!slot?.impl,
      });
      outcome.result = e.result;
    }
    this.lastSyscall = outcome;
    regs.set("ax", outcome.result);
    this.checkPause();
  }

  /** A hook on one syscall, by name or number (interception point 6). */
  onSyscall(nameOrNr: string | number, fn: (e: SyscallEvent) => void): () => void {
    const slot = this.table.lookup(String(nameOrNr));
    if (!slot) throw new Error(`no syscall '${nameOrNr}' in the ${this.abi} table`);
    slot.hooks.push(fn);
    return () => {
      const i = slot.hooks.indexOf(fn);
      if (i >= 0) slot.hooks.splice(i, 1);
    };
  }

  exit(state: ExitState): void {
    this.exited ??= state;
    this.cpu.stop();
  }

  /** force_sig: a fatal signal for the current task. */
  kill(signal: number, detail: string): void {
    this.exit({ signal, core: CORE_SIGNALS.has(signal), detail });
  }

  /**
   * An exception or `int n` from the CPU. Unicorn calls this hook instead of using the IDT;
   * the delivery happens after the engine stops (resume()), from a clean CPU state.
   */
  private onInterrupt(vector: number): void {
    const cpu = this.cpu;
    if ((cpu.get("cs") & 3n) === 0n) {
      const ip = cpu.get(cpu.bits === 64 ? "rip" : "eip");
      this.exit({ signal: SIGSEGV, detail: `kernel oops: ${TRAP_NAMES[vector] ?? `vector ${vector}`} in kernel mode at ip 0x${ip.toString(16)}` });
      return;
    }
    this.onSoftwareInterrupt(vector);
    this.pending = { vector, cr2: vector === X86_TRAP.PF ? cpu.get("cr2") : 0n };
    cpu.stop();
  }

  /** An INT n or exception seen before its delivery (i386 reports `int $0x80` here). */
  protected onSoftwareInterrupt(_vector: number): void {}

  /** An exception the engine reported by its return code rather than a hook (#UD). */
  raise(vector: number): void {
    this.pending = { vector, cr2: 0n };
  }

  /**
   * Called by the run loop whenever the CPU stopped without the task ending: delivers a pending
   * exception through the IDT and returns where the CPU continues.
   */
  resume(): bigint {
    const p = this.pending;
    const ipReg = this.cpu.bits === 64 ? "rip" : "eip";
    if (!p) return this.cpu.get(ipReg);
    this.pending = undefined;
    const software = p.vector >= 32 || p.vector === X86_TRAP.BP || p.vector === X86_TRAP.OF;
    let vector = p.vector;
    let errorCode: bigint | undefined;
    if (vector === X86_TRAP.PF) errorCode = BigInt(this.task.mm.faultErrorCode(p.cr2, this.cpu.get(ipReg), true));
    else if (idtEntryFor(vector)?.errorCode) errorCode = 0n;
    let d = this.interrupts.deliver(vector, errorCode, software);
    if ("gp" in d) {
      // INT n through a gate the caller may not use: #GP with the IDT index as error code
      vector = X86_TRAP.GP;
      d = this.interrupts.deliver(vector, d.gp, false);
      if ("gp" in d) throw new Error("the #GP gate itself cannot be delivered");
    }
    if (vector === X86_TRAP.PF) this.cpu.set("cr2", p.cr2); // the kernel context restore reloaded CR2
    this.lastInterrupt = d;
    this.kernel.tick();
    this.onDelivered(d);
    return d.gate.offset;
  }

  /** A delivery of a vector the architecture handles itself (int $0x80 on i386). */
  protected onDelivered(_d: InterruptDelivery): void {}

  /** The "C" exception handlers (arch/x86/kernel/traps.c, arch/x86/mm/fault.c). */
  private do_trap(t: IdtEntry): void {
    const regs = this.ptRegs(this.cpu.get(this.cpu.bits === 64 ? "rdi" : "eax"));
    const ip = regs.get("ip");
    const user = (regs.get("cs") & 3n) === 3n;
    if (t.vector === X86_TRAP.PF) {
      const addr = this.cpu.get("cr2");
      const ec = Number(regs.get("orig_ax"));
      if (user && this.task.mm.handleFault(addr, ec)) return; // the stub's iret retries the access
      this.kill(SIGSEGV, `page fault at address 0x${addr.toString(16)} (error code 0x${ec.toString(16)}), ip 0x${ip.toString(16)}`);
      return;
    }
    const what = t.vector === X86_TRAP.GP && regs.get("orig_ax") & 2n
      ? `int $0x${(regs.get("orig_ax") >> 3n).toString(16)}: IDT gate DPL 0 < CPL 3, #GP`
      : TRAP_NAMES[t.vector] ?? `exception ${t.vector}`;
    this.kill(signalForTrap(t.vector), `${what} at ip 0x${ip.toString(16)}`);
  }
}

