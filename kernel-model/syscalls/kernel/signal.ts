// kernel/signal.c: the signal syscalls: actions, masks, the alternate stack, sending (kill,
// tkill, tgkill), waiting (pause, rt_sigsuspend) and returning from a handler ((rt_)sigreturn).
// Delivery itself is in sched/signal.ts, on the way back to user mode.

import { E } from "../../errno.js";
import { ERESTARTNOHAND, dequeue, liveThreads, pendingSignals, restoreFrame, retargetSharedPending, setSigaction, sendGroupSignal, sendSignal, siginfoBytes, sigmask, signalPending } from "../../sched/signal.js";
import { waitOrTimeout } from "../fs/select.js";
import { readTimespec } from "./time.js";
import { WouldBlock } from "../../sched/wait.js";
import type { Task } from "../../sched/task.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { SI_TKILL, SI_USER } from "../../uapi/asm-generic/siginfo.js";
import { SA_NOCLDSTOP, SA_NOCLDWAIT, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_SIGINFO, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK } from "../../uapi/asm-generic/signal-defs.js";
import { _NSIG, SA_RESTORER, SIGKILL, SIGSTOP } from "../../uapi/asm/signal.js";
import { abiLayout } from "../../uapi/abi.js";

const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));
const SA_EXPOSE_TAGBITS = 0x800n;
const UAPI_SA_FLAGS = SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_RESETHAND |
  SA_EXPOSE_TAGBITS | SA_RESTORER;

/**
 * struct sigaction as the kernel reads it: {handler, flags, restorer} as unsigned longs of the
 * ABI, then the 64-bit mask (x86-64: 32 bytes; i386's rt_sigaction: 20).
 */
function readSigaction(ctx: SyscallContext, addr: bigint) {
  const l = abiLayout(ctx.abi), w = l.long;
  const b = ctx.mem.read(addr, 3 * w + 8);
  return { handler: l.readULong(b, 0), flags: l.readULong(b, w), restorer: l.readULong(b, 2 * w), mask: b.readBigUInt64LE(3 * w) };
}

