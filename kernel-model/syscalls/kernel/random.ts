// drivers/char/random.c: getrandom. The bytes come from the Kernel's entropy source: seeded in
// deterministic mode, the host's otherwise.

import { E, Errno } from "../../errno.js";
import type { SyscallFamily } from "../types.js";
import { uint } from "../types.js";
import { GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from "../../uapi/linux/random.js";

/** MAX_RW_COUNT (INT_MAX & PAGE_MASK): the most one call transfers. */
const MAX_RW_COUNT = 0x7ffff000;
/** get_random_bytes_user fills and copies a block at a time; a page here. */
const CHUNK = 4096;

export const randomFamily: SyscallFamily = {
  sys_getrandom: (ctx, a) => {
    const flags = uint(a[2]);
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -E.EINVAL;
    const len = Math.min(uint(a[1]), MAX_RW_COUNT);
    // get_random_bytes_user: block by block into the user's buffer; a fault ends the copy, and the
    // call returns what was copied (EFAULT only when nothing was). A huge length over a small
    // buffer costs one block, not the whole length.
    const block = Buffer.alloc(Math.min(len, CHUNK));
    let done = 0;
    while (done < len) {
      const n = Math.min(CHUNK, len - done);
      const b = block.subarray(0, n);
      ctx.task.kernel.getRandomBytes(b);
      try {
        ctx.mem.write(a[0] + BigInt(done), b);
      } catch (e) {
        if (e instanceof Errno && e.errno === E.EFAULT) return done || -E.EFAULT;
        throw e;
      }
      done += n;
    }
    return done;
  },
};
