// Engine behaviours found while building the model, each the reason for a piece of code that would
// otherwise look odd. If an engine update changes one, the workaround named in the test may go.

import { describe, expect, it } from "vitest";
import { UC, Unicorn } from "../../emulator/cpu/unicorn.js";
import { X86Cpu } from "../../emulator/cpu/x86_cpu.js";

const SYSCALL_NOP_NOP = Buffer.from([0x0f, 0x05, 0x90, 0x90]);

function engine(code: Buffer, mode: "64" | "32" = "64"): Unicorn {
  const u = new Unicorn(mode);
  const mem = Buffer.alloc(0x10000);
  code.copy(mem, 0x1000);
  u.mapHostMemory(0n, mem);
  return u;
}

describe("Unicorn 2.1 quirks the model works around", () => {
  it("writing CR2 also sets CR3 (x86_cpu.ts puts CR3 back after a CR2 write)", () => {
    const u = new Unicorn("64");
    try {
      u.write(UC.UC_X86_REG_CR3, 0x10f000n);
      u.write(UC.UC_X86_REG_CR2, 0x4ac220n);
      expect(u.readBig(UC.UC_X86_REG_CR2)).toBe(0x4ac220n);
      expect(u.readBig(UC.UC_X86_REG_CR3)).toBe(0x4ac220n);
    } finally {
      u.close();
    }
    // ...and through the model's CPU, CR3 survives
    const cpu = new X86Cpu(64, Buffer.alloc(0x10000));
    try {
      cpu.set("cr3", 0x10f000n);
      cpu.set("cr2", 0x4ac220n);
      expect(cpu.get("cr2")).toBe(0x4ac220n);
      expect(cpu.get("cr3")).toBe(0x10f000n);
    } finally {
      cpu.close();
    }
  });

  it("a hook added from inside another hook still fires (one trampoline per hook kind, registered up front)", () => {
    // koffi.register() called inside a callback gives a trampoline that throws "Maximum call stack
    // size exceeded" when it fires; unicorn.ts registers its trampolines once at bind time.
    const a = engine(SYSCALL_NOP_NOP), b = engine(SYSCALL_NOP_NOP);
    try {
      let fired = 0;
      a.hookInsn(UC.UC_X86_INS_SYSCALL, () => { b.hookInsn(UC.UC_X86_INS_SYSCALL, () => { fired++; }); });
      expect(a.start(0x1000n, 0x1003n)).toBe(UC.UC_ERR_OK);
      expect(b.start(0x1000n, 0x1003n)).toBe(UC.UC_ERR_OK);
      expect(fired).toBe(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it("uc_emu_stop in a code hook stops before that instruction runs (linux.ts passes a trap over once)", () => {
    // mov eax, 1 ; inc eax ; nop
    const u = engine(Buffer.from([0xb8, 1, 0, 0, 0, 0xff, 0xc0, 0x90]));
    try {
      u.hookCode(0x1005n, 0x1005n, () => u.stop());
      expect(u.start(0x1000n, 0x1007n)).toBe(UC.UC_ERR_OK);
      expect(u.readBig(UC.UC_X86_REG_RIP)).toBe(0x1005n);
      expect(u.readBig(UC.UC_X86_REG_RAX)).toBe(1n); // `inc eax` has not run
    } finally {
      u.close();
    }
  });

  it("in the 32-bit SYSENTER hook EIP is not the sysenter instruction's address (sysenter_32.ts takes it from the vDSO)", () => {
    // nop; nop; nop; sysenter; nop — the block starts at 0x1000, sysenter is at 0x1003
    const u = engine(Buffer.from([0x90, 0x90, 0x90, 0x0f, 0x34, 0x90]), "32");
    try {
      let eip = -1n;
      u.hookInsn(UC.UC_X86_INS_SYSENTER, () => { eip = u.readBig(UC.UC_X86_REG_EIP); });
      u.start(0x1000n, 0x1005n);
      expect(eip).not.toBe(-1n);
      expect(eip).not.toBe(0x1003n);
    } finally {
      u.close();
    }
  });

  it("a stop from another thread can land after a memory access inside a block, and RIP goes back to the block's start (stop_request.ts)", () => {
    // 0x1000: inc rax; mov [0x3000], rax; inc rbx; jmp 0x1000: at the block's start rax == rbx.
    // Unicorn's translated code checks the exit request after every guest memory access, not only
    // at a block's start; on such an exit it sets RIP to the block's start, so the stopped state has
    // rax == rbx + 1 at RIP 0x1000: resuming would run `inc rax` twice. No hook at all is needed.
    const code = Buffer.from([0x48, 0xff, 0xc0, 0x48, 0x89, 0x04, 0x25, 0x00, 0x30, 0x00, 0x00, 0x48, 0xff, 0xc3, 0xeb, 0xf0]);
    const u = engine(code);
    try {
      let midBlock = 0;
      for (let i = 0; i < 16; i++) {
        u.write(UC.UC_X86_REG_RAX, 0n);
        u.write(UC.UC_X86_REG_RBX, 0n);
        expect(u.start(0x1000n, 0n, 0, 3000)).toBe(UC.UC_ERR_OK); // Unicorn's timeout: uc_emu_stop from its thread
        expect(u.readBig(UC.UC_X86_REG_RIP)).toBe(0x1000n);
        if (u.readBig(UC.UC_X86_REG_RAX) !== u.readBig(UC.UC_X86_REG_RBX)) midBlock++;
      }
      expect(midBlock).toBeGreaterThan(0);
    } finally {
      u.close();
    }
  });

  it("a stop at a block's start from another thread leaves RIP stale once any code hook exists (X86Cpu.timeSlicing)", () => {
    // 0x1000: inc rax; jmp 0x1100      0x1100: inc rbx; jmp 0x1000
    // Two chained blocks without memory accesses: at the start of the first rax == rbx, at the
    // start of the second rax == rbx + 1. A stop from Unicorn's timeout thread ends the run at a
    // block start; the engine puts RIP at that block only when no UC_HOOK_CODE hook exists
    // (cpu_tb_exec skips synchronize_from_tb otherwise), so with one anywhere RIP is where PC was
    // last written (the last jump that left the chained code), not where the registers are.
    const code = Buffer.alloc(0x108);
    Buffer.from([0x48, 0xff, 0xc0, 0xe9, 0xf8, 0x00, 0x00, 0x00]).copy(code, 0);
    Buffer.from([0x48, 0xff, 0xc3, 0xe9, 0xf8, 0xfe, 0xff, 0xff]).copy(code, 0x100);
    const staleStops = (hooked: boolean): number => {
      const u = engine(code);
      try {
        if (hooked) u.hookCode(0x8000n, 0x8000n, () => {}); // never reached
        let stale = 0;
        for (let i = 0; i < 12; i++) {
          u.write(UC.UC_X86_REG_RAX, 0n);
          u.write(UC.UC_X86_REG_RBX, 0n);
          expect(u.start(0x1000n, 0n, 0, 5000)).toBe(UC.UC_ERR_OK);
          const rip = u.readBig(UC.UC_X86_REG_RIP), a = u.readBig(UC.UC_X86_REG_RAX), b = u.readBig(UC.UC_X86_REG_RBX);
          if (!(rip === 0x1000n ? a === b : rip === 0x1100n && a === b + 1n)) stale++;
        }
        return stale;
      } finally {
        u.close();
      }
    };
    expect(staleStops(false)).toBe(0);
    expect(staleStops(true)).toBeGreaterThan(0);
  });
});
