// fs/utimes.c: utimensat with struct __kernel_timespec (x86_64, and i386's utimensat_time64)
// or struct old_timespec32 (i386's utimensat). A NULL path means the file dirfd refers to.

import { E, Errno } from "../../errno.js";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW } from "../../fs/fcntl.js";
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
  const vfs = vfsOf(ctx);
  let path = a[1] === 0n ? "" : getname(ctx, a[1], (flags & AT_EMPTY_PATH) !== 0);
  if (path === "") {
    path = fdget(ctx, dfd).path ?? "";
    if (path === "") throw new Errno(E.EBADF);
  }
  const d = vfs.walk(nameidata(ctx, dfd, path), path, !(flags & AT_SYMLINK_NOFOLLOW));
  vfs.utimes(d, times[0], times[1]);
  return 0;
}

export const utimesSyscalls: SyscallFamily = {
  sys_utimensat: (ctx, a) => utimensat(ctx, a, 16),
  sys_utimensat_time32: (ctx, a) => utimensat(ctx, a, 8),
};
