// One test per interception point (ARCHITECTURE.md, "Interception points"), each on a sample, checking what the
// event says and where it falls in the sequence.

import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../../emulator/machine.js";
import { firstCall, machine, record } from "./helpers.js";

let m: Machine | undefined;
afterEach(() => m?.close());

describe("interception points", () => {
  it("x86-64 syscall: instruction, transition (MSRs, CPL 3→0), entry stub, generic entry, service, exit, sysretq", async () => {
    m = await machine("x86_64/hello-syscall");
    const events = record(m);
    m.runToEnd();
    const call = firstCall(events, "write");
    expect(call.map((e) => e.point)).toEqual(["instruction", "transition", "entry_stub", "syscall_entry", "service", "syscall_exit", "return"]);
    const [insn, tr, stub, , , exit, ret] = call as any[];
    expect(insn).toMatchObject({ instruction: "syscall", nr: 1, name: "write", address: 0x401016n });
    expect(tr.msrs.IA32_LSTAR).toBe(tr.after.ip);
    expect([tr.before.cpl, tr.after.cpl]).toEqual([3, 0]);
    expect(stub.stub).toBe("entry_SYSCALL_64");
    expect(exit.result).toBe(19n);
    expect(ret).toMatchObject({ instruction: "sysretq", before: { cpl: 0 }, after: { cpl: 3, ip: insn.address + 2n } });
  });

  it("i386 int $0x80 under IA32 emulation: the 64-bit IDT's gate 0x80 (DPL 3), entry_INT80_compat, iretq", async () => {
    m = await machine("i386/hello-int80");
    const events = record(m);
    m.runToEnd();
    const call = firstCall(events, "write") as any[];
    expect(call.map((e) => e.point)).toEqual(["instruction", "transition", "entry_stub", "syscall_entry", "service", "syscall_exit", "return"]);
    expect(call[0]).toMatchObject({ instruction: "int $0x80", mechanism: "int80" });
    expect(call[1].gate).toMatchObject({ vector: 0x80, dpl: 3 });
    expect(call[1].before).toMatchObject({ cpl: 3, cs: 0x23 });
    expect(call[2]).toMatchObject({ stub: "entry_INT80_compat", kernel: "x86_64" });
    expect(call[3].entryPoint).toBe("sys_write");
    expect(call[6]).toMatchObject({ instruction: "iretq", mechanism: "int80", after: { cpl: 3, cs: 0x23 } });
  });

  it("i386 sysenter under IA32 emulation (Intel): call __kernel_vsyscall, sysenter, entry_SYSENTER_compat, sysretl", async () => {
    m = await machine("i386/hello-vsyscall");
    const events = record(m);
    m.runToEnd();
    const call = firstCall(events, "write") as any[];
    expect(call.map((e) => e.instruction ?? e.point)).toEqual(
      ["call __kernel_vsyscall", "sysenter", "transition", "entry_stub", "syscall_entry", "service", "syscall_exit", "sysretl"]);
    expect(call[2].msrs.IA32_SYSENTER_EIP).toBe(call[2].after.ip);
    expect(call[3]).toMatchObject({ stub: "entry_SYSENTER_compat", kernel: "x86_64" });
    expect(call[7].after).toMatchObject({ cpl: 3, cs: 0x23, ss: 0x2b, ip: m.vdso!.base + BigInt(m.vdso!.image.sysenterReturn!) });
  });

  it("i386 syscall under IA32 emulation (AMD): call __kernel_vsyscall, syscall (IA32_CSTAR), entry_SYSCALL_compat, sysretl", async () => {
    m = await machine("i386/hello-vsyscall", { cpu: "amd" });
    const events = record(m);
    m.runToEnd();
    expect(m.stdout.toString()).toBe("hello from __kernel_vsyscall\n");
    const call = firstCall(events, "write") as any[];
    expect(call.map((e) => e.instruction ?? e.point)).toEqual(
      ["call __kernel_vsyscall", "syscall", "transition", "entry_stub", "syscall_entry", "service", "syscall_exit", "sysretl"]);
    expect(call[2].msrs.IA32_CSTAR).toBe(call[2].after.ip);
    expect(call[3]).toMatchObject({ stub: "entry_SYSCALL_compat", mechanism: "syscall", kernel: "x86_64" });
    expect(call[7].after).toMatchObject({ cpl: 3, cs: 0x23, ip: m.vdso!.base + BigInt(m.vdso!.image.sysenterReturn!) });
  });

  it("i386 int $0x80 on the native i386 kernel (--kernel i386): the IDT gate 0x80 with DPL 3, entry_INT80_32, iret", async () => {
    m = await machine("i386/hello-int80", { kernel: "i386" });
    const events = record(m);
    m.runToEnd();
    const call = firstCall(events, "write") as any[];
    expect(call.map((e) => e.point)).toEqual(["instruction", "transition", "entry_stub", "syscall_entry", "service", "syscall_exit", "return"]);
    expect(call[0].instruction).toBe("int $0x80");
    expect(call[1].gate).toMatchObject({ vector: 0x80, dpl: 3 });
    expect(call[2]).toMatchObject({ stub: "entry_INT80_32", kernel: "i386" });
    expect(call[6]).toMatchObject({ instruction: "iret", after: { cpl: 3 } });
  });

  it("i386 sysenter on the native i386 kernel: call __kernel_vsyscall, sysenter (SYSENTER MSRs), entry_SYSENTER_32, sysexit", async () => {
    m = await machine("i386/hello-vsyscall", { kernel: "i386" });
    const events = record(m);
    m.runToEnd();
    const call = firstCall(events, "write") as any[];
    expect(call.map((e) => e.instruction ?? e.point)).toEqual(
      ["call __kernel_vsyscall", "sysenter", "transition", "entry_stub", "syscall_entry", "service", "syscall_exit", "sysexit"]);
    expect(call[2].msrs.IA32_SYSENTER_EIP).toBe(call[2].after.ip);
    expect(call[3].stub).toBe("entry_SYSENTER_32");
  });

  it("function: a glibc symbol (write) entered with its arguments, before its syscall", async () => {
    m = await machine("x86_64/hello-glibc");
    const events = record(m, ["function", "syscall_entry"]);
    m.kernel.watchFunction("write");
    m.runToEnd();
    const i = events.findIndex((e) => e.point === "function");
    expect(events[i]).toMatchObject({ symbol: "write", args: [1n, expect.any(BigInt), 17n, expect.any(BigInt), expect.any(BigInt), expect.any(BigInt)] });
    expect(events[i + 1]).toMatchObject({ point: "syscall_entry", name: "write" });
  });

  it("vdso: clock reads are served in user mode, no kernel entry for them", async () => {
    m = await machine("x86_64/clock-read");
    const events = record(m, ["vdso", "syscall_entry"]);
    m.runToEnd();
    const served = events.filter((e) => e.point === "vdso").map((e: any) => e.function);
    // one event per call, under the function's canonical name (its alias `clock_gettime` is the same code)
    expect(served.filter((f: string) => f === "__vdso_clock_gettime")).toHaveLength(3); // monotonic, realtime, monotonic
    expect(served).not.toContain("clock_gettime");
    expect(events.filter((e) => e.point === "syscall_entry").map((e: any) => e.name)).not.toContain("clock_gettime");
  });
});
