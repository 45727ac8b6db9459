// Bad input for threads, through `sysgate run`: a thread bomb meets the run's process bound
// (max_threads: clone answers EAGAIN, as Linux does at its limit) and the program sees it from
// pthread_create; threads that all wait for each other are reported as a deadlock and the run
// ends (SIGKILL's 137) instead of hanging.
import { describe, expect, it } from "vitest";
import { ensureDist, sysgate } from "../run/cli.js";
import { buildC } from "./corpus.js";

ensureDist();

describe("threads at their limits", () => {
  it("a thread bomb stops at --max-procs with EAGAIN from pthread_create", (ctx) => {
    const b = buildC("thread-limits.c", "x86_64", ["-pthread"]);
    if ("skip" in b) return ctx.skip(b.skip);
    const r = sysgate(["run", "--max-procs", "8", b.path]);
    // the main thread is one of the 8 tasks
    expect({ stdout: r.stdout, status: r.status }).toEqual({ stdout: "created 7 threads, then EAGAIN\n", status: 0 });
    expect(r.stderr).toContain("--max-procs 8");
  });

  it("threads that wait for each other forever are reported as a deadlock, with what each waits in", (ctx) => {
    const b = buildC("thread-limits.c", "x86_64", ["-pthread"]);
    if ("skip" in b) return ctx.skip(b.skip);
    const r = sysgate(["run", b.path, "deadlock"], { timeout: 60_000 });
    expect(r.stdout).toBe("joining a thread that never ends\n");
    expect(r.status).toBe(137);
    expect(r.stderr).toContain("deadlock");
    expect(r.stderr).toMatch(/futex/);
  });
});
