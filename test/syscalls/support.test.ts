// Every syscall's support status is declared where its routine is registered (support.ts):
// a routine registered under a name that no table row uses could never run, and a row with an
// entry point but neither a routine nor a declared error would answer -ENOSYS with no reason.

import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { allSyscalls } from "../../kernel-model/syscalls/index.js";
import { partial, supportOf, unsupported } from "../../kernel-model/syscalls/support.js";
import { SyscallTable } from "../../kernel-model/syscalls/table.js";
import { syscallTableFor } from "../../kernel-model/tables/syscall_tbl.js";
import { E } from "../../kernel-model/errno.js";

const ABIS = ["x86_64", "i386"] as const;

describe("support status per syscall", () => {
  it("every registered routine is reachable from a row of a table (entry or compat column)", () => {
    const named = new Set<string>();
    for (const abi of ABIS) {
      for (const row of syscallTableFor(abi)) {
        if (row.entry) named.add(row.entry);
        if (row.compat) named.add(row.compat);
      }
    }
    const unreachable = Object.keys(allSyscalls).filter((k) => !named.has(k));
    expect(unreachable).toEqual([]);
  });

  it.each(ABIS)("every %s row with an entry point has a routine or a declared error", (abi) => {
    const table = new SyscallTable(abi, allSyscalls);
    const silent = [...table.slots.values()].filter((s) => s.entry && !s.support).map((s) => `${s.nr} ${s.name} (${s.entry})`);
    expect(silent).toEqual([]);
  });

  it("every ia32_sys_call_table row (IA32 emulation: compat entries first) has a routine or a declared error", () => {
    const table = new SyscallTable("i386", allSyscalls, { compat: true });
    const silent = [...table.slots.values()].filter((s) => s.entry && !s.support).map((s) => `${s.nr} ${s.name} (${s.entry})`);
    expect(silent).toEqual([]);
    // a row with a compat column dispatches to it, and the status says what the native row says
    const native = new SyscallTable("i386", allSyscalls);
    for (const s of table.slots.values()) {
      if (s.compat) expect(s.entry).toBe(s.compat);
      expect(s.support?.status, s.name).toBe(native.slot(s.nr)!.support?.status);
    }
  });

  it("a declared error answers its errno and carries its reason; a partial routine runs and carries its note", () => {
    const ctx = {} as Parameters<ReturnType<typeof unsupported>>[0];
    const args = [0n, 0n, 0n, 0n, 0n, 0n] as const;
    const no = unsupported(E.EPERM, "because");
    expect(no(ctx, args)).toBe(-E.EPERM);
    expect(supportOf(no)).toEqual({ status: "error", errno: E.EPERM, note: "because" });
    const half = partial("only the first half", () => 7);
    expect(half(ctx, args)).toBe(7);
    expect(supportOf(half)).toEqual({ status: "partial", note: "only the first half" });
    expect(supportOf(() => 0)).toEqual({ status: "supported" });
    expect(supportOf(undefined)).toBeUndefined();
  });

  it("clone3 is declared partial, with what it refuses", () => {
    const slot = new SyscallTable("x86_64", allSyscalls).lookup("clone3")!;
    expect(slot.support).toMatchObject({ status: "partial", note: expect.stringContaining("CLONE_PIDFD") });
  });
});

describe("sysgate table", () => {
  const cli = (args: string[]) => execFileSync(process.execPath, ["dist/emulator/cli/main.js", "table", ...args], { encoding: "utf8" });

  it("prints the status and note of each slot, and counts them", () => {
    const out = cli(["--abi", "64"]);
    expect(out).toMatch(/^1\twrite\tsys_write\tsupported$/m);
    expect(out).toMatch(/^41\tsocket\tsys_socket\terror ENOSYS\tno network stack/m);
    expect(out).toMatch(/^# \d+ slots: \d+ supported, /m);
  });

  it("--json gives the same statuses as data", () => {
    const j = JSON.parse(cli(["--abi", "32", "--json"])) as { abi: string; slots: { nr: number; name: string; status: string; errno?: string; note?: string }[] };
    expect(j.abi).toBe("i386");
    expect(j.slots.find((s) => s.name === "write")).toMatchObject({ nr: 4, status: "supported" });
    expect(j.slots.find((s) => s.name === "socketcall")).toMatchObject({ status: "error", errno: "ENOSYS" });
    expect(j.slots.find((s) => s.name === "break")).toMatchObject({ status: "reserved" });
  });
});
