import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_TAI } from "../uapi/linux/time.js";
// The vvar page: the data page mapped just before the vDSO (at vdso_base - 4096) that the kernel
// model keeps current and the vDSO's clock functions read without entering the kernel. Modelled
// on Linux's struct vdso_data (include/vdso/datapage.h); the C side is ./datapage.h, and
// test/vdso compiles that header for x86-64 and i386 and checks every offset below against it.
//
// Layout (little-endian, identical for both ABIs):
//
//   vvar page
//   +0    .. +127   unused (Linux keeps vdso_data at 128 too: DECLARE_VVAR(128, ...))
//   +128  struct vdso_data
//           +0   u32 seq            seqcount: odd while the kernel model writes the page
//           +4   s32 clock_mode     VDSO_CLOCKMODE_NONE (0): every clock takes the syscall;
//                                   VDSO_CLOCKMODE_TSC (1): the page serves them
//           +8   u64 cycle_last     TSC value the bases were taken at
//           +16  u64 mask           applied to (rdtsc - cycle_last)
//           +24  u32 mult           hres ns = (nsec + (rdtsc - cycle_last) * mult) >> shift
//           +28  u32 shift            mult = 0: time moves only when the page is rewritten,
//                                     which is what deterministic mode needs
//           +32  basetime[12]       indexed by clockid: { u64 sec; u64 nsec }; nsec is shifted
//                                   left by `shift` for the hres clocks (REALTIME, MONOTONIC,
//                                   BOOTTIME, TAI), plain for the coarse ones (REALTIME_COARSE,
//                                   MONOTONIC_COARSE); the other ids make the vDSO take the syscall
//           +224 s32 tz_minuteswest gettimeofday's struct timezone
//           +228 s32 tz_dsttime
//           +232 u32 hrtimer_res    clock_getres of the hres clocks (ns); coarse: LOW_RES_NSEC
//           +236 u32 cpu            getcpu (sysgate: here rather than in a GDT segment limit)
//           +240 u32 node
//           +244 u32 unused
//   +376  .. +4095  unused

export const VVAR_SIZE = 4096;
/** Offset of struct vdso_data inside the vvar page. */
export const VVAR_VDSO_DATA_OFFSET = 128;

/** Offsets of the struct vdso_data fields, from the start of the struct. */
export const VDSO_DATA = {
  seq: 0,
  clockMode: 4,
  cycleLast: 8,
  mask: 16,
  mult: 24,
  shift: 28,
  basetime: 32,
  tzMinuteswest: 224,
  tzDsttime: 228,
  hrtimerRes: 232,
  cpu: 236,
  node: 240,
  size: 248,
} as const;

/** sizeof(struct vdso_timestamp): u64 sec, u64 nsec. */
export const VDSO_TIMESTAMP_SIZE = 16;
/** Entries of basetime[]: CLOCK_TAI + 1. */
export const VDSO_BASES = 12;


/** The clocks the vDSO computes from the TSC, and those it reads as they are. */
export const VDSO_HRES_CLOCKS = [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI] as const;
export const VDSO_COARSE_CLOCKS = [CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE] as const;

export const VDSO_CLOCKMODE_NONE = 0;
export const VDSO_CLOCKMODE_TSC = 1;

/** clock_getres of the coarse clocks: one tick at HZ = 250 (Linux's LOW_RES_NSEC). */
export const LOW_RES_NSEC = 4_000_000;

/** Offset in the vvar page of basetime[clock]. */
export function basetimeOffset(clock: number): number {
  if (!Number.isInteger(clock) || clock < 0 || clock >= VDSO_BASES) throw new RangeError(`clock id ${clock}`);
  return VVAR_VDSO_DATA_OFFSET + VDSO_DATA.basetime + clock * VDSO_TIMESTAMP_SIZE;
}

export interface VvarTime {
  realtimeNs: bigint;
  monotonicNs: bigint;
  /** CLOCK_BOOTTIME; defaults to monotonicNs (the model never suspends). */
  boottimeNs?: bigint;
  /** CLOCK_TAI - CLOCK_REALTIME in seconds; 0 as in Linux until someone sets it. */
  taiOffsetSec?: number;
  /** The TSC value the times above correspond to (cycle_last). Default 0. */
  tsc?: bigint;
  /** ns per cycle = mult / 2^shift. Default 0: the clocks stand still between updates. */
  mult?: number;
  shift?: number;
  /** VDSO_CLOCKMODE_TSC (default) or VDSO_CLOCKMODE_NONE to send every clock to the syscall. */
  clockMode?: number;
  tzMinuteswest?: number;
  tzDsttime?: number;
  /** clock_getres of the hres clocks in ns. Default 1. */
  hrtimerRes?: number;
  cpu?: number;
  node?: number;
}

const NSEC_PER_SEC = 1_000_000_000n;
const U64_MAX = (1n << 64n) - 1n;

function u32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) throw new RangeError(`vvar ${name} ${v} is not a u32`);
  return v;
}

function s32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < -0x8000_0000 || v > 0x7fff_ffff) throw new RangeError(`vvar ${name} ${v} is not an s32`);
  return v;
}

function writeTimestamp(page: Buffer, clock: number, ns: bigint, shift: number): void {
  if (ns < 0n) throw new RangeError(`clock ${clock}: negative time ${ns}`);
  const off = basetimeOffset(clock);
  const nsec = (ns % NSEC_PER_SEC) << BigInt(shift);
  if (nsec > U64_MAX) throw new RangeError(`shift ${shift} overflows basetime[${clock}].nsec`);
  page.writeBigUInt64LE(ns / NSEC_PER_SEC, off);
  page.writeBigUInt64LE(nsec, off + 8);
}

