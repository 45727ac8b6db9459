// getrusage, times, getpriority/setpriority, sched_get*, personality: called as the dispatcher
// calls them, on a test task (pid 100) of either ABI.
import { describe, expect, it } from "vitest";
import { E, Errno } from "../../kernel-model/errno.js";
import { personalityFamily } from "../../kernel-model/syscalls/kernel/personality.js";
import { PRIO_PGRP, PRIO_PROCESS, PRIO_USER, resourceFamily } from "../../kernel-model/syscalls/kernel/resource.js";
import { SCHED_BATCH, SCHED_FIFO, SCHED_OTHER, SCHED_RR, schedPolicyFamily } from "../../kernel-model/syscalls/kernel/sched_policy.js";
import type { SyscallArgs, SyscallFamily } from "../../kernel-model/syscalls/types.js";
import { machine, tmpdir } from "../fs/helpers.js";

function setup(abi: "x86_64" | "i386" = "x86_64") {
  const m = machine(abi, { mode: "host", cwd: tmpdir(), exe: { hostPath: "/bin/sh", guestPath: "/bin/sh" }, getRandomBytes: () => {} });
  const width = abi === "x86_64" ? 64 : 32;
  const call = (family: SyscallFamily, name: string, ...args: (number | bigint)[]): bigint => {
    const regs = [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(width, BigInt(args[i] ?? 0))) as unknown as SyscallArgs;
    try {
      return BigInt(family[name]!(m.ctx, regs));
    } catch (e) {
      if (e instanceof Errno) return BigInt(-e.errno);
      throw e;
    }
  };
  return { ...m, call };
}

describe("getrusage, times", () => {
  it("getrusage writes a zero struct rusage of the ABI's size and checks who", () => {
    for (const [abi, size] of [["x86_64", 144], ["i386", 72]] as const) {
      const { mem, call } = setup(abi);
      const buf = mem.alloc(160);
      mem.write(buf, Buffer.alloc(160, 0xee));
      expect(call(resourceFamily, "sys_getrusage", 0, buf)).toBe(0n);
      expect(mem.read(buf, size)).toEqual(Buffer.alloc(size));
      expect(mem.read(buf + BigInt(size), 1)[0]).toBe(0xee);
      expect(call(resourceFamily, "sys_getrusage", -1, buf)).toBe(0n);
      expect(call(resourceFamily, "sys_getrusage", 2, buf)).toBe(BigInt(-E.EINVAL));
      expect(call(resourceFamily, "sys_getrusage", 0, 8)).toBe(BigInt(-E.EFAULT));
    }
  });

  it("times returns clock ticks (USER_HZ 100) of the monotonic clock; NULL is allowed", () => {
    const { mem, task, call } = setup();
    Object.assign(task.kernel, { monotonicNs: () => 12_345_678_901n });
    const buf = mem.alloc(32);
    mem.write(buf, Buffer.alloc(32, 0xff));
    expect(call(resourceFamily, "sys_times", buf)).toBe(1234n);
    expect(mem.read(buf, 32)).toEqual(Buffer.alloc(32));
    expect(call(resourceFamily, "sys_times", 0)).toBe(1234n);
  });
});

describe("getpriority, setpriority", () => {
  it("answer 20 - nice; raising nice is free, lowering it needs root (EACCES)", () => {
    const { task, call } = setup();
    expect(call(resourceFamily, "sys_getpriority", PRIO_PROCESS, 0)).toBe(20n);
    expect(call(resourceFamily, "sys_setpriority", PRIO_PROCESS, 0, 5)).toBe(0n);
    expect(call(resourceFamily, "sys_getpriority", PRIO_PROCESS, 100)).toBe(15n);
    expect(call(resourceFamily, "sys_setpriority", PRIO_PGRP, 0, 100)).toBe(0n); // clamped to 19
    expect(call(resourceFamily, "sys_getpriority", PRIO_PGRP, 0)).toBe(1n);
    Object.assign(task.cred, { uid: 1000, euid: 1000 });
    expect(call(resourceFamily, "sys_setpriority", PRIO_USER, 0, 0)).toBe(BigInt(-E.EACCES));
    expect(call(resourceFamily, "sys_setpriority", PRIO_PROCESS, 0, 19)).toBe(0n);
    Object.assign(task.cred, { uid: 0, euid: 0 });
    expect(call(resourceFamily, "sys_setpriority", PRIO_PROCESS, 0, -20)).toBe(0n);
    expect(call(resourceFamily, "sys_getpriority", PRIO_PROCESS, 0)).toBe(40n);
    expect(call(resourceFamily, "sys_getpriority", PRIO_PROCESS, 4242)).toBe(BigInt(-E.ESRCH));
    expect(call(resourceFamily, "sys_getpriority", 3, 0)).toBe(BigInt(-E.EINVAL));
  });
});

describe("sched_getscheduler, sched_getparam, sched_get_priority_min/max", () => {
  it("SCHED_OTHER at priority 0 for the caller; ESRCH for others, EINVAL for bad arguments", () => {
    const { mem, call } = setup();
    expect(call(schedPolicyFamily, "sys_sched_getscheduler", 0)).toBe(BigInt(SCHED_OTHER));
    expect(call(schedPolicyFamily, "sys_sched_getscheduler", 100)).toBe(BigInt(SCHED_OTHER));
    expect(call(schedPolicyFamily, "sys_sched_getscheduler", 999)).toBe(BigInt(-E.ESRCH));
    expect(call(schedPolicyFamily, "sys_sched_getscheduler", -1)).toBe(BigInt(-E.EINVAL));
    const p = mem.alloc(4);
    mem.write(p, Buffer.from([9, 9, 9, 9]));
    expect(call(schedPolicyFamily, "sys_sched_getparam", 0, p)).toBe(0n);
    expect(mem.read(p, 4).readInt32LE(0)).toBe(0);
    expect(call(schedPolicyFamily, "sys_sched_getparam", 0, 0)).toBe(BigInt(-E.EINVAL));
    expect(call(schedPolicyFamily, "sys_sched_get_priority_max", SCHED_FIFO)).toBe(99n);
    expect(call(schedPolicyFamily, "sys_sched_get_priority_min", SCHED_RR)).toBe(1n);
    expect(call(schedPolicyFamily, "sys_sched_get_priority_max", SCHED_OTHER)).toBe(0n);
    expect(call(schedPolicyFamily, "sys_sched_get_priority_min", SCHED_BATCH)).toBe(0n);
    expect(call(schedPolicyFamily, "sys_sched_get_priority_max", 4)).toBe(BigInt(-E.EINVAL));
  });
});

describe("personality", () => {
  it("returns the previous persona; 0xffffffff only asks", () => {
    const { call } = setup("i386");
    expect(call(personalityFamily, "sys_personality", 0xffffffff)).toBe(0n);
    expect(call(personalityFamily, "sys_personality", 0x0040000)).toBe(0n); // ADDR_NO_RANDOMIZE
    expect(call(personalityFamily, "sys_personality", 0xffffffff)).toBe(0x40000n);
    expect(call(personalityFamily, "sys_personality", 0)).toBe(0x40000n);
    expect(call(personalityFamily, "sys_personality", 0xffffffff)).toBe(0n);
  });
});
