// The two syscall ABIs and the structs whose layout differs between them only by the size of
// `long` (LP64 on x86-64, ILP32 on i386): long, unsigned long, pointers and size_t, and the
// structs made of them (timespec, timeval, rlimit). Linux writes each compat struct out by hand
// (get_old_timespec32, put_compat_rusage, ...); here one layout per ABI reads and writes them all.
// Validation (timespec_valid and the like) stays with the syscall that has the rule.

/** The syscall ABI of a task: decides struct layouts (stat vs stat64, long size). */
export type Abi = "x86_64" | "i386";

/**
 * What the layouts read from and write to: a task's user memory, copy_from_user / copy_to_user
 * (mm/uaccess.ts's UserMemory is this and a string read; uapi depends on nothing, so it is here).
 */
export interface UserCopy {
  read(addr: bigint, len: number): Buffer;
  write(addr: bigint, data: Uint8Array): void;
}

/** A time as a struct holds it: seconds and a fraction (nanoseconds in timespec, microseconds in timeval). */
export interface TimeParts { sec: bigint; frac: bigint }

const NSEC_PER_SEC = 1_000_000_000n;
const NSEC_PER_USEC = 1_000n;

export class AbiLayout {
  /** sizeof(long), sizeof(void *), sizeof(size_t). */
  readonly long: 8 | 4;

  constructor(readonly abi: Abi) {
    this.long = abi === "x86_64" ? 8 : 4;
  }

  /** A signed long at `off`. */
  readLong(b: Buffer, off = 0): bigint {
    return this.long === 8 ? b.readBigInt64LE(off) : BigInt(b.readInt32LE(off));
  }
  /** An unsigned long (or a pointer) at `off`. */
  readULong(b: Buffer, off = 0): bigint {
    return this.long === 8 ? b.readBigUInt64LE(off) : BigInt(b.readUInt32LE(off));
  }
  /** A long or pointer at `off`, truncated to the ABI's width as a C store would. */
  writeLong(b: Buffer, v: bigint, off = 0): void {
    if (this.long === 8) b.writeBigUInt64LE(BigInt.asUintN(64, v), off);
    else b.writeUInt32LE(Number(BigInt.asUintN(32, v)), off);
  }

  getLong(mem: UserCopy, addr: bigint): bigint {
    return this.readLong(mem.read(addr, this.long));
  }
  getULong(mem: UserCopy, addr: bigint): bigint {
    return this.readULong(mem.read(addr, this.long));
  }
  putLong(mem: UserCopy, addr: bigint, v: bigint): void {
    const b = Buffer.alloc(this.long);
    this.writeLong(b, v);
    mem.write(addr, b);
  }

  /**
   * Size of struct timespec / timeval: two longs, or two 64-bit fields with `time64`
   * (__kernel_timespec, what i386's *_time64 calls take; the same as x86-64's).
   */
  timeSize(time64 = false): number {
    return 2 * this.timeWidth(time64);
  }
  private timeWidth(time64: boolean): 8 | 4 {
    return time64 ? 8 : this.long;
  }

  /** {tv_sec, tv_nsec} or {tv_sec, tv_usec} at `off`, signed, as the struct holds them. */
  readTime(b: Buffer, off = 0, time64 = false): TimeParts {
    const w = this.timeWidth(time64);
    return w === 8
      ? { sec: b.readBigInt64LE(off), frac: b.readBigInt64LE(off + 8) }
      : { sec: BigInt(b.readInt32LE(off)), frac: BigInt(b.readInt32LE(off + 4)) };
  }
  /** Writes `ns` as a timespec at `off` (seconds wrap to 32 bits in the old layout, as Linux's does). */
  writeTimespec(b: Buffer, ns: bigint, off = 0, time64 = false): void {
    this.writeTime(b, off, ns / NSEC_PER_SEC, ns % NSEC_PER_SEC, time64);
  }
  /** Writes `ns` as a timeval at `off`. */
  writeTimeval(b: Buffer, ns: bigint, off = 0, time64 = false): void {
    this.writeTime(b, off, ns / NSEC_PER_SEC, (ns % NSEC_PER_SEC) / NSEC_PER_USEC, time64);
  }
  private writeTime(b: Buffer, off: number, sec: bigint, frac: bigint, time64: boolean): void {
    if (this.timeWidth(time64) === 8) {
      b.writeBigInt64LE(sec, off);
      b.writeBigInt64LE(frac, off + 8);
    } else {
      b.writeInt32LE(Number(BigInt.asIntN(32, sec)), off);
      b.writeInt32LE(Number(frac), off + 4);
    }
  }

  getTime(mem: UserCopy, addr: bigint, time64 = false): TimeParts {
    return this.readTime(mem.read(addr, this.timeSize(time64)), 0, time64);
  }
  putTimespec(mem: UserCopy, addr: bigint, ns: bigint, time64 = false): void {
    const b = Buffer.alloc(this.timeSize(time64));
    this.writeTimespec(b, ns, 0, time64);
    mem.write(addr, b);
  }
  putTimeval(mem: UserCopy, addr: bigint, ns: bigint, time64 = false): void {
    const b = Buffer.alloc(this.timeSize(time64));
    this.writeTimeval(b, ns, 0, time64);
    mem.write(addr, b);
  }

  /**
   * struct rlimit {unsigned long rlim_cur, rlim_max} (struct rlimit64 with `rlimit64`: two u64
   * on both ABIs) as 64-bit values: the 32-bit RLIM_INFINITY (~0UL) becomes RLIM64_INFINITY, as
   * the compat getrlimit/setrlimit convert it.
   */
  getRlimit(mem: UserCopy, addr: bigint, rlimit64 = false): [bigint, bigint] {
    const w = rlimit64 ? 8 : this.long;
    const b = mem.read(addr, 2 * w);
    const v = (off: number) => {
      if (w === 8) return b.readBigUInt64LE(off);
      const x = BigInt(b.readUInt32LE(off));
      return x === 0xffffffffn ? 0xffffffffffffffffn : x;
    };
    return [v(0), v(w)];
  }
  /** struct rlimit (or rlimit64) from 64-bit values: in the 32-bit layout anything past ~0UL is clamped to it. */
  putRlimit(mem: UserCopy, addr: bigint, [cur, max]: readonly [bigint, bigint], rlimit64 = false): void {
    const w = rlimit64 ? 8 : this.long;
    const b = Buffer.alloc(2 * w);
    const put = (v: bigint, off: number) => {
      if (w === 8) b.writeBigUInt64LE(v, off);
      else b.writeUInt32LE(v > 0xffffffffn ? 0xffffffff : Number(v), off);
    };
    put(cur, 0);
    put(max, w);
    mem.write(addr, b);
  }
}

const LAYOUTS: Readonly<Record<Abi, AbiLayout>> = { x86_64: new AbiLayout("x86_64"), i386: new AbiLayout("i386") };

/** The struct layouts of `abi`. */
export const abiLayout = (abi: Abi): AbiLayout => LAYOUTS[abi];
