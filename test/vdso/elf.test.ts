// The committed vDSO images are real ELF shared objects a libc can use: checked with elfinfo and
// with the lookups a libc's vDSO code performs (DT_HASH / DT_GNU_HASH, versym + verdef).

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { open, type ELF } from "elfinfo";
import { vdsoImage, vdsoImagePath, type VdsoAbi } from "../../kernel-model/vdso/vdso_image.js";
import {
  cstr, dynamicEntries, dynsyms, elfHash, gnuLookup, section, symbolVersions, sysvLookup, verdefs,
} from "./elf_helpers.js";

const PT_LOAD = 1, PT_DYNAMIC = 2, PT_NOTE = 4, PT_GNU_EH_FRAME = 0x6474e550;
const SHT_RELA = 4, SHT_REL = 9;
const DT_HASH = 4, DT_STRTAB = 5, DT_SYMTAB = 6, DT_RELA = 7, DT_SONAME = 14, DT_REL = 17, DT_TEXTREL = 22,
  DT_JMPREL = 23, DT_GNU_HASH = 0x6ffffef5, DT_VERSYM = 0x6ffffff0, DT_VERDEF = 0x6ffffffc;

const EXPORTS: Record<VdsoAbi, Record<string, string>> = {
  x86_64: Object.fromEntries(
    ["clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres"].flatMap((f) => [
      [`__vdso_${f}`, "LINUX_2.6"], [f, "LINUX_2.6"],
    ]),
  ),
  // As Linux's vdso32.lds.S: the entry and the trampolines are LINUX_2.5, the clocks LINUX_2.6.
  i386: {
    __kernel_vsyscall: "LINUX_2.5", __kernel_sigreturn: "LINUX_2.5", __kernel_rt_sigreturn: "LINUX_2.5",
    __vdso_clock_gettime: "LINUX_2.6", __vdso_clock_gettime64: "LINUX_2.6", __vdso_gettimeofday: "LINUX_2.6",
    __vdso_time: "LINUX_2.6", __vdso_clock_getres: "LINUX_2.6",
  },
};

async function parse(abi: VdsoAbi): Promise<{ b: Buffer; elf: ELF }> {
  const b = readFileSync(vdsoImagePath(abi));
  const r = await open(b);
  expect(r.errors).toEqual([]);
  expect(r.success).toBe(true);
  return { b, elf: r.elf! };
}

