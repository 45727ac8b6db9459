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

/**
 * Seconds from starting `sysgate step` in tmux until its first frame is on the screen (the title
 * line and the code panel), the best of `repeat`; a string when it cannot be measured.
 */
export function stepFirstFrame(root: string, repeat = 3): number | string {
  if (spawnSync("tmux", ["-V"]).status !== 0) return "skipped (no tmux: apt-get install tmux)";
  const cli = join(root, "dist", "emulator", "cli", "main.js");
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const session = `sgframe${process.pid}_${i}`;
    const t0 = process.hrtime.bigint();
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30",
      `${process.execPath} ${cli} step ${join(root, "samples/bin/x86_64/hello-glibc")}; sleep 30`);
    try {
      let s = Infinity;
      const pause = new Int32Array(new SharedArrayBuffer(4));
      while (process.hrtime.bigint() - t0 < 30_000_000_000n) {
        Atomics.wait(pause, 0, 0, 5); // leave the CPU to the UI between looks
        const screen = tmux("capture-pane", "-t", session, "-p").stdout;
        if (screen.includes("sysgate step") && screen.includes("_start")) {
          s = Number(process.hrtime.bigint() - t0) / 1e9;
          break;
        }
      }
      if (s === Infinity) return "no frame within 30 s";
      best = Math.min(best, s);
    } finally {
      tmux("kill-session", "-t", session);
    }
  }
  return best;
}
