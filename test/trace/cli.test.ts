// `sysgate trace` end to end: expected lines for samples, agreement with the host's strace for
// the same programs, and byte-identical --json output across deterministic runs.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, ensureDist } from "../run/cli.js";

const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");
const HAVE_STRACE = spawnSync("strace", ["-V"]).status === 0;
const ENV = { LANG: "C" }; // the same environment natively and in the guest: one var either way
let dir: string;

beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), "sysgate-trace-"));
  writeFileSync(join(dir, "f.txt"), "hi\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** sysgate trace with the trace in a file; stdout is a pipe, as it is for strace below. */
function trace(args: string[]): { lines: string[]; stdout: string; status: number | null } {
  const out = join(dir, `t${Math.random()}.txt`);
  const r = spawnSync(process.execPath, [CLI, "trace", "-o", out, ...args], { cwd: ROOT, env: ENV, encoding: "utf8" });
  return { lines: readFileSync(out, "utf8").trimEnd().split("\n"), stdout: r.stdout, status: r.status };
}

describe("sysgate trace", () => {
  it("prints hello-syscall's calls as strace does", () => {
    const t = trace(["--deterministic", "-i", "samples/bin/x86_64/hello-syscall"]);
    expect(t.lines.slice(1)).toEqual([
      '[0000000000401016] write(1, "hello from syscall\\n", 19) = 19',
      "[000000000040101f] exit(0)              = ?",
      "[????????????????] +++ exited with 0 +++",
    ]);
    expect(t.stdout).toBe("hello from syscall\n");
  });

  it("decodes i386 glibc's calls (stat64-era ABI, statx) and marks vDSO calls", () => {
    const t = trace(["--deterministic", "samples/bin/i386/hello-glibc-32"]);
    expect(t.lines).toContain("ugetrlimit(RLIMIT_STACK, {rlim_cur=8192*1024, rlim_max=RLIM_INFINITY}) = 0");
    expect(t.lines.some((l) => /^statx\(1, "", AT_STATX_SYNC_AS_STAT\|.*AT_EMPTY_PATH, STATX_BASIC_STATS, \{stx_mask=/.test(l))).toBe(true);
    const clock = trace(["--deterministic", "--vdso", "samples/bin/x86_64/clock-read"]);
    expect(clock.lines.filter((l) => /^clock_gettime\(CLOCK_MONOTONIC, \{tv_sec=\d+, tv_nsec=\d+\}\) += 0 <vdso: no kernel entry>$/.test(l))).toHaveLength(2);
  });

  it("-e trace=%file, -s and -c", () => {
    const t = trace(["-e", "trace=%file", "-s", "8", BUSYBOX, "cat", join(dir, "f.txt")]);
    expect(t.lines.map((l) => l.replace(/\(.*/, ""))).toEqual(["execve", "readlink", "openat", "+++ exited with 0 +++"]);
    // -s 8 cuts the link target (busybox's real path) after 8 bytes
    const target = realpathSync(BUSYBOX);
    expect(t.lines[1]).toBe(`readlink("/proc/self/exe", "${target.slice(0, 8)}"..., 4096) = ${target.length}`);
    const c = trace(["-c", "--deterministic", "samples/bin/x86_64/hello-glibc"]);
    expect(c.lines[0]).toBe("% time     seconds  usecs/call     calls    errors syscall");
    expect(c.lines.find((l) => l.endsWith(" brk"))).toMatch(/^\s+0\.00\s+0\.000000\s+0\s+5\s+brk$/);
    expect(c.lines.at(-1)).toMatch(/^100\.00 .* 16 +total$/);
  });

  it("--json: every interception point, byte-identical across deterministic runs", () => {
    const run = () => spawnSync(process.execPath, [CLI, "trace", "--json", "--deterministic", "samples/bin/x86_64/hello-glibc"],
      { cwd: ROOT, env: ENV, encoding: "utf8" }).stderr;
    const a = run();
    expect(run()).toBe(a);
    const points = new Set(a.trim().split("\n").map((l) => JSON.parse(l).point));
    for (const p of ["instruction", "transition", "entry_stub", "syscall_entry", "service", "syscall_exit", "return", "process"]) expect(points).toContain(p);
  });
});

/**
 * Normalizes a trace line for comparison with the host's: no pid column (strace -f -o adds one),
 * addresses and pointers (the host's ASLR, sysgate's fixed layout) as 0xA, padding collapsed
 * (it follows the line's length, which follows the addresses). Two values differ by nature:
 * set_tid_address returns the pid, getrandom returns random bytes.
 */
function normalize(line: string): string {
  return line.replace(/^\d+ +/, "").replace(/0x[0-9a-f]+/g, "0xA").replace(/\) +=/, ") =")
    .replace(/^(set_tid_address\(0xA\) =) \d+$/, "$1 PID").replace(/^getrandom\("[^"]*"/, 'getrandom("RANDOM"');
}

describe.skipIf(!HAVE_STRACE)("agreement with the host's strace -f", () => {
  const cases: [string, string[]][] = [
    ["hello-glibc", ["samples/bin/x86_64/hello-glibc"]],
    ["busybox cat", [BUSYBOX, "cat", "FILE"]],
    ["busybox echo", [BUSYBOX, "echo", "a", "b"]],
  ];
  for (const [name, argv0] of cases) {
    it.skipIf(argv0[0] === BUSYBOX && !existsSync(BUSYBOX))(`${name}: same syscalls, arguments and results`, () => {
      const argv = argv0.map((a) => (a === "FILE" ? join(dir, "f.txt") : a));
      const out = join(dir, `n${Math.random()}.txt`);
      const n = spawnSync("strace", ["-f", "-o", out, ...argv], { cwd: ROOT, env: ENV, encoding: "utf8" });
      expect(n.status).toBe(0);
      const native = readFileSync(out, "utf8").trimEnd().split("\n").map(normalize);
      const ours = trace(argv);
      expect(ours.stdout).toBe(n.stdout);
      expect(ours.lines.map(normalize)).toEqual(native);
    });
  }
  if (!existsSync(BUSYBOX)) it.skip("busybox cases: run test/corpus/fetch-busybox.sh to get .cache/corpus/amd64/busybox", () => {});
});
if (!HAVE_STRACE) describe.skip("agreement with the host's strace: strace is not installed", () => { it("needs strace", () => {}); });
