// kernel/fork.c: fork, vfork and clone. The child runs on the parent's kernel (one CPU, one
// physical memory) with its own kernel stack, and leaves the kernel with the parent's registers
// and 0 in rax/eax (ret_from_fork). What it shares with the parent, clone's flags say: the address
// space (CLONE_VM: the same mm, else a copy, dup_mmap), the fd table (CLONE_FILES), cwd and root
// (CLONE_FS), the signal handlers (CLONE_SIGHAND), and with CLONE_THREAD the thread group: the
// same tgid (getpid), the group's limits and parent, and no exit signal of its own. clone3 passes
// the same requests in a struct clone_args (one layout on both ABIs: every field is a u64).

import { partial } from "../support.js";
import { E, Errno } from "../../errno.js";
import { PAGE_SIZE } from "../../mm/phys.js";
import { copyProcessLimits } from "../../limits.js";
import { groupLeader } from "../../sched/exit.js";
import { Task } from "../../sched/task.js";
import { fillLdt } from "../arch/tls.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { SIG_IGN } from "../../uapi/asm-generic/signal-defs.js";
import { SIGCHLD, _NSIG } from "../../uapi/asm/signal.js";
import {
  CLONE_ARGS_SIZE_VER0, CLONE_ARGS_SIZE_VER2, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_CLEAR_SIGHAND, CLONE_DETACHED, CLONE_FILES,
  CLONE_FS, CLONE_INTO_CGROUP, CLONE_PARENT, CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_SETTLS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK,
  CLONE_VM, CSIGNAL,
} from "../../uapi/linux/sched.js";

/** The pid namespaces a clone3 set_tid may name (include/linux/pid_namespace.h). */
const MAX_PID_NS_LEVEL = 32;

export interface CloneArgs {
  /** The low 32 flag bits (clone's int); for clone, the low byte is the exit signal. */
  flags: number; stack: bigint; parentTid: bigint; childTid: bigint; tls: bigint;
  /** clone3's exit_signal (clone takes it from the flags' low byte). */
  exitSignal?: number;
  /** clone3's CLONE_CLEAR_SIGHAND: the child's handlers go back to SIG_DFL (ignored signals stay ignored). */
  clearSighand?: boolean;
}

