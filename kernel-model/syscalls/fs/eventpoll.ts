// fs/eventpoll.c, the syscalls: epoll_create / epoll_create1 make an instance, epoll_ctl adds,
// changes and removes watched descriptors, epoll_wait / epoll_pwait / epoll_pwait2 collect ready
// events, sleeping on the instance's queue until one comes, a timeout, or a signal (EINTR:
// epoll_wait is never restarted after a handler). The instance itself is kernel-model/fs/eventpoll.ts.

import { E, Errno } from "../../errno.js";
import { POLLERR, POLLHUP, POLLIN, POLLOUT } from "../../uapi/asm-generic/poll.js";
import { EPOLL_ALWAYS, EventPoll } from "../../fs/eventpoll.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { readTimespec } from "../kernel/time.js";
import { fdget, rlimitNofile } from "./getname.js";
import { waitOrTimeout, withSigmask, type Timeout } from "./select.js";
import { EPOLLET, EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD } from "../../uapi/linux/eventpoll.js";

/** struct epoll_event {__u32 events; __u64 data} is packed on x86-64, and 12 bytes on i386 too. */
export const EPOLL_EVENT_SIZE = 12;
/** EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event). */
const EP_MAX_EVENTS = Math.floor(0x7fffffff / EPOLL_EVENT_SIZE);
/** What EPOLLEXCLUSIVE may be combined with (EPOLLEXCLUSIVE_OK_BITS). */
const EPOLLEXCLUSIVE_OK_BITS = POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

function doEpollCreate(ctx: SyscallContext, flags: number): number {
  if (flags & ~EPOLL_CLOEXEC) throw new Errno(E.EINVAL);
  return ctx.task.files.install(new EventPoll(0), (flags & EPOLL_CLOEXEC) !== 0, 0, rlimitNofile(ctx));
}

/** The epoll instance at `epfd`: EBADF if nothing is open there, EINVAL if it is another kind of file. */
function epollAt(ctx: SyscallContext, epfd: number): EventPoll {
  const f = fdget(ctx, epfd);
  if (!(f instanceof EventPoll)) throw new Errno(E.EINVAL);
  return f;
}

/** do_epoll_ctl, its checks in the kernel's order. */
function doEpollCtl(ctx: SyscallContext, epfd: number, op: number, fd: number, eventAddr: bigint): number {
  let events = 0, data = 0n;
  if (op !== EPOLL_CTL_DEL) {
    const b = ctx.mem.read(eventAddr, EPOLL_EVENT_SIZE);
    events = b.readUInt32LE(0);
    data = b.readBigUInt64LE(4);
  }
  const epFile = fdget(ctx, epfd);
  const file = fdget(ctx, fd);
  // the target must support poll (regular files and /dev/null do not)
  if (!file.poll) throw new Errno(E.EPERM);
  if (!(epFile instanceof EventPoll) || file === epFile) throw new Errno(E.EINVAL);
  const ep = epFile;
  if (op !== EPOLL_CTL_DEL && events & EPOLLEXCLUSIVE) {
    if (op === EPOLL_CTL_MOD) throw new Errno(E.EINVAL);
    if (file instanceof EventPoll || events & ~EPOLLEXCLUSIVE_OK_BITS) throw new Errno(E.EINVAL);
  }
  // adding an epoll file that (through others) watches this one would make a loop
  if (op === EPOLL_CTL_ADD && file instanceof EventPoll && file.reaches(ep)) throw new Errno(E.ELOOP);
  const item = ep.find(file, fd);
  switch (op) {
    case EPOLL_CTL_ADD:
      if (item) throw new Errno(E.EEXIST);
      ep.insert(fd, file, events | EPOLL_ALWAYS, data);
      return 0;
    case EPOLL_CTL_DEL:
      if (!item) throw new Errno(E.ENOENT);
      ep.remove(item);
      return 0;
    case EPOLL_CTL_MOD:
      if (!item) throw new Errno(E.ENOENT);
      if (item.events & EPOLLEXCLUSIVE) throw new Errno(E.EINVAL);
      ep.modify(item, events | EPOLL_ALWAYS, data);
      return 0;
    default:
      throw new Errno(E.EINVAL);
  }
}

/** do_epoll_wait / ep_poll: what is ready now, else sleep on the instance until the timeout. */
function doEpollWait(ctx: SyscallContext, epfd: number, eventsAddr: bigint, maxevents: number, timeout: Timeout): number {
  if (maxevents <= 0 || maxevents > EP_MAX_EVENTS) throw new Errno(E.EINVAL);
  const ep = epollAt(ctx, epfd);
  const files = ctx.task.files;
  const got = ep.sendEvents(maxevents, (item) => files.get(item.fd) === item.file);
  if (got.length === 0) {
    waitOrTimeout(ctx, timeout, [ep.wq], "epoll_wait");
    return 0; // the timeout ran out
  }
  const b = Buffer.alloc(got.length * EPOLL_EVENT_SIZE);
  got.forEach((e, i) => {
    b.writeUInt32LE(e.events >>> 0, i * EPOLL_EVENT_SIZE);
    b.writeBigUInt64LE(e.data, i * EPOLL_EVENT_SIZE + 4);
  });
  ctx.mem.write(eventsAddr, b);
  return got.length;
}

/** epoll_wait's timeout in milliseconds: negative waits forever. */
const msTimeout = (ms: number): Timeout => (ms < 0 ? undefined : BigInt(ms) * 1_000_000n);

export const eventpollSyscalls: SyscallFamily = {
  sys_epoll_create: (ctx, a) => {
    if (int(a[0]) <= 0) throw new Errno(E.EINVAL);
    return doEpollCreate(ctx, 0);
  },
  sys_epoll_create1: (ctx, a) => doEpollCreate(ctx, int(a[0])),
  sys_epoll_ctl: (ctx, a) => doEpollCtl(ctx, int(a[0]), int(a[1]), int(a[2]), a[3]),
  sys_epoll_wait: (ctx, a) => doEpollWait(ctx, int(a[0]), a[1], int(a[2]), msTimeout(int(a[3]))),
  sys_epoll_pwait: (ctx, a) =>
    withSigmask(ctx, a[4], a[5], () => doEpollWait(ctx, int(a[0]), a[1], int(a[2]), msTimeout(int(a[3])))),
  // epoll_pwait2 takes a struct __kernel_timespec (64-bit fields on both ABIs), NULL for no timeout
  sys_epoll_pwait2: (ctx, a) => {
    const timeout = a[3] ? readTimespec(ctx, a[3], true) : undefined;
    return withSigmask(ctx, a[4], a[5], () => doEpollWait(ctx, int(a[0]), a[1], int(a[2]), timeout));
  },
};
