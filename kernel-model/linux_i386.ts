// The i386 kernel model: boot (setup_32), the two 32-bit syscall entries — `int $0x80` through
// IDT vector 128 into entry_INT80_32 / do_int80_syscall_32, and `sysenter` from the vDSO's
// __kernel_vsyscall into entry_SYSENTER_32 / do_fast_syscall_32 — and the first switch to user mode.

import type { Cpu } from "./cpu.js";
import * as L from "./boot/layout_32.js";
import { IA32_SYSCALL_VECTOR, startKernel32, type Boot32 } from "./boot/setup_32.js";
import type { InterruptDelivery } from "./entry/interrupt.js";
import { SysenterInsn32, type SysenterTransition } from "./entry/sysenter_32.js";
import type { KernelState } from "./kernel.js";
import { LinuxKernel } from "./linux.js";
import { MmStruct } from "./mm/mm_struct.js";
import type { PhysMem } from "./mm/phys.js";
import type { SyscallArgs } from "./syscalls/types.js";
import { E } from "./errno.js";

const X86_EFLAGS_TF = 0x100n, X86_EFLAGS_RF = 0x10000n, X86_EFLAGS_VM = 0x20000n;

export class LinuxI386 extends LinuxKernel {
  readonly boot: Boot32;
  private readonly sysenterInsn: SysenterInsn32;
  lastSysenter: SysenterTransition | undefined;
  /** The int $0x80 delivery of the syscall in progress, if it came that way. */
  lastInt80: InterruptDelivery | undefined;
  /** Where SYSEXIT returns: the vDSO's landing pad after `int $0x80` in __kernel_vsyscall. */
  vdsoLandingPad: bigint | undefined;

  constructor(cpu: Cpu, phys: PhysMem, kernel: KernelState, opts: { warnUnimplemented: boolean }) {
    super(cpu, phys, kernel, "i386", opts);
    this.boot = startKernel32(cpu, phys);
    this.sysenterInsn = new SysenterInsn32(cpu, this.kctx);
    this.installCommonHooks(this.boot.idt, this.boot.tss);
    cpu.onInstruction("sysenter", () => {
      this.kernel.tick();
      this.lastSysenter = this.sysenterInsn.execute();
    });
    cpu.onExecute(this.text.sym("do_int80_syscall_32"), () => this.do_int80_syscall_32());
    cpu.onExecute(this.text.sym("do_fast_syscall_32"), () => this.do_fast_syscall_32());
  }

  get text() { return this.boot.text; }
  protected get dataBlock() { return this.boot.gdt; }
  get entryPoint(): bigint { return this.text.sym("startup_32"); }

  newMm(): MmStruct {
    const mm = new MmStruct(this.phys, { taskSize: L.TASK_SIZE_32, mmapBase: L.MMAP_BASE_32, mmapMin: 0x10000n });
    mm.pgd.shareTopLevel(this.boot.swapper, 3, 1); // the PDPT entry for 3..4 GiB
    mm.onTlbFlush = (codeChanged) => {
      this.cpu.flushTlb();
      if (codeChanged) this.cpu.flushCode();
    };
    return mm;
  }

  protected switchToUser(): void {
    const cpu = this.cpu;
    const { ip, sp } = this.firstUser!;
    this.kctx.saveTemplate();
    // The iret frame to CPL 3: EIP, CS, EFLAGS, ESP, SS.
    const frame = this.boot.stackTop - 20n;
    const b = Buffer.alloc(20);
    [ip, BigInt(L.__USER_CS), 0x202n, sp, BigInt(L.__USER_DS)].forEach((v, i) => b.writeUInt32LE(Number(v), i * 4));
    b.copy(this.phys.mem, this.kernelPa(frame));
    for (const r of ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"] as const) cpu.set(r, 0n);
    cpu.set("esp", frame);
  }

  protected override onDelivered(d: InterruptDelivery): void {
    if (d.vector === IA32_SYSCALL_VECTOR) this.lastInt80 = d;
  }

  private args(regs: ReturnType<LinuxKernel["ptRegs"]>): SyscallArgs {
    return [regs.get("bx"), regs.get("cx"), regs.get("dx"), regs.get("si"), regs.get("di"), regs.get("bp")];
  }

  /** arch/x86/entry/common.c do_int80_syscall_32. */
  private do_int80_syscall_32(): void {
    const regs = this.ptRegs(this.cpu.get("eax"));
    regs.set("ax", BigInt(-E.ENOSYS));
    this.syscall(regs, Number(BigInt.asIntN(32, regs.get("orig_ax"))), this.args(regs));
  }

  /**
   * do_fast_syscall_32: the return address is the vDSO's landing pad, and the sixth argument
   * (EBP, which __kernel_vsyscall used for the user ESP) is on the user stack where it pushed it.
   */
  private do_fast_syscall_32(): void {
    const regs = this.ptRegs(this.cpu.get("eax"));
    regs.set("ax", BigInt(-E.ENOSYS));
    const landing = this.vdsoLandingPad ?? 0n;
    regs.set("ip", landing);
    let ok = true;
    try {
      regs.set("bp", BigInt(this.task.mm.readU32(regs.get("sp"))));
    } catch {
      regs.set("ax", BigInt(-E.EFAULT));
      ok = false;
    }
    if (ok) this.syscall(regs, Number(BigInt.asIntN(32, regs.get("orig_ax"))), this.args(regs));
    const sysexitOk = ok && landing !== 0n && regs.get("cs") === BigInt(L.__USER_CS) && regs.get("ss") === BigInt(L.__USER_DS) &&
      regs.get("ip") === landing && (regs.get("flags") & (X86_EFLAGS_RF | X86_EFLAGS_TF | X86_EFLAGS_VM)) === 0n;
    this.cpu.set("eax", sysexitOk ? 1n : 0n);
  }
}
