// The dispatch tables, built once per process of sysgate as Linux builds them at compile time
// (arch/x86/entry/syscall_64.c: sys_call_table; syscall_32.c: ia32_sys_call_table under the
// x86-64 kernel, sys_call_table of the native i386 kernel). A table is immutable: the service
// routines it points to and their support status; hooks on one syscall live in the run's hook
// registry (hooks.ts), keyed by ABI and number, so every run shares these.

import { allSyscalls } from "../syscalls/index.js";
import { SyscallTable } from "../syscalls/table.js";
import type { Abi } from "../uapi/abi.js";

/** Which table: an ABI's native one, or "ia32" (i386 rows with their compat entries first). */
export type TableKind = Abi | "ia32";

const tables = new Map<TableKind, SyscallTable>();

/** The table of `kind`, built from its .tbl file on first use. */
export function syscallTable(kind: TableKind): SyscallTable {
  let t = tables.get(kind);
  if (!t) {
    t = kind === "ia32" ? new SyscallTable("i386", allSyscalls, { compat: true }) : new SyscallTable(kind, allSyscalls);
    tables.set(kind, t);
  }
  return t;
}
