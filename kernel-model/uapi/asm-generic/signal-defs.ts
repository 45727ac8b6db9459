// include/uapi/asm-generic/signal-defs.h: sa_flags, sigprocmask's `how` and the two special
// handlers.

export const SA_NOCLDSTOP = 0x1n, SA_NOCLDWAIT = 0x2n, SA_SIGINFO = 0x4n, SA_ONSTACK = 0x08000000n,
  SA_RESTART = 0x10000000n, SA_NODEFER = 0x40000000n, SA_RESETHAND = 0x80000000n;
/** sigaction's probes for flags a kernel does not know and for tag bits in si_addr (Linux 5.11). */
export const SA_UNSUPPORTED = 0x00000400n, SA_EXPOSE_TAGBITS = 0x00000800n;

export const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;

export const SIG_DFL = 0n, SIG_IGN = 1n;
