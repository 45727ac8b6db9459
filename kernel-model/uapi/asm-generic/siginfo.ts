// include/uapi/asm-generic/siginfo.h: si_code values, general and per signal.

export const SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_TKILL = -6;
/** SIGCHLD */
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;
/** SIGSEGV */
export const SEGV_MAPERR = 1, SEGV_ACCERR = 2;
/** SIGBUS */
export const BUS_ADRERR = 2;
