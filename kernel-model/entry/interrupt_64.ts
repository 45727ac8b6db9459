// Delivery of an interrupt or exception in IA-32e mode, done by the model because Unicorn
// reports the vector to a hook instead of using the IDT (SDM vol. 3A, 6.14 "Exception and
// Interrupt Handling in 64-bit Mode"):
//   read the 16-byte gate at IDTR.base + 16*vector; for INT n check gate DPL >= CPL, else #GP;
//   on a privilege change take RSP from TSS.RSP0 (or the IST), align it to 16, push SS, RSP,
//   RFLAGS, CS, RIP and the error code if the vector has one; load CS:RIP from the gate;
//   clear TF, NT, RF (and IF for an interrupt gate).

import { GATE_INTERRUPT, decodeGate, type GateDesc } from "../boot/desc.js";
import { U, type KernelContext64 } from "./kernel_context.js";

export interface InterruptDelivery {
  vector: number;
  errorCode: bigint | undefined;
  gate: GateDesc;
  cplBefore: number;
  userRip: bigint;
  userRsp: bigint;
  userCs: number;
  userSs: number;
  rflagsBefore: bigint;
  /** Stack the CPU switched to (TSS.RSP0) and where the frame ends. */
  stackTop: bigint;
  frame: bigint;
}

const X86_EFLAGS_TF = 0x100n, X86_EFLAGS_IF = 0x200n, X86_EFLAGS_NT = 0x4000n, X86_EFLAGS_RF = 0x10000n;

export class InterruptDelivery64 {
  constructor(
    private readonly kctx: KernelContext64,
    private readonly mem: Buffer,
    /** Guest RAM address of a kernel virtual address (the IDT, TSS and stack are kernel data). */
    private readonly kernelPa: (va: bigint) => number,
    private readonly idt: { va: bigint },
    private readonly tss: { va: bigint },
  ) {}

  gate(vector: number): GateDesc {
    const pa = this.kernelPa(this.idt.va + BigInt(vector * 16));
    return decodeGate(this.mem.subarray(pa, pa + 16), true);
  }

  /**
   * Delivers `vector` from the current CPU state (RIP already at the return address: the
   * faulting instruction for a fault, the next one for a trap or INT n). Returns where the CPU
   * continues, or undefined with the reason if the delivery itself faults (a #GP).
   */
  deliver(vector: number, errorCode: bigint | undefined, software: boolean): InterruptDelivery | { gp: bigint } {
    const v = this.kctx.capture();
    const cpl = Number(v[U.cs] & 3n);
    const gate = this.gate(vector);
    if (software && gate.dpl < cpl) return { gp: BigInt(vector * 8 + 2) }; // error code: IDT bit + index
    if (!gate.present) return { gp: BigInt(vector * 8 + 2) };
    const rsp0 = this.mem.readBigUInt64LE(this.kernelPa(this.tss.va + 4n));
    const stackTop = cpl === 0 ? v[U.rsp] : rsp0;
    const words = [v[U.rip], v[U.cs], v[U.rflags], v[U.rsp], v[U.ss]];
    if (errorCode !== undefined) words.unshift(errorCode);
    const frame = (stackTop & ~15n) - BigInt(words.length * 8);
    const b = Buffer.alloc(words.length * 8);
    words.forEach((w, i) => b.writeBigUInt64LE(BigInt.asUintN(64, w), i * 8));
    b.copy(this.mem, this.kernelPa(frame));
    const delivery: InterruptDelivery = {
      vector, errorCode, gate, cplBefore: cpl, userRip: v[U.rip], userRsp: v[U.rsp], userCs: Number(v[U.cs]),
      userSs: Number(v[U.ss]), rflagsBefore: v[U.rflags], stackTop, frame,
    };
    let rflags = v[U.rflags] & ~(X86_EFLAGS_TF | X86_EFLAGS_NT | X86_EFLAGS_RF);
    if (gate.type === GATE_INTERRUPT) rflags &= ~X86_EFLAGS_IF;
    v[U.rflags] = rflags;
    v[U.rsp] = frame;
    v[U.rip] = gate.offset;
    this.kctx.enter(v);
    return delivery;
  }
}
