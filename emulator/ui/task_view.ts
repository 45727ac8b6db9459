// A task as a debugger sees it: its registers, stack, pt_regs frame and memory, whether it holds
// the CPU or is switched out. With one CPU per kernel, only the current task's registers are in
// the CPU; another task's are in the context __switch_to saved (read by loading that context for
// a moment and putting the CPU's own back: nothing runs in between, so the TLB and the
// translations stay the CPU's), and a task that never ran has only the registers fork gave it.

import type { CpuContext, Reg } from "../../kernel-model/cpu.js";
import { PT_REGS_32, PT_REGS_64 } from "../../kernel-model/entry/pt_regs.js";
import type { LinuxKernel } from "../../kernel-model/linux.js";
import type { Task } from "../../kernel-model/sched/task.js";
import { readVirtual } from "./format.js";

export const REGS_64: Reg[] = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "ss"];
export const REGS_32: Reg[] = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs"];

export interface StackLine { address: bigint; value: bigint; note: string | undefined; sp: boolean }
export interface PtRegsLine { field: string; address: bigint; value: bigint; pushed: boolean }

/** The pt_regs field a register is saved in (rax → ax, r8 → r8, rip → ip, eflags → flags). */
const ptField = (r: Reg): string => (/^r\d/.test(r) ? r : r.replace(/^[re](?=[a-z]{2})/, ""));

export class TaskView {
  /** Per CPU: where its own state waits while a switched-out task's context is read. */
  private readonly scratch = new Map<LinuxKernel, CpuContext>();

  bits(t: Task): 64 | 32 { return t.machine.cpu.bits; }
  /** The task's registers are in the CPU: it is its kernel's current task, or it ended last and nobody ran since. */
  onCpu(t: Task): boolean {
    const cur = t.machine.current;
    return cur === t || (!cur && (t.state === "zombie" || t.state === "dead"));
  }
  /** Forked, not yet run: it starts at ret_from_fork with the registers fork gave it. */
  notRun(t: Task): boolean { return !this.onCpu(t) && !t.thread.ctx; }

  /** Registers by name, from wherever the task's state is now. */
  regs(t: Task, names: readonly Reg[]): bigint[] {
    const k = t.machine;
    const cpu = k.cpu;
    if (this.onCpu(t)) return names.map((r) => cpu.get(r));
    const ctx = t.thread.ctx;
    if (!ctx) {
      const f = t.thread.first;
      const regs = f?.fork?.regs ?? {};
      return names.map((r) => (r === "rip" || r === "eip" ? f?.ip ?? 0n : r === "rsp" || r === "esp" ? f?.sp ?? 0n : regs[ptField(r)] ?? 0n));
    }
    const own = cpu.saveContext(this.scratch.get(k));
    this.scratch.set(k, own);
    try {
      cpu.restoreContext(ctx);
      return names.map((r) => cpu.get(r));
    } finally {
      cpu.restoreContext(own);
    }
  }

  /** The register file the panels show, in the order they show it. */
  registerFile(t: Task): { names: Reg[]; values: bigint[] } {
    const names = this.bits(t) === 64 ? REGS_64 : REGS_32;
    return { names, values: this.regs(t, names) };
  }

  get(t: Task, r: Reg): bigint { return this.regs(t, [r])[0]; }
  ip(t: Task): bigint { return this.get(t, this.bits(t) === 64 ? "rip" : "eip"); }
  sp(t: Task): bigint { return this.get(t, this.bits(t) === 64 ? "rsp" : "esp"); }
  /** A task that never ran is shown at the user state it will return to. */
  cpl(t: Task): number { return this.notRun(t) ? 3 : Number(this.get(t, "cs") & 3n); }

  /** `symbol+off` in the task's own address space (its program, its vDSO, the kernel text). */
  describe(t: Task, a: bigint): string | undefined { return t.mm.symbols.describe(a); }

  stack(t: Task, lines: number): StackLine[] {
    const size = this.bits(t) === 64 ? 8 : 4;
    const sp = this.sp(t);
    const bytes = readVirtual(t, sp, lines * size);
    const out: StackLine[] = [];
    for (let i = 0; i + size <= bytes.length; i += size) {
      const value = size === 8 ? bytes.readBigUInt64LE(i) : BigInt(bytes.readUInt32LE(i));
      out.push({ address: sp + BigInt(i), value, note: this.describe(t, value), sp: i === 0 });
    }
    return out;
  }

  /**
   * The pt_regs frame at the top of the task's own kernel stack (or at `at`, where the generic
   * entry found it), field by field; only while the task is in the kernel.
   */
  ptRegs(t: Task, at: bigint | undefined): { address: bigint; lines: PtRegsLine[] } | undefined {
    if (this.cpl(t) !== 0) return undefined;
    const bits = this.bits(t);
    const names = bits === 64 ? PT_REGS_64 : PT_REGS_32;
    const size = bits === 64 ? 8 : 4;
    const stack = t.thread.stack;
    const address = at ?? stack.top - BigInt(names.length * size);
    const bytes = readVirtual(t, address, names.length * size);
    if (bytes.length < names.length * size) return undefined;
    const sp = this.sp(t);
    const onKernelStack = sp >= stack.va && sp <= stack.top;
    return {
      address,
      lines: names.map((field, i) => {
        const a = address + BigInt(i * size);
        return { field, address: a, value: size === 8 ? bytes.readBigUInt64LE(i * size) : BigInt(bytes.readUInt32LE(i * size)), pushed: onKernelStack && a >= sp };
      }),
    };
  }

  memory(t: Task, address: bigint, length: number): Buffer {
    return readVirtual(t, address, length);
  }
}
