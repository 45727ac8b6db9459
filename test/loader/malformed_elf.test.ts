// Program headers that Linux's load_elf_binary refuses, checked before anything is allocated: each
// gives one line and status 126 at the command line (never a stack trace, a hang or a crash), and
// a guest's execve of the same file gets the errno (ENOEXEC; ENOMEM for an image over the bound).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E } from "../../kernel-model/errno.js";
import { probeProgram, type FuzzAbi } from "../fuzz/syscall_prog.js";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";

const BIN = join(ROOT, "samples", "bin");

interface Ph { at: number; type: number; offset: bigint; vaddr: bigint; filesz: bigint; memsz: bigint }
/** The program headers of an ELF file, with where each one is, for patching. */
function phdrs(f: Buffer): Ph[] {
  const is64 = f[4] === 2;
  const phoff = is64 ? Number(f.readBigUInt64LE(32)) : f.readUInt32LE(28);
  const size = is64 ? 56 : 32, n = f.readUInt16LE(is64 ? 56 : 44);
  return Array.from({ length: n }, (_, i) => {
    const at = phoff + i * size;
    return is64
      ? { at, type: f.readUInt32LE(at), offset: f.readBigUInt64LE(at + 8), vaddr: f.readBigUInt64LE(at + 16), filesz: f.readBigUInt64LE(at + 32), memsz: f.readBigUInt64LE(at + 40) }
      : { at, type: f.readUInt32LE(at), offset: BigInt(f.readUInt32LE(at + 4)), vaddr: BigInt(f.readUInt32LE(at + 8)), filesz: BigInt(f.readUInt32LE(at + 16)), memsz: BigInt(f.readUInt32LE(at + 20)) };
  });
}
const loads = (f: Buffer) => phdrs(f).filter((p) => p.type === 1);
function setField(f: Buffer, p: Ph, field: "vaddr" | "filesz" | "memsz", v: bigint): void {
  if (f[4] === 2) f.writeBigUInt64LE(BigInt.asUintN(64, v), p.at + { vaddr: 16, filesz: 32, memsz: 40 }[field]);
  else f.writeUInt32LE(Number(BigInt.asUintN(32, v)), p.at + { vaddr: 8, filesz: 16, memsz: 20 }[field]);
}

interface Bad { name: string; sample: string; patch: (f: Buffer) => void; why: RegExp; errno: number }
const BAD: Bad[] = [
  { name: "p_filesz > p_memsz", sample: "x86_64/hello-glibc", why: /p_filesz .* > p_memsz/, errno: E.ENOEXEC,
    patch: (f) => { const p = loads(f).at(-1)!; setField(f, p, "memsz", p.filesz - 1n); } },
  { name: "a PT_LOAD in the kernel half", sample: "x86_64/hello-glibc", why: /does not fit below the user address limit/, errno: E.ENOEXEC,
    patch: (f) => { const p = loads(f).at(-1)!; setField(f, p, "vaddr", 0xffffffff81000000n + (p.vaddr & 0xfffn)); } },
  // an i386 program runs under the x86-64 kernel (IA32 emulation), whose limit for it is IA32_PAGE_OFFSET
  { name: "an i386 PT_LOAD above the compat user limit (0xffffe000)", sample: "i386/hello-glibc-32", why: /does not fit below the user address limit/, errno: E.ENOEXEC,
    patch: (f) => { const p = loads(f).at(-1)!; setField(f, p, "vaddr", 0xfffff000n + (p.vaddr & 0xfffn)); } },
  { name: "p_memsz of 4 GiB", sample: "x86_64/hello-glibc", why: /memory bound/, errno: E.ENOMEM,
    patch: (f) => { setField(f, loads(f).at(-1)!, "memsz", 1n << 32n); } },
  { name: "p_memsz of 2^63", sample: "x86_64/hello-glibc", why: /does not fit below the user address limit/, errno: E.ENOEXEC,
    patch: (f) => { setField(f, loads(f).at(-1)!, "memsz", 1n << 63n); } },
  { name: "a segment larger than --memory (512 MiB of bss)", sample: "x86_64/hello-glibc", why: /need \d+ MiB .*memory bound of \d+ MiB/, errno: E.ENOMEM,
    patch: (f) => { setField(f, loads(f).at(-1)!, "memsz", 512n << 20n); } },
  { name: "a static-pie whose entry overflows", sample: "x86_64/hello-static-pie", why: /entry point .* outside the user address space/, errno: E.ENOEXEC,
    patch: (f) => { f.writeBigUInt64LE(0xffffffffffff0000n, 24); } },
  { name: "65535 program headers", sample: "x86_64/hello-glibc", why: /program headers/, errno: E.ENOEXEC,
    patch: (f) => { f.writeUInt16LE(0xffff, 56); } },
  { name: "e_phentsize 4096", sample: "x86_64/hello-glibc", why: /program header size 4096/, errno: E.ENOEXEC,
    patch: (f) => { f.writeUInt16LE(4096, 54); } },
  { name: "overlapping PT_LOADs", sample: "x86_64/hello-glibc", why: /overlaps or precedes/, errno: E.ENOEXEC,
    patch: (f) => { const [a, b] = loads(f); setField(f, b, "vaddr", a.vaddr + (b.vaddr & 0xfffn)); } },
  { name: "PT_LOADs out of order", sample: "i386/hello-glibc-32", why: /overlaps or precedes/, errno: E.ENOEXEC,
    patch: (f) => { const [a, b] = loads(f); const sa = Buffer.from(f.subarray(a.at, a.at + 32)); f.copy(f, a.at, b.at, b.at + 32); sa.copy(f, b.at); } },
];

describe("malformed program headers", () => {
  let dir: string;
  beforeAll(() => {
    ensureDist();
    dir = mkdtempSync(join(tmpdir(), "sysgate-malformed-"));
    for (const [i, b] of BAD.entries()) {
      const f = Buffer.from(readFileSync(join(BIN, b.sample)));
      b.patch(f);
      writeFileSync(join(dir, `bad${i}`), f, { mode: 0o755 });
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [i, b] of BAD.entries()) {
    it(`sysgate run: ${b.name} → one line, status 126`, () => {
      const path = join(dir, `bad${i}`);
      const r = sysgate(["run", "--memory", "64M", path], { timeout: 30_000 });
      expect(r.signal).toBeNull();
      expect(r.status).toBe(126);
      const lines = r.stderr.split("\n").filter(Boolean);
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toContain(path);
      expect(lines[0]).toMatch(b.why);
      expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
    });
  }

  for (const abi of ["x86_64", "i386"] as FuzzAbi[]) {
    it(`a guest's execve (${abi}) of each file gets ENOEXEC, or ENOMEM for an image over the bound`, () => {
      const execve = abi === "x86_64" ? 59 : 11;
      const got: Record<string, number | null> = {};
      const want: Record<string, number> = {};
      for (const [i, b] of BAD.entries()) {
        writeFileSync(join(dir, "probe"), probeProgram(abi, [{ nr: execve, args: [{ str: 0 }, 0n, 0n] }], [`/bad${i}`]), { mode: 0o755 });
        const r = sysgate(["run", "--deterministic", "--memory", "64M", "--root", dir, "/probe"], { timeout: 30_000 });
        got[b.name] = r.status;
        want[b.name] = b.errno;
      }
      expect(got).toEqual(want);
    });
  }
});
