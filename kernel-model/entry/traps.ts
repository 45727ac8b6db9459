// The exceptions (Linux arch/x86/kernel/traps.c, and arch/x86/mm/fault.c for #PF): Unicorn reports
// an exception or `int n` by vector to a hook instead of using the IDT, so the model delivers it
// through the IDT once the engine stopped, a user page fault from the hook itself
// (entry/interrupt.ts); the stub (asm_exc_*) calls the C
// handler (exc_*), a model call handled here: a page fault inside a mapping is resolved,
// everything else becomes the signal Linux sends, delivered on the exception's return path.

import type { Cpu } from "../cpu.js";
import { OutOfMemory, VM_FAULT_OK, VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV, type VmFault } from "../mm/mm_struct.js";
import { waitStatusKilled } from "../sched/exit.js";
import { sigmask } from "../sched/signal.js";
import type { SigInfo, Task } from "../sched/task.js";
import type { Scheduler } from "../sched/scheduler.js";
import { SIG_IGN } from "../uapi/asm-generic/signal-defs.js";
import { BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL } from "../uapi/asm-generic/siginfo.js";
import { SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGTRAP } from "../uapi/asm/signal.js";
import type { FaultInfo, GenericEntry } from "./common.js";
import { idtEntryFor, LOCAL_TIMER_VECTOR, type IdtEntry } from "./idtentry.js";
import type { InterruptDeliverer, InterruptDelivery } from "./interrupt.js";
import type { KernelText } from "./kernel_text.js";
import type { PtRegs } from "./pt_regs.js";

export const X86_TRAP = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13, PF: 14,
  MF: 16, AC: 17, MC: 18, XF: 19,
} as const;

export const TRAP_NAMES: Record<number, string> = {
  0: "#DE divide error", 1: "#DB debug", 3: "#BP breakpoint", 4: "#OF overflow", 5: "#BR bound range",
  6: "#UD invalid opcode", 7: "#NM device not available", 8: "#DF double fault", 10: "#TS invalid TSS",
  11: "#NP segment not present", 12: "#SS stack fault", 13: "#GP general protection", 14: "#PF page fault",
  16: "#MF x87 floating point", 17: "#AC alignment check", 18: "#MC machine check", 19: "#XF SIMD floating point",
};

/** The signal for an exception vector (do_error_trap, exc_general_protection, ...). */
export function signalForTrap(vector: number): number {
  switch (vector) {
    case X86_TRAP.DE: case X86_TRAP.MF: case X86_TRAP.XF: return SIGFPE;
    case X86_TRAP.DB: case X86_TRAP.BP: return SIGTRAP;
    case X86_TRAP.UD: return SIGILL;
    case X86_TRAP.AC: return SIGBUS;
    case X86_TRAP.NP: case X86_TRAP.SS: return SIGBUS;
    default: return SIGSEGV;
  }
}

/** What the exception path needs of its kernel: public members of LinuxKernel (linux.ts). */
export interface TrapKernel {
  readonly cpu: Cpu;
  /**
   * Of the machine-wide KernelState (kernel.ts): the clock a kernel entry moves, and the
   * scheduler asked on a fault's way out.
   */
  readonly kernel: { tick(): void; readonly sched: Pick<Scheduler, "shouldPreempt">; entryClock(): bigint };
  readonly task: Task;
  readonly text: KernelText;
  /** The syscall path's signal delivery on the way back to user mode. */
  readonly entry: GenericEntry;
  /** The IDT delivery (set up by installCommonHooks). */
  readonly interrupts: InterruptDeliverer;
  ptRegs(va: bigint): PtRegs;
  stop(): void;
  signal(task: Task, sig: number, info: SigInfo): void;
  exitTask(status: number, task?: Task): void;
  /** An INT n or exception seen before its delivery (the architecture's `int $0x80` events). */
  onSoftwareInterrupt(vector: number): void;
  /** A delivery of a vector the architecture handles itself (int $0x80). */
  onDelivered(d: InterruptDelivery): void;
}

/** One kernel's exception path: the vector the engine reported, its IDT delivery, and the C handlers. */
export class Traps {
  /** An exception, INT n or interrupt, delivered once the engine has stopped. */
  private pending: { vector: number; cr2: bigint; external?: true } | undefined;
  /** The last delivery through the IDT (a test's and the UI's view of the gate used). */
  lastInterrupt: InterruptDelivery | undefined;

  /** The model's "C functions", by the vector of their `int n` in the kernel text (model_call.inc). */
  private readonly modelCalls: (() => void)[] = [];

  constructor(private readonly k: TrapKernel) {}

