// How this model gets the CPU from CPL 3 to CPL 0. Real hardware does it inside SYSCALL,
// SYSENTER or the delivery of an interrupt; Unicorn performs none of these, and a register
// write cannot raise the CPL. So the CPU state of the kernel at its first switch to user mode
// (CPL 0, kernel CS/SS, control registers, MSRs) is saved once and restored at each entry,
// and the user's registers, x87/SSE state and segment state are put back on top of it: the
// same CPU, now privileged. The returns need none of this: iret, sysret and sysexit run for real.

import { GPR64, type Cpu, type CpuContext, type Reg } from "../cpu.js";

// x86-64: the GPRs, RIP, RFLAGS, the DS/ES/FS/GS selectors and the FS/GS bases (what SYSCALL and
// interrupts leave alone: the 64-bit kernel runs with the user's selectors too, which a 32-bit
// task's TLS in %gs needs), then CS/SS, which are read but never written back: they come from
// the kernel template. The bases follow the selectors, since loading FS or GS reloads its base.
const USER_STATE_64: readonly Reg[] = [...GPR64, "rip", "rflags", "ds", "es", "fs", "gs", "fs_base", "gs_base", "cs", "ss"];
export const U64 = { rax: 0, rbx: 1, rcx: 2, rdx: 3, rsi: 4, rdi: 5, rbp: 6, rsp: 7, r11: 11, ip: 16, flags: 17, cs: 24, ss: 25 } as const;

// i386: Linux does not touch DS/ES/FS/GS on entry, so they are the user's in the kernel too.
const USER_STATE_32: readonly Reg[] = ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags",
  "ds", "es", "fs", "gs", "cs", "ss"];
export const U32 = { eax: 0, ebx: 1, ecx: 2, edx: 3, esi: 4, edi: 5, ebp: 6, esp: 7, ip: 8, flags: 9, cs: 14, ss: 15 } as const;

export class KernelContext {
  private template: CpuContext | undefined;
  /**
   * The user's registers and x87/SSE state, read with one engine call; `writeBack` writes the same
   * storage back but for CS and SS (two calls per entry instead of four: the engine calls are
   * most of what an entry costs).
   */
  private readonly user;
  private readonly writeBack;
  /** The captured values as 32-bit words (low half first): a transition edits them without BigInts. */
  readonly words: Uint32Array;
  /** Where the fields every entry needs are in the captured values. */
  readonly idx: { ip: number; sp: number; flags: number; cs: number; ss: number };

  constructor(private readonly cpu: Cpu) {
    const regs = cpu.bits === 64 ? USER_STATE_64 : USER_STATE_32;
    this.user = cpu.batch(regs, { xstate: true });
    this.writeBack = this.user.without([regs.length - 2, regs.length - 1]);
    this.words = new Uint32Array(this.user.raw.buffer, this.user.raw.byteOffset, this.user.values.length * 2);
    const u = cpu.bits === 64 ? U64 : U32;
    this.idx = { ip: u.ip, sp: cpu.bits === 64 ? U64.rsp : U32.esp, flags: u.flags, cs: u.cs, ss: u.ss };
  }

  /** Saves the CPL 0 template (at boot, in the kernel, with the entry's segment arrangement). */
  saveTemplate(): void {
    this.template = this.cpu.saveContext(this.template);
  }

  /** The CPU back in the saved CPL 0 state (where a new task's ret_from_fork starts). */
  restoreTemplate(): void {
    if (!this.template) throw new Error("the kernel context was not saved yet");
    this.cpu.restoreContext(this.template);
  }

  /** Reads the interrupted user state; the caller edits the values in place before enter(). */
  capture(): BigUint64Array {
    return this.user.read();
  }

  /** CPL 0 with the captured (and edited) registers and the x87/SSE state put back. */
  enter(values: BigUint64Array): void {
    if (!this.template) throw new Error("kernel entry before the kernel context was saved");
    this.cpu.restoreContext(this.template);
    if (values !== this.user.values) this.user.values.set(values.subarray(0, this.user.values.length));
    this.writeBack.write();
  }
}
