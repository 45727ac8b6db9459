// The SYSCALL instruction, carried out by the model because Unicorn only calls a hook for it
// (DESIGN.md section 1). SDM vol. 2B, SYSCALL, "Operation" (IA-32e mode):
//   RCX <- RIP (the next instruction); R11 <- RFLAGS; RFLAGS <- RFLAGS AND NOT(IA32_FMASK);
//   CS.Selector <- IA32_STAR[47:32] (CPL 0); SS.Selector <- IA32_STAR[47:32] + 8;
//   RIP <- IA32_LSTAR. RSP is not changed: entry_SYSCALL_64 switches stacks itself.
// The CS/SS/CPL part is the kernel CPU context saved at boot, restored here; the user's
// general-purpose, vector and FS/GS-base state is then put back on top of it.

import { GPR64, MSR, type Cpu, type CpuContext, type Reg } from "../cpu.js";

/** What the CPU used and changed: an event for hooks, traces and the terminal UI. */
export interface SyscallTransition {
  /** Address of the `syscall` instruction. */
  userRip: bigint;
  userRsp: bigint;
  userRflags: bigint;
  star: bigint;
  lstar: bigint;
  fmask: bigint;
  /** Selectors loaded from STAR[47:32]. */
  kernelCs: number;
  kernelSs: number;
  /** RFLAGS after masking. */
  rflags: bigint;
}

const USER_STATE: readonly Reg[] = [...GPR64, "rip", "rflags", "fs_base", "gs_base"];
const I_RCX = 2, I_RSP = 7, I_R11 = 11, I_RIP = 16, I_RFLAGS = 17;

export class SyscallInsn64 {
  private readonly user;
  private readonly xstate: Buffer;

  constructor(private readonly cpu: Cpu, private readonly kernelContext: () => CpuContext,
    private readonly msrs: { star: bigint; lstar: bigint; fmask: bigint }) {
    this.user = cpu.batch(USER_STATE);
    this.xstate = Buffer.alloc(cpu.xstateSize);
  }

  /** Runs inside the engine's SYSCALL hook, where RIP is the instruction's own address. */
  execute(): SyscallTransition {
    const cpu = this.cpu;
    const v = this.user.read();
    cpu.xsave(this.xstate);
    const userRip = v[I_RIP], userRflags = v[I_RFLAGS], userRsp = v[I_RSP];
    const { star, lstar, fmask } = this.msrs;
    const rflags = (userRflags & ~fmask) | 2n; // bit 1 always reads as 1
    v[I_RCX] = userRip + 2n;
    v[I_R11] = userRflags;
    v[I_RFLAGS] = rflags;
    // The engine adds the instruction length (2) after the hook returns.
    v[I_RIP] = lstar - 2n;
    cpu.restoreContext(this.kernelContext());
    this.user.write();
    cpu.xrstor(this.xstate);
    const cs = Number((star >> 32n) & 0xfffcn);
    return { userRip, userRsp, userRflags, star, lstar, fmask, kernelCs: cs, kernelSs: cs + 8, rflags };
  }

  /** The MSR values as the CPU holds them (what the UI and tests compare the model against). */
  static readMsrs(cpu: Cpu): { star: bigint; lstar: bigint; fmask: bigint } {
    return { star: cpu.rdmsr(MSR.STAR), lstar: cpu.rdmsr(MSR.LSTAR), fmask: cpu.rdmsr(MSR.SYSCALL_MASK) };
  }
}
