// Reading and checking an ELF executable before anything is mapped (fs/binfmt_elf.c's checks in
// load_elf_binary, with messages a person can act on), and its symbol table.

import { closeSync, fstatSync, openSync, readFileSync, statSync } from "node:fs";
import { E } from "../../kernel-model/errno.js";
import { kstatFromHost } from "../../kernel-model/fs/kstat.js";
import { mappingKey } from "../../kernel-model/mm/filemap.js";

export const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_PHDR = 6, PT_TLS = 7, PT_GNU_STACK = 0x6474e551;
export const ET_EXEC = 2, ET_DYN = 3;
export const EM_386 = 3, EM_X86_64 = 62;
export const PF_X = 1, PF_W = 2, PF_R = 4;

/**
 * The file cannot be run: one line that says why. `errno` is what a guest's execve gets (ENOEXEC
 * unless the loader says otherwise, e.g. ENOMEM for an image larger than the memory bound).
 */
export class ExecFormatError extends Error {
  constructor(message: string, readonly errno: number = E.ENOEXEC) {
    super(message);
  }
}

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

/** sizeof(struct elf64_phdr) / sizeof(struct elf32_phdr): load_elf_phdrs accepts no other e_phentsize. */
const PHENT64 = 56, PHENT32 = 32;
/** load_elf_phdrs refuses program header tables larger than this (ELF_MIN_ALIGN-independent cap). */
const MAX_PHDRS_SIZE = 65536;
/**
 * The largest program file read into memory. Linux reads only the headers and maps the rest; the
 * loader here keeps the whole file in a host buffer, so an absurdly large file is refused with a
 * message instead of an allocation failure of the host.
 */
export const MAX_ELF_FILE = 1 << 30;

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/**
 * A program file's bytes and the page-cache key of exactly those bytes (mm/filemap.ts mappingKey;
 * none for a file changed a moment ago: its pages are not shared).
 */
export interface ElfFile { bytes: Buffer; key: string | undefined }

/**
 * The program file's bytes, after the checks execve makes on the file itself (do_open_execat: a
 * regular file; execve's callers check the execute permission, the command line does not need it,
 * as qemu-user does not) and a size the host can hold. `shown` names it in messages. The key is
 * the file's identity when it was read (device, inode, birth, size, mtime, ctime): its pages are
 * cached under it, and a file that changed is another key, also in a kernel kept between runs
 * (emulator/warm_kernels.ts). A file that changed while it was read, or a moment before, has none.
 */
