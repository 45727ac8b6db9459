// Finds a libunicorn.so.2 of version >= 2.1 (ARCHITECTURE.md, "Facts about the engine"): an
// explicit path, the project's cache filled by `npm install` (fetch-unicorn.sh), then the
// system's library.

import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { projectFile } from "../../kernel-model/tables/data_path.js";

export const UNICORN_MIN: readonly [number, number] = [2, 1];

export class UnicornNotFound extends Error {}

/** Candidate library paths, most specific first, each with where it came from. */
export function unicornCandidates(): { path: string; origin: string }[] {
  const out: { path: string; origin: string }[] = [];
  const explicit = process.env.SYSGATE_UNICORN;
  if (explicit) out.push({ path: explicit, origin: "SYSGATE_UNICORN" });
  const cached = cachedLibrary();
  if (cached) out.push({ path: cached, origin: "project cache" });
  out.push({ path: "libunicorn.so.2", origin: "system" });
  return out;
}

function cacheRoot(): string {
  return projectFile(".cache", "unicorn", "root");
}

function cachedLibrary(): string | undefined {
  const lib = join(cacheRoot(), "usr", "lib");
  if (!existsSync(lib)) return undefined;
  for (const triplet of readdirSync(lib)) {
    const p = join(lib, triplet, "libunicorn.so.2");
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Where the headers of the library in use are: beside an explicit library, the cache, the system. */
export function unicornIncludeDir(): string | undefined {
  const explicit = process.env.SYSGATE_UNICORN;
  const dirs = [
    ...(explicit ? [join(dirname(explicit), "..", "..", "include", "unicorn"), join(dirname(explicit), "..", "include", "unicorn")] : []),
    join(cacheRoot(), "usr", "include", "unicorn"),
    "/usr/include/unicorn",
    "/usr/local/include/unicorn",
  ];
  return dirs.find((d) => existsSync(join(d, "unicorn.h")));
}

export const HOW_TO_GET_UNICORN =
  "sysgate needs Unicorn >= 2.1. Run `npm install` in the sysgate folder (on Debian/Ubuntu it fetches " +
  "libunicorn2t64 into .cache/unicorn), or install it yourself (Debian trixie/Ubuntu 24.04: " +
  "`apt-get install libunicorn2t64`; macOS: `brew install unicorn`) and, if it is not on the " +
  "library path, set SYSGATE_UNICORN=/path/to/libunicorn.so.2.";
