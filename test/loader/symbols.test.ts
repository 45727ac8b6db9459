// The loader reads .symtab itself (elf.ts elfSymbols: a general ELF library's module load cost
// every start more than the rest of the ELF loading). elfinfo, the library the project uses for
// ELF files elsewhere, is the oracle here: both must find the same function and object symbols in
// real static programs of both ABIs (the glibc and musl samples; Debian's busybox is stripped, and
// both must agree that it has none).

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { open, type ELFSymbolSection } from "elfinfo";
import { describe, expect, it } from "vitest";
import { elfSymbols } from "../../emulator/loader/elf.js";

const root = join(import.meta.dirname, "../..");
const STT_OBJECT = 1, STT_FUNC = 2, SHT_SYMTAB = 2;

const programs = [
  join(root, ".cache/corpus/amd64/busybox"),
  join(root, ".cache/corpus/i386/busybox"),
  ...["x86_64", "i386"].flatMap((abi) =>
    readdirSync(join(root, "samples/bin", abi)).filter((f) => /glibc|musl/.test(f)).map((f) => join(root, "samples/bin", abi, f))),
];

async function oracle(bytes: Buffer): Promise<string[]> {
  const r = await open(bytes);
  expect(r.success).toBe(true);
  const out: string[] = [];
  for (const s of r.elf!.sections) {
    if (s.type !== SHT_SYMTAB) continue;
    for (const sym of (s as ELFSymbolSection).symbols.slice(1)) {
      if ((sym.type === STT_FUNC || sym.type === STT_OBJECT) && sym.name) out.push(`${sym.name} ${BigInt(sym.value).toString(16)} ${sym.size} ${sym.type}`);
    }
  }
  return out;
}

describe("elfSymbols against elfinfo", () => {
  it.each(programs.map((p) => [p.slice(root.length + 1), p]))("%s: the same function and object symbols", async (_name, path) => {
    const bytes = readFileSync(path);
    const ours = elfSymbols(bytes).map((s) => `${s.name} ${s.value.toString(16)} ${s.size} ${s.type}`);
    const theirs = await oracle(bytes);
    if (!path.includes("busybox")) expect(ours.length).toBeGreaterThan(100);
    expect(ours).toEqual(theirs);
  });

  it("a cut section table gives no symbols, not an error", () => {
    const bytes = readFileSync(programs[2]!);
    expect(elfSymbols(bytes).length).toBeGreaterThan(0);
    expect(elfSymbols(bytes.subarray(0, bytes.length - 4096))).toEqual([]);
  });
});
