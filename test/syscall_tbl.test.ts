import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  kernelVersion,
  parseSyscallTbl,
  readSyscallTbl,
  syscallTableFor,
  tableVersion,
  type SyscallTblEntry,
} from "../kernel-model/tables/syscall_tbl.js";
import { projectFile } from "../kernel-model/tables/data_path.js";

// The system's UAPI headers are generated from the same tables by the kernel build, so every
// __NR_* they define must name the same row (they may be older than the tables, never in conflict).
function findHeader(name: string): string | undefined {
  return [`/usr/include/x86_64-linux-gnu/asm/${name}`, `/usr/include/asm/${name}`].find((p) => existsSync(p));
}

function headerNumbers(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of readFileSync(path, "utf8").matchAll(/^#define\s+__NR_(\w+)\s+(\d+)\s*$/gm)) {
    out.set(m[1], Number(m[2]));
  }
  return out;
}

function byNr(table: SyscallTblEntry[], nr: number): SyscallTblEntry | undefined {
  return table.find((row) => row.nr === nr);
}

describe.each([
  { abi: "x86_64" as const, header: "unistd_64.h" },
  { abi: "i386" as const, header: "unistd_32.h" },
])("$abi table against <asm/$header>", ({ abi, header }) => {
  const path = findHeader(header);
  it.skipIf(!path)(`every __NR_* of ${header} is a row with the same number and name`, () => {
    const numbers = headerNumbers(path!);
    expect(numbers.size).toBeGreaterThan(300);
    const table = syscallTableFor(abi);
    const mismatches: string[] = [];
    for (const [name, nr] of numbers) {
      const row = byNr(table, nr);
      if (row?.name !== name) mismatches.push(`__NR_${name} ${nr} -> ${row ? row.name : "no row"}`);
    }
    expect(mismatches).toEqual([]);
  });
  if (!path) {
    it(`skips the header comparison: ${header} not found under /usr/include/x86_64-linux-gnu/asm or /usr/include/asm`, () => {
      expect(path).toBeUndefined();
    });
  }
});

describe("syscallTableFor('x86_64')", () => {
  const table = syscallTableFor("x86_64");

  it.each([
    [0, "read", "sys_read"],
    [1, "write", "sys_write"],
    [39, "getpid", "sys_getpid"],
    [60, "exit", "sys_exit"],
    [231, "exit_group", "sys_exit_group"],
    [59, "execve", "sys_execve"],
  ])("%i is %s -> %s", (nr, name, entry) => {
    const row = byNr(table, nr);
    expect(row).toMatchObject({ nr, name, entry });
  });

  it("keeps only common and 64 rows: the x32 ones (512-547) are left out", () => {
    expect(new Set(table.map((r) => r.abi))).toEqual(new Set(["common", "64"]));
    expect(table.some((r) => r.nr >= 512 && r.nr <= 547)).toBe(false);
    const x32 = readSyscallTbl("64").filter((r) => r.abi === "x32");
    expect(x32.length).toBeGreaterThan(30);
    expect(x32.find((r) => r.nr === 520)).toMatchObject({ name: "execve", entry: "compat_sys_execve" });
  });

  it("is sorted by number, each number once", () => {
    const nrs = table.map((r) => r.nr);
    expect(nrs).toEqual([...nrs].sort((a, b) => a - b));
    expect(new Set(nrs).size).toBe(nrs.length);
  });

  it("has reserved slots without an entry point", () => {
    expect(byNr(table, 134)).toMatchObject({ name: "uselib", entry: null, compat: null });
    expect(byNr(table, 205)).toMatchObject({ name: "set_thread_area", entry: null });
  });

  it("reads the noreturn flag after a '-' compat placeholder", () => {
    expect(byNr(table, 60)).toEqual({ nr: 60, abi: "common", name: "exit", entry: "sys_exit", compat: null, noreturn: true });
    expect(byNr(table, 0)?.noreturn).toBeUndefined();
  });

  it("is cached and frozen", () => {
    expect(syscallTableFor("x86_64")).toBe(table);
    expect(Object.isFrozen(table)).toBe(true);
    expect(Object.isFrozen(table[0])).toBe(true);
  });
});

