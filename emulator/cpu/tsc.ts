// The TSC as guest code sees it. Measured here: `rdtsc` inside Unicorn reads a counter that runs
// with the host's time (about 2.6 GHz on these machines), while IA32_TSC read through
// uc_reg_read stands still. So the counter is sampled by running `rdtsc` on a scratch engine,
// twice, to calibrate its rate against the host clock once per process; after that a reading is
// extrapolated from the host clock. That matters: an engine must never be started from inside
// another engine's hook (QEMU keeps per-thread CPU state), and execve and fork run in hooks.

import { UC, Unicorn } from "./unicorn.js";

// rdtsc; shl rdx, 32; or rax, rdx; nop
const RDTSC = Buffer.from([0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0x90]);
const CODE = 0x1000n;

let engine: Unicorn | undefined;
let calibrated: { hz: number; tsc: bigint; ns: bigint } | undefined;

/** Runs `rdtsc` on the scratch engine (only outside any other engine's run). */
function probeTsc(): bigint {
  if (!engine) {
    engine = new Unicorn("64");
    const mem = Buffer.alloc(0x2000);
    RDTSC.copy(mem, Number(CODE));
    engine.mapHostMemory(0n, mem);
  }
  const rc = engine.start(CODE, CODE + BigInt(RDTSC.length - 1));
  if (rc !== UC.UC_ERR_OK) throw new Error(`rdtsc probe failed: ${engine.strerror(rc)}`);
  return engine.readBig(UC.UC_X86_REG_RAX);
}

/** Measures the guest TSC's rate over ~10 ms of host time; call it once outside any hook. */
export function calibrateTsc(): void {
  if (calibrated) return;
  const t0 = process.hrtime.bigint(), c0 = probeTsc();
  let t1 = t0;
  while (t1 - t0 < 10_000_000n) t1 = process.hrtime.bigint();
  const c1 = probeTsc();
  calibrated = { hz: (Number(c1 - c0) * 1e9) / Number(t1 - t0), tsc: c1, ns: t1 };
  engine?.close();
  engine = undefined;
}

/** Cycles per second of the guest TSC. */
export function tscHz(): number {
  if (!calibrated) throw new Error("calibrateTsc() was not called");
  return calibrated.hz;
}

/** The guest TSC now, extrapolated from the calibration with the host clock. */
export function readTsc(): bigint {
  if (!calibrated) throw new Error("calibrateTsc() was not called");
  const dt = process.hrtime.bigint() - calibrated.ns;
  return calibrated.tsc + BigInt(Math.round((Number(dt) * calibrated.hz) / 1e9));
}
