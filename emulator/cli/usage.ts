/** Bad command-line input: one line to stderr and exit status 2. */
export class UsageError extends Error {}

/** "512M", "2G", "1048576" → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`cannot read size '${text}' (use e.g. 512M or 2G)`);
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2]?.[0] ?? "").toLowerCase() as "k" | "m" | "g"] ?? 1;
  return Number(m[1]) * mult;
}

/** A whole number of at least `min`, for options such as --max-procs. */
export function parseCount(option: string, text: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${option} takes a whole number of at least ${min}, not '${text}'`);
  return Number(text);
}
