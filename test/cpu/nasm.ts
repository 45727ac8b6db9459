// Assembling tiny test programs with nasm into a scratch folder (the tests that need it skip
// with a message when nasm is not installed).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const hasTool = (cmd: string): boolean => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
export const HAVE_NASM = hasTool("nasm");

/** Flat binary: `source` assembled with `nasm -f bin` (it sets its own BITS/org). */
export function nasmBin(source: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "sysgate-nasm-"));
  try {
    writeFileSync(join(dir, "t.asm"), source);
    const r = spawnSync("nasm", ["-f", "bin", "-o", join(dir, "t.bin"), join(dir, "t.asm")], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`nasm failed: ${r.stderr}`);
    return readFileSync(join(dir, "t.bin"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A static x86-64 ELF executable from nasm source (`nasm -f elf64` + `ld -static`), written to `out`. */
export function nasmElf64(source: string, out: string): void {
  const dir = mkdtempSync(join(tmpdir(), "sysgate-nasm-"));
  try {
    writeFileSync(join(dir, "t.asm"), source);
    const a = spawnSync("nasm", ["-f", "elf64", "-o", join(dir, "t.o"), join(dir, "t.asm")], { encoding: "utf8" });
    if (a.status !== 0) throw new Error(`nasm failed: ${a.stderr}`);
    const l = spawnSync("ld", ["-static", "-o", out, join(dir, "t.o")], { encoding: "utf8" });
    if (l.status !== 0) throw new Error(`ld failed: ${l.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A static i386 ELF executable from nasm source (`nasm -f elf32` + `ld -m elf_i386 -static`), written to `out`. */
export function nasmElf32(source: string, out: string): void {
  const dir = mkdtempSync(join(tmpdir(), "sysgate-nasm32-"));
  try {
    writeFileSync(join(dir, "t.asm"), source);
    const a = spawnSync("nasm", ["-f", "elf32", "-o", join(dir, "t.o"), join(dir, "t.asm")], { encoding: "utf8" });
    if (a.status !== 0) throw new Error(`nasm failed: ${a.stderr}`);
    const l = spawnSync("ld", ["-m", "elf_i386", "-static", "-o", out, join(dir, "t.o")], { encoding: "utf8" });
    if (l.status !== 0) throw new Error(`ld -m elf_i386 failed: ${l.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
