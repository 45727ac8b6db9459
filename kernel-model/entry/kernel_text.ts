// The assembled kernel entry text (entry_64.bin / entry_32.bin, built from the .asm sources
// beside them by build.sh) and its symbols, read from the nasm map file.

import { readFileSync } from "node:fs";
import { projectFile } from "../tables/data_path.js";

export interface KernelText {
  readonly name: string;
  readonly base: bigint;
  readonly bytes: Buffer;
  readonly symbols: ReadonlyMap<string, bigint>;
  /** Address of a symbol; throws for a name the source does not define. */
  sym(name: string): bigint;
  /** The vector of the model call at a symbol: the `int n` there (model_call.inc); throws if it is not one. */
  modelCall(name: string): number;
}

const INT_IMM8 = 0xcd;

/** Reads the "Real Virtual Name" rows of a nasm map file. */
export function parseNasmMap(map: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const m of map.matchAll(/^\s*([0-9A-F]{8,16})\s+([0-9A-F]{8,16})\s+(\S+)\s*$/gm)) out.set(m[3], BigInt("0x" + m[2]));
  return out;
}

const cache = new Map<string, KernelText>();

export function kernelText(name: "entry_64" | "entry_32"): KernelText {
  const hit = cache.get(name);
  if (hit) return hit;
  const bytes = readFileSync(projectFile("kernel-model", "entry", `${name}.bin`));
  const symbols = parseNasmMap(readFileSync(projectFile("kernel-model", "entry", `${name}.map`), "utf8"));
  const base = [...symbols.values()].reduce((a, b) => (b < a ? b : a)); // the org of the text
  const text: KernelText = {
    name, base, bytes, symbols,
    sym(n) {
      const v = symbols.get(n);
      if (v === undefined) throw new Error(`${name}: no symbol ${n}`);
      return v;
    },
    modelCall(n) {
      const at = Number(this.sym(n) - base);
      if (bytes[at] !== INT_IMM8) throw new Error(`${name}: ${n} is not a model call (int n)`);
      return bytes[at + 1];
    },
  };
  cache.set(name, text);
  return text;
}
