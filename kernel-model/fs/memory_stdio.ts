// Standard streams that live in memory instead of on sysgate's own fds: what the library API
// gives a test (stdin from a buffer, stdout and stderr collected). To the guest they look like
// the ends of pipes, as they would under a shell that captures output.

import { E, Errno } from "../errno.js";
import { FMODE_READ, FMODE_WRITE } from "./fcntl.js";
import { FileBase } from "./file.js";
import { modelKstat, type Kstat } from "./kstat.js";
import { O_RDONLY, O_WRONLY } from "../uapi/asm-generic/fcntl.js";
import { S_IFIFO } from "../uapi/linux/stat.js";

let nextIno = 0x5000n;

/** A read end that yields `data` and then end of file. */
export class MemoryInputFile extends FileBase {
  private off = 0;
  private readonly ino = nextIno++;
  constructor(private readonly data: Buffer) {
    super(O_RDONLY, FMODE_READ, undefined);
  }
  override read(dst: Buffer): number {
    const n = this.data.copy(dst, 0, this.off);
    this.off += n;
    return n;
  }
  override stat(): Kstat {
    return modelKstat({ ino: this.ino, mode: S_IFIFO | 0o600 });
  }
}

/** A write end whose bytes are kept (and optionally passed on as they arrive). */
export class MemoryOutputFile extends FileBase {
  private readonly chunks: Buffer[] = [];
  private readonly ino = nextIno++;
  constructor(private readonly onData?: (chunk: Buffer) => void) {
    super(O_WRONLY, FMODE_WRITE, undefined);
  }
  override write(src: Buffer): number {
    const copy = Buffer.from(src);
    this.chunks.push(copy);
    this.onData?.(copy);
    return src.length;
  }
  override read(): number {
    throw new Errno(E.EBADF);
  }
  override stat(): Kstat {
    return modelKstat({ ino: this.ino, mode: S_IFIFO | 0o600 });
  }
  /** Everything written so far. */
  contents(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
