// Files sysgate cannot run: each gives exactly one line on stderr that says why, no stack trace,
// and a non-zero exit status, through the real command line.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";

const SAMPLE = join(ROOT, "samples", "bin", "x86_64", "hello-glibc");

/** A dynamically linked program of the host (any will do): the first of these with a PT_INTERP. */
function hostDynamic(): string | undefined {
  for (const p of ["/bin/true", "/usr/bin/true", "/bin/ls", process.execPath]) {
    const r = spawnSync("sh", ["-c", `readelf -lW '${p}' 2>/dev/null | grep -q 'Requesting program interpreter'`]);
    if (r.status === 0) return p;
  }
  return undefined;
}

/** The first PT_LOAD with file contents past the headers, from the program headers of an ELF64. */
function secondLoad(f: Buffer): { offset: number; filesz: number } {
  const phoff = Number(f.readBigUInt64LE(32)), phentsize = f.readUInt16LE(54), phnum = f.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const offset = Number(f.readBigUInt64LE(p + 8)), filesz = Number(f.readBigUInt64LE(p + 32));
    if (f.readUInt32LE(p) === 1 && offset > 0 && filesz > 0x1000) return { offset, filesz };
  }
  throw new Error("no suitable PT_LOAD");
}

describe("bad ELF files through `sysgate run`", () => {
  let dir: string;
  beforeAll(() => {
    ensureDist();
    dir = mkdtempSync(join(tmpdir(), "sysgate-badelf-"));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function expectOneLine(path: string, why: RegExp): string {
    const r = sysgate(["run", path]);
    expect(r.signal).toBeNull();
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBe(70); // not sysgate's "internal error"
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n").filter((l) => l !== "");
    expect(lines, r.stderr).toHaveLength(1);
    expect(r.stderr.endsWith("\n")).toBe(true);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/internal error|Error:/);
    expect(lines[0]).toContain(path);
    expect(lines[0]).toMatch(why);
    return lines[0];
  }

  it("a text file: not an ELF file", () => {
    const p = join(dir, "notes.txt");
    writeFileSync(p, "just some text\n");
    expectOneLine(p, /not an ELF/);
  });

  it("an empty file: not an ELF file", () => {
    const p = join(dir, "empty");
    writeFileSync(p, "");
    expectOneLine(p, /not an ELF/);
  });

  it("cut at 30 bytes: truncated, inside the ELF header", () => {
    const p = join(dir, "cut30");
    writeFileSync(p, readFileSync(SAMPLE).subarray(0, 30));
    expectOneLine(p, /truncated/);
  });

  it("cut in the middle of a PT_LOAD segment: truncated", () => {
    const f = readFileSync(SAMPLE);
    const load = secondLoad(f);
    const p = join(dir, "cut-in-load");
    writeFileSync(p, f.subarray(0, load.offset + Math.floor(load.filesz / 2)));
    expectOneLine(p, /truncated/);
  });

  it("wrong machine (e_machine patched to 183, AArch64)", () => {
    const f = Buffer.from(readFileSync(SAMPLE));
    f.writeUInt16LE(183, 18);
    const p = join(dir, "aarch64");
    writeFileSync(p, f);
    const line = expectOneLine(p, /machine/);
    expect(line).toMatch(/AArch64|183/);
    expect(line).toMatch(/x86-64/);
  });

  const dyn = hostDynamic();
  it.skipIf(!dyn)(`a dynamically linked host program (${dyn ?? "none found"}): only static binaries, and why`, () => {
    const line = expectOneLine(dyn!, /dynamically linked/);
    expect(line).toMatch(/static/);
    expect(line).toMatch(/because|no dynamic loader|interpreter/);
  });

  it("a directory", () => {
    const p = join(dir, "adir");
    mkdirSync(p);
    expectOneLine(p, /directory/);
  });

  it("a missing file", () => {
    expectOneLine(join(dir, "does-not-exist"), /no such file|not found/i);
  });
});