describe("syscallTableFor('i386')", () => {
  const table = syscallTableFor("i386");

  it.each([
    [1, "exit", "sys_exit"],
    [4, "write", "sys_write"],
    [11, "execve", "sys_execve"],
    [140, "_llseek", "sys_llseek"],
    [192, "mmap2", "sys_mmap_pgoff"],
    [243, "set_thread_area", "sys_set_thread_area"],
    [403, "clock_gettime64", "sys_clock_gettime"],
  ])("%i is %s -> %s", (nr, name, entry) => {
    expect(byNr(table, nr)).toMatchObject({ nr, abi: "i386", name, entry });
  });

  it("carries the compat entry point where the table has one", () => {
    expect(byNr(table, 11)?.compat).toBe("compat_sys_execve");
    expect(byNr(table, 4)?.compat).toBeNull();
  });

  it("leaves holes where the table has only a comment (222, 223, 251, 285)", () => {
    for (const nr of [222, 223, 251, 285]) expect(byNr(table, nr)).toBeUndefined();
    expect(byNr(table, 17)).toMatchObject({ name: "break", entry: null });
  });

  it("is sorted by number", () => {
    const nrs = table.map((r) => r.nr);
    expect(nrs).toEqual([...nrs].sort((a, b) => a - b));
  });
});

describe("parseSyscallTbl", () => {
  it("parses rows, skips comments and blank lines, accepts any run of blanks", () => {
    const rows = parseSyscallTbl("# header\n\n0\tcommon\tread\t\t\tsys_read\n462 \tcommon  mseal\t\t\tsys_mseal # why\n7 i386 x\n");
    expect(rows).toEqual([
      { nr: 0, abi: "common", name: "read", entry: "sys_read", compat: null },
      { nr: 462, abi: "common", name: "mseal", entry: "sys_mseal", compat: null },
      { nr: 7, abi: "i386", name: "x", entry: null, compat: null },
    ]);
  });

  it.each([
    ["0\tcommon\tread\tsys_read\n1\tcommon\n", 2, /expected <number> <abi> <name>/],
    ["# c\n\nx1\tcommon\twrite\tsys_write\n", 3, /not a decimal number/],
    ["1\tcommon\twrite\tsys_write\n1\tcommon\twrite2\tsys_write\n", 2, /already defined on line 1/],
    ["1\ti386\twrite\tsys_write\tcompat_sys_write\tnoreturn\textra\n", 1, /too many fields/],
    ["1\ti386\twrite\tsys_write\t-\tsometimes\n", 1, /unknown flag/],
    ["1\ti386\twr-ite\tsys_write\n", 1, /bad syscall name/],
  ])("rejects a malformed line with file and line number (%#)", (text, line, why) => {
    expect(() => parseSyscallTbl(text, "bad.tbl")).toThrow(new RegExp(`^bad\\.tbl:${line}: `));
    expect(() => parseSyscallTbl(text, "bad.tbl")).toThrow(why);
  });

  it("names the real file when reading from the tree", () => {
    expect(readSyscallTbl("32")[0]).toMatchObject({ nr: 0, name: "restart_syscall" });
    expect(projectFile("kernel-model", "tables", "syscall_32.tbl")).toMatch(/kernel-model\/tables\/syscall_32\.tbl$/);
  });
});

describe("kernelVersion", () => {
  it("says which kernel each table comes from", () => {
    expect(tableVersion("64")).toMatch(/^Linux 6\.11-rc3, torvalds\/linux commit [0-9a-f]{40}$/);
    expect(tableVersion("32")).toMatch(/^Linux 6\.6\.37, .* commit [0-9a-f]{40}$/);
    expect(kernelVersion()).toContain("syscall_64.tbl: Linux 6.11-rc3");
    expect(kernelVersion()).toContain("syscall_32.tbl: Linux 6.6.37");
  });
});
