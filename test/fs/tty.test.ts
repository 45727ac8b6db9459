// A terminal seen through every file open on it: sysgate's fd 0, /dev/tty and /dev/pts/N opened
// through the host's /dev. Each program runs natively and through sysgate in a pseudo terminal
// (script(1)) whose size is set with stty; native output is the oracle.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, ensureDist } from "../run/cli.js";
import { canBuild, program } from "../time/build.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "src");
const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");
const HAVE_SCRIPT = spawnSync("script", ["--version"]).status === 0;
const OUT = mkdtempSync(join(tmpdir(), "sysgate-tty-"));

beforeAll(() => ensureDist(), 600_000);

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
let runs = 0;

/** `argv` in a fresh 33x101 pseudo terminal, fds 1 and 2 to a file (not the terminal): what it wrote. */
function inTerminal(argv: string[], through: boolean): string {
  const out = join(OUT, `out-${runs++}`);
  const cmd = [...(through ? [process.execPath, CLI, "run", "-q"] : []), ...argv].map(q).join(" ");
  const r = spawnSync("script", ["-qc", `stty rows 33 cols 101; ${cmd} >${q(out)} 2>&1`, "/dev/null"], { stdio: "ignore", timeout: 60_000 });
  if (r.error) throw r.error;
  return existsSync(out) ? readFileSync(out, "latin1") : "";
}

const lines = (text: string, what: RegExp) => text.split("\n").filter((l) => what.test(l));

describe.skipIf(!HAVE_SCRIPT)("a terminal opened through /dev", () => {
  for (const bits of [64, 32] as const) {
    it.skipIf(!canBuild[bits])(`answers the job-control ioctls as fd 0 does (${bits}-bit)`, () => {
      const prog = program("tty", bits, SRC);
      const native = inTerminal([prog], false);
      const sysgate = inTerminal([prog], true);
      expect(lines(native, /TIOCGPGRP/)).toHaveLength(3);
      expect(lines(sysgate, /TIOCGPGRP/)).toEqual(lines(native, /TIOCGPGRP/));
    }, 120_000);
  }

  for (const bits of [64, 32] as const) {
    it.skipIf(!canBuild[bits])(`keeps one terminal's settings for every file open on it, and asks that terminal for its size (${bits}-bit)`, () => {
      const prog = program("tty", bits, SRC);
      const native = inTerminal([prog], false);
      const sysgate = inTerminal([prog], true);
      expect(lines(native, /TCGETS 0, ECHO 0 ICANON 0 VMIN 7/)).toHaveLength(3);
      expect(lines(native, /TIOCGWINSZ 0, 33 rows 101 cols/)).toHaveLength(3);
      expect(lines(sysgate, /TCGETS|TIOCGWINSZ/)).toEqual(lines(native, /TCGETS|TIOCGWINSZ/));
    }, 120_000);
  }

  it.skipIf(!existsSync(BUSYBOX))("lets an interactive busybox sh turn job control on", () => {
    const argv = [BUSYBOX, "sh", "-ic", "set -o | grep monitor"];
    const native = inTerminal(argv, false);
    expect(lines(native, /monitor/)).toEqual(["monitor         on"]);
    expect(inTerminal(argv, true)).toBe(native);
  }, 120_000);
});

/** sysgate-client built from its source here (the serve tests' fallback to a prebuilt one is theirs). */
const CLIENT = join(OUT, "sysgate-client");
const haveClient = spawnSync("gcc", ["-O2", "-o", CLIENT, join(ROOT, "emulator", "cli", "client", "sysgate-client.c")]).status === 0;

describe.skipIf(!HAVE_SCRIPT || !haveClient || !canBuild[64])("a terminal of a sysgate serve client", () => {
  let server: ChildProcess | undefined;
  const socket = join(OUT, "sock");
  beforeAll(async () => {
    ensureDist();
    server = spawn(process.execPath, [CLI, "serve", "--socket", socket, "--workers", "1"], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    await new Promise<void>((resolve, reject) => {
      server!.stderr!.on("data", (d: Buffer) => { log += d.toString(); if (log.includes("listening on")) resolve(); });
      server!.on("exit", (code) => reject(new Error(`sysgate serve ended (${code}):\n${log}`)));
    });
  }, 600_000);
  afterAll(() => { server?.kill("SIGTERM"); });

  it("starts with the terminal's own settings, not those the last client's guest left", () => {
    const prog = program("tty", 64, SRC);
    // each in a terminal of its own: the first leaves its terminal raw, the next asks for the modes
    const run = (mode: string, via: string[]) => {
      const out = join(OUT, `out-${runs++}`);
      const cmd = [...via, prog, mode].map(q).join(" ");
      spawnSync("script", ["-qc", `${cmd} >${q(out)} 2>&1`, "/dev/null"], { stdio: "ignore", timeout: 60_000, env: { ...process.env, SYSGATE_SOCKET: socket } });
      return existsSync(out) ? readFileSync(out, "latin1") : "";
    };
    const native = (run("raw", []), run("modes", []));
    expect(native).toBe("ECHO 1 ICANON 1\n");
    const client = [CLIENT, "run", "-q"];
    expect(run("raw", client)).toBe("");
    expect(run("modes", client)).toBe(native);
  }, 120_000);
});
