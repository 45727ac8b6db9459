// `sysgate table --abi 64|32`: every slot of a dispatch table, as built at start-up from the
// kernel's .tbl file: number, name, entry point, and whether sysgate implements it. syscall_32.tbl
// makes two tables: the native i386 kernel's (entry column) and the x86-64 kernel's
// ia32_sys_call_table (compat column where there is one); --abi 32 shows both side by side.

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
  if (abi === "i386") return table32();
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

/** syscall_32.tbl's two tables: sys_call_table of `--kernel i386`, ia32_sys_call_table of IA32 emulation. */
function table32(): number {
  const native = new SyscallTable("i386", allSyscalls);
  const ia32 = new SyscallTable("i386", allSyscalls, { compat: true });
  const out: string[] = [`# i386 syscall tables (${kernelVersion()})`,
    "# entry point: sys_call_table of the native i386 kernel (--kernel i386); compat entry point: what",
    "# ia32_sys_call_table dispatches to instead under the x86-64 kernel (IA32 emulation, the default)",
    "# nr\tname\tentry point\tcompat entry point\ti386\tia32"];
  let n = 0, c = 0;
  for (const s of native.slots.values()) {
    const x = ia32.slot(s.nr)!;
    if (s.impl) n++;
    if (x.impl) c++;
    out.push(`${s.nr}\t${s.name}\t${s.entry ?? "-"}\t${s.compat ?? "-"}\t${s.impl ? "yes" : "no"}\t${x.impl ? "yes" : "no"}`);
  }
  out.push(`# ${native.size} slots, ${n} implemented on the i386 kernel, ${c} under IA32 emulation`);
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}
