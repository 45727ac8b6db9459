// The committed images are reproducible from the sources: with the gcc and binutils recorded in
// kernel-model/vdso/TOOLCHAIN, build.sh rebuilds them byte for byte.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot as sysgateRoot } from "../../kernel-model/tables/data_path.js";

const DIR = join(sysgateRoot(), "kernel-model", "vdso");

function firstLine(cmd: string): string | undefined {
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.split("\n")[0] : undefined;
}

function recorded(): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(DIR, "TOOLCHAIN"), "utf8").split("\n").filter((l) => l && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
  );
}

const want = recorded();
const have = { gcc: firstLine("gcc"), ld: firstLine("ld") };
const why =
  !have.gcc ? "gcc not found" :
  !have.ld ? "ld (binutils) not found" :
  have.gcc !== want.gcc ? `gcc here is "${have.gcc}", the images were built with "${want.gcc}"` :
  have.ld !== want.ld ? `ld here is "${have.ld}", the images were built with "${want.ld}"` :
  undefined;
if (why) console.warn(`test/vdso/build.test.ts: rebuild comparison skipped: ${why}`);

describe("vDSO build", () => {
  it("TOOLCHAIN records a gcc and an ld", () => {
    expect(want.gcc).toMatch(/gcc/);
    expect(want.ld).toMatch(/ld/);
  });

  it.skipIf(why !== undefined)(`build.sh reproduces vdso64.so and vdso32.so byte for byte${why ? ` (SKIPPED: ${why})` : ""}`, () => {
    const out = mkdtempSync(join(tmpdir(), "sysgate-vdso-build-"));
    const r = spawnSync("bash", [join(DIR, "build.sh"), out], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    for (const f of ["vdso64.so", "vdso32.so", "TOOLCHAIN"]) {
      const rebuilt = readFileSync(join(out, f));
      const committed = readFileSync(join(DIR, f));
      expect(rebuilt.equals(committed), `${f} differs from the committed one: run kernel-model/vdso/build.sh and commit`).toBe(true);
    }
  }, 60_000);
});
