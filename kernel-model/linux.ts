// What every booted kernel model does on its one CPU, whatever the architecture: run a task,
// hand exceptions to the IDT (Unicorn reports them to a hook instead), run the exception
// handlers, dispatch syscalls through the table, and end the task. linux_x86_64.ts and
// linux_i386.ts add the boot and the syscall entry paths of each architecture.

import type { Cpu } from "./cpu.js";
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
  }

  /** Hooks shared by both architectures; subclasses call this once their text is known. */
  protected installCommonHooks(idt: { va: bigint }, tss: { va: bigint }): void {
    this.interrupts = new InterruptDeliverer(this.cpu.bits, this.kctx, this.phys.mem, (va) => this.kernelPa(va), idt, tss);
    this.cpu.onExecute(this.text.sym("boot_user_switch"), () => this.switchToUser());
    for (const t of IDT_TRAPS) this.cpu.onExecute(this.text.sym(t.handler), () => this.do_trap(t));
    this.cpu.onInterrupt((v) => this.onInterrupt(v));
  }

  get task(): Task {
    if (!this.task_) throw new Error("no task: call exec() first");
    return this.task_;
  }

  /** Makes `task` current and arranges its first return to user mode (start_thread). */
  exec(task: Task, ip: bigint, sp: bigint): void {
    this.task_ = task;
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

  /** The generic entry: dispatch and leave the result in regs->ax. */
  protected syscall(regs: PtRegs, nr: number, args: SyscallArgs): void {
    const outcome = this.dispatcher.dispatch(this.context(), nr, args);
    this.lastSyscall = outcome;
    regs.set("ax", outcome.result);
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
    this.pending = { vector, cr2: vector === X86_TRAP.PF ? cpu.get("cr2") : 0n };
    cpu.stop();
  }

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

