// The nodes procfs serves, and the open file of a /proc text file: its text is made once at open
// (as seq_file's first read does) and then read, pread and seeked like a short regular file.

import { E, Errno } from "../../errno.js";
import { FMODE_LSEEK, FMODE_PREAD } from "../fcntl.js";
import { FileBase, genericLlseek, type DirEntry } from "../file.js";
import { modelKstat, type Kstat } from "../kstat.js";
import { S_IFREG } from "../../uapi/linux/stat.js";

/** Who owns a /proc node: a process's own entries are its credentials' (task_dump_owner). */
export interface ProcOwner { uid: number; gid: number }

/**
 * What procfs has at a path: a directory, a text file, or a (magic) symlink. `refuse`: the errno
 * that opening, listing, following or reading the node gives (EACCES where ptrace_may_access
 * refuses the reader, ENOENT for the exe of a task that has none); stat still works.
 */
export type ProcNode =
  | { kind: "dir"; ino: bigint; owner?: ProcOwner; refuse?: number; children: () => DirEntry[] }
  | { kind: "file"; ino: bigint; mode: number; owner?: ProcOwner; refuse?: number; content: () => Buffer }
  /** `jump`: a magic link (nd_jump_link): the walk lands on that path, or on that program's file, rather than reading the text. */
  | { kind: "link"; ino: bigint; owner?: ProcOwner; refuse?: number; target: string; jump?: () => ProcJump };

export type ProcJump = { path: string } | { exe: { hostPath: string; guestPath: string } };

export class ProcFile extends FileBase {
  private text: Buffer | undefined;

  constructor(
    path: string,
    flags: number,
    fmode: number,
    private readonly kstat: Kstat,
    private readonly content: () => Buffer,
  ) {
    super(flags, fmode | FMODE_LSEEK | FMODE_PREAD, path);
  }

  private get data(): Buffer {
    return (this.text ??= this.content());
  }

  override read(dst: Buffer): number {
    if (!this.readable) throw new Errno(E.EBADF);
    const n = this.pread(dst, this.pos);
    this.pos += BigInt(n);
    return n;
  }

  override pread(dst: Buffer, pos: number | bigint): number {
    if (!this.readable) throw new Errno(E.EBADF);
    const at = BigInt(pos);
    if (at >= BigInt(this.data.length)) return 0;
    return this.data.copy(dst, 0, Number(at), Math.min(this.data.length, Number(at) + dst.length));
  }

  override write(_src: Buffer): number {
    throw new Errno(E.EBADF);
  }

  override lseek(offset: bigint, whence: number): bigint {
    return genericLlseek(this, offset, whence, BigInt(this.data.length));
  }

  override stat(): Kstat {
    return this.kstat;
  }
}

/** A /proc text file's attributes: size 0, as procfs reports (the text exists only when read). */
export function procFileKstat(ino: bigint, mode: number, owner?: ProcOwner): Kstat {
  return { ...modelKstat({ ino, mode: S_IFREG | mode }), uid: owner?.uid ?? 0, gid: owner?.gid ?? 0 };
}
