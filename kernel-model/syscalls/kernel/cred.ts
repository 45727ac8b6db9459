// kernel/sys.c and kernel/groups.c: changing identity. Without CAP_SETUID (euid 0 here), a task
// may only move among its real, effective and saved ids; root may set any. The 16-bit i386
// forms take -1 as 0xffff. There are no supplementary groups: setgroups keeps an empty list.

import { E } from "../../errno.js";
import type { Cred } from "../../sched/task.js";
import type { SyscallContext, SyscallFamily } from "../types.js";

/** The id argument as a number, with -1 ("unchanged") as -1 whatever its width. */
function id(v: bigint, sixteen: boolean): number {
  const n = Number(BigInt.asUintN(sixteen ? 16 : 32, v));
  return n === (sixteen ? 0xffff : 0xffffffff) ? -1 : n;
}

type Kind = "u" | "g";
const keys = (k: Kind) => (k === "u" ? (["uid", "euid", "suid", "fsuid"] as const) : (["gid", "egid", "sgid", "fsgid"] as const));

function setresid(ctx: SyscallContext, k: Kind, r: number, e: number, s: number): number {
  const c = ctx.task.cred;
  const [rk, ek, sk, fk] = keys(k);
  const privileged = c.euid === 0;
  const allowed = (x: number) => x === -1 || privileged || x === c[rk] || x === c[ek] || x === c[sk];
  if (!allowed(r) || !allowed(e) || !allowed(s)) return -E.EPERM;
  if (r !== -1) c[rk] = r;
  if (e !== -1) c[ek] = e;
  if (s !== -1) c[sk] = s;
  c[fk] = c[ek];
  return 0;
}

/** setuid(2): root sets all three ids; anyone else only the effective one, to its real or saved id. */
function setid(ctx: SyscallContext, k: Kind, x: number): number {
  const c = ctx.task.cred;
  const [rk, , sk] = keys(k);
  if (x === -1) return -E.EINVAL;
  if (c.euid === 0) return setresid(ctx, k, x, x, x);
  if (x !== c[rk] && x !== c[sk]) return -E.EPERM;
  return setresid(ctx, k, -1, x, -1);
}

function setreid(ctx: SyscallContext, k: Kind, r: number, e: number): number {
  const c: Cred = ctx.task.cred;
  const [rk] = keys(k);
  // the saved id follows the effective one when the real id is set or the effective one moves away from it
  const s = r !== -1 || (e !== -1 && e !== c[rk]) ? (e === -1 ? c[keys(k)[1]] : e) : -1;
  return setresid(ctx, k, r, e, s);
}

/** setfsuid returns the old value and never fails loudly (as Linux). */
function setfsid(ctx: SyscallContext, k: Kind, x: number): number {
  const c = ctx.task.cred;
  const [rk, ek, sk, fk] = keys(k);
  const old = c[fk];
  if (x !== -1 && (c.euid === 0 || x === c[rk] || x === c[ek] || x === c[sk] || x === c[fk])) c[fk] = x;
  return old;
}

function setgroups(ctx: SyscallContext, n: bigint): number {
  if (BigInt.asIntN(32, n) < 0n) return -E.EINVAL;
  return ctx.task.cred.euid === 0 ? 0 : -E.EPERM;
}

export const credFamily: SyscallFamily = {
  sys_setuid: (ctx, a) => setid(ctx, "u", id(a[0], false)),
  sys_setgid: (ctx, a) => setid(ctx, "g", id(a[0], false)),
  sys_setreuid: (ctx, a) => setreid(ctx, "u", id(a[0], false), id(a[1], false)),
  sys_setregid: (ctx, a) => setreid(ctx, "g", id(a[0], false), id(a[1], false)),
  sys_setresuid: (ctx, a) => setresid(ctx, "u", id(a[0], false), id(a[1], false), id(a[2], false)),
  sys_setresgid: (ctx, a) => setresid(ctx, "g", id(a[0], false), id(a[1], false), id(a[2], false)),
  sys_setfsuid: (ctx, a) => setfsid(ctx, "u", id(a[0], false)),
  sys_setfsgid: (ctx, a) => setfsid(ctx, "g", id(a[0], false)),
  sys_setgroups: (ctx, a) => setgroups(ctx, a[0]),
  sys_setuid16: (ctx, a) => setid(ctx, "u", id(a[0], true)),
  sys_setgid16: (ctx, a) => setid(ctx, "g", id(a[0], true)),
  sys_setreuid16: (ctx, a) => setreid(ctx, "u", id(a[0], true), id(a[1], true)),
  sys_setregid16: (ctx, a) => setreid(ctx, "g", id(a[0], true), id(a[1], true)),
  sys_setresuid16: (ctx, a) => setresid(ctx, "u", id(a[0], true), id(a[1], true), id(a[2], true)),
  sys_setresgid16: (ctx, a) => setresid(ctx, "g", id(a[0], true), id(a[1], true), id(a[2], true)),
  sys_setfsuid16: (ctx, a) => setfsid(ctx, "u", id(a[0], true)),
  sys_setfsgid16: (ctx, a) => setfsid(ctx, "g", id(a[0], true)),
  sys_setgroups16: (ctx, a) => setgroups(ctx, a[0]),
};