/** kernel_clone */
export function kernelClone(ctx: SyscallContext, a: CloneArgs): number {
  const parent = ctx.task;
  const k = parent.kernel;
  // copy_process: the sharing flags must nest (a thread shares handlers, shared handlers need a shared mm)
  if (a.flags & CLONE_THREAD && !(a.flags & CLONE_SIGHAND)) return -E.EINVAL;
  if (a.flags & CLONE_SIGHAND && !(a.flags & CLONE_VM)) return -E.EINVAL;
  const thread = (a.flags & CLONE_THREAD) !== 0;
  copyProcessLimits(k, parent); // RLIMIT_NPROC and max_threads, before anything is made
  const machine = parent.machine;
  let mm = parent.mm;
  if (a.flags & CLONE_VM) mm.users++;
  else {
    mm = machine.newMm(parent.abi);
    parent.mm.dupInto(mm);
  }
  const child = new Task(k, parent.abi, mm,
    a.flags & CLONE_FILES ? parent.files : parent.files.copy(),
    a.flags & CLONE_FS ? parent.fs : parent.fs.copy(),
    { ...parent.cred }, { pid: k.sched.allocPid(), ppid: parent.tgid }, parent.comm);
  child.pgid = parent.pgid;
  child.sid = parent.sid;
  child.blocked = parent.blocked;
  child.umask = parent.umask;
  child.personality = parent.personality;
  child.exe = parent.exe;
  // a new thread of a shared mm starts without the alternate signal stack (its stack is another's)
  if (!(a.flags & CLONE_VM) || a.flags & CLONE_VFORK) child.altStack = { ...parent.altStack };
  if (a.flags & CLONE_SIGHAND) child.sigactions = parent.sigactions;
  else {
    // copy_sighand; with CLONE_CLEAR_SIGHAND, flush_signal_handlers(child, 0): SIG_IGN is kept
    for (const [s, act] of parent.sigactions) {
      if (!a.clearSighand) child.sigactions.set(s, { ...act });
      else if (act.handler === SIG_IGN) child.sigactions.set(s, { handler: SIG_IGN, flags: 0n, restorer: 0n, mask: 0n });
    }
  }
  if (thread) child.rlimits = parent.rlimits;
  else for (const [r, lim] of parent.rlimits) child.rlimits.set(r, [lim[0], lim[1]]);
  for (const [i, d] of parent.tls) child.tls.set(i, Buffer.from(d));
  if (thread) {
    // the thread group: one tgid; the group's parent is the leader's, and only the group's end tells it
    child.tgid = parent.tgid;
    child.ppid = parent.ppid;
    child.exitSignal = 0;
    child.signal = parent.signal;
  } else {
    const realParent = a.flags & CLONE_PARENT && parent.parent ? parent.parent : groupLeader(parent);
    child.parent = realParent;
    realParent.children.add(child);
    child.exitSignal = a.exitSignal ?? a.flags & CSIGNAL;
  }

  const regs = ctx.regs.toObject();
  regs.ax = 0n;
  if (a.stack) regs.sp = a.stack;
  const extra = parent.machine.userExtraState();
  if (a.flags & CLONE_SETTLS) {
    if (parent.abi === "x86_64") extra.fsBase = a.tls;
    else {
      // i386: tls points at a struct user_desc, installed as by set_thread_area
      const d = ctx.mem.read(a.tls, 16);
      const f = d.readUInt32LE(12);
      const idx = d.readInt32LE(0);
      child.tls.set(idx, fillLdt({ entry: idx, base: d.readUInt32LE(4), limit: d.readUInt32LE(8), seg32: f & 1, contents: (f >> 1) & 3,
        readExecOnly: (f >> 3) & 1, limitInPages: (f >> 4) & 1, segNotPresent: (f >> 5) & 1, useable: (f >> 6) & 1 }));
    }
  }
  const tid = Buffer.alloc(4);
  tid.writeInt32LE(child.pid);
  if (a.flags & CLONE_PARENT_SETTID) ctx.mem.write(a.parentTid, tid);
  if (a.flags & CLONE_CHILD_CLEARTID) child.clearChildTid = a.childTid;
  const vdso = a.flags & CLONE_VM ? parent.vdso : parent.vdso?.cloneFor(mm);
  machine.startTask(child, { ip: regs.ip, sp: regs.sp, fork: { regs, ...extra } }, vdso);
  k.sched.add(child);
  // schedule_tail: the child's tid goes into its own memory once it exists (Linux writes it when
  // the child first runs, and ignores a fault there)
  if (a.flags & CLONE_CHILD_SETTID) {
    try { child.mm.write(a.childTid, tid); } catch (e) { if (!(e instanceof Errno)) throw e; } // put_user's EFAULT is not the clone's
  }
  if (k.hooks.has("process")) k.hooks.emit("process", { point: "process", pid: parent.pid, action: "fork", child: child.pid });
  if (a.flags & CLONE_VFORK) {
    child.vforkParent = parent;
    ctx.sleepAfterReturn([child.vforkDone]); // the parent runs again once the child execs or exits
  }
  return child.pid;
}

