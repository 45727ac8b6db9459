// sysgate trace against the host's strace -f, line by line, on a program built here for both ABIs
// (programs/strace_mix.c): pipe2, iovecs, _llseek, dirents, termios, a signal and its sigreturn,
// vDSO clock reads (strace shows none), fork, wait4's status and the SIGCHLD that follows.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, ensureDist } from "../run/cli.js";
import { nativeLine, oursLine, perProcess } from "./strace_lines.js";

const HAVE_STRACE = spawnSync("strace", ["-V"]).status === 0;
const HAVE_SCRIPT = spawnSync("script", ["--version"]).status === 0;
let dir = "";
const bin: Partial<Record<64 | 32, string>> = {};

beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), "sysgate-strace-"));
  for (const bits of [64, 32] as const) {
    const out = join(dir, `mix${bits}`);
    const r = spawnSync("gcc", [...(bits === 32 ? ["-m32"] : []), "-static", "-O1", "-o", out, join(ROOT, "test/trace/programs/strace_mix.c")], { encoding: "utf8" });
    if (r.status === 0) bin[bits] = out;
  }
}, 120_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe.skipIf(!HAVE_STRACE)("sysgate trace agrees with strace -f", () => {
  for (const bits of [64, 32] as const) {
    it(`line by line, per process (${bits}-bit)`, () => {
      if (!bin[bits]) return; // no compiler for this ABI here
      const nOut = join(dir, `n${bits}.txt`), sOut = join(dir, `s${bits}.txt`);
      const env = { LANG: "C" };
      expect(spawnSync("strace", ["-f", "-o", nOut, bin[bits]!], { env, stdio: ["ignore", "ignore", "ignore"] }).status).toBe(0);
      expect(spawnSync(process.execPath, [CLI, "trace", "-o", sOut, bin[bits]!], { env, stdio: ["ignore", "ignore", "ignore"] }).status).toBe(0);
      const native = perProcess(readFileSync(nOut, "latin1"), nativeLine);
      const text = readFileSync(sOut, "latin1");
      const first = Number(/(?:getpid\(\) += |si_pid=)(\d+)/.exec(text)?.[1] ?? 0);
      const ours = perProcess(text, oursLine(first));
      expect(ours).toEqual(native);
      // the lines the issue names, present as strace prints them
      const all = ours.flat();
      expect(all).toContain("pipe2([3, 4], 0) = 0");
      expect(all).toContain("wait4(PID1, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, NULL) = PID1");
      expect(all).toContain("--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=PID1, si_uid=" + (process.getuid?.() ?? 0) + ", si_status=7, si_utime=0, si_stime=0} ---");
      if (bits === 32) expect(all).toContain("_llseek(5, 5, [5], SEEK_SET) = 0");
      expect(all.some((l) => l.startsWith("clock_gettime"))).toBe(false); // served by the vDSO: no kernel entry
    }, 120_000);
  }

  it.skipIf(!HAVE_SCRIPT)("decodes TCGETS on a terminal as strace does", () => {
    if (!bin[64]) return;
    const nOut = join(dir, "tty-n.txt"), sOut = join(dir, "tty-s.txt");
    spawnSync("script", ["-qc", `strace -e trace=ioctl -o ${nOut} ${bin[64]}`, "/dev/null"], { stdio: "ignore" });
    spawnSync("script", ["-qc", `${process.execPath} ${CLI} trace -e trace=ioctl -o ${sOut} ${bin[64]}`, "/dev/null"], { stdio: "ignore" });
    const first = (f: string) => readFileSync(f, "latin1").split("\n")[0].replace(/\) +=/, ") =");
    expect(first(nOut)).toMatch(/^ioctl\(0, TCGETS, \{c_iflag=/);
    expect(first(sOut)).toBe(first(nOut));
  }, 60_000);
});

describe("trace options", () => {
  it("--vdso adds the calls the vDSO served, each with its result, and repeats are not merged", () => {
    const r = spawnSync(process.execPath, [CLI, "trace", "--vdso", "-e", "trace=clock_gettime", "--deterministic", "samples/bin/x86_64/clock-read"],
      { cwd: ROOT, encoding: "utf8" });
    const lines = r.stderr.trimEnd().split("\n").filter((l) => l.startsWith("clock_gettime"));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^clock_gettime\(CLOCK_[A-Z]+, \{tv_sec=\d+, tv_nsec=\d+\}\) += 0 <vdso: no kernel entry>$/);
    const plain = spawnSync(process.execPath, [CLI, "trace", "--deterministic", "samples/bin/x86_64/clock-read"], { cwd: ROOT, encoding: "utf8" });
    expect(plain.stderr).not.toMatch(/vdso/);
  });

  it.skipIf(!bin)("five back-to-back vDSO clock reads give five --vdso lines", () => {
    if (!bin[64]) return;
    const r = spawnSync(process.execPath, [CLI, "trace", "--vdso", "-e", "trace=clock_gettime", bin[64]!], { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"] });
    expect(r.stderr.split("\n").filter((l) => l.startsWith("clock_gettime(CLOCK_MONOTONIC"))).toHaveLength(5);
  });

  it("-e trace= accepts the other ABI's names (waitpid for an x86-64 program), as strace does", () => {
    const r = spawnSync(process.execPath, [CLI, "trace", "-e", "trace=waitpid,write", "samples/bin/x86_64/hello-syscall"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^write\(1, /m);
  });
});
