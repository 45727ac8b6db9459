// kernel/exit.c: leaving. exit ends the calling thread; exit_group ends every thread of the
// group with the same status (do_group_exit), and the group's parent hears of it once.

import { zapOtherThreads } from "../../sched/exit.js";
import type { SyscallFamily } from "../types.js";
import { int } from "../types.js";

export const exitFamily: SyscallFamily = {
  sys_exit: (ctx, a) => {
    ctx.exit(int(a[0]) & 0xff);
    return 0;
  },
  sys_exit_group: (ctx, a) => {
    const code = int(a[0]) & 0xff;
    zapOtherThreads(ctx.task, code << 8, ctx.task.kernel);
    ctx.exit(code);
    return 0;
  },
};
