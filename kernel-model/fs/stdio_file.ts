// fds 0, 1 and 2 of the guest are sysgate's own host fds 0, 1 and 2: whatever the user's shell
// connected (a terminal, a pipe, a file). The file behaves as a tty or pipe would: no offsets;
// a read waits until data is there (a host fd left non-blocking by someone else answers EAGAIN,
// so the model waits and retries, as a blocking read would have), and at end of input returns 0.

import * as fs from "node:fs";
import * as tty from "node:tty";
import { E, Errno } from "../errno.js";
import { FMODE_READ, FMODE_WRITE } from "./fcntl.js";
import { FileBase, type IoctlContext } from "./file.js";
import { hostCall, hostErrno } from "./host_errno.js";
import { kstatFromHost, type Kstat } from "./kstat.js";
import { TtyFileOps } from "./tty.js";
import { O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from "../uapi/asm-generic/fcntl.js";


const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Waits without spinning: the whole emulator is blocked in this syscall anyway. */
const pause = (ms: number): void => { Atomics.wait(sleeper, 0, 0, ms); };

export class StdioFile extends FileBase {
  readonly isTerminal: boolean;
  private readonly tty: TtyFileOps | undefined;

  constructor(readonly hostFd: number, flags: number, fmode: number) {
    super(flags, fmode, undefined);
    this.isTerminal = tty.isatty(hostFd);
    this.tty = this.isTerminal ? new TtyFileOps(hostFd) : undefined;
  }

  /** The file for host fd 0, 1 or 2: a terminal is open read-write, as a login shell has it. */
  static forHostFd(hostFd: number): StdioFile {
    if (tty.isatty(hostFd)) return new StdioFile(hostFd, O_RDWR, FMODE_READ | FMODE_WRITE);
    return hostFd === 0
      ? new StdioFile(hostFd, O_RDONLY, FMODE_READ)
      : new StdioFile(hostFd, O_WRONLY, FMODE_WRITE);
  }

  override read(dst: Buffer): number {
    if (!this.readable) throw new Errno(E.EBADF);
    if (dst.length === 0) return 0;
    for (;;) {
      try {
        return fs.readSync(this.hostFd, dst, 0, dst.length, null);
      } catch (err) {
        const errno = hostErrno(err);
        if (errno === undefined) throw err;
        if (errno === E.EAGAIN && !(this.flags & O_NONBLOCK)) { pause(5); continue; }
        // Node reports end of input on some hosts as an EOF error rather than 0.
        if ((err as { code?: string }).code === "EOF") return 0;
        throw new Errno(errno);
      }
    }
  }

  override write(src: Buffer): number {
    if (!this.writable) throw new Errno(E.EBADF);
    let done = 0;
    while (done < src.length) {
      try {
        done += fs.writeSync(this.hostFd, src, done, src.length - done, null);
      } catch (err) {
        const errno = hostErrno(err);
        if (errno === undefined) throw err;
        if (errno !== E.EAGAIN) { if (done > 0) return done; throw new Errno(errno); }
        if (this.flags & O_NONBLOCK) { if (done > 0) return done; throw new Errno(E.EAGAIN); }
        pause(5);
      }
    }
    return done;
  }

  override stat(): Kstat {
    return kstatFromHost(hostCall(() => fs.fstatSync(this.hostFd, { bigint: true })));
  }

  override ioctl(ctx: IoctlContext, cmd: number, arg: bigint): number {
    if (!this.tty) throw new Errno(E.ENOTTY);
    return this.tty.ioctl(ctx, cmd, arg);
  }

  /** sysgate's own fds are never closed by the guest: only the guest's reference goes (and the terminal's, if one). */
  protected override release(): void {
    this.tty?.release();
  }
}
