// fs/pipe.c's fifo_open: a named pipe is a file of type S_IFIFO in a directory (made by mknod or
// mkfifo); opening it connects to one pipe shared by everyone who opens the same inode. A reader
// (O_RDONLY) waits until a writer opens, and a writer until a reader does (O_NONBLOCK: the reader
// goes on at once, the writer fails with ENXIO); O_RDWR never waits. The FIFO itself is a real
// file of the host (so `ls -l` shows it); its data never goes through the host, which would block
// the whole emulator in open(2): it is a pipe of the model (fs/pipe.ts) keyed by the host inode.

import { E, Errno } from "../errno.js";
import { WaitQueue, WouldBlock } from "../sched/wait.js";
import { O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from "../uapi/asm-generic/fcntl.js";
import { FileBase, type File, type IoctlContext } from "./file.js";
import type { Kstat } from "./kstat.js";
import { PipeFile, PipeInode } from "./pipe.js";

interface Fifo {
  pipe: PipeInode;
  /** r_counter / w_counter: how many readers and writers ever opened (a waiter waits for a change). */
  rCounter: number;
  wCounter: number;
  /** Openers asleep in fifo_open (woken when a partner arrives). */
  readonly openWait: WaitQueue;
  /**
   * Tasks (by pid) asleep in open, with the partner counter they saw first. As in Linux, an
   * opener counts as a reader or writer from its first try (so a reader that opens meanwhile does
   * not see end of file); one whose sleep a signal ended keeps counting (not undone here).
   */
  readonly waiting: Map<number, number>;
}

/** inode->i_pipe, by the host inode's (device, inode number). */
const fifos = new Map<string, Fifo>();

/**
 * Every process of a run has ended (`sysgate serve`'s next request comes): no FIFO is open, and
 * as Linux frees a FIFO's pipe when its last opener goes (put_pipe_info), none is kept, with the
 * data nobody read or the count of an opener a signal ended.
 */
export function forgetFifos(): void {
  fifos.clear();
}

function fifoOf(key: string): Fifo {
  let f = fifos.get(key);
  if (!f) {
    f = { pipe: new PipeInode(), rCounter: 0, wCounter: 0, openWait: new WaitQueue(), waiting: new Map() };
    fifos.set(key, f);
  }
  return f;
}

/**
 * fifo_open for the task `pid`, for the FIFO whose host inode is `key`; `stat` is the host file's.
 * Throws WouldBlock while the other end is missing (the open runs again when woken), ENXIO for a
 * non-blocking writer with no reader.
 */
export function fifoOpen(pid: number, key: string, flags: number, stat: () => Kstat): File {
  const f = fifoOf(key);
  const p = f.pipe;
  const nonblock = (flags & O_NONBLOCK) !== 0;
  const seen = f.waiting.get(pid);
  switch (flags & O_ACCMODE) {
    case O_RDONLY: {
      if (seen === undefined) {
        p.readers++; // this opener's reader, from now on
        f.rCounter++;
        f.openWait.wake(); // a writer waiting for a partner may go on
      }
      // wait_for_partner: until a writer is there or one came since we started
      if (!nonblock && p.writers === 0 && (seen === undefined || seen === f.wCounter)) {
        f.waiting.set(pid, seen ?? f.wCounter);
        throw new WouldBlock([f.openWait], "fifo open for reading");
      }
      f.waiting.delete(pid);
      p.readers--; // the file below counts it again
      return new FifoEnd(new PipeFile(p, flags, "read"), undefined, stat);
    }
    case O_WRONLY: {
      if (seen === undefined) {
        if (nonblock && p.readers === 0) throw new Errno(E.ENXIO);
        p.writers++;
        f.wCounter++;
        f.openWait.wake();
      }
      if (!nonblock && p.readers === 0 && (seen === undefined || seen === f.rCounter)) {
        f.waiting.set(pid, seen ?? f.rCounter);
        throw new WouldBlock([f.openWait], "fifo open for writing");
      }
      f.waiting.delete(pid);
      p.writers--;
      return new FifoEnd(undefined, new PipeFile(p, flags, "write"), stat);
    }
    case O_RDWR:
      // both ends at once: never waits, and wakes whoever waits for either
      f.rCounter++;
      f.wCounter++;
      f.openWait.wake();
      return new FifoEnd(new PipeFile(p, flags, "read"), new PipeFile(p, flags, "write"), stat);
    default:
      throw new Errno(E.EINVAL);
  }
}

/** An open FIFO: the read end, the write end or both, of the shared pipe; stat is the FIFO file's. */
export class FifoEnd extends FileBase {
  constructor(readonly rd: PipeFile | undefined, readonly wr: PipeFile | undefined, private readonly statFn: () => Kstat) {
    super((rd ?? wr)!.flags | (rd && wr ? O_RDWR : 0), (rd?.fmode ?? 0) | (wr?.fmode ?? 0), undefined);
  }

  override read(dst: Buffer): number {
    if (!this.rd) throw new Errno(E.EBADF);
    this.rd.flags = this.flags; // O_NONBLOCK as fcntl last set it
    return this.rd.read(dst);
  }

  override write(src: Buffer): number {
    if (!this.wr) throw new Errno(E.EBADF);
    this.wr.flags = this.flags;
    return this.wr.write(src);
  }

  override ioctl(_ctx: IoctlContext, _cmd: number, _arg: bigint): number {
    throw new Errno(E.ENOTTY);
  }

  override stat(): Kstat {
    return this.statFn();
  }

  /** pipe_poll over the ends this file has (with the "normal data" bits, as for a pipe). */
  pollMask(): number {
    const POLLIN = 0x1, POLLOUT = 0x4, POLLRDNORM = 0x40, POLLWRNORM = 0x100;
    let mask = (this.rd?.poll().mask ?? 0) | (this.wr?.poll().mask ?? 0);
    if (mask & POLLIN) mask |= POLLRDNORM;
    if (mask & POLLOUT) mask |= POLLWRNORM;
    return mask;
  }

  pollQueues(): WaitQueue[] {
    return [...(this.rd ? [this.rd.pipe.rdWait] : []), ...(this.wr ? [this.wr.pipe.wrWait] : [])];
  }

  protected override release(): void {
    this.rd?.fput();
    this.wr?.fput();
  }
}
