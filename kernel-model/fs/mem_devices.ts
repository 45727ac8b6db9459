// The character devices of drivers/char/mem.c (/dev/null, /dev/zero) and drivers/char/random.c
// (/dev/random, /dev/urandom), served by the model rather than the host: /dev/urandom draws
// from the kernel's entropy source, so a seeded run reads the same bytes every time.

import { FileBase } from "./file.js";
import { modelKstat, type Kstat } from "./kstat.js";
import { S_IFCHR } from "../uapi/linux/stat.js";

export interface MemDevice {
  readonly name: string;
  /** Major 1 ("mem"), minor as in Linux's devlist. */
  readonly minor: number;
  read(dst: Buffer, getRandomBytes: (buf: Buffer) => void): number;
  write(src: Buffer): number;
}

const sink = (src: Buffer): number => src.length;

export const MEM_DEVICES: readonly MemDevice[] = [
  // read_null / write_null
  { name: "null", minor: 3, read: () => 0, write: sink },
  // read_iter_zero; writes are discarded (write_null)
  { name: "zero", minor: 5, read: (dst) => dst.fill(0).length, write: sink },
  // random_read_iter / urandom_read_iter: writes only mix into the pool
  { name: "random", minor: 8, read: (dst, rnd) => (rnd(dst), dst.length), write: sink },
  { name: "urandom", minor: 9, read: (dst, rnd) => (rnd(dst), dst.length), write: sink },
];

/** devtmpfs is the device number that /dev's inodes report (st_dev 0:5 on most systems). */
const DEVTMPFS_MINOR = 5;

export function memDeviceStat(dev: MemDevice): Kstat {
  return modelKstat({
    ino: BigInt(dev.minor), mode: S_IFCHR | 0o666,
    devMajor: 0, devMinor: DEVTMPFS_MINOR, rdevMajor: 1, rdevMinor: dev.minor,
  });
}

export class MemDeviceFile extends FileBase {
  constructor(
    readonly dev: MemDevice,
    flags: number,
    fmode: number,
    path: string,
    private readonly getRandomBytes: (buf: Buffer) => void,
  ) {
    super(flags, fmode, path);
  }

  override read(dst: Buffer): number { return this.dev.read(dst, this.getRandomBytes); }
  override write(src: Buffer): number { return this.dev.write(src); }
  override pread(dst: Buffer, _pos: number | bigint): number {
    // Only /dev/zero can be mapped (as anonymous memory); the others have no mmap (ENODEV).
    if (this.dev.name !== "zero") return super.pread(dst, _pos);
    return dst.fill(0).length;
  }
  override pwrite(src: Buffer, _pos: number | bigint): number { return this.dev.write(src); }
  /** null_lseek / noop_llseek: the offset of these devices means nothing and stays 0. */
  override lseek(_offset: bigint, _whence: number): bigint { return (this.pos = 0n); }
  override stat(): Kstat { return memDeviceStat(this.dev); }
}
