// sysgate runs each x86-64 sample as Linux runs it natively (samples/expected.json is the
// oracle, checked on the host by test/samples-native.test.ts): same stdout, same exit status,
// and a death by signal looks as it does in a shell (status 128+n, the shell's message).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool } from "../cpu/nasm.js";
import { CLI, ROOT, ensureDist, sysgate } from "./cli.js";

interface ExpectedRun {
  bin: string;
  args: string[];
  stdout?: string;
  stdoutIncludes?: string[];
  status?: number;
  signal?: NodeJS.Signals;
}
const expected = JSON.parse(readFileSync(join(ROOT, "samples", "expected.json"), "utf8")) as { runs: ExpectedRun[] };
const x86_64 = expected.runs.filter((r) => r.bin.startsWith("x86_64/"));

// What bash prints for a child killed by these signals (strsignal(3) texts).
const SHELL_MESSAGE: Partial<Record<NodeJS.Signals, string>> = {
  SIGSEGV: "Segmentation fault",
  SIGILL: "Illegal instruction",
  SIGFPE: "Floating point exception",
  SIGTRAP: "Trace/breakpoint trap",
  SIGBUS: "Bus error",
  SIGABRT: "Aborted",
};

beforeAll(() => ensureDist(), 120_000);

describe("x86-64 samples under sysgate behave as natively (samples/expected.json)", () => {
  it("there are x86-64 runs to check", () => expect(x86_64.length).toBeGreaterThan(10));

  for (const e of x86_64) {
    it(`${e.bin} ${e.args.join(" ")}`.trim(), () => {
      const r = sysgate(["run", join("samples", "bin", e.bin), ...e.args]);
      expect(r.signal, "sysgate itself must not die of a signal").toBeNull();
      if (e.stdout !== undefined) expect(r.stdout).toBe(e.stdout);
      for (const s of e.stdoutIncludes ?? []) expect(r.stdout.split("\n")).toContain(s);
      expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
      if (e.signal) {
        expect(r.status).toBe(128 + constants.signals[e.signal]);
        const last = r.stderr.trimEnd().split("\n").at(-1)!;
        expect(last.startsWith(SHELL_MESSAGE[e.signal]!), r.stderr).toBe(true);
      } else {
        expect(r.status, r.stderr).toBe(e.status);
      }
    });
  }
});

/** e_entry, e_phoff, e_phentsize, e_phnum and the address the program headers are loaded at. */
function elfFacts(path: string) {
  const f = readFileSync(path);
  const entry = f.readBigUInt64LE(24), phoff = f.readBigUInt64LE(32);
  const phentsize = f.readUInt16LE(54), phnum = f.readUInt16LE(56);
  let phdr: bigint | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = Number(phoff) + i * phentsize;
    const type = f.readUInt32LE(p), offset = f.readBigUInt64LE(p + 8), vaddr = f.readBigUInt64LE(p + 16), filesz = f.readBigUInt64LE(p + 32);
    if (type === 6) { phdr = vaddr; break; } // PT_PHDR
    if (type === 1 && phdr === undefined && offset <= phoff && phoff < offset + filesz) phdr = vaddr + (phoff - offset);
  }
  return { entry, phentsize, phnum, phdr: phdr! };
}

