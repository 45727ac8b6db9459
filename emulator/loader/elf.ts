// Reading and checking an ELF executable before anything is mapped (fs/binfmt_elf.c's checks in
// load_elf_binary, with messages a person can act on). Parsing is elfinfo's.

import { open } from "elfinfo";

export const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_PHDR = 6, PT_TLS = 7, PT_GNU_STACK = 0x6474e551;
export const ET_EXEC = 2, ET_DYN = 3;
export const EM_386 = 3, EM_X86_64 = 62;
export const PF_X = 1, PF_W = 2, PF_R = 4;

/** The file cannot be run: one line that says why (execve's ENOEXEC, with the reason). */
export class ExecFormatError extends Error {}

export interface ElfSegment { type: number; flags: number; offset: number; vaddr: bigint; filesz: number; memsz: number; align: number }

export interface ElfSymbol { name: string; value: bigint; size: number; type: number }

export interface ElfImage {
  readonly bits: 64 | 32;
  readonly machine: "x86_64" | "i386";
  readonly type: typeof ET_EXEC | typeof ET_DYN;
  readonly entry: bigint;
  readonly phoff: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly segments: readonly ElfSegment[];
  /** STT_FUNC and STT_OBJECT symbols of .symtab (a static binary's only symbol table). */
  readonly symbols: readonly ElfSymbol[];
  readonly bytes: Buffer;
}

/**
 * The checks of load_elf_binary and the program headers, read directly and synchronously (execve
 * runs inside a syscall). The symbol table is left empty: elfSymbols() reads it with elfinfo.
 */
