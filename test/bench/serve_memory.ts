// Host memory of `sysgate serve` over many requests (emulator/warm_kernels.ts keeps a booted
// kernel per runner thread, and must not let it grow): the server's resident set size every tenth
// of the way through N requests of `busybox true`, then N runs of a 200-line shell script. A
// number that levels off is the goal. Numbers only, no assertions; not part of `npm run bench`
// (it takes a minute or more).
//
//   node dist/test/bench/serve_memory.js [--requests N] [--workers W]   (after npm run build)

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, ROOT } from "./compare.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg("--requests", 1000);
const WORKERS = arg("--workers", 16);
const BB = join(ROOT, ".cache", "corpus", "amd64", "busybox");
const CLIENT = join(ROOT, "dist", "bin", "sysgate-client");

/** VmRSS of a process, in MiB (its threads included). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** 200 lines a test suite's shell script might have: arithmetic, tests, a command substitution every tenth line. */
function script200(): string {
  const lines = ["i=0; s=0"];
  for (let n = 1; lines.length < 200; n++) {
    if (n % 10 === 0) lines.push(`v=$(echo ${n}); [ "$v" = ${n} ] || exit 1`);
    else if (n % 3 === 0) lines.push(`case $((n = ${n} % 7)) in 0) s=$((s + 1));; *) s=$((s + n));; esac`);
    else lines.push(`i=$((i + ${n})); [ $i -gt 0 ] && s=$((s ^ i))`);
  }
  lines.push("echo $i $s");
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  for (const f of [BB, CLIENT]) if (!existsSync(f)) throw new Error(`${f} missing (npm run build, test/corpus/fetch-busybox.sh)`);
  const dir = mkdtempSync(join(tmpdir(), "sysgate-serve-mem-"));
  const socket = join(dir, "sock");
  const script = join(dir, "script.sh");
  writeFileSync(script, script200());
  const expected = spawnSync(BB, ["sh", script], { encoding: "utf8" }).stdout;
  const server = spawn(process.execPath, [CLI, "serve", "--socket", socket, "--workers", String(WORKERS)], { stdio: ["ignore", "ignore", "pipe"] });
  try {
    await new Promise<void>((resolve, reject) => {
      let log = "";
      server.stderr!.on("data", (d: Buffer) => { log += d.toString(); if (log.includes("listening on")) resolve(); });
      server.on("exit", () => reject(new Error(`sysgate serve ended: ${log}`)));
    });
    const env = { ...process.env, SYSGATE_SOCKET: socket };
    const phases: [string, string[], string][] = [["busybox true", ["true"], ""], ["a 200-line sh script", ["sh", script], expected]];
    console.log(`sysgate serve --workers ${WORKERS}: resident set size (MiB) after each tenth of ${N} requests`);
    console.log(`started: ${rssMiB(server.pid!).toFixed(1)}`);
    for (const [name, args, want] of phases) {
      const t0 = process.hrtime.bigint();
      const samples: string[] = [];
      for (let i = 1; i <= N; i++) {
        const r = spawnSync(CLIENT, ["run", "-q", BB, ...args], { env, encoding: "utf8" });
        if (r.status !== 0 || r.stdout !== want) throw new Error(`${name}, request ${i}: status ${r.status}, ${r.stdout}${r.stderr}`);
        if (i % Math.max(1, Math.floor(N / 10)) === 0) samples.push(rssMiB(server.pid!).toFixed(1));
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6 / N;
      console.log(`${name} (${ms.toFixed(1)} ms a request): ${samples.join(" ")}`);
    }
  } finally {
    server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
