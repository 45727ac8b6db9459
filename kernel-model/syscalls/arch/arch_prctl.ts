// arch/x86/kernel/process_64.c: do_arch_prctl_64. The FS base is how x86-64 threads find their
// TLS; the model writes it straight into the CPU, which still holds the user's FS base while
// the kernel runs (the entry code only swaps GS).

import { E } from "../../errno.js";
import type { SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS } from "../../uapi/asm/prctl.js";

const TASK_SIZE_MAX = 0x7ffffffff000n;

export const archPrctlFamily: SyscallFamily = {
  sys_arch_prctl: (ctx, a) => {
    const code = int(a[0]);
    const put = (v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(v);
      ctx.mem.write(a[1], b);
      return 0;
    };
    switch (code) {
      case ARCH_SET_FS:
        if (a[1] >= TASK_SIZE_MAX) return -E.EPERM;
        ctx.cpu.set("fs_base", a[1]);
        return 0;
      case ARCH_SET_GS:
        if (a[1] >= TASK_SIZE_MAX) return -E.EPERM;
        // the user GS base is parked in KERNEL_GS_BASE until the exit path's swapgs
        ctx.cpu.wrmsr(0xc0000102, a[1]);
        return 0;
      case ARCH_GET_FS:
        return put(ctx.cpu.get("fs_base"));
      case ARCH_GET_GS:
        return put(ctx.cpu.rdmsr(0xc0000102));
      default:
        return -E.EINVAL;
    }
  },
};
