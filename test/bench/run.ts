// `npm run bench`: how fast a syscall goes through each entry path, and what a real program pays.
//
// 1. The same tight getppid loop through each entry: x86-64 `syscall`, i386 `int $0x80`, i386
//    `sysenter` from __kernel_vsyscall. Each runs in-process with Machine; the time of a run with
//    a small N (start-up: loading, boot, the first translations) is subtracted, so the rate is
//    per round trip alone.
// 2. busybox sha256sum of a 32 MiB file: wall time through sysgate's command line vs natively.
//
// Numbers only, no assertions. Options: --n N (loop count, default 200000), --repeat R (best of R,
// default 3), --no-busybox.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Machine } from "../../emulator/machine.js";
import { benchCompat } from "./compat.js";
import { benchHooks } from "./hooks.js";
import { stepLatency } from "./step_latency.js";

// dist/test/bench/run.js -> the repository root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CLI = join(ROOT, "dist", "emulator", "cli", "main.js");

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
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
  console.log(`getppid round trips, in-process, best of ${REPEAT} (start-up = a run with N=${SMALL})\n`);
  console.log(table(["entry path", "sample", "N", "start-up ms", "loop ms", "syscalls/s", "us/syscall"], rows));
}

function busybox(): void {
  const bb = join(ROOT, ".cache", "corpus", "amd64", "busybox");
  if (!existsSync(bb)) {
    console.log(`\nbusybox sha256sum: skipped (${bb} missing: run test/corpus/fetch-busybox.sh)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "sysgate-bench-"));
  try {
    const file = join(dir, "data.bin");
    // deterministic, incompressible-looking contents (xorshift32)
    const buf = Buffer.alloc(32 << 20);
    let x = 0x9e3779b9;
    for (let i = 0; i < buf.length; i += 4) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      buf.writeUInt32LE(x >>> 0, i);
    }
    writeFileSync(file, buf);
    const wall = (cmd: string, args: string[]) => {
      let bestS = Infinity, out = "";
      for (let i = 0; i < REPEAT; i++) {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(cmd, args, { encoding: "utf8", cwd: dir, maxBuffer: 1 << 20 });
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        if (r.status !== 0) return { s: NaN, out: `status ${r.status}: ${r.stderr.trim()}` };
        bestS = Math.min(bestS, s);
        out = r.stdout.split(" ")[0];
      }
      return { s: bestS, out };
    };
    const native = wall(bb, ["sha256sum", "data.bin"]);
    const emu = wall(process.execPath, [CLI, "run", "-q", bb, "sha256sum", "data.bin"]);
    const nodeOnly = wall(process.execPath, ["-e", "0"]);
    console.log(`\nbusybox sha256sum of a 32 MiB file, wall time, best of ${REPEAT}\n`);
    console.log(table(["run", "seconds", "MiB/s", "sha256"], [
      ["native", native.s.toFixed(3), (32 / native.s).toFixed(1), native.out.slice(0, 16)],
      ["sysgate run (CLI)", emu.s.toFixed(3), (32 / emu.s).toFixed(1), emu.out.slice(0, 16)],
    ]));
    console.log(`\nslowdown ${(emu.s / native.s).toFixed(1)}x (node's own start-up: ${(nodeOnly.s * 1e3).toFixed(0)} ms); ` +
      `same hash: ${native.out === emu.out ? "yes" : "NO"}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await entryPaths();
console.log();
process.stdout.write(await benchCompat(ROOT, N / 2, REPEAT));
console.log("\nsyscalls per second by kind of hook (x86-64 getppid loop)\n");
process.stdout.write(await benchHooks(N / 2));
if (!process.argv.includes("--no-busybox")) busybox();
console.log();
process.stdout.write(stepLatency(ROOT));
