// The committed constants are the ones of the headers of the Unicorn in use (they are generated,
// never typed by hand), the enum reader follows C's rules, and a missing library gives an error
// that says how to get one.

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { wantedConstants } from "../../emulator/cpu/gen_unicorn_const.js";
import { UC, UC_HEADER_VERSION } from "../../emulator/cpu/unicorn_const.js";
import { parseEnums } from "../../emulator/cpu/unicorn_headers.js";
import { HOW_TO_GET_UNICORN, unicornCandidates, unicornIncludeDir } from "../../emulator/cpu/unicorn_library.js";
import { unicornInfo } from "../../emulator/cpu/unicorn.js";
import { ROOT, ensureDist } from "../run/cli.js";

describe("unicorn_const.ts", () => {
  const dir = unicornIncludeDir();

  it.skipIf(!dir)("equals the constants regenerated from the headers of the Unicorn in use", () => {
    const { version, values } = wantedConstants(dir!);
    expect(values.size).toBeGreaterThan(100);
    expect(Object.fromEntries(values)).toEqual({ ...UC });
    expect([...UC_HEADER_VERSION]).toEqual(version);
  });

  it("matches the version of the library that loads (major.minor)", () => {
    const [maj, min] = unicornInfo().version.split(".").map(Number);
    expect([maj, min]).toEqual([UC_HEADER_VERSION[0], UC_HEADER_VERSION[1]]);
  });
});

describe("parseEnums", () => {
  it("reads implicit values, shifts, references, hex and parentheses, ignoring comments and #lines", () => {
    const text = `
#define UC_NOT_AN_ENUM 99
/* enum { COMMENTED = 7 } */
typedef enum uc_demo {
    A,            // 0
    B,            // 1
    C = 5,
    D,            // 6: counts on from the last explicit value
    E = 1 << 3,
    F = E | B,
    G = (1 << 2) + 1,
    H = 0x10,
    I,
} uc_demo;
enum other { J = D + 1, K = ~0 };
`;
    expect(Object.fromEntries(parseEnums(text))).toEqual({
      A: 0, B: 1, C: 5, D: 6, E: 8, F: 9, G: 5, H: 16, I: 17, J: 7, K: -1,
    });
  });

  it("refuses an unknown name or an expression it cannot evaluate", () => {
    expect(() => parseEnums("enum { X = NOPE };")).toThrow(/unknown name 'NOPE'/);
    expect(() => parseEnums("enum { X = 3 * 4 };")).toThrow(/unsupported expression/);
  });
});

describe("library resolution", () => {
  const saved = process.env.SYSGATE_UNICORN;
  afterEach(() => {
    if (saved === undefined) delete process.env.SYSGATE_UNICORN;
    else process.env.SYSGATE_UNICORN = saved;
  });

  it("tries SYSGATE_UNICORN first, then the project cache, then the system library", () => {
    process.env.SYSGATE_UNICORN = "/nowhere/libunicorn.so.2";
    const c = unicornCandidates();
    expect(c[0]).toEqual({ path: "/nowhere/libunicorn.so.2", origin: "SYSGATE_UNICORN" });
    expect(c[c.length - 1]).toEqual({ path: "libunicorn.so.2", origin: "system" });
    const origins = c.map((x) => x.origin);
    if (origins.includes("project cache")) expect(origins).toEqual(["SYSGATE_UNICORN", "project cache", "system"]);
    delete process.env.SYSGATE_UNICORN;
    expect(unicornCandidates().map((x) => x.origin)).not.toContain("SYSGATE_UNICORN");
  });

  // The real failure, in a child: a copy of the binding in a project folder without a cache, and
  // SYSGATE_UNICORN naming a missing file. It only fails when the system has no libunicorn.so.2.
  const systemHasOne = spawnSync("sh", ["-c", "ldconfig -p 2>/dev/null | grep -q 'libunicorn.so.2 '"]).status === 0;
  describe.skipIf(systemHasOne)("with a missing SYSGATE_UNICORN and no other library", () => {
    let tmp: string;
    beforeAll(() => {
      ensureDist();
      tmp = mkdtempSync(join(tmpdir(), "sysgate-nolib-"));
      writeFileSync(join(tmp, "package.json"), JSON.stringify({ name: "sysgate", type: "module" }));
      symlinkSync(join(ROOT, "node_modules"), join(tmp, "node_modules"));
      cpSync(join(ROOT, "dist", "emulator", "cpu"), join(tmp, "dist", "emulator", "cpu"), { recursive: true });
      mkdirSync(join(tmp, "dist", "kernel-model", "tables"), { recursive: true });
      cpSync(join(ROOT, "dist", "kernel-model", "tables", "data_path.js"), join(tmp, "dist", "kernel-model", "tables", "data_path.js"));
      return () => rmSync(tmp, { recursive: true, force: true });
    }, 120_000);

    it("throws UnicornNotFound naming the variable, the path, and how to get Unicorn", () => {
      const script = `
        import { unicornInfo } from "./dist/emulator/cpu/unicorn.js";
        import { UnicornNotFound } from "./dist/emulator/cpu/unicorn_library.js";
        try { console.log("LOADED " + unicornInfo().path); }
        catch (e) { console.log(e instanceof UnicornNotFound ? "NOTFOUND" : "OTHER"); console.log(e.message); }`;
      const missing = join(tmp, "missing", "libunicorn.so.2");
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
        cwd: tmp, encoding: "utf8", env: { PATH: process.env.PATH, SYSGATE_UNICORN: missing, LD_LIBRARY_PATH: join(tmp, "missing") },
      });
      expect(r.stderr).toBe("");
      const [kind, ...message] = r.stdout.trimEnd().split("\n");
      expect(kind).toBe("NOTFOUND");
      const text = message.join("\n");
      expect(text.startsWith(HOW_TO_GET_UNICORN)).toBe(true);
      expect(text).toMatch(/Unicorn >= 2\.1/);
      expect(text).toMatch(/apt-get install libunicorn2t64/);
      expect(text).toMatch(/brew install unicorn/);
      expect(text).toContain(`SYSGATE_UNICORN (${missing})`);
      expect(text).toContain("system (libunicorn.so.2)");
      expect(text).not.toContain("project cache");
    });
  });
});
