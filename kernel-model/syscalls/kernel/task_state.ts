// Per-thread registrations glibc and musl make at start-up: set_tid_address (kernel/fork.c),
// set_robust_list (kernel/futex/syscalls.c), rseq (kernel/rseq.c), and the futex calls a single
// thread can make.

import { E } from "../../errno.js";
import type { SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_CMD_MASK = ~(128 | 256);
const RSEQ_FLAG_UNREGISTER = 1;

export const taskStateFamily: SyscallFamily = {
  sys_set_tid_address: (ctx, a) => {
    ctx.task.clearChildTid = a[0];
    return ctx.task.pid;
  },
  sys_set_robust_list: (ctx, a) => {
    const expected = ctx.abi === "x86_64" ? 24n : 12n; // sizeof(struct robust_list_head)
    if (a[1] !== expected) return -E.EINVAL;
    ctx.task.robustList = { head: a[0], len: a[1] };
    return 0;
  },
  sys_get_robust_list: (ctx, a) => {
    if (int(a[0]) !== 0 && int(a[0]) !== ctx.task.pid) return -E.ESRCH;
    const w = ctx.abi === "x86_64" ? 8 : 4;
    const head = Buffer.alloc(w), len = Buffer.alloc(w);
    if (w === 8) { head.writeBigUInt64LE(ctx.task.robustList.head); len.writeBigUInt64LE(ctx.task.robustList.len); }
    else { head.writeUInt32LE(Number(ctx.task.robustList.head)); len.writeUInt32LE(Number(ctx.task.robustList.len)); }
    ctx.mem.write(a[1], head);
    ctx.mem.write(a[2], len);
    return 0;
  },
  sys_rseq: (ctx, a) => {
    const addr = a[0], len = uint(a[1]), flags = int(a[2]), sig = uint(a[3]);
    if (flags & RSEQ_FLAG_UNREGISTER) {
      if (ctx.task.rseq.addr !== addr) return -E.EINVAL;
      ctx.task.rseq = { addr: 0n, len: 0, sig: 0 };
      return 0;
    }
    if (ctx.task.rseq.addr) return ctx.task.rseq.addr === addr && ctx.task.rseq.sig === sig ? -E.EBUSY : -E.EINVAL;
    if (len < 32 || (addr & 31n) !== 0n) return -E.EINVAL;
    ctx.task.rseq = { addr, len, sig };
    // rseq_set_ids(): the kernel fills cpu_id_start / cpu_id before returning to user space.
    const ids = Buffer.alloc(8);
    ids.writeUInt32LE(0, 0);
    ids.writeInt32LE(0, 4);
    ctx.mem.write(addr, ids);
    return 0;
  },
  sys_futex: (ctx, a) => {
    const op = int(a[1]) & FUTEX_CMD_MASK;
    if (op === FUTEX_WAKE) return 0; // nobody else is waiting in a single-threaded guest
    if (op === FUTEX_WAIT) {
      const cur = ctx.mem.read(a[0], 4).readUInt32LE(0);
      // the value changed: EAGAIN as Linux; otherwise this thread would sleep forever
      return cur !== uint(a[2]) ? -E.EAGAIN : -E.EDEADLK;
    }
    return -E.ENOSYS;
  },
  // i386's futex entry (the time32 one; futex_time64 is sys_futex): the same operations, a 32-bit timespec
  sys_futex_time32: (ctx, a) => taskStateFamily.sys_futex(ctx, a),
};
