// include/uapi/asm-generic/siginfo.h: si_code values, general and per signal.

/** Sent by a process (<= 0) or by the kernel (SI_KERNEL). */
export const SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_MESGQ = -3, SI_ASYNCIO = -4, SI_SIGIO = -5,
  SI_TKILL = -6, SI_DETHREAD = -7, SI_ASYNCNL = -60;
/** SIGILL */
export const ILL_ILLOPC = 1, ILL_ILLOPN = 2, ILL_ILLADR = 3, ILL_ILLTRP = 4, ILL_PRVOPC = 5, ILL_PRVREG = 6,
  ILL_COPROC = 7, ILL_BADSTK = 8, ILL_BADIADDR = 9;
/** SIGFPE */
export const FPE_INTDIV = 1, FPE_INTOVF = 2, FPE_FLTDIV = 3, FPE_FLTOVF = 4, FPE_FLTUND = 5, FPE_FLTRES = 6,
  FPE_FLTINV = 7, FPE_FLTSUB = 8, FPE_FLTUNK = 14, FPE_CONDTRAP = 15;
/** SIGSEGV */
export const SEGV_MAPERR = 1, SEGV_ACCERR = 2, SEGV_BNDERR = 3, SEGV_PKUERR = 4, SEGV_ACCADI = 5, SEGV_ADIDERR = 6,
  SEGV_ADIPERR = 7, SEGV_MTEAERR = 8, SEGV_MTESERR = 9;
/** SIGBUS */
export const BUS_ADRALN = 1, BUS_ADRERR = 2, BUS_OBJERR = 3, BUS_MCEERR_AR = 4, BUS_MCEERR_AO = 5;
/** SIGTRAP */
export const TRAP_BRKPT = 1, TRAP_TRACE = 2, TRAP_BRANCH = 3, TRAP_HWBKPT = 4, TRAP_UNK = 5, TRAP_PERF = 6;
/** SIGCHLD */
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5, CLD_CONTINUED = 6;
/** SIGPOLL (SIGIO) */
export const POLL_IN = 1, POLL_OUT = 2, POLL_MSG = 3, POLL_ERR = 4, POLL_PRI = 5, POLL_HUP = 6;
/** SIGSYS */
export const SYS_SECCOMP = 1, SYS_USER_DISPATCH = 2;
