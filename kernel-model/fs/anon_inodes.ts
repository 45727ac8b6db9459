// fs/anon_inodes.c: files with no name in any directory (timerfd, signalfd): one shared inode
// of mode 0600 with no file type, and the name /proc/<pid>/fd shows, "anon_inode:[timerfd]".

import { FMODE_READ, FMODE_WRITE, O_RDWR } from "./fcntl.js";
import { FileBase } from "./file.js";
import { modelKstat, type Kstat } from "./kstat.js";

/** The anon_inode_inode's number (one inode for every anonymous file, as in Linux). */
const ANON_INODE_INO = 0x6f00n;

export abstract class AnonInodeFile extends FileBase {
  constructor(name: string, flags: number) {
    super((flags & ~3) | O_RDWR, FMODE_READ | FMODE_WRITE, `anon_inode:${name}`);
  }

  override stat(): Kstat {
    return modelKstat({ ino: ANON_INODE_INO, mode: 0o600 });
  }
}
