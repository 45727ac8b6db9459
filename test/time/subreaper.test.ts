// prctl(PR_SET_CHILD_SUBREAPER) and the reparenting of orphans (kernel-model/sched/exit.ts
// find_new_reaper), compared with native runs on both ABIs.
import { beforeAll, describe, expect, it } from "vitest";
import { ensureDist } from "../run/cli.js";
import { canBuild, program, runNative, runSysgate } from "./build.js";

beforeAll(() => ensureDist(), 600_000);

for (const bits of [64, 32] as const) {
  describe.skipIf(!canBuild[bits])(`child subreaper (${bits}-bit)`, () => {
    it("an orphan goes to the nearest subreaper, which reaps it", () => {
      const exe = program("subreaper", bits);
      const n = runNative([exe]);
      expect(n.stdout).toContain("grandchild: reparented to the subreaper 1");
      expect(n.stdout).toContain("reaped the grandchild: 1, status 7");
      const s = runSysgate([exe]);
      expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: n.status });
    }, 120_000);
  });
}
