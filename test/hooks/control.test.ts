// What a hook may do besides watching: rewrite arguments, skip the service routine, rewrite the
// result, pause the run; and the same run gives the same events every time.

import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../../emulator/machine.js";
import { BUSYBOX, HAVE_BUSYBOX, json, machine, onSyscall, record } from "./helpers.js";

let m: Machine | undefined;
afterEach(() => m?.close());

describe("hooks that change the run", () => {
  it("rewrites write's fd 1 into 2 at the generic entry: the text lands on stderr", async () => {
    m = await machine("x86_64/hello-syscall");
    m.hooks.on("syscall_entry", (e) => { if (e.name === "write" && e.args[0] === 1n) e.args[0] = 2n; });
    expect(m.runToEnd()).toMatchObject({ code: 0 });
    expect([m.stdout.toString(), m.stderr.toString()]).toEqual(["", "hello from syscall\n"]);
  });

  it.skipIf(!HAVE_BUSYBOX)("skips getpid with the answer 4242 (busybox sh -c 'echo $$')", async () => {
    m = await machine(BUSYBOX, { argv: ["busybox", "sh", "-c", "echo $$"] });
    onSyscall(m, "getpid", (e) => e.skip(4242));
    m.runToEnd();
    expect(m.stdout.toString()).toBe("4242\n");
  });

  it.skipIf(!HAVE_BUSYBOX)("rewrites getuid/geteuid's results at the exit (busybox id -u)", async () => {
    m = await machine(BUSYBOX, { argv: ["busybox", "id", "-u"] });
    m.hooks.on("syscall_exit", (e) => { if (e.name === "getuid" || e.name === "geteuid") e.result = 4242n; });
    m.runToEnd();
    expect(m.stdout.toString()).toBe("4242\n");
  });

  it("pauses in a hook: run() returns paused, the state is there to inspect, run() again finishes", async () => {
    m = await machine("x86_64/hello-glibc");
    let buf = 0n;
    m.hooks.on("syscall_entry", (e) => { if (e.name === "write") { buf = e.args[1]; e.pause(); } });
    expect(m.run()).toEqual({ paused: true });
    expect(m.readMemory(buf, 17).toString()).toBe("hello from glibc\n");
    expect(m.cpu.get("rax")).toBe(1n); // do_syscall_64 came back: SYSRET may be used
    expect(m.run()).toMatchObject({ code: 0 });
    expect(m.stdout.toString()).toBe("hello from glibc\n");
  });

  it("two deterministic runs give the same event sequence", async () => {
    const events: string[] = [];
    for (let i = 0; i < 2; i++) {
      m = await machine("x86_64/hello-glibc");
      const ev = record(m);
      m.runToEnd();
      m.close();
      events.push(json(ev));
    }
    m = undefined;
    expect(events[1]).toBe(events[0]);
    expect(JSON.parse(events[0]).length).toBeGreaterThan(100);
  });
});
