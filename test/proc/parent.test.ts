// The first process's parent (README "pid 1"): the process that started sysgate. Natively a
// program's getppid() is its shell, which kill(ppid, 0) finds and /proc/<ppid> shows; under
// sysgate the same pid is a stand-in of the model with the host process's name, command line and
// program. Here the parent is the test's own process for both runs, so the outputs must be equal.
// And pid 1's exe names the program its command line names, as a real init's does.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";

const BB = { 64: join(ROOT, ".cache/corpus/amd64/busybox"), 32: join(ROOT, ".cache/corpus/i386/busybox") } as const;
const isRoot = process.getuid?.() === 0;

beforeAll(() => ensureDist(), 600_000);

const PARENT = [
  "echo $PPID", "kill -0 $PPID && echo alive", "cat /proc/$PPID/comm", "readlink /proc/$PPID/exe",
  "tr '\\0' ' ' < /proc/$PPID/cmdline; echo", "ls -d /proc/$PPID", "kill -0 1 2>/dev/null; echo $?",
].join("; ");

describe("the first process's parent is the process that started sysgate", () => {
  for (const bits of [64, 32] as const) {
    it.skipIf(!existsSync(BB[bits]))(`getppid, kill(ppid, 0) and /proc/<ppid> as natively (busybox ${bits}-bit)`, () => {
      // spawnSync starts both with this process as the parent
      const n = spawnSync(BB[bits], ["sh", "-c", PARENT], { encoding: "utf8" });
      expect(n.stdout.split("\n")[0]).toBe(String(process.pid));
      expect(n.stdout.split("\n")[1]).toBe("alive");
      const s = sysgate(["run", "-q", BB[bits], "sh", "-c", PARENT]);
      expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: n.status });
    });
  }

  it.skipIf(!existsSync(BB[64]))("a signal to it goes nowhere: the test's process is still here, and so is the stand-in", () => {
    const s = sysgate(["run", "-q", BB[64], "sh", "-c", "kill -TERM $PPID; echo $?; kill -0 $PPID && echo still there"]);
    expect(s.stdout).toBe("0\nstill there\n");
  });

  it.skipIf(!existsSync(BB[64]))("on the virtual clock it is pid 1, init", () => {
    const s = sysgate(["run", "-q", "--deterministic", BB[64], "sh", "-c", "echo $PPID; ps -o pid,ppid,comm"]);
    expect(s.stdout).toBe("1\nPID   PPID  COMMAND\n    1     0 init\n 1000     1 ps\n");
  });
});

describe.skipIf(!isRoot || !existsSync(BB[64]))("pid 1's program", () => {
  it("readlink /proc/1/exe is the program /proc/1/cmdline names (root may read it)", () => {
    const s = sysgate(["run", "-q", BB[64], "sh", "-c", "readlink /proc/1/exe; tr '\\0' '\\n' < /proc/1/cmdline | head -1"]);
    const [exe, cmd] = s.stdout.split("\n");
    expect(exe).toBe("/sbin/init");
    expect(exe).toBe(cmd);
  });
});