describe("the auxv sample: the auxiliary vector sysgate builds", () => {
  const path = join("samples", "bin", "x86_64", "auxv");
  const AT_NAMES = ["AT_PHDR", "AT_PHENT", "AT_PHNUM", "AT_PAGESZ", "AT_BASE", "AT_FLAGS", "AT_ENTRY", "AT_UID", "AT_EUID",
    "AT_GID", "AT_EGID", "AT_SECURE", "AT_RANDOM", "AT_HWCAP", "AT_HWCAP2", "AT_CLKTCK", "AT_PLATFORM", "AT_EXECFN", "AT_MINSIGSTKSZ"];
  let out: string;
  let at: Map<string, { value: bigint; rest: string }>;
  beforeAll(() => {
    const r = sysgate(["run", path, "one", "two words"]);
    expect(r.status, r.stderr).toBe(0);
    out = r.stdout;
    at = new Map();
    for (const m of out.matchAll(/^(AT_\w+) (0x[0-9a-f]+)(?: (.*))?$/gm)) at.set(m[1], { value: BigInt(m[2]), rest: m[3] ?? "" });
  });

  it("prints every AT_* entry Linux gives a static x86-64 program", () => {
    for (const n of AT_NAMES) expect([...at.keys()], n).toContain(n);
  });

  it("values agree with the binary and the process", () => {
    const elf = elfFacts(join(ROOT, path));
    const v = (n: string) => at.get(n)!.value;
    expect(v("AT_ENTRY")).toBe(elf.entry);
    expect(v("AT_PHNUM")).toBe(BigInt(elf.phnum));
    expect(v("AT_PHENT")).toBe(BigInt(elf.phentsize));
    expect(v("AT_PHDR")).toBe(elf.phdr);
    expect(v("AT_PAGESZ")).toBe(4096n);
    expect(v("AT_BASE")).toBe(0n); // no interpreter
    expect(v("AT_FLAGS")).toBe(0n);
    expect(v("AT_SECURE")).toBe(0n);
    expect(v("AT_CLKTCK")).toBe(100n); // USER_HZ
    const uid = BigInt(process.getuid!()), gid = BigInt(process.getgid!());
    expect([v("AT_UID"), v("AT_EUID"), v("AT_GID"), v("AT_EGID")]).toEqual([uid, uid, gid, gid]);
    expect(v("AT_MINSIGSTKSZ")).toBeGreaterThan(0n);
  });

  it("strings and AT_RANDOM live on the stack; AT_EXECFN is the path given, AT_PLATFORM x86_64", () => {
    expect(at.get("AT_EXECFN")!.rest).toBe(JSON.stringify(path));
    expect(at.get("AT_PLATFORM")!.rest).toBe('"x86_64"');
    const rnd = at.get("AT_RANDOM")!;
    expect(rnd.rest).toMatch(/^[0-9a-f]{32}$/);
    const top = 0x7ffffffff000n; // the user stack of a 47-bit address space ends here
    for (const n of ["AT_RANDOM", "AT_EXECFN", "AT_PLATFORM"]) {
      expect(v(n) < top && v(n) > top - (1n << 20n), n).toBe(true);
    }
    function v(n: string) { return at.get(n)!.value; }
  });

  it("argv and the stack alignment at _start", () => {
    const lines = out.split("\n");
    expect(lines).toContain("argc 3");
    expect(lines).toContain(`argv[0] ${path}`);
    expect(lines).toContain("argv[2] two words");
    expect(lines).toContain("stack at _start 16-byte aligned: yes");
  });
});

// A guest that allocates and touches memory in 8 MiB chunks until malloc fails (or 1 GiB).
const HOG = `
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  const size_t chunk = 8u << 20;
  size_t total = 0;
  for (int i = 0; i < 128; i++) {
    errno = 0;
    char *p = malloc(chunk);
    if (!p) {
      printf("allocated %zu MiB, then malloc failed: %s\\n", total >> 20, errno == ENOMEM ? "ENOMEM" : strerror(errno));
      return 0;
    }
    memset(p, 0xa5, chunk);
    total += chunk;
  }
  printf("allocated %zu MiB, never failed\\n", total >> 20);
  return 1;
}
`;

const haveGcc = hasTool("gcc") && hasTool("/usr/bin/time");
if (!haveGcc) console.warn("samples: gcc or /usr/bin/time missing: the --memory bound test is skipped");

describe.skipIf(!haveGcc)("--memory bounds the guest", () => {
  let dir: string;
  let hog: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sysgate-mem-"));
    writeFileSync(join(dir, "hog.c"), HOG);
    hog = join(dir, "hog");
    const r = spawnSync("gcc", ["-static", "-O1", "-o", hog, join(dir, "hog.c")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`gcc -static failed (static glibc needed: libc6-dev):\n${r.stderr}`);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs sysgate under /usr/bin/time: its output and its peak RSS in KiB. */
  function measured(args: string[]) {
    const r = spawnSync("/usr/bin/time", ["-f", "MAXRSS %M", process.execPath, CLI, ...args], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });
    const m = /MAXRSS (\d+)\s*$/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    return { stdout: r.stdout, stderr: r.stderr.slice(0, m!.index), status: r.status, rssKiB: Number(m![1]) };
  }

  it("a guest allocating past 64M gets ENOMEM, and sysgate's own RSS stays near its baseline", () => {
    const base = measured(["run", join(ROOT, "samples", "bin", "x86_64", "hello-glibc")]);
    expect(base.status).toBe(0);
    const r = measured(["run", "--memory", "64M", hog]);
    expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const m = /^allocated (\d+) MiB, then malloc failed: (\S+)$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(m![2]).toBe("ENOMEM");
    expect(Number(m![1])).toBeLessThan(64);
    expect(Number(m![1])).toBeGreaterThanOrEqual(8); // the bound is not absurdly small either
    // guest RAM is 64 MiB + the kernel's 16 MiB; allow 32 MiB of slack for the host side
    expect(r.rssKiB - base.rssKiB).toBeLessThan((64 + 16 + 32) * 1024);
  }, 180_000);
});
