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
import { O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from "../uapi/asm-generic/fcntl.js";
import { TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGWINSZ, TIOCSPGRP, TIOCSWINSZ } from "../uapi/asm-generic/ioctls.js";


/** sizeof(struct termios) in the kernel's layout (asm-generic/termbits.h): 4 flags, c_line, c_cc[19]. */
export const TERMIOS_SIZE = 36;

/** What a fresh terminal in cooked mode reports (the tty driver's tty_std_termios). */
function defaultTermios(): Buffer {
  const t = Buffer.alloc(TERMIOS_SIZE);
  t.writeUInt32LE(0x500, 0); // c_iflag: ICRNL | IXON
  t.writeUInt32LE(0x5, 4); // c_oflag: OPOST | ONLCR
  t.writeUInt32LE(0xbf, 8); // c_cflag: B38400 | CS8 | CREAD
  t.writeUInt32LE(0x8a3b, 12); // c_lflag: ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
  // c_cc (INIT_C_CC): VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0, VMIN 1, VSWTC 0,
  // VSTART ^Q, VSTOP ^S, VSUSP ^Z, VEOL 0, VREPRINT ^R, VDISCARD ^O, VWERASE ^W, VLNEXT ^V, VEOL2 0
  Buffer.from([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0]).copy(t, 17);
  return t;
}

/** The terminal settings the guest last set, per host fd (one tty_struct per terminal). */
const termiosOf = new Map<number, Buffer>();

/**
 * A new run in the same host thread (`sysgate serve`'s next request): the settings the last run's
 * guests gave their terminals are forgotten, as when a `sysgate run` ends (they never reached the
 * host's terminal).
 */
export function forgetTerminalSettings(): void {
  termiosOf.clear();
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Waits without spinning: the whole emulator is blocked in this syscall anyway. */
const pause = (ms: number): void => { Atomics.wait(sleeper, 0, 0, ms); };

export class StdioFile extends FileBase {
  readonly isTerminal: boolean;

  constructor(readonly hostFd: number, flags: number, fmode: number) {
    super(flags, fmode, undefined);
    this.isTerminal = tty.isatty(hostFd);
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
    if (!this.isTerminal) throw new Errno(E.ENOTTY);
    switch (cmd) {
      case TCGETS:
        ctx.mem.write(arg, termiosOf.get(this.hostFd) ?? defaultTermios());
        return 0;
      case TCSETS: case TCSETSW: case TCSETSF:
        // Remembered for TCGETS, not applied to the host terminal (the model has no line discipline).
        termiosOf.set(this.hostFd, Buffer.from(ctx.mem.read(arg, TERMIOS_SIZE)));
        return 0;
      case TIOCGWINSZ: {
        const [rows, cols] = windowSize();
        const ws = Buffer.alloc(8); // struct winsize: ws_row, ws_col, ws_xpixel, ws_ypixel
        ws.writeUInt16LE(rows, 0);
        ws.writeUInt16LE(cols, 2);
        ctx.mem.write(arg, ws);
        return 0;
      }
      case TIOCSWINSZ:
        return 0;
      case TIOCGPGRP: {
        const b = Buffer.alloc(4);
        b.writeInt32LE(ctx.task.pgid);
        ctx.mem.write(arg, b);
        return 0;
      }
      case TIOCSPGRP:
        return 0;
      default:
        throw new Errno(E.ENOTTY);
    }
  }

  /** sysgate's own fds are never closed by the guest: only the guest's reference goes. */
  protected override release(): void {}
}

function windowSize(): [number, number] {
  for (const s of [process.stdout, process.stderr]) {
    if (s.isTTY && s.rows && s.columns) return [s.rows, s.columns];
  }
  return [24, 80];
}
