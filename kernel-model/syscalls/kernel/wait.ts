// kernel/exit.c: wait4 and waitid. A zombie child that matches is reaped and its status word
// reported exactly as Linux encodes it; with none yet the caller sleeps on its wait queue
// (or returns 0 with WNOHANG); with no matching child at all, ECHILD.

import { E } from "../../errno.js";
import { delayGroupLeader, groupLeader } from "../../sched/exit.js";
import { WouldBlock } from "../../sched/wait.js";
import type { Task } from "../../sched/task.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { CLD_DUMPED, CLD_EXITED, CLD_KILLED } from "../../uapi/asm-generic/siginfo.js";
import { __WALL, __WCLONE, P_ALL, P_PGID, P_PID, WCONTINUED, WEXITED, WNOHANG, WNOWAIT, WUNTRACED } from "../../uapi/linux/wait.js";


function matches(t: Task, sel: { type: number; id: number }): boolean {
  if (sel.type === P_PID) return t.tgid === sel.id;
  if (sel.type === P_PGID) return t.pgid === sel.id;
  return true;
}

/** do_wait: the reaped child, or 0 (WNOHANG), or a negative errno. */
function doWait(ctx: SyscallContext, sel: { type: number; id: number }, options: number, report: (z: Task) => void): number {
  const task = groupLeader(ctx.task); // any thread waits for the group's children
  const candidates = [...task.children].filter((c) => matches(c, sel));
  if (!candidates.length) return -E.ECHILD;
  const zombie = candidates.find((c) => c.state === "zombie" && !delayGroupLeader(c));
  if (zombie) {
    report(zombie);
    if (!(options & WNOWAIT)) {
      task.children.delete(zombie);
      task.kernel.sched.release(zombie);
    }
    return zombie.tgid;
  }
  if (options & WNOHANG) return 0;
  throw new WouldBlock([task.childExit], "wait for a child");
}

export const waitFamily: SyscallFamily = {
  sys_wait4: (ctx, a) => {
    const pid = int(a[0]), options = int(a[2]);
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | 0x20000000)) return -E.EINVAL;
    const sel = pid < -1 ? { type: P_PGID, id: -pid } : pid === -1 ? { type: P_ALL, id: 0 }
      : pid === 0 ? { type: P_PGID, id: ctx.task.pgid } : { type: P_PID, id: pid };
    return doWait(ctx, sel, options, (z) => {
      if (a[1]) {
        const b = Buffer.alloc(4);
        b.writeInt32LE(z.exitStatus);
        ctx.mem.write(a[1], b);
      }
      if (a[3]) ctx.mem.write(a[3], Buffer.alloc(ctx.abi === "x86_64" ? 144 : 72)); // struct rusage: all zero
    });
  },
  sys_waitid: (ctx, a) => {
    const type = int(a[0]), id = int(a[1]), options = int(a[3]);
    if (!(options & (WEXITED | WUNTRACED | WCONTINUED))) return -E.EINVAL;
    if (type !== P_ALL && type !== P_PID && type !== P_PGID) return -E.EINVAL;
    const r = doWait(ctx, { type, id }, options, (z) => {
      if (!a[2]) return;
      const info = Buffer.alloc(128);
      const killed = z.exitStatus & 0x7f;
      info.writeInt32LE(17, 0); // si_signo = SIGCHLD
      info.writeInt32LE(killed ? (z.exitStatus & 0x80 ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED, 8);
      const u = ctx.abi === "x86_64" ? 16 : 12;
      info.writeInt32LE(z.tgid, u);
      info.writeUInt32LE(z.cred.uid, u + 4);
      info.writeInt32LE(killed ? killed : (z.exitStatus >> 8) & 0xff, u + 8);
      ctx.mem.write(a[2], info);
    });
    if (r === 0 && a[2]) ctx.mem.write(a[2], Buffer.alloc(128)); // WNOHANG and nothing: si_pid = 0
    return r > 0 ? 0 : r;
  },
};
