// Delivery of an interrupt or exception, done by the model because Unicorn reports the vector
// to a hook instead of using the IDT. SDM vol. 3A, 6.12 (protected mode) and 6.14 (64-bit mode):
//   read the gate at IDTR.base + vector * (16 in 64-bit mode, 8 in protected mode); for INT n
//   check gate DPL >= CPL, else #GP(vector * 8 + 2); on a privilege change take the stack from
//   TSS.RSP0/ESP0 (64-bit mode: aligned to 16, and SS:RSP is always pushed); push SS, SP, FLAGS,
//   CS, IP and the error code if the vector has one; load CS:IP from the gate; clear TF, NT, RF
//   (and IF for an interrupt gate).

import { GATE_INTERRUPT, decodeGate, type GateDesc } from "../boot/desc.js";
import type { KernelContext } from "./kernel_context.js";
import { X86_EFLAGS_IF, X86_EFLAGS_NT, X86_EFLAGS_RF, X86_EFLAGS_TF, X86_EFLAGS_VM } from "../uapi/asm/processor-flags.js";

export interface InterruptDelivery {
  vector: number;
  errorCode: bigint | undefined;
  gate: GateDesc;
  cplBefore: number;
  userIp: bigint;
  userSp: bigint;
  userCs: number;
  userSs: number;
  flagsBefore: bigint;
  /** The stack the CPU switched to (TSS.sp0) and where the pushed frame starts. */
  stackTop: bigint;
  frame: bigint;
}


export class InterruptDeliverer {
  private readonly w: 8 | 4;

  constructor(
    readonly bits: 64 | 32,
    private readonly kctx: KernelContext,
    private readonly mem: Buffer,
    /** Guest RAM address of a kernel virtual address (the IDT, TSS and stack are kernel data). */
    private readonly kernelPa: (va: bigint) => number,
    private readonly idt: { va: bigint },
    private readonly tss: { va: bigint },
  ) {
    this.w = bits === 64 ? 8 : 4;
  }

  gate(vector: number): GateDesc {
    const size = this.bits === 64 ? 16 : 8;
    const pa = this.kernelPa(this.idt.va + BigInt(vector * size));
    return decodeGate(this.mem.subarray(pa, pa + size), this.bits === 64);
  }

  /** TSS.sp0: the stack for entries from user mode. */
  sp0(): bigint {
    const pa = this.kernelPa(this.tss.va + 4n);
    return this.bits === 64 ? this.mem.readBigUInt64LE(pa) : BigInt(this.mem.readUInt32LE(pa));
  }

  /**
   * Delivers `vector` from the current CPU state (IP already at the return address: the faulting
   * instruction for a fault, the next one for a trap or INT n). Returns what happened, or the #GP
   * error code if the gate refuses the delivery.
   */
  deliver(vector: number, errorCode: bigint | undefined, software: boolean): InterruptDelivery | { gp: bigint } {
    const v = this.kctx.capture();
    const { ip, sp, flags, cs, ss } = this.kctx.idx;
    const cpl = Number(v[cs] & 3n);
    const gate = this.gate(vector);
    if ((software && gate.dpl < cpl) || !gate.present) return { gp: BigInt(vector * 8 + 2) };
    const privilegeChange = cpl !== 0;
    let top = privilegeChange ? this.sp0() : v[sp];
    if (this.bits === 64) top &= ~15n;
    const words = [v[ip], v[cs], v[flags]];
    if (this.bits === 64 || privilegeChange) words.push(v[sp], v[ss]);
    if (errorCode !== undefined) words.unshift(errorCode);
    const frame = top - BigInt(words.length * this.w);
    const b = Buffer.alloc(words.length * this.w);
    words.forEach((x, i) => (this.w === 8 ? b.writeBigUInt64LE(BigInt.asUintN(64, x), i * 8) : b.writeUInt32LE(Number(BigInt.asUintN(32, x)), i * 4)));
    b.copy(this.mem, this.kernelPa(frame));
    const d: InterruptDelivery = {
      vector, errorCode, gate, cplBefore: cpl, userIp: v[ip], userSp: v[sp], userCs: Number(v[cs]),
      userSs: Number(v[ss]), flagsBefore: v[flags], stackTop: top, frame,
    };
    let f = v[flags] & ~(X86_EFLAGS_TF | X86_EFLAGS_NT | X86_EFLAGS_RF | X86_EFLAGS_VM);
    if (gate.type === GATE_INTERRUPT) f &= ~X86_EFLAGS_IF;
    v[flags] = f;
    v[sp] = frame;
    v[ip] = gate.offset;
    this.kctx.enter(v);
    return d;
  }
}
