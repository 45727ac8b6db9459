// Reads the C enums of Unicorn's public headers (unicorn/unicorn.h, unicorn/x86.h), so the
// constants sysgate passes to the engine are the ones of the version it loads, never typed by hand.

/** Every enumerator of every `enum` in `text`, with C's rules: implicit values count up from the last. */
export function parseEnums(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const src = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "").replace(/^\s*#.*$/gm, "");
  for (const m of src.matchAll(/\benum\b[^{;]*\{([^}]*)\}/g)) {
    let next = 0;
    for (const raw of m[1].split(",")) {
      const item = raw.trim();
      if (!item) continue;
      const eq = item.indexOf("=");
      const name = (eq < 0 ? item : item.slice(0, eq)).trim();
      if (!/^[A-Za-z_]\w*$/.test(name)) throw new Error(`unicorn header: cannot read enumerator '${item}'`);
      const value = eq < 0 ? next : evalConstExpr(item.slice(eq + 1), out);
      out.set(name, value);
      next = value + 1;
    }
  }
  return out;
}

/** Integer constant expressions as the headers write them: literals, names, << | + - ~ and parentheses. */
function evalConstExpr(expr: string, known: Map<string, number>): number {
  const tokens = expr.match(/0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|<<|>>|[|&+\-~()]/g) ?? [];
  const rest = expr.replace(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[|&+\-~()\s]/g, "");
  if (rest) throw new Error(`unicorn header: unsupported expression '${expr.trim()}'`);
  let i = 0;
  const primary = (): number => {
    const t = tokens[i++];
    if (t === "(") { const v = or(); i++; return v; }
    if (t === "~") return ~primary();
    if (t === "-") return -primary();
    if (/^\d|^0[xX]/.test(t)) return Number(t.replace(/[uUlL]+$/, ""));
    const v = known.get(t);
    if (v === undefined) throw new Error(`unicorn header: unknown name '${t}' in '${expr.trim()}'`);
    return v;
  };
  const sum = (): number => {
    let v = primary();
    while (tokens[i] === "+" || tokens[i] === "-") v = tokens[i++] === "+" ? v + primary() : v - primary();
    return v;
  };
  const shift = (): number => {
    let v = sum();
    while (tokens[i] === "<<" || tokens[i] === ">>") v = tokens[i++] === "<<" ? v << sum() : v >> sum();
    return v;
  };
  const and = (): number => { let v = shift(); while (tokens[i] === "&") { i++; v &= shift(); } return v; };
  const or = (): number => { let v = and(); while (tokens[i] === "|") { i++; v |= and(); } return v; };
  return or();
}

/** The UC_API_MAJOR/MINOR/PATCH the header declares. */
export function headerVersion(unicornH: string): [number, number, number] {
  const get = (n: string) => Number(new RegExp(`#define\\s+UC_API_${n}\\s+(\\d+)`).exec(unicornH)?.[1] ?? NaN);
  return [get("MAJOR"), get("MINOR"), get("PATCH")];
}
