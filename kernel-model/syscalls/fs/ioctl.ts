// fs/ioctl.c: the commands every file answers (do_vfs_ioctl: FIOCLEX, FIONCLEX, FIONBIO,
// FIOASYNC, FIONREAD on regular files), then the file's own (the terminal's TCGETS,
// TIOCGWINSZ...), else ENOTTY.

import { FMODE_LSEEK } from "../../fs/fcntl.js";
import { int, uint, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget } from "./getname.js";
import { FASYNC, O_NONBLOCK } from "../../uapi/asm-generic/fcntl.js";
import { S_IFMT, S_IFREG } from "../../uapi/linux/stat.js";
import { FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD } from "../../uapi/asm-generic/ioctls.js";


function ioctl(ctx: SyscallContext, fd: number, cmd: number, arg: bigint): number {
  const file = fdget(ctx, fd);
  const flagFromUser = (bit: number): number => {
    const on = ctx.mem.read(arg, 4).readInt32LE(0) !== 0;
    file.flags = on ? file.flags | bit : file.flags & ~bit;
    return 0;
  };
  switch (cmd) {
    case FIOCLEX: ctx.task.files.setCloexec(fd, true); return 0;
    case FIONCLEX: ctx.task.files.setCloexec(fd, false); return 0;
    case FIONBIO: return flagFromUser(O_NONBLOCK);
    case FIOASYNC: return flagFromUser(FASYNC);
    case FIONREAD: {
      if (!(file.fmode & FMODE_LSEEK)) break;
      const st = file.stat();
      if ((st.mode & S_IFMT) !== S_IFREG) break;
      const b = Buffer.alloc(4);
      const left = st.size - file.pos;
      b.writeInt32LE(Number(left < 0n ? 0n : left > 0x7fffffffn ? 0x7fffffffn : left));
      ctx.mem.write(arg, b);
      return 0;
    }
  }
  return file.ioctl(ctx, cmd, arg);
}

const sysIoctl = (ctx: SyscallContext, a: readonly bigint[]): number => ioctl(ctx, int(a[0]), uint(a[1]), a[2]);

export const ioctlSyscalls: SyscallFamily = { sys_ioctl: sysIoctl };
export const ioctlCompat: SyscallFamily = { compat_sys_ioctl: sysIoctl };
