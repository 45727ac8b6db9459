// A terminal of the host as the guest sees it (drivers/tty): the ioctls every open file of a
// terminal answers, however it was opened (sysgate's own fds 0-2, a serve client's, /dev/tty or
// /dev/pts/N through the host's /dev): tty_ioctl.c's TCGETS / TCSETS, tty_io.c's TIOCGWINSZ,
// tty_jobctrl.c's TIOCGPGRP / TIOCSPGRP.
// The settings are remembered, not applied to the host terminal (the model has no line discipline).

import { E, Errno } from "../errno.js";
import type { IoctlContext } from "./file.js";
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
 * The terminal side of an open file on a host terminal.
 */
export class TtyFileOps {
  constructor(private readonly hostFd: number) {}

  /** tty_ioctl for the commands the model answers; ENOTTY for the rest. */
  ioctl(ctx: IoctlContext, cmd: number, arg: bigint): number {
    switch (cmd) {
      case TCGETS:
        ctx.mem.write(arg, termiosOf.get(this.hostFd) ?? defaultTermios());
        return 0;
      case TCSETS: case TCSETSW: case TCSETSF:
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
        // the guest's processes stand for the terminal's foreground process group (job control
        // is not modelled): the caller's group is the one in front
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
}

function windowSize(): [number, number] {
  for (const s of [process.stdout, process.stderr]) {
    if (s.isTTY && s.rows && s.columns) return [s.rows, s.columns];
  }
  return [24, 80];
}
