// The step session with several tasks on one CPU and one physical memory: the context switch and
// copy-on-write lines of a forking shell (checked against the page tables and frame counts they
// describe), step back across a switch, `t` and `s` on the task on view, and a pthreads program
// whose threads each have their own lines. Native runs are the oracle for the output.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createElement } from "react";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.js";
import { App } from "../../emulator/ui/app.js";
import { StepSession } from "../../emulator/ui/session.js";
import type { Task } from "../../kernel-model/sched/task.js";
import { buildC } from "../threads/corpus.js";
import { ROOT, plain } from "./helpers.js";

const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");
const have = existsSync(BUSYBOX);
if (!have) console.warn(`test/ui/tasks: ${BUSYBOX} is missing, skipping (sh test/corpus/fetch-busybox.sh fetches it)`);
const SCRIPT = "echo a; (echo b); echo c";

const cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

async function session(path: string, argv?: string[]): Promise<StepSession> {
  const m = await Machine.create(path, { argv, captureOutput: true, deterministic: true, stdin: "", warn: () => {} });
  const s = await StepSession.create(m);
  cleanups.push(() => { s.close(); m.close(); });
  return s;
}
const shell = () => session(BUSYBOX, ["busybox", "sh", "-c", SCRIPT]);
const task = (s: StepSession, pid: number): Task => s.machine.kstate.sched.tasks.get(pid)!;
const texts = (s: StepSession) => s.syscallLines().map((l) => l.text);
const native = (path: string, args: string[]) => spawnSync(path, args, { encoding: "utf8" });

/** What the panels show of the task on view. */
function frame(s: StepSession) {
  return { where: s.where(), regs: s.registers().map((r) => `${r.name}=${r.value.toString(16)}`), stack: s.memory(s.sp, 256).toString("hex"),
    ptRegs: s.ptRegs()?.lines.map((l) => l.value.toString(16)) };
}

interface Cow { pid: number; address: bigint; old: number; copy?: number }
function cowLines(lines: string[]): Cow[] {
  return lines.flatMap((l) => {
    const m = /^\[pid +(\d+)\] === CoW fault ([0-9a-f]+): frame ([0-9a-f]+) (?:→ ([0-9a-f]+)|kept \(last user\)) ===$/.exec(l);
    return m ? [{ pid: Number(m[1]), address: BigInt("0x" + m[2]), old: parseInt(m[3], 16), copy: m[4] ? parseInt(m[4], 16) : undefined }] : [];
  });
}
const page = (a: bigint) => a & ~0xfffn;

describe.skipIf(!have)("step with one CPU and one memory (busybox sh: echo a; (echo b); echo c)", () => {
  it("a context switch and CoW faults are lines of the list, and say what the page tables and frames hold", async () => {
    const s = await shell();
    s.toggleBreakpoint("wait4");
    s.run("continue"); // the parent forked the subshell and is about to wait for it; the child has not run
    const parent = task(s, 1000), child = task(s, 1001);
    s.run("syscall"); // the parent sleeps in wait4, the child gets the CPU and runs to its first syscall
    expect(s.viewName).toBe("pid 1001");
    const lines = texts(s);
    expect(lines).toContain(`=== context_switch 1000 → 1001: CR3 ${parent.mm.pgd.root.toString(16)} → ${child.mm.pgd.root.toString(16)} ===`);
    expect(s.machine.kernel.cpu.get("cr3")).toBe(BigInt(child.mm.pgd.root));
    // the parent's writes after fork: its page table maps the copy, the child's still the shared frame
    const cows = cowLines(lines).filter((c) => c.pid === 1000 && c.copy !== undefined);
    expect(cows.length).toBeGreaterThan(0);
    for (const c of cows) {
      expect(parent.mm.pgd.lookup(page(c.address))!.pa).toBe(c.copy);
      expect(child.mm.pgd.lookup(page(c.address))!.pa).toBe(c.old);
      expect(s.machine.kernel.phys.pageCount(c.old)).toBe(1);
    }
  });

  it("r after stepping into the child goes back across the switch: the parent's registers, stack and pt_regs, and the child's CoW undone", async () => {
    const s = await shell();
    s.toggleBreakpoint("wait4");
    s.run("continue");
    s.stepInstruction(); // the parent's syscall instruction: on the entry stub
    const parent = task(s, 1000), child = task(s, 1001);
    const before = frame(s);
    expect(before.where).toBe("entry_SYSCALL_64+0x3 (CPL 0, pid 1000)");
    s.toggleBreakpoint("wait4");
    s.toggleBreakpoint("write");
    const earlier = texts(s).length; // the child's CoW of fork's tid write came with the clone, before this key
    s.run("continue"); // the parent sleeps, the child runs (writing to shared pages) to its write of "b"
    expect(s.viewName).toBe("pid 1001");
    expect(s.syscallText(s.current!)).toBe('[pid  1001] write(1, "b\\n", 2) ...');
    const childCows = cowLines(texts(s).slice(earlier)).filter((c) => c.pid === 1001);
    const copied = childCows.filter((c) => c.copy !== undefined);
    expect(copied.length).toBeGreaterThan(0);
    for (const c of copied) expect(s.machine.kernel.phys.pageCount(c.old)).toBe(1);

    expect(s.stepBack()).toBe(true);
    expect(frame(s)).toEqual(before);
    expect(s.machine.kernel.current).toBe(parent);
    expect(s.machine.kernel.cpu.get("cr3")).toBe(BigInt(parent.mm.pgd.root));
    expect(parent.state).toBe("runnable");
    expect(child.thread.ctx).toBeUndefined(); // not run yet: ret_from_fork will start it again
    expect(texts(s).some((l) => l.startsWith("=== context_switch"))).toBe(false);
    // the child's page table maps the shared frames again, each with both users back
    for (const c of copied) {
      expect(child.mm.pgd.lookup(page(c.address))!.pa).toBe(c.old);
      expect(s.machine.kernel.phys.pageCount(c.old)).toBe(2);
    }
    s.toggleBreakpoint("write");
    s.run("continue");
    const n = native(BUSYBOX, ["sh", "-c", SCRIPT]);
    expect({ out: s.machine.stdout.toString(), code: s.exit?.code }).toEqual({ out: n.stdout, code: n.status });
  });

  it("t puts the child on view and s steps it: the CPU switches to it; r switches back", async () => {
    const s = await shell();
    s.toggleBreakpoint("wait4");
    s.run("continue");
    const parentAt = frame(s);
    s.viewNext();
    expect(s.viewName).toBe("pid 1001");
    expect(s.message).toBe("viewing pid 1001 (not run yet) of 2 tasks: s steps it");
    s.stepInstruction();
    expect(s.viewName).toBe("pid 1001");
    expect(s.machine.kernel.current).toBe(task(s, 1001));
    expect(texts(s).at(-1)).toMatch(/^=== context_switch 1000 → 1001: /);
    s.stepInstruction();
    expect(s.message).toMatch(/^stepped to .*\(CPL 0, pid 1001\)$/);
    s.viewNext(); // back to the parent: where the breakpoint left it
    expect(s.viewName).toBe("pid 1000");
    expect(frame(s)).toEqual(parentAt);
    s.stepInstruction(); // the parent again: the CPU switches back
    expect(texts(s).at(-1)).toMatch(/^=== context_switch 1001 → 1000: /);
    for (let i = 0; i < 3; i++) expect(s.stepBack()).toBe(true);
    expect(s.viewName).toBe("pid 1001"); // the view as it was before the first s
    expect(s.machine.kernel.current).toBe(task(s, 1000));
    expect(task(s, 1001).thread.ctx).toBeUndefined();
    s.viewNext();
    expect(frame(s)).toEqual(parentAt);
    s.toggleBreakpoint("wait4");
    s.run("continue");
    expect(s.machine.stdout.toString()).toBe(native(BUSYBOX, ["sh", "-c", SCRIPT]).stdout);
  });

  it("no stepping back over a fork: the process table is not rewound", async () => {
    const s = await shell();
    s.toggleBreakpoint("clone");
    s.run("continue");
    s.run("syscall"); // clone made pid 1001
    expect(s.stepBack()).toBe(false);
    expect(s.message).toBe("no stepping back over the last key: pid 1000 made 1001");
  });
});

