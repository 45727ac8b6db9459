// The SYSCALL instruction, carried out by the model because Unicorn only calls a hook for it
// (ARCHITECTURE.md, "Facts about the engine"). SDM vol. 2B, SYSCALL, "Operation" (IA-32e mode):
//   RCX <- RIP (the next instruction); R11 <- RFLAGS; RFLAGS <- RFLAGS AND NOT(IA32_FMASK);
//   CS.Selector <- IA32_STAR[47:32] (CPL 0); SS.Selector <- IA32_STAR[47:32] + 8;
//   RIP <- IA32_LSTAR. RSP is not changed: entry_SYSCALL_64 switches stacks itself.

import { U64 as U, type KernelContext } from "./kernel_context.js";

/** What the CPU used and changed: an event for hooks, traces and the terminal UI. */
export interface SyscallTransition {
  /** Address of the `syscall` instruction. */
  userRip: bigint;
  userRsp: bigint;
  userRflags: bigint;
  userCs: number;
  star: bigint;
  lstar: bigint;
  fmask: bigint;
  /** Selectors loaded from STAR[47:32]. */
  kernelCs: number;
  kernelSs: number;
  /** RFLAGS after masking. */
  rflags: bigint;
}

export class SyscallInsn64 {
  /**
   * `msrs` are the values syscall_init() wrote. They are not read back from the engine at each
   * SYSCALL: an MSR read through koffi costs about a microsecond (a quarter of a syscall), and
   * nothing but the boot code writes these MSRs (user code cannot: wrmsr at CPL 3 is #GP).
   */
  constructor(private readonly kctx: KernelContext, private readonly msrs: { star: bigint; lstar: bigint; fmask: bigint }) {
    this.kernelCs = Number((msrs.star >> 32n) & 0xfffcn);
    this.notFmask = ~msrs.fmask;
    this.ripBias = msrs.lstar - 2n;
  }
  /** CS from STAR[47:32] (RPL cleared), ~FMASK and the RIP to write, worked out once. */
  private readonly kernelCs: number;
  private readonly notFmask: bigint;
  private readonly ripBias: bigint;

  /** Runs inside the engine's SYSCALL hook, where RIP is the instruction's own address. */
  execute(): SyscallTransition {
    const v = this.kctx.capture();
    const userRip = v[U.ip], userRflags = v[U.flags], userRsp = v[U.rsp], userCs = Number(v[U.cs]);
    const { star, lstar, fmask } = this.msrs;
    const rflags = (userRflags & this.notFmask) | 2n; // bit 1 always reads as 1
    v[U.rcx] = userRip + 2n;
    v[U.r11] = userRflags;
    v[U.flags] = rflags;
    v[U.ip] = this.ripBias; // LSTAR - 2: the engine adds the instruction's length after the hook returns
    this.kctx.enter(v);
    const cs = this.kernelCs;
    return { userRip, userRsp, userRflags, userCs, star, lstar, fmask, kernelCs: cs, kernelSs: cs + 8, rflags };
  }
}
