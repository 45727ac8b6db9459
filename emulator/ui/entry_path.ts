// The stages of one syscall's trip through the kernel, per mechanism, and the values each stage
// used, filled from the hook events the step session recorded. Plain data for the entry-path panel.

import type { CpuState, Mechanism } from "../../kernel-model/hooks.js";
import type { PendingCall } from "../../kernel-model/trace/format.js";
import { hex } from "./format.js";
import { ERRNO_NAME } from "../../kernel-model/errno.js";
import { describeSyscall } from "../../kernel-model/trace/syscalls.js";

export const STAGES = ["instruction", "transition", "entry_stub", "generic", "service", "exit", "signal", "return", "user"] as const;
export type Stage = (typeof STAGES)[number] | "vdso";

export interface Transition {
  before: CpuState;
  after: CpuState;
  msrs?: Record<string, bigint>;
  gate?: { vector: number; offset: bigint; selector: number; dpl: number; type: number; tssSp0: bigint; frame: bigint };
  /** The 8 bytes of the IDT descriptor as they are in guest memory (int $0x80 only). */
  gateBytes?: Buffer;
}

/** A signal met on the way out of a syscall (exit_to_user_mode's signal delivery), or sigreturn. */
export interface SignalStage {
  action: "handler" | "fatal" | "sigreturn";
  /** `SIGUSR1`, or `rt_sigreturn`. */
  name: string;
  /** The siginfo as the trace line shows it: `{si_signo=SIGUSR1, si_code=SI_USER, si_pid=1000, si_uid=1000}`. */
  info?: string;
  handler?: bigint;
  frame?: bigint;
  /** pt_regs right after the kernel changed them: to the handler, or restored from the frame. */
  regs?: { ip: bigint; sp: bigint; ax: bigint; di: bigint; flags: bigint };
}

/** One syscall as the session saw it; every field is filled when its event arrives. */
export interface SyscallRecord {
  index: number;
  /** The process that made it. */
  pid: number;
  /** Its list line carries `[pid N]` (strace -f: once a second process has been seen). */
  prefixed: boolean;
  /** The strace formatter's state between entry and exit, and the final line once it returned. */
  call?: PendingCall;
  text?: string;
  /** How many times the call slept and ran its instruction again (a blocking wait4, read...). */
  restarts?: number;
  signal?: SignalStage;
  mechanism: Mechanism;
  nr: number;
  name: string | undefined;
  args: bigint[];
  result?: bigint;
  entryPoint?: string;
  instructions: { text: string; address: bigint; fn?: string }[];
  transition?: Transition;
  stub?: { name: string; address: bigint };
  ptRegs?: bigint;
  ret?: { instruction: string; address: bigint; before: CpuState; after: CpuState };
  vdso?: { function: string; address: bigint };
  stage: Stage;
  seen: Stage[];
  done: boolean;
}

export interface StageView {
  id: Stage;
  /** Short column label and what happens there. */
  label: string;
  title: string;
  detail: string[];
  state: "done" | "current" | "pending";
}

const NAMES: Record<Exclude<Mechanism, "vdso">, { cpu: string; stub: string; generic: string; ret: string; head: string }> = {
  syscall: { cpu: "SYSCALL: RIP ← IA32_LSTAR", stub: "entry_SYSCALL_64", generic: "do_syscall_64", ret: "sysretq", head: "SYSCALL (x86-64)" },
  int80: { cpu: "INT 0x80: IDT vector 128", stub: "entry_INT80_32", generic: "do_int80_syscall_32", ret: "iret", head: "int $0x80 (i386)" },
  sysenter: { cpu: "SYSENTER: EIP ← SYSENTER_EIP", stub: "entry_SYSENTER_32", generic: "do_fast_syscall_32", ret: "sysexit", head: "SYSENTER via vDSO (i386)" },
};