function writeSigaction(ctx: SyscallContext, addr: bigint, s: { handler: bigint; flags: bigint; restorer: bigint; mask: bigint }) {
  const l = abiLayout(ctx.abi), w = l.long;
  const b = Buffer.alloc(3 * w + 8);
  l.writeLong(b, s.handler, 0); l.writeLong(b, s.flags, w); l.writeLong(b, s.restorer, 2 * w); b.writeBigUInt64LE(s.mask, 3 * w);
  ctx.mem.write(addr, b);
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
    // do_sigaction keeps only the flags it knows (UAPI_SA_FLAGS): a program probes for a flag by
    // setting it and reading the action back (SA_UNSUPPORTED)
    if (act) setSigaction(ctx.task, sig, { ...act, flags: act.flags & UAPI_SA_FLAGS, mask: act.mask & ~UNBLOCKABLE });
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
      // __set_task_blocked: the process's signals this thread now blocks go to another thread
      retargetSharedPending(ctx.task, ctx.task.blocked & ~old, (t) => ctx.task.kernel.sched.wake(t));
    }
    if (a[2] !== 0n) {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(old);
      ctx.mem.write(a[2], b);
    }
    return 0;
  },
  sys_sigaltstack: (ctx, a) => {
    // stack_t {ss_sp, ss_flags (int), ss_size}
    const l = abiLayout(ctx.abi), w = l.long, size = 3 * w; // the int is padded to a long
    const t = ctx.task;
    const old = { ...t.altStack };
    // sas_ss_flags: a caller running on the alternate stack (in a handler) sees SS_ONSTACK
    // and may not change it (EPERM)
    const sp = ctx.regs.get("sp");
    const onStack = old.flags !== 2 && sp > old.sp && sp - old.sp <= old.size;
    if (onStack) old.flags = 1; // SS_ONSTACK
    if (a[0] !== 0n) {
      if (onStack) return -E.EPERM;
      const b = ctx.mem.read(a[0], size);
      const sp = l.readULong(b, 0);
      const flags = b.readInt32LE(w);
      const ss = l.readULong(b, 2 * w);
      if (flags & ~(2 | 0x80000000)) return -E.EINVAL;
      if (!(flags & 2) && ss < 2048n) return -E.ENOMEM; // MINSIGSTKSZ
      t.altStack = flags & 2 ? { sp: 0n, flags: 2, size: 0n } : { sp, flags: 0, size: ss };
    }
    if (a[1] !== 0n) {
      const b = Buffer.alloc(size);
      l.writeLong(b, old.sp, 0); b.writeInt32LE(old.flags, w); l.writeLong(b, old.size, 2 * w);
      ctx.mem.write(a[1], b);
    }
    return 0;
  },
  sys_rt_sigpending: (ctx, a) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(pendingSignals(ctx.task) & ctx.task.blocked); // the thread's and the process's
    ctx.mem.write(a[0], b);
    return 0;
  },
  /** rt_sigsuspend: sleep with a temporary mask until a signal arrives. */
  sys_rt_sigsuspend: (ctx, a) => {
    const t = ctx.task;
    const mask = ctx.mem.read(a[0], 8).readBigUInt64LE(0) & ~((1n << 8n) | (1n << 18n));
    t.savedSigmask ??= t.blocked;
    t.blocked = mask;
    if (signalPending(t, mask)) return -ERESTARTNOHAND; // the signal is delivered on the way out (then EINTR)
    throw new WouldBlock([t.signalWait], "rt_sigsuspend");
  },
  sys_pause: (ctx) => {
    const t = ctx.task;
    if (signalPending(t)) return -ERESTARTNOHAND;
    throw new WouldBlock([t.signalWait], "pause");
  },
  sys_kill: (ctx, a) => doKill(ctx, int(a[0]), int(a[1])),
  sys_tkill: (ctx, a) => (int(a[0]) <= 0 ? -E.EINVAL : sendTo(ctx, int(a[0]), int(a[1]), SI_TKILL)),
  // do_tkill: the thread must belong to the thread group named (ESRCH otherwise)
  sys_tgkill: (ctx, a) => {
    const tgid = int(a[0]), tid = int(a[1]);
    if (tgid <= 0 || tid <= 0) return -E.EINVAL;
    const target = ctx.task.kernel.sched.tasks.get(tid);
    if (target && target.tgid !== tgid) return -E.ESRCH;
    return sendTo(ctx, tid, int(a[2]), SI_TKILL);
  },
  // (time32: i386's original call with a 32-bit timespec; rt_sigtimedwait_time64 is sys_rt_sigtimedwait)
  sys_rt_sigtimedwait: (ctx, a) => sigtimedwait(ctx, a, true),
  sys_rt_sigtimedwait_time32: (ctx, a) => sigtimedwait(ctx, a, false),
  sys_rt_sigreturn: (ctx) => sigreturn(ctx, true),
  sys_sigreturn: (ctx) => sigreturn(ctx, false),
};

/**
 * do_sigtimedwait: the lowest pending signal of the set (never SIGKILL or SIGSTOP), the thread's
 * own or else its process's (a signal thread of a process that blocks them everywhere), is taken and
 * its siginfo copied out. With none, the task sleeps on the queue every sent signal wakes (the set
 * is normally blocked, so the usual wake-up would not come) until one of the set arrives, a
 * signal with a handler is due (EINTR) or the timeout passes (EAGAIN; a zero timeout polls).
 */
function sigtimedwait(ctx: SyscallContext, a: readonly bigint[], wide: boolean): number {
  if (a[3] !== 8n) return -E.EINVAL; // sigsetsize
  const t = ctx.task;
  const set = ctx.mem.read(a[0], 8).readBigUInt64LE(0) & ~UNBLOCKABLE;
  const timeout = a[2] !== 0n ? readTimespec(ctx, a[2], wide) : undefined;
  // the thread's own signals first, then its process's (dequeue_signal)
  const ready = t.pending & set || t.signal.pending & set;
  if (ready) {
    t.sleepDeadline = undefined;
    let sig = 1;
    while (!(ready & sigmask(sig))) sig++;
    const info = dequeue(t, sig);
    if (a[1] !== 0n) ctx.mem.write(a[1], siginfoBytes(info, ctx.abi === "x86_64" ? 64 : 32));
    return sig;
  }
  waitOrTimeout(ctx, timeout, [t.signalfdWqh], "rt_sigtimedwait");
  return -E.EAGAIN;
}

