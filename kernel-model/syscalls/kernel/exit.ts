// kernel/exit.c: leaving. With one task per machine (for now) both end the whole guest.

import type { SyscallFamily } from "../types.js";
import { int } from "../types.js";

export const exitFamily: SyscallFamily = {
  sys_exit: (ctx, a) => {
    ctx.exit(int(a[0]) & 0xff);
    return 0;
  },
  sys_exit_group: (ctx, a) => {
    ctx.exit(int(a[0]) & 0xff);
    return 0;
  },
};
