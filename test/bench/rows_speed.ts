// The rows of issue 10 ("the syscall round trip, start-up and hooks at the speed of the real
// thing"): whole small processes, a long syscall loop, a compute-bound program, a shell-driven
// suite that starts busybox once per step, the stepping UI's first frame, and the cost of hooks
// measured A/B interleaved in one process.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Machine } from "../../emulator/machine.js";
import { BUSYBOX_AMD64, CLI, ROOT, type BenchContext, type Measured, type Row, wall, which } from "./compare.js";
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

const suite: Row = {
  name: "shell-driven suite, busybox once per step",
  target: "<= qemu-user",
  measure(ctx) {
    if (!existsSync(BUSYBOX_AMD64)) return { sysgate: `${BUSYBOX_AMD64} missing: run test/corpus/fetch-busybox.sh` };
    const rounds = ctx.option("--suite-rounds", 2);
    const script = join(ROOT, "test", "bench", "suite.sh");
    const under = (run: string) => {
      const dir = join(ctx.dir, "suite");
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      return wall("sh", [script, String(rounds)], 1, { cwd: dir, env: { ...process.env, RUN: run, BB: BUSYBOX_AMD64 } },
        (out) => (/ 0 failed/.test(out) ? undefined : out.trim()));
    };
    const steps = rounds * 20;
    return {
      sysgate: under(`${process.execPath} ${CLI} run -q`),
      native: under(""),
      qemu: ctx.qemu ? under(ctx.qemu) : undefined,
      note: `${steps} steps (test/bench/suite.sh)`,
    };
  },
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
  const n = ctx.option("--ab-n", 200_000), rounds = ctx.option("--ab-rounds", 7);
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
  return {
    sysgate: { wall: mb, cpu: mb },
    note: `CPU time of the run: A (no hook) ${(ma * 1e3).toFixed(0)} ms, B (hook) ${(mb * 1e3).toFixed(0)} ms: B costs ${(((mb - ma) / ma) * 100).toFixed(1)}% ` +
      `(${n.toLocaleString("en-US")} getppid, median of ${rounds} interleaved runs each)`,
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

export const SPEED_ROWS: Row[] = [helloMusl, getppid, sha256, suite, stepFrame, hookOther, hookGeneric];
