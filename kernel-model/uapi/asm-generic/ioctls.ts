// include/uapi/asm-generic/ioctls.h: the terminal and file ioctl requests x86 uses (the old
// 0x54xx numbers, and the _IOR/_IOW-encoded pty ones).
export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCGETA = 0x5405;
export const TIOCSCTTY = 0x540e, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;
export const FIONREAD = 0x541b, FIONBIO = 0x5421, TIOCNOTTY = 0x5422;
/** _IOR('T', 0x30, unsigned int) and _IOW('T', 0x31, int). */
export const TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431;
export const FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;
