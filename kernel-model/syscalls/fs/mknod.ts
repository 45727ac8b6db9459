// fs/namei.c's do_mknodat: mknod and mknodat. An unprivileged process may make FIFOs (mkfifo(3)
// is mknodat with S_IFIFO) and empty regular files; device nodes need CAP_MKNOD (EPERM). The
// FIFO's data goes through a pipe of the model (fs/fifo.ts).

import { AT_FDCWD } from "../../uapi/linux/fcntl.js";
import { S_IFMT } from "../../uapi/linux/stat.js";
import { int, uint, type SyscallContext, type SyscallFamily } from "../types.js";
import { getname, nameidata, vfsOf } from "./getname.js";

function mknodat(ctx: SyscallContext, dfd: number, pathAddr: bigint, mode: number): number {
  const path = getname(ctx, pathAddr);
  // the umask takes permission bits only, never the type
  vfsOf(ctx).mknod(nameidata(ctx, dfd, path), path, (mode & S_IFMT) | (mode & 0o7777 & ~ctx.task.umask));
  return 0;
}

export const mknodSyscalls: SyscallFamily = {
  sys_mknod: (ctx, a) => mknodat(ctx, AT_FDCWD, a[0], uint(a[1])),
  sys_mknodat: (ctx, a) => mknodat(ctx, int(a[0]), a[1], uint(a[2])),
};
