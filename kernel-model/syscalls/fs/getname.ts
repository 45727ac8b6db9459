// What every path-taking syscall does first: copy the name in from user memory (getname) and
// decide where the walk starts (path_init: the cwd for AT_FDCWD, else the directory of dirfd).

import { E, Errno } from "../../errno.js";
import { AT_FDCWD } from "../../uapi/linux/fcntl.js";
import { PATH_MAX } from "../../uapi/linux/limits.js";
import type { File } from "../../fs/file.js";
import type { Nameidata } from "../../fs/namei.js";
import type { Vfs } from "../../fs/vfs.js";
import type { SyscallContext } from "../types.js";
import { RLIMIT_NOFILE } from "../../uapi/asm-generic/resource.js";
import { rlimitCur } from "../../sched/rlimit.js";

/** rlimit(RLIMIT_NOFILE), the soft limit: new fds must stay below it (and below sysctl_nr_open). */
export function rlimitNofile(ctx: SyscallContext): number {
  const cur = rlimitCur(ctx.task.rlimits, RLIMIT_NOFILE);
  return Number(cur > 1n << 20n ? 1n << 20n : cur);
}

/** fdget: the open file at `fd`, EBADF if none. */
export function fdget(ctx: SyscallContext, fd: number): File {
  return ctx.task.files.fget(fd);
}

export const vfsOf = (ctx: SyscallContext): Vfs => ctx.task.kernel.vfs;

/**
 * getname_flags: the path at `addr` as a byte string (latin1). An empty name is ENOENT unless
 * the caller allows it (AT_EMPTY_PATH); a name that does not fit PATH_MAX is ENAMETOOLONG.
 */
export function getname(ctx: SyscallContext, addr: bigint, allowEmpty = false): string {
  const name = ctx.mem.readCString(addr, PATH_MAX - 1).toString("latin1");
  if (name === "" && !allowEmpty) throw new Errno(E.ENOENT);
  return name;
}

/** path_init: where a walk of `path` starts for dirfd `dfd`. */
export function nameidata(ctx: SyscallContext, dfd: number, path: string): Nameidata {
  const { fs } = ctx.task;
  const nd: Nameidata = { root: fs.root, start: fs.pwd, pid: ctx.task.tgid };
  if (dfd === AT_FDCWD || path.startsWith("/")) return nd;
  const dir = fdget(ctx, dfd);
  if (!dir.isDir || dir.path === undefined) throw new Errno(E.ENOTDIR);
  nd.start = dir.path;
  return nd;
}
