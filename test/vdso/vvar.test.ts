// writeVvar() against the layout the vDSO code is compiled with (../../kernel-model/vdso/datapage.h).

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot as sysgateRoot } from "../../kernel-model/tables/data_path.js";
import {
  CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME,
  CLOCK_REALTIME_COARSE, CLOCK_TAI,
} from "../../kernel-model/uapi/linux/time.js";
import {
  VDSO_BASES, VDSO_CLOCKMODE_TSC, VDSO_DATA, VDSO_TIMESTAMP_SIZE,
  VVAR_SIZE, VVAR_VDSO_DATA_OFFSET, basetimeOffset, readVvar, writeVvar,
} from "../../kernel-model/vdso/vvar.js";
import { hasGcc, hasGcc32, whyNot32 } from "./toolchain.js";

const T = { realtimeNs: 1_700_000_000_123_456_789n, monotonicNs: 5_000_000_007n };

describe("writeVvar", () => {
  it("writes every served clock, seconds and nanoseconds, and zeroes the others", () => {
    const page = Buffer.alloc(VVAR_SIZE, 0xee);
    page.writeUInt32LE(0, VVAR_VDSO_DATA_OFFSET); // a fresh page: seq 0
    writeVvar(page, { ...T, taiOffsetSec: 37 });
    const v = readVvar(page);
    expect(v.basetime[CLOCK_REALTIME]).toEqual({ sec: 1_700_000_000n, nsec: 123_456_789n });
    expect(v.basetime[CLOCK_REALTIME_COARSE]).toEqual({ sec: 1_700_000_000n, nsec: 123_456_789n });
    expect(v.basetime[CLOCK_MONOTONIC]).toEqual({ sec: 5n, nsec: 7n });
    expect(v.basetime[CLOCK_MONOTONIC_COARSE]).toEqual({ sec: 5n, nsec: 7n });
    expect(v.basetime[CLOCK_BOOTTIME]).toEqual({ sec: 5n, nsec: 7n });
    expect(v.basetime[CLOCK_TAI]).toEqual({ sec: 1_700_000_037n, nsec: 123_456_789n });
    expect(v.basetime[CLOCK_MONOTONIC_RAW]).toEqual({ sec: 0n, nsec: 0n });
    expect(v).toMatchObject({ clockMode: VDSO_CLOCKMODE_TSC, mult: 0, shift: 0, cycleLast: 0n, mask: (1n << 64n) - 1n, hrtimerRes: 1, cpu: 0, node: 0 });
    // outside struct vdso_data nothing is touched
    expect(page.subarray(0, VVAR_VDSO_DATA_OFFSET).every((b) => b === 0xee)).toBe(true);
    expect(page.subarray(VVAR_VDSO_DATA_OFFSET + VDSO_DATA.size).every((b) => b === 0xee)).toBe(true);
  });

  it("stores the hres nanoseconds shifted by `shift`, the coarse ones plain", () => {
    const page = Buffer.alloc(VVAR_SIZE);
    writeVvar(page, { ...T, tsc: 123_456n, mult: 3_000_000, shift: 24 });
    const v = readVvar(page);
    expect(v.basetime[CLOCK_REALTIME]!.nsec).toBe(123_456_789n << 24n);
    expect(v.basetime[CLOCK_REALTIME_COARSE]!.nsec).toBe(123_456_789n);
    expect(v).toMatchObject({ cycleLast: 123_456n, mult: 3_000_000, shift: 24 });
  });

  it("follows the seqcount protocol: odd while writing, two higher after", () => {
    const page = Buffer.alloc(VVAR_SIZE);
    writeVvar(page, T);
    expect(readVvar(page).seq).toBe(2);
    writeVvar(page, T);
    expect(readVvar(page).seq).toBe(4);
    // seen from inside: a Proxy cannot watch a Buffer, so watch the writes it makes
    const seqSeen: number[] = [];
    const spy = Buffer.alloc(VVAR_SIZE);
    const orig = spy.writeBigUInt64LE.bind(spy);
    spy.writeBigUInt64LE = ((value: bigint, offset?: number) => {
      seqSeen.push(spy.readUInt32LE(VVAR_VDSO_DATA_OFFSET));
      return orig(value, offset);
    }) as typeof spy.writeBigUInt64LE;
    writeVvar(spy, T);
    expect(seqSeen.length).toBeGreaterThan(5);
    expect(seqSeen.every((s) => s === 1)).toBe(true);
    expect(spy.readUInt32LE(VVAR_VDSO_DATA_OFFSET)).toBe(2);
    // wraps like a u32
    page.writeUInt32LE(0xffff_fffe, VVAR_VDSO_DATA_OFFSET);
    writeVvar(page, T);
    expect(readVvar(page).seq).toBe(0);
  });

  it("refuses a page left mid-update, negative times, and values that do not fit", () => {
    const page = Buffer.alloc(VVAR_SIZE);
    page.writeUInt32LE(3, VVAR_VDSO_DATA_OFFSET);
    expect(() => writeVvar(page, T)).toThrow(/odd/);
    expect(() => writeVvar(Buffer.alloc(VVAR_SIZE), { ...T, realtimeNs: -1n })).toThrow(RangeError);
    expect(() => writeVvar(Buffer.alloc(VVAR_SIZE), { ...T, shift: 40 })).toThrow(RangeError);
    expect(() => writeVvar(Buffer.alloc(VVAR_SIZE), { ...T, mult: 2 ** 32 })).toThrow(RangeError);
    expect(() => writeVvar(Buffer.alloc(100), T)).toThrow(RangeError);
  });

  it("basetimeOffset indexes basetime[] by clock id", () => {
    expect(basetimeOffset(0)).toBe(VVAR_VDSO_DATA_OFFSET + VDSO_DATA.basetime);
    expect(basetimeOffset(CLOCK_TAI)).toBe(VVAR_VDSO_DATA_OFFSET + VDSO_DATA.basetime + 11 * VDSO_TIMESTAMP_SIZE);
    expect(() => basetimeOffset(VDSO_BASES)).toThrow(RangeError);
  });
});

