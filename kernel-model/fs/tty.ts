// A terminal of the host as the guest sees it (drivers/tty): the ioctls every open file of a
// terminal answers, however it was opened (sysgate's own fds 0-2, a serve client's, /dev/tty or
// /dev/pts/N through the host's /dev): tty_ioctl.c's TCGETS / TCSETS, tty_io.c's TIOCGWINSZ,
// tty_jobctrl.c's TIOCGPGRP / TIOCSPGRP.
//
// Linux keeps a terminal's settings in its tty_struct, one per terminal, shared by every file
// open on it and freed with the last of them (release_tty). So here: a TtyStruct per host
// terminal (its device number), held by the open files that asked for it. A host fd number says
// nothing of which terminal it is (a long-lived `sysgate serve` runner reuses them for each
// client's terminal); the device does. The settings are remembered, not applied to the host
// terminal (the model has no line discipline); the window size is the host terminal's own.

import { fstatSync, readFileSync } from "node:fs";
import { E, Errno } from "../errno.js";
import { hostCall } from "./host_errno.js";
import type { IoctlContext } from "./file.js";
import { TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGWINSZ, TIOCSPGRP, TIOCSWINSZ } from "../uapi/asm-generic/ioctls.js";
import { B38400, CREAD, CS8, ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ICANON, ICRNL, IEXTEN, ISIG, IXON, NCCS, ONLCR, OPOST,
  VDISCARD, VEOF, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VWERASE } from "../uapi/asm-generic/termbits.js";

/** sizeof(struct termios) in the kernel's layout (asm-generic/termbits.h): 4 flags, c_line, c_cc[NCCS]. */
export const TERMIOS_SIZE = 4 * 4 + 1 + NCCS;

/**
 * What a fresh pseudo terminal reports, in cooked mode: tty_std_termios with INIT_C_CC, and the
 * c_cflag pty.c gives its terminals (no HUPCL).
 */
function defaultTermios(): Buffer {
  const t = Buffer.alloc(TERMIOS_SIZE);
  t.writeUInt32LE(ICRNL | IXON, 0);
  t.writeUInt32LE(OPOST | ONLCR, 4);
  t.writeUInt32LE(B38400 | CS8 | CREAD, 8);
  t.writeUInt32LE(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN, 12);
  const ctrl = (c: string): number => c.charCodeAt(0) & 0x1f;
  const cc = 17; // after the four flags and c_line
  t[cc + VINTR] = ctrl("C"); t[cc + VQUIT] = ctrl("\\"); t[cc + VERASE] = 0x7f; t[cc + VKILL] = ctrl("U");
  t[cc + VEOF] = ctrl("D"); t[cc + VMIN] = 1; t[cc + VSTART] = ctrl("Q"); t[cc + VSTOP] = ctrl("S");
  t[cc + VSUSP] = ctrl("Z"); t[cc + VREPRINT] = ctrl("R"); t[cc + VDISCARD] = ctrl("O"); t[cc + VWERASE] = ctrl("W");
  t[cc + VLNEXT] = ctrl("V");
  return t;
}

/** What only the host can say of a terminal it holds open; the emulator supplies it (setHostTerminal). */
export interface HostTerminal {
  /** TIOCGWINSZ on the host fd: [rows, cols], or undefined if the host answers none. */
  windowSize(hostFd: number): [number, number] | undefined;
}

let host: HostTerminal | undefined;

/** Installs the emulator's way of asking a host terminal (an ioctl through the C library). */
export function setHostTerminal(h: HostTerminal): void {
  host = h;
}

/** struct tty_struct, what of it the model keeps: the settings, and the open files that hold it. */
export interface TtyStruct {
  readonly device: bigint;
  termios: Buffer;
  count: number;
}

const ttys = new Map<bigint, TtyStruct>();

/** /dev/tty (5:0) as glibc's dev_t: the opener's controlling terminal, not a terminal of its own. */
const DEV_TTY = 0x500n;

/** sysgate's own controlling terminal (tty_nr of /proc/self/stat, the kernel's dev_t encoding, which glibc's shares). */
function controllingTerminal(): bigint | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "latin1");
    const tty = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[4]);
    return tty > 0 ? BigInt(tty) : undefined;
  } catch { return undefined; }
}

/** tty_open's find: the terminal behind a host fd, shared with every other file open on it. */
function ttyGet(hostFd: number): TtyStruct {
  let device = hostCall(() => fstatSync(hostFd, { bigint: true })).rdev;
  if (device === DEV_TTY) device = controllingTerminal() ?? device; // tty_open_current_tty
  let tty = ttys.get(device);
  if (!tty) ttys.set(device, (tty = { device, termios: defaultTermios(), count: 0 }));
  tty.count++;
  return tty;
}

/**
 * A new run in the same host thread (`sysgate serve`'s next request): terminals its last run's
 * files still held are forgotten, as when a `sysgate run` ends (their settings never reached the
 * host's terminal).
 */
export function forgetTerminalSettings(): void {
  ttys.clear();
}

/** tty_release: the last file of a terminal closed; its settings go with it (release_tty). */
function ttyPut(tty: TtyStruct): void {
  if (--tty.count === 0 && ttys.get(tty.device) === tty) ttys.delete(tty.device);
}

/**
 * The terminal side of an open file on a host terminal: the tty_struct is found at the first
 * ioctl (most files of a terminal never make one) and let go when the file is released.
 */
export class TtyFileOps {
  private tty: TtyStruct | undefined;

  constructor(private readonly hostFd: number) {}

  /** tty_ioctl for the commands the model answers; ENOTTY for the rest. */
  ioctl(ctx: IoctlContext, cmd: number, arg: bigint): number {
    switch (cmd) {
      case TCGETS:
        ctx.mem.write(arg, this.get().termios);
        return 0;
      case TCSETS: case TCSETSW: case TCSETSF:
        this.get().termios = Buffer.from(ctx.mem.read(arg, TERMIOS_SIZE));
        return 0;
      case TIOCGWINSZ: {
        const [rows, cols] = host?.windowSize(this.hostFd) ?? [24, 80];
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

  /** The file is released: it no longer holds the terminal. */
  release(): void {
    if (this.tty) ttyPut(this.tty);
    this.tty = undefined;
  }

  private get(): TtyStruct {
    return (this.tty ??= ttyGet(this.hostFd));
  }
}
