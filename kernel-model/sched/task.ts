// task_struct: one guest thread of execution and the per-process state it points at.
// Fields are named after their Linux counterparts (include/linux/sched.h).

import type { MmStruct } from "../mm/mm_struct.js";
import type { FilesStruct } from "../fs/files_struct.js";
import type { FsStruct } from "../fs/fs_struct.js";
import type { Kernel } from "../kernel.js";
import type { Abi } from "../syscalls/types.js";

export interface Cred {
  uid: number; gid: number; euid: number; egid: number;
  suid: number; sgid: number; fsuid: number; fsgid: number;
}

export class Task {
  /** Thread id (what the kernel calls pid). */
  pid: number;
  /** Thread-group id (what user space calls pid). */
  tgid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  /** set_tid_address: cleared and futex-woken at exit. */
  clearChildTid = 0n;
  robustList = { head: 0n, len: 0n };
  rseq = { addr: 0n, len: 0, sig: 0 };
  /** rt_sigprocmask state: the blocked set, 64 bits. */
  blocked = 0n;
  /** rt_sigaction state, indexed by signal number (1..64): raw struct k_sigaction fields. */
  readonly sigactions = new Map<number, { handler: bigint; flags: bigint; restorer: bigint; mask: bigint }>();
  /** prlimit64 values, by RLIMIT_* resource number: [cur, max]. */
  readonly rlimits = new Map<number, [bigint, bigint]>();
  /** i386 TLS descriptors from set_thread_area (GDT entries 6..8). */
  readonly tls = new Map<number, Buffer>();
  umask = 0o022;

  constructor(
    readonly kernel: Kernel,
    readonly abi: Abi,
    public mm: MmStruct,
    public files: FilesStruct,
    public fs: FsStruct,
    readonly cred: Cred,
    ids: { pid: number; ppid: number },
    comm: string,
  ) {
    this.pid = this.tgid = this.pgid = this.sid = ids.pid;
    this.ppid = ids.ppid;
    this.comm = comm;
  }
}