describe.each(["x86_64", "i386"] as const)("vDSO image %s", (abi) => {
  it("is an ELF shared object for the right machine, with section headers", async () => {
    const { elf } = await parse(abi);
    expect(elf.bits).toBe(abi === "x86_64" ? 64 : 32);
    expect(elf.isa).toBe(abi === "x86_64" ? 62 : 3); // EM_X86_64, EM_386
    expect(elf.type).toBe(3); // ET_DYN
    expect(elf.numSectionHeaderEntries).toBeGreaterThan(10);
    const names = elf.sections.map((s) => s.name);
    for (const n of [".hash", ".gnu.hash", ".dynsym", ".dynstr", ".gnu.version", ".gnu.version_d", ".dynamic", ".text", ".note"]) {
      expect(names).toContain(n);
    }
  });

  it("has one PT_LOAD from offset 0 at address 0 covering the file, and PT_DYNAMIC inside it", async () => {
    const { b, elf } = await parse(abi);
    const loads = elf.segments.filter((s) => s.type === PT_LOAD);
    expect(loads).toHaveLength(1);
    const load = loads[0]!;
    expect(load.offset).toBe(0);
    expect(Number(load.vaddr)).toBe(0);
    expect(load.memsz).toBe(load.filesz); // nothing to zero-fill: the file is the mapping
    expect(load.flags & 2).toBe(0); // not writable: the kernel maps the vDSO read-only
    const dyn = elf.segments.find((s) => s.type === PT_DYNAMIC)!;
    expect(dyn).toBeDefined();
    expect(dyn.offset + dyn.filesz).toBeLessThanOrEqual(load.filesz);
    expect(Number(dyn.vaddr)).toBe(section(elf, ".dynamic").offset);
    expect(elf.segments.some((s) => s.type === PT_NOTE)).toBe(true);
    expect(elf.segments.some((s) => s.type === PT_GNU_EH_FRAME)).toBe(true);
    // Every allocated section's address equals its file offset (linked at 0, one segment).
    for (const s of elf.sections.filter((x) => x.flags & 2)) expect(Number(s.addr)).toBe(s.offset);
    expect(load.filesz).toBeLessThanOrEqual(b.length);
  });

  it("needs no loader: no relocation sections, no DT_REL/DT_RELA/DT_JMPREL/DT_TEXTREL", async () => {
    const { b, elf } = await parse(abi);
    expect(elf.sections.filter((s) => s.type === SHT_REL || s.type === SHT_RELA)).toEqual([]);
    const dyn = dynamicEntries(b, elf);
    for (const t of [DT_REL, DT_RELA, DT_JMPREL, DT_TEXTREL]) expect(dyn.has(t)).toBe(false);
    for (const t of [DT_HASH, DT_GNU_HASH, DT_SYMTAB, DT_STRTAB, DT_VERSYM, DT_VERDEF, DT_SONAME]) expect(dyn.has(t)).toBe(true);
    expect(Number(dyn.get(DT_HASH))).toBe(section(elf, ".hash").offset);
    expect(Number(dyn.get(DT_GNU_HASH))).toBe(section(elf, ".gnu.hash").offset);
    const soname = cstr(b, section(elf, ".dynstr").offset + Number(dyn.get(DT_SONAME)));
    expect(soname).toBe(abi === "x86_64" ? "linux-vdso.so.1" : "linux-gate.so.1");
    // and no undefined symbols beyond the null entry
    const dynsym = section(elf, ".dynsym") as unknown as { symbols: { shndx: number }[] };
    expect(dynsym.symbols.slice(1).filter((s) => s.shndx === 0)).toEqual([]);
  });

  it("defines the versions and exports every function with its version", async () => {
    const { b, elf } = await parse(abi);
    const defs = verdefs(b, elf);
    const want = abi === "x86_64" ? ["LINUX_2.6"] : ["LINUX_2.6", "LINUX_2.5"];
    expect(defs.filter((d) => !(d.flags & 1)).map((d) => d.name).sort()).toEqual([...want].sort());
    for (const d of defs) expect(d.hash).toBe(elfHash(d.name));
    // glibc looks the clock functions up as LINUX_2.6 with this precomputed hash (VDSO_HASH).
    expect(elfHash("LINUX_2.6")).toBe(61765110);
    const versions = symbolVersions(b, elf);
    for (const [name, version] of Object.entries(EXPORTS[abi])) expect(versions.get(name), name).toBe(version);
  });

  it("finds every export through both .hash and .gnu.hash, and nothing else", async () => {
    const { b, elf } = await parse(abi);
    const syms = dynsyms(b, elf);
    for (const name of Object.keys(EXPORTS[abi])) {
      const i = syms.findIndex((s) => s.name === name);
      expect(i, name).toBeGreaterThan(0);
      expect(sysvLookup(b, elf, name), `.hash ${name}`).toBe(i);
      expect(gnuLookup(b, elf, name), `.gnu.hash ${name}`).toBe(i);
    }
    for (const name of ["vdso_clock_get", "do_hres", "int80_landing_pad", "_vdso_data", "__vdso_nothing"]) {
      expect(sysvLookup(b, elf, name)).toBeUndefined();
      expect(gnuLookup(b, elf, name)).toBeUndefined();
    }
  });

  it("vdsoImage() reports the symbol table's offsets and a page-rounded size", async () => {
    const { b, elf } = await parse(abi);
    const img = vdsoImage(abi);
    expect(img.abi).toBe(abi);
    expect(img.bytes.equals(b)).toBe(true);
    expect(img.size % 4096).toBe(0);
    expect(img.size).toBeGreaterThanOrEqual(b.length);
    expect(img.size - b.length).toBeLessThan(4096);
    expect(img.vvarSize).toBe(4096);
    const dynsym = section(elf, ".dynsym") as unknown as { symbols: { name: string; value: number | bigint; type: number }[] };
    const funcs = dynsym.symbols.filter((s) => s.type === 2);
    expect([...img.symbols.keys()].sort()).toEqual(funcs.map((s) => s.name).sort());
    expect([...img.symbols.keys()].sort()).toEqual(Object.keys(EXPORTS[abi]).sort());
    for (const s of funcs) expect(img.symbols.get(s.name), s.name).toBe(Number(s.value));
    // a copy per call
    img.bytes[0] = 0;
    expect(vdsoImage(abi).bytes[0]).toBe(0x7f);
  });
});

