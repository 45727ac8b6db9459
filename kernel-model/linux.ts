// One booted x86-64 Linux kernel model on one CPU, running one task: it wires the CPU's events
// (the SYSCALL instruction, the trap address of do_syscall_64, exceptions) to the entry code.

import { MSR, type Cpu } from "./cpu.js";
import { startKernel64, type Boot64 } from "./boot/setup_64.js";
import * as L from "./boot/layout_64.js";
import { SyscallDispatcher, type SyscallOutcome } from "./entry/common.js";
import { PtRegs } from "./entry/pt_regs.js";
import { IDT_TRAPS, idtEntryFor, type IdtEntry } from "./entry/idtentry.js";
import { InterruptDelivery64, type InterruptDelivery } from "./entry/interrupt_64.js";
import { KernelContext64 } from "./entry/kernel_context.js";
import { SyscallInsn64, type SyscallTransition } from "./entry/syscall_64.js";
import { CORE_SIGNALS, SIGSEGV, TRAP_NAMES, X86_TRAP, signalForTrap } from "./entry/traps.js";
import type { KernelState } from "./kernel.js";
import { MmStruct } from "./mm/mm_struct.js";
import type { PhysMem } from "./mm/phys.js";
import type { Task } from "./sched/task.js";
import { SyscallTable } from "./syscalls/table.js";
import { allSyscalls } from "./syscalls/index.js";
import type { SyscallArgs, SyscallContext } from "./syscalls/types.js";

export interface ExitState {
  /** exit status (0..255) when the task exited, undefined when a signal killed it. */
  code?: number;
  signal?: number;
  core?: boolean;
  /** For a death by signal: what happened, for the shell-like message. */
  detail?: string;
}

const X86_EFLAGS_TF = 0x100n, X86_EFLAGS_RF = 0x10000n;

export class LinuxX86_64 {
  readonly boot: Boot64;
  readonly table: SyscallTable;
  readonly dispatcher: SyscallDispatcher;
  exited: ExitState | undefined;
  /** The CPL 0 register state every kernel entry starts from, saved at the first switch to user mode. */
  private readonly kctx: KernelContext64;
  private readonly syscallInsn: SyscallInsn64;
  private readonly interrupts: InterruptDelivery64;
  /** An exception or INT n the CPU raised, delivered once the engine has stopped. */
  private pending: { vector: number; cr2: bigint } | undefined;
  lastInterrupt: InterruptDelivery | undefined;
  private firstUser: { rip: bigint; rsp: bigint } | undefined;
  /** The last SYSCALL transition, for the generic entry to report alongside the dispatch. */
  lastTransition: SyscallTransition | undefined;
  lastSyscall: SyscallOutcome | undefined;
  private task_: Task | undefined;

  constructor(readonly cpu: Cpu, readonly phys: PhysMem, readonly kernel: KernelState, opts: { warnUnimplemented: boolean }) {
    this.boot = startKernel64(cpu, phys);
    this.table = new SyscallTable("x86_64", allSyscalls);
    this.dispatcher = new SyscallDispatcher(this.table, (m) => kernel.warn(m), opts.warnUnimplemented);
    this.kctx = new KernelContext64(cpu);
    this.syscallInsn = new SyscallInsn64(cpu, this.kctx);
    this.interrupts = new InterruptDelivery64(this.kctx, phys.mem, (va) => this.kernelPa(va), this.boot.idt, this.boot.tss);
    cpu.onExecute(this.boot.text.sym("boot_user_switch"), () => this.switchToUser());
    cpu.onInstruction("syscall", () => this.onSyscallInstruction());
    cpu.onExecute(this.boot.text.sym("do_syscall_64"), () => this.do_syscall_64());
    for (const t of IDT_TRAPS) cpu.onExecute(this.boot.text.sym(t.handler), () => this.do_trap(t));
    cpu.onInterrupt((v) => this.onInterrupt(v));
  }

  get task(): Task {
    if (!this.task_) throw new Error("no task: call exec() first");
    return this.task_;
  }

  /** A fresh user address space whose kernel half is the swapper's (clone_pgd_range). */
  newMm(): MmStruct {
    const mm = new MmStruct(this.phys, { taskSize: L.TASK_SIZE_64, mmapBase: L.MMAP_BASE_64, mmapMin: 0x10000n });
    mm.pgd.shareTopLevel(this.boot.swapper, 256, 256);
    mm.onTlbFlush = (codeChanged) => {
      this.cpu.flushTlb();
      if (codeChanged) this.cpu.flushCode();
    };
    return mm;
  }

  /** Makes `task` current and arranges its first return to user mode at rip with rsp (start_thread). */
  exec(task: Task, rip: bigint, rsp: bigint): void {
    this.task_ = task;
    this.cpu.set("cr3", task.mm.pgd.root);
    this.firstUser = { rip, rsp };
  }

  /** Where the CPU starts: the kernel's first instruction. */
  get entryPoint(): bigint {
    return this.boot.text.sym("startup_64");
  }