// The C compiler's offsets for struct vdso_data, for one -m flag.
function cOffsets(m: "-m64" | "-m32"): Record<string, number> {
  const dir = mkdtempSync(join(tmpdir(), "sysgate-vvar-"));
  const fields = ["seq", "clock_mode", "cycle_last", "mask", "mult", "shift", "basetime", "tz_minuteswest", "tz_dsttime", "hrtimer_res", "cpu", "node"];
  writeFileSync(join(dir, "o.c"), [
    "#include <stdio.h>",
    "#include <stddef.h>",
    `#include "${join(sysgateRoot(), "kernel-model/vdso/datapage.h")}"`,
    "int main(void) {",
    ...fields.map((f) => `  printf("${f} %zu\\n", offsetof(struct vdso_data, ${f}));`),
    '  printf("size %zu\\n", sizeof(struct vdso_data));',
    '  printf("timestamp %zu\\n", sizeof(struct vdso_timestamp));',
    '  printf("bases %d\\n", VDSO_BASES);',
    '  printf("data_offset %d\\n", VVAR_VDSO_DATA_OFFSET);',
    '  printf("low_res %u\\n", LOW_RES_NSEC);',
    '  printf("clockmode_tsc %d\\n", VDSO_CLOCKMODE_TSC);',
    "  return 0;",
    "}",
  ].join("\n"));
  const exe = join(dir, "o");
  const c = spawnSync("gcc", [m, "-o", exe, join(dir, "o.c")], { encoding: "utf8" });
  if (c.status !== 0) throw new Error(c.stderr);
  const out = spawnSync(exe, [], { encoding: "utf8" }).stdout;
  return Object.fromEntries(out.trim().split("\n").map((l) => { const [k, v] = l.split(" "); return [k!, Number(v)]; }));
}

const expected = {
  seq: VDSO_DATA.seq, clock_mode: VDSO_DATA.clockMode, cycle_last: VDSO_DATA.cycleLast, mask: VDSO_DATA.mask,
  mult: VDSO_DATA.mult, shift: VDSO_DATA.shift, basetime: VDSO_DATA.basetime, tz_minuteswest: VDSO_DATA.tzMinuteswest,
  tz_dsttime: VDSO_DATA.tzDsttime, hrtimer_res: VDSO_DATA.hrtimerRes, cpu: VDSO_DATA.cpu, node: VDSO_DATA.node,
  size: VDSO_DATA.size, timestamp: VDSO_TIMESTAMP_SIZE, bases: VDSO_BASES, data_offset: VVAR_VDSO_DATA_OFFSET,
  low_res: 4_000_000, clockmode_tsc: VDSO_CLOCKMODE_TSC,
};

describe("vvar.ts and datapage.h agree", () => {
  it.skipIf(!hasGcc)(`for x86-64${hasGcc ? "" : " (SKIPPED: gcc not found)"}`, () => {
    expect(cOffsets("-m64")).toEqual(expected);
  });
  it.skipIf(!hasGcc32)(`for i386${hasGcc32 ? "" : ` (SKIPPED: ${whyNot32()})`}`, () => {
    expect(cOffsets("-m32")).toEqual(expected);
  });
});