export function checkElf(bytes: Buffer, name: string): ElfImage {
  if (bytes.length < 4 || bytes.readUInt32BE(0) !== 0x7f454c46) {
    throw new ExecFormatError(`${name}: not an ELF file (no \\x7fELF magic at the start)`);
  }
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) throw new ExecFormatError(`${name}: not a valid ELF file (unknown class ${cls})`);
  if (bytes[5] !== 1) throw new ExecFormatError(`${name}: big-endian ELF files do not run on x86`);
  const ehsize = cls === 2 ? 64 : 52;
  if (bytes.length < ehsize) throw new ExecFormatError(`${name}: truncated ELF file (${bytes.length} bytes, the ELF header alone needs ${ehsize})`);
  const machine = bytes.readUInt16LE(18);
  if (machine !== EM_X86_64 && machine !== EM_386) {
    throw new ExecFormatError(`${name}: wrong machine: ELF machine ${machine} (${MACHINE_NAMES[machine] ?? "unknown"}); sysgate runs x86-64 and i386 programs only`);
  }
  if ((machine === EM_X86_64) !== (cls === 2)) throw new ExecFormatError(`${name}: ELF class and machine disagree`);
  const type = bytes.readUInt16LE(16);
  if (type !== ET_EXEC && type !== ET_DYN) {
    throw new ExecFormatError(`${name}: not an executable (ELF type ${type === 1 ? "REL, an object file" : type === 4 ? "CORE, a core dump" : type})`);
  }
  const phoff = Number(cls === 2 ? bytes.readBigUInt64LE(32) : BigInt(bytes.readUInt32LE(28)));
  const phentsize = bytes.readUInt16LE(cls === 2 ? 54 : 42);
  const phnum = bytes.readUInt16LE(cls === 2 ? 56 : 44);
  if (phnum === 0) throw new ExecFormatError(`${name}: no program headers: nothing to load`);
  const minPhent = cls === 2 ? 56 : 32;
  if (phentsize < minPhent) throw new ExecFormatError(`${name}: not a valid ELF file (program header size ${phentsize}, at least ${minPhent} expected)`);
  if (phoff + phentsize * phnum > bytes.length) {
    throw new ExecFormatError(`${name}: truncated ELF file (program headers end at byte ${phoff + phentsize * phnum}, the file has ${bytes.length})`);
  }

  // Bounds first, from the raw program headers: elfinfo rejects a segment past the end of the file
  // with a generic "Invalid offsets", which tells a person nothing about what went wrong.
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    const pType = bytes.readUInt32LE(ph);
    if (pType !== PT_LOAD && pType !== PT_INTERP) continue;
    const offset = cls === 2 ? Number(bytes.readBigUInt64LE(ph + 8)) : bytes.readUInt32LE(ph + 4);
    const filesz = cls === 2 ? Number(bytes.readBigUInt64LE(ph + 32)) : bytes.readUInt32LE(ph + 16);
    if (offset + filesz > bytes.length) {
      const what = pType === PT_LOAD ? "a PT_LOAD segment" : "the PT_INTERP path";
      throw new ExecFormatError(`${name}: truncated ELF file (${what} ends at byte ${offset + filesz}, the file has ${bytes.length})`);
    }
  }

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    segments.push(cls === 2
      ? { type: bytes.readUInt32LE(ph), flags: bytes.readUInt32LE(ph + 4), offset: Number(bytes.readBigUInt64LE(ph + 8)),
          vaddr: bytes.readBigUInt64LE(ph + 16), filesz: Number(bytes.readBigUInt64LE(ph + 32)),
          memsz: Number(bytes.readBigUInt64LE(ph + 40)), align: Number(bytes.readBigUInt64LE(ph + 48)) }
      : { type: bytes.readUInt32LE(ph), offset: bytes.readUInt32LE(ph + 4), vaddr: BigInt(bytes.readUInt32LE(ph + 8)),
          filesz: bytes.readUInt32LE(ph + 16), memsz: bytes.readUInt32LE(ph + 20), flags: bytes.readUInt32LE(ph + 24),
          align: bytes.readUInt32LE(ph + 28) });
  }
  if (segments.some((s) => s.type === PT_INTERP)) {
    const interp = segments.find((s) => s.type === PT_INTERP)!;
    const path = bytes.subarray(interp.offset, interp.offset + interp.filesz).toString("latin1").replace(/\0.*$/, "");
    throw new ExecFormatError(`${name}: dynamically linked (needs the interpreter ${path}); sysgate runs statically ` +
      `linked programs only, because it has no dynamic loader or shared libraries of the guest's to map (build with -static or -static-pie)`);
  }
  if (!segments.some((s) => s.type === PT_LOAD)) throw new ExecFormatError(`${name}: no PT_LOAD segment: nothing to load`);
  const entry = cls === 2 ? bytes.readBigUInt64LE(24) : BigInt(bytes.readUInt32LE(24));
  return {
    bits: cls === 2 ? 64 : 32, machine: machine === EM_X86_64 ? "x86_64" : "i386", type,
    entry, phoff, phentsize, phnum, segments, symbols: [], bytes,
  };
}

/** The STT_FUNC and STT_OBJECT symbols of .symtab (a static binary's only symbol table), via elfinfo. */
export async function elfSymbols(bytes: Buffer, name: string): Promise<ElfSymbol[]> {
  const parsed = await open(bytes);
  if (!parsed.success || !parsed.elf) throw new ExecFormatError(`${name}: not a valid ELF file (${parsed.errors.join("; ")})`);
  const symbols: ElfSymbol[] = [];
  for (const sec of parsed.elf.sections) {
    if (sec.name !== ".symtab" || !("symbols" in sec)) continue;
    for (const sym of (sec as unknown as { symbols: { name: string; value: bigint | number; size: bigint | number; type: number }[] }).symbols) {
      if ((sym.type === 1 || sym.type === 2) && sym.name) {
        symbols.push({ name: sym.name, value: BigInt(sym.value), size: Number(sym.size), type: sym.type });
      }
    }
  }
  return symbols;
}

/** checkElf plus the symbols: the whole image, for the first program of a machine. */
export async function parseElf(bytes: Buffer, name: string): Promise<ElfImage> {
  const image = checkElf(bytes, name);
  return { ...image, symbols: await elfSymbols(bytes, name) };
}

const MACHINE_NAMES: Record<number, string> = { 40: "ARM", 183: "AArch64", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 243: "RISC-V", 22: "S/390", 2: "SPARC" };
