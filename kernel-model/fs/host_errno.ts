// Errors from the host file system (Node's `err.code`, e.g. 'ENOENT') become Linux errnos. The
// mapping goes by NAME, never by the host's number, so it holds on hosts whose errno numbers
// differ from Linux's (macOS).

import { E, Errno, type ErrnoName } from "../errno.js";

/** The Linux errno for a host error, or undefined if `err` is not a host error at all. */
export function hostErrno(err: unknown): number | undefined {
  if (err instanceof Errno) return err.errno;
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) return undefined;
  if (code in E) return E[code as ErrnoName];
  // A host errno Linux has no name for (EFTYPE on BSDs...): the closest generic failure.
  return E.EIO;
}

/** Runs a host file-system call; host errors are rethrown as Errno, bugs pass through. */
export function hostCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Errno) throw err;
    const errno = hostErrno(err);
    if (errno === undefined) throw err;
    throw new Errno(errno, (err as Error).message);
  }
}
