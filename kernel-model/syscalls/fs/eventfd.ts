// fs/eventfd.c, the syscalls: eventfd (no flags) and eventfd2 (EFD_CLOEXEC, EFD_NONBLOCK,
// EFD_SEMAPHORE). The file is kernel-model/fs/eventfd.ts.

import { E, Errno } from "../../errno.js";
import { EFD_SEMAPHORE, EventFd } from "../../fs/eventfd.js";
import { O_CLOEXEC, O_NONBLOCK } from "../../uapi/asm-generic/fcntl.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";
import { rlimitNofile } from "./getname.js";

export const EFD_CLOEXEC = O_CLOEXEC, EFD_NONBLOCK = O_NONBLOCK;

function doEventfd(ctx: SyscallContext, count: number, flags: number): number {
  if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) throw new Errno(E.EINVAL);
  const file = new EventFd(count, flags & EFD_NONBLOCK, (flags & EFD_SEMAPHORE) !== 0);
  return ctx.task.files.install(file, (flags & EFD_CLOEXEC) !== 0, 0, rlimitNofile(ctx));
}

export const eventfdSyscalls: SyscallFamily = {
  sys_eventfd: (ctx, a) => doEventfd(ctx, uint(a[0]), 0),
  sys_eventfd2: (ctx, a) => doEventfd(ctx, uint(a[0]), int(a[1])),
};
