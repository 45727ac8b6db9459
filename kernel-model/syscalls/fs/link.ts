// fs/namei.c: the calls that add a name for something: symlink, symlinkat, link, linkat.

import { E, Errno } from "../../errno.js";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_FOLLOW } from "../../uapi/linux/fcntl.js";
import { int, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget, getname, nameidata, vfsOf } from "./getname.js";

function symlinkat(ctx: SyscallContext, targetAddr: bigint, newDfd: number, newAddr: bigint): number {
  const target = getname(ctx, targetAddr);
  const path = getname(ctx, newAddr);
  vfsOf(ctx).symlink(nameidata(ctx, newDfd, path), path, target);
  return 0;
}

function linkat(ctx: SyscallContext, oldDfd: number, oldAddr: bigint, newDfd: number, newAddr: bigint, flags: number): number {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw new Errno(E.EINVAL);
  const vfs = vfsOf(ctx);
  const oldPath = getname(ctx, oldAddr, (flags & AT_EMPTY_PATH) !== 0);
  const newPath = getname(ctx, newAddr);
  let src;
  if (oldPath === "") {
    // AT_EMPTY_PATH links the file oldDfd refers to, which needs CAP_DAC_READ_SEARCH.
    if (ctx.task.cred.euid !== 0) throw new Errno(E.ENOENT);
    if (oldDfd === AT_FDCWD) src = vfs.walk(nameidata(ctx, AT_FDCWD, "."), ".", false);
    else src = vfs.fileDentry(fdget(ctx, oldDfd));
    if (!src) throw new Errno(E.EXDEV);
  } else {
    src = vfs.walk(nameidata(ctx, oldDfd, oldPath), oldPath, (flags & AT_SYMLINK_FOLLOW) !== 0);
  }
  vfs.link(src, nameidata(ctx, newDfd, newPath), newPath);
  return 0;
}

export const linkSyscalls: SyscallFamily = {
  sys_symlink: (ctx, a) => symlinkat(ctx, a[0], AT_FDCWD, a[1]),
  sys_symlinkat: (ctx, a) => symlinkat(ctx, a[0], int(a[1]), a[2]),
  sys_link: (ctx, a) => linkat(ctx, AT_FDCWD, a[0], AT_FDCWD, a[1], 0),
  sys_linkat: (ctx, a) => linkat(ctx, int(a[0]), a[1], int(a[2]), a[3], int(a[4])),
};
