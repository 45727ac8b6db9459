// What hooks cost: getppid round trips per second with no hook, a hook on one OTHER syscall's
// table slot (getpid: only that slot pays), a generic-entry hook (syscall_entry: every syscall
// pays), and a library-function hook (watchFunction on glibc's getppid wrapper, from a tiny C loop
// built with gcc -static; its own no-hook rate is shown beside it).
//
// benchHooks() returns the printed table; `node dist/test/bench/hooks.js [--n N]` prints it.
// Each rate is the best of 3 and excludes start-up: a run of the same program with N=1 is timed
// the same way and subtracted.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Machine } from "../../emulator/machine.js";
import { syscallTable } from "../../kernel-model/entry/syscall_tables.js";

// dist/test/bench/hooks.js -> the repository root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

type Setup = (m: Machine) => void;

/** Seconds of runToEnd() for `path n` with `setup` applied (creation excluded). */
async function runSeconds(path: string, n: number, setup: Setup): Promise<number> {
  const m = await Machine.create(path, { argv: [path, String(n)], env: [], warnUnimplemented: false, captureOutput: true });
  try {
    setup(m);
    const t0 = process.hrtime.bigint();
    const st = m.runToEnd();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (st.code !== 0) throw new Error(`${path} ${n}: ${JSON.stringify(st)}`);
    return dt;
  } finally {
    m.close();
  }
}

/** Round trips per second: best of 3, minus the N=1 run. */
async function rate(path: string, n: number, setup: Setup): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) best = Math.min(best, (await runSeconds(path, n, setup)) - (await runSeconds(path, 1, setup)));
  return (n - 1) / best;
}

/** A hook on one syscall (interception point 6), kept by ABI and number in the hook registry. */
function onSyscall(m: Machine, name: string, fn: () => void): void {
  m.kstate.hooks.onService(m.task.abi, syscallTable(m.task.abi).lookup(name)!.nr, fn);
}

const LOOP_C = `#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  for (long i = 0; i < n; i++) getppid();
  return 0;
}
`;

export async function benchHooks(n = 100_000): Promise<string> {
  const loop = join(ROOT, "samples", "bin", "x86_64", "getppid-loop");
  let count = 0;
  const rows: [string, number][] = [
    ["no hook", await rate(loop, n, () => {})],
    ["onSyscall slot hook on getpid (another syscall)", await rate(loop, n, (m) => onSyscall(m, "getpid", () => { count++; }))],
    ["hooks.on(\"syscall_entry\") (every syscall)", await rate(loop, n, (m) => { m.hooks.on("syscall_entry", () => { count++; }); })],
  ];
  const dir = mkdtempSync(join(tmpdir(), "sysgate-bench-"));
  try {
    const bin = join(dir, "getppid-loop-glibc");
    writeFileSync(join(dir, "loop.c"), LOOP_C);
    const cc = spawnSync("gcc", ["-O2", "-static", "-o", bin, join(dir, "loop.c")], { encoding: "utf8" });
    if (cc.status === 0) {
      rows.push(["glibc loop, no hook", await rate(bin, n, () => {})]);
      rows.push(["glibc loop, watchFunction(\"getppid\")", await rate(bin, n, (m) => { m.hooks.on("function", () => { count++; }); m.kernel.watchFunction("getppid"); })]);
    } else rows.push([`glibc loop: gcc -static failed (${cc.stderr.trim().split("\n")[0]})`, NaN]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // each row against its own program's no-hook rate (the glibc loop against the glibc loop)
  const baseOf = (name: string) => (name.startsWith("glibc") ? rows.find(([n]) => n === "glibc loop, no hook")?.[1] ?? NaN : rows[0][1]);
  let out = `hook cost, getppid round trips (N=${n}, best of 3, start-up subtracted)\n`;
  out += `${"scenario".padEnd(50)} ${"calls/s".padStart(10)} ${"vs no hook".padStart(11)}\n`;
  for (const [name, r] of rows) out += `${name.padEnd(50)} ${(Number.isNaN(r) ? "-" : Math.round(r).toLocaleString("en-US")).padStart(10)} ${(Number.isNaN(r) ? "" : (r / baseOf(name)).toFixed(2) + "x").padStart(11)}\n`;
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf("--n");
  benchHooks(i > 0 ? Number(process.argv[i + 1]) : undefined).then((s) => process.stdout.write(s));
}
