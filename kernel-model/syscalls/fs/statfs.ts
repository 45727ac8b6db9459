// fs/statfs.c: statfs and fstatfs in x86_64's struct statfs (120 bytes), i386's struct statfs
// (64 bytes, EOVERFLOW when a count needs more than 32 bits) and i386's packed struct statfs64
// (84 bytes; the caller passes that size and anything else is EINVAL).

import { E, Errno } from "../../errno.js";
import { AT_FDCWD } from "../../uapi/linux/fcntl.js";
import type { Kstatfs } from "../../fs/vfs.js";
import { int, ulong, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget, getname, nameidata, vfsOf } from "./getname.js";

export const STATFS64_SIZE_I386 = 84;

/** user_statfs: statfs follows a final symlink. */
function statfsPath(ctx: SyscallContext, addr: bigint): Kstatfs {
  const path = getname(ctx, addr);
  return vfsOf(ctx).statfs(vfsOf(ctx).walk(nameidata(ctx, AT_FDCWD, path), path, true));
}

/** fd_statfs (fdget_raw: O_PATH fds are fine). Pipes and terminals answer like the kernel's pseudo file systems. */
function statfsFd(ctx: SyscallContext, fd: number): Kstatfs {
  const file = fdget(ctx, fd);
  const d = vfsOf(ctx).fileDentry(file);
  if (d) return vfsOf(ctx).statfs(d);
  const PIPEFS_MAGIC = 0x50495045n;
  const DEVPTS_SUPER_MAGIC = 0x1cd1n;
  const type = (file.stat().mode & 0o170000) === 0o010000 ? PIPEFS_MAGIC : DEVPTS_SUPER_MAGIC;
  return { type, bsize: 4096n, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n, fsid: [0, 0], namelen: 255n, frsize: 4096n, flags: 0x20n };
}

/** struct statfs for x86_64: every field a long. */
function statfs64bit(s: Kstatfs): Buffer {
  const b = Buffer.alloc(120);
  [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree].forEach((v, i) => b.writeBigInt64LE(BigInt.asIntN(64, v), i * 8));
  b.writeUInt32LE(s.fsid[0], 56);
  b.writeUInt32LE(s.fsid[1], 60);
  b.writeBigInt64LE(s.namelen, 64);
  b.writeBigInt64LE(s.frsize, 72);
  b.writeBigInt64LE(s.flags, 80);
  return b;
}

/** put_compat_statfs: i386's struct statfs, 32-bit longs. */
function statfs32(s: Kstatfs): Buffer {
  const high = (v: bigint): boolean => v > 0xffffffffn;
  // f_files/f_ffree of -1 ("not known") is allowed through, as the kernel does.
  const highCount = (v: bigint): boolean => v !== 0xffffffffffffffffn && high(v);
  if ([s.blocks, s.bfree, s.bavail, s.bsize, s.frsize].some(high) || highCount(s.files) || highCount(s.ffree)) throw new Errno(E.EOVERFLOW);
  const b = Buffer.alloc(64);
  [s.type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree].forEach((v, i) => b.writeUInt32LE(Number(v & 0xffffffffn), i * 4));
  b.writeUInt32LE(s.fsid[0], 28);
  b.writeUInt32LE(s.fsid[1], 32);
  b.writeUInt32LE(Number(s.namelen), 36);
  b.writeUInt32LE(Number(s.frsize), 40);
  b.writeUInt32LE(Number(s.flags), 44);
  return b;
}

/** i386's struct statfs64: 32-bit type and sizes, 64-bit counts, packed to 4 bytes. */
function statfs64i386(s: Kstatfs): Buffer {
  const b = Buffer.alloc(STATFS64_SIZE_I386);
  b.writeUInt32LE(Number(s.type & 0xffffffffn), 0);
  b.writeUInt32LE(Number(s.bsize), 4);
  [s.blocks, s.bfree, s.bavail, s.files, s.ffree].forEach((v, i) => b.writeBigUInt64LE(BigInt.asUintN(64, v), 8 + i * 8));
  b.writeUInt32LE(s.fsid[0], 48);
  b.writeUInt32LE(s.fsid[1], 52);
  b.writeUInt32LE(Number(s.namelen), 56);
  b.writeUInt32LE(Number(s.frsize), 60);
  b.writeUInt32LE(Number(s.flags), 64);
  return b;
}

const layout = (ctx: SyscallContext, s: Kstatfs): Buffer => (ctx.abi === "x86_64" ? statfs64bit(s) : statfs32(s));

function put64(ctx: SyscallContext, size: bigint, buf: bigint, s: Kstatfs): number {
  if (ulong(ctx, size) !== BigInt(STATFS64_SIZE_I386)) throw new Errno(E.EINVAL);
  ctx.mem.write(buf, statfs64i386(s));
  return 0;
}

export const statfsSyscalls: SyscallFamily = {
  sys_statfs: (ctx, a) => { ctx.mem.write(a[1], layout(ctx, statfsPath(ctx, a[0]))); return 0; },
  sys_fstatfs: (ctx, a) => { ctx.mem.write(a[1], layout(ctx, statfsFd(ctx, int(a[0])))); return 0; },
  sys_statfs64: (ctx, a) => {
    if (ulong(ctx, a[1]) !== BigInt(STATFS64_SIZE_I386)) throw new Errno(E.EINVAL);
    return put64(ctx, a[1], a[2], statfsPath(ctx, a[0]));
  },
  sys_fstatfs64: (ctx, a) => {
    if (ulong(ctx, a[1]) !== BigInt(STATFS64_SIZE_I386)) throw new Errno(E.EINVAL);
    return put64(ctx, a[1], a[2], statfsFd(ctx, int(a[0])));
  },
};
