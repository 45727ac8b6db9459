// kernel/signal.c: the signal state a task keeps. Handlers are recorded and reported back as
// Linux does; delivery is not modelled yet, so a handler never runs.

import { E } from "../../errno.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";

const SIGKILL = 9, SIGSTOP = 19, _NSIG = 64;
const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));

/**
 * struct sigaction as the kernel reads it: x86-64 {handler, flags(8), restorer, mask(8)};
 * i386's rt_sigaction {handler, flags(4), restorer, mask(8)}.
 */
function readSigaction(ctx: SyscallContext, addr: bigint) {
  if (ctx.abi === "x86_64") {
    const b = ctx.mem.read(addr, 32);
    return { handler: b.readBigUInt64LE(0), flags: b.readBigUInt64LE(8), restorer: b.readBigUInt64LE(16), mask: b.readBigUInt64LE(24) };
  }
  const b = ctx.mem.read(addr, 20);
  return { handler: BigInt(b.readUInt32LE(0)), flags: BigInt(b.readUInt32LE(4)), restorer: BigInt(b.readUInt32LE(8)), mask: b.readBigUInt64LE(12) };
}

function writeSigaction(ctx: SyscallContext, addr: bigint, s: { handler: bigint; flags: bigint; restorer: bigint; mask: bigint }) {
  if (ctx.abi === "x86_64") {
    const b = Buffer.alloc(32);
    b.writeBigUInt64LE(s.handler, 0); b.writeBigUInt64LE(s.flags, 8); b.writeBigUInt64LE(s.restorer, 16); b.writeBigUInt64LE(s.mask, 24);
    ctx.mem.write(addr, b);
  } else {
    const b = Buffer.alloc(20);
    b.writeUInt32LE(Number(s.handler), 0); b.writeUInt32LE(Number(s.flags), 4); b.writeUInt32LE(Number(s.restorer), 8); b.writeBigUInt64LE(s.mask, 12);
    ctx.mem.write(addr, b);
  }
}

export const signalFamily: SyscallFamily = {
  sys_rt_sigaction: (ctx, a) => {
    const sig = int(a[0]);
    if (a[3] !== 8n) return -E.EINVAL; // sigsetsize
    if (sig < 1 || sig > _NSIG) return -E.EINVAL;
    const act = a[1] !== 0n ? readSigaction(ctx, a[1]) : undefined;
    if (act && (sig === SIGKILL || sig === SIGSTOP)) return -E.EINVAL;
    const old = ctx.task.sigactions.get(sig) ?? { handler: 0n, flags: 0n, restorer: 0n, mask: 0n };
    if (a[2] !== 0n) writeSigaction(ctx, a[2], old);
    if (act) ctx.task.sigactions.set(sig, { ...act, mask: act.mask & ~UNBLOCKABLE });
    return 0;
  },
  sys_rt_sigprocmask: (ctx, a) => {
    if (a[3] !== 8n) return -E.EINVAL;
    const old = ctx.task.blocked;
    if (a[1] !== 0n) {
      const set = ctx.mem.read(a[1], 8).readBigUInt64LE(0);
      const how = int(a[0]);
      if (how === SIG_BLOCK) ctx.task.blocked |= set;
      else if (how === SIG_UNBLOCK) ctx.task.blocked &= ~set;
      else if (how === SIG_SETMASK) ctx.task.blocked = set;
      else return -E.EINVAL;
      ctx.task.blocked &= ~UNBLOCKABLE;
    }
    if (a[2] !== 0n) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(old);
      ctx.mem.write(a[2], b);
    }
    return 0;
  },
  sys_sigaltstack: (ctx, a) => {
    // stack_t {ss_sp, ss_flags(int), ss_size}: report "disabled" and accept a new one
    if (a[1] !== 0n) {
      const b = Buffer.alloc(ctx.abi === "x86_64" ? 24 : 12);
      b.writeUInt32LE(2 /* SS_DISABLE */, ctx.abi === "x86_64" ? 8 : 4);
      ctx.mem.write(a[1], b);
    }
    return 0;
  },
};
