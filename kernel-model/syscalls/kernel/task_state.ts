// Per-thread registrations glibc and musl make at start-up: set_tid_address (kernel/fork.c),
// set_robust_list (kernel/futex/syscalls.c), rseq (kernel/rseq.c). futex itself is in futex.ts.

import { E } from "../../errno.js";
import type { SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";
import { abiLayout } from "../../uapi/abi.js";

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
    const layout = abiLayout(ctx.abi);
    layout.putLong(ctx.mem, a[1], ctx.task.robustList.head);
    layout.putLong(ctx.mem, a[2], ctx.task.robustList.len);
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
};
