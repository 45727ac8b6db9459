// fs/anon_inodes.c: files with no name in any directory (eventfd, epoll, timerfd, signalfd) all
// share one inode (mode 0600, no file type bits) and read as "anon_inode:[<kind>]" in
// /proc/<pid>/fd.

import { FMODE_READ, FMODE_WRITE } from "./fcntl.js";
import { FileBase } from "./file.js";
import { modelKstat, type Kstat } from "./kstat.js";
import { O_RDWR } from "../uapi/asm-generic/fcntl.js";

/** The shared anonymous inode's number (any fixed small number: Linux's depends on boot order). */
const ANON_INODE_INO = 1n;

export const anonInodeKstat = (): Kstat => modelKstat({ ino: ANON_INODE_INO, mode: 0o600, size: 0n });
export const anonInodeName = (kind: string): string => `anon_inode:[${kind}]`;

/** A file on the anonymous inode; `name` is its kind in brackets, "[timerfd]". */
export abstract class AnonInodeFile extends FileBase {
  constructor(name: string, flags: number) {
    super((flags & ~3) | O_RDWR, FMODE_READ | FMODE_WRITE, `anon_inode:${name}`);
  }

  override stat(): Kstat {
    return anonInodeKstat();
  }
}