/**
 * Writes the time into the vvar page with the seqcount protocol Linux's timekeeping uses for
 * vdso_data: seq made odd, the fields written, seq made even again (two higher than it was).
 * A reader that sees an odd seq, or a seq that changed across its reads, reads again.
 */
export function writeVvar(page: Buffer, t: VvarTime): void {
  if (page.length < VVAR_SIZE) throw new RangeError(`vvar page is ${page.length} bytes, needs ${VVAR_SIZE}`);
  const shift = u32("shift", t.shift ?? 0);
  if (shift > 32) throw new RangeError(`vvar shift ${shift} > 32`);
  const mult = u32("mult", t.mult ?? 0);
  const tsc = t.tsc ?? 0n;
  if (tsc < 0n || tsc > U64_MAX) throw new RangeError(`vvar tsc ${tsc} is not a u64`);
  const taiNs = t.realtimeNs + BigInt(t.taiOffsetSec ?? 0) * NSEC_PER_SEC;
  const clockMode = s32("clock_mode", t.clockMode ?? VDSO_CLOCKMODE_TSC);

  const d = VVAR_VDSO_DATA_OFFSET;
  const seq = page.readUInt32LE(d + VDSO_DATA.seq);
  if (seq & 1) throw new Error(`vvar seq ${seq} is odd: an earlier update never finished`);
  page.writeUInt32LE((seq + 1) >>> 0, d + VDSO_DATA.seq);

  page.writeInt32LE(clockMode, d + VDSO_DATA.clockMode);
  page.writeBigUInt64LE(tsc, d + VDSO_DATA.cycleLast);
  page.writeBigUInt64LE(U64_MAX, d + VDSO_DATA.mask);
  page.writeUInt32LE(mult, d + VDSO_DATA.mult);
  page.writeUInt32LE(shift, d + VDSO_DATA.shift);
  // Bases the vDSO does not serve are zeroed so the page holds nothing stale.
  page.fill(0, basetimeOffset(0), basetimeOffset(0) + VDSO_BASES * VDSO_TIMESTAMP_SIZE);
  writeTimestamp(page, CLOCK_REALTIME, t.realtimeNs, shift);
  writeTimestamp(page, CLOCK_MONOTONIC, t.monotonicNs, shift);
  writeTimestamp(page, CLOCK_BOOTTIME, t.boottimeNs ?? t.monotonicNs, shift);
  writeTimestamp(page, CLOCK_TAI, taiNs, shift);
  writeTimestamp(page, CLOCK_REALTIME_COARSE, t.realtimeNs, 0);
  writeTimestamp(page, CLOCK_MONOTONIC_COARSE, t.monotonicNs, 0);
  page.writeInt32LE(s32("tz_minuteswest", t.tzMinuteswest ?? 0), d + VDSO_DATA.tzMinuteswest);
  page.writeInt32LE(s32("tz_dsttime", t.tzDsttime ?? 0), d + VDSO_DATA.tzDsttime);
  page.writeUInt32LE(u32("hrtimer_res", t.hrtimerRes ?? 1), d + VDSO_DATA.hrtimerRes);
  page.writeUInt32LE(u32("cpu", t.cpu ?? 0), d + VDSO_DATA.cpu);
  page.writeUInt32LE(u32("node", t.node ?? 0), d + VDSO_DATA.node);

  page.writeUInt32LE((seq + 2) >>> 0, d + VDSO_DATA.seq);
}

export interface VvarContents {
  seq: number;
  clockMode: number;
  cycleLast: bigint;
  mask: bigint;
  mult: number;
  shift: number;
  /** basetime[clock] as stored: nsec still shifted for the hres clocks. */
  basetime: { sec: bigint; nsec: bigint }[];
  tzMinuteswest: number;
  tzDsttime: number;
  hrtimerRes: number;
  cpu: number;
  node: number;
}

/** Decodes the page (for the terminal UI and for tests). */
export function readVvar(page: Buffer): VvarContents {
  const d = VVAR_VDSO_DATA_OFFSET;
  const basetime: { sec: bigint; nsec: bigint }[] = [];
  for (let c = 0; c < VDSO_BASES; c++) {
    const off = basetimeOffset(c);
    basetime.push({ sec: page.readBigUInt64LE(off), nsec: page.readBigUInt64LE(off + 8) });
  }
  return {
    seq: page.readUInt32LE(d + VDSO_DATA.seq),
    clockMode: page.readInt32LE(d + VDSO_DATA.clockMode),
    cycleLast: page.readBigUInt64LE(d + VDSO_DATA.cycleLast),
    mask: page.readBigUInt64LE(d + VDSO_DATA.mask),
    mult: page.readUInt32LE(d + VDSO_DATA.mult),
    shift: page.readUInt32LE(d + VDSO_DATA.shift),
    basetime,
    tzMinuteswest: page.readInt32LE(d + VDSO_DATA.tzMinuteswest),
    tzDsttime: page.readInt32LE(d + VDSO_DATA.tzDsttime),
    hrtimerRes: page.readUInt32LE(d + VDSO_DATA.hrtimerRes),
    cpu: page.readUInt32LE(d + VDSO_DATA.cpu),
    node: page.readUInt32LE(d + VDSO_DATA.node),
  };
}
