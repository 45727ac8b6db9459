// kernel-model/uapi/ against this machine's Linux uapi headers (linux-libc-dev): every constant a
// file exports must have the value its header (the file's path, .h for .ts) gives the same name.
// The trace tables and the model import these, so this is what keeps their numbers right.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../run/cli.js";

const UAPI = join(ROOT, "kernel-model", "uapi");
const hasGcc = spawnSync("gcc", ["--version"]).status === 0;
const version = (() => {
  try {
    const m = /LINUX_VERSION_CODE (\d+)/.exec(readFileSync("/usr/include/linux/version.h", "utf8"));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
})();
const KV = (a: number, b: number) => (a << 16) + (b << 8);
/** Constants newer than some headers: a host whose headers predate the version may lack them. */
const SINCE: Record<string, number> = {
  ARCH_SHSTK_ENABLE: KV(6, 6), ARCH_SHSTK_DISABLE: KV(6, 6), ARCH_SHSTK_LOCK: KV(6, 6), ARCH_SHSTK_UNLOCK: KV(6, 6),
  ARCH_SHSTK_STATUS: KV(6, 6), AT_RSEQ_FEATURE_SIZE: KV(6, 3), AT_RSEQ_ALIGN: KV(6, 3),
};

/** Names the header gives only to a 32-bit build (`gcc -m32`, from gcc-multilib). */
const I386_ONLY = new Set(["F_GETLK64", "F_SETLK64", "F_SETLKW64", "AT_SYSINFO"]);
/** Names kept with the file that uses them although user space sees them in another header. */
const ELSEWHERE: Record<string, string> = { _NSIG: "asm-generic/signal.h" };
const hasGcc32 = hasGcc && (() => {
  const dir = mkdtempSync(join(tmpdir(), "sysgate-m32-"));
  try {
    writeFileSync(join(dir, "t.c"), "#include <asm/types.h>\nint main(void) { return 0; }\n");
    return spawnSync("gcc", ["-m32", "-o", join(dir, "t"), join(dir, "t.c")]).status === 0;
  } finally { rmSync(dir, { recursive: true, force: true }); }
})();

const files: string[] = [];
(function walk(dir: string) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(dir, e.name));
    else if (e.name.endsWith(".ts") && dir !== UAPI) files.push(relative(UAPI, join(dir, e.name)));
  }
})(UAPI);

/** The module's constants: exported numbers and bigints, and the entries of exported objects of them (AT, E). */
function constants(mod: Record<string, unknown>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [k, v] of Object.entries(mod)) {
    if (typeof v === "number" || typeof v === "bigint") out.set(k, BigInt(v));
    else if (v && typeof v === "object") {
      for (const [k2, v2] of Object.entries(v)) if (typeof v2 === "number") out.set(k2, BigInt(v2));
    }
  }
  return out;
}

const work = hasGcc ? mkdtempSync(join(tmpdir(), "sysgate-uapi-")) : "";
afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/** What the header gives each name (undefined: not declared there). No libc header is included: glibc's hide some of the kernel's (linux/stat.h's S_IF*). */
function fromHeader(header: string, names: string[], flags: string[] = []): Map<string, bigint | undefined> {
  const result = new Map<string, bigint | undefined>();
  if (names.length === 0) return result;
  let missing = new Set<string>();
  for (let attempt = 0; attempt < 2; attempt++) {
    const src = [`#include <${header}>`, "int printf(const char *, ...);", "int main(void) {"];
    for (const n of names) {
      if (!missing.has(n)) src.push(`  printf("${n} %lld %llu\\n", (long long)(${n}), (unsigned long long)(${n}));`);
    }
    src.push("  return 0;", "}");
    const c = join(work, "u.c"), exe = join(work, "u");
    writeFileSync(c, src.join("\n") + "\n");
    const cc = spawnSync("gcc", ["-w", ...flags, "-o", exe, c], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
    if (cc.status !== 0) {
      const undeclared = [...cc.stderr.matchAll(/'(\w+)' undeclared/g)].map((m) => m[1]);
      if (attempt === 0 && undeclared.length) { missing = new Set(undeclared); continue; }
      throw new Error(`gcc <${header}>:\n${cc.stderr.slice(0, 2000)}`);
    }
    const run = spawnSync(exe, { encoding: "utf8" });
    for (const line of run.stdout.trim().split("\n")) {
      const [n, s, u] = line.split(" ");
      // a negative int is signed in both; a large unsigned (1U << 31) compares by its 32 or 64 bits
      result.set(n, s.startsWith("-") ? BigInt(s) : BigInt(u));
    }
    for (const n of missing) result.set(n, undefined);
    return result;
  }
  return result;
}

const same = (js: bigint, c: bigint) =>
  js === c || BigInt.asUintN(64, js) === BigInt.asUintN(64, c) ||
  (js >= -(1n << 31n) && js < 1n << 32n && BigInt.asUintN(32, js) === BigInt.asUintN(32, c));

if (hasGcc && !hasGcc32) console.warn(`test/uapi/headers: no gcc -m32 (gcc-multilib): ${[...I386_ONLY].join(", ")} not checked`);

describe.skipIf(!hasGcc)("uapi constants equal Linux's headers", () => {
  for (const file of files) {
    const header = file.replace(/\.ts$/, ".h");
    it(`${file} = <${header}>`, async () => {
      const mine = constants(await import(join(UAPI, file)));
      expect(mine.size).toBeGreaterThan(0);
      const names = [...mine.keys()];
      const theirs = fromHeader(header, names.filter((n) => !I386_ONLY.has(n) && !ELSEWHERE[n]));
      if (hasGcc32) for (const [n, c] of fromHeader(header, names.filter((n) => I386_ONLY.has(n)), ["-m32"])) theirs.set(n, c);
      for (const n of names.filter((n) => ELSEWHERE[n])) theirs.set(n, fromHeader(ELSEWHERE[n], [n]).get(n));
      const wrong: string[] = [];
      for (const [n, v] of mine) {
        if (I386_ONLY.has(n) && !hasGcc32) continue; // said once below
        const c = theirs.get(n);
        if (c === undefined) {
          if (!(SINCE[n] > version)) wrong.push(`${n}: not in <${header}>`);
        } else if (!same(v, c)) wrong.push(`${n}: ${v} here, ${c} in <${header}>`);
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe("trace/xlat.ts names only uapi constants", () => {
  it("every [name, value] of its tables is the uapi constant of that name", async () => {
    const all = new Map<string, bigint>();
    for (const f of files) for (const [n, v] of constants(await import(join(UAPI, f)))) all.set(n, v);
    const { R_OK, W_OK, X_OK } = await import("../../kernel-model/fs/fcntl.js"); // unistd.h's, kept with the kernel's fs/ side
    Object.entries({ R_OK, W_OK, X_OK }).forEach(([n, v]) => all.set(n, BigInt(v)));
    const xlat = await import("../../kernel-model/trace/xlat.js");
    const wrong: string[] = [];
    let checked = 0;
    for (const [table, rows] of Object.entries(xlat)) {
      if (!Array.isArray(rows)) continue;
      for (const [name, value] of rows as [string, number][]) {
        checked++;
        const u = all.get(name);
        if (u === undefined) wrong.push(`${table}: ${name} is no uapi constant`);
        else if (!same(BigInt(value), u)) wrong.push(`${table}: ${name} = ${value}, uapi says ${u}`);
      }
    }
    expect(checked).toBeGreaterThan(200);
    expect(wrong).toEqual([]);
  });
});
