// mkfifo / mknod (kernel-model/syscalls/fs/mknod.ts, fs/fifo.ts): named pipes two processes
// open and use, in the writable part of the view (the current directory), compared with native
// runs on both ABIs, and busybox's mkfifo with a shell reader and writer.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";
import { canBuild, program } from "./build.js";

const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");

beforeAll(() => ensureDist(), 600_000);

for (const bits of [64, 32] as const) {
  describe.skipIf(!canBuild[bits])(`named pipes (${bits}-bit)`, () => {
    it("mkfifo, mknod and a FIFO between two processes as natively", () => {
      const exe = program("fifo", bits);
      const dir = mkdtempSync(join(tmpdir(), "sysgate-fifo-"));
      const n = spawnSync(exe, [], { cwd: dir, encoding: "utf8", timeout: 30_000 });
      expect(n.stdout).toContain("read 17 bytes: through the fifo");
      const s = sysgate(["run", "-q", exe], { cwd: dir, timeout: 120_000 });
      expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: n.status });
    }, 180_000);
  });
}

describe("busybox mkfifo", () => {
  it("a shell writer and reader meet in a FIFO", () => {
    const dir = mkdtempSync(join(tmpdir(), "sysgate-fifo-"));
    const cmd = "mkfifo p && ls -l p | cut -c1 && (echo one; echo two) > p & sleep 0.1; cat p; wait; rm p; echo done";
    const n = spawnSync(BUSYBOX, ["sh", "-c", cmd], { cwd: dir, encoding: "utf8", timeout: 30_000 });
    expect(n.stdout).toBe("p\none\ntwo\ndone\n");
    const s = sysgate(["run", "-q", BUSYBOX, "sh", "-c", cmd], { cwd: dir, timeout: 120_000 });
    expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: n.status });
  }, 180_000);
});
