// Every key of the `?` help in a real terminal (tmux), after steps in each mode, with React's
// development build (the one that logs changed props and once died on a BigInt among them), at
// 80 and 100 columns; keys typed while the guest runs; the header and the entry path agreeing.

import { spawnSync } from "node:child_process";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { HELP_LINES } from "../../emulator/ui/panels.js";
import { CLI, ROOT, ensureDist } from "../run/cli.js";

const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
const name = `sysgate-keys-${process.pid}`;
afterEach(() => { tmux("kill-session", "-t", name); });

const screen = () => tmux("capture-pane", "-p", "-t", name).stdout;
async function screenWith(want: string | RegExp, timeout = 20000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const s = screen();
    if (/TypeError|Error:/.test(s)) throw new Error(`the UI died:\n${s}`);
    if (typeof want === "string" ? s.includes(want) : want.test(s)) return s;
    if (Date.now() - t0 > timeout) throw new Error(`no '${want}' on the screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function start(cols: number, rows: number, sample = "x86_64/hello-glibc"): Promise<void> {
  // NODE_ENV=development: React's checks on, as a tsc-only build without the bundle would run them
  const r = tmux("new-session", "-d", "-s", name, "-x", String(cols), "-y", String(rows), "-c", ROOT,
    "env", "NODE_ENV=development", process.execPath, CLI, "step", `samples/bin/${sample}`);
  expect(r.status, r.stderr).toBe(0);
  await screenWith("paused");
}
const keys = (...k: string[]) => tmux("send-keys", "-t", name, ...k);
/** Sends a key and waits until the header no longer says the guest runs. */
async function key(k: string, want: string | RegExp = /│ (paused|ended) │/): Promise<string> {
  keys(k);
  await new Promise((r) => setTimeout(r, 150));
  return screenWith(want);
}
const header = (s: string) => s.split("\n")[0];

describe.skipIf(!hasTmux)("sysgate step: every key in the help, in a real terminal", () => {
  beforeAll(() => ensureDist(), 600_000);

  it("r after two n steps back (no BigInt in React's props), then i, s, o, c run on", async () => {
    await start(100, 30);
    await key("n", "next syscall: brk");
    await key("n", /Syscalls 2/);
    await key("r", "stepped back");
    await key("i", "stage:");
    await key("s", "stepped to");
    await key("o", "back in user mode");
    await key("c", "program ended");
  }, 90_000);

  for (const [cols, rows] of [[80, 24], [100, 30]] as const) {
    it(`? shows every help line whole at ${cols} columns, after steps in each mode`, async () => {
      await start(cols, rows);
      for (const k of ["n", "i", "s", "o"]) await key(k);
      const s = await key("?", "Keys");
      for (const l of HELP_LINES) expect(s).toContain(l.trimEnd());
      keys("?");
      await screenWith("Entry path"); // the panels are back
    }, 90_000);
  }

  it("every other key of the help, each after a step, leaves a working UI", async () => {
    await start(100, 30);
    await key("n");
    await key("Tab"); await key("Tab"); await key("Tab");
    await key("/", "filter syscalls"); keys("b", "r", "k", "Enter"); await screenWith(/│ paused │/);
    await key("/"); keys("Enter"); await screenWith(/│ paused │/);
    await key("m", "memory address"); keys("4", "0", "1", "0", "0", "0", "Enter"); await screenWith("Memory");
    await key("b", "break on syscall"); keys("w", "r", "i", "t", "e", "Enter"); await screenWith("breakpoint on write");
    await key("c", "breakpoint: write");
    await key("p", "not running");
    await key("r", "stepped back");
    await key("i");
    await key("q", /\$ *$|^\s*$/m).catch(() => undefined);
  }, 120_000);

  it("the header names the stage the entry path marks ▶, and regs->ax reads as the list does", async () => {
    await start(100, 30);
    await key("n", "next syscall: brk");
    const s = await key("i", "stage:");
    const stage = /stage: (\S+)/.exec(header(s))![1];
    expect(s).toMatch(new RegExp(`^▶ ${stage} `, "m"));
    const t = await key("i", /regs->ax = (0x[0-9a-f]+|-?\d+)/);
    // brk returns an address: hex in the list (= 0x4ac000) and in the exit stage alike
    const listed = /brk\(NULL\) += (0x[0-9a-f]+)/.exec(t)?.[1];
    expect(listed).toBeDefined();
    expect(t).toContain(`regs->ax = ${listed}`);
  }, 90_000);

  it("keys typed while the guest runs are kept, in order", async () => {
    await start(100, 30);
    keys("n", "n", "n"); // the second and third arrive while the first still runs
    await screenWith(/Syscalls 3/);
    await screenWith(/│ paused │ next syscall/);
  }, 90_000);
});