describe("i386 entry and trampolines", () => {
  it("__kernel_vsyscall is Linux's sequence, the fast entry patched in (SYSENTER), the pad after int $0x80", () => {
    const img = vdsoImage("i386", "sysenter");
    const k = img.symbols.get("__kernel_vsyscall")!;
    expect(img.entry).toBe(k);
    // push %ecx; push %edx; push %ebp; mov %esp,%ebp; sysenter; int $0x80; pop %ebp; pop %edx; pop %ecx; ret
    expect([...img.bytes.subarray(k, k + 13)]).toEqual([0x51, 0x52, 0x55, 0x89, 0xe5, 0x0f, 0x34, 0xcd, 0x80, 0x5d, 0x5a, 0x59, 0xc3]);
    expect(img.fastEntry).toBe("sysenter");
    expect(img.sysenter).toBe(k + 5);
    expect(img.int80Fallback).toBe(k + 7);
    expect(img.sysenterReturn).toBe(k + 9);
  });

  it("the SYSCALL32 alternative (AMD under the x86-64 kernel): the user's ECX goes to EBP, then syscall", () => {
    const img = vdsoImage("i386", "syscall");
    const k = img.symbols.get("__kernel_vsyscall")!;
    // push %ecx; push %edx; push %ebp; mov %ecx,%ebp; syscall; int $0x80; pop %ebp; pop %edx; pop %ecx; ret
    expect([...img.bytes.subarray(k, k + 13)]).toEqual([0x51, 0x52, 0x55, 0x89, 0xcd, 0x0f, 0x05, 0xcd, 0x80, 0x5d, 0x5a, 0x59, 0xc3]);
    expect(img.sysenter).toBe(k + 5);
    expect(img.sysenterReturn).toBe(k + 9);
  });

  it("unpatched (no fast entry: the committed image), the site is NOPs and int $0x80 makes the call", () => {
    const img = vdsoImage("i386");
    const k = img.symbols.get("__kernel_vsyscall")!;
    expect([...img.bytes.subarray(k, k + 13)]).toEqual([0x51, 0x52, 0x55, 0x90, 0x90, 0x90, 0x90, 0xcd, 0x80, 0x5d, 0x5a, 0x59, 0xc3]);
    expect(img.fastEntry).toBeUndefined();
    expect(img.sysenter).toBeUndefined();
  });

  it("the sigreturn trampolines pop the signal number and call sigreturn(119) / rt_sigreturn(173)", () => {
    const img = vdsoImage("i386");
    const s = img.symbols.get("__kernel_sigreturn")!;
    expect([...img.bytes.subarray(s - 1, s + 8)]).toEqual([0x90, 0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80]);
    const r = img.symbols.get("__kernel_rt_sigreturn")!;
    expect([...img.bytes.subarray(r - 1, r + 7)]).toEqual([0x90, 0xb8, 173, 0, 0, 0, 0xcd, 0x80]);
  });

  it("x86-64 has no i386 entry points", () => {
    const img = vdsoImage("x86_64");
    expect(img.sysenterReturn).toBeUndefined();
    expect(img.symbols.has("__kernel_vsyscall")).toBe(false);
  });
});
