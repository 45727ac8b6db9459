// Stopping a running engine from another thread through its stop-request word
// (emulator/cpu/stop_request.ts): the engine stops at a block's start on its own thread, where the
// registers and RIP agree, which a plain uc_emu_stop from another thread does not give
// (test/cpu/engine_quirks.test.ts).
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { CHECK_OFFSET, requestStop, STOP_REQUEST_CODE, StopRequest, TIMER_OFFSET } from "../../emulator/cpu/stop_request.js";
import { UC, Unicorn } from "../../emulator/cpu/unicorn.js";
import { Watchdog } from "../../emulator/cpu/watchdog.js";
import { X86Cpu } from "../../emulator/cpu/x86_cpu.js";
import { HAVE_NASM, nasmBin } from "./nasm.js";

// 0x1000: inc rax; mov [0x3000], rax; inc rbx; jmp 0x1000: at the block's start rax == rbx
const LOOP = Buffer.from([0x48, 0xff, 0xc0, 0x48, 0x89, 0x04, 0x25, 0x00, 0x30, 0x00, 0x00, 0x48, 0xff, 0xc3, 0xeb, 0xf0]);

function engine(): { u: Unicorn; mem: Buffer } {
  const u = new Unicorn("64");
  const mem = Buffer.alloc(0x10000);
  LOOP.copy(mem, 0x1000);
  u.mapHostMemory(0n, mem);
  return { u, mem };
}

/** Where the engine stopped agrees with its registers. */
function atBlockStart(u: Unicorn): boolean {
  return u.readBig(UC.UC_X86_REG_RIP) === 0x1000n && u.readBig(UC.UC_X86_REG_RAX) === u.readBig(UC.UC_X86_REG_RBX);
}

describe("the stop-request word", () => {
  it.skipIf(!HAVE_NASM)("its machine code is what the listing in stop_request.ts says", () => {
    const bytes = nasmBin(`
BITS 64
stop_request_check:
	cmp	dword [rcx], 0
	jne	.stop
	sub	qword [rcx + 24], 1
	jz	.spent
	ret
.stop:
	mov	dword [rcx], 0
.spent:
	mov	[rcx + 16], rsi
	jmp	[rcx + 8]
align 16, db 0xcc
stop_request_timer:
	lock or	dword [rdi], 1
	ret
`);
    expect(bytes.equals(STOP_REQUEST_CODE)).toBe(true);
    expect([CHECK_OFFSET, TIMER_OFFSET]).toEqual([0, 32]);
  });

  it("a request made before the run stops it at its first block, and is used up", () => {
    const { u } = engine();
    try {
      const r = StopRequest.install(u)!;
      expect(r).toBeDefined();
      requestStop(r.buffer);
      expect(u.start(0x1000n, 0n, 0)).toBe(UC.UC_ERR_OK);
      expect(u.readBig(UC.UC_X86_REG_RIP)).toBe(0x1000n);
      expect(u.readBig(UC.UC_X86_REG_RAX)).toBe(0n);
      expect(r.pending).toBe(0);
      // used up: a counted run now runs its instructions (a block of 4, 25 times; the flush makes
      // the engine translate the block again with the count in it: ENGINE.md)
      u.flushTb();
      expect(u.start(0x1000n, 0n, 100)).toBe(UC.UC_ERR_OK);
      expect(u.readBig(UC.UC_X86_REG_RAX)).toBe(25n);
    } finally {
      u.close();
    }
  });

  it("a block budget stops the run at the start of its n-th block, the same every time", () => {
    const { u } = engine();
    try {
      const r = StopRequest.install(u)!;
      for (const n of [1, 2, 1000, 1000]) {
        u.write(UC.UC_X86_REG_RAX, 0n);
        u.write(UC.UC_X86_REG_RBX, 0n);
        r.setBudget(n);
        expect(u.start(0x1000n, 0n, 0)).toBe(UC.UC_ERR_OK);
        expect(r.budgetSpent).toBe(true);
        // n - 1 passes of the one-block loop ran; the stop came before the n-th
        expect(u.readBig(UC.UC_X86_REG_RAX)).toBe(BigInt(n - 1));
        expect(r.takeStopAddress()).toBe(0x1000n);
        expect(atBlockStart(u)).toBe(true);
      }
      // no budget: a request ends the run, and the budget is not what stopped it
      r.setBudget(0);
      const w = Watchdog.open(r)!;
      try {
        w.arm(2000);
        expect(u.start(0x1000n, 0n, 0)).toBe(UC.UC_ERR_OK);
      } finally {
        w.close();
      }
      expect(r.budgetSpent).toBe(false);
      expect(u.readBig(UC.UC_X86_REG_RAX)).toBeGreaterThan(1000n);
    } finally {
      u.close();
    }
  });

  it("the watchdog's timer stops a loop at a block's start every time", () => {
    const { u, mem } = engine();
    const r = StopRequest.install(u)!;
    const w = Watchdog.open(r)!;
    try {
      let exact = 0;
      for (let i = 0; i < 12; i++) {
        u.write(UC.UC_X86_REG_RAX, 0n);
        u.write(UC.UC_X86_REG_RBX, 0n);
        w.arm(3000);
        expect(u.start(0x1000n, 0n, 0)).toBe(UC.UC_ERR_OK);
        w.disarm();
        if (atBlockStart(u)) exact++;
      }
      expect(exact).toBe(12);
      expect(mem.readBigUInt64LE(0x3000)).toBeGreaterThan(0n); // the loop did run
    } finally {
      w.close();
      u.close();
    }
  });

  it("another JS thread stops a spinning engine by setting the word", async () => {
    const { u } = engine();
    const r = StopRequest.install(u)!;
    const worker = new Worker(
      `const { workerData } = require("node:worker_threads");
       setTimeout(() => Atomics.or(new Int32Array(workerData, 0, 1), 0, 2), 50);`,
      { eval: true, workerData: r.buffer });
    try {
      await new Promise((ok) => worker.once("online", ok));
      expect(u.start(0x1000n, 0n, 0)).toBe(UC.UC_ERR_OK); // would spin for ever without the request
      expect(atBlockStart(u)).toBe(true);
    } finally {
      await worker.terminate();
      u.close();
    }
  });

  it("with a code hook installed, X86Cpu still resumes a timed stop at the block it came before", () => {
    // 0x1000: inc rax; jmp 0x1100      0x1100: inc rbx; jmp 0x1000 (chained blocks that never
    // write RIP): the engine leaves RIP stale after a stop once a code hook exists, so X86Cpu.run
    // puts the block's address there itself
    const ram = Buffer.alloc(0x10000);
    Buffer.from([0x48, 0xff, 0xc0, 0xe9, 0xf8, 0x00, 0x00, 0x00]).copy(ram, 0x1000);
    Buffer.from([0x48, 0xff, 0xc3, 0xe9, 0xf8, 0xfe, 0xff, 0xff]).copy(ram, 0x1100);
    const cpu = new X86Cpu(64, ram);
    try {
      cpu.onExecute(0x8000n, () => {}); // never reached
      expect(cpu.timeSlicing).toBe(true);
      let exact = 0;
      for (let i = 0; i < 12; i++) {
        cpu.set("rax", 0n);
        cpu.set("rbx", 0n);
        expect(cpu.run(0x1000n, 0, 3000)).toBe(0);
        const rip = cpu.get("rip"), a = cpu.get("rax"), b = cpu.get("rbx");
        if (rip === 0x1000n ? a === b : rip === 0x1100n && a === b + 1n) exact++;
      }
      expect(exact).toBe(12);
    } finally {
      cpu.close();
    }
  });
});
