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
    const notFmask = BigInt.asUintN(64, ~msrs.fmask);
    this.notFmask = [Number(notFmask & 0xffffffffn), Number(notFmask >> 32n)];
    const ripBias = BigInt.asUintN(64, msrs.lstar - 2n);
    this.ripBias = [Number(ripBias & 0xffffffffn), Number(ripBias >> 32n)];
  }
  /** CS from STAR[47:32] (RPL cleared), ~FMASK and the RIP to write (as 32-bit halves), worked out once. */
  private readonly kernelCs: number;
  private readonly notFmask: readonly [number, number];
  private readonly ripBias: readonly [number, number];
  /** The user's RIP, RSP, RFLAGS and CS at the last SYSCALL (32-bit halves), for describe(). */
  private readonly user = new Uint32Array(8);
  private executed = false;

  /**
   * Runs inside the engine's SYSCALL hook, where RIP is the instruction's own address. The
   * registers are edited as 32-bit halves of the captured values: a syscall allocates nothing
   * here (describe() builds the event's object when someone asks for it).
   */
  execute(): void {
    const w = this.kctx.words;
    const captured = this.kctx.capture();
    const ip = U.ip * 2, flags = U.flags * 2, rcx = U.rcx * 2, r11 = U.r11 * 2, rsp = U.rsp * 2, cs = U.cs * 2;
    const u = this.user;
    u[0] = w[ip]; u[1] = w[ip + 1]; u[2] = w[rsp]; u[3] = w[rsp + 1]; u[4] = w[flags]; u[5] = w[flags + 1]; u[6] = w[cs]; u[7] = w[cs + 1];
    // RCX <- RIP of the next instruction (syscall is 2 bytes), carrying into the high half
    const lo = w[ip] + 2;
    w[rcx] = lo; // a Uint32Array store keeps the low 32 bits
    w[rcx + 1] = w[ip + 1] + (lo > 0xffffffff ? 1 : 0);
    // R11 <- RFLAGS; RFLAGS <- RFLAGS AND NOT(IA32_FMASK), bit 1 always reads as 1
    w[r11] = w[flags];
    w[r11 + 1] = w[flags + 1];
    w[flags] = (w[flags] & this.notFmask[0]) | 2;
    w[flags + 1] = w[flags + 1] & this.notFmask[1];
    // RIP <- IA32_LSTAR - 2: the engine adds the instruction's length after the hook returns
    w[ip] = this.ripBias[0];
    w[ip + 1] = this.ripBias[1];
    this.kctx.enter(captured);
    this.executed = true;
  }

  /** What the last execute() used and changed, for hooks, traces and the terminal UI. */
  describe(): SyscallTransition | undefined {
    if (!this.executed) return undefined;
    const u = this.user;
    const q = (i: number) => (BigInt(u[i + 1]) << 32n) | BigInt(u[i]);
    const userRip = q(0), userRflags = q(4);
    const { star, lstar, fmask } = this.msrs;
    const cs = this.kernelCs;
    return { userRip, userRsp: q(2), userRflags, userCs: u[6], star, lstar, fmask, kernelCs: cs, kernelSs: cs + 8,
      rflags: (userRflags & ~fmask) | 2n };
  }
}
