// A client's fd 0, 1 or 2 as the guest's (`sysgate serve`): the descriptor the client passed,
// behaving as sysgate's own stdio does (StdioFile), with two differences a server needs:
// - a read or write that would wait polls, so that a signal from the client (Ctrl-C while the
//   guest waits for terminal input or for a full pipe) ends the wait: the call answers
//   -ERESTARTSYS, as n_tty_read and pipe_write do when signal_pending() (a write that moved some
//   bytes returns their count), and the signal is delivered on the way out;
// - the terminal size is the client's terminal's, not the server's.
// The descriptor is the server's to close when the run ends (release() leaves it open).

import { fstatSync } from "node:fs";
import { Errno } from "../../../kernel-model/errno.js";
import { FMODE_READ, FMODE_WRITE } from "../../../kernel-model/fs/fcntl.js";
import type { IoctlContext } from "../../../kernel-model/fs/file.js";
import { StdioFile } from "../../../kernel-model/fs/stdio_file.js";
import { TIOCGWINSZ } from "../../../kernel-model/uapi/asm-generic/ioctls.js";
import { ERESTARTSYS } from "../../../kernel-model/sched/signal.js";
import { O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from "../../../kernel-model/uapi/asm-generic/fcntl.js";
import { POLLIN, POLLOUT } from "../../../kernel-model/uapi/asm-generic/poll.js";
import { pollFds, windowSizeOf } from "./unix_socket.js";

/** How often a waiting read or write looks for a signal (ms). */
const WAIT_SLICE_MS = 50;
/** What one write moves at most after POLLOUT: a pipe buffer's page (PIPE_BUF). */
const PIPE_PAGE = 4096;

export class ClientStdioFile extends StdioFile {
  /**
   * `guestFd`: which of 0, 1, 2 it stands for (0 is read-only unless a terminal, 1 and 2
   * write-only, as StdioFile.forHostFd decides); `interrupted`: is a signal waiting for the guest?
   */
  constructor(hostFd: number, guestFd: number, private readonly interrupted: () => boolean) {
    const terminal = windowSizeOf(hostFd) !== undefined;
    super(hostFd, terminal ? O_RDWR : guestFd === 0 ? O_RDONLY : O_WRONLY,
      terminal ? FMODE_READ | FMODE_WRITE : guestFd === 0 ? FMODE_READ : FMODE_WRITE);
    this.mayWait = !fstatSync(hostFd).isFile(); // a regular file never makes a read or write wait
  }

  private readonly mayWait: boolean;

  override read(dst: Buffer): number {
    if (this.mayWait && this.readable && dst.length > 0 && !(this.flags & O_NONBLOCK)) {
      while (pollFds([{ fd: this.hostFd, events: POLLIN }], WAIT_SLICE_MS)[0] === 0) {
        if (this.interrupted()) throw new Errno(ERESTARTSYS);
      }
    }
    return super.read(dst);
  }

  override write(src: Buffer): number {
    if (!this.mayWait || !this.writable || this.flags & O_NONBLOCK) return super.write(src);
    let done = 0;
    while (done < src.length) {
      // POLLOUT on a pipe means a page is free: a write of at most that much does not wait
      while (pollFds([{ fd: this.hostFd, events: POLLOUT }], WAIT_SLICE_MS)[0] === 0) {
        if (this.interrupted()) {
          if (done > 0) return done;
          throw new Errno(ERESTARTSYS);
        }
      }
      done += super.write(src.subarray(done, done + PIPE_PAGE));
    }
    return done;
  }

  override ioctl(ctx: IoctlContext, cmd: number, arg: bigint): number {
    const ws = cmd === TIOCGWINSZ && this.isTerminal ? windowSizeOf(this.hostFd) : undefined;
    if (!ws) return super.ioctl(ctx, cmd, arg);
    const b = Buffer.alloc(8); // struct winsize: ws_row, ws_col, ws_xpixel, ws_ypixel
    b.writeUInt16LE(ws[0], 0);
    b.writeUInt16LE(ws[1], 2);
    ctx.mem.write(arg, b);
    return 0;
  }
}
