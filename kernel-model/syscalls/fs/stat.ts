// fs/stat.c: stat, lstat, fstat, fstatat in their x86_64 (struct stat), i386 (struct stat,
// struct stat64) and statx forms, and readlink. The kstat is the same; only the user layout
// differs (arch/x86/include/uapi/asm/stat.h, include/uapi/linux/stat.h).

import { E, Errno } from "../../errno.js";
import { AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE, AT_SYMLINK_NOFOLLOW } from "../../uapi/linux/fcntl.js";
import type { Kstat } from "../../fs/kstat.js";
import { isSymlink } from "../../fs/namei.js";
import { int, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget, getname, nameidata, vfsOf } from "./getname.js";
import type { Abi } from "../../uapi/abi.js";
import { STATX_ATTR_MOUNT_ROOT, STATX_BASIC_STATS, STATX_BTIME, STATX_MNT_ID } from "../../uapi/linux/stat.js";

export const STAT_SIZE_X86_64 = 144;
export const STAT_SIZE_I386 = 64;
export const STAT64_SIZE = 96;
export const SIZEOF_STATX = 256;

/** new_encode_dev: the 32-bit dev_t the kernel gives user space (12-bit major, 20-bit minor). */
export const newEncodeDev = (major: number, minor: number): number =>
  ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;

/** high2lowuid: ids that do not fit 16 bits read as the overflow id 65534. */
const high2low = (id: number): number => (id > 0xffff ? 65534 : id);

/** cp_new_stat: struct stat in the task's ABI (144 bytes on x86_64, 64 bytes on i386). */
export function cpNewStat(abi: Abi, st: Kstat): Buffer {
  if (abi === "x86_64") {
    const b = Buffer.alloc(STAT_SIZE_X86_64);
    b.writeBigUInt64LE(BigInt(newEncodeDev(st.devMajor, st.devMinor)), 0);
    b.writeBigUInt64LE(st.ino, 8);
    b.writeBigUInt64LE(BigInt(st.nlink), 16);
    b.writeUInt32LE(st.mode, 24);
    b.writeUInt32LE(st.uid, 28);
    b.writeUInt32LE(st.gid, 32);
    b.writeBigUInt64LE(BigInt(newEncodeDev(st.rdevMajor, st.rdevMinor)), 40);
    b.writeBigInt64LE(st.size, 48);
    b.writeBigInt64LE(BigInt(st.blksize), 56);
    b.writeBigInt64LE(st.blocks, 64);
    b.writeBigInt64LE(st.atime.sec, 72);
    b.writeBigUInt64LE(BigInt(st.atime.nsec), 80);
    b.writeBigInt64LE(st.mtime.sec, 88);
    b.writeBigUInt64LE(BigInt(st.mtime.nsec), 96);
    b.writeBigInt64LE(st.ctime.sec, 104);
    b.writeBigUInt64LE(BigInt(st.ctime.nsec), 112);
    return b;
  }
  // The i386 struct stat has 16-bit mode/nlink/uid/gid, old 8:8 device numbers and 32-bit
  // sizes: what does not fit is EOVERFLOW (uids are clamped instead).
  const oldDev = (ma: number, mi: number): number => {
    if (ma > 0xff || mi > 0xff) throw new Errno(E.EOVERFLOW);
    return (ma << 8) | mi;
  };
  if (st.ino > 0xffffffffn || st.nlink > 0xffff || st.size > 0x7fffffffn) throw new Errno(E.EOVERFLOW);
  const b = Buffer.alloc(STAT_SIZE_I386);
  b.writeUInt32LE(oldDev(st.devMajor, st.devMinor), 0);
  b.writeUInt32LE(Number(st.ino), 4);
  b.writeUInt16LE(st.mode & 0xffff, 8);
  b.writeUInt16LE(st.nlink, 10);
  b.writeUInt16LE(high2low(st.uid), 12);
  b.writeUInt16LE(high2low(st.gid), 14);
  b.writeUInt32LE(oldDev(st.rdevMajor, st.rdevMinor), 16);
  b.writeUInt32LE(Number(st.size), 20);
  b.writeUInt32LE(st.blksize, 24);
  b.writeUInt32LE(Number(st.blocks & 0xffffffffn), 28);
  b.writeUInt32LE(Number(BigInt.asUintN(32, st.atime.sec)), 32);
  b.writeUInt32LE(st.atime.nsec, 36);
  b.writeUInt32LE(Number(BigInt.asUintN(32, st.mtime.sec)), 40);
  b.writeUInt32LE(st.mtime.nsec, 44);
  b.writeUInt32LE(Number(BigInt.asUintN(32, st.ctime.sec)), 48);
  b.writeUInt32LE(st.ctime.nsec, 52);
  return b;
}

