// fs/read_write.c: read, write, their positioned and vectored forms, lseek/_llseek, sendfile.
// Data moves in bounded chunks so a huge count never needs a huge host buffer; a short
// transfer from the file ends the call, as it would in the kernel.

import { E, Errno } from "../../errno.js";
import { FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, FMODE_READ, FMODE_WRITE, MAX_RW_COUNT } from "../../fs/fcntl.js";
import type { File } from "../../fs/file.js";
import { int, long, uint, ulong, type SyscallContext, type SyscallFamily } from "../types.js";
import { fdget } from "./getname.js";
import { O_APPEND } from "../../uapi/asm-generic/fcntl.js";
import { SEEK_HOLE } from "../../uapi/linux/fs.js";
import { abiLayout } from "../../uapi/abi.js";

const CHUNK = 1 << 20;
const UIO_MAXIOV = 1024;
/** The largest offset a 32-bit off_t can name (MAX_NON_LFS). */
const MAX_NON_LFS = 0x7fffffffn;

const clampCount = (count: bigint): number => (count > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : Number(count));

/** The 64-bit value of a (low, high) register pair, as the ia32 wrappers assemble loff_t. */
export const pair64 = (lo: bigint, hi: bigint): bigint =>
  BigInt.asIntN(64, (BigInt(uint(hi)) << 32n) | BigInt(uint(lo)));

/** Reads from `file` (at f_pos, or at `pos`) into user memory at `buf`. */
function readInto(ctx: SyscallContext, file: File, buf: bigint, count: number, pos?: bigint): number {
  let done = 0;
  while (done < count) {
    const want = Math.min(CHUNK, count - done);
    // not zeroed: only the n bytes the file wrote into it are copied out
    const chunk = Buffer.allocUnsafe(want);
    let n: number;
    try {
      n = pos === undefined ? file.read(chunk) : file.pread(chunk, pos + BigInt(done));
    } catch (err) {
      if (done > 0) return done;
      throw err;
    }
    if (n > 0) ctx.mem.write(buf + BigInt(done), chunk.subarray(0, n));
    done += n;
    // Only files with offsets may be asked again: a tty or pipe would block for more.
    if (n < want || !(file.fmode & FMODE_LSEEK)) break;
  }
  return done;
}

/** Writes user memory at `buf` to `file` (at f_pos, or at `pos`). */
function writeFrom(ctx: SyscallContext, file: File, buf: bigint, count: number, pos?: bigint): number {
  let done = 0;
  while (done < count) {
    const want = Math.min(CHUNK, count - done);
    const chunk = ctx.mem.read(buf + BigInt(done), want);
    let n: number;
    try {
      n = pos === undefined ? file.write(chunk) : file.pwrite(chunk, pos + BigInt(done));
    } catch (err) {
      if (done > 0) return done;
      throw err;
    }
    done += n;
    if (n < want) break;
  }
  return done;
}

function readable(ctx: SyscallContext, fd: number): File {
  const file = fdget(ctx, fd);
  if (!(file.fmode & FMODE_READ)) throw new Errno(E.EBADF);
  return file;
}

function writable(ctx: SyscallContext, fd: number): File {
  const file = fdget(ctx, fd);
  if (!(file.fmode & FMODE_WRITE)) throw new Errno(E.EBADF);
  return file;
}

/** ksys_pread64 / ksys_pwrite64 checks: a positioned transfer needs FMODE_PREAD/PWRITE and pos >= 0. */
function positioned(file: File, pos: bigint, mode: number): void {
  if (pos < 0n) throw new Errno(E.EINVAL);
  if (!(file.fmode & mode)) throw new Errno(E.ESPIPE);
}

function pread64(ctx: SyscallContext, fd: number, buf: bigint, count: bigint, pos: bigint): number {
  const file = readable(ctx, fd);
  positioned(file, pos, FMODE_PREAD);
  if (file.isDir) throw new Errno(E.EISDIR);
  return readInto(ctx, file, buf, clampCount(count), pos);
}

function pwrite64(ctx: SyscallContext, fd: number, buf: bigint, count: bigint, pos: bigint): number {
  const file = writable(ctx, fd);
  positioned(file, pos, FMODE_PWRITE);
  return writeFrom(ctx, file, buf, clampCount(count), pos);
}

