// `sysgate table --abi 64|32 [--json]`: every slot of a dispatch table, as built at start-up from
// the kernel's .tbl file: number, name, entry point, and the support status its routine declared
// (kernel-model/syscalls/support.ts). syscall_32.tbl makes two tables: the native i386 kernel's
// sys_call_table (entry column, --kernel i386) and the x86-64 kernel's ia32_sys_call_table (the
// compat column where a row has one: IA32 emulation, the default); --abi 32 shows both.

import type { SyscallSlot, SyscallTable } from "../../kernel-model/syscalls/table.js";
import { syscallTable } from "../../kernel-model/entry/syscall_tables.js";
import { ERRNO_NAME } from "../../kernel-model/errno.js";
import { kernelVersion } from "../../kernel-model/tables/syscall_tbl.js";
import { UsageError } from "./usage.js";

const USAGE = "usage: sysgate table --abi 64|32 [--json]";

/** One word for the status column: supported, partial, error, or none (no routine registered). */
function statusOf(s: SyscallSlot): { status: string; errno?: string; note?: string } {
  if (!s.entry) return { status: "reserved" };
  const d = s.support;
  if (!d) return { status: "none", errno: "ENOSYS", note: "no routine registered" };
  if (d.status === "partial") return { status: "partial", note: d.note };
  if (d.status === "error") return { status: "error", errno: ERRNO_NAME[d.errno] ?? String(d.errno), note: d.note };
  return { status: "supported" };
}

export function tableCommand(argv: string[]): number {
  let abi: "x86_64" | "i386" | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") { json = true; continue; }
    const v = a === "--abi" ? argv[++i] : a.startsWith("--abi=") ? a.slice(6) : undefined;
    if (v === undefined) throw new UsageError(`table: unknown argument '${a}' (${USAGE})`);
    if (v === "64" || v === "x86_64") abi = "x86_64";
    else if (v === "32" || v === "i386") abi = "i386";
    else throw new UsageError(`table: --abi takes 64 or 32, not '${v}'`);
  }
  if (!abi) throw new UsageError(`table: which table? ${USAGE}`);
  const table = syscallTable(abi);
  if (abi === "i386") return table32(table, json);
  const rows = [...table.slots.values()].map((s) => ({ nr: s.nr, name: s.name, entry: s.entry, ...statusOf(s) }));
  if (json) {
    process.stdout.write(JSON.stringify({ abi, kernel: kernelVersion(), slots: rows }, null, 1) + "\n");
    return 0;
  }
  const out: string[] = [`# ${abi} syscall table (${kernelVersion()})`, `# nr\tname\tentry point\tstatus\tnote`];
  const count = new Map<string, number>();
  for (const r of rows) {
    count.set(r.status, (count.get(r.status) ?? 0) + 1);
    const status = r.errno && r.status !== "none" ? `${r.status} ${r.errno}` : r.status;
    out.push(`${r.nr}\t${r.name}\t${r.entry ?? "-"}\t${status}${r.note ? `\t${r.note}` : ""}`);
  }
  out.push(`# ${rows.length} slots: ${[...count].map(([k, n]) => `${n} ${k}`).join(", ")}`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

/** Both tables of syscall_32.tbl, row by row: the native entry and its status, the compat entry and its status. */
function table32(native: SyscallTable, json: boolean): number {
  const ia32 = syscallTable("ia32");
  const rows = [...native.slots.values()].map((s) => {
    const c = statusOf(ia32.slot(s.nr)!);
    return { nr: s.nr, name: s.name, entry: s.entry, ...statusOf(s), compat: s.compat, ia32: { entry: ia32.slot(s.nr)!.entry, ...c } };
  });
  if (json) {
    process.stdout.write(JSON.stringify({ abi: "i386", kernel: kernelVersion(), slots: rows }, null, 1) + "\n");
    return 0;
  }
  const word = (r: { status: string; errno?: string }) => (r.errno && r.status !== "none" ? `${r.status} ${r.errno}` : r.status);
  const out: string[] = [`# i386 syscall tables (${kernelVersion()})`,
    "# status: in sys_call_table of the native i386 kernel (--kernel i386), which calls the entry point;",
    "# ia32 status: in ia32_sys_call_table of the x86-64 kernel (IA32 emulation), which calls the compat entry point where there is one",
    "# nr\tname\tentry point\tcompat entry point\tstatus\tia32 status\tnote"];
  const count = new Map<string, number>();
  for (const r of rows) {
    count.set(r.status, (count.get(r.status) ?? 0) + 1);
    out.push(`${r.nr}\t${r.name}\t${r.entry ?? "-"}\t${r.compat ?? "-"}\t${word(r)}\t${word(r.ia32)}${r.note ? `\t${r.note}` : ""}`);
  }
  out.push(`# ${rows.length} slots: ${[...count].map(([k, n]) => `${n} ${k}`).join(", ")}`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}
