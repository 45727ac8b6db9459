// struct kstat (include/linux/stat.h): what getattr reports about an inode, before stat(),
// stat64() or statx() lay it out for user space in their own formats.

import type { BigIntStats } from "node:fs";
import { STATX_BASIC_STATS, STATX_BTIME } from "../uapi/linux/stat.js";

export interface Timespec64 { sec: bigint; nsec: number }

export interface Kstat {
  /** STATX_* bits that are valid (btime is not always known). */
  resultMask: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  ino: bigint;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  size: bigint;
  blksize: number;
  /** 512-byte blocks. */
  blocks: bigint;
  atime: Timespec64;
  mtime: Timespec64;
  ctime: Timespec64;
  btime: Timespec64;
}


/** glibc's dev_t encoding, which Node hands over, split into major and minor (gnu_dev_major/minor). */
export function splitHostDev(dev: bigint): { major: number; minor: number } {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return { major: Number(major & 0xffffffffn), minor: Number(minor & 0xffffffffn) };
}

const nsToTimespec = (ns: bigint): Timespec64 => {
  // Floor division: times before the epoch keep 0 <= nsec < 1e9, as timespec64 requires.
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) { sec -= 1n; nsec += 1_000_000_000n; }
  return { sec, nsec: Number(nsec) };
};

/** A kstat from the host's view of a file (the host kernel's vfs_getattr, through Node). */
export function kstatFromHost(st: BigIntStats): Kstat {
  const dev = splitHostDev(st.dev);
  const rdev = splitHostDev(st.rdev);
  const hasBtime = st.birthtimeNs > 0n;
  return {
    resultMask: STATX_BASIC_STATS | (hasBtime ? STATX_BTIME : 0),
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    ino: st.ino,
    devMajor: dev.major,
    devMinor: dev.minor,
    rdevMajor: rdev.major,
    rdevMinor: rdev.minor,
    size: st.size,
    blksize: Number(st.blksize),
    blocks: st.blocks,
    atime: nsToTimespec(st.atimeNs),
    mtime: nsToTimespec(st.mtimeNs),
    ctime: nsToTimespec(st.ctimeNs),
    btime: hasBtime ? nsToTimespec(st.birthtimeNs) : { sec: 0n, nsec: 0 },
  };
}

const EPOCH: Timespec64 = { sec: 0n, nsec: 0 };

/** A kstat for an inode the model itself serves (devices, /proc entries): fixed, deterministic. */
export function modelKstat(fields: {
  ino: bigint; mode: number; nlink?: number; size?: bigint;
  devMajor?: number; devMinor?: number; rdevMajor?: number; rdevMinor?: number;
}): Kstat {
  return {
    resultMask: STATX_BASIC_STATS,
    mode: fields.mode,
    nlink: fields.nlink ?? 1,
    uid: 0,
    gid: 0,
    ino: fields.ino,
    devMajor: fields.devMajor ?? 0,
    devMinor: fields.devMinor ?? 0,
    rdevMajor: fields.rdevMajor ?? 0,
    rdevMinor: fields.rdevMinor ?? 0,
    size: fields.size ?? 0n,
    blksize: 4096,
    blocks: 0n,
    atime: EPOCH, mtime: EPOCH, ctime: EPOCH, btime: EPOCH,
  };
}
