// mm/fadvise.c, mm/readahead.c, fs/locks.c's flock and fs/open.c's fallocate. The model keeps
// no page cache and runs one process at a time on one host, so advice and whole-file locks
// change nothing: only the checks Linux makes before acting are kept, so callers see its errors.

import { E, Errno } from "../../errno.js";
import { FMODE_READ, FMODE_WRITE } from "../../fs/fcntl.js";
import type { File } from "../../fs/file.js";
import { int, ulong, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget } from "./getname.js";
import { pair64 } from "./read_write.js";
import { O_PATH } from "../../uapi/asm-generic/fcntl.js";
import { S_IFBLK, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG } from "../../uapi/linux/stat.js";

export const POSIX_FADV_NORMAL = 0;
export const POSIX_FADV_NOREUSE = 5;
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** fdget: O_PATH fds have no file operations, so these calls see EBADF. */
function fdgetIo(ctx: SyscallContext, fd: number): File {
  const file = fdget(ctx, fd);
  if (file.flags & O_PATH) throw new Errno(E.EBADF);
  return file;
}

const fileType = (file: File): number => file.stat().mode & S_IFMT;

/** generic_fadvise. */
function fadvise64(ctx: SyscallContext, fd: number, _offset: bigint, len: bigint, advice: number): number {
  const file = fdgetIo(ctx, fd);
  if (fileType(file) === S_IFIFO) throw new Errno(E.ESPIPE);
  if (len < 0n) throw new Errno(E.EINVAL);
  if (advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE) throw new Errno(E.EINVAL);
  return 0;
}

/** ksys_readahead: only readable regular files (or block devices) have pages to read ahead. */
function readahead(ctx: SyscallContext, fd: number): number {
  const file = fdgetIo(ctx, fd);
  if (!(file.fmode & FMODE_READ)) throw new Errno(E.EBADF);
  const type = fileType(file);
  if (type !== S_IFREG && type !== S_IFBLK) throw new Errno(E.EINVAL);
  return 0;
}

/** sys_flock: the command must be one lock type (plus LOCK_NB); locking needs a readable or writable file. */
function flock(ctx: SyscallContext, fd: number, cmd: number): number {
  const file = fdgetIo(ctx, fd);
  const type = cmd & ~LOCK_NB;
  if (type !== LOCK_SH && type !== LOCK_EX && type !== LOCK_UN) throw new Errno(E.EINVAL);
  if (type !== LOCK_UN && !(file.fmode & (FMODE_READ | FMODE_WRITE))) throw new Errno(E.EBADF);
  return 0;
}

/**
 * vfs_fallocate, mode 0 only: the host file grows to offset + len if it is shorter (the space
 * is not reserved ahead, but reads and the size are as Linux leaves them). Other modes (keep
 * size, punch hole, zero range...) are EOPNOTSUPP, as on a file system without them.
 */
function fallocate(ctx: SyscallContext, fd: number, mode: number, offset: bigint, len: bigint): number {
  const file = fdgetIo(ctx, fd);
  if (offset < 0n || len <= 0n) throw new Errno(E.EINVAL);
  if (mode !== 0) throw new Errno(E.EOPNOTSUPP);
  if (!(file.fmode & FMODE_WRITE)) throw new Errno(E.EBADF);
  const st = file.stat();
  const type = st.mode & S_IFMT;
  if (type === S_IFIFO) throw new Errno(E.ESPIPE);
  if (type === S_IFDIR) throw new Errno(E.EISDIR);
  if (type !== S_IFREG && type !== S_IFBLK) throw new Errno(E.ENODEV);
  if (offset + len > 0x7fffffffffffffffn) throw new Errno(E.EFBIG);
  if (type !== S_IFREG) throw new Errno(E.EOPNOTSUPP);
  if (offset + len > st.size) file.truncate(offset + len);
  return 0;
}

const loff = (v: bigint): bigint => BigInt.asIntN(64, v);

export const adviseSyscalls: SyscallFamily = {
  sys_fadvise64: (ctx, a) => fadvise64(ctx, int(a[0]), loff(a[1]), ulong(ctx, a[2]), int(a[3])),
  /** i386: offset in a register pair, len a 32-bit size_t. */
  sys_ia32_fadvise64: (ctx, a) => fadvise64(ctx, int(a[0]), pair64(a[1], a[2]), ulong(ctx, a[3]), int(a[4])),
  sys_ia32_fadvise64_64: (ctx, a) => fadvise64(ctx, int(a[0]), pair64(a[1], a[2]), pair64(a[3], a[4]), int(a[5])),
  sys_readahead: (ctx, a) => readahead(ctx, int(a[0])),
  sys_ia32_readahead: (ctx, a) => readahead(ctx, int(a[0])),
  sys_flock: (ctx, a) => flock(ctx, int(a[0]), int(a[1])),
  sys_fallocate: (ctx, a) => fallocate(ctx, int(a[0]), int(a[1]), loff(a[2]), loff(a[3])),
  sys_ia32_fallocate: (ctx, a) => fallocate(ctx, int(a[0]), int(a[1]), pair64(a[2], a[3]), pair64(a[4], a[5])),
};
