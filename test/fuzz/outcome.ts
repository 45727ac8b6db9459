/** What became of one case. A host crash or a hang is a bug of sysgate; the rest are answers. */
export type Outcome = "clean-error" | "guest-signal" | "guest-exit" | "host-crash" | "hang";
export const OUTCOMES: readonly Outcome[] = ["clean-error", "guest-signal", "guest-exit", "host-crash", "hang"];

export interface CaseReport {
  i: number;
  outcome: Outcome;
  detail?: string;
  /** Syscalls that entered the kernel (syscall cases). */
  tried?: number;
  /** Of those, how many returned -errno. */
  errors?: number;
}

/** The guest's memory bound in the campaign: small, so that memory-hungry cases stay cheap. */
export const FUZZ_MEMORY = 64 << 20;
