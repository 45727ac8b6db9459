// `sysgate step` with several tasks, in a real terminal (tmux): a forking busybox shell shows its
// context switch and copy-on-write lines, r goes back across the switch to the very registers the
// screen showed before, t puts another process on view and s steps it, a pthreads program shows
// each thread's lines and the thread in the header, and every key of the help still works after
// steps in each mode with two processes.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { kernelText } from "../../kernel-model/entry/kernel_text.js";
import { HELP_LINES } from "../../emulator/ui/panels.js";
import { ROOT, ensureDist } from "../run/cli.js";
import { buildC } from "../threads/corpus.js";
import { Terminal, hasTmux, header, registerLines } from "./tmux.js";

// the kernel text's addresses, as its nasm map gives them
const hex = (v: bigint) => v.toString(16);

const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");
const SHELL = ["--deterministic", BUSYBOX, "sh", "-c", "echo a; (echo b); echo c"];

let term: Terminal | undefined;
afterEach(() => { term?.close(); term = undefined; });

describe.skipIf(!hasTmux || !existsSync(BUSYBOX))("sysgate step with processes and threads, in a real terminal", () => {
  beforeAll(() => ensureDist(), 600_000);

  it("context_switch and CoW lines; r after running into the child is back across the switch, registers as shown before", async () => {
    const t = term = await Terminal.start(SHELL, 160, 45); // wide enough for whole CoW lines
    await t.prompt("b", "break on syscall", "wait4");
    await t.key("c", "breakpoint: wait4");
    const before = await t.key("s", "stepped to entry_SYSCALL_64+0x3");
    expect(header(before)).toContain("│ pid 1000 │");
    const regs = registerLines(before);
    expect(regs.join(" ")).toMatch(new RegExp(`rax [0-9a-f]{16}.* rip ${hex(kernelText("entry_64").sym("entry_SYSCALL_64") + 3n)}`)); // all of them, on the stub
    const after = await t.key("n", "next syscall: set_robust_list");
    expect(header(after)).toContain("│ pid 1001 │");
    expect(after).toMatch(/=== context_switch 1000 → 1001: CR3 [0-9a-f]+ → [0-9a-f]+ ===/);
    expect(after).toMatch(/\[pid  1000\] === CoW fault [0-9a-f]+: frame [0-9a-f]+ → [0-9a-f]+ ===/);
    expect(registerLines(after)).not.toEqual(regs);
    const back = await t.key("r", "stepped back to entry_SYSCALL_64+0x3 (CPL 0, pid 1000)");
    expect(header(back)).toContain("│ pid 1000 │");
    expect(registerLines(back)).toEqual(regs);
    expect(back).not.toContain("context_switch");
    await t.prompt("b", "break on syscall", "wait4"); // off again
    await t.key("c", "program ended: exit status 0");
  }, 120_000);

  it("t puts the child on view and s steps it: the CPU switches to it", async () => {
    const t = term = await Terminal.start(SHELL, 120, 45);
    await t.prompt("b", "break on syscall", "wait4");
    await t.key("c", "breakpoint: wait4");
    const viewed = await t.key("t", "viewing pid 1001 (not run yet) of 2 tasks");
    expect(header(viewed)).toContain("│ pid 1001 │");
    const stepped = await t.key("s", /stepped to \S+ \(CPL 0, pid 1001\)/);
    expect(stepped).toMatch(/=== context_switch 1000 → 1001: /);
    await t.key("t", "viewing pid 1000 (runnable)");
    const back = await t.key("s", /stepped to \S+ \(CPL 0, pid 1000\)/); // the parent's syscall instruction
    expect(back).toMatch(/=== context_switch 1001 → 1000: /);
  }, 120_000);

  it("every key of the help after steps in each mode, with two processes", async () => {
    const t = term = await Terminal.start(SHELL, 100, 30);
    await t.prompt("b", "break on syscall", "wait4");
    await t.key("c", "breakpoint: wait4");
    await t.key("n", "next syscall");
    for (const k of ["i", "s", "o", "t", "s", "r", "r", "n", "i", "i"]) await t.key(k);
    const help = await t.key("?", "Keys");
    for (const l of HELP_LINES) expect(help).toContain(l.trimEnd());
    t.send("?");
    await t.screenWith("Entry path");
    await t.key("Tab"); await t.key("Tab");
    await t.prompt("/", "filter syscalls", "pid  1001");
    await t.prompt("/", "filter syscalls", "");
    await t.prompt("m", "memory address", "401000");
    await t.screenWith("Memory 401000");
    await t.key("p", "not running");
    await t.key("t", "viewing");
    await t.key("o");
    await t.key("c", /program ended|breakpoint: wait4/);
  }, 180_000);

  it("a pthreads program: each thread's lines with its tid, the thread in the header, t and s on a thread", async (ctx) => {
    const b = buildC("pthreads.c", "x86_64", ["-pthread"]);
    if ("skip" in b) return ctx.skip(b.skip);
    const t = term = await Terminal.start(["--deterministic", b.path], 160, 45);
    await t.prompt("b", "break on syscall", "sched_yield");
    const s = await t.key("c", "breakpoint: sched_yield");
    const tid = Number(/│ pid 1000 tid (\d+) │/.exec(header(s))?.[1]);
    expect(tid).toBeGreaterThan(1000);
    expect(s).toContain(`[pid  ${tid}] sched_yield() ...`);
    expect(s).toMatch(/=== context_switch \d+ → \d+: CR3 [0-9a-f]+ kept \(same mm\) ===/);
    const v = await t.key("t", /viewing pid 1000 tid (\d+) \((not run yet|runnable)\)/);
    const other = Number(/viewing pid 1000 tid (\d+)/.exec(v)![1]);
    expect(header(v)).toContain(`│ pid 1000 tid ${other} │`);
    const st = await t.key("s", new RegExp(`stepped to \\S+ \\(CPL \\d, pid 1000 tid ${other}\\)`));
    expect(st).toContain(`=== context_switch ${tid} → ${other}: `);
  }, 180_000);
});
