// `sysgate step [options] ELF [args...]`: the program under a full-screen stepping UI (ink).
// The guest's output is captured into a pane (the terminal belongs to the UI) and its stdin is
// empty unless --stdin FILE gives it one.

import { appendFileSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { createElement } from "react";
import { render } from "ink";
import { Machine } from "../machine.js";
import { App } from "../ui/app.js";
import { Disassembler } from "../ui/disasm.js";
import { StepSession } from "../ui/session.js";
import { RUN_OPTIONS_WITH_VALUE, parseRunArgs } from "./run.js";
import { UsageError } from "./usage.js";

export async function stepCommand(argv: string[]): Promise<number> {
  // --stdin FILE is step's own option; the rest are run's
  let stdin: Buffer | string = "";
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stdin") {
      if (i + 1 >= argv.length) throw new UsageError("step: --stdin needs a file");
      const file = argv[++i];
      try {
        stdin = readFileSync(file);
      } catch (e) {
        throw new UsageError(`step: --stdin ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
      }
    } else if (argv[i] === "--") { rest.push(...argv.slice(i)); break; }
    else if (!argv[i].startsWith("-")) { rest.push(...argv.slice(i)); break; }
    else {
      rest.push(argv[i]);
      if (RUN_OPTIONS_WITH_VALUE.has(argv[i]) && i + 1 < argv.length) rest.push(argv[++i]); // their values
    }
  }
  const { path, shown, options } = parseRunArgs(rest, "step");
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError("step needs a terminal (stdin and stdout)");
  // Capstone compiles its WebAssembly on background threads: start it before the boot, not after
  const disasm = Disassembler.create();
  disasm.catch(() => {}); // a failure surfaces where the session awaits it, not as an unhandled rejection
  const machine = await Machine.create(path, { ...options, captureOutput: true, stdin, warn: () => {} });
  const session = await StepSession.create(machine, disasm);
  // SYSGATE_STEP_METRICS=FILE: one line per frame, ink's render time and the last action's time in the model
  const metricsFile = process.env.SYSGATE_STEP_METRICS;
  const metrics = metricsFile
    ? (m: { renderTime: number }) => appendFileSync(metricsFile, `render ${m.renderTime.toFixed(2)} action ${session.lastActionMs.toFixed(2)}\n`)
    : undefined;
  // the alternate screen: the shell's scrollback is back as it was when the UI quits
  process.stdout.write("\x1b[?1049h\x1b[H");
  try {
    // 60 fps cap: ink's default 30 adds up to 33 ms to a step (incrementalRendering left stale lines)
    const app = render(createElement(App, { session, name: basename(shown) }),
      { exitOnCtrlC: false, patchConsole: true, maxFps: 60, onRender: metrics });
    await app.waitUntilExit();
  } finally {
    process.stdout.write("\x1b[?1049l");
    session.close();
    machine.close();
  }
  return 0;
}
