// fs/binfmt_script.c: load_script. A file that starts with "#!" names its interpreter on that
// first line: the interpreter's path, then at most one argument (everything after the first
// run of spaces or tabs, inner spaces kept). Only the first BINPRM_BUF_SIZE bytes are read: a
// line longer than that is cut, which is fine for the argument but not for the path (ENOEXEC
// then, rather than exec a truncated name). execve (syscalls/kernel/exec.ts) then runs the
// interpreter with argv = [interpreter, argument?, script path, original argv[1]...].

import { E, Errno } from "../errno.js";

/** sizeof(bprm->buf): how much of the file the binary handlers see. */
export const BINPRM_BUF_SIZE = 256;

const spacetab = (c: number) => c === 0x20 || c === 0x09;

export interface ScriptInterp {
  /** i_name: the interpreter's path. */
  name: Buffer;
  /** i_arg: the optional argument. */
  arg: Buffer | undefined;
}

/**
 * The interpreter line of `buf` (the file's first bytes, at most BINPRM_BUF_SIZE), or undefined
 * when the file does not start with "#!" (not a script: the next handler's turn). Throws
 * Errno(ENOEXEC) where Linux's load_script refuses the line.
 */
export function loadScript(head: Buffer): ScriptInterp | undefined {
  if (head.length < 2 || head[0] !== 0x23 /* # */ || head[1] !== 0x21 /* ! */) return undefined;
  // bprm->buf: the bytes read, NUL-padded to its size
  const buf = Buffer.alloc(BINPRM_BUF_SIZE);
  head.copy(buf, 0, 0, BINPRM_BUF_SIZE);
  const last = BINPRM_BUF_SIZE - 1;
  const nextNonSpacetab = (from: number, to: number) => { for (let i = from; i <= to; i++) if (!spacetab(buf[i])) return i; return -1; };
  const nextTerminator = (from: number, to: number) => { for (let i = from; i <= to; i++) if (spacetab(buf[i]) || buf[i] === 0) return i; return -1; };
  let end = buf.indexOf(0x0a);
  if (end < 0) {
    end = nextNonSpacetab(2, last);
    if (end < 0) throw new Errno(E.ENOEXEC); // the whole buffer is spaces and tabs
    // no space, tab or NUL after the path: it may be cut, do not exec it
    if (nextTerminator(end, last) < 0) throw new Errno(E.ENOEXEC);
    end = last;
  }
  while (spacetab(buf[end - 1])) end--; // trailing spaces and tabs go
  const name = nextNonSpacetab(2, end);
  if (name < 0 || name === end) throw new Errno(E.ENOEXEC); // no interpreter named
  // the line ends at end (exclusive) or at a NUL before it
  const nul = buf.indexOf(0, name);
  const stop = nul >= 0 && nul < end ? nul : end;
  const sep = nextTerminator(name, end);
  if (sep < 0 || sep >= stop) return { name: buf.subarray(name, stop), arg: undefined };
  const arg = nextNonSpacetab(sep, end);
  return { name: buf.subarray(name, sep), arg: arg >= 0 && arg < stop ? buf.subarray(arg, stop) : undefined };
}
