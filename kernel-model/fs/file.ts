// struct file: one open file description. Several fds (dup) and several processes (fork) may
// share it, and with it the offset and the status flags; it is released when the last
// reference goes (fput → __fput → f_op->release).

import { E, Errno } from "../errno.js";
import type { UserMemory } from "../mm/uaccess.js";
import { FMODE_LSEEK, FMODE_READ, FMODE_WRITE } from "./fcntl.js";
import type { Kstat } from "./kstat.js";
import type { WaitQueue } from "../sched/wait.js";
import { SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET } from "../uapi/linux/fs.js";

/**
 * What f_op->poll reports: the POLL* bits the file is ready for, and the wait queues whoever
 * waits for a change sleeps on (poll_wait). poll, select and epoll all ask through it.
 */
export interface PollResult { mask: number; queues: WaitQueue[] }

/** One directory entry as iterate_shared hands it to filldir (name, inode number, DT_*). */
export interface DirEntry { name: string; ino: bigint; type: number }

/**
 * What f_op->unlocked_ioctl gets besides its command: the caller's user memory for the
 * argument struct, and its process group (what a terminal's TIOCGPGRP reports). The syscall
 * context is one.
 */
export interface IoctlContext {
  readonly mem: UserMemory;
  readonly task: { readonly pgid: number };
}

export interface File {
  /** f_flags: O_ACCMODE and the status flags (O_APPEND, O_NONBLOCK, ...). */
  flags: number;
  /** f_mode: FMODE_READ / WRITE / LSEEK / PREAD / PWRITE. */
  readonly fmode: number;
  /** f_pos. */
  pos: bigint;
  /** f_path as a guest path (what d_path prints); undefined for files with no name. */
  readonly path: string | undefined;
  /** True for directories: *at() may start a walk here, fchdir may enter. */
  readonly isDir: boolean;

  /** f_op->read at f_pos, advancing it. Returns the byte count, 0 at end of file. */
  read(dst: Buffer): number;
  /** f_op->write at f_pos (or at the end with O_APPEND), advancing it. */
  write(src: Buffer): number;
  /**
   * Read at `pos` without moving f_pos. Also how the memory manager fills private file
   * mappings: it throws Errno(ENODEV) for files that cannot be mapped and Errno(EACCES) for
   * files not open for reading.
   */
  pread(dst: Buffer, pos: number | bigint): number;
  pwrite(src: Buffer, pos: number | bigint): number;
  /** f_op->llseek: returns the new f_pos. */
  lseek(offset: bigint, whence: number): bigint;
  /** vfs_getattr on the open inode. */
  stat(): Kstat;
  /**
   * The directory's entries including "." and "..", where entry i has d_off i + 1. The list is
   * taken afresh when `pos` is 0 (rewinddir), otherwise the one taken before is reused, so a
   * walk across several getdents calls sees one consistent listing.
   */
  iterateDir(pos: bigint): readonly DirEntry[];
  /** f_op->unlocked_ioctl for the commands the file itself knows; ENOTTY otherwise. */
  ioctl(ctx: IoctlContext, cmd: number, arg: bigint): number;
  /**
   * f_op->poll, for files that can make a reader or writer wait (pipes, eventfd, epoll). Files
   * without one are always ready (DEFAULT_POLLMASK) and cannot be added to an epoll set (EPERM).
   */
  poll?(): PollResult;
  /** do_truncate through an open file (ftruncate). */
  truncate(length: bigint): void;
  fsync(): void;

  /** get_file: one more reference (dup, fork). */
  getFile(): this;
  /** fput: drops a reference; the last one releases the file. */
  fput(): void;
}

let fileChanges = 0;

/**
 * How many times the model has changed a file's data, size or times (write, truncate, utimes):
 * what is kept from a file's stat stays good while this count does (the page-cache key of a
 * mapped file, mm/filemap.ts fileState).
 */
export const fileChangeCount = (): number => fileChanges;
export function noteFileChange(): void {
  fileChanges++;
}

/** What every file does unless its kind says otherwise (the kernel's default file_operations). */
export abstract class FileBase implements File {
  pos = 0n;
  private count = 1;
  readonly isDir: boolean = false;

  constructor(public flags: number, readonly fmode: number, readonly path: string | undefined) {}

  read(_dst: Buffer): number { throw new Errno(E.EINVAL); }
  write(_src: Buffer): number { throw new Errno(E.EINVAL); }
  pread(_dst: Buffer, _pos: number | bigint): number { throw new Errno(E.ENODEV); }
  pwrite(_src: Buffer, _pos: number | bigint): number { throw new Errno(E.ESPIPE); }
  lseek(_offset: bigint, _whence: number): bigint { throw new Errno(E.ESPIPE); }
  abstract stat(): Kstat;
  iterateDir(_pos: bigint): readonly DirEntry[] { throw new Errno(E.ENOTDIR); }
  ioctl(_ctx: IoctlContext, _cmd: number, _arg: bigint): number { throw new Errno(E.ENOTTY); }
  truncate(_length: bigint): void { throw new Errno(E.EINVAL); }
  fsync(): void { /* nothing buffered in the model */ }

  getFile(): this { this.count++; return this; }
  fput(): void {
    if (--this.count === 0) this.release();
  }
  /** f_op->release: the last reference is gone. */
  protected release(): void {}

  protected get readable(): boolean { return (this.fmode & FMODE_READ) !== 0; }
  protected get writable(): boolean { return (this.fmode & FMODE_WRITE) !== 0; }
}

/**
 * generic_file_llseek_size: the new offset for SEEK_SET/CUR/END/DATA/HOLE on a file of `size`
 * bytes (data everywhere, one hole at the end). Negative offsets are EINVAL.
 */
export function genericLlseek(file: { pos: bigint; fmode: number }, offset: bigint, whence: number, size: bigint): bigint {
  if (!(file.fmode & FMODE_LSEEK)) throw new Errno(E.ESPIPE);
  let pos: bigint;
  switch (whence) {
    case SEEK_SET: pos = offset; break;
    case SEEK_CUR: pos = file.pos + offset; break;
    case SEEK_END: pos = size + offset; break;
    case SEEK_DATA:
      if (offset < 0n || offset >= size) throw new Errno(E.ENXIO);
      pos = offset; break;
    case SEEK_HOLE:
      if (offset < 0n || offset >= size) throw new Errno(E.ENXIO);
      pos = size; break;
    default: throw new Errno(E.EINVAL);
  }
  if (pos < 0n || pos > 0x7fffffffffffffffn) throw new Errno(E.EINVAL);
  file.pos = pos;
  return pos;
}
