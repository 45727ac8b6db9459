// Host toolchain probes shared by the vDSO tests: which of them can run here, and why not.

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0;
}

export const hasGcc = runs("gcc", ["--version"]);

/** gcc can build and run -m32 programs (gcc-multilib and a kernel with IA32 emulation). */
export const hasGcc32 = (() => {
  if (!hasGcc) return false;
  const dir = mkdtempSync(join(tmpdir(), "sysgate-m32-"));
  writeFileSync(join(dir, "t.c"), "int main(void){return 0;}\n");
  return runs("gcc", ["-m32", "-o", join(dir, "t"), join(dir, "t.c")]) && runs(join(dir, "t"), []);
})();

export function whyNot32(): string {
  return hasGcc ? "gcc -m32 cannot build or run 32-bit programs here (install gcc-multilib)" : "gcc not found";
}
