// dist/ is built once, by the tests' global setup, and test files only check it: a test file
// that rebuilt it would rewrite the JavaScript other files are running in parallel workers.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, distStaleness, ensureDist } from "./cli.js";

const tree = mkdtempSync(join(tmpdir(), "sysgate-dist-"));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

/** A project tree with a built CLI at time 1000 and one source file at time `at`. */
function project(source: string, at: number): string {
  const root = mkdtempSync(join(tree, "p-"));
  const cli = join(root, "dist", "emulator", "cli", "main.js");
  mkdirSync(join(cli, ".."), { recursive: true });
  writeFileSync(cli, "// built\n");
  utimesSync(cli, 1000, 1000);
  mkdirSync(join(root, source, ".."), { recursive: true });
  writeFileSync(join(root, source), "export {};\n");
  utimesSync(join(root, source), at, at);
  return root;
}

describe("dist/ staleness", () => {
  it("names a missing CLI", () => {
    const root = mkdtempSync(join(tree, "empty-"));
    expect(distStaleness(root)).toMatch(/main\.js is missing/);
  });

  for (const source of ["emulator/ui/view.tsx", "kernel-model/trace/xlat.ts", "emulator/cli/bundle.mjs", "test/fuzz/child.ts"]) {
    it(`a newer ${source} makes dist stale, an older one does not`, () => {
      expect(distStaleness(project(source, 2000))).toBe(`${source} is newer than dist/emulator/cli/main.js`);
      expect(distStaleness(project(source, 500))).toBeUndefined();
    });
  }

  it("ensureDist only checks: a stale tree throws and its dist/ is left as it was", () => {
    const root = project("kernel-model/linux.ts", 2000);
    const cli = join(root, "dist", "emulator", "cli", "main.js");
    expect(() => ensureDist(root)).toThrow(/kernel-model\/linux\.ts is newer/);
    expect(statSync(cli).mtimeMs).toBe(1_000_000);
    expect(readFileSync(cli, "utf8")).toBe("// built\n");
  });
});

describe("who builds dist/", () => {
  it("no test file starts a build (tsc, npm run build): only the global setup does", () => {
    const builders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name) && !/^test\/(global-setup|run\/cli|run\/dist_build\.test)\.ts$/.test(relative(ROOT, p))) {
          const text = readFileSync(p, "utf8");
          if (/\[\s*["'](tsc|run)["'],\s*["'](-p|build)["']|buildDistIfStale\(/.test(text)) builders.push(relative(ROOT, p));
        }
      }
    };
    walk(join(ROOT, "test"));
    expect(builders).toEqual([]);
  });
});