/** import_iovec: the (base, len) pairs of a user struct iovec array (16 or 8 bytes each). */
function importIovec(ctx: SyscallContext, vec: bigint, vlen: number): { base: bigint; len: number }[] {
  if (vlen < 0 || vlen > UIO_MAXIOV) throw new Errno(E.EINVAL);
  if (vlen === 0) return [];
  const wide = ctx.abi === "x86_64";
  const size = wide ? 16 : 8;
  const raw = ctx.mem.read(vec, vlen * size);
  const out: { base: bigint; len: number }[] = [];
  let total = 0;
  for (let i = 0; i < vlen; i++) {
    const base = wide ? raw.readBigUInt64LE(i * size) : BigInt(raw.readUInt32LE(i * size));
    const len = wide ? raw.readBigInt64LE(i * size + 8) : BigInt(raw.readUInt32LE(i * size + 4));
    if (len < 0n || (!wide && len > 0x7fffffffn)) throw new Errno(E.EINVAL);
    // The whole transfer is capped at MAX_RW_COUNT; later segments are cut short.
    const take = Math.min(clampCount(len), MAX_RW_COUNT - total);
    total += take;
    out.push({ base, len: take });
  }
  return out;
}

/**
 * do_iter_read / do_iter_write: one transfer per iovec, stopping at the first short one; an error
 * after some bytes moved reports those bytes instead.
 */
function vectored(ctx: SyscallContext, file: File, vec: bigint, vlen: number, pos: bigint | undefined,
  transfer: (ctx: SyscallContext, file: File, buf: bigint, count: number, pos?: bigint) => number): number {
  let done = 0;
  for (const iov of importIovec(ctx, vec, vlen)) {
    if (iov.len === 0) continue;
    let n: number;
    try {
      n = transfer(ctx, file, iov.base, iov.len, pos === undefined ? undefined : pos + BigInt(done));
    } catch (err) {
      if (done > 0) return done;
      throw err;
    }
    done += n;
    if (n < iov.len) break;
  }
  return done;
}

const readv = (ctx: SyscallContext, file: File, vec: bigint, vlen: number, pos?: bigint) => vectored(ctx, file, vec, vlen, pos, readInto);
const writev = (ctx: SyscallContext, file: File, vec: bigint, vlen: number, pos?: bigint) => vectored(ctx, file, vec, vlen, pos, writeFrom);

function lseek(ctx: SyscallContext, fd: number, offset: bigint, whence: number): bigint {
  const file = fdget(ctx, fd);
  if (whence < 0 || whence > SEEK_HOLE) throw new Errno(E.EINVAL);
  return file.lseek(offset, whence);
}

/**
 * do_sendfile: copies from in_fd (at *ppos, or at its f_pos) to out_fd. `offBytes` is the size
 * of the user's offset (4 for the 32-bit off_t of sendfile on i386, 8 for loff_t).
 */
function doSendfile(ctx: SyscallContext, args: readonly bigint[], offBytes: 4 | 8): number {
  const outFd = int(args[0]);
  const inFd = int(args[1]);
  const offPtr = args[2];
  let count = clampCount(ulong(ctx, args[3]));
  const input = readable(ctx, inFd);
  let pos: bigint | undefined;
  if (offPtr !== 0n) {
    const raw = ctx.mem.read(offPtr, offBytes);
    pos = offBytes === 8 ? raw.readBigInt64LE(0) : BigInt(raw.readInt32LE(0));
    if (!(input.fmode & FMODE_PREAD)) throw new Errno(E.ESPIPE);
  }
  const output = writable(ctx, outFd);
  if (output.flags & O_APPEND) throw new Errno(E.EINVAL);
  const start = pos ?? input.pos;
  if (start < 0n) throw new Errno(E.EINVAL);
  if (offBytes === 4) {
    // A 32-bit off_t cannot say where a transfer past 2 GiB ended.
    if (start >= MAX_NON_LFS) throw new Errno(E.EOVERFLOW);
    if (start + BigInt(count) > MAX_NON_LFS) count = Number(MAX_NON_LFS - start);
  }
  let done = 0;
  const chunk = Buffer.alloc(Math.min(count, 1 << 16));
  while (done < count) {
    const want = Math.min(chunk.length, count - done);
    let n = 0;
    let w = 0;
    let failed: unknown;
    try {
      n = pos === undefined ? input.read(chunk.subarray(0, want)) : input.pread(chunk.subarray(0, want), pos + BigInt(done));
      if (n === 0) break;
      while (w < n) {
        const k = output.write(chunk.subarray(w, n));
        if (k === 0) break;
        w += k;
      }
    } catch (err) {
      failed = err; // a full pipe (WouldBlock) or a write error, possibly after part of the chunk
    }
    // What was read but not written goes back, so that the next call (or the restarted one)
    // reads it again: a full pipe must not swallow the rest of the chunk.
    if (w < n && pos === undefined && input.fmode & FMODE_LSEEK) input.pos -= BigInt(n - w);
    done += w;
    if (failed !== undefined) {
      if (done > 0) break;
      throw failed;
    }
    if (w < n || n < want) break;
  }
  if (pos !== undefined) {
    const b = Buffer.alloc(offBytes);
    if (offBytes === 8) b.writeBigInt64LE(pos + BigInt(done));
    else b.writeInt32LE(Number(pos + BigInt(done)));
    ctx.mem.write(offPtr, b);
  }
  return done;
}

