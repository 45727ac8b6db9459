// Every key of the `?` help in a real terminal (tmux), after steps in each mode, with React's
// development build (the one that logs changed props and once died on a BigInt among them), at
// 80 and 100 columns; keys typed while the guest runs; the header and the entry path agreeing.

import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { HELP_LINES } from "../../emulator/ui/panels.js";
import { ensureDist } from "../run/cli.js";
import { Terminal, hasTmux, header } from "./tmux.js";

let term: Terminal | undefined;
afterEach(() => { term?.close(); term = undefined; });

async function start(cols: number, rows: number, sample = "x86_64/hello-glibc"): Promise<Terminal> {
  return term = await Terminal.start([`samples/bin/${sample}`], cols, rows);
}

describe.skipIf(!hasTmux)("sysgate step: every key in the help, in a real terminal", () => {
  beforeAll(() => ensureDist(), 600_000);

  it("r after two n steps back (no BigInt in React's props), then i, s, o, c run on", async () => {
    const t = await start(100, 30);
    await t.key("n", "next syscall: brk");
    await t.key("n", /Syscalls 2/);
    await t.key("r", "stepped back");
    await t.key("i", "stage:");
    await t.key("s", "stepped to");
    await t.key("o", "back in user mode");
    await t.key("c", "program ended");
  }, 90_000);

  for (const [cols, rows] of [[80, 24], [100, 30]] as const) {
    it(`? shows every help line whole at ${cols} columns, after steps in each mode`, async () => {
      const t = await start(cols, rows);
      for (const k of ["n", "i", "s", "o", "t"]) await t.key(k);
      const s = await t.key("?", "Keys");
      for (const l of HELP_LINES) expect(s).toContain(l.trimEnd());
      t.send("?");
      await t.screenWith("Entry path"); // the panels are back
    }, 90_000);
  }

  it("every other key of the help, each after a step, leaves a working UI", async () => {
    const t = await start(100, 30);
    await t.key("n");
    await t.key("Tab"); await t.key("Tab"); await t.key("Tab");
    await t.prompt("/", "filter syscalls", "brk");
    await t.screenWith("Syscalls 1 /brk");
    await t.prompt("/", "filter syscalls", ""); // the prompt starts with the filter: Enter keeps it
    await t.prompt("m", "memory address", "401000");
    await t.screenWith("Memory 401000");
    await t.prompt("b", "break on syscall", "write");
    await t.screenWith("breakpoint on write");
    await t.key("c", "breakpoint: write");
    await t.key("p", "not running");
    await t.key("r", "stepped back");
    await t.key("t", /viewing pid \d+ \(on the CPU\) of 1 task/);
    await t.key("i");
    await t.key("q", /\$ *$|^\s*$/m).catch(() => undefined);
  }, 120_000);

  it("the header names the stage the entry path marks ▶, and regs->ax reads as the list does", async () => {
    const t = await start(100, 30);
    await t.key("n", "next syscall: brk");
    const s = await t.key("i", "stage:");
    const stage = /stage: (\S+)/.exec(header(s))![1];
    expect(s).toMatch(new RegExp(`^▶ ${stage} `, "m"));
    const u = await t.key("i", /regs->ax = (0x[0-9a-f]+|-?\d+)/);
    // brk returns an address: hex in the list (= 0x4ac000) and in the exit stage alike
    const listed = /brk\(NULL\) += (0x[0-9a-f]+)/.exec(u)?.[1];
    expect(listed).toBeDefined();
    expect(u).toContain(`regs->ax = ${listed}`);
  }, 90_000);

  it("keys typed while the guest runs are kept, in order", async () => {
    const t = await start(100, 30);
    t.send("n", "n", "n"); // the second and third arrive while the first still runs
    await t.screenWith(/Syscalls 3/);
    await t.screenWith(/│ paused │ next syscall/);
  }, 90_000);
});
