// Builds the small C programs of test/time/src with gcc -static (-m32 for i386) once per test
// run, into a temporary folder, so each test runs the same program natively and under sysgate.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sysgate } from "../run/cli.js";
import { hasGcc, hasGcc32 } from "../vdso/toolchain.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "src");
const OUT = mkdtempSync(join(tmpdir(), "sysgate-time-"));

export const native = process.platform === "linux" && process.arch === "x64";
export const canBuild = { 64: native && hasGcc, 32: native && hasGcc32 } as const;

/** src/<name>.c (of this folder, or of `src`) as a static program of `bits` (built on first use). */
export function program(name: string, bits: 64 | 32, src = SRC): string {
  const out = join(OUT, `${name}-${bits}`);
  if (existsSync(out)) return out;
  const r = spawnSync("gcc", [bits === 32 ? "-m32" : "-m64", "-static", "-O1", "-Wall", "-o", out, join(src, `${name}.c`)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gcc ${name}.c (${bits}-bit) failed:\n${r.stderr}`);
  return out;
}

export interface Outcome { stdout: string; status: number | null; signal: string | null }

export function runNative(argv: string[], opts: { input?: string } = {}): Outcome {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 30_000, input: opts.input });
  if (r.error) throw r.error;
  return { stdout: r.stdout, status: r.status, signal: r.signal };
}

/** `sysgate run -q [opts] argv`: a death by signal N shows as status 128+N, as a shell reports it. */
export function runSysgate(argv: string[], opts: string[] = []): Outcome & { stderr: string } {
  const r = sysgate(["run", "-q", ...opts, ...argv], { timeout: 90_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

/** A native outcome as sysgate's status: 128+signal for a death by signal. */
export function shellStatus(o: Outcome): number | null {
  if (o.signal) return 128 + (({ SIGALRM: 14, SIGINT: 2, SIGPIPE: 13, SIGTERM: 15, SIGKILL: 9, SIGUSR1: 10, SIGVTALRM: 26, SIGPROF: 27 }) as Record<string, number>)[o.signal];
  return o.status;
}
