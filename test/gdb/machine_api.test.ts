// The gdb stub and the step UI steer the run through Machine's own methods (continueWith,
// continuing, step, run), never by casting it to reach its private fields: a cast compiles
// whatever Machine's fields become, and would silently stop steering the run loop.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../run/cli.js";

describe("the debuggers use Machine's API", () => {
  for (const dir of ["emulator/gdb", "emulator/ui"]) {
    it(`${dir}: no cast through unknown`, () => {
      const casts: string[] = [];
      for (const f of readdirSync(join(ROOT, dir)).filter((n) => /\.tsx?$/.test(n))) {
        readFileSync(join(ROOT, dir, f), "utf8").split("\n").forEach((line, i) => {
          if (/\bas unknown as\b/.test(line)) casts.push(`${dir}/${f}:${i + 1}: ${line.trim()}`);
        });
      }
      expect(casts).toEqual([]);
    });
  }
});
