// fs/signalfd.c: signals read through a file descriptor. read(2) dequeues the reader's pending
// signals that are in the file's mask (normally blocked, so no handler takes them first) as
// struct signalfd_siginfo records of 128 bytes, sleeping while there is none (EAGAIN with
// SFD_NONBLOCK); poll/select see the file readable while one is pending. As in Linux, the
// signals are those of whoever reads or polls, not of the process that made the file.

import { E, Errno } from "../../errno.js";
import { AnonInodeFile } from "../../fs/anon_inodes.js";
import { O_CLOEXEC, O_NONBLOCK } from "../../uapi/asm-generic/fcntl.js";
import { SIGKILL, SIGSTOP } from "../../uapi/asm/signal.js";
import { dequeue, pendingSignals, sigmask } from "../../sched/signal.js";
import type { Scheduler } from "../../sched/scheduler.js";
import type { SigInfo, Task } from "../../sched/task.js";
import { WouldBlock, type WaitQueue } from "../../sched/wait.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { rlimitNofile } from "./getname.js";
import { POLLIN, POLLRDNORM } from "../../uapi/asm-generic/poll.js";

export const SFD_CLOEXEC = O_CLOEXEC, SFD_NONBLOCK = O_NONBLOCK;
const SIGNALFD_SIGINFO_SIZE = 128;

/** The lowest pending signal of `task` in `mask`, or 0. */
function nextIn(task: Task, mask: bigint): number {
  const ready = pendingSignals(task) & mask; // the thread's own signals and its process's
  if (!ready) return 0;
  for (let sig = 1; sig <= 64; sig++) if (ready & sigmask(sig)) return sig;
  return 0;
}

/** signalfd_copyinfo: the kernel's siginfo as struct signalfd_siginfo (one layout on both ABIs). */
function signalfdSiginfo(info: SigInfo): Buffer {
  const b = Buffer.alloc(SIGNALFD_SIGINFO_SIZE);
  b.writeUInt32LE(info.signo, 0); // ssi_signo
  b.writeInt32LE(info.code, 8); // ssi_code
  if (info.timer) {
    b.writeUInt32LE(info.timer.id >>> 0, 24); // ssi_tid
    b.writeUInt32LE(info.timer.overrun >>> 0, 32); // ssi_overrun
    b.writeInt32LE(Number(BigInt.asIntN(32, info.timer.value)), 44); // ssi_int
    b.writeBigUInt64LE(info.timer.value, 48); // ssi_ptr
  } else if (info.addr !== undefined) {
    b.writeBigUInt64LE(info.addr, 72); // ssi_addr
  } else {
    b.writeUInt32LE(info.pid >>> 0, 12); // ssi_pid
    b.writeUInt32LE(info.uid >>> 0, 16); // ssi_uid
    if (info.status !== undefined) b.writeInt32LE(info.status, 40); // ssi_status
  }
  return b;
}

export class SignalfdFile extends AnonInodeFile {
  /** `sched`: whose `current` task reads (f_op->read has no task parameter: Linux uses current too). */
  constructor(public sigmask: bigint, flags: number, private readonly sched: Scheduler) {
    super("[signalfd]", flags);
  }

  override read(dst: Buffer): number {
    const task = this.sched.current;
    if (!task) throw new Errno(E.EINVAL);
    const room = Math.floor(dst.length / SIGNALFD_SIGINFO_SIZE);
    if (!room) throw new Errno(E.EINVAL);
    let n = 0;
    for (; n < room; n++) {
      const sig = nextIn(task, this.sigmask);
      if (!sig) break;
      signalfdSiginfo(dequeue(task, sig)).copy(dst, n * SIGNALFD_SIGINFO_SIZE);
    }
    if (n) return n * SIGNALFD_SIGINFO_SIZE;
    if (this.flags & O_NONBLOCK) throw new Errno(E.EAGAIN);
    throw new WouldBlock([task.signalfdWqh], "signalfd");
  }

  pollMask(task?: Task): number {
    return task && nextIn(task, this.sigmask) ? POLLIN | POLLRDNORM : 0;
  }

  pollQueues(task?: Task): WaitQueue[] {
    return task ? [task.signalfdWqh] : [];
  }
}

function doSignalfd4(ctx: SyscallContext, fd: number, maskAddr: bigint, size: bigint, flags: number): number {
  if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) return -E.EINVAL;
  if (size !== 8n) return -E.EINVAL; // sizeof(sigset_t)
  const mask = ctx.mem.read(maskAddr, 8).readBigUInt64LE(0) & ~(sigmask(SIGKILL) | sigmask(SIGSTOP));
  if (fd === -1) {
    const f = new SignalfdFile(mask, flags & SFD_NONBLOCK, ctx.task.kernel.sched);
    try {
      return ctx.task.files.install(f, (flags & SFD_CLOEXEC) !== 0, 0, rlimitNofile(ctx));
    } catch (e) {
      f.fput();
      throw e;
    }
  }
  const f = ctx.task.files.get(fd);
  if (!f) return -E.EBADF;
  if (!(f instanceof SignalfdFile)) return -E.EINVAL;
  f.sigmask = mask;
  ctx.task.signalfdWqh.wake(); // a sleeper may now have something to read
  return fd;
}

export const signalfdSyscalls: SyscallFamily = {
  sys_signalfd4: (ctx, a) => doSignalfd4(ctx, int(a[0]), a[1], a[2], int(a[3])),
  sys_signalfd: (ctx, a) => doSignalfd4(ctx, int(a[0]), a[1], a[2], 0),
};

/** The compat column's names for the same routines (the sigset is 8 bytes on both ABIs). */
export const signalfdCompat: SyscallFamily = {
  compat_sys_signalfd4: signalfdSyscalls.sys_signalfd4,
  compat_sys_signalfd: signalfdSyscalls.sys_signalfd,
};
