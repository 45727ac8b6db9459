// The kernel text that runs is what its source says: build.sh reassembles every entry_*.asm into
// a scratch folder and the bytes and symbol map must equal the committed ones. And the layout the
// assembler sees (layout_64.inc) is the one the TypeScript model uses (boot/layout_64.ts).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as L from "../../kernel-model/boot/layout_64.js";
import { IDT_TRAPS } from "../../kernel-model/entry/idtentry.js";
import { E } from "../../kernel-model/errno.js";
import { HAVE_NASM } from "../cpu/nasm.js";
import { ROOT } from "../run/cli.js";

const ENTRY = join(ROOT, "kernel-model", "entry");
const ASM = readdirSync(ENTRY).filter((f) => f.endsWith(".asm"));
/** Files another source %includes (entry_64_compat.asm is part of the x86-64 text) are no text of their own. */
const INCLUDED = new Set(ASM.flatMap((f) => [...readFileSync(join(ENTRY, f), "utf8").matchAll(/^\s*%include\s+"([^"]+\.asm)"/gm)].map((m) => m[1])));
const SOURCES = ASM.filter((f) => !INCLUDED.has(f)).map((f) => f.slice(0, -4));

if (!HAVE_NASM) console.warn("entry_bytes: nasm is not installed (apt-get install nasm): the reassembly checks are skipped");

describe.skipIf(!HAVE_NASM)("build.sh reproduces the committed kernel text", () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "sysgate-entry-"));
    const r = spawnSync("bash", [join(ENTRY, "build.sh"), out], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`build.sh failed:\n${r.stderr}`);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("there is at least the x86-64 entry source", () => {
    expect(SOURCES).toContain("entry_64");
  });

  for (const name of SOURCES) {
    it(`${name}.bin is byte for byte the assembled ${name}.asm`, () => {
      expect(existsSync(join(out, `${name}.bin`)), `build.sh did not produce ${name}.bin`).toBe(true);
      const built = readFileSync(join(out, `${name}.bin`));
      const committed = readFileSync(join(ENTRY, `${name}.bin`));
      expect(built.length).toBe(committed.length);
      expect(built.equals(committed)).toBe(true);
    });
    it(`${name}.map is the map nasm writes for it`, () => {
      expect(readFileSync(join(out, `${name}.map`), "utf8")).toBe(readFileSync(join(ENTRY, `${name}.map`), "utf8"));
    });
  }
});

/** `%define NAME VALUE` lines of a nasm include, values as numbers (comments after `;` dropped). */
function parseDefines(text: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split("\n")) {
    const m = /^\s*%define\s+(\w+)\s+([^;]+?)\s*(;.*)?$/.exec(line);
    if (!m) continue;
    if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(m[2])) throw new Error(`layout_64.inc: ${m[1]} is not a plain number: '${m[2]}'`);
    out.set(m[1], BigInt(m[2]));
  }
  return out;
}

describe("layout_64.inc agrees with boot/layout_64.ts", () => {
  const defines = parseDefines(readFileSync(join(ENTRY, "layout_64.inc"), "utf8"));

  it("defines what the entry code uses", () => {
    for (const n of ["KERNEL_TEXT_START", "__KERNEL_CS", "__KERNEL_DS", "__USER32_CS", "__USER_DS", "__USER_CS",
      "GDT_ENTRY_TSS", "PER_CPU_USER_RSP", "PER_CPU_TOP_OF_STACK"]) expect(defines.has(n), n).toBe(true);
  });

  for (const [name, value] of defines) {
    it(`${name} = 0x${value.toString(16)}`, () => {
      // errno values come from the errno table, everything else from the layout module
      const ts = name === "ENOSYS" ? E.ENOSYS : (L as Record<string, unknown>)[name];
      expect(ts, `boot/layout_64.ts exports no ${name}`).toBeDefined();
      expect(BigInt(ts as bigint | number)).toBe(value);
    });
  }

  it("the selectors follow Linux's segment.h (index * 8 + RPL)", () => {
    expect([L.__KERNEL_CS, L.__KERNEL_DS, L.__USER32_CS, L.__USER_DS, L.__USER_CS]).toEqual([0x10, 0x18, 0x23, 0x2b, 0x33]);
  });
});

describe("idt_vectors.inc agrees with entry/idtentry.ts", () => {
  it("the same vectors, names and error-code flags, in the same order", () => {
    const inc = readFileSync(join(ROOT, "kernel-model", "entry", "idt_vectors.inc"), "utf8");
    const rows = [...inc.matchAll(/^\s*%1\s+(\d+),\s*(\w+),\s*([01])\s*$/gm)].map((m) => ({
      vector: Number(m[1]), stub: `asm_exc_${m[2]}`, handler: `exc_${m[2]}`, errorCode: m[3] === "1",
    }));
    expect(rows.length).toBeGreaterThan(10);
    expect(rows).toEqual(IDT_TRAPS.map(({ vector, stub, handler, errorCode }) => ({ vector, stub, handler, errorCode })));
  });
});
