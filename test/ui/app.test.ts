// The panels and the keys of `sysgate step`, rendered by ink into a fake terminal around a
// real machine running a sample: what the frame shows after each key.

import { afterEach, describe, expect, it } from "vitest";
import { createElement } from "react";
import { render } from "ink-testing-library";
import { Machine, type MachineOptions } from "../../emulator/machine.js";
import { App } from "../../emulator/ui/app.js";
import { EntryPath, Memory, Output, PtRegsView, Registers, StatusBar, SyscallList } from "../../emulator/ui/panels.js";
import { kernelText } from "../../kernel-model/entry/kernel_text.js";
import { StepSession } from "../../emulator/ui/session.js";
import { plain, sample } from "./helpers.js";

// the kernel text's addresses, as its nasm map gives them
const hex = (v: bigint) => v.toString(16);
const ENTRY_SYSCALL_64 = hex(kernelText("entry_64").sym("entry_SYSCALL_64"));
const ENTRY_INT80_32 = hex(kernelText("entry_32").sym("entry_INT80_32"));

const cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

async function session(p: string, opts: MachineOptions = {}): Promise<StepSession> {
  const m = await Machine.create(sample(p), { captureOutput: true, deterministic: true, stdin: "", ...opts });
  const s = await StepSession.create(m);
  cleanups.push(() => { s.close(); m.close(); });
  return s;
}

