// Disassembly around the current instruction with Capstone (WASM). x86 cannot be decoded
// backwards, so the window starts at a known instruction boundary: the enclosing symbol, or
// the start of the previous window when the IP is still inside it, or the IP itself.

import capstone from "@alexaltea/capstone-js";
import type { Machine } from "../machine.js";
import { readVirtual } from "./format.js";

export interface DisasmLine {
  address: bigint;
  text: string;
  bytes: number;
  /** symbol+offset for the first line of a function and for the current line. */
  label: string | undefined;
  current: boolean;
}

interface CsInsn { address: bigint | number; mnemonic: string; op_str: string; size: number }
interface CsHandle { disasm(code: number[], address: number | bigint): CsInsn[] }

export class Disassembler {
  private lastStart: bigint | undefined;

  private constructor(private readonly cs: CsHandle, private readonly machine: Machine) {}

  static async create(machine: Machine): Promise<Disassembler> {
    const m = await capstone();
    const cs = new m.Capstone(m.ARCH_X86, machine.cpu.bits === 64 ? m.MODE_64 : m.MODE_32) as CsHandle;
    return new Disassembler(cs, machine);
  }

  private decode(start: bigint, bytes: number): CsInsn[] {
    const code = readVirtual(this.machine, start, bytes);
    if (!code.length) return [];
    try {
      return this.cs.disasm(Array.from(code), start);
    } catch {
      return []; // capstone throws when the first bytes are not an instruction
    }
  }

  /** `count` lines with `ip` among them (about a third of the way down when the code before it is known). */
  around(ip: bigint, count: number): DisasmLine[] {
    const syms = this.machine.kernel.symbols;
    const candidates: bigint[] = [];
    const hit = syms.at(ip);
    if (this.lastStart !== undefined && ip >= this.lastStart && ip - this.lastStart < 0x200n) candidates.push(this.lastStart);
    if (hit && hit.offset < 0x400n) candidates.push(hit.sym.address);
    candidates.push(ip);
    for (const start of candidates) {
      const insns = this.decode(start, Number(ip - start) + count * 15);
      // capstone hands addresses back as signed 64-bit: 0xffffffff81000030 comes as a negative BigInt
      for (const i of insns) i.address = BigInt.asUintN(this.machine.cpu.bits, BigInt(i.address));
      const at = insns.findIndex((i) => i.address === ip);
      if (at < 0) continue;
      const first = Math.max(0, Math.min(at - Math.floor(count / 3), insns.length - count));
      const shown = insns.slice(first, first + count);
      this.lastStart = shown[0].address as bigint;
      return shown.map((i) => {
        const address = i.address as bigint;
        const s = syms.at(address);
        return {
          address, bytes: i.size, current: address === ip,
          text: `${i.mnemonic} ${i.op_str}`.trim(),
          label: s && (s.offset === 0n || address === ip) ? syms.describe(address) : undefined,
        };
      });
    }
    return [{ address: ip, bytes: 0, current: true, text: "(no code mapped here)", label: syms.describe(ip) }];
  }
}
