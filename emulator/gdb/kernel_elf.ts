// `sysgate kernel-elf --abi 64|32 -o FILE`: the model's kernel text as an ELF file gdb can load
// symbols from (`add-symbol-file FILE` or `symbol-file FILE`), so that `break entry_SYSCALL_64`,
// `x/i $pc` and `bt` name kernel addresses. The bytes are the assembled entry text
// (kernel-model/entry/entry_64.bin, entry_32.bin) at the address the model maps it; the
// symbols are the labels of its nasm map, each a function up to the next one (System V ABI,
// "Object Files": ELF header, one PT_LOAD, sections .text .symtab .strtab .shstrtab).

import { writeFileSync } from "node:fs";
import * as L64 from "../../kernel-model/boot/layout_64.js";
import * as L32 from "../../kernel-model/boot/layout_32.js";
import { kernelText, type KernelText } from "../../kernel-model/entry/kernel_text.js";
import { UsageError } from "../cli/usage.js";

const EM_386 = 3, EM_X86_64 = 62;
const ET_EXEC = 2, PT_LOAD = 1, PF_X = 1, PF_R = 4;
const SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3;
const SHF_ALLOC = 2, SHF_EXECINSTR = 4;
const STB_LOCAL = 0, STB_GLOBAL = 1, STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2;
const SHN_ABS = 0xfff1;

/**
 * The kernel data the model lays out page by page from KERNEL_DATA_START (boot/setup_64.ts,
 * setup_32.ts: GDT, IDT, TSS, per-CPU area, a guard page, the stack), under Linux's names, so
 * that `x/2gx (long)&idt_table + 128*16` shows the gate of vector 128. test/gdb/kernel_elf.test.ts
 * checks these against a booted model.
 */
export function kernelDataSymbols(abi: 64 | 32): { name: string; page: number; size: number }[] {
  const stack = abi === 64 ? { page: 5, size: L64.THREAD_SIZE } : { page: 4, size: L32.THREAD_SIZE };
  return [
    { name: "gdt_page", page: 0, size: 4096 },
    { name: "idt_table", page: 1, size: 4096 },
    { name: "cpu_tss_rw", page: 2, size: 4096 },
    ...(abi === 64 ? [{ name: "pcpu_hot", page: 3, size: 4096 }] : []),
    { name: "init_stack", ...stack },
  ];
}
const TEXT_OFFSET = 0x1000;

class Strtab {
  private readonly parts: Buffer[] = [Buffer.alloc(1)];
  private size = 1;
  add(s: string): number {
    const at = this.size;
    const b = Buffer.from(s + "\0");
    this.parts.push(b);
    this.size += b.length;
    return at;
  }
  bytes(): Buffer { return Buffer.concat(this.parts); }
}

interface SymOut { name: string; value: bigint; size: bigint; bind: number; type: number; shndx?: number }

/** The symbols of a kernel text: labels inside a function (`a.b`) are local, nasm's macro-local `..@` labels left out. */
function symbolsOf(text: KernelText): SymOut[] {
  const end = text.base + BigInt(text.bytes.length);
  const named = [...text.symbols].filter(([n]) => !n.startsWith("..@")).sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const globals = named.filter(([n]) => !n.includes("."));
  const out: SymOut[] = [];
  for (const [name, value] of named.filter(([n]) => n.includes("."))) out.push({ name, value, size: 0n, bind: STB_LOCAL, type: STT_NOTYPE });
  globals.forEach(([name, value], i) => {
    const next = globals.slice(i + 1).find(([, v]) => v > value)?.[1] ?? end;
    out.push({ name, value, size: next - value, bind: STB_GLOBAL, type: STT_FUNC });
  });
  return out;
}