async function app(p: string, cols = 100, rows = 30, opts: MachineOptions = {}) {
  const s = await session(p, opts);
  const ui = render(createElement(App, { session: s, name: p, cols, rows }));
  cleanups.unshift(() => ui.unmount());
  const frame = () => plain(ui.lastFrame());
  /** Sends keys and waits until the frame shows `want`. */
  const press = async (keys: string, want: string | RegExp) => {
    if (keys) ui.stdin.write(keys);
    const t0 = Date.now();
    for (;;) {
      const f = frame();
      if (typeof want === "string" ? f.includes(want) : want.test(f)) return f;
      if (Date.now() - t0 > 5000) throw new Error(`after ${JSON.stringify(keys)}: no ${want} in\n${f}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await press("", "paused");
  return { s, ui, frame, press };
}

const lines = (frame: string) => frame.split("\n");

describe("panels", () => {
  it("SyscallList selects the current syscall and filters", () => {
    const items = [{ index: 0, text: "write(1, 0x402000, 19) = 19" }, { index: 1, text: "exit(0) ..." }];
    const f = plain(render(createElement(SyscallList, { lines: items, selected: 1, width: 40, height: 3, filter: "", breakpoints: ["exit"] })).lastFrame());
    expect(f).toContain("Syscalls 2  break: exit");
    expect(f).toContain("   1 write(1, 0x402000, 19) = 19");
    expect(f).toContain("▶  2 exit(0) ...");
    const empty = plain(render(createElement(SyscallList, { lines: [], selected: undefined, width: 40, height: 3, filter: "open", breakpoints: [] })).lastFrame());
    expect(empty).toContain("no syscall matches the filter");
  });

  it("EntryPath gives detail lines to the current stage first and never wraps", async () => {
    const s = await session("i386/hello-int80", { kernel: "i386" });
    s.run("syscall");
    const ep = s.entryPath();
    const f = plain(render(createElement(EntryPath, { title: "int $0x80 (i386)", stages: ep.stages, width: 36, height: 12 })).lastFrame());
    expect(lines(f)).toHaveLength(13);
    expect(f).toContain("▶ CPU     INT 0x80: IDT vector 128");
    expect(f).toContain(`IDT[128] → 60:${ENTRY_INT80_32} DPL 3`);
    expect(f).toContain("TSS sp0 c2006000");
    expect(f).toContain("· stub    entry_INT80_32");
    for (const l of lines(f)) expect(l.length).toBeLessThanOrEqual(36);
  });

  it("Registers marks changed registers; PtRegsView shows the frame field by field", async () => {
    const s = await session("x86_64/hello-syscall");
    s.stepInstruction();
    const r = plain(render(createElement(Registers, { regs: s.registers(), bits: 64, width: 43, height: 10, cpl: 3 })).lastFrame());
    expect(r).toContain("rax 0000000000000001*");
    expect(r).toContain("rax 0000000000000001* rbx 0000000000000000\n");
    s.run("syscall");
    s.run("stage");
    s.run("stage");
    const p = plain(render(createElement(PtRegsView, { frame: s.ptRegs(), width: 44, height: 11 })).lastFrame());
    expect(p).toContain("pt_regs at ffffffff82008f58");
    expect(p).toMatch(/orig_ax 1\b/);
    expect(p).toMatch(/ip 401018\b/);
  });

  it("Memory shows bytes and text; Output shows what the guest wrote; StatusBar the keys or a prompt", async () => {
    const m = plain(render(createElement(Memory, { address: 0x402000n, bytes: Buffer.from("hello from syscall\n"), width: 80, height: 3, bits: 64, following: "fixed" })).lastFrame());
    expect(m).toContain("000000402000  68 65 6c 6c 6f 20 66 72 6f 6d 20 73 79 73 63 61 hello from sysca");
    expect(m).toContain("(not mapped)");
    const o = plain(render(createElement(Output, { stdout: "a\nb\n", stderr: "oops\n", width: 30, height: 2 })).lastFrame());
    expect(o).toContain("b");
    expect(o).toContain("oops");
    expect(o).not.toMatch(/^a/m);
    expect(plain(render(createElement(StatusBar, { width: 80, running: false })).lastFrame())).toContain("n:sys s:step i:stage");
    expect(plain(render(createElement(StatusBar, { width: 80, running: false, prompt: { label: "break on", text: "wri" } })).lastFrame())).toContain("break on: wri█");
  });
});

describe("keys", () => {
  it("n: the x86-64 write through SYSCALL, with LSTAR and entry_SYSCALL_64", async () => {
    const { press } = await app("x86_64/hello-syscall");
    const f = await press("n", "next syscall: write");
    expect(f).toContain('write(1, "hello from syscall\\n", 19) ...');
    expect(f).toContain(`LSTAR ${ENTRY_SYSCALL_64}`);
    expect(f).toContain("▶ CPU     SYSCALL: RIP ← IA32_LSTAR");
    expect(f).toContain("<entry_SYSCALL_64>");
    expect(f).toContain("CPL 3→0  CS 33→10  SS 2b→18");
  });

  it("i walks the stages, o returns to user mode, s steps, r steps back", async () => {
    const { press } = await app("x86_64/hello-syscall");
    await press("n", "next syscall: write"); // (the start-up message says "n next syscall" too)
    await press("i", "▶ stub    entry_SYSCALL_64");
    let f = await press("i", "▶ exit    regs->ax = 19");
    expect(f).toContain('write(1, "hello from syscall\\n", 1… = 19'); // cut in the arguments, not the result
    expect(f).toContain("pt_regs at ffffffff82008f58");
    f = await press("o", "back in user mode at 0x401018");
    expect(f).toContain("CPL 0→3  CS 10→33  SS 18→2b");
    f = await press("s", "stepped to 0x40101d");
    expect(f).toMatch(/rax 000000000000003c\*/);
    f = await press("r", "stepped back to 0x401018");
    expect(f).not.toMatch(/rax 000000000000003c/);
  });

  it("b sets a breakpoint through the prompt, c runs to it, / filters, ? shows help", async () => {
    const { press } = await app("x86_64/hello-syscall");
    await press("b", "break on syscall (name or number): █");
    await press("exit", "break on syscall (name or number): exit█");
    await press("\r", "breakpoint on exit (#60)");
    let f = await press("c", "breakpoint: exit");
    f = await press("\t", "Memory");
    f = await press("\t", "Guest output");
    expect(f).toContain("hello from syscall");
    f = await press("/", "filter syscalls: █");
    f = await press("wri\r", "Syscalls 1 /wri");
    expect(f).toContain('write(1, "hello from syscall\\n", 1… = 19');
    expect(f).not.toContain("exit(0)");
    f = await press("?", "Keys");
    expect(f).toContain("step back: every task's registers, memory");
  });

  it("Tab cycles the inspector at 80×24, every line within 80 columns", async () => {
    const { press, frame } = await app("i386/hello-int80", 80, 24, { kernel: "i386" });
    await press("n", "next syscall: write");
    expect(lines(frame()).length).toBeLessThanOrEqual(23);
    for (const l of lines(frame())) expect(l.length).toBeLessThanOrEqual(80);
    expect(frame()).toContain("pt_regs at c2005fbc");
    let f = await press("\t", "Memory");
    f = await press("\t", "Guest output");
    f = await press("\t", "Registers  CPL 0");
    expect(f).toContain("eax");
  });

  it("p pauses a guest that runs without syscalls", async () => {
    const s = await session("x86_64/hello-syscall");
    // a loop the guest never leaves: jmp $ at the entry point
    const { pgd } = s.machine.task.mm;
    const pte = pgd.lookup(s.ip & ~0xfffn)!;
    s.machine.kernel.phys.mem.set([0xeb, 0xfe], pte.pa + Number(s.ip & 0xfffn));
    s.machine.cpu.flushCode();
    const ui = render(createElement(App, { session: s, name: "loop", cols: 100, rows: 30, sliceMs: 5 }));
    cleanups.unshift(() => ui.unmount());
    ui.stdin.write("c");
    await new Promise((r) => setTimeout(r, 100));
    expect(plain(ui.lastFrame())).toContain("running...");
    ui.stdin.write("p");
    for (let i = 0; i < 200 && !plain(ui.lastFrame()).includes("paused at"); i++) await new Promise((r) => setTimeout(r, 10));
    expect(plain(ui.lastFrame())).toContain("paused at 0x401000");
  });
});
