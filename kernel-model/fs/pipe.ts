// Pipes (fs/pipe.c): a 64 KiB ring shared by a read end and a write end. A reader of an empty
// pipe sleeps until a writer writes or the last writer goes (then it reads end of file); a
// writer of a full pipe sleeps until a reader reads; writing with no reader left fails with
// EPIPE, and the entry code adds the SIGPIPE Linux sends with it.

import { E, Errno } from "../errno.js";
import { WaitQueue, WouldBlock } from "../sched/wait.js";
import { FMODE_READ, FMODE_WRITE } from "./fcntl.js";
import { FileBase, type PollResult } from "./file.js";
import { O_NONBLOCK, O_RDONLY, O_WRONLY } from "../uapi/asm-generic/fcntl.js";
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../uapi/asm-generic/poll.js";
import { S_IFIFO } from "../uapi/linux/stat.js";
import { modelKstat, type Kstat } from "./kstat.js";

/** PIPE_DEF_BUFFERS * PAGE_SIZE */
export const PIPE_SIZE = 65536;
/** Writes up to PIPE_BUF bytes are atomic: all or nothing. */
export const PIPE_BUF = 4096;

let nextIno = 0x7000n;

/** struct pipe_inode_info */
export class PipeInode {
  readonly ino = nextIno++;
  private chunks: Buffer[] = [];
  size = 0;
  readers = 0;
  writers = 0;
  /** Woken when data arrives or the last writer leaves (rd_wait), and when room appears (wr_wait). */
  readonly rdWait = new WaitQueue();
  readonly wrWait = new WaitQueue();

  take(dst: Buffer): number {
    let n = 0;
    while (n < dst.length && this.chunks.length) {
      const c = this.chunks[0];
      const k = c.copy(dst, n, 0, Math.min(c.length, dst.length - n));
      n += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.size -= n;
    return n;
  }

  put(src: Buffer): void {
    this.chunks.push(Buffer.from(src));
    this.size += src.length;
  }
}

export class PipeFile extends FileBase {
  constructor(readonly pipe: PipeInode, flags: number, readonly end: "read" | "write") {
    super((flags & ~3) | (end === "read" ? O_RDONLY : O_WRONLY), end === "read" ? FMODE_READ : FMODE_WRITE, undefined);
    if (end === "read") pipe.readers++;
    else pipe.writers++;
  }

  override read(dst: Buffer): number {
    if (this.end !== "read") throw new Errno(E.EBADF);
    if (dst.length === 0) return 0;
    if (this.pipe.size === 0) {
      if (this.pipe.writers === 0) return 0;
      if (this.flags & O_NONBLOCK) throw new Errno(E.EAGAIN);
      throw new WouldBlock([this.pipe.rdWait], "pipe empty");
    }
    const n = this.pipe.take(dst);
    this.pipe.wrWait.wake();
    return n;
  }

  override write(src: Buffer): number {
    if (this.end !== "write") throw new Errno(E.EBADF);
    if (this.pipe.readers === 0) throw new Errno(E.EPIPE);
    if (src.length === 0) return 0;
    const room = PIPE_SIZE - this.pipe.size;
    // all of a small write fits at once, or the writer waits; a large one goes in pieces
    if (room === 0 || (src.length <= PIPE_BUF && room < src.length)) {
      if (this.flags & O_NONBLOCK) throw new Errno(E.EAGAIN);
      throw new WouldBlock([this.pipe.wrWait], "pipe full");
    }
    const n = Math.min(room, src.length);
    this.pipe.put(src.subarray(0, n));
    this.pipe.rdWait.wake();
    return n;
  }

  /** pipe_poll: readable with data (or no writer left: HUP), writable with room (no reader: ERR). */
  poll(): PollResult {
    if (this.end === "read") {
      const mask = (this.pipe.size > 0 ? POLLIN | POLLRDNORM : 0) | (this.pipe.writers === 0 ? POLLHUP : 0);
      return { mask, queues: [this.pipe.rdWait] };
    }
    const mask = (this.pipe.size < PIPE_SIZE ? POLLOUT | POLLWRNORM : 0) | (this.pipe.readers === 0 ? POLLERR : 0);
    return { mask, queues: [this.pipe.wrWait] };
  }

  override stat(): Kstat {
    return modelKstat({ ino: this.pipe.ino, mode: S_IFIFO | 0o600, size: BigInt(this.pipe.size) });
  }

  protected override release(): void {
    if (this.end === "read") {
      this.pipe.readers--;
      this.pipe.wrWait.wake();
    } else {
      this.pipe.writers--;
      this.pipe.rdWait.wake();
    }
  }
}

/** do_pipe2: a connected read end and write end. */
export function createPipe(flags: number): [PipeFile, PipeFile] {
  const p = new PipeInode();
  return [new PipeFile(p, flags, "read"), new PipeFile(p, flags, "write")];
}