  /** A new run on a warm kernel (LinuxKernel.adopt): no delivery or pending vector of the last one. */
  reset(): void {
    this.pending = undefined;
    this.lastInterrupt = undefined;
  }

  /** Runs `fn` when the kernel text executes `int vector` at CPL 0 (a model call). */
  modelCall(vector: number, fn: () => void): void {
    if (this.modelCalls[vector]) throw new Error(`model call vector ${vector} is taken twice`);
    this.modelCalls[vector] = fn;
  }

  /**
   * An exception or `int n` from the CPU. Unicorn calls this hook instead of using the IDT; the
   * delivery happens after the engine stops (resume()), from a clean CPU state, except for a user
   * page fault (below). An `int n` of the kernel text is a model call, run here; the engine goes
   * on after it.
   */
  onInterrupt(vector: number): void {
    const k = this.k, cpu = k.cpu;
    if ((cpu.get("cs") & 3n) === 0n) {
      const call = this.modelCalls[vector];
      if (call) return call();
      const ip = cpu.get(cpu.bits === 64 ? "rip" : "eip");
      if (vector === X86_TRAP.DB && this.is_sysenter_singlestep(ip)) return; // exc_debug_kernel: expected, ignored
      const cr2 = vector === X86_TRAP.PF ? ` (address 0x${cpu.get("cr2").toString(16)})` : "";
      k.task.lastFault = `kernel oops: ${TRAP_NAMES[vector] ?? `vector ${vector}`}${cr2} in kernel mode at ip 0x${ip.toString(16)}`;
      k.exitTask(waitStatusKilled(SIGSEGV, false));
      return;
    }
    k.onSoftwareInterrupt(vector);
    this.pending = { vector, cr2: vector === X86_TRAP.PF ? cpu.get("cr2") : 0n };
    // A user page fault goes through the IDT at once, from inside the hook, as the SYSCALL
    // transition does (the register writes make the engine continue at the gate): a fork's
    // copy-on-write faults were most of its runs, each a stop and a start of the engine.
    if (vector === X86_TRAP.PF) this.resume();
    else k.stop();
  }

  /**
   * is_sysenter_singlestep: SYSENTER leaves TF set, so a task that enters with TF single-steps
   * entry_SYSENTER_compat until the stub clears the flag; those #DB traps in kernel mode are
   * expected. The engine reports them to the interrupt hook with the next instruction's address,
   * and carries on once the hook returns.
   */
  private is_sysenter_singlestep(ip: bigint): boolean {
    const start = this.k.text.symbols.get("entry_SYSENTER_compat");
    const end = this.k.text.symbols.get("__end_entry_SYSENTER_compat");
    return start !== undefined && end !== undefined && ip >= start && ip < end;
  }

  /** An exception the engine reported by its return code rather than a hook (#UD). */
  raise(vector: number): void {
    this.pending = { vector, cr2: 0n };
  }

  /** An external interrupt (the APIC timer's), delivered by the next resume() with the task where it stopped. */
  interrupt(vector: number): void {
    this.pending = { vector, cr2: 0n, external: true };
  }

  /**
   * Called by the run loop whenever the CPU stopped with the task still here: delivers a pending
   * exception through the IDT and returns where the CPU continues.
   */
  resume(): bigint {
    const k = this.k, p = this.pending;
    const ip = k.cpu.get(k.cpu.bits === 64 ? "rip" : "eip");
    if (!p) return ip;
    this.pending = undefined;
    const software = !p.external && (p.vector >= 32 || p.vector === X86_TRAP.BP || p.vector === X86_TRAP.OF);
    let vector = p.vector;
    let errorCode: bigint | undefined;
    if (vector === X86_TRAP.PF) errorCode = BigInt(k.task.mm.faultErrorCode(p.cr2, ip, true));
    else if (idtEntryFor(vector)?.errorCode) errorCode = 0n;
    let d = k.interrupts.deliver(vector, errorCode, software);
    if ("gp" in d) {
      // INT n through a gate the caller may not use: #GP with the IDT index as error code
      vector = X86_TRAP.GP;
      d = k.interrupts.deliver(vector, d.gp, false);
      if ("gp" in d) throw new Error("the #GP gate itself cannot be delivered");
    }
    if (vector === X86_TRAP.PF) k.cpu.set("cr2", p.cr2); // the kernel context restore reloaded CR2
    this.lastInterrupt = d;
    k.kernel.tick();
    k.onDelivered(d);
    return d.gate.offset;
  }

