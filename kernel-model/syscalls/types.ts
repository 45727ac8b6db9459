// The contract between the dispatcher (do_syscall_64 / do_int80_syscall_32 / do_fast_syscall_32)
// and the service routines (sys_*). A service routine sees what a Linux sys_* function sees:
// its arguments as raw register values, the calling task ("current"), and user memory that it
// must copy in and out of (copy_from_user / copy_to_user), never touch directly.

import type { Cpu } from "../cpu.js";
import type { PtRegs } from "../entry/pt_regs.js";
import type { WaitQueue } from "../sched/wait.js";
import type { Task } from "../sched/task.js";
import type { Abi } from "../uapi/abi.js";
import type { UserMemory } from "../mm/uaccess.js";


/** Six raw argument registers, zero-extended (rdi rsi rdx r10 r8 r9 / ebx ecx edx esi edi ebp). */
export type SyscallArgs = readonly [bigint, bigint, bigint, bigint, bigint, bigint];

/** What a service routine hands back: the value for regs->ax, a negative errno on failure. */
export type SyscallResult = number | bigint;

export interface SyscallContext {
  readonly abi: Abi;
  readonly task: Task;
  readonly mem: UserMemory;
  /** The CPU the task runs on (arch_prctl changes its FS base, set_thread_area its GDT). */
  readonly cpu: Cpu;
  /** The user registers as the entry code saved them (fork copies them, sigreturn rewrites them). */
  readonly regs: PtRegs;
  /** Ends the whole thread group with this exit code (exit_group) or kills it by signal. */
  exit(code: number, signal?: number): void;
  /** Return normally, then sleep until one of the queues is woken (a vfork parent). */
  sleepAfterReturn(queues: readonly WaitQueue[]): void;
}

/** A service routine. Throwing Errno(e) is the same as returning -e. */
export type SyscallImpl = (ctx: SyscallContext, args: SyscallArgs) => SyscallResult;

/** A family of service routines keyed by their kernel entry-point name (`sys_openat`, ...). */
export type SyscallFamily = Readonly<Record<string, SyscallImpl>>;

/** Signed views of raw registers, as the C prototypes declare them. */
export const int = (v: bigint): number => Number(BigInt.asIntN(32, v));
export const uint = (v: bigint): number => Number(BigInt.asUintN(32, v));
/** `long` / `size_t` in the task's ABI. */
export const long = (ctx: SyscallContext, v: bigint): bigint =>
  ctx.abi === "x86_64" ? BigInt.asIntN(64, v) : BigInt.asIntN(32, v);
export const ulong = (ctx: SyscallContext, v: bigint): bigint =>
  ctx.abi === "x86_64" ? BigInt.asUintN(64, v) : BigInt.asUintN(32, v);
