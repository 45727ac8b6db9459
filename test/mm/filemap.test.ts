// File-backed areas (mm/filemap.ts, handleFault in mm_struct.ts): a file mapping holds the file and
// reads its pages when they are first touched, so a 3 GiB file maps in a few MiB of host memory; a
// private writable mapping copies on write and never changes the file; a page wholly past the end
// of the file is SIGBUS. Each program is built from test/mm/src with gcc (-m32 for i386) and runs
// natively and through sysgate: the native run is the expected output.

import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, ensureDist, sysgate } from "../run/cli.js";
import { hasGcc, hasGcc32 } from "../vdso/toolchain.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "src");
const native = process.platform === "linux" && process.arch === "x64";
const canBuild = { 64: native && hasGcc, 32: native && hasGcc32 } as const;
const hasTime = existsSync("/usr/bin/time");

let dir: string;
beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), "sysgate-filemap-"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** src/<name>.c as a static program of `bits`. */
function program(name: string, bits: 64 | 32): string {
  const out = join(dir, `${name}-${bits}`);
  if (existsSync(out)) return out;
  const r = spawnSync("gcc", [bits === 32 ? "-m32" : "-m64", "-static", "-O1", "-Wall", "-o", out, join(SRC, `${name}.c`)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gcc ${name}.c (${bits}-bit) failed:\n${r.stderr}`);
  return out;
}

/** A fresh directory for one run's files. */
function workDir(name: string): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d);
  return d;
}

/** Exit status as a shell shows it: 128 + signal for a death by signal. */
const SIGNUMS: Record<string, number> = { SIGBUS: 7, SIGSEGV: 11, SIGKILL: 9 };
const status = (r: { status: number | null; signal: NodeJS.Signals | null }) => (r.signal ? 128 + SIGNUMS[r.signal] : r.status);

const GiB = 2 ** 30;
const SIZE = 3 * GiB + 100; // the last page is partly past the end of the file
const MARKERS = [[0, "START000"], [2.5 * GiB, "MIDDLE25"], [SIZE - 20, "THE-END!"]] as const;

describe.each([64, 32] as const)("file mappings (%i-bit)", (bits) => {
  it.skipIf(!canBuild[bits] || !hasTime)("a read-only private mapping of a sparse 3 GiB file reads its markers; the host stays small", () => {
    const file = join(workDir(`big-${bits}`), "sparse");
    expect(spawnSync("truncate", ["-s", String(SIZE), file]).status).toBe(0); // sparse: no blocks but the markers'
    const fd = openSync(file, "r+");
    for (const [off, text] of MARKERS) writeSync(fd, text, off);
    closeSync(fd);
    const argv = [program("bigmap", bits), file, ...MARKERS.map(([off]) => String(off))];
    const n = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
    expect(n.status, n.stderr).toBe(0);
    for (const [off, text] of MARKERS) expect(n.stdout).toContain(`${off}: ${text}`);
    // the peak RSS of the node process running sysgate (GNU time's %M, KiB)
    const r = spawnSync("/usr/bin/time", ["-f", "MAXRSS %M", process.execPath, CLI, "run", "-q", ...argv], { encoding: "utf8", cwd: ROOT, timeout: 120_000 });
    expect(r.stdout, r.stderr).toBe(n.stdout);
    const rss = Number(/MAXRSS (\d+)/.exec(r.stderr)?.[1]);
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThan(400 * 1024); // a mapping read whole would hold 1-3 GiB
  }, 150_000);

  it.skipIf(!canBuild[bits])("a private writable mapping of a file the guest wrote copies on write and leaves the file alone", () => {
    const argv = [program("privmap", bits), workDir(`priv-${bits}`)];
    const n = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
    expect(n.stdout).toContain("file (23 bytes): original file contents");
    const s = sysgate(["run", "-q", ...argv]);
    expect(s.stderr).toBe("");
    expect([s.stdout, s.status]).toEqual([n.stdout, n.status]);
  }, 60_000);

  it.skipIf(!canBuild[bits])("past the end of the file: zeros in its last page, SIGBUS beyond it, EFAULT for the kernel", () => {
    const argv = [program("sigbus", bits), workDir(`bus-${bits}`)];
    const n = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
    expect(status(n)).toBe(128 + 7);
    expect(n.stdout).toContain("signal 7 code 2 at offset 8209");
    const s = sysgate(["run", "-q", ...argv]);
    expect([s.stdout, status(s)]).toEqual([n.stdout, status(n)]);
  }, 60_000);
});

describe.each([64, 32] as const)("AT_EXECFN under --root (%i-bit)", (bits) => {
  it.skipIf(!canBuild[bits])("is the program's path inside the root, as the guest would have exec'd it", () => {
    const root = workDir(`root-${bits}`);
    mkdirSync(join(root, "bin"));
    const prog = join(root, "bin", "execfn");
    spawnSync("cp", [program("execfn", bits), prog]);
    const s = sysgate(["run", "-q", "--root", root, "/bin/execfn"]);
    expect(s.stderr).toBe("");
    expect(s.stdout).toBe("/bin/execfn\n");
    // natively, where chroot is allowed
    const n = spawnSync("chroot", [root, "/bin/execfn"], { encoding: "utf8" });
    if (n.status === 0) expect(s.stdout).toBe(n.stdout);
    // and without --root, the path as given
    expect(sysgate(["run", "-q", prog]).stdout).toBe(`${prog}\n`);
  }, 60_000);
});
