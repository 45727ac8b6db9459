// sysgate kernel-elf: readelf (binutils) reads the file back; its text and function symbols are
// the assembled entry text and its nasm map; its data symbols are where a booted model put them.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { kernelText } from "../../kernel-model/entry/kernel_text.js";
import { Machine } from "../../emulator/machine.js";
import { kernelElf, sample } from "./session.js";

const HAVE_READELF = spawnSync("readelf", ["--version"]).status === 0;

function readelfSymbols(file: string): Map<string, { value: bigint; type: string; ndx: string }> {
  const out = spawnSync("readelf", ["-sW", file], { encoding: "utf8" }).stdout;
  const m = new Map<string, { value: bigint; type: string; ndx: string }>();
  for (const l of out.split("\n")) {
    const f = l.trim().split(/\s+/);
    if (f.length === 8 && /^\d+:$/.test(f[0])) m.set(f[7], { value: BigInt("0x" + f[1]), type: f[3], ndx: f[6] });
  }
  return m;
}

describe.skipIf(!HAVE_READELF)("sysgate kernel-elf", () => {
  for (const abi of [64, 32] as const) {
    it(`--abi ${abi}: the text bytes at their address, the map's symbols, the data areas of a booted kernel`, async () => {
      const file = kernelElf(abi);
      const text = kernelText(abi === 64 ? "entry_64" : "entry_32");
      const hdr = spawnSync("readelf", ["-hSW", file], { encoding: "utf8" }).stdout;
      expect(hdr).toContain(abi === 64 ? "ELF64" : "ELF32");
      expect(hdr).toContain(abi === 64 ? "Advanced Micro Devices X86-64" : "Intel 80386");
      const sec = new RegExp(`\\.text\\s+PROGBITS\\s+0*${text.base.toString(16)}\\s+0*(\\w+)\\s+0*(\\w+)`).exec(hdr);
      expect(sec).not.toBeNull();
      const bytes = readFileSync(file).subarray(parseInt(sec![1], 16), parseInt(sec![1], 16) + parseInt(sec![2], 16));
      expect(Buffer.compare(bytes, text.bytes)).toBe(0);
      const syms = readelfSymbols(file);
      for (const name of abi === 64 ? ["entry_SYSCALL_64", "do_syscall_64", "entry_SYSRETQ", "asm_exc_page_fault"] : ["entry_INT80_32", "entry_SYSENTER_32", "do_int80_syscall_32", "do_fast_syscall_32"]) {
        expect(syms.get(name)?.value, name).toBe(text.sym(name));
        expect(syms.get(name)?.type).toBe("FUNC");
      }
      const m = await Machine.create(sample(abi === 64 ? "x86_64/hello-syscall" : "i386/hello-int80"), { captureOutput: true, kernel: abi === 64 ? "x86_64" : "i386" });
      try {
        const boot = m.kernel.boot;
        expect(syms.get("gdt_page")?.value).toBe(boot.gdt.va);
        expect(syms.get("idt_table")?.value).toBe(boot.idt.va);
        expect(syms.get("cpu_tss_rw")?.value).toBe(boot.tss.va);
        expect(syms.get("init_stack")?.value).toBe(boot.stack.va);
        if (abi === 64) expect(syms.get("pcpu_hot")?.value).toBe((boot as { percpu: { va: bigint } }).percpu.va);
        expect(syms.get("idt_table")?.ndx).toBe("ABS");
      } finally {
        m.close();
      }
    });
  }

  it("a bad command line gets one line and status 2", () => {
    const r = spawnSync(process.execPath, [new URL("../../dist/emulator/cli/main.js", import.meta.url).pathname, "kernel-elf", "--abi", "16"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
