// fs/fcntl.c: fcntl and fcntl64 (the same commands here: record locks are the only ones whose
// layout differs, and the model grants every lock, having one process).

import { E, Errno } from "../../errno.js";
import { SETFL_MASK } from "../../fs/fcntl.js";
import { int, ulong, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget, rlimitNofile } from "./getname.js";
import {
  F_DUPFD, F_GETFD, F_GETFL, F_GETLK, F_GETLK64, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETFD, F_SETFL, F_SETLK, F_SETLK64,
  F_SETLKW, F_SETLKW64, F_UNLCK, FD_CLOEXEC,
} from "../../uapi/asm-generic/fcntl.js";
import { F_DUPFD_CLOEXEC } from "../../uapi/linux/fcntl.js";


function doFcntl(ctx: SyscallContext, fd: number, cmd: number, arg: bigint): number {
  const files = ctx.task.files;
  const file = fdget(ctx, fd);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      const limit = rlimitNofile(ctx);
      if (arg >= BigInt(limit)) throw new Errno(E.EINVAL);
      return files.dup(fd, Number(arg), cmd === F_DUPFD_CLOEXEC, limit);
    }
    case F_GETFD: return files.getCloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD: files.setCloexec(fd, (Number(arg & 0xffffffffn) & FD_CLOEXEC) !== 0); return 0;
    case F_GETFL: return file.flags;
    case F_SETFL: {
      const v = Number(arg & 0xffffffffn);
      file.flags = (file.flags & ~SETFL_MASK) | (v & SETFL_MASK);
      return 0;
    }
    case F_GETLK: case F_GETLK64: case F_OFD_GETLK: {
      // Nothing else holds a lock: l_type (the first short of struct flock) becomes F_UNLCK.
      const b = Buffer.alloc(2);
      b.writeInt16LE(F_UNLCK);
      ctx.mem.write(arg, b);
      return 0;
    }
    case F_SETLK: case F_SETLKW: case F_SETLK64: case F_SETLKW64: case F_OFD_SETLK: case F_OFD_SETLKW:
      return 0;
    default:
      throw new Errno(E.EINVAL);
  }
}

const fcntl = (ctx: SyscallContext, a: readonly bigint[]): number => doFcntl(ctx, int(a[0]), int(a[1]), ulong(ctx, a[2]));

export const fcntlSyscalls: SyscallFamily = {
  sys_fcntl: fcntl,
  sys_fcntl64: fcntl,
};

export const fcntlCompat: SyscallFamily = {
  compat_sys_fcntl64: fcntl,
};
