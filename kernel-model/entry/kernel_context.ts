// How this model gets the CPU from CPL 3 to CPL 0. Real hardware does it inside SYSCALL,
// SYSENTER or the delivery of an interrupt; Unicorn performs none of these, and a register
// write cannot raise the CPL. So the CPU state of the kernel at its first switch to user mode
// (CPL 0, kernel CS/SS, control registers, MSRs) is saved once and restored at each entry,
// and the user's registers, x87/SSE state and FS/GS bases are put back on top of it: the same
// CPU, now privileged. The returns need none of this: iret, sysret and sysexit run for real.

import { GPR64, type Cpu, type CpuContext, type Reg } from "../cpu.js";

const USER_STATE_64: readonly Reg[] = [...GPR64, "rip", "rflags", "fs_base", "gs_base", "cs", "ss"];
/** Indexes into the captured values. */
export const U = { rax: 0, rbx: 1, rcx: 2, rdx: 3, rsi: 4, rdi: 5, rbp: 6, rsp: 7, r11: 11, rip: 16, rflags: 17, cs: 20, ss: 21 } as const;

export class KernelContext64 {
  private template: CpuContext | undefined;
  private readonly user;
  private readonly writeBack;
  private readonly xstate: Buffer;

  constructor(private readonly cpu: Cpu) {
    this.user = cpu.batch(USER_STATE_64);
    // cs/ss are not written back: they come from the kernel template
    this.writeBack = cpu.batch(USER_STATE_64.slice(0, 20));
    this.xstate = Buffer.alloc(cpu.xstateSize);
  }

  /** Saves the CPL 0 template (at boot, in the kernel, with the entry's GS arrangement). */
  saveTemplate(): void {
    this.template = this.cpu.saveContext(this.template);
  }

  get ready(): boolean {
    return this.template !== undefined;
  }

  /** Reads the interrupted user state; the caller edits the values before enter(). */
  capture(): BigUint64Array {
    const v = this.user.read();
    this.cpu.xsave(this.xstate);
    return v;
  }

  /** CPL 0 with the captured (and edited) general registers, RIP, RFLAGS and FS/GS bases. */
  enter(values: BigUint64Array): void {
    if (!this.template) throw new Error("kernel entry before the kernel context was saved");
    this.cpu.restoreContext(this.template);
    this.writeBack.values.set(values.subarray(0, 20));
    this.writeBack.write();
    this.cpu.xrstor(this.xstate);
  }
}
