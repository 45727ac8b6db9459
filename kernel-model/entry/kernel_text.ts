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
  /** The symbol at or before `addr` inside this text, with the offset: `entry_SYSCALL_64+0x1c`. */
  describe(addr: bigint): string | undefined;
}

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
  const sorted = [...symbols].filter(([n]) => !n.includes(".")).sort((a, b) => (a[1] < b[1] ? -1 : 1));
  const base = sorted[0][1];
  const text: KernelText = {
    name, base, bytes, symbols,
    sym(n) {
      const v = symbols.get(n);
      if (v === undefined) throw new Error(`${name}: no symbol ${n}`);
      return v;
    },
    describe(addr) {
      if (addr < base || addr >= base + BigInt(bytes.length)) return undefined;
      let best: [string, bigint] | undefined;
      for (const s of sorted) if (s[1] <= addr) best = s;
      if (!best) return undefined;
      const off = addr - best[1];
      return off ? `${best[0]}+0x${off.toString(16)}` : best[0];
    },
  };
  cache.set(name, text);
  return text;
}
