// fs/sync.c: nothing is cached between the model and the host, so syncing only checks the fd.

import { int, type SyscallFamily } from "../types.js";
import { fdget } from "./getname.js";

export const syncSyscalls: SyscallFamily = {
  sys_fsync: (ctx, a) => { fdget(ctx, int(a[0])).fsync(); return 0; },
  sys_fdatasync: (ctx, a) => { fdget(ctx, int(a[0])).fsync(); return 0; },
  sys_syncfs: (ctx, a) => { fdget(ctx, int(a[0])); return 0; },
  sys_sync: () => 0,
};
