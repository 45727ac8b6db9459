// A sleeper a signal wakes runs its syscall again in the model (the restart of a WouldBlock); in
// Linux it wakes inside the syscall, whose way out delivers the signal. Between the wake and the
// call's return to the kernel the task must not take the signal in user mode: after the handler
// the call would run again, sigsuspend with its caller's mask back (a wait for ever), a read
// without SA_RESTART restarted instead of failing with EINTR. A run stops there only now and
// then (a short run under load: test/time/timers flaked so); stepping one instruction at a time
// stops there every time, so the program is stepped through, and compared with a native run.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.js";
import { canBuild, program } from "../time/build.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "src");

describe("a sleeper woken by a signal", () => {
  for (const bits of [64, 32] as const) {
    for (const deterministic of [true, false]) {
      it.skipIf(!canBuild[bits])(`${bits}-bit${deterministic ? ", deterministic" : ""}: stepped through, as natively`, async () => {
        const exe = program("woken_sleeper", bits, SRC);
        const n = spawnSync(exe, { encoding: "utf8", timeout: 30_000 });
        expect(n.stdout).toContain("sigsuspend = -1, errno 4, handled 1");
        const m = await Machine.create(exe, { argv: [exe], captureOutput: true, deterministic, stdin: "", warn: () => {} });
        try {
          let r = m.step(1);
          for (let i = 0; r.paused && i < 2_000_000; i++) r = m.step(1);
          expect({ stdout: m.stdout.toString(), end: r }).toEqual({ stdout: n.stdout, end: { code: n.status } });
        } finally {
          m.close();
        }
      }, 120_000);
    }
  }
});
