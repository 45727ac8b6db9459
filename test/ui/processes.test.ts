// The step session and UI with several processes: busybox sh runs a pipeline (two children, one
// of them exec'ing cat) and traps a signal it sends itself. The list shows every process's
// syscalls with strace -f's `[pid N]`, the fork/exec markers, `--- SIGUSR1 {...} ---` and each
// `+++ exited with 0 +++`; the entry path shows the handler frame and what sigreturn restored.

import { existsSync } from "node:fs";
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { createElement } from "react";
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.js";
import { App } from "../../emulator/ui/app.js";
import { StepSession } from "../../emulator/ui/session.js";
import { ROOT, plain } from "./helpers.js";

const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");
const have = existsSync(BUSYBOX);
if (!have) console.warn(`test/ui/processes: ${BUSYBOX} is missing, skipping (sh test/corpus/fetch-busybox.sh fetches it)`);
const SCRIPT = 'echo a | cat; trap "echo t" USR1; kill -USR1 $$';

const cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

async function session(): Promise<StepSession> {
  const m = await Machine.create(BUSYBOX, { argv: ["busybox", "sh", "-c", SCRIPT], captureOutput: true, deterministic: true, stdin: "", warn: () => {} });
  const s = await StepSession.create(m);
  cleanups.push(() => { s.close(); m.close(); });
  return s;
}

const titles = (s: StepSession) => Object.fromEntries(s.entryPath().stages.map((x) => [x.id, { state: x.state, title: x.title, detail: x.detail }]));

