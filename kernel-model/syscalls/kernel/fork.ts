// kernel/fork.c: fork, vfork and clone. The child runs on the parent's kernel (one CPU, one
// physical memory) with its own kernel stack, and leaves the kernel with the parent's registers
// and 0 in rax/eax (ret_from_fork). What it shares with the parent, clone's flags say: the address
// space (CLONE_VM: the same mm, else a copy, dup_mmap), the fd table (CLONE_FILES), cwd and root
// (CLONE_FS), the signal handlers (CLONE_SIGHAND), and with CLONE_THREAD the thread group: the
// same tgid (getpid), the group's limits and parent, and no exit signal of its own.

import { unsupported } from "../support.js";
import { E } from "../../errno.js";
import { copyProcessLimits } from "../../limits.js";
import { groupLeader } from "../../sched/exit.js";
import { Task } from "../../sched/task.js";
import { fillLdt } from "../arch/tls.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { SIGCHLD } from "../../uapi/asm/signal.js";
import { CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_FS, CLONE_PARENT, CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_VM } from "../../uapi/linux/sched.js";


export interface CloneArgs { flags: number; stack: bigint; parentTid: bigint; childTid: bigint; tls: bigint }

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
  else for (const [s, act] of parent.sigactions) child.sigactions.set(s, { ...act });
  if (thread) child.rlimits = parent.rlimits;
  else for (const [r, lim] of parent.rlimits) child.rlimits.set(r, [lim[0], lim[1]]);
  for (const [i, d] of parent.tls) child.tls.set(i, Buffer.from(d));
  if (thread) {
    // the thread group: one tgid; the group's parent is the leader's, and only the group's end tells it
    child.tgid = parent.tgid;
    child.ppid = parent.ppid;
    child.exitSignal = 0;
  } else {
    const realParent = a.flags & CLONE_PARENT && parent.parent ? parent.parent : groupLeader(parent);
    child.parent = realParent;
    realParent.children.add(child);
    child.exitSignal = a.flags & 0xff;
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
  if (a.flags & CLONE_CHILD_SETTID) child.mm.write(a.childTid, tid);
  if (a.flags & CLONE_CHILD_CLEARTID) child.clearChildTid = a.childTid;
  const vdso = a.flags & CLONE_VM ? parent.vdso : parent.vdso?.cloneFor(mm);
  machine.startTask(child, { ip: regs.ip, sp: regs.sp, fork: { regs, ...extra } }, vdso);
  k.sched.add(child);
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
  sys_clone3: unsupported(E.ENOSYS, "clone3 is not modelled, as on kernels before 5.3: libcs fall back to clone"),
};
