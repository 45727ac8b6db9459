// Copy-on-write (do_wp_page in mm_struct.ts): a page whose other user has gone is the writer's again
// (wp_page_reuse) with no TLB flush, since a write through a stale read-only TLB entry makes the
// CPU walk the tables again; a page still shared is copied (wp_page_copy) and the TLB flushed.
// cow_reuse.c runs natively and through sysgate; the native output is the expected one.

import { describe, expect, it } from "vitest";
import { ensureDist, sysgate } from "../run/cli.js";
import { canBuild, program, runNative } from "../time/build.js";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "src");
ensureDist();

describe("copy-on-write pages after the child has gone", () => {
  for (const bits of [64, 32] as const) {
    it.skipIf(!canBuild[bits])(`are written in place, every write landing (${bits}-bit)`, () => {
      const exe = program("cow_reuse", bits, SRC);
      const n = runNative([exe]);
      expect(n.stdout).toBe(`child 0, read ${64 * 97}, 0 pages wrong\n`);
      const s = sysgate(["run", "-q", exe]);
      expect([s.stdout, s.status, s.stderr]).toEqual([n.stdout, 0, ""]);
    }, 60_000);
  }
});
