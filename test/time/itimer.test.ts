// alarm / setitimer / getitimer (kernel-model/syscalls/kernel/itimer.ts): a C program run natively
// and under sysgate on both ABIs, on the host's clock and on the virtual one.
import { describe, expect, it } from "vitest";
import { beforeAll } from "vitest";
import { ensureDist } from "../run/cli.js";
import { canBuild, program, runNative, runSysgate, shellStatus } from "./build.js";

beforeAll(() => ensureDist(), 600_000);

for (const bits of [64, 32] as const) {
  describe.skipIf(!canBuild[bits])(`itimers (${bits}-bit)`, () => {
    for (const opts of [[], ["--deterministic"]]) {
      it(`alarm, setitimer, getitimer as natively ${opts.join(" ")}`, () => {
        const exe = program("itimer", bits);
        const n = runNative([exe]);
        expect(n.signal).toBe("SIGALRM");
        expect(n.stdout).toContain("sigsuspend = -1, alarms 1");
        const s = runSysgate([exe], opts);
        expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: shellStatus(n) });
      }, 120_000);
    }

    for (const opts of [[], ["--deterministic"]]) {
      it(`SIGALRM reaches a process busy in user mode: a handler runs, and a fatal one ends it ${opts.join(" ")}`, () => {
        // the run is bounded by the alarm's deadline (on the host clock) or sliced by block count
        // (the virtual clock moves with the slices); the signal comes with the timer interrupt
        // (LinuxKernel.kick_process), as the process never enters the kernel by itself
        const exe = program("alarm_spin", bits);
        for (const args of [[], ["fatal"]]) {
          const n = runNative([exe, ...args]);
          const s = runSysgate([exe, ...args], opts);
          expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: shellStatus(n) });
        }
      }, 120_000);
    }

    it("a deterministic run's clock moves for a program that only reads it through the vDSO", () => {
      const exe = program("clock_spin", bits);
      const n = runNative([exe]);
      const s = runSysgate([exe], ["--deterministic"]);
      expect({ stdout: s.stdout, status: s.status }, s.stderr).toEqual({ stdout: n.stdout, status: shellStatus(n) });
    }, 120_000);
  });
}
