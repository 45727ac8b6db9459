// Identity, limits and system information (Linux kernel/sys.c, kernel/uid16.c).

import { utsMachine } from "./personality.js";
import { E, Errno } from "../../errno.js";
import { _NSIG } from "../../uapi/asm/signal.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { RLIM_NLIMITS } from "../../uapi/asm-generic/resource.js";
import { abiLayout } from "../../uapi/abi.js";
import { defaultRlimit } from "../../sched/rlimit.js";
import { PR_GET_CHILD_SUBREAPER, PR_GET_NAME, PR_GET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NAME, PR_SET_PDEATHSIG } from "../../uapi/linux/prctl.js";

function getRlimit(ctx: SyscallContext, resource: number): [bigint, bigint] {
  if (resource < 0 || resource >= RLIM_NLIMITS) throw new Errno(E.EINVAL);
  return ctx.task.rlimits.get(resource) ?? defaultRlimit(resource);
}


/** TASK_COMM_LEN: task->comm holds 15 bytes and a NUL. */
const TASK_COMM_LEN = 16;

function utsField(s: string): Buffer {
  const b = Buffer.alloc(65);
  b.write(s.slice(0, 64), "latin1");
  return b;
}

export const sysFamily: SyscallFamily = {
  sys_getpid: (ctx) => ctx.task.tgid,
  sys_gettid: (ctx) => ctx.task.pid,
  sys_getppid: (ctx) => ctx.task.parent?.tgid ?? ctx.task.ppid,
  sys_getuid: (ctx) => ctx.task.cred.uid,
  sys_geteuid: (ctx) => ctx.task.cred.euid,
  sys_getgid: (ctx) => ctx.task.cred.gid,
  sys_getegid: (ctx) => ctx.task.cred.egid,
  // i386's original 16-bit ids (kernel/uid16.c): high ids show as the overflow id 65534
  sys_getuid16: (ctx) => (ctx.task.cred.uid > 0xffff ? 65534 : ctx.task.cred.uid),
  sys_geteuid16: (ctx) => (ctx.task.cred.euid > 0xffff ? 65534 : ctx.task.cred.euid),
  sys_getgid16: (ctx) => (ctx.task.cred.gid > 0xffff ? 65534 : ctx.task.cred.gid),
  sys_getegid16: (ctx) => (ctx.task.cred.egid > 0xffff ? 65534 : ctx.task.cred.egid),
  sys_getresuid: (ctx, a) => {
    const c = ctx.task.cred;
    for (const [p, v] of [[a[0], c.uid], [a[1], c.euid], [a[2], c.suid]] as const) ctx.mem.write(p, u32(v));
    return 0;
  },
  sys_getresgid: (ctx, a) => {
    const c = ctx.task.cred;
    for (const [p, v] of [[a[0], c.gid], [a[1], c.egid], [a[2], c.sgid]] as const) ctx.mem.write(p, u32(v));
    return 0;
  },
  sys_getgroups: (ctx, a) => (int(a[0]) < 0 ? -E.EINVAL : 0),
  sys_getpgrp: (ctx) => ctx.task.pgid,
  // any process's group and session, init's included (find_task_by_vpid; 0 is the caller)
  sys_getpgid: (ctx, a) => (int(a[0]) === 0 ? ctx.task : ctx.task.kernel.sched.findByVpid(int(a[0])))?.pgid ?? -E.ESRCH,
  sys_getsid: (ctx, a) => (int(a[0]) === 0 ? ctx.task : ctx.task.kernel.sched.findByVpid(int(a[0])))?.sid ?? -E.ESRCH,
  sys_setpgid: (ctx, a) => {
    const pid = int(a[0]) || ctx.task.tgid, pgid = int(a[1]) || pid;
    if (pid !== ctx.task.tgid) return -E.ESRCH;
    ctx.task.pgid = pgid;
    return 0;
  },
  sys_setsid: (ctx) => {
    if (ctx.task.pgid === ctx.task.tgid) return -E.EPERM; // already a group leader
    ctx.task.sid = ctx.task.pgid = ctx.task.tgid;
    return ctx.task.sid;
  },
  sys_newuname: (ctx, a) => {
    const u = ctx.task.kernel.utsname;
    const machine = utsMachine(ctx.task, u.machine);
    ctx.mem.write(a[0], Buffer.concat([u.sysname, u.nodename, u.release, u.version, machine, u.domainname].map(utsField)));
    return 0;
  },
  sys_prlimit64: (ctx, a) => {
    const pid = int(a[0]);
    if (pid !== 0 && pid !== ctx.task.tgid) return -E.ESRCH;
    const resource = int(a[1]);
    const old = getRlimit(ctx, resource);
    if (a[2] !== 0n) {
      const [cur, max] = abiLayout(ctx.abi).getRlimit(ctx.mem, a[2], true);
      if (cur > max) return -E.EINVAL;
      ctx.task.rlimits.set(resource, [cur, max]);
    }
    if (a[3] !== 0n) abiLayout(ctx.abi).putRlimit(ctx.mem, a[3], old, true);
    return 0;
  },
  sys_getrlimit: (ctx, a) => {
    abiLayout(ctx.abi).putRlimit(ctx.mem, a[1], getRlimit(ctx, int(a[0])));
    return 0;
  },
  sys_setrlimit: (ctx, a) => {
    const resource = int(a[0]);
    getRlimit(ctx, resource);
    ctx.task.rlimits.set(resource, abiLayout(ctx.abi).getRlimit(ctx.mem, a[1]));
    return 0;
  },
  // kernel/sys.c: busybox asks PR_GET_NAME for its applet name at startup.
  sys_prctl: (ctx, a) => {
    switch (int(a[0])) {
      case PR_SET_NAME: {
        // strncpy_from_user of at most 15 bytes: a longer name is cut, not refused
        const name = readUpTo(ctx, a[1], TASK_COMM_LEN - 1);
        ctx.task.comm = name.toString("latin1");
        return 0;
      }
      case PR_SET_PDEATHSIG: {
        const sig = int(a[1]);
        if (sig < 0 || sig > _NSIG) return -E.EINVAL; // valid_signal
        ctx.task.pdeathSignal = sig;
        return 0;
      }
      case PR_GET_PDEATHSIG: {
        const out = Buffer.alloc(4);
        out.writeInt32LE(ctx.task.pdeathSignal);
        ctx.mem.write(a[1], out);
        return 0;
      }
      case PR_SET_CHILD_SUBREAPER:
        ctx.task.isChildSubreaper = a[1] !== 0n; // init-like supervisors (tini -s) ask for this
        return 0;
      case PR_GET_CHILD_SUBREAPER: {
        const out = Buffer.alloc(4);
        out.writeInt32LE(ctx.task.isChildSubreaper ? 1 : 0);
        ctx.mem.write(a[1], out);
        return 0;
      }
      case PR_GET_NAME: {
        const out = Buffer.alloc(TASK_COMM_LEN);
        out.write(ctx.task.comm.slice(0, TASK_COMM_LEN - 1), "latin1");
        ctx.mem.write(a[1], out);
        return 0;
      }
      default:
        return -E.EINVAL;
    }
  },
  sys_sysinfo: (ctx, a) => {
    // struct sysinfo (include/uapi/linux/sysinfo.h); longs are 8 or 4 bytes
    const layout = abiLayout(ctx.abi), w = layout.long;
    const b = Buffer.alloc(w === 8 ? 112 : 64);
    const put = (i: number, v: bigint) => layout.writeLong(b, v, i * w);
    const phys = ctx.task.mm.phys;
    put(0, ctx.task.kernel.monotonicNs() / 1_000_000_000n); // uptime
    const totalram = BigInt(phys.size), freeram = BigInt(phys.size - phys.framesInUse * 4096);
    put(4, totalram);
    put(5, freeram);
    // procs (u16) follows totalswap/freeswap, then totalhigh/freehigh, then mem_unit (u32)
    b.writeUInt16LE(1, 10 * w);
    const memUnitOff = 10 * w + 2 + (w === 8 ? 6 : 2) + 2 * w;
    b.writeUInt32LE(1, memUnitOff);
    ctx.mem.write(a[0], b);
    return 0;
  },
};

/** The bytes at addr up to a NUL or `max` bytes, reading byte by byte so no page past the name is touched. */
function readUpTo(ctx: SyscallContext, addr: bigint, max: number): Buffer {
  const out: number[] = [];
  for (let i = 0; i < max; i++) {
    const c = ctx.mem.read(addr + BigInt(i), 1)[0];
    if (c === 0) break;
    out.push(c);
  }
  return Buffer.from(out);
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