describe("step follows threads (pthreads.c)", () => {
  it("each thread's syscalls carry its tid, the header names the thread, t and s reach one that never ran", async (ctx) => {
    const b = buildC("pthreads.c", "x86_64", ["-pthread"]);
    if ("skip" in b) return ctx.skip(b.skip);
    const s = await session(b.path);
    s.toggleBreakpoint("sched_yield");
    s.run("continue"); // the first worker's first yield
    const tid = s.viewPid;
    expect(s.viewName).toBe(`pid 1000 tid ${tid}`);
    expect(s.syscallText(s.current!)).toBe(`[pid  ${tid}] sched_yield() ...`);
    const lines = texts(s);
    expect(lines).toContain(`[pid  1000] === clone: new thread tid ${tid} ===`);
    expect(lines).toContain(`[pid  ${tid}] set_robust_list(${"0x" + task(s, tid).robustList.head.toString(16)}, 24) = 0`);
    // threads share the address space: switch_mm keeps CR3
    expect(lines.filter((l) => l.startsWith("=== context_switch")).every((l) => / kept \(same mm\) ===$/.test(l))).toBe(true);
    const ui = render(createElement(App, { session: s, name: "pthreads", cols: 120, rows: 40 }));
    cleanups.unshift(() => ui.unmount());
    expect(plain(ui.lastFrame())).toContain(`sysgate step pthreads (x86-64) │ pid 1000 tid ${tid} │ paused │ breakpoint: sched_yield`);
    // a thread made but not run yet: on view, then one instruction of it
    let fresh: Task | undefined;
    for (let i = 0; i < 8 && !fresh; i++) {
      s.viewNext();
      if (s.message.includes("(not run yet)")) fresh = s.view;
    }
    expect(fresh).toBeDefined();
    // right after the syscall instruction of glibc's clone3 wrapper (clone on a kernel without clone3)
    expect(s.where()).toMatch(new RegExp(`^clone3?\\+0x[0-9a-f]+ \\(CPL 3, pid 1000 tid ${fresh!.pid}\\)$`));
    s.stepInstruction();
    expect(s.machine.kernel.current).toBe(fresh);
    expect(texts(s).at(-1)).toBe(`=== context_switch ${tid} → ${fresh!.pid}: CR3 ${fresh!.mm.pgd.root.toString(16)} kept (same mm) ===`);
    expect(s.stepBack()).toBe(true);
    expect(s.machine.kernel.current!.pid).toBe(tid);
    s.toggleBreakpoint("sched_yield");
    s.run("continue");
    const n = native(b.path, []);
    expect({ out: s.machine.stdout.toString(), code: s.exit?.code }).toEqual({ out: n.stdout, code: n.status });
  }, 120_000);
});
