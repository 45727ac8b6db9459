// The support status of a service routine, declared where it is registered (as gVisor's syscall
// tables do): supported, partly supported with a note of what is missing, or an error the slot
// answers on purpose, with the errno and why. A plain routine in a family is supported.
// `sysgate table` prints the status, the dispatcher's once-per-syscall warning prints the note,
// and the syscall_exit hook event carries it.

export type Support =
  | { readonly status: "supported" }
  | { readonly status: "partial"; readonly note: string }
  | { readonly status: "error"; readonly errno: number; readonly note: string };

const SUPPORT = Symbol("support");
type Declared = { [SUPPORT]?: Support };
/**
 * A routine's shape as far as its status goes (a SyscallImpl, syscalls/types.ts): the status is
 * data on the function, so this file needs nothing of the syscall context and stays a leaf that
 * hooks.ts can import.
 */
type Routine<C, A, R> = (ctx: C, args: A) => R;

export const SUPPORTED: Support = { status: "supported" };

/** A routine that does part of what Linux does; `note` says what is missing. */
export function partial<C, A, R>(note: string, impl: Routine<C, A, R>): Routine<C, A, R> {
  const wrapped: Routine<C, A, R> & Declared = (ctx, args) => impl(ctx, args);
  wrapped[SUPPORT] = { status: "partial", note };
  return wrapped;
}

/** A slot that answers -errno on purpose; `note` says why (shown once when a guest calls it). */
export function unsupported(errno: number, note: string): Routine<unknown, unknown, number> {
  const answer: Routine<unknown, unknown, number> & Declared = () => -errno;
  answer[SUPPORT] = { status: "error", errno, note };
  return answer;
}

/** What a registered routine declared (undefined: nothing is registered). */
export function supportOf(impl: object | undefined): Support | undefined {
  if (!impl) return undefined;
  return (impl as Declared)[SUPPORT] ?? SUPPORTED;
}
