// Malformed ELF files made from the project's own samples: bit flips, truncation, ELF header fields
// and program header fields set to hostile values, program headers swapped or duplicated. Each
// mutation is a function of (seed, index), so a case can be made again from those two numbers.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "./rng.js";

/** Samples of both ABIs, static and static-pie, big (glibc) and tiny (assembly). */
export const ELF_SAMPLES = [
  "x86_64/hello-glibc", "x86_64/hello-static-pie", "x86_64/hello-musl", "x86_64/exit-code", "x86_64/hello-syscall",
  "i386/hello-glibc-32", "i386/hello-musl-32", "i386/hello-int80", "i386/hello-vsyscall",
] as const;

/** Values that break arithmetic: zero, one, sign bits, all ones, page and 4 GiB edges, kernel addresses. */
const HOSTILE_64 = [
  0n, 1n, 0x7fn, 0x80n, 0xfffn, 0x1000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0xfffffffffn, 0x7ffffffff000n, 0x800000000000n, 0xffff800000000000n, 0xffffffff81000000n, 0xfffffffffffff000n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn,
];

export interface ElfCase {
  sample: string;
  /** What was done, for the report and the reproducer's name. */
  mutation: string;
  bytes: Buffer;
}

const cache = new Map<string, Buffer>();
function sample(root: string, name: string): Buffer {
  let b = cache.get(name);
  if (!b) cache.set(name, (b = readFileSync(join(root, "samples", "bin", name))));
  return b;
}

interface Layout { is64: boolean; phoff: number; phentsize: number; phnum: number }
function layoutOf(f: Buffer): Layout {
  const is64 = f[4] === 2;
  return {
    is64,
    phoff: is64 ? Number(f.readBigUInt64LE(32)) : f.readUInt32LE(28),
    phentsize: f.readUInt16LE(is64 ? 54 : 42),
    phnum: f.readUInt16LE(is64 ? 56 : 44),
  };
}

/** Writes an unsigned field of `size` bytes (values wider than the field are cut, as a bad file would have them). */
function put(f: Buffer, off: number, size: 2 | 4 | 8, v: bigint): void {
  if (off < 0 || off + size > f.length) return;
  if (size === 8) f.writeBigUInt64LE(BigInt.asUintN(64, v), off);
  else if (size === 4) f.writeUInt32LE(Number(BigInt.asUintN(32, v)), off);
  else f.writeUInt16LE(Number(BigInt.asUintN(16, v)), off);
}

/** A value for a field: hostile constants, the old value nudged, or random bits. */
function hostileValue(rng: Rng, old: bigint): bigint {
  switch (rng.int(4)) {
    case 0: return rng.pick(HOSTILE_64);
    case 1: return old + BigInt(rng.int(0x2001) - 0x1000);
    case 2: return old ^ (1n << BigInt(rng.int(64)));
    default: return rng.u64() >> BigInt(rng.int(64));
  }
}

// [name, offset in Elf64_Ehdr, offset in Elf32_Ehdr, size 64, size 32]
const EHDR_FIELDS: [string, number, number, 2 | 4 | 8, 2 | 4 | 8][] = [
  ["e_type", 16, 16, 2, 2], ["e_machine", 18, 18, 2, 2], ["e_entry", 24, 24, 8, 4], ["e_phoff", 32, 28, 8, 4],
  ["e_shoff", 40, 32, 8, 4], ["e_phentsize", 54, 42, 2, 2], ["e_phnum", 56, 44, 2, 2], ["e_shentsize", 58, 46, 2, 2],
  ["e_shnum", 60, 48, 2, 2], ["e_shstrndx", 62, 50, 2, 2],
];
// [name, offset in Elf64_Phdr, offset in Elf32_Phdr, size 64, size 32]
const PHDR_FIELDS: [string, number, number, 4 | 8, 4][] = [
  ["p_type", 0, 0, 4, 4], ["p_flags", 4, 24, 4, 4], ["p_offset", 8, 4, 8, 4], ["p_vaddr", 16, 8, 8, 4],
  ["p_filesz", 32, 16, 8, 4], ["p_memsz", 40, 20, 8, 4], ["p_align", 48, 28, 8, 4],
];

