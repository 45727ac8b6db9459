// The comparison table of `npm run bench`: one row per workload, each measured in the same run
// through sysgate, natively and through qemu-user (when installed), with the ratios. A row is a
// name, the goal it is held to, and a function that measures it; other files under test/bench add
// their own rows (run.ts lists the row files).

import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// dist/test/bench/compare.js -> the repository root
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const CLI = join(ROOT, "dist", "emulator", "cli", "main.js");
export const BUSYBOX_AMD64 = join(ROOT, ".cache", "corpus", "amd64", "busybox");

/**
 * One measured cell: wall seconds and CPU seconds (user + system, of the process and its
 * children: on a shared machine the steadier of the two), or a note when it could not be measured.
 */
export interface Timing { wall: number; cpu: number }
export type Cell = Timing | string | undefined;

export interface Measured {
  sysgate: Cell;
  native?: Cell;
  qemu?: Cell;
  /** Printed under the table: what else the row found (a hash check, a rate). */
  note?: string;
}

export interface Row {
  name: string;
  /** The goal, as the issue states it. */
  target: string;
  measure(ctx: BenchContext): Promise<Measured> | Measured;
}

export interface BenchContext {
  /** Repetitions for short workloads (best of). */
  repeat: number;
  /** A scratch directory for the run, removed at the end. */
  dir: string;
  qemu: string | undefined;
  option(name: string, fallback: number): number;
}

/** Whether a command exists on PATH. */
export function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const GNU_TIME = "/usr/bin/time";

/**
 * Wall and CPU seconds of `cmd args` (CPU through GNU time when installed, else = wall), the best
 * of `repeat` runs by CPU time (a run of more than five seconds is measured once). A failing run
 * gives its status and stderr instead.
 */
export function wall(cmd: string, args: string[], repeat: number, opts: SpawnSyncOptions = {}, check?: (stdout: string) => string | undefined): Cell {
  let best: Timing | undefined;
  const tdir = mkdtempSync(join(tmpdir(), "sysgate-time-"));
  const tfile = join(tdir, "t");
  const gnu = existsSync(GNU_TIME);
  try {
    for (let i = 0; i < repeat; i++) {
      const t0 = process.hrtime.bigint();
      const r = gnu
        ? spawnSync(GNU_TIME, ["-f", "%U %S", "-o", tfile, cmd, ...args], { encoding: "utf8", maxBuffer: 64 << 20, ...opts })
        : spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.error) return `failed: ${r.error.message}`;
      if (r.status !== 0) return `status ${r.status}: ${String(r.stderr).trim().split("\n").slice(-1)[0] ?? ""}`;
      const bad = check?.(String(r.stdout));
      if (bad) return bad;
      const cpu = gnu ? readFileSync(tfile, "utf8").trim().split("\n").slice(-1)[0].split(" ").reduce((a, x) => a + Number(x), 0) : s;
      if (!best || cpu < best.cpu) best = { wall: s, cpu };
      if (s > 5) break;
    }
  } finally {
    rmSync(tdir, { recursive: true, force: true });
  }
  return best;
}

const secs = (x: number) => (x < 1 ? `${(x * 1e3).toFixed(1)} ms` : `${x.toFixed(2)} s`);
/** A timing, "-" for a column not run, or the row's own text (a size, or why it could not run). */
const fmt = (c: Cell) => (typeof c === "object" ? `${secs(c.wall)} (${secs(c.cpu)})` : c === undefined ? "-" : c);
/**
 * Ratios by CPU time (steadier than wall time on a shared machine) when both are at least 50 ms
 * (GNU time counts in 10 ms steps), else by wall time.
 */
const ratio = (a: Cell, b: Cell) => {
  if (typeof a !== "object" || typeof b !== "object") return "-";
  const byCpu = a.cpu >= 0.05 && b.cpu >= 0.05;
  return `${(byCpu ? a.cpu / b.cpu : a.wall / b.wall).toFixed(1)}x${byCpu ? "" : " w"}`;
};

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(head), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)].join("\n");
}

/** Measures every row, printing each as it finishes, then the whole table. */
export async function compare(rows: Row[], ctx: BenchContext): Promise<string> {
  const done: [Row, Measured][] = [];
  for (const row of rows) {
    let m: Measured;
    try {
      m = await row.measure(ctx);
    } catch (e) {
      m = { sysgate: `error: ${(e as Error).message}` };
    }
    done.push([row, m]);
    process.stderr.write(`bench: ${row.name}: sysgate ${fmt(m.sysgate)}\n`);
  }
  const lines = done.map(([r, m]) => [r.name, fmt(m.sysgate), fmt(m.native), fmt(m.qemu),
    ratio(m.sysgate, m.native), ratio(m.sysgate, m.qemu), r.target]);
  let out = "each cell: wall (CPU user+sys); ratios by CPU time, or by wall time (w) where a CPU time is under 50 ms\n\n";
  out += table(["workload", "sysgate", "native", `qemu-user${ctx.qemu ? "" : " (absent)"}`, "vs native", "vs qemu", "target"], lines);
  const notes = done.filter(([, m]) => m.note || [m.sysgate, m.native, m.qemu].some((c) => typeof c === "string"));
  for (const [r, m] of notes) {
    const why = [m.sysgate, m.native, m.qemu].filter((c) => typeof c === "string").join("; ");
    out += `\n  ${r.name}: ${[m.note, why].filter(Boolean).join("; ")}`;
  }
  return out + "\n";
}