export function buildKernelElf(abi: 64 | 32): Buffer {
  const text = kernelText(abi === 64 ? "entry_64" : "entry_32");
  const is64 = abi === 64;
  const dataStart = is64 ? L64.KERNEL_DATA_START : L32.KERNEL_DATA_START;
  const syms = [...symbolsOf(text), ...kernelDataSymbols(abi).map((d) => ({
    name: d.name, value: dataStart + BigInt(d.page * 4096), size: BigInt(d.size), bind: STB_GLOBAL, type: STT_OBJECT, shndx: SHN_ABS,
  }))];
  const strtab = new Strtab();
  const shstr = new Strtab();
  const names = { text: shstr.add(".text"), symtab: shstr.add(".symtab"), strtab: shstr.add(".strtab"), shstrtab: shstr.add(".shstrtab") };

  const symSize = is64 ? 24 : 16;
  const symtab = Buffer.alloc(symSize * (syms.length + 1));
  syms.forEach((s, i) => {
    const o = (i + 1) * symSize, name = strtab.add(s.name), info = (s.bind << 4) | s.type;
    if (is64) {
      symtab.writeUInt32LE(name, o); symtab[o + 4] = info; symtab[o + 5] = 0; symtab.writeUInt16LE(s.shndx ?? 1, o + 6);
      symtab.writeBigUInt64LE(s.value, o + 8); symtab.writeBigUInt64LE(s.size, o + 16);
    } else {
      symtab.writeUInt32LE(name, o); symtab.writeUInt32LE(Number(s.value), o + 4); symtab.writeUInt32LE(Number(s.size), o + 8);
      symtab[o + 12] = info; symtab[o + 13] = 0; symtab.writeUInt16LE(s.shndx ?? 1, o + 14);
    }
  });
  const firstGlobal = 1 + syms.filter((s) => s.bind === STB_LOCAL).length;
  const strBytes = strtab.bytes(), shstrBytes = shstr.bytes();

  const symOff = TEXT_OFFSET + text.bytes.length;
  const strOff = symOff + symtab.length;
  const shstrOff = strOff + strBytes.length;
  const shOff = (shstrOff + shstrBytes.length + 7) & ~7;
  const ehSize = is64 ? 64 : 52, phSize = is64 ? 56 : 32, shSize = is64 ? 64 : 40;
  const file = Buffer.alloc(shOff + 5 * shSize);

  // ELF header
  file.write("\x7fELF", 0, "latin1");
  file[4] = is64 ? 2 : 1; // EI_CLASS
  file[5] = 1; // little-endian
  file[6] = 1; // EV_CURRENT
  const w = (v: bigint | number, o: number) => (is64 ? file.writeBigUInt64LE(BigInt(v), o) : file.writeUInt32LE(Number(v), o));
  const a = is64 ? 8 : 4; // the size of an address field
  file.writeUInt16LE(ET_EXEC, 16);
  file.writeUInt16LE(is64 ? EM_X86_64 : EM_386, 18);
  file.writeUInt32LE(1, 20);
  w(text.base, 24); // e_entry: the start of the text
  w(ehSize, 24 + a); // e_phoff
  w(shOff, 24 + 2 * a); // e_shoff
  const tail = 24 + 3 * a;
  file.writeUInt32LE(0, tail); // e_flags
  file.writeUInt16LE(ehSize, tail + 4);
  file.writeUInt16LE(phSize, tail + 6);
  file.writeUInt16LE(1, tail + 8);
  file.writeUInt16LE(shSize, tail + 10);
  file.writeUInt16LE(5, tail + 12);
  file.writeUInt16LE(4, tail + 14); // e_shstrndx

  // the one PT_LOAD: the text, read and execute
  const ph = ehSize;
  if (is64) {
    file.writeUInt32LE(PT_LOAD, ph); file.writeUInt32LE(PF_R | PF_X, ph + 4);
    file.writeBigUInt64LE(BigInt(TEXT_OFFSET), ph + 8); file.writeBigUInt64LE(text.base, ph + 16); file.writeBigUInt64LE(text.base, ph + 24);
    file.writeBigUInt64LE(BigInt(text.bytes.length), ph + 32); file.writeBigUInt64LE(BigInt(text.bytes.length), ph + 40);
    file.writeBigUInt64LE(0x1000n, ph + 48);
  } else {
    [PT_LOAD, TEXT_OFFSET, Number(text.base), Number(text.base), text.bytes.length, text.bytes.length, PF_R | PF_X, 0x1000]
      .forEach((v, i) => file.writeUInt32LE(v >>> 0, ph + i * 4));
  }
  text.bytes.copy(file, TEXT_OFFSET);
  symtab.copy(file, symOff);
  strBytes.copy(file, strOff);
  shstrBytes.copy(file, shstrOff);

  // section headers: null, .text, .symtab, .strtab, .shstrtab
  const sections: [number, number, number, bigint, number, number, number, number, number, number][] = [
    [names.text, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, text.base, TEXT_OFFSET, text.bytes.length, 0, 0, 16, 0],
    [names.symtab, SHT_SYMTAB, 0, 0n, symOff, symtab.length, 3, firstGlobal, 8, symSize],
    [names.strtab, SHT_STRTAB, 0, 0n, strOff, strBytes.length, 0, 0, 1, 0],
    [names.shstrtab, SHT_STRTAB, 0, 0n, shstrOff, shstrBytes.length, 0, 0, 1, 0],
  ];
  sections.forEach(([name, type, flags, addr, off, size, link, info, align, entsize], i) => {
    const o = shOff + (i + 1) * shSize;
    file.writeUInt32LE(name, o);
    file.writeUInt32LE(type, o + 4);
    if (is64) {
      file.writeBigUInt64LE(BigInt(flags), o + 8); file.writeBigUInt64LE(addr, o + 16); file.writeBigUInt64LE(BigInt(off), o + 24);
      file.writeBigUInt64LE(BigInt(size), o + 32); file.writeUInt32LE(link, o + 40); file.writeUInt32LE(info, o + 44);
      file.writeBigUInt64LE(BigInt(align), o + 48); file.writeBigUInt64LE(BigInt(entsize), o + 56);
    } else {
      [flags, Number(addr), off, size, link, info, align, entsize].forEach((v, k) => file.writeUInt32LE(v >>> 0, o + 8 + k * 4));
    }
  });
  return file;
}

/** `sysgate kernel-elf --abi 64|32 -o FILE` */
export function kernelElfCommand(argv: string[]): number {
  let abi: 64 | 32 | undefined, out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--abi") {
      const v = value();
      if (v !== "64" && v !== "32") throw new UsageError(`--abi takes 64 or 32, not '${v}'`);
      abi = v === "64" ? 64 : 32;
    } else if (a === "-o") out = value();
    else throw new UsageError(`unknown argument '${a}' for kernel-elf (usage: sysgate kernel-elf --abi 64|32 -o FILE)`);
  }
  if (!abi || !out) throw new UsageError("usage: sysgate kernel-elf --abi 64|32 -o FILE");
  writeFileSync(out, buildKernelElf(abi));
  return 0;
}
