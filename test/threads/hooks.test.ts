// Hook events of a threaded program carry the thread that made them: `pid` is the thread id (as
// strace -f's [pid N]) and `tgid` the process, the same for every thread; each thread clone3
// made shows up under the id clone3 returned.
import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../../emulator/machine.js";
import { machine, record } from "../hooks/helpers.js";
import { buildC } from "./corpus.js";

let m: Machine | undefined;
afterEach(() => m?.close());

describe("hook events of threads", () => {
  it("pthreads.c: every event names its thread and its process", async (ctx) => {
    const b = buildC("pthreads.c", "x86_64", ["-pthread"]);
    if ("skip" in b) return ctx.skip(b.skip);
    m = await machine(b.path);
    const events = record(m, ["syscall_entry", "syscall_exit"]);
    expect(m.runToEnd()).toMatchObject({ code: 0 });
    const main = m.task.pid;
    const created = events.filter((e) => e.point === "syscall_exit" && e.name === "clone3").map((e) => Number((e as { result: bigint }).result));
    expect(created).toHaveLength(5); // the sleeper and four workers
    const threads = new Set(events.map((e) => e.pid));
    expect([...threads].sort()).toEqual([main, ...created].sort());
    expect(events.every((e) => e.tgid === main)).toBe(true);
  }, 120_000);
});
