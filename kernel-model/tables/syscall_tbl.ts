// The kernel's own syscall tables (arch/x86/entry/syscalls/syscall_{64,32}.tbl), parsed at start-up
// the way the kernel's build turns them into sys_call_table[] and ia32_sys_call_table[]: one row
// per line, `<number> <abi> <name> [<entry point> [<compat entry point> [noreturn]]]`, fields
// separated by blanks, `#` starting a comment. The files are kept verbatim as data (see VERSION).

import { readFileSync } from "node:fs";
import { projectFile } from "./data_path.js";

export interface SyscallTblEntry {
  nr: number;
  abi: string;
  name: string;
  /** The native service routine (sys_read ...); null where the slot has none (reserved, removed). */
  entry: string | null;
  /** The compat entry point (compat_sys_* for a 32-bit task on a 64-bit kernel); null if none or "-". */
  compat: string | null;
  /** Present (true) when the table marks the routine as never returning (exit, exit_group). */
  noreturn?: boolean;
}

const NUMBER = /^[0-9]+$/;
const ABI = /^[A-Za-z0-9_]+$/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses the text of a .tbl file. Strict: anything that is not a comment, a blank line or a
 * well-formed row throws an Error naming `file` and the 1-based line number, because a silently
 * skipped row would become a syscall that answers -ENOSYS for no visible reason.
 */
export function parseSyscallTbl(text: string, file = "<syscall.tbl>"): SyscallTblEntry[] {
  const rows: SyscallTblEntry[] = [];
  const seen = new Map<number, number>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fail = (why: string): never => {
      throw new Error(`${file}:${lineNo}: ${why}: ${JSON.stringify(lines[i])}`);
    };
    const hash = lines[i].indexOf("#");
    const body = hash < 0 ? lines[i] : lines[i].slice(0, hash);
    const fields = body.split(/[ \t\r\f\v]+/).filter((f) => f !== "");
    if (fields.length === 0) continue;
    if (fields.length < 3) fail("expected <number> <abi> <name> [<entry point> [<compat entry point>]]");
    if (fields.length > 6) fail(`too many fields (${fields.length})`);
    const [nrText, abi, name, entry, compat, flag] = fields;
    if (!NUMBER.test(nrText)) fail(`syscall number ${JSON.stringify(nrText)} is not a decimal number`);
    const nr = Number(nrText);
    if (!Number.isSafeInteger(nr)) fail(`syscall number ${nrText} is out of range`);
    if (!ABI.test(abi)) fail(`bad abi ${JSON.stringify(abi)}`);
    if (!IDENT.test(name)) fail(`bad syscall name ${JSON.stringify(name)}`);
    if (entry !== undefined && !IDENT.test(entry)) fail(`bad entry point ${JSON.stringify(entry)}`);
    if (compat !== undefined && compat !== "-" && !IDENT.test(compat)) {
      fail(`bad compat entry point ${JSON.stringify(compat)}`);
    }
    if (flag !== undefined && flag !== "noreturn") fail(`unknown flag ${JSON.stringify(flag)}`);
    const earlier = seen.get(nr);
    if (earlier !== undefined) fail(`syscall number ${nr} already defined on line ${earlier}`);
    seen.set(nr, lineNo);
    const row: SyscallTblEntry = {
      nr,
      abi,
      name,
      entry: entry ?? null,
      // "-" holds the place of a missing compat entry so that the noreturn flag can follow it.
      compat: compat === undefined || compat === "-" ? null : compat,
    };
    if (flag === "noreturn") row.noreturn = true;
    rows.push(row);
  }
  return rows;
}

/** Reads and parses kernel-model/tables/syscall_<which>.tbl from the project's source tree. */
export function readSyscallTbl(which: "64" | "32"): SyscallTblEntry[] {
  const path = projectFile("kernel-model", "tables", `syscall_${which}.tbl`);
  return parseSyscallTbl(readFileSync(path, "utf8"), path);
}

// Which abis of which file make up each dispatch table: x86-64 tasks use "common" and "64"
// (x32 rows are the x32 ABI's, entered with __X32_SYSCALL_BIT set, which sysgate does not run);
// i386 tasks use every row of syscall_32.tbl.
const TABLE_SOURCES = {
  x86_64: { file: "64", abis: ["common", "64"] },
  i386: { file: "32", abis: ["i386"] },
} as const;

const tables = new Map<"x86_64" | "i386", SyscallTblEntry[]>();

/**
 * The rows that make up one ABI's sys_call_table, sorted by number. Parsed once and cached; the
 * array and its rows are frozen because every machine shares them.
 */
export function syscallTableFor(abi: "x86_64" | "i386"): SyscallTblEntry[] {
  let table = tables.get(abi);
  if (!table) {
    const { file, abis } = TABLE_SOURCES[abi];
    const wanted: readonly string[] = abis;
    const rows = readSyscallTbl(file)
      .filter((row) => wanted.includes(row.abi))
      .sort((a, b) => a.nr - b.nr)
      .map((row) => Object.freeze(row));
    table = Object.freeze(rows) as SyscallTblEntry[];
    tables.set(abi, table);
  }
  return table;
}

function versionLines(): string[] {
  return readFileSync(projectFile("kernel-model", "tables", "VERSION"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** The kernel version(s) the tables come from, as recorded in VERSION (one line per file, joined by "; "). */
export function kernelVersion(): string {
  return versionLines().join("; ");
}

/** The VERSION line of one table: its kernel version and the commit it was taken from. */
export function tableVersion(which: "64" | "32"): string {
  const prefix = `syscall_${which}.tbl:`;
  const line = versionLines().find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`kernel-model/tables/VERSION: no line for syscall_${which}.tbl`);
  return line.slice(prefix.length).trim();
}
