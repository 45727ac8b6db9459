// The rows of issue 10 ("the syscall round trip, start-up and hooks at the speed of the real
// thing"): whole small processes, a long syscall loop, a compute-bound program, a shell-driven
// suite that starts busybox once per step, the stepping UI's first frame, and the cost of hooks
// measured A/B interleaved in one process.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Machine } from "../../emulator/machine.js";
import { BUSYBOX_AMD64, CLI, ROOT, type BenchContext, type Cell, type Measured, type Row, wall, which } from "./compare.js";
import { stepFirstFrame } from "./step_latency.js";

const sysgate = (...args: string[]): [string, string[]] => [process.execPath, [CLI, "run", "-q", ...args]];
const GETPPID_LOOP = join(ROOT, "samples", "bin", "x86_64", "getppid-loop");

/** Runs `bin args` through sysgate, natively and through qemu-user, checking stdout each time. */
function threeWays(ctx: BenchContext, bin: string, args: string[], check?: (out: string) => string | undefined, opts = {}): Measured {
  const [node, cli] = sysgate(bin, ...args);
  return {
    sysgate: wall(node, cli, ctx.repeat, opts, check),
    native: wall(bin, args, ctx.repeat, opts, check),
    qemu: ctx.qemu ? wall(ctx.qemu, [bin, ...args], ctx.repeat, opts, check) : undefined,
  };
}

const helloMusl: Row = {
  name: "static hello (musl), whole process",
  target: "<= 150 ms",
  measure(ctx) {
    // built here from source, as a user would: musl-gcc from Debian's musl-tools
    let bin = join(ctx.dir, "hello-musl");
    let note: string | undefined;
    writeFileSync(join(ctx.dir, "hello.c"), `#include <stdio.h>\nint main(void) { puts("hello, world"); return 0; }\n`);
    const cc = which("musl-gcc") ? spawnSync("musl-gcc", ["-static", "-O2", "-o", bin, join(ctx.dir, "hello.c")], { encoding: "utf8" }) : undefined;
    if (cc?.status !== 0) {
      bin = join(ROOT, "samples", "bin", "x86_64", "hello-musl");
      note = `musl-gcc ${cc ? "failed" : "missing (apt-get install musl-tools)"}: samples/bin/x86_64/hello-musl instead`;
    }
    const m = threeWays(ctx, bin, [], (out) => (out.startsWith("hello") ? undefined : `unexpected output '${out.slice(0, 40)}'`));
    return { ...m, note };
  },
};

const getppid: Row = {
  name: "getppid loop, full SYSCALL path",
  target: ">= 1,000,000/s, no hook on",
  measure(ctx) {
    const n = ctx.option("--getppid", 2_000_000);
    const m = threeWays(ctx, GETPPID_LOOP, [String(n)]);
    const rate = `${n.toLocaleString("en-US")} calls` +
      (typeof m.sysgate === "object" ? `, sysgate ${Math.round(n / m.sysgate.wall).toLocaleString("en-US")} syscalls/s wall, ` +
        `${Math.round(n / m.sysgate.cpu).toLocaleString("en-US")}/s CPU (start-up included)` : "");
    return { ...m, note: rate };
  },
};

const sha256: Row = {
  name: "busybox sha256sum of 32 MiB",
  target: "<= 1.5x qemu-user",
  measure(ctx) {
    if (!existsSync(BUSYBOX_AMD64)) return { sysgate: `${BUSYBOX_AMD64} missing: run test/corpus/fetch-busybox.sh` };
    const file = join(ctx.dir, "data.bin");
    // deterministic, incompressible-looking contents (xorshift32)
    const buf = Buffer.alloc(32 << 20);
    let x = 0x9e3779b9;
    for (let i = 0; i < buf.length; i += 4) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      buf.writeUInt32LE(x >>> 0, i);
    }
    writeFileSync(file, buf);
    const native = spawnSync(BUSYBOX_AMD64, ["sha256sum", file], { encoding: "utf8" }).stdout.split(" ")[0];
    const m = threeWays(ctx, BUSYBOX_AMD64, ["sha256sum", file], (out) => (out.split(" ")[0] === native ? undefined : "wrong hash"));
    rmSync(file);
    return { ...m, note: "every run's hash checked against the native one" };
  },
};

