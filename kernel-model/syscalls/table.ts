// sys_call_table / ia32_sys_call_table: one slot per syscall number, built at start-up from the
// kernel's .tbl file. A slot names its entry point and holds the TypeScript service routine
// that implements it, if any (gVisor keeps the same kind of table with a support status).
// syscall_32.tbl makes two tables, as Linux's syscall_32.c does: the native i386 kernel's
// sys_call_table from its entry column, and the x86-64 kernel's ia32_sys_call_table, where a row
// with a compat column (compat_sys_*) dispatches to that entry instead.

import { syscallTableFor } from "../tables/syscall_tbl.js";
import { supportOf, type Support } from "./support.js";
import type { SyscallFamily, SyscallImpl } from "./types.js";
import type { Abi } from "../uapi/abi.js";

export interface SyscallSlot {
  readonly nr: number;
  readonly name: string;
  /** The kernel entry point (`sys_write`, `compat_sys_ioctl` in ia32_sys_call_table), null for a reserved number. */
  readonly entry: string | null;
  /** The row's compat column (syscall_32.tbl), whichever table this is; null where it has none. */
  readonly compat: string | null;
  /** The service routine, or undefined: the slot answers -ENOSYS. */
  readonly impl: SyscallImpl | undefined;
  /** What the routine declared (support.ts); undefined where nothing is registered. */
  readonly support: Support | undefined;
}

export class SyscallTable {
  readonly slots: ReadonlyMap<number, SyscallSlot>;
  /** True for ia32_sys_call_table. */
  readonly compat: boolean;
  private readonly byName = new Map<string, SyscallSlot>();

  /** `compat`: ia32_sys_call_table (i386 rows, compat entries first). */
  constructor(readonly abi: Abi, implementations: SyscallFamily, opts: { compat?: boolean } = {}) {
    const slots = new Map<number, SyscallSlot>();
    this.compat = opts.compat ?? false;
    for (const row of syscallTableFor(abi)) {
      const entry = this.compat && row.compat ? row.compat : row.entry;
      const impl = entry ? implementations[entry] : undefined;
      const slot = { nr: row.nr, name: row.name, entry, compat: row.compat, impl, support: supportOf(impl) };
      slots.set(row.nr, slot);
      this.byName.set(row.name, slot);
    }
    this.slots = slots;
  }

  slot(nr: number): SyscallSlot | undefined {
    return this.slots.get(nr);
  }

  /** A slot by syscall name (`write`) or number given as text (`1`). */
  lookup(nameOrNr: string): SyscallSlot | undefined {
    return /^\d+$/.test(nameOrNr) ? this.slots.get(Number(nameOrNr)) : this.byName.get(nameOrNr);
  }

  get size(): number {
    return this.slots.size;
  }
}
