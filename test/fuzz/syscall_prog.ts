// Programs of raw syscalls with hostile arguments: a minimal static ELF whose code is a straight line
// of "load every argument register, enter the kernel" (x86-64 `syscall`, i386 `int $0x80`), then
// exit_group(0). Arguments come from kernel addresses, unmapped and valid pointers, huge lengths,
// small numbers and random bits; the program's own data page holds a few strings to point at.

import { Rng } from "./rng.js";

export type FuzzAbi = "x86_64" | "i386";

/** Where the image goes, and its data area (valid pointers for the arguments). */
export const BASE: Record<FuzzAbi, bigint> = { x86_64: 0x400000n, i386: 0x8048000n };
export const DATA_OFF = 0x10000;
const IMAGE_SIZE = 0x20000;
/** The highest syscall number of each table (6.1) plus a few past the end. */
const NR_MAX: Record<FuzzAbi, number> = { x86_64: 470, i386: 470 };
/** Syscalls that would only cut the program short: the line of calls must run to its end. */
const SKIP: Record<FuzzAbi, number[]> = { x86_64: [60, 231], i386: [1, 252] };
const EXIT_GROUP: Record<FuzzAbi, number> = { x86_64: 231, i386: 252 };

const STRINGS = ["/", ".", "..", "x", "/tmp", "/dev/null", "/dev/zero", "/proc/self/maps", "a/b/c", "/etc/passwd", "A".repeat(5000)];

const KERNEL: Record<FuzzAbi, bigint[]> = {
  x86_64: [0xffffffff81000000n, 0xffffffff82000000n, 0xffff888000000000n, 0xffffffffff600000n, 0x800000000000n, 0xfffffffffffff000n],
  i386: [0xc0000000n, 0xc1000000n, 0xc2000000n, 0xfffff000n, 0xffffe000n],
};
const UNMAPPED = [0x1000n, 0x10000n, 0xdead0000n, 0x7ff000000000n, 0x13370000n, 0x3000000n];
const LENGTHS = [0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn, 1n << 40n, 0x7ffffffff000n, 0x10000000n, 4096n, 65536n];

export interface SyscallCall { nr: number; args: bigint[] }
export interface SyscallCase { abi: FuzzAbi; calls: SyscallCall[]; bytes: Buffer }

function argument(rng: Rng, abi: FuzzAbi, strings: bigint[]): bigint {
  const data = BASE[abi] + BigInt(DATA_OFF);
  let v: bigint;
  switch (rng.int(9)) {
    case 0: v = BigInt(rng.int(5)) - 1n; break; // -1..3: fds, flags, small counts
    case 1: v = BigInt(rng.int(1024)); break;
    case 2: v = rng.pick(strings); break;
    case 3: v = data + BigInt(rng.int(IMAGE_SIZE - DATA_OFF)); break;
    case 4: v = rng.pick(KERNEL[abi]) + BigInt(rng.chance(0.5) ? 0 : rng.int(0x1000)); break;
    case 5: v = rng.pick(UNMAPPED); break;
    case 6: v = rng.pick(LENGTHS); break;
    case 7: v = BigInt(rng.u32()) & BigInt(rng.u32()); break; // flag-like bits
    default: v = rng.u64();
  }
  return abi === "i386" ? BigInt.asUintN(32, v) : BigInt.asUintN(64, v);
}

/** Case `index` of the syscall campaign: `count` calls on `abi`. */
export function syscallCase(abi: FuzzAbi, seed: number, index: number, count: number): SyscallCase {
  const rng = new Rng(seed ^ (abi === "x86_64" ? 0x64 : 0x32), index);
  const data = BASE[abi] + BigInt(DATA_OFF);
  const strBytes: Buffer[] = [];
  const strings: bigint[] = [];
  let off = 0;
  for (const s of STRINGS) {
    strings.push(data + BigInt(off));
    strBytes.push(Buffer.from(s + "\0", "latin1"));
    off += s.length + 1;
  }
  const calls: SyscallCall[] = [];
  while (calls.length < count) {
    const nr = rng.int(NR_MAX[abi]);
    if (SKIP[abi].includes(nr)) continue;
    calls.push({ nr, args: Array.from({ length: 6 }, () => argument(rng, abi, strings)) });
  }
  const code = abi === "x86_64" ? code64(calls) : code32(calls);
  return { abi, calls, bytes: elfImage(abi, code, Buffer.concat(strBytes)) };
}

/**
 * A program that makes `calls` in order (an argument may be `{ str: i }`, the address of strings[i])
 * and then exits with the last call's -errno as its status (0 when it succeeded): a probe for
 * what one syscall answers.
 */
export function probeProgram(abi: FuzzAbi, calls: { nr: number; args: (bigint | { str: number })[] }[], strings: string[]): Buffer {
  const data = BASE[abi] + BigInt(DATA_OFF);
  const addrs: bigint[] = [];
  let off = 0;
  for (const s of strings) {
    addrs.push(data + BigInt(off));
    off += Buffer.byteLength(s, "latin1") + 1;
  }
  const resolved = calls.map((c) => ({ nr: c.nr, args: [...c.args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6).map((a) => (typeof a === "bigint" ? a : addrs[a.str])) }));
  const is64 = abi === "x86_64";
  const body = is64 ? code64(resolved, false) : code32(resolved, false);
  // exit(-ret): x86-64 mov rdi, rax; neg rdi; mov eax, 60; syscall — i386 mov ebx, eax; neg ebx; mov eax, 1; int $0x80
  const tail = is64 ? Buffer.from([0x48, 0x89, 0xc7, 0x48, 0xf7, 0xdf, 0xb8, 60, 0, 0, 0, 0x0f, 0x05])
    : Buffer.from([0x89, 0xc3, 0xf7, 0xdb, 0xb8, 1, 0, 0, 0, 0xcd, 0x80]);
  return elfImage(abi, Buffer.concat([body, tail]), Buffer.from(strings.map((s) => s + "\0").join(""), "latin1"));
}

