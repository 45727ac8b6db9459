// Segment and gate descriptors (SDM vol. 3A, 3.4.5 and 6.14.1; Linux asm/desc_defs.h).

/** A code or data segment descriptor: flat base 0 and 4 GiB limit, as Linux's GDT_ENTRY_INIT. */
export function segmentDescriptor(opts: { code: boolean; dpl: number; long?: boolean; db?: boolean; base?: number; limit?: number }): Buffer {
  const base = opts.base ?? 0, limit = opts.limit ?? 0xfffff;
  const type = opts.code ? 0xb /* execute/read, accessed */ : 0x3 /* read/write, accessed */;
  const access = 0x80 /* P */ | (opts.dpl << 5) | 0x10 /* S: code/data */ | type;
  const flags = 0x8 /* G: 4 KiB granularity */ | (opts.long ? 0x2 : 0) | (opts.db ? 0x4 : 0);
  return encodeDescriptor(base, limit, access, flags);
}

/** An available 32/64-bit TSS descriptor (type 9). In 64-bit mode it takes two GDT slots. */
export function tssDescriptor(base: bigint, limit: number, long: boolean): Buffer {
  const low = encodeDescriptor(Number(base & 0xffffffffn), limit, 0x89, 0);
  if (!long) return low;
  const high = Buffer.alloc(8);
  high.writeUInt32LE(Number((base >> 32n) & 0xffffffffn), 0);
  return Buffer.concat([low, high]);
}

function encodeDescriptor(base: number, limit: number, access: number, flags: number): Buffer {
  const d = Buffer.alloc(8);
  d.writeUInt16LE(limit & 0xffff, 0);
  d.writeUInt16LE(base & 0xffff, 2);
  d.writeUInt8((base >>> 16) & 0xff, 4);
  d.writeUInt8(access, 5);
  d.writeUInt8(((limit >>> 16) & 0xf) | (flags << 4), 6);
  d.writeUInt8((base >>> 24) & 0xff, 7);
  return d;
}

export interface GateDesc { offset: bigint; selector: number; type: number; dpl: number; present: boolean; ist?: number }
export const GATE_INTERRUPT = 0xe;
export const GATE_TRAP = 0xf;

/** An interrupt/trap gate: 16 bytes in 64-bit mode, 8 in 32-bit mode. */
export function gateDescriptor(g: GateDesc, long: boolean): Buffer {
  const d = Buffer.alloc(long ? 16 : 8);
  d.writeUInt16LE(Number(g.offset & 0xffffn), 0);
  d.writeUInt16LE(g.selector, 2);
  d.writeUInt8(long ? (g.ist ?? 0) : 0, 4);
  d.writeUInt8((g.present ? 0x80 : 0) | (g.dpl << 5) | g.type, 5);
  d.writeUInt16LE(Number((g.offset >> 16n) & 0xffffn), 6);
  if (long) d.writeUInt32LE(Number((g.offset >> 32n) & 0xffffffffn), 8);
  return d;
}

export function decodeGate(d: Buffer, long: boolean): GateDesc {
  let offset = BigInt(d.readUInt16LE(0)) | (BigInt(d.readUInt16LE(6)) << 16n);
  if (long) offset |= BigInt(d.readUInt32LE(8)) << 32n;
  const b5 = d.readUInt8(5);
  return { offset, selector: d.readUInt16LE(2), type: b5 & 0xf, dpl: (b5 >> 5) & 3, present: (b5 & 0x80) !== 0, ist: long ? d.readUInt8(4) & 7 : undefined };
}
