// The step session without a terminal: each entry path's stages in order with the values the
// hooks reported, stops that never repeat a service routine, step back, breakpoints, filters.

import { afterEach, describe, expect, it } from "vitest";
import { Machine, type MachineOptions } from "../../emulator/machine.js";
import { StepSession } from "../../emulator/ui/session.js";
import { sample } from "./helpers.js";

const open: StepSession[] = [];
async function session(p: string, opts: MachineOptions = {}): Promise<StepSession> {
  const m = await Machine.create(sample(p), { captureOutput: true, deterministic: true, stdin: "", ...opts });
  const s = await StepSession.create(m);
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) { s.close(); s.machine.close(); }
});

const stagesSeen = (s: StepSession) => s.entryPath().stages.filter((x) => x.state !== "pending").map((x) => x.id);

describe("step session", () => {
  it("starts at the program's first instruction in user mode", async () => {
    const s = await session("x86_64/hello-syscall");
    expect(s.cpl()).toBe(3);
    expect(s.ip).toBe(s.machine.image.entry);
    expect(s.records).toHaveLength(0);
  });

  it("walks the x86-64 SYSCALL path stage by stage, and the write happens once", async () => {
    const s = await session("x86_64/hello-syscall");
    const where: string[] = [];
    for (let i = 0; i < 5; i++) {
      s.run("stage");
      where.push(`${s.current!.stage}@${s.where()}`);
    }
    expect(where).toEqual([
      "transition@entry_SYSCALL_64 (CPL 0)",
      "entry_stub@entry_SYSCALL_64 (CPL 0)",
      "exit@do_syscall_64+0x2 (CPL 0)", // the model call has run: at the `ret` back into the stub
      "return@entry_SYSRETQ (CPL 0)",
      "user@0x401018 (CPL 3)",
    ]);
    const r = s.current!;
    expect(r.transition!.msrs!.IA32_LSTAR).toBe(s.machine.kernel.symbols.get("entry_SYSCALL_64")!.address);
    expect(r.transition!.before.cpl).toBe(3);
    expect(r.transition!.after.cpl).toBe(0);
    expect(r.ret!.instruction).toBe("sysretq");
    expect(s.syscallText(r)).toBe('write(1, "hello from syscall\\n", 19) = 19'); // strings as `sysgate trace` shows them
    s.run("continue");
    expect(s.exit).toEqual(expect.objectContaining({ code: 0 }));
    expect(s.machine.stdout.toString()).toBe("hello from syscall\n"); // once, though we stopped in the kernel 4 times
  });

  it("i386 int $0x80 (--kernel i386): IDT vector 128, TSS stack, iret", async () => {
    const s = await session("i386/hello-int80", { kernel: "i386" });
    s.run("syscall");
    const r = s.current!;
    expect(r.mechanism).toBe("int80");
    expect(r.transition!.gate).toEqual(expect.objectContaining({ vector: 128, dpl: 3 }));
    expect(r.transition!.gateBytes).toHaveLength(8);
    expect(s.where()).toBe("entry_INT80_32 (CPL 0)");
    s.run("out");
    expect(s.cpl()).toBe(3);
    expect(r.ret!.instruction).toBe("iret");
    expect(stagesSeen(s)).toEqual(["instruction", "transition", "entry_stub", "generic", "service", "exit", "return", "user"]);
  });

  it("i386 sysenter through __kernel_vsyscall (--kernel i386): both instructions, the SYSENTER MSRs, sysexit", async () => {
    const s = await session("i386/hello-vsyscall", { kernel: "i386" });
    s.run("syscall");
    expect(s.where()).toBe("__kernel_vsyscall (CPL 3)");
    expect(s.current!.instructions.map((i) => i.text)).toEqual(["call __kernel_vsyscall"]);
    s.run("stage"); // the sysenter inside it, and the transition it makes
    const r = s.current!;
    expect(r.instructions.map((i) => i.text)).toEqual(["call __kernel_vsyscall", "sysenter"]);
    expect(Object.keys(r.transition!.msrs!)).toEqual(["IA32_SYSENTER_CS", "IA32_SYSENTER_ESP", "IA32_SYSENTER_EIP"]);
    expect(s.where()).toBe("entry_SYSENTER_32 (CPL 0)");
    s.run("out");
    expect(r.ret!.instruction).toBe("sysexit");
    expect(s.records).toHaveLength(1); // re-fired traps on resume are not new syscalls
    s.run("continue");
    expect(s.syscallLines().map((l) => l.text)).toEqual(['write(1, "hello from __kernel_vsyscall\\n", 29) = 29', expect.stringMatching(/^exit\(0\) = [0?]$/), "+++ exited with 0 +++"]);
  });

  it("i386 under IA32 emulation: int $0x80 into entry_INT80_compat and iretq; the path names the compat stages", async () => {
    const s = await session("i386/hello-int80");
    s.run("syscall");
    const r = s.current!;
    expect(r.mechanism).toBe("int80");
    expect(r.transition!.gateBytes).toHaveLength(16); // a 64-bit IDT gate
    expect(s.where()).toBe("entry_INT80_compat (CPL 0)");
    const titles = s.entryPath().stages.map((x) => x.title);
    expect(titles).toContain("do_int80_syscall_32(regs)");
    s.run("out");
    expect(r.ret!.instruction).toBe("iretq");
    expect(s.entryPath().stages.find((x) => x.id === "instruction")!.detail).toContain("nr 4 in RAX: write");
    expect(r.args.slice(0, 3)).toEqual([1n, expect.any(BigInt), 20n]); // EBX, ECX, EDX: write(1, buf, 20)
  });

  it("marks the registers an instruction changed", async () => {
    const s = await session("x86_64/hello-syscall");
    s.stepInstruction(); // mov eax, 1
    const changed = s.registers().filter((r) => r.changed).map((r) => r.name);
    expect(changed).toEqual(["rax", "rip"]);
  });

  it("steps back: registers, memory and the syscall list as before the key", async () => {
    const s = await session("x86_64/hello-syscall");
    s.run("syscall");
    s.run("stage");
    const stubIp = s.ip;
    s.run("stage"); // pt_regs pushed, write done
    const frame = s.ptRegs()!;
    expect(frame.lines.find((l) => l.field === "orig_ax")!.value).toBe(1n);
    expect(s.stepBack()).toBe(true);
    expect(s.ip).toBe(stubIp);
    expect(s.current!.stage).toBe("entry_stub");
    expect(s.stepBack()).toBe(true);
    expect(s.stepBack()).toBe(true);
    expect(s.records).toHaveLength(0);
    expect(s.cpl()).toBe(3);
    expect(s.ip).toBe(s.machine.image.entry);
    s.run("continue"); // and runs on from there as if nothing happened
    expect(s.exit?.code).toBe(0);
  });

  it("undo records the pages a step changed, and puts them back", async () => {
    const s = await session("x86_64/hello-syscall");
    s.run("syscall");
    s.run("stage"); // at the stub: pt_regs not pushed yet
    const frame = s.ptRegs()!;
    const before = s.memory(frame.address, 168);
    s.run("stage"); // the stub pushed pt_regs and the write ran
    expect(s.memory(frame.address, 168).equals(before)).toBe(false);
    s.stepBack();
    expect(s.memory(frame.address, 168).equals(before)).toBe(true);
  });

  it("continue stops at a breakpoint; p pauses a running guest", async () => {
    const s = await session("x86_64/hello-syscall");
    expect(s.toggleBreakpoint("exit")).toBeUndefined();
    expect(s.toggleBreakpoint("nosuchcall")).toMatch(/no syscall/);
    s.run("continue");
    expect(s.message).toMatch(/^breakpoint: exit/);
    expect(s.syscallLines("exit").map((l) => l.text)).toEqual(["exit(0) ..."]);
    expect(s.exit).toBeUndefined();
    expect(s.start("continue")).toBe(true);
    s.pause();
    expect(s.slice()).toBe(true);
    expect(s.message).toMatch(/^paused at/);
  });

  it("out in user mode with no syscall in progress says so", async () => {
    const s = await session("x86_64/hello-syscall");
    expect(s.start("out")).toBe(false);
    expect(s.message).toBe("already in user mode");
  });
});
