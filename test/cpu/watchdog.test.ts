// The time limit between processes (machine.ts TIME_SLICE_US, emulator/cpu/watchdog.ts): a process
// that never enters the kernel while another one waits for the CPU or for a deadline is stopped by
// a timer, so the other one runs. Host-clock runs only (a deterministic run never bounds a run by
// host time).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { X86Cpu } from "../../emulator/cpu/x86_cpu.js";
import { Machine } from "../../emulator/machine.js";
import { HAVE_NASM, nasmElf64 } from "./nasm.js";

// fork; the child sleeps 1 ms and then spins for ever without a syscall; the parent sleeps 50 ms
// and exits with 7, which ends the run (the first process's end is the run's end) once the
// spinning child lets it have the CPU
const SPIN_AND_EXIT = `
BITS 64
global _start
section .text
_start:
	mov eax, 57		; fork
	syscall
	test rax, rax
	jnz .parent
	lea rdi, [rel ms]	; nanosleep(&ms, NULL)
	xor esi, esi
	mov eax, 35
	syscall
.spin:	jmp .spin
.parent:
	lea rdi, [rel ts]	; nanosleep(&ts, NULL)
	xor esi, esi
	mov eax, 35
	syscall
	mov edi, 7		; exit(7)
	mov eax, 60
	syscall
section .data
ts:	dq 0, 50000000
ms:	dq 0, 1000000
`;

describe("the time limit of a run", () => {
  it("stops an engine spinning in a loop, and a later run without a limit is not stopped by it", () => {
    const cpu = new X86Cpu(64, Buffer.alloc(0x10000)); // RAM at physical 0, paging off
    try {
      cpu.phys.set([0xeb, 0xfe], 0x1000); // jmp $
      const t0 = performance.now();
      expect(cpu.run(0x1000n, 0, 50_000)).toBe(0);
      const took = performance.now() - t0;
      expect(took).toBeGreaterThanOrEqual(45);
      expect(took).toBeLessThan(5_000);
      // the timer was disarmed: a counted run of 2,000,000 instructions runs them all
      expect(cpu.run(0x1000n, 2_000_000)).toBe(0);
    } finally {
      cpu.close();
    }
  });

  it.skipIf(!HAVE_NASM)("a spinning child does not keep its parent from its deadline (host clock)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sysgate-watchdog-"));
    try {
      const exe = join(dir, "spin-and-exit");
      nasmElf64(SPIN_AND_EXIT, exe);
      const m = await Machine.create(exe, { deterministic: false, captureOutput: true, stdin: "" });
      try {
        expect(m.runToEnd()).toEqual({ code: 7 });
      } finally {
        m.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
