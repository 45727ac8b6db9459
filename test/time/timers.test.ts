// POSIX timers (kernel-model/syscalls/kernel/posix_timers.ts), timerfd and signalfd
// (kernel-model/syscalls/fs/timerfd.ts, signalfd.ts): a C program run natively and under sysgate
// on both ABIs (i386 uses the time32 calls and, with glibc 2.34+, their time64 variants).
import { beforeAll, describe, expect, it } from "vitest";
import { ensureDist } from "../run/cli.js";
import { canBuild, program, runNative, runSysgate } from "./build.js";

beforeAll(() => ensureDist(), 600_000);

for (const bits of [64, 32] as const) {
  describe.skipIf(!canBuild[bits])(`timer_*, timerfd_*, signalfd (${bits}-bit)`, () => {
    for (const opts of [[], ["--deterministic"]]) {
      it(`as natively ${opts.join(" ")}`, () => {
        const exe = program("timers", bits);
        const n = runNative([exe]);
        expect(n.status).toBe(0);
        expect(n.stdout).toContain("got 1, si_code -2 (SI_TIMER -2), value 42");
        expect(n.stdout).toContain("periodic: delivered 1, si_overrun >= 3 1");
        expect(n.stdout).toContain("read = 128, signo 12, code 0, pid is mine 1");
        const s = runSysgate([exe], opts);
        expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: n.status });
      }, 120_000);
    }
  });
}
