// IA32 emulation on the x86-64 kernel model: the instructions and the model calls of
// entry_64_compat.asm (their C side, do_int80_syscall_32 and do_fast_syscall_32, is shared with
// the i386 kernel in common.ts; do_SYSENTER_32's prologue is here) and the events of the three
// compat paths for hooks, traces and the terminal UI:
//
//   int $0x80  -> IDT vector 128 (DPL 3) -> entry_INT80_compat    -> do_int80_syscall_32 -> iretq
//   sysenter   -> IA32_SYSENTER_*        -> entry_SYSENTER_compat -> do_SYSENTER_32      -> sysretl
//   syscall    -> IA32_CSTAR             -> entry_SYSCALL_compat  -> do_fast_syscall_32  -> sysretl
//
// Every one of them dispatches through ia32_sys_call_table (syscall_32.tbl, compat column first),
// with the 32-bit ABI's argument registers EBX ECX EDX ESI EDI EBP, each zero-extended.

import { MSR, type Cpu } from "../cpu.js";
import { IA32_SYSCALL_VECTOR } from "../boot/setup_32.js";
import type { CompatMsrs } from "../boot/setup_64.js";
import type { CpuState, HookRegistry, Mechanism } from "../hooks.js";
import type { KernelState } from "../kernel.js";
import type { Task } from "../sched/task.js";
import type { VdsoMapping } from "../vdso/vdso_mapping.js";
import { landingPad, type GenericEntry } from "./common.js";
import type { InterruptDelivery } from "./interrupt.js";
import type { KernelContext } from "./kernel_context.js";
import type { KernelText } from "./kernel_text.js";
import { PtRegs, type PtRegs32Field, type PtRegs64Field } from "./pt_regs.js";
import { CompatInsns, type CompatTransition, type CpuVendor } from "./syscall_compat.js";
import { X86_EFLAGS_IF } from "../uapi/asm/processor-flags.js";

const X86_TRAP_UD = 6;
const SEGMENTS = new Set(["ds", "es", "fs", "gs"]);

/**
 * A compat task's pt_regs: the 64-bit frame the compat stubs build, plus the DS/ES/FS/GS
 * selectors, which the i386 sigcontext saves and restores. The 64-bit kernel never puts those in
 * pt_regs; it reads and loads them in the CPU (savesegment / loadsegment, and load_gs_index for
 * GS, which must not disturb the kernel's own GS base while it runs).
 */
export class CompatPtRegs extends PtRegs {
  constructor(mem: Buffer, pa: number, va: bigint, private readonly cpu: Cpu) {
    super(mem, pa, va, 64);
  }
  override get(f: PtRegs64Field | PtRegs32Field): bigint {
    return SEGMENTS.has(f) ? this.cpu.get(f as "gs") & 0xffffn : super.get(f);
  }
  override set(f: PtRegs64Field | PtRegs32Field, v: bigint): void {
    if (!SEGMENTS.has(f)) return super.set(f, v);
    if (f !== "gs") return this.cpu.set(f as "fs", v & 0xffffn);
    // load_gs_index: the selector's base is the user's GS base, parked in KERNEL_GS_BASE while
    // the kernel runs on its per-CPU base
    const kernelBase = this.cpu.get("gs_base");
    this.cpu.set("gs", v & 0xffffn);
    this.cpu.wrmsr(MSR.KERNEL_GS_BASE, this.cpu.get("gs_base"));
    this.cpu.set("gs_base", kernelBase);
  }
  override toObject(): Record<string, bigint> {
    const o = super.toObject();
    for (const s of SEGMENTS) o[s] = this.get(s as "gs");
    return o;
  }
}

/** What the compat entry needs of its x86-64 kernel (public members of LinuxX86_64). */
export interface CompatKernel {
  readonly cpu: Cpu;
  readonly kernel: KernelState;
  readonly hooks: HookRegistry;
  readonly text: KernelText;
  readonly vdso: VdsoMapping | undefined;
  readonly task: Task;
  /** The syscall path (common.ts): do_int80_syscall_32, do_fast_syscall_32. */
  readonly entry: GenericEntry;
  ptRegs(va: bigint): PtRegs;
  raise(vector: number): void;
  emitInstruction(mechanism: EntryMechanism, instruction: "syscall" | "sysenter" | "int $0x80", address: bigint): void;
  emitInt80Transition(d: InterruptDelivery): void;
  vsyscallCallTrap(mechanism: "sysenter" | "syscall"): [bigint, () => void][];
  checkPause(): void;
  stop(): void;
}

/** The kernel's protected entry helpers, handed over by LinuxX86_64. */
export interface CompatEntryOps {
  kctx: KernelContext;
  msrs: CompatMsrs & { star: bigint; fmask: bigint };
  cpuState(): CpuState;
  trap(symbol: string, fn: () => void): void;
}

type EntryMechanism = Exclude<Mechanism, "vdso">;

export class Ia32Emulation {
  private readonly insns: CompatInsns;
  /** The last SYSENTER/SYSCALL from compatibility mode, for hooks, tests and the UI. */
  lastTransition: CompatTransition | undefined;
  /** The last int $0x80 delivery through vector 128. */
  lastInt80: InterruptDelivery | undefined;
  /** How the syscall in progress entered (the shared iretq says which path it returns from). */
  mechanism: EntryMechanism | undefined;

