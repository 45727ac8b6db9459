// Running sysgate's real command line (dist/emulator/cli/main.js) from tests. The tests' global
// setup (test/global-setup.ts) builds dist/ once, before any test file runs, when a source is
// newer than it; test files only check. A test file that rebuilt dist/ itself would rewrite
// files that the other workers are running at that moment (vitest runs files in parallel).

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = join(ROOT, "dist", "emulator", "cli", "main.js");

/** What `npm run build` compiles (tsconfig.json's include, and the bundle step's script). */
const SOURCE_DIRS = ["emulator", "kernel-model", join("test", "bench"), join("test", "fuzz")];
const SOURCE = /\.(ts|tsx|mts|mjs)$/;

function newestSource(dir: string, best: { path: string; mtime: number }): void {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newestSource(p, best);
    else if (SOURCE.test(e.name)) {
      const mtime = statSync(p).mtimeMs;
      if (mtime > best.mtime) { best.path = p; best.mtime = mtime; }
    }
  }
}

/**
 * Why dist/ under `root` cannot be run as it is (missing, or older than a named source file),
 * or undefined when it is current. The build writes the CLI last (tsc, then the bundle over
 * tsc's main.js), so its time is the build's.
 */
export function distStaleness(root = ROOT): string | undefined {
  const cli = join(root, "dist", "emulator", "cli", "main.js");
  if (!existsSync(cli)) return `${relative(root, cli)} is missing`;
  const built = statSync(cli).mtimeMs;
  const newest = { path: join(root, "tsconfig.json"), mtime: existsSync(join(root, "tsconfig.json")) ? statSync(join(root, "tsconfig.json")).mtimeMs : 0 };
  for (const d of SOURCE_DIRS) newestSource(join(root, d), newest);
  if (newest.mtime > built) return `${relative(root, newest.path)} is newer than ${relative(root, cli)}`;
  return undefined;
}

/**
 * Builds dist/ (`npm run build`: tsc, then the bundle) if it is stale. Called by the global
 * setup only. tsc still emits JavaScript on type errors (someone mid-edit): the tests then run
 * what it emitted, with a warning; a build that left no CLI makes every dist test fail saying so.
 */
export function buildDistIfStale(root = ROOT): void {
  const why = distStaleness(root);
  if (why === undefined) return;
  console.warn(`test setup: building dist/ (${why})`);
  const r = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8", timeout: 540_000 });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error?.message ?? ""}`.trim().split("\n").slice(-20).join("\n");
    console.warn(`test setup: npm run build failed; the tests run what it emitted:\n${out}`);
  }
}

/**
 * Throws, naming the reason, unless dist/ is built and current. Never builds: the global setup
 * has, before any test file started.
 */
export function ensureDist(root = ROOT): void {
  const why = distStaleness(root);
  if (why !== undefined) {
    throw new Error(`dist/ is not current (${why}): the tests' global setup builds it (run the tests with ` +
      "`npx vitest run`, and rerun if a source changed while they ran), or run `npm run build`");
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
