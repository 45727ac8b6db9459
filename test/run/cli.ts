// Running sysgate's real command line (dist/emulator/cli/main.js) from tests. dist is rebuilt
// once when any TypeScript source is newer than it, so the tests never run stale code.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(ROOT, "dist", "emulator", "cli", "main.js");

function newestTs(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestTs(p));
    else if (e.name.endsWith(".ts")) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist with `tsc -p .` if it is missing or older than a source file. */
export function ensureDist(): void {
  const stale = () => (existsSync(CLI) ? statSync(CLI).mtimeMs : 0) <
    Math.max(newestTs(join(ROOT, "emulator")), newestTs(join(ROOT, "kernel-model")), newestTs(join(ROOT, "test", "fuzz")));
  if (!stale()) return;
  // vitest runs test files in parallel workers: one tsc at a time, the others wait for it
  const lock = join(tmpdir(), `sysgate-tsc-${ROOT.replace(/\W/g, "_")}.lock`);
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 180_000) throw new Error(`ensureDist: ${lock} held for 3 minutes (remove it if no test is running)`);
      Atomics.wait(sleep, 0, 0, 200);
    }
  }
  try {
    if (stale()) build();
  } finally {
    rmdirSync(lock);
  }
}

function build(): void {
  const r = spawnSync("npx", ["tsc", "-p", "."], { cwd: ROOT, encoding: "utf8" });
  // tsc still emits JavaScript on type errors (the tree is shared with people mid-edit): go on
  // with what it emitted, but say so; only a build that produced nothing is fatal here.
  if (r.status !== 0) {
    if (!existsSync(CLI)) throw new Error(`tsc -p . failed and emitted nothing:\n${r.stdout}${r.stderr}`);
    process.stderr.write(`warning: tsc -p . reported errors (running the JavaScript it emitted):\n${r.stdout}`);
  }
}

export interface CliRun { stdout: string; stderr: string; status: number | null; signal: NodeJS.Signals | null }

export function sysgate(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string } = {}): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8", env: opts.env ?? process.env, timeout: opts.timeout ?? 60_000, cwd: opts.cwd ?? ROOT,
    maxBuffer: 16 << 20,
  });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}
