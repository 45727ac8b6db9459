// complete_signal's group exit: a signal that will kill a process ends every thread of it at once,
// one busy in user mode too (natively its CPU is kicked out of user mode). kill-spinner.c sends
// itself SIGTERM with the spinning thread the only one that can take it. Also the host's
// signals (host_signals.ts) go this way.
import { describe, expect, it } from "vitest";
import { ensureDist, sysgate } from "../run/cli.js";
import { buildC, runNative } from "../threads/corpus.js";

ensureDist();

describe("a fatal signal that only a thread busy in user mode can take", () => {
  for (const abi of ["x86_64", "i386"] as const) {
    it(`${abi}: ends the process as natively, host clock and --deterministic`, (ctx) => {
      const b = buildC("kill-spinner.c", abi, ["-pthread"]);
      if ("skip" in b) return ctx.skip(b.skip);
      const native = runNative(b.path);
      expect([native.stdout, native.signal]).toEqual(["ready\n", "SIGTERM"]);
      for (const mode of [[], ["--deterministic"]]) {
        const ours = sysgate(["run", "-q", ...mode, b.path], { timeout: 60_000 });
        expect({ mode, stdout: ours.stdout, status: ours.status }).toEqual({ mode, stdout: native.stdout, status: 128 + 15 });
      }
    }, 150_000);
  }
});