export const readWriteSyscalls: SyscallFamily = {
  sys_read: (ctx, a) => readInto(ctx, readable(ctx, int(a[0])), a[1], clampCount(ulong(ctx, a[2]))),
  sys_write: (ctx, a) => writeFrom(ctx, writable(ctx, int(a[0])), a[1], clampCount(ulong(ctx, a[2]))),
  /** x86_64: pread64(fd, buf, count, loff_t pos). */
  sys_pread64: (ctx, a) => pread64(ctx, int(a[0]), a[1], ulong(ctx, a[2]), BigInt.asIntN(64, a[3])),
  sys_pwrite64: (ctx, a) => pwrite64(ctx, int(a[0]), a[1], ulong(ctx, a[2]), BigInt.asIntN(64, a[3])),
  /** i386: the 64-bit position arrives split over two registers (arch/x86/kernel/sys_ia32.c). */
  sys_ia32_pread64: (ctx, a) => pread64(ctx, int(a[0]), a[1], ulong(ctx, a[2]), pair64(a[3], a[4])),
  sys_ia32_pwrite64: (ctx, a) => pwrite64(ctx, int(a[0]), a[1], ulong(ctx, a[2]), pair64(a[3], a[4])),
  sys_readv: (ctx, a) => readv(ctx, readable(ctx, int(a[0])), a[1], int(a[2])),
  sys_writev: (ctx, a) => writev(ctx, writable(ctx, int(a[0])), a[1], int(a[2])),
  /** preadv(fd, vec, vlen, pos_l, pos_h): the kernel joins the halves even on x86_64. */
  sys_preadv: (ctx, a) => {
    const file = readable(ctx, int(a[0]));
    const pos = ctx.abi === "x86_64" ? BigInt.asIntN(64, a[3]) : pair64(a[3], a[4]);
    positioned(file, pos, FMODE_PREAD);
    return readv(ctx, file, a[1], int(a[2]), pos);
  },
  sys_pwritev: (ctx, a) => {
    const file = writable(ctx, int(a[0]));
    const pos = ctx.abi === "x86_64" ? BigInt.asIntN(64, a[3]) : pair64(a[3], a[4]);
    positioned(file, pos, FMODE_PWRITE);
    return writev(ctx, file, a[1], int(a[2]), pos);
  },
  /** lseek(fd, off_t, whence): on i386 an offset past 2 GiB cannot be returned (EOVERFLOW). */
  sys_lseek: (ctx, a) => {
    const res = lseek(ctx, int(a[0]), long(ctx, a[1]), uint(a[2]));
    if (ctx.abi === "i386" && res > MAX_NON_LFS) throw new Errno(E.EOVERFLOW);
    return res;
  },
  /** _llseek(fd, offset_high, offset_low, loff_t *result, whence). */
  sys_llseek: (ctx, a) => {
    const res = lseek(ctx, int(a[0]), pair64(a[2], a[1]), uint(a[4]));
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(res);
    ctx.mem.write(a[3], b);
    return 0;
  },
  /** sendfile with an off_t offset: 32 bits on i386 (x86_64's table names sys_sendfile64). */
  sys_sendfile: (ctx, a) => doSendfile(ctx, a, abiLayout(ctx.abi).long),
  sys_sendfile64: (ctx, a) => doSendfile(ctx, a, 8),
};

/** The compat entry points of syscall_32.tbl that share these implementations. */
export const readWriteCompat: SyscallFamily = {
  compat_sys_lseek: readWriteSyscalls.sys_lseek!,
  compat_sys_preadv: readWriteSyscalls.sys_preadv!,
  compat_sys_pwritev: readWriteSyscalls.sys_pwritev!,
  compat_sys_sendfile: readWriteSyscalls.sys_sendfile!,
};
