// The two fast system-call instructions of a 32-bit program under the x86-64 kernel, carried out
// by the model because Unicorn only calls a hook for them. Which one the CPU accepts outside
// 64-bit mode depends on the vendor, and Linux's compat vDSO is patched to match (the
// X86_FEATURE_SYSENTER32 / X86_FEATURE_SYSCALL32 alternatives in __kernel_vsyscall):
//
//   SYSENTER, Intel (SDM vol. 2B, SYSENTER, IA-32e mode): RFLAGS.VM, IF, RF <- 0;
//     CS <- IA32_SYSENTER_CS (a 64-bit code segment, CPL 0); SS <- CS + 8;
//     RSP <- IA32_SYSENTER_ESP; RIP <- IA32_SYSENTER_EIP. Nothing is saved.
//     AMD CPUs raise #UD for SYSENTER in long mode (compatibility mode included).
//   SYSCALL, AMD (APM vol. 3, SYSCALL, compatibility mode): RCX <- the next EIP; R11 <- RFLAGS;
//     RFLAGS <- RFLAGS AND NOT IA32_FMASK; CS <- IA32_STAR[47:32]; SS <- + 8;
//     RIP <- IA32_CSTAR. Intel CPUs raise #UD for SYSCALL outside 64-bit mode.
//
// Both return with SYSRETL (the kernel text's entry_SYSRETL_compat), which the CPU executes.

import { U64 as U, type KernelContext } from "./kernel_context.js";
import { sysenterOperation } from "./sysenter_32.js";

/** The CPU vendor the model plays (`--cpu`): it decides which 32-bit fast entry exists. */
export type CpuVendor = "intel" | "amd";

/** Which of the two a vendor's CPU runs from compatibility mode (the other one is #UD). */
export const compatFastEntry = (v: CpuVendor): "sysenter" | "syscall" => (v === "intel" ? "sysenter" : "syscall");

export interface CompatTransition {
  insn: "sysenter" | "syscall";
  /** Address of the instruction (for SYSENTER: as the vDSO says, see SysenterInsn32). */
  userIp: bigint;
  userSp: bigint;
  userFlags: bigint;
  userCs: number;
  /** The MSRs the transition read, by their SDM names. */
  msrs: Record<string, bigint>;
  /** Where the CPU continues: IA32_SYSENTER_EIP or IA32_CSTAR. */
  target: bigint;
  kernelCs: number;
  kernelSs: number;
  flags: bigint;
}

export class CompatInsns {
  /** `msrs` are what syscall_init() wrote (not read back per entry: see SyscallInsn64). */
  constructor(private readonly kctx: KernelContext,
    private readonly msrs: { star: bigint; fmask: bigint; cstar: bigint; sysenterCs: bigint; sysenterEsp: bigint; sysenterEip: bigint }) {}

  /** SYSENTER inside the engine's hook; `at` is the instruction's address. */
  sysenter(at: bigint): CompatTransition {
    const { sysenterCs, sysenterEsp, sysenterEip } = this.msrs;
    const t = sysenterOperation(this.kctx, this.msrs);
    return { insn: "sysenter", userIp: at, userSp: t.userSp, userFlags: t.userFlags, userCs: t.userCs, target: sysenterEip,
      kernelCs: t.kernelCs, kernelSs: t.kernelSs, flags: t.flags,
      msrs: { IA32_SYSENTER_CS: sysenterCs, IA32_SYSENTER_ESP: sysenterEsp, IA32_SYSENTER_EIP: sysenterEip } };
  }

  /** SYSCALL from compatibility mode inside the engine's hook (RIP is the instruction's address). */
  syscall(): CompatTransition {
    const v = this.kctx.capture();
    const userIp = v[U.ip], userSp = v[U.rsp], userFlags = v[U.flags], userCs = Number(v[U.cs]);
    const { star, fmask, cstar } = this.msrs;
    const flags = (userFlags & ~fmask) | 2n;
    v[U.rcx] = (userIp + 2n) & 0xffffffffn;
    v[U.r11] = userFlags;
    v[U.flags] = flags;
    v[U.ip] = cstar - 2n;
    this.kctx.enter(v);
    const cs = Number((star >> 32n) & 0xfffcn);
    return { insn: "syscall", userIp, userSp, userFlags, userCs, target: cstar, kernelCs: cs, kernelSs: cs + 8, flags,
      msrs: { IA32_STAR: star, IA32_CSTAR: cstar, IA32_FMASK: fmask } };
  }
}
