// fs/readdir.c: getdents64 (struct linux_dirent64) and the older getdents (struct linux_dirent,
// whose d_type hides in the last byte of the record). Each record's d_off is where the next
// call resumes; a call stops at the first record that does not fit, and fails with EINVAL only
// if not even one did.

import { E, Errno } from "../../errno.js";
import type { DirEntry } from "../../fs/file.js";
import { int, uint, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget } from "./getname.js";
import { abiLayout } from "../../uapi/abi.js";

const align = (n: number, a: number): number => (n + a - 1) & ~(a - 1);

/** offsetof(struct linux_dirent64, d_name): d_ino u64, d_off s64, d_reclen u16, d_type u8. */
export const DIRENT64_NAME_OFFSET = 19;

/** filldir64: one linux_dirent64 record. */
export function linuxDirent64(e: DirEntry, off: bigint): Buffer {
  const name = Buffer.from(e.name, "latin1");
  const rec = Buffer.alloc(align(DIRENT64_NAME_OFFSET + name.length + 1, 8));
  rec.writeBigUInt64LE(e.ino, 0);
  rec.writeBigInt64LE(off, 8);
  rec.writeUInt16LE(rec.length, 16);
  rec.writeUInt8(e.type, 18);
  name.copy(rec, DIRENT64_NAME_OFFSET);
  return rec;
}

/** filldir: one linux_dirent record with unsigned-long d_ino/d_off (4 or 8 bytes). */
export function linuxDirent(e: DirEntry, off: bigint, longSize: 4 | 8): Buffer {
  if (longSize === 4 && (e.ino > 0xffffffffn || off > 0xffffffffn)) throw new Errno(E.EOVERFLOW);
  const name = Buffer.from(e.name, "latin1");
  const nameOff = 2 * longSize + 2;
  const rec = Buffer.alloc(align(nameOff + name.length + 2, longSize));
  if (longSize === 8) {
    rec.writeBigUInt64LE(e.ino, 0);
    rec.writeBigUInt64LE(off, 8);
  } else {
    rec.writeUInt32LE(Number(e.ino), 0);
    rec.writeUInt32LE(Number(off), 4);
  }
  rec.writeUInt16LE(rec.length, 2 * longSize);
  name.copy(rec, nameOff);
  rec.writeUInt8(e.type, rec.length - 1);
  return rec;
}

/** iterate_dir into a user buffer of `count` bytes with the given record format. */
function iterate(ctx: SyscallContext, fd: number, buf: bigint, count: number, record: (e: DirEntry, off: bigint) => Buffer): number {
  const file = fdget(ctx, fd);
  const entries = file.iterateDir(file.pos);
  const out: Buffer[] = [];
  let used = 0;
  let index = Number(file.pos);
  for (; index < entries.length; index++) {
    const rec = record(entries[index]!, BigInt(index + 1));
    if (used + rec.length > count) {
      if (used === 0) throw new Errno(E.EINVAL);
      break;
    }
    out.push(rec);
    used += rec.length;
  }
  if (used > 0) ctx.mem.write(buf, Buffer.concat(out));
  file.pos = BigInt(index);
  return used;
}

export const readdirSyscalls: SyscallFamily = {
  sys_getdents64: (ctx, a) => iterate(ctx, int(a[0]), a[1], uint(a[2]), linuxDirent64),
  sys_getdents: (ctx, a) =>
    iterate(ctx, int(a[0]), a[1], uint(a[2]), (e, off) => linuxDirent(e, off, abiLayout(ctx.abi).long)),
};

export const readdirCompat: SyscallFamily = {
  compat_sys_getdents: readdirSyscalls.sys_getdents!,
};
