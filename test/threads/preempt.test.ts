// Time slices by block count (issue 15, scheduling; machine.ts SLICE_BLOCKS): a thread that spins
// in user mode without a syscall must not starve the one that holds the lock or sets the flag it
// waits for. spin.c does both (a flag set under a mutex, a pthread spin lock held while working);
// it must end as it does natively, in host-clock runs and in deterministic ones (which had no way
// to stop a spinner), and two deterministic traces of it must be byte-identical: the slices end at
// the same block every time.
import { describe, expect, it } from "vitest";
import { ensureDist, sysgate } from "../run/cli.js";
import { buildC, runNative, type Built } from "./corpus.js";

ensureDist();

function program(b: Built, skip: (why: string) => void): string {
  if ("skip" in b) { skip(b.skip); return ""; }
  return b.path;
}

describe("spin.c: a spinning thread does not starve the lock holder", () => {
  for (const abi of ["x86_64", "i386"] as const) {
    const built = () => buildC("spin.c", abi, ["-pthread"]);
    it(`${abi}: the native output and status, host clock and --deterministic`, (ctx) => {
      const p = program(built(), (why) => ctx.skip(why));
      const native = runNative(p);
      expect(native.status).toBe(0);
      expect(native.stdout).toBe("flag set after 400000 increments under the mutex\nspin lock taken after 800000 increments in all\n");
      for (const mode of [[], ["--deterministic"]]) {
        const ours = sysgate(["run", "-q", ...mode, p], { timeout: 120_000 });
        expect({ mode, stdout: ours.stdout, status: ours.status }).toEqual({ mode, stdout: native.stdout, status: native.status });
      }
    });
    it(`${abi}: two deterministic traces are identical`, (ctx) => {
      const p = program(built(), (why) => ctx.skip(why));
      const runs = [0, 1].map(() => sysgate(["trace", "--deterministic", p], { timeout: 120_000 }));
      expect(runs[0].status).toBe(0);
      expect(runs[0].stderr).toContain("[pid  1001]"); // the thread's own lines: it ran
      expect(runs[1]).toEqual(runs[0]);
    });
  }
});
