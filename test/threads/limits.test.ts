// Bad input for threads, through `sysgate run`: a thread bomb meets the run's process bound
// (max_threads: clone answers EAGAIN, as Linux does at its limit) and the program sees it from
// pthread_create, and so does an unprivileged user's at RLIMIT_NPROC; threads that all wait for
// each other are reported as a deadlock and the run ends (SIGKILL's 137) instead of hanging.
import { describe, expect, it } from "vitest";
import { ensureDist, sysgate } from "../run/cli.js";
import { buildC, runNative } from "./corpus.js";

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

  it("a thread bomb of an unprivileged user stops at RLIMIT_NPROC, as natively (threads count as the user's processes)", (ctx) => {
    const b = buildC("thread-limits.c", "x86_64", ["-pthread"]);
    if ("skip" in b) return ctx.skip(b.skip);
    const native = runNative(b.path, ["nproc"]);
    if (native.status !== 0) return ctx.skip(`natively: ${native.stdout.trim()}`); // setuid needs root
    expect(native.stdout).toBe("created 7 threads, then EAGAIN\n");
    const r = sysgate(["run", b.path, "nproc"]);
    expect({ stdout: r.stdout, status: r.status }).toEqual({ stdout: native.stdout, status: native.status });
    expect(r.stderr).toContain("RLIMIT_NPROC");
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