const threadedCompute: Row = {
  name: "a compute loop, a second thread asleep",
  target: "as the loop alone",
  measure(ctx) {
    const bin = join(ctx.dir, "compute-threads");
    const cc = spawnSync("gcc", ["-static", "-O1", "-pthread", "-o", bin, join(ROOT, "test", "bench", "src", "compute_threads.c")], { encoding: "utf8" });
    if (cc.status !== 0) return { sysgate: `gcc failed: ${(cc.stderr ?? cc.error?.message ?? "").trim().split("\n")[0]}` };
    let expected: string | undefined;
    const check = (out: string) => (out === (expected ??= out) ? undefined : "output differs between runs");
    const m = threeWays(ctx, bin, ["threads"], check);
    const alone = wall(...sysgate(bin), ctx.repeat, {}, check);
    return { ...m, note: `the loop alone through sysgate: ${typeof alone === "object" ? `${alone.cpu.toFixed(2)} s CPU` : alone}` };
  },
};

/** The server's CPU seconds so far (utime + stime of /proc/PID/stat, in clock ticks of 1/100 s). */
function cpuOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

/**
 * suite.sh through a `sysgate serve` started for it (and warmed by one request first); the cell's
 * CPU time is the shell's and the clients' plus the server's own over the same run.
 */
async function throughServe(ctx: BenchContext, under: (run: string, env: NodeJS.ProcessEnv) => Cell): Promise<{ cell: Cell; start?: number }> {
  const client = join(ROOT, "dist", "bin", "sysgate-client");
  if (!existsSync(client)) return { cell: "dist/bin/sysgate-client missing (npm run build)" };
  const socket = join(ctx.dir, "serve.sock");
  const env = { ...process.env, SYSGATE_SOCKET: socket };
  const t0 = process.hrtime.bigint();
  const server = spawn(process.execPath, [CLI, "serve", "--socket", socket], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    let log = "";
    const up = await new Promise<boolean>((resolve) => {
      server.stderr!.on("data", (d: Buffer) => { log += d.toString(); if (log.includes("listening on")) resolve(true); });
      server.on("exit", () => resolve(false));
    });
    if (!up) return { cell: `sysgate serve did not start: ${log.trim().split("\n").slice(-1)[0]}` };
    const warm = spawnSync(client, ["run", "-q", BUSYBOX_AMD64, "true"], { env, encoding: "utf8" });
    if (warm.status !== 0) return { cell: `the first request failed: ${warm.stderr.trim()}` };
    const start = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu0 = cpuOf(server.pid!);
    const cell = under(`${client} run -q`, env);
    if (typeof cell !== "object") return { cell, start };
    return { cell: { wall: cell.wall, cpu: cell.cpu + cpuOf(server.pid!) - cpu0 }, start };
  } finally {
    server.kill("SIGTERM");
  }
}

/** The suite measured once for both rows (one sysgate per step, and through sysgate serve). */
let suiteRun: Promise<{ perProcess: Measured; served: Measured }> | undefined;

function measureSuite(ctx: BenchContext): Promise<{ perProcess: Measured; served: Measured }> {
  return (suiteRun ??= (async () => {
    const missing = { sysgate: `${BUSYBOX_AMD64} missing: run test/corpus/fetch-busybox.sh` };
    if (!existsSync(BUSYBOX_AMD64)) return { perProcess: missing, served: missing };
    const rounds = ctx.option("--suite-rounds", 2);
    const script = join(ROOT, "test", "bench", "suite.sh");
    const under = (run: string, env: NodeJS.ProcessEnv = process.env) => {
      const dir = join(ctx.dir, "suite");
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      return wall("sh", [script, String(rounds)], 1, { cwd: dir, env: { ...env, RUN: run, BB: BUSYBOX_AMD64 } },
        (out) => (/ 0 failed/.test(out) ? undefined : out.trim()));
    };
    const steps = rounds * 20;
    const native = under("");
    const qemu = ctx.qemu ? under(ctx.qemu) : undefined;
    const sysgate = under(`${process.execPath} ${CLI} run -q`);
    const served = await throughServe(ctx, under);
    const perStep = (c: Cell) => (typeof c === "object" ? `${((c.wall / steps) * 1e3).toFixed(1)} ms` : "-");
    return {
      perProcess: { sysgate, native, qemu, note: `${steps} steps (test/bench/suite.sh), a node process per step: ${perStep(sysgate)} a step` },
      served: {
        sysgate: served.cell, native, qemu,
        note: `the same ${steps} steps through sysgate-client: ${perStep(served.cell)} a step (qemu-user ${perStep(qemu)}, native ${perStep(native)}); ` +
          `CPU includes the server's${served.start !== undefined ? `; server start to its first answer ${(served.start * 1e3).toFixed(0)} ms, not counted` : ""}`,
      },
    };
  })());
}

