// fs/timerfd.c: a timer read through a file descriptor. Each expiry adds to a count; read(2)
// returns the count as a u64 and clears it (sleeping while it is 0, or EAGAIN with
// TFD_NONBLOCK), and poll/select see the file readable while it is not 0.

import { E, Errno } from "../../errno.js";
import { AnonInodeFile } from "../../fs/anon_inodes.js";
import { O_CLOEXEC, O_NONBLOCK } from "../../uapi/asm-generic/fcntl.js";
import type { File } from "../../fs/file.js";
import type { Task } from "../../sched/task.js";
import { WaitQueue, WouldBlock } from "../../sched/wait.js";
import { KTimer, putItimerspec, readItimerspec } from "../kernel/posix_timers.js";
import type { SyscallArgs, SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { rlimitNofile } from "./getname.js";
import { POLLIN, POLLRDNORM } from "../../uapi/asm-generic/poll.js";
import { TIMER_ABSTIME } from "../../uapi/linux/time.js";

export const TFD_TIMER_ABSTIME = TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET = 2;
export const TFD_CLOEXEC = O_CLOEXEC, TFD_NONBLOCK = O_NONBLOCK;
/** Clocks timerfd accepts: REALTIME, MONOTONIC, BOOTTIME and their _ALARM variants. */
const TIMERFD_CLOCKS = new Set([0, 1, 7, 8, 9]);

export class TimerfdFile extends AnonInodeFile {
  /** ctx->ticks */
  ticks = 0n;
  readonly wqh = new WaitQueue();
  readonly timer: KTimer;

  constructor(task: Task, clock: number, flags: number) {
    super("[timerfd]", flags);
    this.timer = new KTimer(task, clock, (overruns) => {
      this.ticks += 1n + BigInt(overruns);
      this.wqh.wake();
    }, false);
  }

  override read(dst: Buffer): number {
    if (dst.length < 8) throw new Errno(E.EINVAL);
    if (this.ticks === 0n) {
      if (this.flags & O_NONBLOCK) throw new Errno(E.EAGAIN);
      throw new WouldBlock([this.wqh], "timerfd");
    }
    dst.writeBigUInt64LE(this.ticks, 0);
    this.ticks = 0n;
    return 8;
  }

  pollMask(): number {
    return this.ticks ? POLLIN | POLLRDNORM : 0;
  }

  pollQueues(): WaitQueue[] {
    return [this.wqh];
  }

  protected override release(): void {
    this.timer.cancel();
  }
}

function timerfdOf(ctx: SyscallContext, fd: number): TimerfdFile {
  const f: File | undefined = ctx.task.files.get(fd);
  if (!f) throw new Errno(E.EBADF);
  if (!(f instanceof TimerfdFile)) throw new Errno(E.EINVAL);
  return f;
}

function settime(ctx: SyscallContext, a: SyscallArgs, wide: boolean): number {
  const flags = int(a[1]);
  if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -E.EINVAL;
  const v = readItimerspec(ctx, a[2], wide);
  const f = timerfdOf(ctx, int(a[0]));
  f.ticks = 0n; // timerfd_setup: a new setting forgets the expiries not yet read
  const old = f.timer.set(v.value, v.interval, (flags & TFD_TIMER_ABSTIME) !== 0);
  if (a[3] !== 0n) putItimerspec(ctx, a[3], old, wide);
  return 0;
}

export const timerfdSyscalls: SyscallFamily = {
  sys_timerfd_create: (ctx, a) => {
    const clock = int(a[0]), flags = int(a[1]);
    if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) return -E.EINVAL;
    if (!TIMERFD_CLOCKS.has(clock)) return -E.EINVAL;
    const f = new TimerfdFile(ctx.task, clock, flags & TFD_NONBLOCK);
    try {
      return ctx.task.files.install(f, (flags & TFD_CLOEXEC) !== 0, 0, rlimitNofile(ctx));
    } catch (e) {
      f.fput();
      throw e;
    }
  },
  sys_timerfd_settime: (ctx, a) => settime(ctx, a, true),
  sys_timerfd_settime32: (ctx, a) => settime(ctx, a, false),
  sys_timerfd_gettime: (ctx, a) => { putItimerspec(ctx, a[1], timerfdOf(ctx, int(a[0])).timer.get(), true); return 0; },
  sys_timerfd_gettime32: (ctx, a) => { putItimerspec(ctx, a[1], timerfdOf(ctx, int(a[0])).timer.get(), false); return 0; },
};
