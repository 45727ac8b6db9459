import { describe, expect, it } from "vitest";
import { E, Errno } from "../../kernel-model/errno.js";
import { hostCall, hostErrno } from "../../kernel-model/fs/host_errno.js";
import * as fs from "node:fs";

const nodeError = (code: string): Error => Object.assign(new Error(code), { code });

describe("host errors become Linux errnos by name", () => {
  it.each(["ENOENT", "EACCES", "ENOTDIR", "EISDIR", "EEXIST", "ENOTEMPTY", "EXDEV", "ELOOP", "ENAMETOOLONG", "EROFS", "EBADF", "EAGAIN", "EPIPE"] as const)(
    "%s", (code) => {
      expect(hostErrno(nodeError(code))).toBe(E[code]);
    },
  );

  it("maps the names to the Linux numbers, not the host's", () => {
    expect(hostErrno(nodeError("ENOTEMPTY"))).toBe(39);
    expect(hostErrno(nodeError("ELOOP"))).toBe(40);
    expect(hostErrno(nodeError("ENAMETOOLONG"))).toBe(36);
  });

  it("falls back to EIO for an errno name Linux lacks, and ignores non-host errors", () => {
    expect(hostErrno(nodeError("EFTYPE"))).toBe(E.EIO);
    expect(hostErrno(nodeError("ERR_INVALID_ARG_TYPE"))).toBeUndefined();
    expect(hostErrno(new TypeError("bug"))).toBeUndefined();
  });

  it("hostCall rethrows host failures as Errno and lets bugs through", () => {
    let caught: unknown;
    try { hostCall(() => fs.readFileSync("/nonexistent/sysgate/file")); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(Errno);
    expect((caught as Errno).errno).toBe(E.ENOENT);
    expect(() => hostCall(() => { throw new TypeError("bug"); })).toThrow(TypeError);
  });
});
