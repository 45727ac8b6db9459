// kernel/exec_domain.c: personality(persona) sets the execution domain and returns the old one;
// 0xffffffff only asks. Every task starts as PER_LINUX (0); fork and exec keep it. Of its
// effects only PER_LINUX32 is acted on: uname's machine field says i686 (override_architecture),
// which is how `linux32` / `setarch i686` make a 64-bit kernel look 32-bit. Flags like
// ADDR_NO_RANDOMIZE change nothing here.

import type { Task } from "../../sched/task.js";
import { uint, type SyscallFamily } from "../types.js";
import { PER_LINUX32, PER_MASK } from "../../uapi/linux/personality.js";

export const PER_QUERY = 0xffffffff;

/** override_architecture (kernel/sys.c): the machine field uname reports for `task`. */
export function utsMachine(task: Task, machine: string): string {
  return (task.personality & PER_MASK) === PER_LINUX32 ? "i686" : machine;
}

export const personalityFamily: SyscallFamily = {
  sys_personality: (ctx, a) => {
    const old = ctx.task.personality;
    const persona = uint(a[0]);
    if (persona !== PER_QUERY) ctx.task.personality = persona;
    return old;
  },
};
