// gdb's register numbering for x86-64 and i386, one table each, from which both the target
// description (target_xml.ts) and the `g`/`G`/`p`/`P` packets are made, so they cannot
// disagree. The names and the feature each register belongs to are the ones gdb's i386 and
// amd64 code looks for ("i386 Features" in the GDB manual): org.gnu.gdb.i386.core (general,
// segment and x87 registers), .sse (XMM, MXCSR), .linux (orig_rax / orig_eax), .segments
// (fs_base, gs_base; x86-64 only). Values are little-endian, as the target is.

/** How the stub reads and writes one task's registers (target.ts implements it). */
export interface RegisterFile {
  readonly bits: 64 | 32;
  /** A general, flags, instruction-pointer or segment register, by its gdb name. */
  get(name: string): bigint;
  set(name: string, value: bigint): void;
  /** x87/SSE state: st0..7 (10 bytes), xmm0..N (16 bytes), and the control words. */
  fp(name: string): Buffer;
  setFp(name: string, value: Buffer): void;
}

export type Feature = "core" | "sse" | "linux" | "segments";

export interface RegDef {
  name: string;
  bitsize: number;
  type: string;
  feature: Feature;
  group?: string;
  /** Where the value lives: the general file, or the x87/SSE state. */
  kind: "gpr" | "fp";
}

const X87_CONTROL = ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"];

function table(bits: 64 | 32): RegDef[] {
  const w = bits;
  const gprs = bits === 64
    ? ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
    : ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
  const ptrType = (n: string) => (/^[re](sp|bp)$/.test(n) ? "data_ptr" : bits === 64 ? "int64" : "int32");
  const regs: RegDef[] = gprs.map((name) => ({ name, bitsize: w, type: ptrType(name), feature: "core", kind: "gpr" }));
  regs.push({ name: bits === 64 ? "rip" : "eip", bitsize: w, type: "code_ptr", feature: "core", kind: "gpr" });
  regs.push({ name: "eflags", bitsize: 32, type: "i386_eflags", feature: "core", kind: "gpr" });
  for (const s of ["cs", "ss", "ds", "es", "fs", "gs"]) regs.push({ name: s, bitsize: 32, type: "int32", feature: "core", kind: "gpr" });
  for (let i = 0; i < 8; i++) regs.push({ name: `st${i}`, bitsize: 80, type: "i387_ext", feature: "core", kind: "fp" });
  for (const c of X87_CONTROL) regs.push({ name: c, bitsize: 32, type: "int", feature: "core", group: "float", kind: "fp" });
  for (let i = 0; i < (bits === 64 ? 16 : 8); i++) regs.push({ name: `xmm${i}`, bitsize: 128, type: "vec128", feature: "sse", kind: "fp" });
  regs.push({ name: "mxcsr", bitsize: 32, type: "i386_mxcsr", feature: "sse", group: "vector", kind: "fp" });
  regs.push({ name: bits === 64 ? "orig_rax" : "orig_eax", bitsize: w, type: "int", feature: "linux", kind: "gpr" });
  // i386 has no base registers to show: Linux's i386 description has no segments feature (gdb
  // 13 asserts on one), and the TLS base is in the GDT entry the selector names
  if (bits === 64) {
    regs.push({ name: "fs_base", bitsize: w, type: "int", feature: "segments", kind: "gpr" });
    regs.push({ name: "gs_base", bitsize: w, type: "int", feature: "segments", kind: "gpr" });
  }
  return regs;
}

export const REGS_64 = table(64);
export const REGS_32 = table(32);
export const regsFor = (bits: 64 | 32): RegDef[] => (bits === 64 ? REGS_64 : REGS_32);

/** The register's value as the `g`/`p` packets carry it (little-endian, bitsize/8 bytes). */
export function readRegister(rf: RegisterFile, def: RegDef): Buffer {
  const n = def.bitsize / 8;
  if (def.kind === "fp") {
    const v = rf.fp(def.name);
    const out = Buffer.alloc(n);
    v.copy(out, 0, 0, Math.min(n, v.length));
    return out;
  }
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt.asUintN(64, rf.get(def.name)));
  return out.subarray(0, n);
}

export function writeRegister(rf: RegisterFile, def: RegDef, bytes: Buffer): void {
  if (def.kind === "fp") {
    rf.setFp(def.name, bytes);
    return;
  }
  const b = Buffer.alloc(8);
  bytes.copy(b, 0, 0, Math.min(8, bytes.length));
  rf.set(def.name, b.readBigUInt64LE());
}

/** The whole file, in gdb's numbering: the `g` reply. */
export function readAll(rf: RegisterFile): Buffer {
  return Buffer.concat(regsFor(rf.bits).map((d) => readRegister(rf, d)));
}

/** The `G` packet: every register from one buffer; a short buffer writes the registers it covers. */
export function writeAll(rf: RegisterFile, data: Buffer): void {
  let off = 0;
  for (const d of regsFor(rf.bits)) {
    const n = d.bitsize / 8;
    if (off + n > data.length) break;
    writeRegister(rf, d, data.subarray(off, off + n));
    off += n;
  }
}