/** The same paths of a 32-bit task under the x86-64 kernel (IA32 emulation: entry_64_compat). */
const COMPAT_NAMES: typeof NAMES = {
  syscall: { cpu: "SYSCALL: RIP ← IA32_CSTAR", stub: "entry_SYSCALL_compat", generic: "do_fast_syscall_32", ret: "sysretl", head: "SYSCALL via vDSO (i386, compat)" },
  int80: { cpu: "INT 0x80: IDT vector 128", stub: "entry_INT80_compat", generic: "do_int80_syscall_32", ret: "iretq", head: "int $0x80 (i386, compat)" },
  sysenter: { cpu: "SYSENTER: RIP ← SYSENTER_EIP", stub: "entry_SYSENTER_compat", generic: "do_SYSENTER_32", ret: "sysretl", head: "SYSENTER via vDSO (i386, compat)" },
};

export const mechanismTitle = (m: Mechanism, compat = false): string => (m === "vdso" ? "vDSO (no kernel entry)" : (compat ? COMPAT_NAMES : NAMES)[m].head);

const w = (bits: 64 | 32) => (bits === 64 ? 16 : 8);

/** CPL, CS:IP and SS:SP before → after, in lines short enough for an 80-column screen. */
function cpuLines(t: { before: CpuState; after: CpuState }, bits: 64 | 32): string[] {
  const ip = bits === 64 ? "RIP" : "EIP", sp = bits === 64 ? "RSP" : "ESP";
  const b = t.before, a = t.after;
  return [
    `CPL ${b.cpl}→${a.cpl}  CS ${hex(b.cs)}→${hex(a.cs)}  SS ${hex(b.ss)}→${hex(a.ss)}`,
    `${ip} ${hex(b.ip)} → ${hex(a.ip)}`,
    `${sp} ${hex(b.sp)} → ${hex(a.sp)}`,
  ];
}

/** The stage list of a record (or of the path a machine of this kind would take when r is undefined). */
export function entryPath(r: SyscallRecord, bits: 64 | 32, compat = false): StageView[] {
  const state = (id: Stage): StageView["state"] => (r.stage === id ? "current" : r.seen.includes(id) ? "done" : "pending");
  if (r.mechanism === "vdso") {
    return [{
      id: "vdso", label: "vDSO", title: `${r.vdso?.function ?? "vDSO function"}: no kernel entry`, state: "current",
      detail: ["served in user mode (CPL 3) from the vvar page", "the kernel keeps up to date: no SYSCALL, no stub"],
    }];
  }
  const n = (compat ? COMPAT_NAMES : NAMES)[r.mechanism];
  const t = r.transition;
  const out: StageView[] = [];
  const insn = r.instructions.map((i) => `${i.text} at ${i.fn ?? "0x" + hex(i.address)}`);
  out.push({ id: "instruction", label: "user", title: insn[0] ?? (r.mechanism === "syscall" ? "syscall" : r.mechanism === "int80" ? "int $0x80" : "call __kernel_vsyscall"),
    detail: [...insn.slice(1).map((s) => `then ${s}`), ...(r.instructions.length ? [`nr ${r.nr} in ${bits === 64 ? "RAX" : "EAX"}: ${r.name ?? "?"}`] : [])], state: state("instruction") });
  const td: string[] = [];
  if (t?.msrs) {
    for (const [k, v] of Object.entries(t.msrs)) td.push(`${k.replace(/^IA32_/, "").replace(/^FMASK$/, "SFMASK")} ${hex(v, k === "IA32_FMASK" ? 0 : w(bits))}${k === "IA32_FMASK" ? ` (RFLAGS ${hex(t.before.flags)}→${hex(t.after.flags)})` : ""}`);
  }
  if (t?.gate) {
    const g = t.gate;
    td.push(`IDT[${g.vector}] → ${hex(g.selector)}:${hex(g.offset)} DPL ${g.dpl}`);
    td.push(`${g.type === 14 || g.type === 6 ? "int" : "trap"} gate${t.gateBytes ? " " + [...t.gateBytes].map((b) => hex(b, 2)).join(" ") : ""}`);
    td.push(`TSS sp0 ${hex(g.tssSp0)} frame ${hex(g.frame)}`);
  }
  if (t) td.push(...cpuLines(t, bits));
  out.push({ id: "transition", label: "CPU", title: n.cpu, detail: td, state: state("transition") });
  out.push({ id: "entry_stub", label: "stub", title: r.stub?.name ?? n.stub,
    detail: r.seen.includes("entry_stub") ? [r.mechanism === "syscall" ? "swapgs, kernel stack, push pt_regs" : "push pt_regs on the kernel stack"] : [], state: state("entry_stub") });
  out.push({ id: "generic", label: "entry", title: `${n.generic}(regs)`,
    detail: r.ptRegs !== undefined ? [`pt_regs at ${hex(r.ptRegs)}, nr ${r.nr}`] : [], state: state("generic") });
  out.push({ id: "service", label: "service", title: r.seen.includes("generic") ? (r.entryPoint ?? "sys_ni_syscall (-ENOSYS)") : `sys_${r.name ?? "?"}`,
    detail: [], state: state("service") });
  out.push({ id: "exit", label: "exit", title: r.result !== undefined ? `regs->ax = ${axText(r, bits)}` : "regs->ax = result",
    detail: [], state: state("exit") });
  const sg = r.signal;
  if (sg) out.push({ id: "signal", label: "signal", title: signalTitle(sg), detail: signalDetail(sg, bits), state: state("signal") });
  // a handler frame changed pt_regs: x86-64 leaves by iretq then, not sysretq
  const ret = r.ret?.instruction ?? (sg?.action === "handler" && (r.mechanism === "syscall" || compat) ? "iretq" : n.ret);
  out.push({ id: "return", label: "return", title: ret, detail: r.ret ? cpuLines(r.ret, bits) : [], state: state("return") });
  out.push({ id: "user", label: "user", title: "back in user mode", detail: [], state: r.done ? "current" : "pending" });
  return out;
}

