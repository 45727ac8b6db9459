// The SYSENTER instruction, carried out by the model because Unicorn only calls a hook for it.
// SDM vol. 2B, SYSENTER, "Operation" (protected mode):
//   EFLAGS.VM, IF, RF <- 0; CS.Selector <- IA32_SYSENTER_CS (CPL 0); SS.Selector <- CS + 8;
//   ESP <- IA32_SYSENTER_ESP; EIP <- IA32_SYSENTER_EIP. Nothing is saved: the return address
//   and the user's stack are the kernel's business (Linux: the vDSO and EBP).

import type { Cpu } from "../cpu.js";
import type { KernelContext } from "./kernel_context.js";
import { X86_EFLAGS_IF, X86_EFLAGS_RF, X86_EFLAGS_VM } from "../uapi/asm/processor-flags.js";

export interface SysenterTransition {
  /** Address of the `sysenter` instruction (inside __kernel_vsyscall). */
  userEip: bigint;
  userEsp: bigint;
  userEflags: bigint;
  sysenterCs: bigint;
  sysenterEsp: bigint;
  sysenterEip: bigint;
  kernelCs: number;
  kernelSs: number;
  eflags: bigint;
}


/** The SYSENTER MSRs as enable_sep_cpu() / syscall_init() wrote them. */
export interface SysenterMsrs { sysenterCs: bigint; sysenterEsp: bigint; sysenterEip: bigint }

/**
 * The operation itself, the same in protected and in compatibility mode (the kernel context's
 * register layout says where IP, SP and FLAGS are): runs inside the engine's SYSENTER hook.
 */
export function sysenterOperation(kctx: KernelContext, msrs: SysenterMsrs) {
  const v = kctx.capture();
  const i = kctx.idx;
  const userIp = v[i.ip], userSp = v[i.sp], userFlags = v[i.flags], userCs = Number(v[i.cs]);
  const flags = userFlags & ~(X86_EFLAGS_VM | X86_EFLAGS_IF | X86_EFLAGS_RF);
  v[i.flags] = flags;
  v[i.sp] = msrs.sysenterEsp;
  v[i.ip] = msrs.sysenterEip - 2n; // the engine adds the instruction's length after the hook returns
  kctx.enter(v);
  const cs = Number(msrs.sysenterCs & 0xfffcn);
  return { userIp, userSp, userFlags, userCs, flags, kernelCs: cs, kernelSs: cs + 8 };
}

export class SysenterInsn32 {
  /**
   * `where` tells the address of the `sysenter` being executed when it is known (the vDSO's):
   * in Unicorn's 32-bit SYSENTER hook EIP reads as the start of the translated block, not the
   * instruction (measured), so the register alone cannot say.
   */
  constructor(private readonly cpu: Cpu, private readonly kctx: KernelContext, private readonly where: () => bigint | undefined,
    /** What enable_sep_cpu() wrote; not read back per entry (see SyscallInsn64). */
    private readonly msrs: SysenterMsrs) {}

  /** The address of the `sysenter` instruction the CPU is executing. */
  address(): bigint {
    return this.where() ?? this.cpu.get("eip");
  }

  /** Runs inside the engine's SYSENTER hook. */
  execute(): SysenterTransition {
    const where = this.where();
    const t = sysenterOperation(this.kctx, this.msrs);
    return { userEip: where ?? t.userIp, userEsp: t.userSp, userEflags: t.userFlags, ...this.msrs,
      kernelCs: t.kernelCs, kernelSs: t.kernelSs, eflags: t.flags };
  }
}
