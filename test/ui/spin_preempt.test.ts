// `c` in sysgate step preempts a thread that spins without entering the kernel, as the run loop
// does (a slice while another thread of its process waits): the program, whose main thread spins
// on a flag a second thread sets, ends as it does natively. And a deterministic clock moves while
// `c` runs a program that only reads it through the vDSO.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.js";
import { StepSession } from "../../emulator/ui/session.js";
import { ROOT } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "sysgate-spin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin: Partial<Record<"x86_64" | "i386", string>> = {};
for (const abi of ["x86_64", "i386"] as const) {
  const out = join(dir, `spin-${abi}`);
  const r = spawnSync("gcc", [...(abi === "i386" ? ["-m32"] : []), "-static", "-O1", "-pthread", "-o", out, join(ROOT, "test/ui/src/spin_flag.c")]);
  if (r.status === 0) bin[abi] = out;
}
const clockSpin = join(dir, "clock-spin");
const haveClockSpin = spawnSync("gcc", ["-static", "-O1", "-o", clockSpin, join(ROOT, "test/time/src/clock_spin.c")]).status === 0;
const cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

/** `c` through `bin args` in a step session until it ends (slices of 50 ms, at most 20 s): as natively? */
async function continueToEnd(bin: string, args: string[], deterministic: boolean): Promise<void> {
  const n = spawnSync(bin, args, { encoding: "utf8", timeout: 10_000 });
  const m = await Machine.create(bin, { argv: [bin, ...args], captureOutput: true, deterministic, stdin: "", warn: () => {} });
  const s = await StepSession.create(m);
  cleanups.push(() => { s.close(); m.close(); });
  expect(s.start("continue")).toBe(true);
  for (let i = 0; i < 400 && !s.slice(50); i++);
  expect(s.exit, s.message).toBeDefined();
  expect({ out: s.machine.stdout.toString(), code: s.exit?.code }).toEqual({ out: n.stdout, code: n.status });
}

describe("c preempts a spinning thread", () => {
  for (const abi of ["x86_64", "i386"] as const) {
    for (const deterministic of [true, false]) {
      // without preemption it would spin for good
      it.skipIf(!bin[abi])(`${abi}${deterministic ? " --deterministic" : ""}: the spinning main thread lets the setter run`, () =>
        continueToEnd(bin[abi]!, [], deterministic), 60_000);
    }
  }

  it.skipIf(!haveClockSpin)("--deterministic: a program waiting for the vDSO's clock to move ends", () =>
    continueToEnd(clockSpin, ["20"], true), 60_000);
});
