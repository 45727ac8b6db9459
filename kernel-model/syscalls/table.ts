// sys_call_table / ia32_sys_call_table: one slot per syscall number, built at start-up from the
// kernel's .tbl file. A slot names its entry point and holds the TypeScript service routine
// that implements it, if any (gVisor keeps the same kind of table with a support status).

import { syscallTableFor } from "../tables/syscall_tbl.js";
import type { SyscallEvent } from "../hooks.js";
import { supportOf, type Support } from "./support.js";
import type { Abi, SyscallFamily, SyscallImpl } from "./types.js";

export interface SyscallSlot {
  readonly nr: number;
  readonly name: string;
  /** The kernel entry point (`sys_write`, `sys_newfstatat`), null for a reserved number. */
  readonly entry: string | null;
  /** The service routine, or undefined: the slot answers -ENOSYS. */
  readonly impl: SyscallImpl | undefined;
  /** What the routine declared (support.ts); undefined where nothing is registered. */
  readonly support: Support | undefined;
  /** Hooks on this syscall alone (interception point 6): only this slot pays for them. */
  readonly hooks: ((e: SyscallEvent) => void)[];
}

export class SyscallTable {
  readonly slots: ReadonlyMap<number, SyscallSlot>;
  private readonly byName = new Map<string, SyscallSlot>();

  constructor(readonly abi: Abi, implementations: SyscallFamily) {
    const slots = new Map<number, SyscallSlot>();
    for (const row of syscallTableFor(abi)) {
      const impl = row.entry ? implementations[row.entry] : undefined;
      const slot = { nr: row.nr, name: row.name, entry: row.entry, impl, support: supportOf(impl), hooks: [] };
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
