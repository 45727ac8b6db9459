// fs/eventfd.c, the file: a 64-bit counter that write() adds to and read() takes. A read of 0
// waits (or EAGAIN with O_NONBLOCK); in EFD_SEMAPHORE mode a read takes 1 instead of all of it.
// The counter stops at 0xfffffffffffffffe: a write that would pass it waits for a read.

import { E, Errno } from "../errno.js";
import { WaitQueue, WouldBlock } from "../sched/wait.js";
import { FMODE_READ, FMODE_WRITE } from "./fcntl.js";
import { FileBase, type PollResult } from "./file.js";
import { anonInodeKstat, anonInodeName } from "./anon_inodes.js";
import type { Kstat } from "./kstat.js";
import { O_NONBLOCK, O_RDWR } from "../uapi/asm-generic/fcntl.js";
import { POLLERR, POLLIN, POLLOUT } from "../uapi/asm-generic/poll.js";

export const EFD_SEMAPHORE = 1;
/** ULLONG_MAX is the one value a write may not add: the counter's ceiling is one below. */
export const EFD_MAX = 0xfffffffffffffffen;

/** eventfd_ctx */
export class EventFd extends FileBase {
  counter: bigint;
  /** ctx->wqh: readers and writers that wait, and pollers. */
  readonly wqh = new WaitQueue();

  constructor(initval: number, flags: number, private readonly semaphore: boolean) {
    super(O_RDWR | (flags & O_NONBLOCK), FMODE_READ | FMODE_WRITE, anonInodeName("eventfd"));
    this.counter = BigInt(initval);
  }

  /** eventfd_read: 8 bytes, the whole counter (or 1 in semaphore mode). */
  override read(dst: Buffer): number {
    if (dst.length < 8) throw new Errno(E.EINVAL);
    if (this.counter === 0n) {
      if (this.flags & O_NONBLOCK) throw new Errno(E.EAGAIN);
      throw new WouldBlock([this.wqh], "eventfd read");
    }
    const v = this.semaphore ? 1n : this.counter;
    this.counter -= v;
    dst.writeBigUInt64LE(v, 0);
    this.wqh.wake();
    return 8;
  }

  /** eventfd_write: adds an 8-byte value; ULLONG_MAX is EINVAL. */
  override write(src: Buffer): number {
    if (src.length < 8) throw new Errno(E.EINVAL);
    const v = src.readBigUInt64LE(0);
    if (v === 0xffffffffffffffffn) throw new Errno(E.EINVAL);
    if (EFD_MAX - this.counter < v) {
      if (this.flags & O_NONBLOCK) throw new Errno(E.EAGAIN);
      throw new WouldBlock([this.wqh], "eventfd write");
    }
    this.counter += v;
    if (v) this.wqh.wake();
    return 8;
  }

  /** eventfd_poll */
  poll(): PollResult {
    let mask = 0;
    if (this.counter > 0n) mask |= POLLIN;
    if (this.counter === EFD_MAX) mask |= POLLERR;
    if (this.counter < EFD_MAX) mask |= POLLOUT;
    return { mask, queues: [this.wqh] };
  }

  override stat(): Kstat {
    return anonInodeKstat();
  }
}