function imm64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b;
}
function imm32(v: bigint): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(Number(BigInt.asUintN(32, v)));
  return b;
}

/** mov rax, nr; mov rdi/rsi/rdx/r10/r8/r9, args; syscall — then exit_group(0). */
function code64(calls: SyscallCall[], exit = true): Buffer {
  // movabs opcodes: rax 48 b8, rdi 48 bf, rsi 48 be, rdx 48 ba, r10 49 ba, r8 49 b8, r9 49 b9
  const regs = [[0x48, 0xbf], [0x48, 0xbe], [0x48, 0xba], [0x49, 0xba], [0x49, 0xb8], [0x49, 0xb9]];
  const parts: Buffer[] = [];
  const one = (nr: number, args: bigint[]) => {
    parts.push(Buffer.from([0x48, 0xb8]), imm64(BigInt(nr)));
    args.forEach((a, i) => parts.push(Buffer.from(regs[i]), imm64(a)));
    parts.push(Buffer.from([0x0f, 0x05]));
  };
  for (const c of calls) one(c.nr, c.args);
  if (exit) one(EXIT_GROUP.x86_64, [0n, 0n, 0n, 0n, 0n, 0n]);
  return Buffer.concat(parts);
}

/** mov eax, nr; mov ebx/ecx/edx/esi/edi/ebp, args; int $0x80 — then exit_group(0). */
function code32(calls: SyscallCall[], exit = true): Buffer {
  const regs = [0xbb, 0xb9, 0xba, 0xbe, 0xbf, 0xbd];
  const parts: Buffer[] = [];
  const one = (nr: number, args: bigint[]) => {
    parts.push(Buffer.from([0xb8]), imm32(BigInt(nr)));
    args.forEach((a, i) => parts.push(Buffer.from([regs[i]]), imm32(a)));
    parts.push(Buffer.from([0xcd, 0x80]));
  };
  for (const c of calls) one(c.nr, c.args);
  if (exit) one(EXIT_GROUP.i386, [0n, 0n, 0n, 0n, 0n, 0n]);
  return Buffer.concat(parts);
}

/**
 * ELF header, one RWX PT_LOAD at BASE (headers, code, then the data area's contents from DATA_OFF),
 * entry after the headers. `memsz` is the whole area (at least IMAGE_SIZE).
 */
export function elfImage(abi: FuzzAbi, code: Buffer, strings: Buffer, memsz = IMAGE_SIZE): Buffer {
  const is64 = abi === "x86_64";
  const ehsize = is64 ? 64 : 52, phentsize = is64 ? 56 : 32;
  const codeOff = ehsize + phentsize;
  if (codeOff + code.length > DATA_OFF) throw new Error("too many calls for one program");
  const file = Buffer.alloc(DATA_OFF + strings.length);
  code.copy(file, codeOff);
  strings.copy(file, DATA_OFF);
  const base = BASE[abi];
  file.writeUInt32BE(0x7f454c46, 0);
  file[4] = is64 ? 2 : 1; // class
  file[5] = 1; // little-endian
  file[6] = 1; // EV_CURRENT
  file.writeUInt16LE(2, 16); // ET_EXEC
  file.writeUInt16LE(is64 ? 62 : 3, 18);
  file.writeUInt32LE(1, 20);
  if (is64) {
    file.writeBigUInt64LE(base + BigInt(codeOff), 24);
    file.writeBigUInt64LE(BigInt(ehsize), 32);
    file.writeUInt16LE(ehsize, 52);
    file.writeUInt16LE(phentsize, 54);
    file.writeUInt16LE(1, 56);
    const p = ehsize;
    file.writeUInt32LE(1, p); // PT_LOAD
    file.writeUInt32LE(7, p + 4); // RWX
    file.writeBigUInt64LE(0n, p + 8);
    file.writeBigUInt64LE(base, p + 16);
    file.writeBigUInt64LE(base, p + 24);
    file.writeBigUInt64LE(BigInt(file.length), p + 32);
    file.writeBigUInt64LE(BigInt(Math.max(memsz, file.length)), p + 40);
    file.writeBigUInt64LE(0x1000n, p + 48);
  } else {
    file.writeUInt32LE(Number(base) + codeOff, 24);
    file.writeUInt32LE(ehsize, 28);
    file.writeUInt16LE(ehsize, 40);
    file.writeUInt16LE(phentsize, 42);
    file.writeUInt16LE(1, 44);
    const p = ehsize;
    file.writeUInt32LE(1, p);
    file.writeUInt32LE(0, p + 4);
    file.writeUInt32LE(Number(base), p + 8);
    file.writeUInt32LE(Number(base), p + 12);
    file.writeUInt32LE(file.length, p + 16);
    file.writeUInt32LE(Math.max(memsz, file.length), p + 20);
    file.writeUInt32LE(7, p + 24);
    file.writeUInt32LE(0x1000, p + 28);
  }
  return file;
}