/** cp_new_stat64: the i386 struct stat64 (96 bytes, packed; __st_ino holds the low 32 bits). */
export function cpNewStat64(st: Kstat): Buffer {
  const b = Buffer.alloc(STAT64_SIZE);
  b.writeBigUInt64LE(BigInt(newEncodeDev(st.devMajor, st.devMinor)), 0);
  b.writeUInt32LE(Number(st.ino & 0xffffffffn), 12);
  b.writeUInt32LE(st.mode, 16);
  b.writeUInt32LE(st.nlink, 20);
  b.writeUInt32LE(st.uid, 24);
  b.writeUInt32LE(st.gid, 28);
  b.writeBigUInt64LE(BigInt(newEncodeDev(st.rdevMajor, st.rdevMinor)), 32);
  b.writeBigInt64LE(st.size, 44);
  b.writeUInt32LE(st.blksize, 52);
  b.writeBigUInt64LE(st.blocks, 56);
  b.writeUInt32LE(Number(BigInt.asUintN(32, st.atime.sec)), 64);
  b.writeUInt32LE(st.atime.nsec, 68);
  b.writeUInt32LE(Number(BigInt.asUintN(32, st.mtime.sec)), 72);
  b.writeUInt32LE(st.mtime.nsec, 76);
  b.writeUInt32LE(Number(BigInt.asUintN(32, st.ctime.sec)), 80);
  b.writeUInt32LE(st.ctime.nsec, 84);
  b.writeBigUInt64LE(st.ino, 88);
  return b;
}

/** cp_statx: struct statx (256 bytes, the same in both ABIs). */
export function cpStatx(st: Kstat, requestMask: number, mount?: { id: number; root: boolean }): Buffer {
  const b = Buffer.alloc(SIZEOF_STATX);
  // The basic stats are always reported; btime only when asked for and known (as ext4 does);
  // the mount id whenever the file's mount is known (vfs_getattr_nosec sets STATX_MNT_ID).
  const mask = STATX_BASIC_STATS | (requestMask & st.resultMask & STATX_BTIME) | (mount ? STATX_MNT_ID : 0);
  b.writeUInt32LE(mask, 0);
  b.writeUInt32LE(st.blksize, 4);
  // STATX_ATTR_MOUNT_ROOT: the file is the root of its mount; the bit is always in the mask.
  b.writeBigUInt64LE(mount?.root ? STATX_ATTR_MOUNT_ROOT : 0n, 8); // stx_attributes
  b.writeUInt32LE(st.nlink, 16);
  b.writeUInt32LE(st.uid, 20);
  b.writeUInt32LE(st.gid, 24);
  b.writeUInt16LE(st.mode & 0xffff, 28);
  b.writeBigUInt64LE(st.ino, 32);
  b.writeBigUInt64LE(BigInt.asUintN(64, st.size), 40);
  b.writeBigUInt64LE(st.blocks, 48);
  b.writeBigUInt64LE(mount ? STATX_ATTR_MOUNT_ROOT : 0n, 56); // stx_attributes_mask
  const ts = (off: number, t: { sec: bigint; nsec: number }): void => {
    b.writeBigInt64LE(t.sec, off);
    b.writeUInt32LE(t.nsec, off + 8);
  };
  ts(64, st.atime);
  if (mask & STATX_BTIME) ts(80, st.btime);
  ts(96, st.ctime);
  ts(112, st.mtime);
  b.writeUInt32LE(st.rdevMajor, 128);
  b.writeUInt32LE(st.rdevMinor, 132);
  b.writeUInt32LE(st.devMajor, 136);
  b.writeUInt32LE(st.devMinor, 140);
  if (mount) b.writeBigUInt64LE(BigInt(mount.id), 144); // stx_mnt_id
  return b;
}

/** vfs_statx / vfs_fstatat: the kstat that a (dirfd, path, flags) triple names. */
function statAt(ctx: SyscallContext, dfd: number, pathAddr: bigint, flags: number): Kstat {
  return statPathAt(ctx, dfd, pathAddr, flags).st;
}

