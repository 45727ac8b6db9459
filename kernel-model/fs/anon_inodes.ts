// fs/anon_inodes.c: eventfd, epoll and similar files have no name of their own; they all share
// one inode (mode 0600, no file type bits) and read as "anon_inode:[<kind>]" in /proc/<pid>/fd.

import { modelKstat, type Kstat } from "./kstat.js";

/** The shared anonymous inode's number (any fixed small number: Linux's depends on boot order). */
const ANON_INODE_INO = 1n;

export const anonInodeKstat = (): Kstat => modelKstat({ ino: ANON_INODE_INO, mode: 0o600, size: 0n });
export const anonInodeName = (kind: string): string => `anon_inode:[${kind}]`;
