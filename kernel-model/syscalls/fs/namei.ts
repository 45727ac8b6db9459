// fs/namei.c: the syscalls that change names: mkdir, unlink, rmdir, rename and their *at forms.

import { E, Errno } from "../../errno.js";
import { AT_FDCWD, AT_REMOVEDIR } from "../../uapi/linux/fcntl.js";
import { int, uint, type SyscallContext, type SyscallFamily } from "../types.js";
import { getname, nameidata, vfsOf } from "./getname.js";

function mkdirat(ctx: SyscallContext, dfd: number, pathAddr: bigint, mode: number): number {
  const path = getname(ctx, pathAddr);
  vfsOf(ctx).mkdir(nameidata(ctx, dfd, path), path, mode & 0o1777 & ~ctx.task.umask);
  return 0;
}

function unlinkat(ctx: SyscallContext, dfd: number, pathAddr: bigint, flags: number): number {
  if (flags & ~AT_REMOVEDIR) throw new Errno(E.EINVAL);
  const path = getname(ctx, pathAddr);
  const nd = nameidata(ctx, dfd, path);
  if (flags & AT_REMOVEDIR) vfsOf(ctx).rmdir(nd, path);
  else vfsOf(ctx).unlink(nd, path);
  return 0;
}

function renameat2(ctx: SyscallContext, oldDfd: number, oldAddr: bigint, newDfd: number, newAddr: bigint, flags: number): number {
  const oldPath = getname(ctx, oldAddr);
  const newPath = getname(ctx, newAddr);
  vfsOf(ctx).rename(nameidata(ctx, oldDfd, oldPath), oldPath, nameidata(ctx, newDfd, newPath), newPath, flags);
  return 0;
}

export const nameiSyscalls: SyscallFamily = {
  sys_mkdir: (ctx, a) => mkdirat(ctx, AT_FDCWD, a[0], uint(a[1])),
  sys_mkdirat: (ctx, a) => mkdirat(ctx, int(a[0]), a[1], uint(a[2])),
  sys_unlink: (ctx, a) => unlinkat(ctx, AT_FDCWD, a[0], 0),
  sys_unlinkat: (ctx, a) => unlinkat(ctx, int(a[0]), a[1], int(a[2])),
  sys_rmdir: (ctx, a) => unlinkat(ctx, AT_FDCWD, a[0], AT_REMOVEDIR),
  sys_rename: (ctx, a) => renameat2(ctx, AT_FDCWD, a[0], AT_FDCWD, a[1], 0),
  sys_renameat: (ctx, a) => renameat2(ctx, int(a[0]), a[1], int(a[2]), a[3], 0),
  sys_renameat2: (ctx, a) => renameat2(ctx, int(a[0]), a[1], int(a[2]), a[3], uint(a[4])),
};
