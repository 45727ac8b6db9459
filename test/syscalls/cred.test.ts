// The set*id family as kernel/sys.c decides it: an unprivileged task moves only among its real,
// effective and saved ids; root sets anything; -1 leaves an id alone; fsuid follows euid.
import { describe, expect, it } from "vitest";
import { credFamily } from "../../kernel-model/syscalls/kernel/cred.js";
import type { SyscallArgs, SyscallContext } from "../../kernel-model/syscalls/types.js";

function task(uid: number, euid = uid, suid = uid) {
  const cred = { uid, euid, suid, fsuid: euid, gid: 100, egid: 100, sgid: 100, fsgid: 100 };
  const ctx = { abi: "x86_64", task: { cred } } as unknown as SyscallContext;
  const call = (name: string, ...args: number[]) =>
    Number(credFamily[name](ctx, [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(64, BigInt(args[i] ?? 0))) as unknown as SyscallArgs));
  return { cred, call };
}

describe("set*id", () => {
  it("an unprivileged setuid may only go to the real or saved id, and changes the effective id alone", () => {
    const t = task(1000, 1000, 2000);
    expect(t.call("sys_setuid", 3000)).toBe(-1); // EPERM
    expect(t.call("sys_setuid", 2000)).toBe(0);
    expect(t.cred).toMatchObject({ uid: 1000, euid: 2000, suid: 2000, fsuid: 2000 });
  });

  it("root's setuid sets real, effective and saved ids", () => {
    const t = task(0);
    expect(t.call("sys_setuid", 1234)).toBe(0);
    expect(t.cred).toMatchObject({ uid: 1234, euid: 1234, suid: 1234, fsuid: 1234 });
    expect(t.call("sys_setuid", 0)).toBe(-1); // privilege is gone for good
  });

  it("setresuid: -1 keeps an id; the 16-bit form reads 0xffff as -1", () => {
    const t = task(0);
    expect(t.call("sys_setresuid", -1, 500, -1)).toBe(0);
    expect(t.cred).toMatchObject({ uid: 0, euid: 500, suid: 0 });
    expect(t.call("sys_setresuid16", 0xffff, 0, 0xffff)).toBe(0); // back: 0 is the real id
    expect(t.cred.euid).toBe(0);
  });

  it("setgid to the current group succeeds without privilege (what busybox sh does at start)", () => {
    const t = task(1000);
    expect(t.call("sys_setgid", 100)).toBe(0);
    expect(t.call("sys_setgid", 101)).toBe(-1);
    expect(t.call("sys_setgroups", 0)).toBe(-1); // EPERM without CAP_SETGID
  });

  it("setfsuid answers the old value and ignores what it may not set", () => {
    const t = task(1000);
    expect(t.call("sys_setfsuid", 7)).toBe(1000);
    expect(t.cred.fsuid).toBe(1000);
  });
});
