// `sysgate table --abi 64|32`: every slot of a dispatch table, as built at start-up from the
// kernel's .tbl file: number, name, entry point, and whether sysgate implements it.

import { SyscallTable } from "../../kernel-model/syscalls/table.js";
import { allSyscalls } from "../../kernel-model/syscalls/index.js";
import { kernelVersion } from "../../kernel-model/tables/syscall_tbl.js";
import { UsageError } from "./usage.js";

export function tableCommand(argv: string[]): number {
  let abi: "x86_64" | "i386" | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = a === "--abi" ? argv[++i] : a.startsWith("--abi=") ? a.slice(6) : undefined;
    if (v === undefined) throw new UsageError(`table: unknown argument '${a}' (usage: sysgate table --abi 64|32)`);
    if (v === "64" || v === "x86_64") abi = "x86_64";
    else if (v === "32" || v === "i386") abi = "i386";
    else throw new UsageError(`table: --abi takes 64 or 32, not '${v}'`);
  }
  if (!abi) throw new UsageError("table: which table? usage: sysgate table --abi 64|32");
  const table = new SyscallTable(abi, allSyscalls);
  const rows = [...table.slots.values()];
  const out: string[] = [`# ${abi} syscall table (${kernelVersion()})`, `# nr\tname\tentry point\timplemented`];
  let implemented = 0;
  for (const s of rows) {
    if (s.impl) implemented++;
    out.push(`${s.nr}\t${s.name}\t${s.entry ?? "-"}\t${s.impl ? "yes" : "no"}`);
  }
  out.push(`# ${rows.length} slots, ${implemented} implemented`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}
