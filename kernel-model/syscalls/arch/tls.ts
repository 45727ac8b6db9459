// arch/x86/kernel/tls.c: set_thread_area / get_thread_area. The descriptor goes into the GDT
// in guest memory (TLS entries 6..8, as fill_ldt() builds it); user code then loads %gs with
// the selector itself and the CPU reads the descriptor from the GDT.

import { E } from "../../errno.js";
import * as L32 from "../../boot/layout_32.js";
import * as L64 from "../../boot/layout_64.js";
import type { SyscallContext, SyscallFamily } from "../types.js";

interface UserDesc {
  entry: number; base: number; limit: number;
  seg32: number; contents: number; readExecOnly: number; limitInPages: number; segNotPresent: number; useable: number;
}

function readUserDesc(b: Buffer): UserDesc {
  const f = b.readUInt32LE(12);
  return {
    entry: b.readInt32LE(0), base: b.readUInt32LE(4), limit: b.readUInt32LE(8),
    seg32: f & 1, contents: (f >> 1) & 3, readExecOnly: (f >> 3) & 1, limitInPages: (f >> 4) & 1,
    segNotPresent: (f >> 5) & 1, useable: (f >> 6) & 1,
  };
}

/** LDT_empty(): the request that clears an entry. */
const isEmpty = (d: UserDesc) => d.base === 0 && d.limit === 0 && d.contents === 0 && d.readExecOnly === 1 &&
  d.seg32 === 0 && d.limitInPages === 0 && d.segNotPresent === 1 && d.useable === 0;

/** fill_ldt(): a user_desc as an 8-byte segment descriptor (DPL 3, S = 1). */
export function fillLdt(d: UserDesc): Buffer {
  const out = Buffer.alloc(8);
  if (isEmpty(d)) return out;
  const type = ((d.readExecOnly ^ 1) << 1) | (d.contents << 2) | 1;
  out.writeUInt16LE(d.limit & 0xffff, 0);
  out.writeUInt16LE(d.base & 0xffff, 2);
  out.writeUInt8((d.base >>> 16) & 0xff, 4);
  out.writeUInt8(type | 0x10 | (3 << 5) | ((d.segNotPresent ^ 1) << 7), 5);
  out.writeUInt8(((d.limit >>> 16) & 0xf) | (d.useable << 4) | (d.seg32 << 6) | (d.limitInPages << 7), 6);
  out.writeUInt8((d.base >>> 24) & 0xff, 7);
  return out;
}

/** The TLS slots of the GDT: 6..8 on i386, 12..14 for a 32-bit task under the x86-64 kernel. */
const tlsEntries = (ctx: SyscallContext) => {
  const L = ctx.cpu.bits === 64 ? L64 : L32;
  return { GDT_ENTRY_TLS_MIN: L.GDT_ENTRY_TLS_MIN, GDT_ENTRY_TLS_ENTRIES: L.GDT_ENTRY_TLS_ENTRIES };
};

function gdtEntryPa(ctx: SyscallContext, entry: number): number {
  const gdtr = ctx.cpu.getTable("gdtr");
  const va = gdtr.base + BigInt(entry * 8);
  const pte = ctx.task.mm.pgd.lookup(va & ~0xfffn);
  if (!pte) throw new Error("GDT not mapped");
  return pte.pa + Number(va & 0xfffn);
}

export const tlsFamily: SyscallFamily = {
  sys_set_thread_area: (ctx, a) => {
    if (ctx.abi !== "i386") return -E.ENOSYS;
    const { GDT_ENTRY_TLS_MIN, GDT_ENTRY_TLS_ENTRIES } = tlsEntries(ctx);
    const raw = ctx.mem.read(a[0], 16);
    const d = readUserDesc(raw);
    let idx = d.entry;
    const mem = ctx.task.mm.phys.mem;
    if (idx === -1) {
      idx = -1;
      for (let i = GDT_ENTRY_TLS_MIN; i < GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES; i++) {
        if (!ctx.task.tls.has(i)) { idx = i; break; }
      }
      if (idx === -1) return -E.ESRCH;
      const e = Buffer.alloc(4);
      e.writeInt32LE(idx);
      ctx.mem.write(a[0], e); // tell user space which entry it got
    }
    if (idx < GDT_ENTRY_TLS_MIN || idx >= GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES) return -E.EINVAL;
    const desc = fillLdt(d);
    if (isEmpty(d)) ctx.task.tls.delete(idx);
    else ctx.task.tls.set(idx, desc);
    desc.copy(mem, gdtEntryPa(ctx, idx)); // load_TLS: the CPU's GDT now has it
    return 0;
  },
  sys_get_thread_area: (ctx, a) => {
    if (ctx.abi !== "i386") return -E.ENOSYS;
    const { GDT_ENTRY_TLS_MIN, GDT_ENTRY_TLS_ENTRIES } = tlsEntries(ctx);
    const idx = ctx.mem.read(a[0], 4).readInt32LE(0);
    if (idx < GDT_ENTRY_TLS_MIN || idx >= GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES) return -E.EINVAL;
    const desc = ctx.task.tls.get(idx) ?? Buffer.alloc(8);
    const base = desc.readUInt16LE(2) | (desc[4] << 16) | (desc[7] << 24);
    const limit = desc.readUInt16LE(0) | ((desc[6] & 0xf) << 16);
    const type = desc[5] & 0xf;
    const f = ((desc[6] >> 6) & 1) | (((type >> 2) & 3) << 1) | ((((type >> 1) & 1) ^ 1) << 3) | (((desc[6] >> 7) & 1) << 4) |
      ((((desc[5] >> 7) & 1) ^ 1) << 5) | (((desc[6] >> 4) & 1) << 6);
    const out = Buffer.alloc(16);
    out.writeInt32LE(idx, 0);
    out.writeUInt32LE(base >>> 0, 4);
    out.writeUInt32LE(limit, 8);
    out.writeUInt32LE(desc.equals(Buffer.alloc(8)) ? 0x28 /* read_exec_only | seg_not_present */ : f, 12);
    ctx.mem.write(a[0], out);
    return 0;
  },
};