  constructor(private readonly k: CompatKernel, private readonly ops: CompatEntryOps, readonly vendor: CpuVendor) {
    this.insns = new CompatInsns(ops.kctx, ops.msrs);
    ops.trap("do_int80_syscall_32", () => {
      this.mechanism = "int80";
      k.entry.do_int80_syscall_32(k.entry.stubRegs());
    });
    ops.trap("do_SYSENTER_32", () => this.do_SYSENTER_32());
    ops.trap("do_fast_syscall_32", () => {
      this.mechanism = "syscall";
      k.entry.do_fast_syscall_32(k.entry.stubRegs(), "syscall");
    });
    k.cpu.onInstruction("sysenter", () => this.sysenter());
  }

  /** int80_landing_pad in this task's vDSO: where both fast paths return (and restart through int $0x80). */
  get landingPad(): bigint | undefined {
    return landingPad(this.k.vdso);
  }

  /** The fast-entry instruction inside __kernel_vsyscall, if the vDSO has one. */
  private vsyscallInsn(): bigint | undefined {
    const v = this.k.vdso;
    return v?.image.sysenter !== undefined ? v.base + BigInt(v.image.sysenter) : undefined;
  }

  private instructionEvent(mechanism: EntryMechanism, instruction: "syscall" | "sysenter" | "int $0x80", address: bigint): void {
    if (this.k.hooks.has("instruction")) this.k.emitInstruction(mechanism, instruction, address);
  }

  /** The engine's SYSENTER hook (Unicorn reads EIP as the block start here: the vDSO says where). */
  private sysenter(): void {
    const at = this.vsyscallInsn() ?? this.k.cpu.get("rip");
    if (this.vendor !== "intel") return this.undefinedOpcode(at);
    this.k.kernel.tick();
    this.mechanism = "sysenter";
    this.instructionEvent("sysenter", "sysenter", at);
    this.transition(() => this.insns.sysenter(at));
  }

  /** SYSCALL from compatibility mode (LinuxX86_64's SYSCALL hook sends it here). */
  syscall(): void {
    const at = this.k.cpu.get("rip");
    if (this.vendor !== "amd") return this.undefinedOpcode(at);
    this.k.kernel.tick();
    this.mechanism = "syscall";
    this.instructionEvent("syscall", "syscall", at);
    this.transition(() => this.insns.syscall());
  }

  private transition(run: () => CompatTransition): void {
    const before = this.k.hooks.has("transition") ? this.ops.cpuState() : undefined;
    const t = run();
    this.lastTransition = t;
    if (before) {
      this.k.hooks.emit("transition", { point: "transition", mechanism: t.insn, pid: this.k.task.pid, before,
        after: { ...this.ops.cpuState(), ip: t.target }, msrs: t.msrs });
    }
    this.k.checkPause();
  }

  /** The instruction does not exist on this vendor's CPU outside 64-bit mode: #UD at its address. */
  private undefinedOpcode(at: bigint): void {
    this.k.raise(X86_TRAP_UD);
    this.k.cpu.set("rip", at - 2n); // the engine adds the length after the hook
    this.k.stop();
  }

  /** `int $0x80` seen before its delivery through the IDT (interception point 2). */
  onSoftwareInterrupt(vector: number): void {
    if (vector !== IA32_SYSCALL_VECTOR) return;
    this.mechanism = "int80";
    this.instructionEvent("int80", "int $0x80", this.k.cpu.get("rip") - 2n);
  }

  /** The delivery through vector 128 (interception point 3). */
  onDelivered(d: InterruptDelivery): void {
    if (d.vector !== IA32_SYSCALL_VECTOR) return;
    this.lastInt80 = d;
    if (this.k.hooks.has("transition")) this.k.emitInt80Transition(d);
  }

  /** The traps that exist only while someone listens (see LinuxKernel.installHookTraps). */
  hookTraps(point: "entry_stub" | "return" | "instruction"): [bigint, () => void][] {
    const sym = (n: string) => this.k.text.sym(n);
    const emitStub = (stub: string, mechanism: EntryMechanism): [bigint, () => void] => [sym(stub), () => {
      this.k.hooks.emit("entry_stub", { point: "entry_stub", mechanism, pid: this.k.task.pid, stub, address: sym(stub), kernel: "x86_64" });
      this.k.checkPause();
    }];
    switch (point) {
      case "entry_stub":
        return [emitStub("entry_INT80_compat", "int80"), emitStub("entry_SYSENTER_compat", "sysenter"), emitStub("entry_SYSCALL_compat", "syscall")];
      case "return":
        // SYSRETL: EIP from ECX, RFLAGS from R11, CS = IA32_STAR[63:48] | 3, SS = + 8 | 3
        return [[sym("entry_SYSRETL_compat"), () => {
          const base = Number((this.k.cpu.rdmsr(MSR.STAR) >> 48n) & 0xfffcn);
          const c = this.k.cpu;
          this.k.hooks.emit("return", { point: "return", mechanism: this.mechanism ?? "sysenter", instruction: "sysretl", pid: this.k.task.pid,
            address: sym("entry_SYSRETL_compat"), before: this.ops.cpuState(),
            after: { cpl: 3, cs: base | 3, ss: (base + 8) | 3, ip: c.get("rcx") & 0xffffffffn, flags: c.get("r11"), sp: c.get("rsp") } });
          this.k.checkPause();
        }]];
      case "instruction":
        return this.k.vsyscallCallTrap(this.vendor === "intel" ? "sysenter" : "syscall");
    }
  }

  /** do_SYSENTER_32: SYSENTER lost the user ESP, which the vDSO saved in EBP; and it cleared IF. */
  private do_SYSENTER_32(): void {
    const regs = this.k.entry.stubRegs();
    regs.set("sp", regs.get("bp") & 0xffffffffn);
    regs.set("flags", regs.get("flags") | X86_EFLAGS_IF);
    this.mechanism = "sysenter";
    this.k.entry.do_fast_syscall_32(regs, "sysenter");
  }
}