function sigreturn(ctx: SyscallContext, rt: boolean): bigint {
  const t = ctx.task;
  // __USER_CS/__USER_DS; a 32-bit task under the x86-64 kernel returns to __USER32_CS
  const sel = ctx.abi === "x86_64" ? { cs: 0x33, ss: 0x2b } : ctx.cpu.bits === 64 ? { cs: 0x23, ss: 0x2b } : { cs: 0x73, ss: 0x7b };
  try {
    const ax = restoreFrame(t, ctx.regs, ctx.abi === "x86_64" ? 64 : 32, rt, sel.cs, sel.ss);
    const xs = t.savedXstate.pop();
    if (xs) ctx.cpu.xrstor(xs);
    const hooks = t.kernel.hooks;
    if (hooks.has("signal")) hooks.emit("signal", { point: "signal", pid: t.pid, sig: 0, name: rt ? "rt_sigreturn" : "sigreturn", action: "sigreturn" });
    return BigInt.asIntN(ctx.abi === "x86_64" ? 64 : 32, ax);
  } catch {
    ctx.exit(0, 11); // a frame that cannot be read: SIGSEGV, as Linux's signal_fault
    return 0n;
  }
}

/**
 * kill_ok_by_cred: the sender's real or effective uid is the target's real or saved uid, or the
 * sender has CAP_KILL (euid 0 here).
 */
function killOkByCred(sender: Task, target: Task): boolean {
  const s = sender.cred, t = target.cred;
  return s.euid === 0 || s.euid === t.suid || s.euid === t.uid || s.uid === t.suid || s.uid === t.uid;
}

/**
 * One target: SI_USER from kill() goes to the process of thread `pid` (its shared pending
 * signals; a thread of it takes the signal, even when the leader has exited and the others run
 * on), SI_TKILL from tkill/tgkill to that thread alone.
 */
function sendTo(ctx: SyscallContext, pid: number, sig: number, code: number): number {
  if (sig < 0 || sig > _NSIG) return -E.EINVAL;
  const sched = ctx.task.kernel.sched;
  const target = sched.tasks.get(pid);
  const process = code === SI_USER;
  if (!target || target.state === "dead") return -E.ESRCH;
  if (!killOkByCred(ctx.task, target)) return -E.EPERM; // check_kill_permission
  // a zombie keeps its pid until it is reaped: the signal is accepted and goes nowhere
  if (process ? !liveThreads(target).length : target.state === "zombie") return 0;
  // init (SIGNAL_UNKILLABLE) catches nothing, so every signal sent to it is dropped (sig_task_ignored);
  // the first process's parent stands for a host process, which the guest does not reach
  if (sched.isStandIn(target)) return 0;
  if (sig) {
    // send_signal wakes the thread that takes it if it sleeps (pause, sigsuspend, a blocking call)
    const info = { signo: sig, code, pid: ctx.task.tgid, uid: ctx.task.cred.uid };
    (process ? sendGroupSignal : sendSignal)(target, sig, info, (t) => ctx.task.kernel.sched.wake(t));
  }
  return 0;
}

/** kill_something_info: a pid, the caller's group (0), every process (-1) or a group (-pgid); one signal per process. */
function doKill(ctx: SyscallContext, pid: number, sig: number): number {
  if (pid > 0) return sendTo(ctx, pid, sig, SI_USER);
  // the processes (thread-group leaders), zombies included: they are still in their groups
  const procs = [...ctx.task.kernel.sched.tasks.values()].filter((t) => t.state !== "dead" && t.pid === t.tgid);
  if (pid === -1) {
    // every process but init and the caller's own; ESRCH only when there is none, else the last error but EPERM
    let count = 0, ret = 0;
    for (const t of procs.filter((p) => p.tgid > 1 && p.tgid !== ctx.task.tgid)) {
      const err = sendTo(ctx, t.pid, sig, SI_USER);
      count++;
      if (err !== -E.EPERM) ret = err;
    }
    return count ? ret : -E.ESRCH;
  }
  // __kill_pgrp_info: success if the signal reached one member, else the last error
  const pgid = pid === 0 ? ctx.task.pgid : -pid;
  const members = procs.filter((t) => t.pgid === pgid);
  if (!members.length) return -E.ESRCH;
  let ok = false, err = 0;
  for (const t of members) {
    const r = sendTo(ctx, t.pid, sig, SI_USER);
    if (r === 0) ok = true; else err = r;
  }
  return ok ? 0 : err;
}
