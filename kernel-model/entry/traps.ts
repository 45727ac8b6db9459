import { SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP } from "../uapi/asm/signal.js";
// What the kernel does with a CPU exception raised in user mode (arch/x86/kernel/traps.c and
// arch/x86/mm/fault.c): a page fault inside a mapping is resolved, everything else becomes the
// signal Linux sends. Unicorn reports exceptions by vector instead of going through the IDT.

export const X86_TRAP = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8, TS: 10, NP: 11, SS: 12, GP: 13, PF: 14,
  MF: 16, AC: 17, MC: 18, XF: 19,
} as const;

export const TRAP_NAMES: Record<number, string> = {
  0: "#DE divide error", 1: "#DB debug", 3: "#BP breakpoint", 4: "#OF overflow", 5: "#BR bound range",
  6: "#UD invalid opcode", 7: "#NM device not available", 8: "#DF double fault", 10: "#TS invalid TSS",
  11: "#NP segment not present", 12: "#SS stack fault", 13: "#GP general protection", 14: "#PF page fault",
  16: "#MF x87 floating point", 17: "#AC alignment check", 18: "#MC machine check", 19: "#XF SIMD floating point",
};

/** The signal for an exception vector (do_error_trap, exc_general_protection, ...). */
export function signalForTrap(vector: number): number {
  switch (vector) {
    case X86_TRAP.DE: case X86_TRAP.MF: case X86_TRAP.XF: return SIGFPE;
    case X86_TRAP.DB: case X86_TRAP.BP: return SIGTRAP;
    case X86_TRAP.UD: return SIGILL;
    case X86_TRAP.AC: return SIGBUS;
    case X86_TRAP.NP: case X86_TRAP.SS: return SIGBUS;
    default: return SIGSEGV;
  }
}

/** The names a shell prints for a death by signal (strsignal). */
export const SIGNAL_DESCRIPTIONS: Record<number, [string, string]> = {
  1: ["SIGHUP", "Hangup"], 2: ["SIGINT", "Interrupt"], 3: ["SIGQUIT", "Quit"], 4: ["SIGILL", "Illegal instruction"],
  5: ["SIGTRAP", "Trace/breakpoint trap"], 6: ["SIGABRT", "Aborted"], 7: ["SIGBUS", "Bus error"],
  8: ["SIGFPE", "Floating point exception"], 9: ["SIGKILL", "Killed"], 10: ["SIGUSR1", "User defined signal 1"],
  11: ["SIGSEGV", "Segmentation fault"], 12: ["SIGUSR2", "User defined signal 2"], 13: ["SIGPIPE", "Broken pipe"],
  14: ["SIGALRM", "Alarm clock"], 15: ["SIGTERM", "Terminated"], 16: ["SIGSTKFLT", "Stack fault"],
  17: ["SIGCHLD", "Child exited"], 18: ["SIGCONT", "Continued"], 19: ["SIGSTOP", "Stopped (signal)"],
  20: ["SIGTSTP", "Stopped"], 21: ["SIGTTIN", "Stopped (tty input)"], 22: ["SIGTTOU", "Stopped (tty output)"],
  23: ["SIGURG", "Urgent I/O condition"], 24: ["SIGXCPU", "CPU time limit exceeded"], 25: ["SIGXFSZ", "File size limit exceeded"],
  26: ["SIGVTALRM", "Virtual timer expired"], 27: ["SIGPROF", "Profiling timer expired"], 28: ["SIGWINCH", "Window changed"],
  29: ["SIGIO", "I/O possible"], 30: ["SIGPWR", "Power failure"], 31: ["SIGSYS", "Bad system call"],
};

/** Signals whose default action dumps core (the 0x80 bit of the wait status). */
export const CORE_SIGNALS = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);