/** statAt, and the guest path of what it found when there is one (statx reports its mount). */
function statPathAt(ctx: SyscallContext, dfd: number, pathAddr: bigint, flags: number): { st: Kstat; path: string | undefined } {
  const path = getname(ctx, pathAddr, (flags & AT_EMPTY_PATH) !== 0);
  if (path === "") {
    // AT_EMPTY_PATH: the file dirfd refers to, or the cwd for AT_FDCWD.
    if (dfd !== AT_FDCWD) {
      const file = fdget(ctx, dfd);
      return { st: file.stat(), path: file.path };
    }
  }
  const nd = nameidata(ctx, dfd, path);
  const d = vfsOf(ctx).walk(nd, path === "" ? "." : path, !(flags & AT_SYMLINK_NOFOLLOW));
  return { st: vfsOf(ctx).getattr(d), path: d.path };
}

const FSTATAT_FLAGS = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH;

function fstatat(ctx: SyscallContext, a: readonly bigint[], layout: (st: Kstat) => Buffer): number {
  const flags = int(a[3]);
  if (flags & ~FSTATAT_FLAGS) throw new Errno(E.EINVAL);
  ctx.mem.write(a[2], layout(statAt(ctx, int(a[0]), a[1], flags)));
  return 0;
}

function statPath(ctx: SyscallContext, pathAddr: bigint, follow: boolean, layout: (st: Kstat) => Buffer, buf: bigint): number {
  ctx.mem.write(buf, layout(statAt(ctx, AT_FDCWD, pathAddr, follow ? 0 : AT_SYMLINK_NOFOLLOW)));
  return 0;
}

/** do_readlinkat: the link text, cut to bufsiz, without a NUL. */
function readlinkat(ctx: SyscallContext, dfd: number, pathAddr: bigint, buf: bigint, bufsiz: number): number {
  if (bufsiz <= 0) throw new Errno(E.EINVAL);
  const path = getname(ctx, pathAddr);
  const vfs = vfsOf(ctx);
  const d = vfs.walk(nameidata(ctx, dfd, path), path, false);
  if (!isSymlink(d)) throw new Errno(E.EINVAL);
  const text = Buffer.from(vfs.readlinkDentry(d), "latin1").subarray(0, bufsiz);
  ctx.mem.write(buf, text);
  return text.length;
}

const newStat = (ctx: SyscallContext) => (st: Kstat): Buffer => cpNewStat(ctx.abi, st);

export const statSyscalls: SyscallFamily = {
  sys_newstat: (ctx, a) => statPath(ctx, a[0], true, newStat(ctx), a[1]),
  sys_newlstat: (ctx, a) => statPath(ctx, a[0], false, newStat(ctx), a[1]),
  sys_newfstat: (ctx, a) => { ctx.mem.write(a[1], cpNewStat(ctx.abi, fdget(ctx, int(a[0])).stat())); return 0; },
  sys_newfstatat: (ctx, a) => fstatat(ctx, a, newStat(ctx)),
  sys_stat64: (ctx, a) => statPath(ctx, a[0], true, cpNewStat64, a[1]),
  sys_lstat64: (ctx, a) => statPath(ctx, a[0], false, cpNewStat64, a[1]),
  sys_fstat64: (ctx, a) => { ctx.mem.write(a[1], cpNewStat64(fdget(ctx, int(a[0])).stat())); return 0; },
  sys_fstatat64: (ctx, a) => fstatat(ctx, a, cpNewStat64),
  /** statx(dfd, path, flags, mask, buffer). */
  sys_statx: (ctx, a) => {
    const flags = int(a[2]);
    const mask = int(a[3]) >>> 0;
    if (flags & ~(FSTATAT_FLAGS | AT_STATX_SYNC_TYPE)) throw new Errno(E.EINVAL);
    if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) throw new Errno(E.EINVAL);
    if (mask & 0x80000000) throw new Errno(E.EINVAL); // STATX__RESERVED
    const { st, path } = statPathAt(ctx, int(a[0]), a[1], flags);
    ctx.mem.write(a[4], cpStatx(st, mask, path === undefined ? undefined : vfsOf(ctx).mountInfo(path)));
    return 0;
  },
  sys_readlink: (ctx, a) => readlinkat(ctx, AT_FDCWD, a[0], a[1], int(a[2])),
  sys_readlinkat: (ctx, a) => readlinkat(ctx, int(a[0]), a[1], a[2], int(a[3])),
};

export const statCompat: SyscallFamily = {
  compat_sys_newstat: statSyscalls.sys_newstat!,
  compat_sys_newlstat: statSyscalls.sys_newlstat!,
  compat_sys_newfstat: statSyscalls.sys_newfstat!,
  compat_sys_ia32_stat64: statSyscalls.sys_stat64!,
  compat_sys_ia32_lstat64: statSyscalls.sys_lstat64!,
  compat_sys_ia32_fstat64: statSyscalls.sys_fstat64!,
  compat_sys_ia32_fstatat64: statSyscalls.sys_fstatat64!,
};