export function readElfFile(hostPath: string, shown: string): ElfFile {
  let size: number;
  let key: string | undefined;
  try {
    const st = statSync(hostPath, { bigint: true });
    if (st.isDirectory()) throw new ExecFormatError(`${shown}: is a directory`, E.EACCES);
    if (!st.isFile()) throw new ExecFormatError(`${shown}: not a regular file`, E.EACCES);
    size = Number(st.size);
    key = mappingKey(kstatFromHost(st));
  } catch (e) {
    if (e instanceof ExecFormatError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") throw new ExecFormatError(`${shown}: no such file`, E.ENOENT);
    if (err.code === "EACCES") throw new ExecFormatError(`${shown}: permission denied`, E.EACCES);
    throw new ExecFormatError(`${shown}: cannot read: ${err.message}`, E.EACCES);
  }
  if (size > MAX_ELF_FILE) throw new ExecFormatError(`${shown}: ${size} bytes: larger than the ${MAX_ELF_FILE >> 20} MiB a program file may have here`, E.ENOMEM);
  const known = key === undefined ? undefined : recentFiles.get(key);
  if (known) {
    recentFiles.delete(key!); // most recently used last
    recentFiles.set(key!, known);
    return { bytes: known, key };
  }
  let bytes: Buffer;
  let after: string | undefined;
  const fd = openFile(hostPath, shown);
  try {
    bytes = readFileSync(fd);
    after = mappingKey(kstatFromHost(fstatSync(fd, { bigint: true })));
  } catch (e) {
    throw new ExecFormatError(`${shown}: cannot read: ${(e as Error).message}`, E.EACCES);
  } finally {
    closeSync(fd);
  }
  if (after !== key || bytes.length !== size) return { bytes, key: undefined }; // changed while read: not shared
  if (key !== undefined && size <= RECENT_FILES_BYTES) {
    recentFiles.set(key, bytes);
    let total = 0;
    for (const b of recentFiles.values()) total += b.length;
    for (const [k, b] of recentFiles) {
      if (total <= RECENT_FILES_BYTES && recentFiles.size <= RECENT_FILES) break;
      recentFiles.delete(k);
      total -= b.length;
    }
  }
  return { bytes, key };
}

function openFile(hostPath: string, shown: string): number {
  try {
    return openSync(hostPath, "r");
  } catch (e) {
    throw new ExecFormatError(`${shown}: cannot read: ${(e as Error).message}`, E.EACCES);
  }
}

/**
 * The program files read last, by their page-cache key (the file's identity): a shell
 * execs the same busybox again and again, and reading its 2 MB for each exec cost a copy and, as
 * glibc keeps freed blocks of that size, ~2 MB of host memory per process that had exec'ed
 * (test/bench/rows_processes.ts). The buffers are never written (the loader copies out of them).
 */
const recentFiles = new Map<string, Buffer>();
const RECENT_FILES = 8, RECENT_FILES_BYTES = 64 << 20;

/**
 * The checks of load_elf_binary and load_elf_phdrs, on the raw headers, before anything is
 * allocated: magic, e_type, elf_check_arch, e_phentsize and the size of the table, every PT_LOAD
 * inside the file, p_filesz <= p_memsz, PT_LOADs in ascending order and not overlapping. The
 * checks that need the address space (TASK_SIZE, the memory bound) are in binfmt_elf.ts.
 * The symbol table is left empty: elfSymbols() reads it.
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
  const phoff = cls === 2 ? bytes.readBigUInt64LE(32) : BigInt(bytes.readUInt32LE(28));
  const phentsize = bytes.readUInt16LE(cls === 2 ? 54 : 42);
  const phnum = bytes.readUInt16LE(cls === 2 ? 56 : 44);
  const wantPhent = cls === 2 ? PHENT64 : PHENT32;
  if (phentsize !== wantPhent) throw new ExecFormatError(`${name}: not a valid ELF file (program header size ${phentsize}, ${wantPhent} expected)`);
  if (phnum === 0) throw new ExecFormatError(`${name}: no program headers: nothing to load`);
  if (phnum * phentsize > MAX_PHDRS_SIZE) {
    throw new ExecFormatError(`${name}: not a valid ELF file (${phnum} program headers, ${phnum * phentsize} bytes: more than the ${MAX_PHDRS_SIZE} Linux reads)`);
  }
  if (phoff + BigInt(phentsize * phnum) > BigInt(bytes.length)) {
    throw new ExecFormatError(`${name}: truncated ELF file (program headers end at byte ${phoff + BigInt(phentsize * phnum)}, the file has ${bytes.length})`);
  }

  const segments: ElfSegment[] = [];
  let prevEnd: bigint | undefined;
  for (let i = 0; i < phnum; i++) {
    const ph = Number(phoff) + i * phentsize;
    const pType = bytes.readUInt32LE(ph);
    const r = cls === 2
      ? { flags: bytes.readUInt32LE(ph + 4), offset: bytes.readBigUInt64LE(ph + 8), vaddr: bytes.readBigUInt64LE(ph + 16),
          filesz: bytes.readBigUInt64LE(ph + 32), memsz: bytes.readBigUInt64LE(ph + 40), align: bytes.readBigUInt64LE(ph + 48) }
      : { offset: BigInt(bytes.readUInt32LE(ph + 4)), vaddr: BigInt(bytes.readUInt32LE(ph + 8)), filesz: BigInt(bytes.readUInt32LE(ph + 16)),
          memsz: BigInt(bytes.readUInt32LE(ph + 20)), flags: bytes.readUInt32LE(ph + 24), align: BigInt(bytes.readUInt32LE(ph + 28)) };
    if (pType === PT_LOAD || pType === PT_INTERP) {
      // Bounds from the raw header: a segment past the end of the file is a truncated file.
      if (r.offset + r.filesz > BigInt(bytes.length)) {
        const what = pType === PT_LOAD ? `PT_LOAD segment ${i}` : "the PT_INTERP path";
        throw new ExecFormatError(`${name}: truncated ELF file (${what} ends at byte ${r.offset + r.filesz}, the file has ${bytes.length})`);
      }
    }
    if (pType === PT_LOAD) {
      // load_elf_binary: "set_brk can never work" when the file part is larger than the memory part
      if (r.filesz > r.memsz) {
        throw new ExecFormatError(`${name}: not a valid ELF file (PT_LOAD segment ${i}: p_filesz ${hex(r.filesz)} > p_memsz ${hex(r.memsz)})`);
      }
      // elf_map mmaps the file from p_offset - ELF_PAGEOFFSET(p_vaddr): it must be page aligned
      if (r.filesz > 0n && (r.offset - r.vaddr) % 4096n !== 0n) {
        throw new ExecFormatError(`${name}: not a valid ELF file (PT_LOAD segment ${i}: p_offset ${hex(r.offset)} and p_vaddr ${hex(r.vaddr)} differ within a page)`);
      }
      // the ELF specification: loadable segments sorted by p_vaddr; overlapping ones would map over each other
      if (prevEnd !== undefined && r.vaddr < prevEnd) {
        throw new ExecFormatError(`${name}: not a valid ELF file (PT_LOAD segment ${i} at ${hex(r.vaddr)} overlaps or precedes the one before it, which ends at ${hex(prevEnd)})`);
      }
      prevEnd = r.vaddr + r.memsz;
    }
    // Sizes stay exact in a Number once they fit in the file (filesz) or passed the checks above;
    // memsz may be absurd here and is checked against TASK_SIZE in binfmt_elf.ts.
    segments.push({ type: pType, flags: r.flags, offset: Number(r.offset), vaddr: r.vaddr, filesz: Number(r.filesz),
      memsz: Number(r.memsz), align: Number(r.align) });
  }
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) {
    const path = bytes.subarray(interp.offset, interp.offset + Math.min(interp.filesz, 4096)).toString("latin1").replace(/\0[^]*$/, "");
    throw new ExecFormatError(`${name}: dynamically linked (needs the interpreter ${JSON.stringify(path).slice(1, -1)}); sysgate runs statically ` +
      `linked programs only, because it has no dynamic loader or shared libraries of the guest's to map (build with -static or -static-pie)`);
  }
  if (!segments.some((s) => s.type === PT_LOAD)) throw new ExecFormatError(`${name}: no PT_LOAD segment: nothing to load`);
  const entry = cls === 2 ? bytes.readBigUInt64LE(24) : BigInt(bytes.readUInt32LE(24));
  return {
    bits: cls === 2 ? 64 : 32, machine: machine === EM_X86_64 ? "x86_64" : "i386", type,
    entry, phoff: Number(phoff), phentsize, phnum, segments, symbols: [], bytes,
  };
}

/** An image whose pages exceed the memory bound: execve's mmap would fail with ENOMEM. */
export function imageTooLarge(name: string, pages: number, limitPages: number): ExecFormatError {
  return new ExecFormatError(`${name}: the program's segments need ${Math.ceil(pages / 256)} MiB of memory, ` +
    `more than the memory bound of ${Math.floor(limitPages / 256)} MiB (--memory)`, E.ENOMEM);
}

/** SHT_SYMTAB, STT_OBJECT, STT_FUNC (include/uapi/linux/elf.h). */
const SHT_SYMTAB = 2, STT_OBJECT = 1, STT_FUNC = 2;
/** sizeof(Elf64_Shdr) / sizeof(Elf32_Shdr), sizeof(Elf64_Sym) / sizeof(Elf32_Sym). */
const SHENT64 = 64, SHENT32 = 40, SYMENT64 = 24, SYMENT32 = 16;

/**
 * The STT_FUNC and STT_OBJECT symbols of .symtab (a static binary's only symbol table), read from
 * the section headers. Symbols are a convenience (hooks and the UI name addresses with them) and
 * Linux never reads the section headers: a section table that is absent, cut or absurd gives no
 * symbols, not an error. (Read here rather than with an ELF library: a general parser's module
 * alone cost every start of a program ~10 ms, more than the rest of the ELF loading.)
 */
export function elfSymbols(bytes: Buffer): ElfSymbol[] {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46) return [];
  const is64 = bytes[4] === 2;
  const shoff = Number(is64 ? bytes.readBigUInt64LE(40) : bytes.readUInt32LE(32));
  const shentsize = bytes.readUInt16LE(is64 ? 58 : 46);
  const shnum = bytes.readUInt16LE(is64 ? 60 : 48);
  if (shnum === 0 || shentsize !== (is64 ? SHENT64 : SHENT32) || shoff + shnum * shentsize > bytes.length) return [];
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return is64
      ? { type: bytes.readUInt32LE(o + 4), offset: Number(bytes.readBigUInt64LE(o + 24)), size: Number(bytes.readBigUInt64LE(o + 32)), link: bytes.readUInt32LE(o + 40) }
      : { type: bytes.readUInt32LE(o + 4), offset: bytes.readUInt32LE(o + 16), size: bytes.readUInt32LE(o + 20), link: bytes.readUInt32LE(o + 24) };
  };
  const inFile = (s: { offset: number; size: number }) => s.offset + s.size <= bytes.length;
  const symbols: ElfSymbol[] = [];
  for (let i = 0; i < shnum; i++) {
    const symtab = section(i);
    if (symtab.type !== SHT_SYMTAB || !inFile(symtab) || symtab.link >= shnum) continue;
    const strtab = section(symtab.link);
    if (!inFile(strtab)) continue;
    const strEnd = strtab.offset + strtab.size;
    const ent = is64 ? SYMENT64 : SYMENT32;
    // entry 0 is the undefined symbol
    for (let o = symtab.offset + ent; o + ent <= symtab.offset + symtab.size; o += ent) {
      const type = bytes[o + (is64 ? 4 : 12)]! & 0xf;
      const nameOff = strtab.offset + bytes.readUInt32LE(o);
      if ((type !== STT_FUNC && type !== STT_OBJECT) || nameOff >= strEnd) continue;
      const nul = bytes.indexOf(0, nameOff);
      const name = bytes.toString("utf8", nameOff, nul < 0 || nul > strEnd ? strEnd : nul);
      if (!name) continue;
      symbols.push(is64
        ? { name, value: bytes.readBigUInt64LE(o + 8), size: Number(bytes.readBigUInt64LE(o + 16)), type }
        : { name, value: BigInt(bytes.readUInt32LE(o + 4)), size: bytes.readUInt32LE(o + 8), type });
    }
  }
  return symbols;
}

/** checkElf plus the symbols: the whole image, for the first program of a machine. */
export function parseElf(bytes: Buffer, name: string): ElfImage {
  const image = checkElf(bytes, name);
  return { ...image, symbols: elfSymbols(bytes) };
}

const MACHINE_NAMES: Record<number, string> = { 40: "ARM", 183: "AArch64", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 243: "RISC-V", 22: "S/390", 2: "SPARC" };
