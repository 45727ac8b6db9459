// What a process inherits from the user's shell (umask, host name, a closed stdin) and a few
// calls around processes (sched_setaffinity, MAP_NORESERVE, the raw futex, i386's old signal
// calls), run natively and under sysgate on both ABIs from the same bash command line.
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ensureDist } from "../run/cli.js";
import { canBuild, program } from "./build.js";

beforeAll(() => ensureDist(), 600_000);

function bash(cmd: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync("bash", ["-c", cmd], { encoding: "utf8", timeout: 120_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

for (const bits of [64, 32] as const) {
  describe.skipIf(!canBuild[bits])(`inherited state and process calls (${bits}-bit)`, () => {
    it("umask 027, the host's name and a closed stdin as natively", () => {
      const exe = program("process_misc", bits);
      const n = bash(`umask 027; exec "${exe}" <&-`);
      expect(n.stdout).toContain("umask 027");
      expect(n.stdout).toContain(`nodename ${hostname()}`);
      expect(n.stdout).toContain("read(0) = -1, errno 9");
      expect(n.stdout).toContain("touched 1 2, munmap 0");
      expect(n.status).toBe(0);
      const s = bash(`umask 027; exec "${process.execPath}" "${CLI}" run -q "${exe}" <&-`);
      expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: n.status });
    }, 120_000);

    it("deterministic runs keep their fixed umask and name; an open stdin reads", () => {
      const exe = program("process_misc", bits);
      const s = bash(`umask 027; exec "${process.execPath}" "${CLI}" run -q --deterministic "${exe}" < /dev/null`);
      expect(s.stdout).toContain("umask 022");
      expect(s.stdout).toContain("nodename sysgate");
      expect(s.stdout).toContain("read(0) = 0, errno 0");
    }, 120_000);
  });
}
