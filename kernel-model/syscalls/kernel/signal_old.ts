// The old signal calls i386 keeps for programs older than the rt_ ones (kernel/signal.c:
// sigaction, sigprocmask, sigsuspend, sigpending, signal, sgetmask, ssetmask). They take the
// old 32-bit sigset (signals 1..32 only) and struct old_sigaction {handler, mask, flags,
// restorer}; klibc and dietlibc still use them. The state is the rt_ calls' own (Task.blocked,
// Task.sigactions).

import { E } from "../../errno.js";
import { ERESTARTNOHAND, pendingSignals, setSigaction, signalPending, sigmask } from "../../sched/signal.js";
import { WouldBlock } from "../../sched/wait.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";
import { SA_NODEFER, SA_RESETHAND } from "../../uapi/asm-generic/signal-defs.js";
import { _NSIG, SIGKILL, SIGSTOP } from "../../uapi/asm/signal.js";

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
const UNBLOCKABLE = sigmask(SIGKILL) | sigmask(SIGSTOP);
const LOW32 = 0xffffffffn;

function putU32(ctx: SyscallContext, addr: bigint, v: bigint): void {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(Number(v & LOW32));
  ctx.mem.write(addr, b);
}

export const signalOldFamily: SyscallFamily = {
  /** struct old_sigaction {handler, old_sigset_t mask, flags, restorer}: the mask covers signals 1..32. */
  sys_sigaction: (ctx, a) => {
    const sig = int(a[0]);
    if (sig < 1 || sig > _NSIG) return -E.EINVAL;
    let act;
    if (a[1] !== 0n) {
      const b = ctx.mem.read(a[1], 16);
      act = { handler: BigInt(b.readUInt32LE(0)), mask: BigInt(b.readUInt32LE(4)), flags: BigInt(b.readUInt32LE(8)), restorer: BigInt(b.readUInt32LE(12)) };
      if (sig === SIGKILL || sig === SIGSTOP) return -E.EINVAL;
    }
    const old = ctx.task.sigactions.get(sig) ?? { handler: 0n, flags: 0n, restorer: 0n, mask: 0n };
    if (a[2] !== 0n) {
      const b = Buffer.alloc(16);
      b.writeUInt32LE(Number(old.handler & LOW32), 0);
      b.writeUInt32LE(Number(old.mask & LOW32), 4);
      b.writeUInt32LE(Number(old.flags & LOW32), 8);
      b.writeUInt32LE(Number(old.restorer & LOW32), 12);
      ctx.mem.write(a[2], b);
    }
    if (act) setSigaction(ctx.task, sig, { ...act, mask: act.mask & ~UNBLOCKABLE });
    return 0;
  },
  /** Only the low 32 signals change; the others keep their state. */
  sys_sigprocmask: (ctx, a) => {
    const t = ctx.task;
    const old = t.blocked;
    if (a[1] !== 0n) {
      const set = BigInt(ctx.mem.read(a[1], 4).readUInt32LE(0));
      switch (int(a[0])) {
        case SIG_BLOCK: t.blocked |= set; break;
        case SIG_UNBLOCK: t.blocked &= ~set; break;
        case SIG_SETMASK: t.blocked = (t.blocked & ~LOW32) | set; break;
        default: return -E.EINVAL;
      }
      t.blocked &= ~UNBLOCKABLE;
    }
    if (a[2] !== 0n) putU32(ctx, a[2], old);
    return 0;
  },
  sys_sigpending: (ctx, a) => {
    putU32(ctx, a[0], pendingSignals(ctx.task) & ctx.task.blocked);
    return 0;
  },
  /** sigsuspend(int unused1, int unused2, old_sigset_t mask): the mask is the third argument. */
  sys_sigsuspend: (ctx, a) => {
    const t = ctx.task;
    const mask = ((t.blocked & ~LOW32) | BigInt(uint(a[2]))) & ~UNBLOCKABLE;
    t.savedSigmask ??= t.blocked;
    t.blocked = mask;
    if (signalPending(t, mask)) return -ERESTARTNOHAND; // the signal is delivered on the way out (then EINTR)
    throw new WouldBlock([t.signalWait], "sigsuspend");
  },
  /** signal(): a one-shot handler that does not block its own signal (SA_ONESHOT | SA_NOMASK); returns the old handler. */
  sys_signal: (ctx, a) => {
    const sig = int(a[0]);
    if (sig < 1 || sig > _NSIG || sig === SIGKILL || sig === SIGSTOP) return -E.EINVAL;
    const old = ctx.task.sigactions.get(sig)?.handler ?? 0n;
    setSigaction(ctx.task, sig, { handler: a[1] & LOW32, flags: SA_RESETHAND | SA_NODEFER, restorer: 0n, mask: 0n });
    return old;
  },
  sys_sgetmask: (ctx) => ctx.task.blocked & LOW32,
  sys_ssetmask: (ctx, a) => {
    const t = ctx.task;
    const old = t.blocked & LOW32;
    t.blocked = ((t.blocked & ~LOW32) | BigInt(uint(a[0]))) & ~UNBLOCKABLE;
    return old;
  },
};

/** The compat column's names for the calls whose layouts differ on a 64-bit kernel. */
export const signalOldCompat: SyscallFamily = {
  compat_sys_sigaction: signalOldFamily.sys_sigaction,
  compat_sys_sigprocmask: signalOldFamily.sys_sigprocmask,
  compat_sys_sigpending: signalOldFamily.sys_sigpending,
};
