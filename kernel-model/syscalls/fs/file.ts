// fs/file.c and fs/open.c's close: the fd-table syscalls dup, dup2, dup3, close, close_range.

import { E, Errno } from "../../errno.js";
import { O_CLOEXEC } from "../../uapi/asm-generic/fcntl.js";
import { int, uint, type SyscallFamily } from "../types.js";
import { fdget, rlimitNofile } from "./getname.js";

export const CLOSE_RANGE_UNSHARE = 1 << 1;
export const CLOSE_RANGE_CLOEXEC = 1 << 2;

export const fileSyscalls: SyscallFamily = {
  sys_dup: (ctx, a) => ctx.task.files.dup(int(a[0]), 0, false, rlimitNofile(ctx)),
  /** dup2(fd, fd) checks fd and changes nothing (not even close-on-exec). */
  sys_dup2: (ctx, a) => {
    const oldFd = int(a[0]);
    const newFd = int(a[1]);
    if (oldFd === newFd) { fdget(ctx, oldFd); return newFd; }
    return ctx.task.files.dup2(oldFd, newFd, false, rlimitNofile(ctx));
  },
  sys_dup3: (ctx, a) => {
    const oldFd = int(a[0]);
    const newFd = int(a[1]);
    const flags = int(a[2]);
    if (flags & ~O_CLOEXEC) throw new Errno(E.EINVAL);
    if (oldFd === newFd) throw new Errno(E.EINVAL);
    return ctx.task.files.dup2(oldFd, newFd, (flags & O_CLOEXEC) !== 0, rlimitNofile(ctx));
  },
  sys_close: (ctx, a) => { ctx.task.files.close(int(a[0])); return 0; },
  /**
   * close_range(first, last, flags): every open fd in [first, last] is closed, or only marked
   * close-on-exec with CLOSE_RANGE_CLOEXEC. CLOSE_RANGE_UNSHARE changes nothing: a process's
   * fd table is never shared with another in the model.
   */
  sys_close_range: (ctx, a) => {
    const first = uint(a[0]);
    const last = uint(a[1]);
    const flags = uint(a[2]);
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) || first > last) throw new Errno(E.EINVAL);
    for (const fd of ctx.task.files.openFds()) {
      if (fd < first || fd > last) continue;
      if (flags & CLOSE_RANGE_CLOEXEC) ctx.task.files.setCloexec(fd, true);
      else ctx.task.files.close(fd);
    }
    return 0;
  },
};
