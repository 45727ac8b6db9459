// The generic part of every syscall entry (Linux arch/x86/entry/common.c): take the number and
// arguments from pt_regs, look the slot up in the table, call the service routine, put the
// result in regs->ax. Its callers, do_syscall_64 / do_int80_syscall_32 / do_fast_syscall_32,
// differ only in where the arguments are.

import { E, ERRNO_NAME, Errno } from "../errno.js";
import { LimitReached } from "../limits.js";
import type { SyscallSlot, SyscallTable } from "../syscalls/table.js";
import type { SyscallArgs, SyscallContext } from "../syscalls/types.js";

export interface SyscallOutcome {
  nr: number;
  slot: SyscallSlot | undefined;
  args: SyscallArgs;
  /** The value written to regs->ax, as a signed number. */
  result: bigint;
}

/** The answers a partial routine gives for the part it does not do. */
const MISSING_PART = new Set<number>([E.ENOSYS, E.EINVAL, E.EOPNOTSUPP]);
const MINUS_ENOSYS = BigInt(-E.ENOSYS);

export class SyscallDispatcher {
  private readonly warned = new Set<string>();

  constructor(readonly table: SyscallTable, private readonly warn: (msg: string) => void, private readonly warnUnimplemented: boolean) {}

  /**
   * Runs one syscall through the slot the caller looked up: the result alone, nothing allocated
   * around it; never throws for what the guest did (errors become -errno).
   */
  call(ctx: SyscallContext, nr: number, slot: SyscallSlot | undefined, args: SyscallArgs): bigint {
    if (slot === undefined || !slot.impl) {
      this.noteUnimplemented(nr, slot);
      return MINUS_ENOSYS;
    }
    const support = slot.support!.status;
    if (support === "error") this.noteUnimplemented(nr, slot);
    let result: bigint;
    try {
      result = BigInt(slot.impl(ctx, args));
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      if (e instanceof LimitReached) ctx.task.kernel.noteLimit(e);
      result = BigInt(-e.errno);
    }
    // a partial routine is worth a word only when the guest met what is missing, not at every use
    if (support === "partial" && MISSING_PART.has(Number(-result))) this.noteUnimplemented(nr, slot);
    return result;
  }

  /**
   * Says once per name that the guest asked for something not modelled, or only partly: the
   * note declared with the routine (support.ts), or sys_ni_syscall's answer for an empty slot.
   */
  private noteUnimplemented(nr: number, slot: SyscallSlot | undefined): void {
    const name = slot?.name ?? `syscall_${nr}`;
    if (!this.warnUnimplemented || this.warned.has(name)) return;
    this.warned.add(name);
    const what = `sysgate: ${name} (${this.table.abi} #${nr}${slot?.entry ? `, ${slot.entry}` : ""})`;
    const s = slot?.support;
    if (s?.status === "partial") this.warn(`${what} is partly supported (${s.note}); this call met the missing part`);
    else if (s?.status === "error") this.warn(`${what} is not supported: ${s.note}; returning -${ERRNO_NAME[s.errno] ?? s.errno}`);
    else this.warn(`${what} is not implemented: returning -ENOSYS`);
  }
}
