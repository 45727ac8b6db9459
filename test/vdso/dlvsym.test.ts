// The host's glibc dynamic loader accepts the images as shared objects and finds every export
// under its version (and nothing under a wrong one): the same lookup glibc makes in the vDSO.

import { expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { vdsoImage, vdsoImagePath } from "../../kernel-model/vdso/vdso_image.js";
import { hasGcc, hasGcc32, whyNot32 } from "./toolchain.js";

const HERE = dirname(fileURLToPath(import.meta.url));

const CASES = [
  { abi: "x86_64" as const, m: "-m64", ok: hasGcc, why: "gcc not found", version: (_: string) => "LINUX_2.6" },
  { abi: "i386" as const, m: "-m32", ok: hasGcc32, why: whyNot32(), version: (n: string) => (n.startsWith("__kernel_") ? "LINUX_2.5" : "LINUX_2.6") },
];

for (const { abi, m, ok, why, version } of CASES) {
  it.skipIf(!ok)(`glibc's loader resolves the ${abi} exports by version${ok ? "" : ` (SKIPPED: ${why})`}`, () => {
    const exe = join(mkdtempSync(join(tmpdir(), "sysgate-dlvsym-")), "dlvsym");
    const c = spawnSync("gcc", [m, "-o", exe, join(HERE, "dlvsym.c"), "-ldl"], { encoding: "utf8" });
    expect(c.status, c.stderr).toBe(0);
    const img = vdsoImage(abi);
    const wrong = (v: string) => (v === "LINUX_2.6" ? "LINUX_2.5" : "LINUX_2.6");
    const args = [...img.symbols.keys()].flatMap((n) => [n, version(n), n, wrong(version(n))]);
    const r = spawnSync(exe, [vdsoImagePath(abi), ...args, "__vdso_nothing", "LINUX_2.6"], { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const got = new Map(r.stdout.trim().split("\n").map((l) => l.split(" ") as [string, string]));
    for (const [name, off] of img.symbols) {
      expect(got.get(`${name}@${version(name)}`), name).toBe(String(off));
      expect(got.get(`${name}@${wrong(version(name))}`), `${name} under the wrong version`).toBe("-");
    }
    expect(got.get("__vdso_nothing@LINUX_2.6")).toBe("-");
  });
}
