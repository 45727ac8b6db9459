// kernel/exec_domain.c: personality(persona) sets the execution domain and returns the old one;
// 0xffffffff only asks. Every task starts as PER_LINUX (0). The value is remembered per task
// but changes nothing else (flags like ADDR_NO_RANDOMIZE are not acted on).

import type { Task } from "../../sched/task.js";
import { uint, type SyscallFamily } from "../types.js";

export const PER_LINUX = 0;
export const PER_QUERY = 0xffffffff;

const personalityOf = new WeakMap<Task, number>();

export const personalityFamily: SyscallFamily = {
  sys_personality: (ctx, a) => {
    const old = personalityOf.get(ctx.task) ?? PER_LINUX;
    const persona = uint(a[0]);
    if (persona !== PER_QUERY) personalityOf.set(ctx.task, persona);
    return old;
  },
};
