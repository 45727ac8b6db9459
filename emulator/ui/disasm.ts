// Disassembly around the current instruction with Capstone (WASM). x86 cannot be decoded
// backwards, so the window starts at a known instruction boundary: the enclosing symbol, or
// the start of the previous window when the IP is still inside it, or the IP itself. Each call
// names the process (its machine, memory and symbols): a child may even run the other ABI.

import capstone from "@alexaltea/capstone-js";
import type { LinuxKernel } from "../../kernel-model/linux.js";
import type { Task } from "../../kernel-model/sched/task.js";
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

interface CsModule { Capstone: new (arch: number, mode: number) => CsHandle; ARCH_X86: number; MODE_64: number; MODE_32: number }

export class Disassembler {
  private last: { machine: LinuxKernel; start: bigint } | undefined;
  private readonly handles = new Map<64 | 32, CsHandle>();

  private constructor(private readonly cs: CsModule) {}

  static async create(): Promise<Disassembler> {
    return new Disassembler(await capstone() as CsModule);
  }

  private handle(bits: 64 | 32): CsHandle {
    let h = this.handles.get(bits);
    if (!h) this.handles.set(bits, h = new this.cs.Capstone(this.cs.ARCH_X86, bits === 64 ? this.cs.MODE_64 : this.cs.MODE_32));
    return h;
  }

  private decode(t: Task, start: bigint, bytes: number): CsInsn[] {
    const code = readVirtual(t, start, bytes);
    if (!code.length) return [];
    try {
      return this.handle(t.machine.cpu.bits).disasm(Array.from(code), start);
    } catch {
      return []; // capstone throws when the first bytes are not an instruction
    }
  }

  /** `count` lines with `ip` among them (about a third of the way down when the code before it is known). */
  around(t: Task, ip: bigint, count: number): DisasmLine[] {
    const syms = t.mm.symbols; // the task's own program and vDSO, whether or not it has the CPU
    const bits = t.machine.cpu.bits;
    const candidates: bigint[] = [];
    const hit = syms.at(ip);
    const last = this.last?.machine === t.machine ? this.last.start : undefined;
    if (last !== undefined && ip >= last && ip - last < 0x200n) candidates.push(last);
    if (hit && hit.offset < 0x400n) candidates.push(hit.sym.address);
    candidates.push(ip);
    for (const start of candidates) {
      const insns = this.decode(t, start, Number(ip - start) + count * 15);
      // capstone hands addresses back as signed 64-bit: 0xffffffff81000030 comes as a negative BigInt
      for (const i of insns) i.address = BigInt.asUintN(bits, BigInt(i.address));
      const at = insns.findIndex((i) => i.address === ip);
      if (at < 0) continue;
      const first = Math.max(0, Math.min(at - Math.floor(count / 3), insns.length - count));
      const shown = insns.slice(first, first + count);
      this.last = { machine: t.machine, start: shown[0].address as bigint };
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
