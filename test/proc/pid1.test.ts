// pid 1 (README "pid 1"): the run's modelled init. A C program asks what any process can learn of
// pid 1 (kill, /proc/1, getpgid) and watches an orphan be reparented to it and reaped; its output
// is compared line by line with the same program run natively by the same kind of user: uid 1000
// (natively through setpriv, under sysgate on the virtual clock) and, when the tests run as root,
// root (natively and under sysgate without --deterministic, which keeps the host's uid).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";
import { canBuild, program, runNative, runSysgate } from "../time/build.js";

const SRC = join(dirname(new URL(import.meta.url).pathname), "src");
const isRoot = process.getuid?.() === 0;
const hasSetpriv = spawnSync("setpriv", ["--version"]).status === 0;
const BB = join(ROOT, ".cache/corpus/amd64/busybox");
const haveBusybox = existsSync(BB);

beforeAll(() => ensureDist(), 600_000);

/** The program run natively as uid 1000 (the tests' own uid when they do not run as root). */
function nativeUnprivileged(exe: string) {
  if (!isRoot) return runNative([exe]);
  chmodSync(dirname(exe), 0o755); // the build folder is mkdtemp's 0700
  return runNative(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", exe]);
}

for (const bits of [64, 32] as const) {
  describe.skipIf(!canBuild[bits] || (isRoot && !hasSetpriv))(`pid 1 seen by a process (${bits}-bit)`, () => {
    it("as an unprivileged user: kill(1) is EPERM, /proc/1 shows init and guards the rest, orphans go to it", () => {
      const exe = program("pid1", bits, SRC);
      const n = nativeUnprivileged(exe);
      expect(n.stdout).toContain("kill(1, SIGTERM): Operation not permitted");
      expect(n.stdout).toContain("orphan reparented to pid 1: 1");
      const s = runSysgate([exe], ["--deterministic"]);
      expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: n.status });
    }, 120_000);

    it.skipIf(!isRoot)("as root: kill(1, 0) succeeds and /proc/1 is root's", () => {
      const exe = program("pid1", bits, SRC);
      const n = runNative([exe]);
      expect(n.stdout).toContain("kill(1, 0): ok");
      const s = runSysgate([exe]);
      expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: n.status });
    }, 120_000);
  });
}

describe.skipIf(!haveBusybox)("init under sysgate", () => {
  // root's kill: sysgate without --deterministic keeps the host's uid (never run natively: it would reach the host's init)
  it.skipIf(!isRoot)("ignores every signal, even SIGKILL from root, and stays in ps", () => {
    const s = sysgate(["run", "-q", BB, "sh", "-c", "kill -KILL 1; echo $?; kill -TERM 1; echo $?; ps -o pid,ppid,user,comm | grep -E '^ +1 '"]);
    expect(s.stdout.split("\n").slice(0, 2)).toEqual(["0", "0"]);
    expect(s.stdout).toMatch(/^\s+1\s+0\s+root\s+init$/m);
  });

  it("its process group and session are its own, and $PPID of the first process is 1 on the virtual clock", () => {
    const s = sysgate(["run", "-q", "--deterministic", BB, "sh", "-c", "echo $PPID; cut -d' ' -f1-6 /proc/1/stat; cat /proc/1/cmdline | tr '\\0' ' '"]);
    expect(s.stdout).toBe("1\n1 (init) S 0 1 1\n/sbin/init ");
  });
});
