// struct pt_regs: the user registers as the entry code saved them on the kernel stack
// (arch/x86/include/asm/ptrace.h). The model reads and writes them in guest memory, so a
// service routine's result reaches the user the way it does in Linux: through regs->ax.

/** x86-64 layout: 21 slots of 8 bytes, in this order from the lowest address. */
export const PT_REGS_64 = ["r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8",
  "ax", "cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss"] as const;
export type PtRegs64Field = (typeof PT_REGS_64)[number];
export const PT_REGS_64_SIZE = PT_REGS_64.length * 8;
const OFF64 = Object.fromEntries(PT_REGS_64.map((f, i) => [f, i * 8])) as Record<PtRegs64Field, number>;
/** Each x86-64 field's slot number (its offset / 8), for the paths that run on every syscall. */
export const PT64 = Object.freeze(Object.fromEntries(PT_REGS_64.map((f, i) => [f, i])) as Record<PtRegs64Field, number>);
export const ptRegs64Offset = (f: PtRegs64Field): number => OFF64[f];

/** i386 layout: 17 slots of 4 bytes (segment slots are 32-bit with the selector in the low half). */
export const PT_REGS_32 = ["bx", "cx", "dx", "si", "di", "bp", "ax", "ds", "es", "fs", "gs",
  "orig_ax", "ip", "cs", "flags", "sp", "ss"] as const;
export type PtRegs32Field = (typeof PT_REGS_32)[number];
export const PT_REGS_32_SIZE = PT_REGS_32.length * 4;
const OFF32 = Object.fromEntries(PT_REGS_32.map((f, i) => [f, i * 4])) as Record<PtRegs32Field, number>;
export const ptRegs32Offset = (f: PtRegs32Field): number => OFF32[f];

/**
 * Guest RAM seen as 64-bit and 32-bit words, made once per RAM buffer. Every syscall reads its
 * number and arguments from pt_regs: an indexed typed-array load is one BigInt, where
 * Buffer.readBigUInt64LE builds each value from two halves with several BigInt operations.
 */
const wordViews = new WeakMap<Buffer, { q: BigUint64Array | undefined; d: Uint32Array | undefined }>();
function wordsOf(mem: Buffer) {
  let w = wordViews.get(mem);
  if (!w) {
    w = {
      q: mem.byteOffset % 8 === 0 ? new BigUint64Array(mem.buffer, mem.byteOffset, Math.floor(mem.length / 8)) : undefined,
      d: mem.byteOffset % 4 === 0 ? new Uint32Array(mem.buffer, mem.byteOffset, Math.floor(mem.length / 4)) : undefined,
    };
    wordViews.set(mem, w);
  }
  return w;
}

/** A pt_regs frame in guest physical memory. */
export class PtRegs {
  /** The frame's first word in the 64-bit (x86-64) or 32-bit (i386) view, when the frame is aligned for it. */
  private readonly q: BigUint64Array | undefined;
  private readonly d: Uint32Array | undefined;
  private readonly at: number;
  /** The 32-bit view for an x86-64 frame's halves (lo32/hi32), and the frame's first word in it. */
  private readonly w: Uint32Array | undefined;
  private readonly at32: number;

  constructor(private readonly mem: Buffer, readonly pa: number, readonly va: bigint, readonly bits: 64 | 32) {
    const w = wordsOf(mem);
    this.q = bits === 64 && pa % 8 === 0 ? w.q : undefined;
    this.d = bits === 32 && pa % 4 === 0 ? w.d : undefined;
    this.w = pa % 4 === 0 ? w.d : undefined;
    this.at = bits === 64 ? pa / 8 : pa / 4;
    this.at32 = pa / 4;
  }
  get(f: PtRegs64Field | PtRegs32Field): bigint {
    if (this.q) return this.q[this.at + OFF64[f as PtRegs64Field] / 8];
    if (this.d) return BigInt(this.d[this.at + OFF32[f as PtRegs32Field] / 4]);
    return this.bits === 64
      ? this.mem.readBigUInt64LE(this.pa + ptRegs64Offset(f as PtRegs64Field))
      : BigInt(this.mem.readUInt32LE(this.pa + ptRegs32Offset(f as PtRegs32Field)));
  }
  set(f: PtRegs64Field | PtRegs32Field, v: bigint): void {
    // a BigUint64Array store wraps modulo 2^64 by itself (ToBigUint64)
    if (this.q) this.q[this.at + OFF64[f as PtRegs64Field] / 8] = v;
    else if (this.d) this.d[this.at + OFF32[f as PtRegs32Field] / 4] = Number(BigInt.asUintN(32, v));
    else if (this.bits === 64) this.mem.writeBigUInt64LE(BigInt.asUintN(64, v), this.pa + ptRegs64Offset(f as PtRegs64Field));
    else this.mem.writeUInt32LE(Number(BigInt.asUintN(32, v)), this.pa + ptRegs32Offset(f as PtRegs32Field));
  }
  /**
   * The low or high 32 bits of an x86-64 slot as a Number: checks on the way out of every syscall
   * (the SYSRET conditions) compare these instead of building a BigInt per field.
   */
  lo32(i: number): number {
    return this.w ? this.w[this.at32 + i * 2] : this.mem.readUInt32LE(this.pa + i * 8);
  }
  hi32(i: number): number {
    return this.w ? this.w[this.at32 + i * 2 + 1] : this.mem.readUInt32LE(this.pa + i * 8 + 4);
  }

  /** Every field, for tracing and the terminal UI. */
  toObject(): Record<string, bigint> {
    const names = this.bits === 64 ? PT_REGS_64 : PT_REGS_32;
    return Object.fromEntries(names.map((n) => [n, this.get(n)]));
  }
}
