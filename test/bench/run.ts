// `npm run bench`: sysgate against native and qemu-user on the workloads of issue 10, then one
// syscall round trip taken apart, the rate of each entry path, and the stepping UI's latency.
// Numbers only, no assertions.
//
// Options: --repeat R (best of R for short workloads, default 3), --getppid N (default 2000000),
// --suite-rounds R (default 2), --ab-n N and --ab-rounds R (hook A/B runs), --n N (entry-path
// loops, default 200000), --only TEXT (rows whose name contains TEXT), --no-extra (the comparison
// table alone), --hooks (also the per-kind hook table of hooks.ts).
//
// To add rows: write a file under test/bench that exports Row[] (compare.ts) and list it in ROWS.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../../emulator/machine.js";
import { CLI, ROOT, compare, wall, which, type BenchContext, type Cell, type Row } from "./compare.js";
import { floorRoundTrip } from "./floor.js";
import { benchCompat } from "./compat.js";
import { benchHooks } from "./hooks.js";
import { profileRoundTrip } from "./profile.js";
import { SPEED_ROWS } from "./rows_speed.js";
import { stepLatency } from "./step_latency.js";

const ROWS: Row[] = [...SPEED_ROWS];

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
const stringOption = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = option("--n", 200_000);
const SMALL = 1;
const REPEAT = option("--repeat", 3);

/** Seconds for one whole run of `bin n` in-process (create + run + close). */
async function timed(bin: string, n: number): Promise<number> {
  const path = join(ROOT, "samples", "bin", bin);
  const t0 = process.hrtime.bigint();
  const m = await Machine.create(path, { argv: [path, String(n)], env: [], warnUnimplemented: false, captureOutput: true });
  try {
    const st = m.runToEnd();
    if (st.code !== 0) throw new Error(`${bin} ${n}: ${JSON.stringify(st)}`);
  } finally {
    m.close();
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const best = async (f: () => Promise<number>) => {
  let b = Infinity;
  for (let i = 0; i < REPEAT; i++) b = Math.min(b, await f());
  return b;
};

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // text columns (no digit at the start of the first row) left, numbers right
  const left = rows[0]?.map((c) => !/^[\d.,]/.test(c)) ?? [];
  const line = (r: string[]) => r.map((c, i) => (left[i] ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return [line(head), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)].join("\n");
}

async function entryPaths(): Promise<void> {
  const paths: [string, string][] = [
    ["x86-64 syscall", "x86_64/getppid-loop"],
    ["i386 int $0x80", "i386/getppid-loop-int80"],
    ["i386 sysenter (vDSO)", "i386/getppid-loop-sysenter"],
  ];
  const rows: string[][] = [];
  for (const [label, bin] of paths) {
    await timed(bin, SMALL); // warm the JIT and the file cache
    const startup = await best(() => timed(bin, SMALL));
    const full = await best(() => timed(bin, N));
    const loop = Math.max(full - startup, 1e-9);
    rows.push([label, bin, String(N), (startup * 1e3).toFixed(1), (loop * 1e3).toFixed(1),
      Math.round(N / loop).toLocaleString("en-US"), (loop / N * 1e6).toFixed(2)]);
  }
  console.log(`getppid round trips by entry path, in-process, best of ${REPEAT} (start-up = a run with N=${SMALL})\n`);
  console.log(table(["entry path", "sample", "N", "start-up ms", "loop ms", "syscalls/s", "us/syscall"], rows));
}

/**
 * Where a small program's start-up goes: node itself, loading the command line (`sysgate help`
 * loads the bundle and answers), and a program whose first instruction leads straight to exit
 * (samples/bin/x86_64/exit-code: the time to the guest's first instruction, plus one syscall).
 */
function startup(): void {
  const cell = (c: Cell) => (typeof c === "object" ? `${(c.wall * 1e3).toFixed(1)} ms (${(c.cpu * 1e3).toFixed(0)} ms CPU)` : String(c));
  const rows: [string, Cell][] = [
    ["node -e 0", wall(process.execPath, ["-e", "0"], REPEAT)],
    ["sysgate help (node + the command line)", wall(process.execPath, [CLI, "help"], REPEAT)],
    ["sysgate run exit-code (to the first instruction, and exit)", wall(process.execPath, [CLI, "run", join(ROOT, "samples", "bin", "x86_64", "exit-code")], REPEAT)],
  ];
  console.log(`start-up, wall (CPU user+sys), best of ${REPEAT}\n`);
  for (const [what, c] of rows) console.log(`  ${what.padEnd(60)} ${cell(c)}`);
}

const only = stringOption("--only");
const dir = mkdtempSync(join(tmpdir(), "sysgate-bench-"));
try {
  const ctx: BenchContext = { repeat: REPEAT, dir, qemu: which("qemu-x86_64"), option };
  const rows = only ? ROWS.filter((r) => r.name.includes(only)) : ROWS;
  console.log(`sysgate, native and qemu-user in one run (wall time, best of ${REPEAT} for short runs)\n`);
  process.stdout.write(await compare(rows, ctx));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (!process.argv.includes("--no-extra")) {
  console.log();
  startup();
  console.log("\none round trip taken apart\n");
  process.stdout.write(profileRoundTrip(N));
  console.log();
  process.stdout.write(floorRoundTrip(N));
  console.log();
  await entryPaths();
  console.log();
  process.stdout.write(await benchCompat(ROOT, N / 2, REPEAT));
  if (process.argv.includes("--hooks")) {
    console.log("\nsyscalls per second by kind of hook (x86-64 getppid loop, separate runs)\n");
    process.stdout.write(await benchHooks(N / 2));
  }
  console.log();
  process.stdout.write(stepLatency(ROOT));
}