  private switchToUser(): void {
    const cpu = this.cpu;
    const { rip, rsp } = this.firstUser!;
    // Save the CPL 0 state with the GS bases as they are on a kernel entry: user GS base live,
    // the per-CPU base parked in KERNEL_GS_BASE for entry_SYSCALL_64's swapgs.
    cpu.set("gs_base", 0n);
    cpu.wrmsr(MSR.KERNEL_GS_BASE, this.boot.percpu.va);
    this.kctx.saveTemplate();
    cpu.set("gs_base", this.boot.percpu.va);
    cpu.wrmsr(MSR.KERNEL_GS_BASE, 0n);
    // The iretq frame (SDM: RIP, CS, RFLAGS, RSP, SS from the lowest address up).
    const frame = this.boot.stackTop - 40n;
    const b = Buffer.alloc(40);
    b.writeBigUInt64LE(rip, 0);
    b.writeBigUInt64LE(BigInt(L.__USER_CS), 8);
    b.writeBigUInt64LE(0x202n, 16); // IF set, as start_thread leaves it
    b.writeBigUInt64LE(rsp, 24);
    b.writeBigUInt64LE(BigInt(L.__USER_DS), 32);
    b.copy(this.phys.mem, this.kernelPa(frame));
    // start_thread: a new program starts with clean registers (rdx = 0: no atexit function)
    for (const r of ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const) cpu.set(r, 0n);
    cpu.set("rsp", frame);
  }

  /** A kernel data address in guest RAM (the data block is physically contiguous). */
  kernelPa(va: bigint): number {
    const d = this.boot.gdt; // the first page of the data block
    return d.pa + Number(va - d.va);
  }

  private onSyscallInstruction(): void {
    this.kernel.tick();
    this.lastTransition = this.syscallInsn.execute();
  }

  /** arch/x86/entry/common.c do_syscall_64, reached through the trap address the stub calls. */
  private do_syscall_64(): void {
    const cpu = this.cpu;
    const regsVa = cpu.get("rdi");
    const regs = new PtRegs(this.phys.mem, this.kernelPa(regsVa), regsVa, 64);
    const nr = Number(BigInt.asIntN(32, regs.get("orig_ax")));
    const args: SyscallArgs = [regs.get("di"), regs.get("si"), regs.get("dx"), regs.get("r10"), regs.get("r8"), regs.get("r9")];
    const outcome = this.dispatcher.dispatch(this.context(), nr, args);
    this.lastSyscall = outcome;
    regs.set("ax", outcome.result);
    // Can the exit use SYSRET? The checks of do_syscall_64's return path.
    const ip = regs.get("ip");
    const sysretOk = regs.get("cx") === ip && regs.get("r11") === regs.get("flags") &&
      regs.get("cs") === BigInt(L.__USER_CS) && regs.get("ss") === BigInt(L.__USER_DS) &&
      ip < 0x800000000000n && (regs.get("flags") & (X86_EFLAGS_RF | X86_EFLAGS_TF)) === 0n;
    cpu.set("rax", sysretOk ? 1n : 0n);
  }

  private context(): SyscallContext {
    return {
      abi: "x86_64", task: this.task, mem: this.task.mm, cpu: this.cpu,
      exit: (code, signal) => this.exit({ code: signal ? undefined : code, signal }),
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
   * the delivery happens after the engine stops (resume()), so that the kernel entry starts
   * from a clean CPU state.
   */
  private onInterrupt(vector: number): void {
    const cpu = this.cpu;
    if ((cpu.get("cs") & 3n) === 0n) {
      const rip = cpu.get("rip");
      this.exit({ signal: SIGSEGV, detail: `kernel oops: ${TRAP_NAMES[vector] ?? `vector ${vector}`} in kernel mode at rip 0x${rip.toString(16)}` + (vector === X86_TRAP.PF ? `, address 0x${cpu.get("cr2").toString(16)}` : "") + ` rsp 0x${cpu.get("rsp").toString(16)} cs 0x${cpu.get("cs").toString(16)} cr3 0x${cpu.get("cr3").toString(16)}` });
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
   * exception through the IDT (SDM 6.14) and returns where the CPU continues.
   */
  resume(): bigint {
    const p = this.pending;
    if (!p) return this.cpu.get("rip");
    this.pending = undefined;
    const software = p.vector >= 32 || p.vector === X86_TRAP.BP || p.vector === X86_TRAP.OF;
    let vector = p.vector;
    let errorCode: bigint | undefined;
    if (vector === X86_TRAP.PF) errorCode = BigInt(this.task.mm.faultErrorCode(p.cr2, this.cpu.get("rip"), true));
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
    return d.gate.offset;
  }

  /** The "C" exception handlers (arch/x86/kernel/traps.c, arch/x86/mm/fault.c). */
  private do_trap(t: IdtEntry): void {
    const regsVa = this.cpu.get("rdi");
    const regs = new PtRegs(this.phys.mem, this.kernelPa(regsVa), regsVa, 64);
    const rip = regs.get("ip");
    const user = (regs.get("cs") & 3n) === 3n;
    if (t.vector === X86_TRAP.PF) {
      const addr = this.cpu.get("cr2");
      const ec = Number(regs.get("orig_ax"));
      if (user && this.task.mm.handleFault(addr, ec)) return; // the stub's iretq retries the access
      this.kill(SIGSEGV, `page fault at address 0x${addr.toString(16)} (error code 0x${ec.toString(16)}), rip 0x${rip.toString(16)}`);
      return;
    }
    const what = t.vector === X86_TRAP.GP && regs.get("orig_ax") & 2n
      ? `int $0x${(regs.get("orig_ax") >> 3n).toString(16)}: IDT gate DPL 0 < CPL 3, #GP`
      : TRAP_NAMES[t.vector] ?? `exception ${t.vector}`;
    this.kill(signalForTrap(t.vector), `${what} at rip 0x${rip.toString(16)}`);
  }
}
