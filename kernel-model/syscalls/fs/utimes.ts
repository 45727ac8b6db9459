// fs/utimes.c: utimensat with struct __kernel_timespec (x86_64, and i386's utimensat_time64)
// or struct old_timespec32 (i386's utimensat). A NULL path means the file dirfd refers to.

import { E, Errno } from "../../errno.js";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW } from "../../uapi/linux/fcntl.js";
import { int, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget, getname, nameidata, vfsOf } from "./getname.js";

const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;

function utimensat(ctx: SyscallContext, a: readonly bigint[], tsSize: 8 | 16): number {
  const dfd = int(a[0]);
  const flags = int(a[3]);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new Errno(E.EINVAL);
  const now = ctx.task.kernel.realtimeNs();
  let times: [bigint | undefined, bigint | undefined] = [now, now];
  if (a[2] !== 0n) {
    const raw = ctx.mem.read(a[2], 2 * tsSize);
    times = [0, 1].map((i) => {
      const sec = tsSize === 16 ? raw.readBigInt64LE(i * 16) : BigInt(raw.readInt32LE(i * 8));
      const nsec = tsSize === 16 ? Number(raw.readBigInt64LE(i * 16 + 8)) : raw.readInt32LE(i * 8 + 4);
      if (nsec === UTIME_OMIT) return undefined;
      if (nsec === UTIME_NOW) return now;
      if (nsec < 0 || nsec >= 1e9) throw new Errno(E.EINVAL);
      return sec * 1_000_000_000n + BigInt(nsec);
    }) as [bigint | undefined, bigint | undefined];
    if (times[0] === undefined && times[1] === undefined) return 0;
  }
  return doUtimes(ctx, dfd, a[1], times, flags);
}

/** do_utimes: set the times (undefined = UTIME_OMIT) of what (dfd, path) names; a NULL path is dfd's file. */
function doUtimes(ctx: SyscallContext, dfd: number, pathAddr: bigint, times: [bigint | undefined, bigint | undefined], flags: number): number {
  const vfs = vfsOf(ctx);
  let path = pathAddr === 0n ? "" : getname(ctx, pathAddr, (flags & AT_EMPTY_PATH) !== 0);
  if (path === "") {
    path = fdget(ctx, dfd).path ?? "";
    if (path === "") throw new Errno(E.EBADF);
  }
  const d = vfs.walk(nameidata(ctx, dfd, path), path, !(flags & AT_SYMLINK_NOFOLLOW));
  vfs.utimes(d, times[0], times[1]);
  return 0;
}

/** utime: struct utimbuf { actime, modtime } in whole seconds (longs of the ABI); NULL is now. */
function utime(ctx: SyscallContext, pathAddr: bigint, bufAddr: bigint, longSize: 4 | 8): number {
  const now = ctx.task.kernel.realtimeNs();
  let times: [bigint, bigint] = [now, now];
  if (bufAddr !== 0n) {
    const raw = ctx.mem.read(bufAddr, 2 * longSize);
    const at = (i: number): bigint => (longSize === 8 ? raw.readBigInt64LE(i * 8) : BigInt(raw.readInt32LE(i * 4)));
    times = [at(0) * 1_000_000_000n, at(1) * 1_000_000_000n];
  }
  return doUtimes(ctx, AT_FDCWD, pathAddr, times, 0);
}

/** futimesat / utimes: struct timeval[2]; tv_usec outside [0, 1e6) is EINVAL; NULL is now. */
function futimesat(ctx: SyscallContext, dfd: number, pathAddr: bigint, tvAddr: bigint, longSize: 4 | 8): number {
  const now = ctx.task.kernel.realtimeNs();
  let times: [bigint, bigint] = [now, now];
  if (tvAddr !== 0n) {
    const raw = ctx.mem.read(tvAddr, 4 * longSize);
    const at = (i: number): bigint => (longSize === 8 ? raw.readBigInt64LE(i * 8) : BigInt(raw.readInt32LE(i * 4)));
    times = [0, 1].map((i) => {
      const usec = at(2 * i + 1);
      if (usec < 0n || usec >= 1_000_000n) throw new Errno(E.EINVAL);
      return at(2 * i) * 1_000_000_000n + usec * 1000n;
    }) as [bigint, bigint];
  }
  return doUtimes(ctx, dfd, pathAddr, times, 0);
}

export const utimesSyscalls: SyscallFamily = {
  sys_utimensat: (ctx, a) => utimensat(ctx, a, 16),
  sys_utimensat_time32: (ctx, a) => utimensat(ctx, a, 8),
  sys_utime: (ctx, a) => utime(ctx, a[0], a[1], 8),
  sys_utime32: (ctx, a) => utime(ctx, a[0], a[1], 4),
  sys_utimes: (ctx, a) => futimesat(ctx, AT_FDCWD, a[0], a[1], 8),
  sys_utimes_time32: (ctx, a) => futimesat(ctx, AT_FDCWD, a[0], a[1], 4),
  sys_futimesat: (ctx, a) => futimesat(ctx, int(a[0]), a[1], a[2], 8),
  sys_futimesat_time32: (ctx, a) => futimesat(ctx, int(a[0]), a[1], a[2], 4),
};
