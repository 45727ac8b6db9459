// Every i386 sample of samples/expected.json through the real command line: the same stdout and
// exit status as natively (test/samples-native.test.ts checks the table on the host), with the
// vDSO and, for the programs that pick their entry from AT_SYSINFO, without it (--no-vdso); under
// IA32 emulation (the default, Intel and AMD) and on the native i386 kernel (--kernel i386).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "./cli.js";

interface ExpectedRun { bin: string; args: string[]; stdout?: string; stdoutIncludes?: string[]; status?: number; signal?: string }
const expected = JSON.parse(readFileSync(join(ROOT, "samples", "expected.json"), "utf8")) as { runs: ExpectedRun[] };
const i386 = expected.runs.filter((r) => r.bin.startsWith("i386/"));

beforeAll(() => ensureDist(), 120_000);

function check(e: ExpectedRun, extra: string[], stdout = e.stdout): void {
  const r = sysgate(["run", ...extra, join("samples", "bin", e.bin), ...e.args]);
  expect(r.signal, "sysgate itself must not die of a signal").toBeNull();
  expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
  if (stdout !== undefined) expect(r.stdout).toBe(stdout);
  for (const s of e.stdoutIncludes ?? []) expect(r.stdout.split("\n")).toContain(s);
  expect(r.status, r.stderr).toBe(e.status);
}

describe("i386 samples under sysgate behave as natively (samples/expected.json)", () => {
  it("there are i386 runs to check", () => expect(i386.length).toBeGreaterThanOrEqual(10));
  for (const e of i386) {
    it(`${e.bin} ${e.args.join(" ")}`.trim(), () => check(e, []));
  }
});

// The default runs them under IA32 emulation with an Intel CPU (SYSENTER); the same programs on an
// AMD CPU (SYSCALL from compatibility mode) and on the native i386 kernel must not differ either.
for (const opts of [["--cpu", "amd"], ["--kernel", "i386"]]) {
  describe(`${opts.join(" ")}: i386 samples behave as natively`, () => {
    for (const e of i386) {
      it(`${e.bin} ${e.args.join(" ")}`.trim(), () => check(e, opts));
    }
  });
}

describe("--no-vdso: no AT_SYSINFO, the programs fall back to int $0x80", () => {
  const byBin = (b: string) => i386.find((e) => e.bin === b)!;
  it("hello-vsyscall says it has no AT_SYSINFO (expected.json's note)", () => {
    check(byBin("i386/hello-vsyscall"), ["--no-vdso"], "no AT_SYSINFO, using int 0x80\n");
  });
  for (const b of ["i386/hello-glibc-32", "i386/hello-musl-32", "i386/getppid-loop-sysenter"]) {
    it(`${b}: same output through int $0x80`, () => check(byBin(b), ["--no-vdso"]));
  }
  it("auxv-32 lists neither AT_SYSINFO nor AT_SYSINFO_EHDR", () => {
    const e = byBin("i386/auxv-32");
    const r = sysgate(["run", "--no-vdso", join("samples", "bin", e.bin), ...e.args]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^AT_SYSINFO/m);
    const withVdso = sysgate(["run", join("samples", "bin", e.bin), ...e.args]);
    expect(withVdso.stdout).toMatch(/^AT_SYSINFO /m);
    expect(withVdso.stdout).toMatch(/^AT_SYSINFO_EHDR /m);
  });
});
