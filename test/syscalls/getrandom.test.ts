// getrandom with a count far larger than the buffer behind it (found by the fuzzer: 1.6 GB asked
// over a few pages hashed 32 MiB of seeded bytes before failing): Linux's get_random_bytes_user
// copies block by block and returns what it copied before the fault.

import { describe, expect, it } from "vitest";
import { E } from "../../kernel-model/errno.js";
import { randomFamily } from "../../kernel-model/syscalls/kernel/random.js";
import type { SyscallArgs } from "../../kernel-model/syscalls/types.js";
import { machine, tmpdir } from "../fs/helpers.js";

describe("getrandom", () => {
  const m = machine("x86_64", { mode: "host", cwd: tmpdir(), exe: { hostPath: "/bin/true", guestPath: "/bin/true" }, getRandomBytes: () => {} });
  let calls = 0;
  m.task.kernel.getRandomBytes = (b: Buffer) => { calls++; b.fill(0xab); };
  const getrandom = (buf: bigint, len: bigint, flags = 0n) =>
    randomFamily.sys_getrandom(m.ctx, [buf, len, flags, 0n, 0n, 0n] as unknown as SyscallArgs);

  it("a huge count over a small buffer returns what fits, after one block past it", () => {
    const end = m.mem.base + BigInt(m.mem.buf.length);
    const buf = end - 10_000n; // 10,000 bytes before the end of user memory
    calls = 0;
    expect(getrandom(buf, 0x7fffffffn)).toBe(8192); // whole blocks that fit; the third faults
    expect(calls).toBeLessThanOrEqual(3);
    expect(m.mem.read(buf, 8192).every((x) => x === 0xab)).toBe(true);
  });

  it("EFAULT when nothing could be copied; EINVAL for unknown flags", () => {
    expect(getrandom(0x1000n, 0x7fffffffn)).toBe(-E.EFAULT);
    expect(getrandom(m.mem.alloc(16), 16n, 0x80n)).toBe(-E.EINVAL);
  });
});
