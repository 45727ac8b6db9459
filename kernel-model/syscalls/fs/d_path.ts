// fs/d_path.c: getcwd, the working directory as a path from the task's root.

import { E, Errno } from "../../errno.js";
import { ulong, type SyscallFamily } from "../types.js";

export const dPathSyscalls: SyscallFamily = {
  /** getcwd(buf, size): the length written, including the NUL; ERANGE if it does not fit. */
  sys_getcwd: (ctx, a) => {
    const { pwd, root } = ctx.task.fs;
    // A cwd outside the root (after chroot) prints as Linux prints it.
    let shown = pwd;
    if (root !== "/") {
      if (pwd === root) shown = "/";
      else if (pwd.startsWith(`${root}/`)) shown = pwd.slice(root.length);
      else shown = `(unreachable)${pwd}`;
    }
    const bytes = Buffer.concat([Buffer.from(shown, "latin1"), Buffer.from([0])]);
    if (ulong(ctx, a[1]) < BigInt(bytes.length)) throw new Errno(E.ERANGE);
    ctx.mem.write(a[0], bytes);
    return bytes.length;
  },
};
