// Key-to-screen latency of `sysgate step`: the real CLI in tmux, one `s` (one instruction) at a
// time, timed from send-keys until capture-pane shows a different screen. Needs tmux.

import { spawnSync } from "node:child_process";
import { join } from "node:path";

const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });

export function stepLatency(root: string, steps = 20): string {
  if (spawnSync("tmux", ["-V"]).status !== 0) return "step latency: skipped (no tmux: apt-get install tmux)\n";
  const session = `sgbench${process.pid}`;
  const cli = join(root, "dist", "emulator", "cli", "main.js");
  tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30",
    `node ${cli} step ${join(root, "samples/bin/x86_64/hello-glibc")}; sleep 60`);
  const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const screen = () => tmux("capture-pane", "-t", session, "-p").stdout;
  try {
    sleep(3000); // start-up and the first frame
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) {
      const before = screen();
      const t0 = process.hrtime.bigint();
      tmux("send-keys", "-t", session, "s");
      while (screen() === before && process.hrtime.bigint() - t0 < 2_000_000_000n) { /* poll */ }
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      sleep(150);
    }
    ms.sort((a, b) => a - b);
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(0);
    return `sysgate step, key to screen in tmux over ${steps} single steps: median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms\n`;
  } finally {
    tmux("kill-session", "-t", session);
  }
}
