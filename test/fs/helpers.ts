// Test scaffolding for the file service routines: a fake UserMemory over one Buffer, a task
// with its own fd table and fs_struct, and a way to call a routine as the dispatcher does
// (an Errno thrown becomes -errno).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Errno, E } from "../../kernel-model/errno.js";
import { FilesStruct } from "../../kernel-model/fs/files_struct.js";
import { FsStruct } from "../../kernel-model/fs/fs_struct.js";
import { Vfs, type VfsOptions } from "../../kernel-model/fs/vfs.js";
import { procTask } from "../../kernel-model/fs/proc/task_view.js";
import type { Kernel } from "../../kernel-model/kernel.js";
import { Scheduler } from "../../kernel-model/sched/scheduler.js";
import { Task } from "../../kernel-model/sched/task.js";
import { fsSyscalls } from "../../kernel-model/syscalls/fs/index.js";
import type { SyscallArgs, SyscallContext } from "../../kernel-model/syscalls/types.js";
import type { UserMemory } from "../../kernel-model/mm/uaccess.js";
import type { Abi } from "../../kernel-model/uapi/abi.js";

/** User memory at [base, base + size): anything outside is EFAULT, like an unmapped page. */
export class FakeMemory implements UserMemory {
  readonly buf: Buffer;
  private next: bigint;
  constructor(readonly base = 0x10000n, size = 1 << 20) {
    this.buf = Buffer.alloc(size);
    this.next = base;
  }
  private offset(addr: bigint, len: number): number {
    if (addr < this.base || addr + BigInt(len) > this.base + BigInt(this.buf.length)) throw new Errno(E.EFAULT);
    return Number(addr - this.base);
  }
  read(addr: bigint, len: number): Buffer {
    const o = this.offset(addr, len);
    return Buffer.from(this.buf.subarray(o, o + len));
  }
  write(addr: bigint, data: Uint8Array): void {
    this.buf.set(data, this.offset(addr, data.length));
  }
  readCString(addr: bigint, max = 4096): Buffer {
    const o = this.offset(addr, 1);
    const end = this.buf.indexOf(0, o);
    if (end < 0) throw new Errno(E.EFAULT);
    if (end - o > max) throw new Errno(E.ENAMETOOLONG);
    return Buffer.from(this.buf.subarray(o, end));
  }
  /** Reserves `n` zeroed bytes (8-aligned) and returns their address. */
  alloc(n: number): bigint {
    const addr = this.next;
    this.next += BigInt((n + 7) & ~7);
    this.offset(addr, n);
    return addr;
  }
  /** A NUL-terminated copy of `s` in user memory. */
  str(s: string | Buffer): bigint {
    const b = Buffer.concat([Buffer.isBuffer(s) ? s : Buffer.from(s), Buffer.from([0])]);
    const addr = this.alloc(b.length);
    this.write(addr, b);
    return addr;
  }
}

export interface TestMachine {
  ctx: SyscallContext;
  mem: FakeMemory;
  task: Task;
  vfs: Vfs;
  /** Calls fsSyscalls[name] with raw register values; returns the value for regs->ax (-errno on failure). */
  sys(name: string, ...args: (number | bigint)[]): bigint;
}

/** `exe`: the program the task runs, for /proc/<pid>/exe. */
export function machine(abi: Abi, opts: Omit<VfsOptions, "getRandomBytes"> & { exe?: { hostPath: string; guestPath: string }; getRandomBytes?: unknown }, pid = 100): TestMachine {
  // A fixed "entropy source", wired into the Vfs as the kernel would wire its own.
  const getRandomBytes = (b: Buffer): void => { for (let i = 0; i < b.length; i++) b[i] = (i * 7 + 1) & 0xff; };
  const vfs = new Vfs({ ...opts, getRandomBytes });
  const kernel: Kernel = {
    vfs,
    getRandomBytes,
    realtimeNs: () => 1_700_000_000_000_000_000n,
    monotonicNs: () => 0n,
    utsname: { sysname: "Linux", nodename: "sysgate", release: "6.1.0", version: "#1", machine: abi === "x86_64" ? "x86_64" : "i686", domainname: "(none)" },
    warn: () => {},
  };
  const cred = { uid: 0, gid: 0, euid: 0, egid: 0, suid: 0, sgid: 0, fsuid: 0, fsgid: 0 };
  const task = new Task(kernel, abi, {} as never, FilesStruct.withStdio(), new FsStruct(vfs.initialCwd), cred, { pid, ppid: 1 }, "test");
  if (opts.exe) task.exe = opts.exe;
  // the process table holds this one task (lookups of other pids find none)
  const sched = new Scheduler(pid);
  sched.tasks.set(pid, task);
  Object.assign(kernel, { sched });
  // procfs sees this one task (no mm: the test machine has no address space).
  const view = () => ({ ...procTask(task), mm: undefined });
  vfs.proc = { tasks: () => [view()], task: (p) => (p === task.tgid ? view() : undefined), monotonicNs: () => 0n, realtimeNs: () => 0n, memory: () => ({ total: 0, used: 0 }) };
  const mem = new FakeMemory();
  const ctx: SyscallContext = { abi, task, mem, exit: () => { throw new Error("exit"); } };
  const width = abi === "x86_64" ? 64 : 32;
  const sys = (name: string, ...args: (number | bigint)[]): bigint => {
    const impl = fsSyscalls[name];
    if (!impl) throw new Error(`no ${name}`);
    const regs = [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(width, BigInt(args[i] ?? 0))) as unknown as SyscallArgs;
    try {
      return BigInt(impl(ctx, regs));
    } catch (err) {
      if (err instanceof Errno) return BigInt(-err.errno);
      throw err;
    }
  };
  return { ctx, mem, task, vfs, sys };
}

/** A fresh directory under the host's temporary directory, resolved (no symlinks in it). */
export function tmpdir(prefix = "sysgate-fs-"): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export const AT_FDCWD = -100;
