// fs/namei.c: the path walk. A path is taken apart one component at a time from the task's root
// or starting directory, "." and ".." resolved (the walk's root is its own parent), symlinks
// followed on the way (and at the end when asked) up to MAXSYMLINKS. What a name refers to is the
// view's business (vfs.ts: mounts, the overlay; proc/ and devtmpfs.ts); the walk only needs its lookup.

import { E, Errno } from "../errno.js";
import { MAXSYMLINKS } from "./fcntl.js";
import type { Dentry } from "./vfs.js";
import { NAME_MAX } from "../uapi/linux/limits.js";
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from "../uapi/linux/stat.js";

/** Where a walk starts and what bounds it (struct nameidata's root and starting path). */
export interface Nameidata {
  /** The task's root (chroot), a canonical guest path. */
  root: string;
  /** The directory relative paths start from: the cwd, or the directory of an *at() dirfd. */
  start: string;
  /** The caller's thread-group id, for /proc/self. */
  pid: number;
}

export type LastType = "norm" | "dot" | "dotdot" | "root";

export interface ParentLookup {
  parent: Dentry;
  last: string;
  lastType: LastType;
  /** The path ended in "/": the last component must be a directory. */
  trailingSlash: boolean;
}

/** What the walk asks of the file system view: one canonical path's dentry, and a link's text. */
export interface DentryLookup {
  /** A guest path known to be canonical, without following a final symlink (ENOENT if absent). */
  lookupCanonical(path: string, pid: number): Dentry;
  /** vfs_readlink. */
  readlinkDentry(d: Dentry): string;
}

/**
 * inode_permission's part for the model's own inodes: procfs refuses some readers an entry it
 * lets them stat (ptrace_may_access says no: EACCES; the exe link of a task with none: ENOENT).
 * Asked by open and access of a /proc directory or file, and by readlink and the jump of a /proc
 * link (proc_pid_readlink, proc_pid_get_link); a link itself may be stat'ed and access'ed.
 */
export function inodePermission(d: Dentry): void {
  const inode = d.inode;
  if (inode.kind !== "host" && inode.kind !== "memdev" && inode.refuse) throw new Errno(inode.refuse);
}

const fileType = (d: Dentry): number => {
  switch (d.inode.kind) {
    case "host": return Number(d.inode.st.mode) & S_IFMT;
    case "memdev": return 0o020000;
    case "modeldir": return S_IFDIR;
    case "modelfile": return S_IFREG;
    case "modellink": return S_IFLNK;
  }
};
export const isDir = (d: Dentry): boolean => fileType(d) === S_IFDIR;
export const isSymlink = (d: Dentry): boolean => fileType(d) === S_IFLNK;

/** The canonical path of `name` in the directory `dir`. */
export const join = (dir: string, name: string): string => (dir === "/" ? `/${name}` : `${dir}/${name}`);
/** The directory part of a canonical path (the root is its own). */
export const parentOf = (p: string): string => {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
};

/** lookup_one: the child `name` of the directory at canonical path `dir`. */
export function lookupOne(view: DentryLookup, dir: string, name: string, pid: number): Dentry {
  if (name.length > NAME_MAX) throw new Errno(E.ENAMETOOLONG);
  return view.lookupCanonical(join(dir, name), pid);
}

/** Like lookupOne, but a missing name is undefined rather than ENOENT (a negative dentry). */
export function lookupMaybe(view: DentryLookup, dir: string, name: string, pid: number): Dentry | undefined {
  try {
    return lookupOne(view, dir, name, pid);
  } catch (err) {
    if (err instanceof Errno && err.errno === E.ENOENT) return undefined;
    throw err;
  }
}

/**
 * path_lookupat: the dentry `path` names, following symlinks on the way and, if `follow`,
 * at the end. ENOENT, ENOTDIR, ELOOP (more than 40 links), ENAMETOOLONG as Linux answers.
 */
export function pathLookupat(view: DentryLookup, nd: Nameidata, path: string, follow: boolean): Dentry {
  if (path === "") throw new Errno(E.ENOENT);
  const pending = path.split("/").reverse(); // a stack: the next component is last
  let cur = view.lookupCanonical(path.startsWith("/") ? nd.root : nd.start, nd.pid);
  let links = 0;
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (!isDir(cur)) throw new Errno(E.ENOTDIR);
    if (name === "" || name === ".") continue;
    if (name === "..") {
      // follow_dotdot: the root of the walk is its own parent.
      if (cur.path !== nd.root && cur.path !== "/") cur = view.lookupCanonical(parentOf(cur.path), nd.pid);
      continue;
    }
    const next = lookupOne(view, cur.path, name, nd.pid);
    if (isSymlink(next) && (follow || pending.length > 0)) {
      if (++links > MAXSYMLINKS) throw new Errno(E.ELOOP);
      if (next.inode.kind === "modellink" && next.inode.jump) {
        inodePermission(next);
        cur = next.inode.jump();
        continue;
      }
      const target = view.readlinkDentry(next);
      if (target === "") throw new Errno(E.ENOENT);
      pending.push(...target.split("/").reverse());
      if (target.startsWith("/")) cur = view.lookupCanonical(nd.root, nd.pid);
      continue;
    }
    cur = next;
  }
  return cur;
}

/** filename_parentat: the directory that holds the last component, and that component. */
export function filenameParentat(view: DentryLookup, nd: Nameidata, path: string): ParentLookup {
  if (path === "") throw new Errno(E.ENOENT);
  const stripped = path.replace(/\/+$/, "");
  const trailingSlash = stripped.length !== path.length;
  if (stripped === "") return { parent: pathLookupat(view, nd, "/", true), last: "", lastType: "root", trailingSlash };
  const i = stripped.lastIndexOf("/");
  const dirPart = i < 0 ? "." : i === 0 ? "/" : stripped.slice(0, i);
  const last = stripped.slice(i + 1);
  const parent = pathLookupat(view, nd, dirPart, true);
  if (!isDir(parent)) throw new Errno(E.ENOTDIR);
  if (last.length > NAME_MAX) throw new Errno(E.ENAMETOOLONG);
  const lastType: LastType = last === "." ? "dot" : last === ".." ? "dotdot" : "norm";
  return { parent, last, lastType, trailingSlash };
}