/** The result as the syscall list shows it (hex for addresses, -errno with its name for failures). */
function axText(r: SyscallRecord, bits: 64 | 32): string {
  const v = BigInt.asIntN(bits, r.result!);
  if (v < 0n && v >= -4095n) return `${v} (-${ERRNO_NAME[Number(-v)] ?? `E${-v}`})`;
  return describeSyscall(r.name ?? "")?.ret === "x" ? `0x${BigInt.asUintN(bits, r.result!).toString(16)}` : String(v);
}

function signalTitle(s: SignalStage): string {
  if (s.action === "sigreturn") return `${s.name}: state restored from the frame`;
  if (s.action === "fatal") return `${s.name}: default action ends the process`;
  return `${s.name} → handler ${hex(s.handler ?? 0n)}`;
}

/** What delivery did to pt_regs: the handler's entry and frame, or the state sigreturn put back. */
function signalDetail(s: SignalStage, bits: 64 | 32): string[] {
  const out: string[] = [];
  const ip = bits === 64 ? "RIP" : "EIP", sp = bits === 64 ? "RSP" : "ESP";
  if (s.action === "handler") {
    out.push(`frame at ${hex(s.frame ?? 0n)} on the user stack`);
    if (s.regs) out.push(`pt_regs: ${ip} ← ${hex(s.regs.ip)}  ${sp} ← ${hex(s.regs.sp)}`, `  ${bits === 64 ? "RDI" : "EAX"} ← ${hex(bits === 64 ? s.regs.di : s.regs.ax)} (the signal number)`);
  } else if (s.action === "sigreturn" && s.regs) {
    out.push(`${ip} ← ${hex(s.regs.ip)}  ${sp} ← ${hex(s.regs.sp)}`, `${bits === 64 ? "RAX" : "EAX"} ← ${hex(BigInt.asIntN(bits, s.regs.ax))}  flags ← ${hex(s.regs.flags)}`);
  }
  if (s.info) out.push(s.info);
  return out;
}
