// Readers for the parts of an ELF shared object that elfinfo does not decode (the dynamic
// section, symbol versions, the two hash tables), written from the gABI / LSB text so the tests
// check the committed vDSO images the way a libc's vDSO lookup reads them.

import type { ELF, ELFSection } from "elfinfo";

export function section(elf: ELF, name: string): ELFSection {
  const s = elf.sections.find((x) => x.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return s;
}

export function cstr(b: Buffer, off: number): string {
  return b.toString("latin1", off, b.indexOf(0, off));
}

/** The System V ABI hash (.hash, vd_hash). */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name, "latin1")) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h;
}

/** The GNU hash (.gnu.hash): djb2. */
export function gnuHash(name: string): number {
  let h = 5381;
  for (const c of Buffer.from(name, "latin1")) h = (Math.imul(h, 33) + c) >>> 0;
  return h;
}

export interface DynSym { index: number; name: string; value: number }

export function dynsyms(b: Buffer, elf: ELF): DynSym[] {
  const dynsym = section(elf, ".dynsym");
  const dynstr = section(elf, ".dynstr");
  const is64 = elf.bits === 64;
  const out: DynSym[] = [];
  for (let i = 0; i < dynsym.size / dynsym.entsize; i++) {
    const o = dynsym.offset + i * dynsym.entsize;
    out.push({ index: i, name: cstr(b, dynstr.offset + b.readUInt32LE(o)), value: is64 ? Number(b.readBigUInt64LE(o + 8)) : b.readUInt32LE(o + 4) });
  }
  return out;
}

export function dynamicEntries(b: Buffer, elf: ELF): Map<number, bigint> {
  const dyn = section(elf, ".dynamic");
  const is64 = elf.bits === 64;
  const out = new Map<number, bigint>();
  for (let o = dyn.offset; o < dyn.offset + dyn.size; o += is64 ? 16 : 8) {
    const tag = is64 ? Number(b.readBigInt64LE(o)) : b.readInt32LE(o);
    if (tag === 0) break;
    out.set(tag >>> 0, is64 ? b.readBigUInt64LE(o + 8) : BigInt(b.readUInt32LE(o + 4)));
  }
  return out;
}

export interface VerDef { ndx: number; flags: number; hash: number; name: string }

export function verdefs(b: Buffer, elf: ELF): VerDef[] {
  const vd = section(elf, ".gnu.version_d");
  const str = elf.sections[vd.link]!;
  const out: VerDef[] = [];
  let o = vd.offset;
  for (let i = 0; i < vd.info; i++) {
    const aux = o + b.readUInt32LE(o + 12);
    out.push({ ndx: b.readUInt16LE(o + 4), flags: b.readUInt16LE(o + 2), hash: b.readUInt32LE(o + 8), name: cstr(b, str.offset + b.readUInt32LE(aux)) });
    const next = b.readUInt32LE(o + 16);
    if (!next) break;
    o += next;
  }
  return out;
}

/** symbol name -> version name, through .gnu.version (versym) and .gnu.version_d. */
export function symbolVersions(b: Buffer, elf: ELF): Map<string, string> {
  const vs = section(elf, ".gnu.version");
  const defs = new Map(verdefs(b, elf).map((d) => [d.ndx, d.name]));
  const out = new Map<string, string>();
  for (const s of dynsyms(b, elf)) {
    if (s.index === 0) continue;
    const ndx = b.readUInt16LE(vs.offset + 2 * s.index) & 0x7fff;
    out.set(s.name, defs.get(ndx) ?? `?${ndx}`);
  }
  return out;
}

/** Looks `name` up through .hash as a dynamic loader does; the symbol index or undefined. */
export function sysvLookup(b: Buffer, elf: ELF, name: string): number | undefined {
  const h = section(elf, ".hash");
  const syms = dynsyms(b, elf);
  const nbucket = b.readUInt32LE(h.offset);
  const chain = (i: number) => b.readUInt32LE(h.offset + 8 + 4 * nbucket + 4 * i);
  for (let i = b.readUInt32LE(h.offset + 8 + 4 * (elfHash(name) % nbucket)); i !== 0; i = chain(i)) {
    if (syms[i]!.name === name) return i;
  }
  return undefined;
}

/** Looks `name` up through .gnu.hash (bloom filter, buckets, chains); the symbol index or undefined. */
export function gnuLookup(b: Buffer, elf: ELF, name: string): number | undefined {
  const g = section(elf, ".gnu.hash");
  const syms = dynsyms(b, elf);
  const word = elf.bits / 8;
  const nbuckets = b.readUInt32LE(g.offset);
  const symoffset = b.readUInt32LE(g.offset + 4);
  const bloomSize = b.readUInt32LE(g.offset + 8);
  const bloomShift = b.readUInt32LE(g.offset + 12);
  const bloom = g.offset + 16;
  const buckets = bloom + bloomSize * word;
  const chains = buckets + 4 * nbuckets;
  const h = gnuHash(name);
  const bits = BigInt(elf.bits);
  const w = elf.bits === 64 ? b.readBigUInt64LE(bloom + word * (Math.floor(h / elf.bits) % bloomSize))
    : BigInt(b.readUInt32LE(bloom + word * (Math.floor(h / elf.bits) % bloomSize)));
  const m = (1n << (BigInt(h) % bits)) | (1n << (BigInt(h >>> bloomShift) % bits));
  if ((w & m) !== m) return undefined;
  let i = b.readUInt32LE(buckets + 4 * (h % nbuckets));
  if (i < symoffset) return undefined;
  for (;;) {
    const h2 = b.readUInt32LE(chains + 4 * (i - symoffset));
    if ((h | 1) === (h2 | 1) && syms[i]!.name === name) return i;
    if (h2 & 1) return undefined;
    i++;
  }
}
