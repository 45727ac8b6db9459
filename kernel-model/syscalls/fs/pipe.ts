// fs/pipe.c: pipe and pipe2 hand back two descriptors, the read end first.

import { E } from "../../errno.js";
import { O_CLOEXEC, O_DIRECT, O_NONBLOCK } from "../../uapi/asm-generic/fcntl.js";
import { createPipe } from "../../fs/pipe.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { rlimitNofile } from "./getname.js";


function doPipe2(ctx: SyscallContext, addr: bigint, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return -E.EINVAL;
  const [r, w] = createPipe(flags & O_NONBLOCK);
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const files = ctx.task.files, limit = rlimitNofile(ctx);
  let rfd: number, wfd: number;
  try { rfd = files.install(r, cloexec, 0, limit); } catch (e) { r.fput(); w.fput(); throw e; }
  try { wfd = files.install(w, cloexec, 0, limit); } catch (e) { files.close(rfd); w.fput(); throw e; }
  const b = Buffer.alloc(8);
  b.writeInt32LE(rfd, 0);
  b.writeInt32LE(wfd, 4);
  try { ctx.mem.write(addr, b); } catch (e) { files.close(rfd); files.close(wfd); throw e; }
  return 0;
}

export const pipeSyscalls: SyscallFamily = {
  sys_pipe: (ctx, a) => doPipe2(ctx, a[0], 0),
  sys_pipe2: (ctx, a) => doPipe2(ctx, a[0], int(a[1])),
};
