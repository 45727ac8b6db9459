// fs/open.c: open, openat, creat, access/faccessat/faccessat2, chdir, fchdir, truncate,
// ftruncate (and the i386 forms whose 64-bit length is split over two registers).

import { E, Errno } from "../../errno.js";
import { X_OK } from "../../fs/fcntl.js";
import { isDir } from "../../fs/namei.js";
import { int, long, uint, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget, getname, nameidata, rlimitNofile, vfsOf } from "./getname.js";
import { pair64 } from "./read_write.js";
import { O_CLOEXEC, O_CREAT, O_LARGEFILE, O_TRUNC, O_WRONLY } from "../../uapi/asm-generic/fcntl.js";
import { AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW } from "../../uapi/linux/fcntl.js";

/** do_sys_open: open the file, then give it the lowest free fd. */
function doSysOpen(ctx: SyscallContext, dfd: number, pathAddr: bigint, flags: number, mode: number): number {
  // force_o_largefile(): 64-bit tasks always have large-file offsets.
  if (ctx.abi === "x86_64") flags |= O_LARGEFILE;
  const path = getname(ctx, pathAddr);
  const createMode = flags & O_CREAT ? mode & 0o7777 & ~ctx.task.umask : 0;
  const file = vfsOf(ctx).open(nameidata(ctx, dfd, path), path, flags, createMode);
  try {
    return ctx.task.files.install(file, (flags & O_CLOEXEC) !== 0, 0, rlimitNofile(ctx));
  } catch (err) {
    file.fput();
    throw err;
  }
}

/** do_faccessat(dfd, path, mode, flags). */
function doFaccessat(ctx: SyscallContext, dfd: number, pathAddr: bigint, mode: number, flags: number): number {
  if (mode & ~7) throw new Errno(E.EINVAL);
  if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new Errno(E.EINVAL);
  let path = getname(ctx, pathAddr, (flags & AT_EMPTY_PATH) !== 0);
  if (path === "") {
    // AT_EMPTY_PATH: the file dirfd itself (its path names it here).
    path = dfd === AT_FDCWD ? "." : fdget(ctx, dfd).path ?? "";
    if (path === "") throw new Errno(E.ENOENT);
  }
  const vfs = vfsOf(ctx);
  vfs.access(vfs.walk(nameidata(ctx, dfd, path), path, !(flags & AT_SYMLINK_NOFOLLOW)), mode);
  return 0;
}

function doTruncate(ctx: SyscallContext, pathAddr: bigint, length: bigint): number {
  const path = getname(ctx, pathAddr);
  vfsOf(ctx).truncate(nameidata(ctx, AT_FDCWD, path), path, length);
  return 0;
}

function doFtruncate(ctx: SyscallContext, fd: number, length: bigint): number {
  if (length < 0n) throw new Errno(E.EINVAL);
  fdget(ctx, fd).truncate(length);
  return 0;
}

export const openSyscalls: SyscallFamily = {
  sys_open: (ctx, a) => doSysOpen(ctx, AT_FDCWD, a[0], int(a[1]), uint(a[2])),
  sys_openat: (ctx, a) => doSysOpen(ctx, int(a[0]), a[1], int(a[2]), uint(a[3])),
  sys_creat: (ctx, a) => doSysOpen(ctx, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, uint(a[1])),
  sys_access: (ctx, a) => doFaccessat(ctx, AT_FDCWD, a[0], int(a[1]), 0),
  sys_faccessat: (ctx, a) => doFaccessat(ctx, int(a[0]), a[1], int(a[2]), 0),
  sys_faccessat2: (ctx, a) => doFaccessat(ctx, int(a[0]), a[1], int(a[2]), int(a[3])),
  sys_chdir: (ctx, a) => {
    const path = getname(ctx, a[0]);
    const vfs = vfsOf(ctx);
    const d = vfs.walk(nameidata(ctx, AT_FDCWD, path), path, true);
    if (!isDir(d)) throw new Errno(E.ENOTDIR);
    vfs.access(d, X_OK);
    ctx.task.fs.pwd = d.path;
    return 0;
  },
  sys_fchdir: (ctx, a) => {
    const file = fdget(ctx, int(a[0]));
    if (!file.isDir || file.path === undefined) throw new Errno(E.ENOTDIR);
    ctx.task.fs.pwd = file.path;
    return 0;
  },
  sys_truncate: (ctx, a) => doTruncate(ctx, a[0], long(ctx, a[1])),
  sys_ftruncate: (ctx, a) => doFtruncate(ctx, int(a[0]), long(ctx, a[1])),
  sys_ia32_truncate64: (ctx, a) => doTruncate(ctx, a[0], pair64(a[1], a[2])),
  sys_ia32_ftruncate64: (ctx, a) => doFtruncate(ctx, int(a[0]), pair64(a[1], a[2])),
};

export const openCompat: SyscallFamily = {
  compat_sys_open: openSyscalls.sys_open!,
  compat_sys_openat: openSyscalls.sys_openat!,
  compat_sys_truncate: openSyscalls.sys_truncate!,
  compat_sys_ftruncate: openSyscalls.sys_ftruncate!,
};