function read(f: Buffer, off: number, size: number): bigint {
  if (off < 0 || off + size > f.length) return 0n;
  return size === 8 ? f.readBigUInt64LE(off) : size === 4 ? BigInt(f.readUInt32LE(off)) : BigInt(f.readUInt16LE(off));
}

/** Case `index` of the ELF campaign with `seed`. */
export function elfCase(root: string, seed: number, index: number): ElfCase {
  const rng = new Rng(seed, index);
  const name = ELF_SAMPLES[index % ELF_SAMPLES.length];
  const f = Buffer.from(sample(root, name));
  const L = layoutOf(f);
  const ph = (i: number) => L.phoff + i * L.phentsize;
  const done: string[] = [];
  const rounds = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
  let bytes = f;
  for (let r = 0; r < rounds; r++) {
    switch (rng.int(7)) {
      case 0: { // bit flips anywhere in the headers and the first pages
        const n = 1 + rng.int(8);
        const span = Math.min(bytes.length, rng.chance(0.5) ? L.phoff + L.phnum * L.phentsize : 0x3000);
        for (let k = 0; k < n; k++) {
          const at = rng.int(span);
          bytes[at] ^= 1 << rng.int(8);
        }
        done.push(`flip${n}`);
        break;
      }
      case 1: { // bit flips anywhere in the file
        const n = 1 + rng.int(32);
        for (let k = 0; k < n; k++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
        done.push(`flipall${n}`);
        break;
      }
      case 2: { // truncation
        const at = rng.chance(0.5) ? rng.int(Math.min(bytes.length, L.phoff + L.phnum * L.phentsize + 64)) : rng.int(bytes.length);
        bytes = bytes.subarray(0, at);
        done.push(`cut${at}`);
        break;
      }
      case 3: { // an ELF header field
        const [fname, o64, o32, s64, s32] = rng.pick(EHDR_FIELDS);
        const off = L.is64 ? o64 : o32, size = L.is64 ? s64 : s32;
        const v = fname === "e_type" && rng.chance(0.5) ? (read(bytes, off, size) === 2n ? 3n : 2n) : hostileValue(rng, read(bytes, off, size));
        put(bytes, off, size, v);
        done.push(`${fname}=0x${BigInt.asUintN(size * 8, v).toString(16)}`);
        break;
      }
      case 4:
      case 5: { // a program header field (the most interesting for the loader: twice as likely)
        const i = rng.int(L.phnum);
        const [fname, o64, o32, s64, s32] = rng.pick(PHDR_FIELDS);
        const off = ph(i) + (L.is64 ? o64 : o32), size = L.is64 ? s64 : s32;
        const v = fname === "p_type" && rng.chance(0.5) ? rng.pick([1n, 3n, 6n, 7n, 0x6474e551n, 0n]) : hostileValue(rng, read(bytes, off, size));
        put(bytes, off, size, v);
        done.push(`ph${i}.${fname}=0x${BigInt.asUintN(size * 8, v).toString(16)}`);
        break;
      }
      default: { // reorder or duplicate program headers
        const i = rng.int(L.phnum), j = rng.int(L.phnum);
        if (ph(j) + L.phentsize > bytes.length || ph(i) + L.phentsize > bytes.length) break;
        const a = Buffer.from(bytes.subarray(ph(i), ph(i) + L.phentsize));
        if (rng.chance(0.5)) {
          bytes.copy(bytes, ph(i), ph(j), ph(j) + L.phentsize);
          a.copy(bytes, ph(j));
          done.push(`swap${i},${j}`);
        } else {
          a.copy(bytes, ph(j));
          done.push(`dup${i}->${j}`);
        }
      }
    }
  }
  return { sample: name, mutation: done.join("+") || "none", bytes: Buffer.from(bytes) };
}
