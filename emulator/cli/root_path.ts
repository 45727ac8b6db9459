// The program's path under --root DIR, found as the kernel would after chroot(DIR): every component
// looked up inside DIR, symbolic links followed with DIR as their "/", ".." stopping at DIR. A path
// that exists only on the host is not found.

import { lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { ExecFormatError } from "../loader/elf.js";
import { E } from "../../kernel-model/errno.js";
import { UsageError } from "./usage.js";

/** MAXSYMLINKS: the links one lookup may follow (ELOOP past it). */
const MAXSYMLINKS = 40;

/** Checks DIR itself: a usage error (status 2) when it is empty, missing or not a directory. */
export function checkRoot(root: string): string {
  if (root === "") throw new UsageError("--root needs a directory (an empty path is not one)");
  let st;
  try {
    st = statSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--root ${root}: ${code === "ENOENT" ? "no such directory" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new UsageError(`--root ${root}: not a directory`);
  return realpathSync(root);
}

/** The host path of `path` as seen inside the jail whose "/" is `root` (and whose cwd is "/"). */
export function resolveInRoot(root: string, path: string): string {
  const realRoot = checkRoot(root);
  let rest = path.split("/").filter((c) => c !== "" && c !== ".");
  const done: string[] = [];
  let links = 0;
  const notFound = () => new ExecFormatError(`${path}: no such file inside --root ${root} (the program's path is looked up inside DIR, as after chroot)`, E.ENOENT);
  while (rest.length) {
    const c = rest.shift()!;
    if (c === ".") continue;
    if (c === "..") {
      done.pop(); // ".." of the jail's "/" is "/" itself
      continue;
    }
    const host = join(realRoot, ...done, c);
    let st;
    try {
      st = lstatSync(host);
    } catch {
      throw notFound();
    }
    if (st.isSymbolicLink()) {
      if (++links > MAXSYMLINKS) throw new ExecFormatError(`${path}: too many levels of symbolic links inside --root ${root}`, E.ELOOP);
      const target = readlinkSync(host);
      if (target.startsWith("/")) done.length = 0;
      rest = [...target.split("/").filter((x) => x !== "" && x !== "."), ...rest];
      continue;
    }
    if (rest.length && !st.isDirectory()) throw notFound();
    done.push(c);
  }
  return join(realRoot, ...done);
}
