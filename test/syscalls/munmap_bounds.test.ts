// munmap of a range that does not fit below TASK_SIZE is EINVAL, and nothing is unmapped (found by
// the fuzzer: munmap(NULL, 2^64 - 2201) answered 0 and took the program's own code with it).
// Each probe runs natively and through sysgate; its exit status is munmap's errno.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { probeProgram, type FuzzAbi } from "../fuzz/syscall_prog.js";
import { ensureDist, sysgate } from "../run/cli.js";

let dir: string;
beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), "sysgate-munmap-"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES: Record<FuzzAbi, { nr: number; ranges: [bigint, bigint][] }> = {
  x86_64: { nr: 11, ranges: [[0n, 0xfffffffffffff767n], [0xdead0000n, 0x8000000000000000n], [0x7ffffffff000n, 0x2000n], [0x800000000000n, 0x1000n]] },
  i386: { nr: 91, ranges: [[0n, 0xfffff000n], [0x80000000n, 0x8c22e4een]] },
};

for (const abi of ["x86_64", "i386"] as FuzzAbi[]) {
  it(`${abi}: munmap past TASK_SIZE is EINVAL, as natively`, () => {
    const got: string[] = [], native: string[] = [];
    for (const [addr, len] of CASES[abi].ranges) {
      const p = join(dir, `probe-${abi}-${addr}-${len}`);
      writeFileSync(p, probeProgram(abi, [{ nr: CASES[abi].nr, args: [addr, len] }], []), { mode: 0o755 });
      const n = spawnSync(p, [], { stdio: "ignore" });
      const r = sysgate(["run", "--deterministic", p]);
      native.push(`${addr.toString(16)}+${len.toString(16)}: ${n.status ?? n.signal}`);
      got.push(`${addr.toString(16)}+${len.toString(16)}: ${r.status ?? r.signal}`);
    }
    expect(got).toEqual(native);
  });
}
