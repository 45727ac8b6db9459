// An open file backed by a host inode (regular file, directory, or a host device seen through a
// host-backed mount). The host fd plays the part of the inode's page cache: reads and writes go
// to it at positions the model keeps, so f_pos, O_APPEND and dup sharing follow Linux's rules
// rather than the host fd's.

import * as fs from "node:fs";
import { E, Errno } from "../errno.js";
import { DT_DIR, modeToDtype } from "./fcntl.js";
import { FileBase, genericLlseek, noteFileChange, type DirEntry, type IoctlContext } from "./file.js";
import { hostCall } from "./host_errno.js";
import { kstatFromHost, type Kstat } from "./kstat.js";
import { TtyFileOps } from "./tty.js";
import { O_APPEND } from "../uapi/asm-generic/fcntl.js";
import { SEEK_CUR, SEEK_SET } from "../uapi/linux/fs.js";

export interface HostFileInit {
  hostFd: number;
  hostPath: string;
  /** Guest path (f_path); both paths are byte strings (latin1). */
  path: string;
  flags: number;
  fmode: number;
  isDir: boolean;
  /** Regular files (and directories for SEEK_SET/CUR); host ttys and fifos are not. */
  seekable: boolean;
  /** A terminal (a host tty device, /dev/tty or /dev/pts/N): the file answers the terminal's ioctls. */
  tty?: boolean;
  /** The inode number of the guest parent, for the ".." entry (the guest root is its own parent). */
  parentIno: () => bigint;
  /** A directory's entries other than "." and "..", when they are not just the host directory's (an overlay). */
  entries?: () => DirEntry[];
}

/**
 * A host directory's entries in the order the host's readdir gives them, which is the order
 * Linux's getdents returns (fs.readdirSync would sort them: libuv's scandir does).
 */
export function readHostDir(hostPath: string): DirEntry[] {
  const dirPath = Buffer.from(hostPath, "latin1");
  const dir = hostCall(() => fs.opendirSync(dirPath, { encoding: "buffer" as BufferEncoding, bufferSize: 128 }));
  const out: DirEntry[] = [];
  try {
    for (let e = dir.readSync(); e !== null; e = dir.readSync()) {
      const raw = e.name as unknown as Buffer;
      const st = fs.lstatSync(Buffer.concat([dirPath, Buffer.from("/"), raw]), { bigint: true, throwIfNoEntry: false });
      if (st) out.push({ name: raw.toString("latin1"), ino: st.ino, type: modeToDtype(Number(st.mode)) });
    }
  } finally {
    dir.closeSync();
  }
  return out;
}

export class HostFile extends FileBase {
  override readonly isDir: boolean;
  readonly hostPath: string;
  private readonly hostFd: number;
  private readonly seekable: boolean;
  private readonly parentIno: () => bigint;
  private readonly entries: () => DirEntry[];
  private listing: DirEntry[] | undefined;
  private readonly tty: TtyFileOps | undefined;

  constructor(init: HostFileInit) {
    super(init.flags, init.fmode, init.path);
    this.hostFd = init.hostFd;
    this.hostPath = init.hostPath;
    this.isDir = init.isDir;
    this.seekable = init.seekable;
    this.parentIno = init.parentIno;
    this.entries = init.entries ?? (() => readHostDir(this.hostPath));
    this.tty = init.tty ? new TtyFileOps(init.hostFd) : undefined;
  }

  override read(dst: Buffer): number {
    if (this.isDir) throw new Errno(E.EISDIR);
    if (!this.readable) throw new Errno(E.EBADF);
    const n = hostCall(() => fs.readSync(this.hostFd, dst, 0, dst.length, this.seekable ? this.pos : null));
    if (this.seekable) this.pos += BigInt(n);
    return n;
  }

  override write(src: Buffer): number {
    if (this.isDir) throw new Errno(E.EISDIR);
    if (!this.writable) throw new Errno(E.EBADF);
    // O_APPEND: every write first moves f_pos to the end (generic_write_checks).
    if (this.seekable && this.flags & O_APPEND) this.pos = this.size();
    noteFileChange();
    const n = hostCall(() => fs.writeSync(this.hostFd, src, 0, src.length, this.seekable ? Number(this.pos) : null));
    if (this.seekable) this.pos += BigInt(n);
    return n;
  }

  override pread(dst: Buffer, pos: number | bigint): number {
    if (this.isDir || !this.seekable) throw new Errno(E.ENODEV);
    if (!this.readable) throw new Errno(E.EACCES);
    return hostCall(() => fs.readSync(this.hostFd, dst, 0, dst.length, BigInt(pos)));
  }

  override pwrite(src: Buffer, pos: number | bigint): number {
    if (this.isDir) throw new Errno(E.EISDIR);
    if (!this.seekable) throw new Errno(E.ESPIPE);
    if (!this.writable) throw new Errno(E.EBADF);
    noteFileChange();
    return hostCall(() => fs.writeSync(this.hostFd, src, 0, src.length, Number(pos)));
  }

  override lseek(offset: bigint, whence: number): bigint {
    if (this.isDir) {
      // Directory offsets are positions in the listing: only absolute or relative moves.
      if (whence !== SEEK_SET && whence !== SEEK_CUR) throw new Errno(E.EINVAL);
      return genericLlseek(this, offset, whence, 0n);
    }
    return genericLlseek(this, offset, whence, this.size());
  }

  override stat(): Kstat {
    return kstatFromHost(hostCall(() => fs.fstatSync(this.hostFd, { bigint: true })));
  }

  override iterateDir(pos: bigint): readonly DirEntry[] {
    if (!this.isDir) throw new Errno(E.ENOTDIR);
    if (pos === 0n || this.listing === undefined) this.listing = this.list();
    return this.listing;
  }

  override ioctl(ctx: IoctlContext, cmd: number, arg: bigint): number {
    if (!this.tty) return super.ioctl(ctx, cmd, arg);
    return this.tty.ioctl(ctx, cmd, arg);
  }

  override truncate(length: bigint): void {
    if (this.isDir || !this.writable) throw new Errno(E.EINVAL);
    if (length < 0n) throw new Errno(E.EINVAL);
    noteFileChange();
    hostCall(() => fs.ftruncateSync(this.hostFd, Number(length)));
  }

  protected override release(): void {
    this.tty?.release();
    try { fs.closeSync(this.hostFd); } catch { /* already gone: nothing to release */ }
  }

  private size(): bigint {
    return hostCall(() => fs.fstatSync(this.hostFd, { bigint: true })).size;
  }

  private list(): DirEntry[] {
    return [
      { name: ".", ino: this.stat().ino, type: DT_DIR },
      { name: "..", ino: this.parentIno(), type: DT_DIR },
      ...this.entries(),
    ];
  }
}
