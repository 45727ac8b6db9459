// Before any test file is collected: fetch the reference corpus (Debian's busybox-static, amd64
// and i386, into .cache/corpus) and Debian's static tini (into .cache/tini, for the subreaper
// test) so every file that uses them sees them, whatever order the files run in. Files skip with
// their own message when one cannot be had (not root, no apt); the reason is printed here once.
// And build dist/ once if a source is newer than it: here, before any test file runs, because
// test files run in parallel and one rebuilding dist/ would rewrite what another is running.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildDistIfStale } from "./run/cli.js";

export default function setup(): void {
  const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
  buildDistIfStale(root);
  for (const [what, script, dest] of [["busybox-static", "fetch-busybox.sh", "corpus"], ["tini", "fetch-tini.sh", "tini"]]) {
    const r = spawnSync("bash", [join(root, "test/corpus", script), join(root, ".cache", dest)], {
      encoding: "utf8", timeout: 540_000,
    });
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" / ");
      console.warn(`test setup: ${what} could not be fetched, the tests that need it will skip: ${why}`);
    }
  }
}