describe.skipIf(!have)("step with processes and signals (busybox sh)", () => {
  it("lists every process's syscalls strace -f style, with fork, exec, signal and exit lines", async () => {
    const s = await session();
    s.run("continue");
    expect(s.exit?.code).toBe(0);
    expect(s.machine.stdout.toString()).toBe("a\nt\n");
    const text = s.syscallLines().map((l) => l.text);
    // before the first fork: no prefix; then every line names its process (deterministic pids from 1000)
    expect(text).toContain("pipe2([3, 4], 0) = 0");
    expect(text).toContain("[pid  1000] === fork: child pid 1001 ===");
    expect(text).toContain("[pid  1000] === fork: child pid 1002 ===");
    expect(text).toContain('[pid  1001] write(1, "a\\n", 2) = 2');
    expect(text).toContain("[pid  1001] +++ exited with 0 +++");
    // the program's real path (the corpus folder may be a symbolic link, as in a git worktree)
    expect(text).toContain(`[pid  1002] === exec ${realpathSync(BUSYBOX)} ===`);
    expect(text).toContain("[pid  1002] sendfile(1, 0, NULL, 16777216) = 2");
    expect(text).toContain("[pid  1000] --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=1000, si_uid=1000} ---");
    expect(text).toContain('[pid  1000] write(1, "t\\n", 2) = 2');
    expect(text[text.length - 1]).toBe("[pid  1000] +++ exited with 0 +++");
    // the signal line comes right after the kill that sent it
    const kill = text.indexOf("[pid  1000] kill(1000, SIGUSR1) = 0");
    expect(text[kill + 1]).toMatch(/^\[pid  1000\] --- SIGUSR1 /);
    // wait4 slept while the children ran: one line, filled in when it returned
    expect(text.filter((t) => t.includes("wait4(-1, ") && t.endsWith("= 1001"))).toHaveLength(1);
    // markers are not numbered syscalls
    const lines = s.syscallLines();
    expect(lines.filter((l) => l.marker).every((l) => l.index === -1)).toBe(true);
    expect(new Set(lines.map((l) => l.key)).size).toBe(lines.length);
  });

  it("the panels follow the process whose event is current: a child's syscall on the one CPU", async () => {
    const s = await session();
    s.toggleBreakpoint("dup2");
    s.run("continue"); // the first dup2 is the echo child's (stdout to the pipe)
    expect(s.viewPid).toBe(1001);
    expect(s.where()).toBe("entry_SYSCALL_64 (CPL 0, pid 1001)");
    expect(s.current!.pid).toBe(1001);
    expect(s.syscallText(s.current!)).toBe("[pid  1001] dup2(4, 1) ...");
    const child = s.machine.kstate.sched.tasks.get(1001)!;
    expect(child.machine).toBe(s.machine.kernel); // one CPU and kernel for every 64-bit process
    expect(child.machine.current).toBe(child);
    expect(child.machine.cpu.get("cr3")).toBe(BigInt(child.mm.pgd.root)); // its own address space
    expect(s.registers().find((r) => r.name === "rdi")!.value).toBe(child.machine.cpu.get("rdi"));
    s.run("out");
    expect(s.current!.ret!.after.cpl).toBe(3);
    expect(s.syscallText(s.current!)).toBe("[pid  1001] dup2(4, 1) = 1");
    // the child's own registers: the result in its rax, not the parent's
    expect(child.machine.cpu.get("rax")).toBe(1n);
    expect(s.registers().find((r) => r.name === "rax")!.value).toBe(1n);
    // one CPU and one memory: the child's steps rewind like the first process's
    expect(s.stepBack()).toBe(true);
    expect(s.where()).toBe("entry_SYSCALL_64 (CPL 0, pid 1001)");
    expect(s.syscallText(s.current!)).toBe("[pid  1001] dup2(4, 1) ...");
  });

  it("i shows the signal stage: the handler and its frame on the way out of kill, then what rt_sigreturn restored", async () => {
    const s = await session();
    s.toggleBreakpoint("kill");
    s.run("continue");
    s.run("stage"); // the stub
    s.run("stage"); // do_syscall_64: sys_kill, the exit, and the signal delivered on the way out
    let st = titles(s);
    expect(st.signal.state).toBe("current");
    const handler = s.current!.signal!.handler!;
    expect(st.signal.title).toBe(`SIGUSR1 → handler ${handler.toString(16)}`);
    expect(st.signal.detail).toContain(`frame at ${s.current!.signal!.frame!.toString(16)} on the user stack`);
    expect(st.signal.detail).toContain("{si_signo=SIGUSR1, si_code=SI_USER, si_pid=1000, si_uid=1000}");
    const killRet = s.current!; // where the shell continues once the handler is done
    s.run("stage"); // the return: to the handler, not back after the syscall
    st = titles(s);
    expect(st.return.state).toBe("current");
    expect(killRet.ret!.after.ip).toBe(handler);
    s.run("stage");
    expect(s.ip).toBe(handler);
    expect(s.cpl()).toBe(3);
    s.toggleBreakpoint("kill");
    s.toggleBreakpoint("rt_sigreturn");
    s.run("continue");
    for (let i = 0; i < 2; i++) s.run("stage");
    st = titles(s);
    expect(st.signal.title).toBe("rt_sigreturn: state restored from the frame");
    const back = killRet.instructions[0].address + 2n; // after kill's syscall instruction
    expect(st.signal.detail[0]).toMatch(new RegExp(`^RIP ← ${back.toString(16)}  RSP ← `));
    s.run("out");
    expect(s.ip).toBe(back);
  });

  it("the UI: pid in the header, [pid N] lines, the signal line, markers unnumbered", async () => {
    const s = await session();
    s.toggleBreakpoint("rt_sigreturn");
    s.run("continue"); // the SIGCHLD handler's return
    s.run("continue"); // the SIGUSR1 handler's return
    const ui = render(createElement(App, { session: s, name: "busybox", cols: 120, rows: 40 }));
    cleanups.unshift(() => ui.unmount());
    const f = plain(ui.lastFrame());
    expect(f).toContain("sysgate step busybox (x86-64) │ pid 1000 │ paused │ breakpoint: rt_sigreturn");
    expect(f).toContain("\n     [pid  1000] --- SIGUSR1 {si_signo=SIGUSR1, si_co…"); // unnumbered, cut at the pane's edge
    expect(f).toMatch(/▶ ?\d+ \[pid  1000\] rt_sigreturn\(/);
    expect(f).toContain("Entry path: SYSCALL (x86-64) pid 1000");
    ui.stdin.write("/");
    await new Promise((r) => setTimeout(r, 50));
    ui.stdin.write("pid  1001\r");
    for (let i = 0; i < 100 && !plain(ui.lastFrame()).includes("/pid  1001"); i++) await new Promise((r) => setTimeout(r, 10));
    const g = plain(ui.lastFrame());
    expect(g).toContain('[pid  1001] write(1, "a\\n", 2) = 2');
    expect(g).toContain("[pid  1001] +++ exited with 0 +++");
  });
});
