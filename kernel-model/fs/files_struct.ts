// struct files_struct (include/linux/fdtable.h, fs/file.c): a process's fd table. Each slot
// holds a reference to an open file description; close-on-exec is a property of the slot, not
// of the file. New fds take the lowest free number (alloc_fd), below RLIMIT_NOFILE.

import { E, Errno } from "../errno.js";
import type { File } from "./file.js";
import { StdioFile } from "./stdio_file.js";

/** The default soft RLIMIT_NOFILE (INR_OPEN_CUR). */
export const INR_OPEN_CUR = 1024;

export class FilesStruct {
  private readonly fds: (File | undefined)[] = [];
  private readonly cloexec = new Set<number>();

  /** An fd table for a new process whose fds 0, 1, 2 are sysgate's own stdin, stdout, stderr. */
  static withStdio(): FilesStruct {
    const files = new FilesStruct();
    for (const fd of [0, 1, 2]) files.installAt(fd, StdioFile.forHostFd(fd), false);
    return files;
  }

  /** fget: the file at `fd`, without taking a reference. */
  get(fd: number): File | undefined {
    return Number.isInteger(fd) && fd >= 0 ? this.fds[fd] : undefined;
  }

  /** fdget that fails like the syscalls do: EBADF for a closed or impossible fd. */
  fget(fd: number): File {
    const file = this.get(fd);
    if (!file) throw new Errno(E.EBADF);
    return file;
  }

  /**
   * get_unused_fd_flags + fd_install: puts `file` (whose reference the table takes over) at
   * the lowest free fd >= `minFd`. EMFILE when none is below `limit` (RLIMIT_NOFILE).
   */
  install(file: File, cloexec = false, minFd = 0, limit = INR_OPEN_CUR): number {
    if (minFd >= limit) throw new Errno(E.EINVAL);
    let fd = minFd;
    while (this.fds[fd] !== undefined) fd++;
    if (fd >= limit) throw new Errno(E.EMFILE);
    this.installAt(fd, file, cloexec);
    return fd;
  }

  /** do_dup2's replace_fd: puts `file` at `fd`, closing what was there. */
  installAt(fd: number, file: File, cloexec: boolean): void {
    const old = this.fds[fd];
    this.fds[fd] = file;
    this.setCloexec(fd, cloexec);
    old?.fput();
  }

  /** close_fd: EBADF if nothing is open at `fd`. */
  close(fd: number): void {
    const file = this.fget(fd);
    this.fds[fd] = undefined;
    this.cloexec.delete(fd);
    while (this.fds.length > 0 && this.fds[this.fds.length - 1] === undefined) this.fds.length--;
    file.fput();
  }

  /** dup / F_DUPFD: the same open file at the lowest free fd >= `minFd`. */
  dup(oldFd: number, minFd = 0, cloexec = false, limit = INR_OPEN_CUR): number {
    const file = this.fget(oldFd);
    return this.install(file.getFile(), cloexec, minFd, limit);
  }

  /** dup2 / dup3: the same open file at exactly `newFd` (closing what was there). */
  dup2(oldFd: number, newFd: number, cloexec = false, limit = INR_OPEN_CUR): number {
    const file = this.fget(oldFd);
    if (newFd < 0 || newFd >= limit) throw new Errno(E.EBADF);
    this.installAt(newFd, file.getFile(), cloexec);
    return newFd;
  }

  getCloexec(fd: number): boolean {
    this.fget(fd);
    return this.cloexec.has(fd);
  }

  setCloexec(fd: number, on: boolean): void {
    if (on) this.cloexec.add(fd);
    else this.cloexec.delete(fd);
  }

  /** The open fds, lowest first. */
  openFds(): number[] {
    const out: number[] = [];
    this.fds.forEach((f, fd) => { if (f) out.push(fd); });
    return out;
  }

  /** do_close_on_exec: execve closes every fd marked close-on-exec. */
  closeOnExec(): void {
    for (const fd of [...this.cloexec]) if (this.fds[fd]) this.close(fd);
  }

  /** dup_fd: fork's copy of the table; both tables reference the same open files. */
  copy(): FilesStruct {
    const copy = new FilesStruct();
    this.fds.forEach((f, fd) => { if (f) copy.installAt(fd, f.getFile(), this.cloexec.has(fd)); });
    return copy;
  }

  /** exit_files / put_files_struct: every fd closed. */
  closeAll(): void {
    for (const fd of this.openFds()) this.close(fd);
  }
}
