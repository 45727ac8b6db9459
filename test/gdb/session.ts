// Drives the real gdb (batch mode) against `sysgate run -g 0 PROGRAM`: sysgate picks a free port
// and says which on stderr, gdb connects with the given script.

import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, ROOT, ensureDist } from "../run/cli.js";

export const HAVE_GDB = spawnSync("gdb", ["--version"]).status === 0;

export interface GdbRun { gdb: string; stdout: string; stderr: string; status: number | null }

export const sample = (p: string) => join(ROOT, "samples", "bin", p);

/** The kernel-elf for `abi`, made once per test file. */
export function kernelElf(abi: 64 | 32): string {
  ensureDist();
  const out = join(tmpdir(), `sysgate-kernel-${abi}-${process.pid}.elf`);
  const r = spawnSync(process.execPath, [CLI, "kernel-elf", "--abi", String(abi), "-o", out], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`kernel-elf failed: ${r.stderr}`);
  return out;
}

/** Starts sysgate on `program`, then gdb with `script` (lines; `target remote` is added first). */
export async function gdbSession(program: string, args: string[], script: string[], opts: { sysgateArgs?: string[] } = {}): Promise<GdbRun> {
  ensureDist();
  const sg = spawn(process.execPath, [CLI, "run", ...(opts.sysgateArgs ?? []), "-g", "0", program, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  sg.stdout.on("data", (d) => (stdout += d));
  const port = await new Promise<number>((resolve, reject) => {
    sg.stderr.on("data", (d) => {
      stderr += d;
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    sg.on("exit", () => reject(new Error(`sysgate ended before listening: ${stderr}`)));
  });
  const file = join(tmpdir(), `sysgate-gdb-${process.pid}-${port}.gdb`);
  writeFileSync(file, ["set pagination off", "set confirm off", "set width 0", `target remote localhost:${port}`, ...script, ""].join("\n"));
  const g = spawnSync("gdb", ["-nx", "-batch", "-x", file, program], { encoding: "utf8", timeout: 90_000 });
  const status = await new Promise<number | null>((resolve) => {
    if (sg.exitCode !== null) resolve(sg.exitCode);
    else sg.on("exit", (code) => resolve(code));
  });
  if (process.env.GDB_TEST_DEBUG) console.log({ gdb: g.stdout + g.stderr, stdout, stderr, status, error: g.error?.message });
  return { gdb: g.stdout + g.stderr, stdout, stderr, status };
}
