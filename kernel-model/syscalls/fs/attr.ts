// fs/open.c: chmod and chown in all their forms, including i386's 16-bit-id ones (kernel/uid16.c).
// The host applies the change, so it also decides who may (EPERM when sysgate is not root).

import { E, Errno } from "../../errno.js";
import { O_PATH } from "../../uapi/asm-generic/fcntl.js";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW } from "../../uapi/linux/fcntl.js";
import type { Dentry } from "../../fs/vfs.js";
import { int, uint, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget, getname, nameidata, vfsOf } from "./getname.js";

/** user_path_at with AT_* lookup flags; an empty name with AT_EMPTY_PATH is the file dfd refers to. */
function pathAt(ctx: SyscallContext, dfd: number, addr: bigint, flags: number): Dentry | undefined {
  const path = getname(ctx, addr, (flags & AT_EMPTY_PATH) !== 0);
  if (path === "") return fdDentry(ctx, dfd, true);
  return vfsOf(ctx).walk(nameidata(ctx, dfd, path), path, !(flags & AT_SYMLINK_NOFOLLOW));
}

/**
 * The inode behind an fd. fchmod/fchown use fdget, so O_PATH fds are EBADF; AT_EMPTY_PATH
 * walks allow them. Pipes and terminals have no host inode: undefined, and the call succeeds
 * without keeping anything (their inodes are the model's and vanish with them).
 */
function fdDentry(ctx: SyscallContext, fd: number, raw: boolean): Dentry | undefined {
  if (fd === AT_FDCWD) return vfsOf(ctx).walk(nameidata(ctx, AT_FDCWD, "."), ".", true);
  const file = fdget(ctx, fd);
  if (!raw && file.flags & O_PATH) throw new Errno(E.EBADF);
  return vfsOf(ctx).fileDentry(file);
}

function chmod(ctx: SyscallContext, d: Dentry | undefined, mode: number): number {
  if (d) vfsOf(ctx).chmod(d, mode);
  return 0;
}

function fchmodat(ctx: SyscallContext, dfd: number, addr: bigint, mode: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new Errno(E.EINVAL);
  return chmod(ctx, pathAt(ctx, dfd, addr, flags), mode);
}

/** An id as chown takes it: (uid_t)-1 leaves it unchanged. */
const id32 = (v: bigint): number => (uint(v) === 0xffffffff ? -1 : uint(v));
/** low2highuid: the 16-bit forms say "unchanged" with (old_uid_t)-1. */
const id16 = (v: bigint): number => (Number(v & 0xffffn) === 0xffff ? -1 : Number(v & 0xffffn));

function chown(ctx: SyscallContext, d: Dentry | undefined, uid: number, gid: number): number {
  if (d) vfsOf(ctx).chown(d, uid, gid);
  return 0;
}

function fchownat(ctx: SyscallContext, dfd: number, addr: bigint, uid: number, gid: number, flags: number): number {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new Errno(E.EINVAL);
  return chown(ctx, pathAt(ctx, dfd, addr, flags), uid, gid);
}

export const attrSyscalls: SyscallFamily = {
  sys_chmod: (ctx, a) => fchmodat(ctx, AT_FDCWD, a[0], uint(a[1]), 0),
  sys_fchmod: (ctx, a) => chmod(ctx, fdDentry(ctx, int(a[0]), false), uint(a[1])),
  sys_fchmodat: (ctx, a) => fchmodat(ctx, int(a[0]), a[1], uint(a[2]), 0),
  sys_fchmodat2: (ctx, a) => fchmodat(ctx, int(a[0]), a[1], uint(a[2]), int(a[3])),
  sys_chown: (ctx, a) => fchownat(ctx, AT_FDCWD, a[0], id32(a[1]), id32(a[2]), 0),
  sys_lchown: (ctx, a) => fchownat(ctx, AT_FDCWD, a[0], id32(a[1]), id32(a[2]), AT_SYMLINK_NOFOLLOW),
  sys_fchown: (ctx, a) => chown(ctx, fdDentry(ctx, int(a[0]), false), id32(a[1]), id32(a[2])),
  sys_fchownat: (ctx, a) => fchownat(ctx, int(a[0]), a[1], id32(a[2]), id32(a[3]), int(a[4])),
  sys_chown16: (ctx, a) => fchownat(ctx, AT_FDCWD, a[0], id16(a[1]), id16(a[2]), 0),
  sys_lchown16: (ctx, a) => fchownat(ctx, AT_FDCWD, a[0], id16(a[1]), id16(a[2]), AT_SYMLINK_NOFOLLOW),
  sys_fchown16: (ctx, a) => chown(ctx, fdDentry(ctx, int(a[0]), false), id16(a[1]), id16(a[2])),
};
