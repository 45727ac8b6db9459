// The threads corpus run natively and through sysgate (`sysgate run`): the same output and the
// same status, or the test fails. sync-calls.c waits and wakes without threads (futex, epoll,
// eventfd, non-blocking pipes, madvise and friends, with a forked child as the waker); the
// threaded programs (pthreads.c, goroutines.go, threads.rs) are first checked natively, then
// run through sysgate.
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";
import { buildC, buildGo, buildRust, runNative, type Built } from "./corpus.js";

ensureDist();

const ABIS = ["x86_64", "i386"] as const;
/** A small static program the Go program runs with os/exec. */
const HELLO = join(ROOT, "samples", "bin", "x86_64", "hello-glibc");

function program(b: Built, skip: (why: string) => void): string {
  if ("skip" in b) { skip(b.skip); return ""; }
  return b.path;
}

function sameAsNative(path: string, args: string[] = []): void {
  const native = runNative(path, args);
  const ours = sysgate(["run", path, ...args], { timeout: 120_000 });
  expect({ stdout: ours.stdout, status: ours.status }).toEqual({ stdout: native.stdout, status: native.status });
}

describe("sync-calls.c: futex, epoll, eventfd, non-blocking pipes, madvise without threads", () => {
  for (const abi of ABIS) {
    it(`${abi}: output and status match the native run`, (ctx) => {
      const p = program(buildC("sync-calls.c", abi), (why) => ctx.skip(why));
      sameAsNative(p);
    });
  }
});

describe("clone3.c: clone3's size, field and flag checks, and a fork through it (CLONE_PARENT_SETTID, CLONE_CLEAR_SIGHAND)", () => {
  for (const abi of ABIS) {
    it(`${abi}: output and status match the native run`, (ctx) => {
      const p = program(buildC("clone3.c", abi), (why) => ctx.skip(why));
      sameAsNative(p);
    });
  }
});

describe("signals and the end of a threaded process", () => {
  for (const abi of ABIS) {
    it(`thread-signals.c (${abi}): a signal sent to the process goes to a thread that does not block it; one every thread blocks is pending for all`, (ctx) => {
      sameAsNative(program(buildC("thread-signals.c", abi, ["-pthread"]), (why) => ctx.skip(why)));
    });
    // `x`: the last thread calls exit(3) (exit_group); `fork raw`: in a child whose last thread makes
    // the exit syscall itself, which the parent cannot reap before that thread ends
    for (const args of [["x"], ["fork", "raw"]]) {
      it(`main-exit.c ${args.join(" ")} (${abi}): pthread_exit of the main thread, the leader a zombie until the last thread ends`, (ctx) => {
        sameAsNative(program(buildC("main-exit.c", abi, ["-pthread"]), (why) => ctx.skip(why)), args);
      });
    }
  }
});

describe("the threaded programs build and run natively (the oracle for the runs below)", () => {
  for (const abi of ABIS) {
    it(`pthreads.c (${abi})`, (ctx) => {
      const r = runNative(program(buildC("pthreads.c", abi, ["-pthread"]), (why) => ctx.skip(why)));
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("counter 4000\ntoken order 0 1 2 3\nmain tls 99\nsleeper cancelled, cleanup ran\n");
    });
    it(`goroutines.go (${abi})`, (ctx) => {
      const r = runNative(program(buildGo("goroutines.go", abi), (why) => ctx.skip(why)), [HELLO]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe("squares 20 sum 2870 largest 400\nslept true\nrecovered: assignment to entry in nil map\nchild said \"hello from glibc\"\n");
    });
  }
  it("threads.rs (x86_64)", (ctx) => {
    const r = runNative(program(buildRust("threads.rs"), (why) => ctx.skip(why)));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("total 4000 joined 600\nnamed thread worker-x\n");
  });
});

describe("the threaded programs through sysgate: the native output and status", () => {
  for (const abi of ABIS) {
    it(`pthreads.c (${abi}): mutex, condition variable, TLS, join, a cancelled thread`, (ctx) => {
      sameAsNative(program(buildC("pthreads.c", abi, ["-pthread"]), (why) => ctx.skip(why)));
    });
    it(`robust.c (${abi}): a robust mutex whose owner thread died answers EOWNERDEAD (the robust list walk at exit)`, (ctx) => {
      sameAsNative(program(buildC("robust.c", abi, ["-pthread"]), (why) => ctx.skip(why)));
    });
    it(`goroutines.go (${abi}): Go's threads, channels, time.Sleep, os/exec, a recovered panic`, (ctx) => {
      sameAsNative(program(buildGo("goroutines.go", abi), (why) => ctx.skip(why)), [HELLO]);
    });
  }
  it("threads.rs (x86_64): std::thread, Arc<Mutex>, mpsc", (ctx) => {
    sameAsNative(program(buildRust("threads.rs"), (why) => ctx.skip(why)));
  });
  it("pthreads.c (x86_64) in deterministic mode: the same output twice", (ctx) => {
    const p = program(buildC("pthreads.c", "x86_64", ["-pthread"]), (why) => ctx.skip(why));
    const runs = [0, 1].map(() => sysgate(["run", "--deterministic", p], { timeout: 120_000 }));
    expect(runs[0].status).toBe(0);
    expect(runs[1]).toEqual(runs[0]);
  });
});