  /** The C handler an IDT stub calls (exc_*, idtentry.ts), reached through its model call; pt_regs in RDI / EAX. */
  handle(t: IdtEntry): void {
    const regs = this.k.entry.stubRegs();
    if (t.vector === X86_TRAP.PF) this.exc_page_fault(regs);
    else if (t.vector === LOCAL_TIMER_VECTOR) this.sysvec_apic_timer_interrupt(regs);
    else if (t.vector === X86_TRAP.GP) this.exc_general_protection(regs);
    else this.do_error_trap(regs, t);
  }

  /** exc_page_fault (arch/x86/mm/fault.c): demand paging and copy-on-write, or SIGSEGV / SIGBUS. */
  private exc_page_fault(regs: PtRegs): void {
    const k = this.k;
    const ip = regs.get("ip");
    const user = (regs.get("cs") & 3n) === 3n;
    const errorCode = regs.get("orig_ax");
    const addr = k.cpu.get("cr2");
    const ec = Number(errorCode);
    let fault: VmFault = VM_FAULT_SIGSEGV;
    try {
      if (user) fault = k.task.mm.handleFault(addr, ec);
    } catch (e) {
      if (!(e instanceof OutOfMemory)) throw e;
      k.task.lastFault = `out of memory (the --memory bound) at address 0x${addr.toString(16)}`;
      k.exitTask(waitStatusKilled(SIGKILL, false)); // the OOM killer's SIGKILL
      return;
    }
    if (fault === VM_FAULT_OK) {
      // the stub's iret retries the access; on the way out the kernel may schedule
      // (irqentry_exit_to_user_mode), as after a syscall
      if (k.kernel.sched.shouldPreempt(k.kernel.entryClock)) k.stop();
      return;
    }
    if (fault === VM_FAULT_SIGBUS) {
      // do_sigbus: a file mapping's page wholly past the end of the file
      this.force_sig_fault(SIGBUS, `bus error at address 0x${addr.toString(16)} (past the end of the mapped file), ip 0x${ip.toString(16)}`,
        regs, { cr2: addr, trapno: X86_TRAP.PF, errorCode, code: BUS_ADRERR });
      return;
    }
    this.force_sig_fault(SIGSEGV, `page fault at address 0x${addr.toString(16)} (error code 0x${ec.toString(16)}), ip 0x${ip.toString(16)}`,
      regs, { cr2: addr, trapno: X86_TRAP.PF, errorCode, code: ec & 1 ? SEGV_ACCERR : SEGV_MAPERR });
  }

  /** sysvec_apic_timer_interrupt: nothing to count here; irqentry_exit_to_user_mode delivers what waits. */
  private sysvec_apic_timer_interrupt(regs: PtRegs): void {
    this.k.entry.arch_do_signal_or_restart(regs);
  }

  /** exc_general_protection: SIGSEGV; an `int n` through a gate of DPL 0 says so (error code: IDT index, IDT bit). */
  private exc_general_protection(regs: PtRegs): void {
    const errorCode = regs.get("orig_ax");
    const what = errorCode & 2n ? `int $0x${(errorCode >> 3n).toString(16)}: IDT gate DPL 0 < CPL 3, #GP` : TRAP_NAMES[X86_TRAP.GP];
    this.force_sig_fault(SIGSEGV, `${what} at ip 0x${regs.get("ip").toString(16)}`, regs,
      { trapno: X86_TRAP.GP, errorCode, code: SI_KERNEL });
  }

  /** do_error_trap / do_trap: #DE, #UD, #BP, ... become the signal signalForTrap names. */
  private do_error_trap(regs: PtRegs, t: IdtEntry): void {
    this.force_sig_fault(signalForTrap(t.vector), `${TRAP_NAMES[t.vector] ?? `exception ${t.vector}`} at ip 0x${regs.get("ip").toString(16)}`, regs,
      { trapno: t.vector, errorCode: t.errorCode ? regs.get("orig_ax") : 0n, code: SI_KERNEL });
  }

  /** force_sig_fault: the signal is delivered at once, on the exception's return path. */
  private force_sig_fault(sig: number, detail: string, regs: PtRegs, fault: FaultInfo & { code: number }): void {
    const k = this.k, task = k.task;
    task.lastFault = detail;
    // a fault signal that is blocked or ignored kills, as force_sig_info does
    const act = task.sigactions.get(sig);
    if (task.blocked & sigmask(sig) || act?.handler === SIG_IGN) {
      task.sigactions.delete(sig);
      task.blocked &= ~sigmask(sig);
    }
    k.signal(task, sig, { signo: sig, code: fault.code, pid: 0, uid: 0, addr: fault.cr2 ?? regs.get("ip") });
    k.entry.arch_do_signal_or_restart(regs, fault);
  }
}
