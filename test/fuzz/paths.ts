import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, from test/fuzz (vitest) or dist/test/fuzz (compiled). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, "package.json"))) {
    const up = dirname(d);
    if (up === d) throw new Error("fuzz: no package.json above " + fileURLToPath(import.meta.url));
    d = up;
  }
  return d;
}
