// drivers/char/random.c: getrandom. The bytes come from the Kernel's entropy source: seeded in
// deterministic mode, the host's otherwise.

import { E } from "../../errno.js";
import type { SyscallFamily } from "../types.js";
import { uint } from "../types.js";

const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;

export const randomFamily: SyscallFamily = {
  sys_getrandom: (ctx, a) => {
    const flags = uint(a[2]);
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -E.EINVAL;
    const len = Math.min(uint(a[1]), 33554431); // Linux caps one call at MAX_RW_COUNT-ish: 32 MiB - 1
    const buf = Buffer.alloc(len);
    ctx.task.kernel.getRandomBytes(buf);
    ctx.mem.write(a[0], buf);
    return len;
  },
};
