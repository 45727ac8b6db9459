// kernel/sys.c: umask, which sets the mask and returns the old one (it cannot fail).

import { uint, type SyscallFamily } from "../types.js";

export const umaskSyscalls: SyscallFamily = {
  sys_umask: (ctx, a) => {
    const old = ctx.task.umask;
    ctx.task.umask = uint(a[0]) & 0o777;
    return old;
  },
};
