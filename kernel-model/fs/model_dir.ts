// A directory whose entries the model itself provides (/proc/<pid>, and /proc or /dev when the
// guest's root has none): what libfs's dcache_readdir does for pseudo file systems.

import { E, Errno } from "../errno.js";
import { DT_DIR } from "./fcntl.js";
import { FileBase, genericLlseek, type DirEntry } from "./file.js";
import type { Kstat } from "./kstat.js";
import { SEEK_CUR, SEEK_SET } from "../uapi/linux/fs.js";

export class ModelDirFile extends FileBase {
  override readonly isDir = true;

  constructor(
    path: string,
    flags: number,
    fmode: number,
    private readonly kstat: Kstat,
    private readonly parentIno: bigint,
    private readonly children: () => readonly DirEntry[],
  ) {
    super(flags, fmode, path);
  }

  override read(_dst: Buffer): number { throw new Errno(E.EISDIR); }
  override write(_src: Buffer): number { throw new Errno(E.EISDIR); }
  override lseek(offset: bigint, whence: number): bigint {
    if (whence !== SEEK_SET && whence !== SEEK_CUR) throw new Errno(E.EINVAL);
    return genericLlseek(this, offset, whence, 0n);
  }
  override stat(): Kstat { return this.kstat; }
  override iterateDir(_pos: bigint): readonly DirEntry[] {
    return [
      { name: ".", ino: this.kstat.ino, type: DT_DIR },
      { name: "..", ino: this.parentIno, type: DT_DIR },
      ...this.children(),
    ];
  }
}