export const forkFamily: SyscallFamily = {
  sys_fork: (ctx) => kernelClone(ctx, { flags: SIGCHLD, stack: 0n, parentTid: 0n, childTid: 0n, tls: 0n }),
  sys_vfork: (ctx) => kernelClone(ctx, { flags: CLONE_VFORK | CLONE_VM | SIGCHLD, stack: 0n, parentTid: 0n, childTid: 0n, tls: 0n }),
  // x86-64: clone(flags, newsp, parent_tid, child_tid, tls); i386 (CLONE_BACKWARDS): (flags, newsp, parent_tid, tls, child_tid)
  sys_clone: (ctx, a) => kernelClone(ctx, ctx.abi === "x86_64"
    ? { flags: Number(a[0] & 0xffffffffn), stack: a[1], parentTid: a[2], childTid: a[3], tls: a[4] }
    : { flags: Number(a[0] & 0xffffffffn), stack: a[1], parentTid: a[2], tls: a[3], childTid: a[4] }),
  sys_clone3: partial("set_tid, CLONE_INTO_CGROUP and CLONE_PIDFD are refused with EINVAL",
    (ctx, a) => kernelClone(ctx, copyCloneArgsFromUser(ctx, a[0], a[1]))),
};

/**
 * clone3's copy_clone_args_from_user and clone3_args_valid, in the kernel's order: the size
 * (EINVAL below the first version, E2BIG past a page or when bytes the kernel does not know are
 * not zero: copy_struct_from_user), then the fields, then the flags and the stack.
 */
export function copyCloneArgsFromUser(ctx: SyscallContext, uargs: bigint, size: bigint): CloneArgs {
  if (size > BigInt(PAGE_SIZE)) throw new Errno(E.E2BIG);
  if (size < BigInt(CLONE_ARGS_SIZE_VER0)) throw new Errno(E.EINVAL);
  const usize = Number(size);
  const known = Math.min(usize, CLONE_ARGS_SIZE_VER2);
  const b = Buffer.alloc(CLONE_ARGS_SIZE_VER2);
  ctx.mem.read(uargs, known).copy(b);
  if (usize > known && ctx.mem.read(uargs + BigInt(known), usize - known).some((x) => x !== 0)) throw new Errno(E.E2BIG);
  const u64 = (i: number) => b.readBigUInt64LE(i * 8);
  const [flags, pidfd, childTid, parentTid, exitSignal, stack, stackSize, tls, setTid, setTidSize, cgroup] =
    Array.from({ length: 11 }, (_, i) => u64(i));
  void pidfd;
  if (setTidSize > BigInt(MAX_PID_NS_LEVEL)) throw new Errno(E.EINVAL);
  if ((setTid === 0n) !== (setTidSize === 0n)) throw new Errno(E.EINVAL);
  if (exitSignal & ~BigInt(CSIGNAL) || exitSignal > BigInt(_NSIG)) throw new Errno(E.EINVAL);
  if (flags & CLONE_INTO_CGROUP && (cgroup > 0x7fffffffn || usize < CLONE_ARGS_SIZE_VER2)) throw new Errno(E.EINVAL);
  // clone3_args_valid
  if (flags & ~(0xffffffffn | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)) throw new Errno(E.EINVAL);
  if (flags & BigInt(CLONE_DETACHED | CSIGNAL)) throw new Errno(E.EINVAL); // those bits are clone's, reused by clone3
  if (flags & BigInt(CLONE_SIGHAND) && flags & CLONE_CLEAR_SIGHAND) throw new Errno(E.EINVAL);
  if (flags & BigInt(CLONE_THREAD | CLONE_PARENT) && exitSignal) throw new Errno(E.EINVAL);
  // clone3_stack_valid: both or neither, and the whole stack in user space (access_ok)
  if (stack === 0n ? stackSize !== 0n : stackSize === 0n || stack + stackSize > ctx.task.mm.layout.taskSize) throw new Errno(E.EINVAL);
  // what is not modelled: pids chosen by the caller, cgroups, pidfds
  if (setTid || flags & CLONE_INTO_CGROUP || flags & BigInt(CLONE_PIDFD)) throw new Errno(E.EINVAL);
  return {
    flags: Number(flags & 0xffffffffn), exitSignal: Number(exitSignal), clearSighand: (flags & CLONE_CLEAR_SIGHAND) !== 0n,
    stack: stack === 0n ? 0n : stack + stackSize, // the stack grows down from its end
    parentTid, childTid, tls,
  };
}
