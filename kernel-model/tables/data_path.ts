// Data files (the .tbl tables, the vDSO images, the entry stubs' bytes) live in the source tree
// and are read at run time. The code runs from source under vitest and compiled into dist/,
// so the project root is found by walking up to sysgate's package.json rather than by a fixed
// relative path.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "sysgate") {
      return (root = dir);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error("sysgate: cannot find the project root (package.json named sysgate)");
    dir = up;
  }
}

/** Absolute path of a file of the project, e.g. projectFile("kernel-model", "tables", "syscall_64.tbl"). */
export function projectFile(...parts: string[]): string {
  return join(projectRoot(), ...parts);
}
