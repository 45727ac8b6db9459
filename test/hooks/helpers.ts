// Shared by the hook tests: a deterministic machine on a sample with captured output, and a
// recorder of the events of the interception points.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { Machine, type MachineOptions } from "../../emulator/machine.js";
import { HOOK_POINTS, type HookEvents, type HookPoint } from "../../kernel-model/hooks.js";
import { ROOT } from "../run/cli.js";
import { syscallTable } from "../../kernel-model/entry/syscall_tables.js";

export const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");
export const HAVE_BUSYBOX = existsSync(BUSYBOX);

/** A hook on one syscall (interception point 6): the hook registry keeps it by ABI and number. */
export function onSyscall(m: Machine, name: string, fn: (e: HookEvents["service"]) => void): void {
  const slot = syscallTable(m.task.abi).lookup(name);
  if (!slot) throw new Error(`no syscall ${name}`);
  m.hooks.onService(m.task.abi, slot.nr, fn);
}

/** A sample by its path under samples/bin (`x86_64/hello-syscall`), or any path. */
export function machine(program: string, opts: MachineOptions = {}): Promise<Machine> {
  const path = program.startsWith("/") ? program : join(ROOT, "samples/bin", program);
  return Machine.create(path, { captureOutput: true, deterministic: true, warnUnimplemented: false, stdin: "", ...opts });
}

export type AnyEvent = HookEvents[HookPoint];

/** Records every event of `points` (the service point through every syscall of the task's ABI). */
export function record(m: Machine, points: readonly HookPoint[] = HOOK_POINTS): AnyEvent[] {
  const events: AnyEvent[] = [];
  for (const p of points) {
    if (p === "service") for (const nr of syscallTable(m.task.abi).slots.keys()) m.hooks.onService(m.task.abi, nr, (e) => events.push(e));
    else m.hooks.on(p, (e) => events.push(e));
  }
  return events;
}

/** The events of the first syscall named `name`, from its instruction to its return. */
export function firstCall(events: AnyEvent[], name: string): AnyEvent[] {
  const start = events.findIndex((e) => e.point === "instruction" && e.name === name);
  const end = events.findIndex((e, i) => i > start && e.point === "return");
  return events.slice(start, end + 1);
}

/** JSON with bigints as hex, for comparing event sequences. */
export const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === "bigint" ? "0x" + v.toString(16) : v));
