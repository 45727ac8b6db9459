// The TSC as guest code sees it. Measured here: `rdtsc` inside Unicorn reads a counter that runs
// with the host's time (about 2.6 GHz on these machines), while IA32_TSC read through
// uc_reg_read stands still. So the counter is sampled by running `rdtsc` on a scratch engine,
// and its rate is calibrated once per process against the host clock: the vDSO's extrapolation
// (mult/shift in the vvar page) needs both.

import { UC, Unicorn } from "./unicorn.js";

// rdtsc; shl rdx, 32; or rax, rdx; nop
const RDTSC = Buffer.from([0x0f, 0x31, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0x90]);
const CODE = 0x1000n;

let engine: Unicorn | undefined;
let calibrated: number | undefined;

/** One reading of the guest-visible TSC. */
export function readTsc(): bigint {
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

/** Cycles per second of the guest TSC, measured over ~10 ms of host time. */
export function tscHz(): number {
  if (calibrated) return calibrated;
  const t0 = process.hrtime.bigint(), c0 = readTsc();
  let t1 = t0;
  while (t1 - t0 < 10_000_000n) t1 = process.hrtime.bigint();
  const c1 = readTsc();
  calibrated = (Number(c1 - c0) * 1e9) / Number(t1 - t0);
  return calibrated;
}