const suite: Row = {
  name: "shell-driven suite, busybox once per step",
  target: "<= qemu-user (served: next row)",
  measure: async (ctx) => (await measureSuite(ctx)).perProcess,
};

const suiteServed: Row = {
  name: "the same suite, via sysgate serve",
  target: "<= qemu-user",
  measure: async (ctx) => (await measureSuite(ctx)).served,
};

const stepFrame: Row = {
  name: "sysgate step until the first frame",
  target: "<= 1 s",
  measure(ctx) {
    const r = stepFirstFrame(ROOT, ctx.repeat);
    return { sysgate: typeof r === "string" ? r : { wall: r, cpu: r }, note: typeof r === "number" ? "time to the frame on screen (wall only)" : undefined };
  },
};

/**
 * A/B in one process: runs of the getppid loop without the hook (A) and with it (B), alternated
 * (A B, B A, ...), the median of each. Timing is of the run alone (creation excluded).
 */
async function abRuns(ctx: BenchContext, setup: (m: Machine) => void): Promise<Measured> {
  const n = ctx.option("--ab-n", 100_000), rounds = ctx.option("--ab-rounds", 15);
  // CPU time of the run: on a shared machine, wall time mostly measures the neighbours
  const once = async (hooked: boolean) => {
    const m = await Machine.create(GETPPID_LOOP, { argv: [GETPPID_LOOP, String(n)], env: [], warnUnimplemented: false, captureOutput: true });
    try {
      if (hooked) setup(m);
      const c0 = process.cpuUsage();
      const st = m.runToEnd();
      const c = process.cpuUsage(c0);
      if (st.code !== 0) throw new Error(`getppid-loop: ${JSON.stringify(st)}`);
      return (c.user + c.system) / 1e6;
    } finally {
      m.close();
    }
  };
  await once(false); // JIT warm-up
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) { a.push(await once(false)); b.push(await once(true)); }
    else { b.push(await once(true)); a.push(await once(false)); }
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1];
  const ma = median(a), mb = median(b);
  // each round's B against the A run next to it: the neighbours' load drifts less within a pair
  const paired = median(a.map((x, i) => (b[i] - x) / x));
  return {
    sysgate: { wall: mb, cpu: mb },
    note: `CPU time of a run: A (no hook) ${(ma * 1e3).toFixed(0)} ms, B (hook) ${(mb * 1e3).toFixed(0)} ms (medians: B ${(((mb - ma) / ma) * 100).toFixed(1)}%); ` +
      `paired rounds: B ${(paired * 100).toFixed(1)}% (median of ${rounds}; ${n.toLocaleString("en-US")} getppid per run)`,
  };
}

const hookOther: Row = {
  name: "hook on one other syscall (getpid), A/B",
  target: "<= 2%",
  measure: (ctx) => abRuns(ctx, (m) => { m.onSyscall("getpid", () => {}); }),
};

const hookGeneric: Row = {
  name: "generic-entry hook (syscall_entry), A/B",
  target: "<= 25%",
  measure: (ctx) => abRuns(ctx, (m) => { m.hooks.on("syscall_entry", () => {}); }),
};

export const SPEED_ROWS: Row[] = [helloMusl, getppid, sha256, threadedCompute, suite, suiteServed, stepFrame, hookOther, hookGeneric];
