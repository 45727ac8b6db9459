// Quoting of guest strings and buffers as strace prints them: C escapes for quote, backslash
// and the five whitespace controls, the shortest octal escape for other non-printables (three
// digits when an octal digit follows, so "\0012" stays unambiguous), or \xNN for every byte
// when the buffer is binary by nature (getrandom). A string cut at -s N gets `...` after the quote.

/** strace's default -s. */
export const DEFAULT_STRLEN = 32;

const NAMED: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x0b: "\\v" };

/** The bytes between the quotes (no quotes added). */
export function escapeBytes(bytes: Uint8Array, hex = false): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (hex) {
      out += "\\x" + c.toString(16).padStart(2, "0");
      continue;
    }
    const named = NAMED[c];
    if (named) out += named;
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else {
      const next = bytes[i + 1];
      const octalFollows = i + 1 < bytes.length && next >= 0x30 && next <= 0x37;
      out += "\\" + (octalFollows ? c.toString(8).padStart(3, "0") : c.toString(8));
    }
  }
  return out;
}

/**
 * A buffer of known length (write's): the first `max` bytes quoted, `...` when there were more.
 * `hex` forces \xNN escapes (strace does this for getrandom's output).
 */
export function quoteBuffer(bytes: Uint8Array, total: number, max = DEFAULT_STRLEN, hex = false): string {
  const shown = bytes.subarray(0, Math.min(max, total, bytes.length));
  return `"${escapeBytes(shown, hex)}"${total > shown.length ? "..." : ""}`;
}

/**
 * A NUL-terminated string: `bytes` is what was read (up to max+1 bytes, without the NUL);
 * `terminated` says whether the NUL was found within it.
 */
export function quoteCString(bytes: Uint8Array, terminated: boolean, max = DEFAULT_STRLEN): string {
  const cut = bytes.length > max || !terminated;
  return `"${escapeBytes(bytes.subarray(0, Math.min(max, bytes.length)))}"${cut ? "..." : ""}`;
}
