// The framing of the GDB remote serial protocol ("Overview" and "Packets" in the GDB manual,
// appendix "Remote Protocol"): `$data#cs` where cs is the sum of the data bytes modulo 256 in
// two hex digits; `}` escapes `#`, `$`, `}` and `*` as the byte XOR 0x20; `*` after a byte
// repeats it (run-length encoding, which gdb may send in binary data and which we never send);
// `+` / `-` acknowledge a packet unless QStartNoAckMode turned that off; a lone 0x03 byte
// outside a packet is the interrupt request.

export const INTERRUPT = 0x03;

export function checksum(data: Buffer): number {
  let s = 0;
  for (const b of data) s = (s + b) & 0xff;
  return s;
}

/** `$data#cs` with the bytes that need it escaped. */
export function frame(data: Buffer | string): Buffer {
  const raw = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  const out: number[] = [0x24];
  for (const b of raw) {
    if (b === 0x23 || b === 0x24 || b === 0x7d || b === 0x2a) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  const body = Buffer.from(out.slice(1));
  return Buffer.concat([Buffer.from([0x24]), body, Buffer.from(`#${checksum(body).toString(16).padStart(2, "0")}`, "latin1")]);
}

/** Undoes `}` escapes and `*` run lengths of a received packet body. */
export function unescape(body: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (b === 0x7d && i + 1 < body.length) out.push(body[++i] ^ 0x20);
    else if (b === 0x2a && out.length && i + 1 < body.length) {
      // the count is the next byte minus 29: the previous byte appears that many more times
      const n = body[++i] - 29;
      const prev = out[out.length - 1];
      for (let k = 0; k < n && k < 1 << 16; k++) out.push(prev);
    } else out.push(b);
  }
  return Buffer.from(out);
}

export type Incoming =
  | { kind: "packet"; data: Buffer }
  | { kind: "bad-checksum" }
  | { kind: "ack" }
  | { kind: "nak" }
  | { kind: "interrupt" };

/** Packets longer than this are garbage: the reader drops them rather than growing without bound. */
export const MAX_PACKET = 1 << 20;

/**
 * Splits the byte stream from gdb into packets, acknowledgements and interrupts. Bytes outside a
 * packet that are none of these (line noise) are skipped, as the protocol allows.
 */
export class PacketReader {
  private buf: number[] = [];
  private state: "idle" | "body" | "cs1" | "cs2" = "idle";
  private cs = "";

  push(chunk: Buffer): Incoming[] {
    const out: Incoming[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case "idle":
          if (b === 0x24) { this.state = "body"; this.buf = []; }
          else if (b === 0x2b) out.push({ kind: "ack" });
          else if (b === 0x2d) out.push({ kind: "nak" });
          else if (b === INTERRUPT) out.push({ kind: "interrupt" });
          break;
        case "body":
          if (b === 0x23) { this.state = "cs1"; this.cs = ""; }
          else if (b === 0x24) this.buf = []; // a new start: the partial packet was noise
          else if (this.buf.length >= MAX_PACKET) { this.state = "idle"; this.buf = []; out.push({ kind: "bad-checksum" }); }
          else this.buf.push(b);
          break;
        case "cs1":
        case "cs2": {
          this.cs += String.fromCharCode(b);
          if (this.state === "cs1") { this.state = "cs2"; break; }
          this.state = "idle";
          const body = Buffer.from(this.buf);
          this.buf = [];
          const want = /^[0-9a-fA-F]{2}$/.test(this.cs) ? parseInt(this.cs, 16) : -1;
          if (want !== checksum(body)) out.push({ kind: "bad-checksum" });
          else out.push({ kind: "packet", data: unescape(body) });
          break;
        }
      }
    }
    return out;
  }
}

/** Hex of bytes (the `m` reply, qXfer annexes, stop-reply strings). */
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Bytes from hex; undefined when the text is not an even run of hex digits. */
export function fromHex(text: string): Buffer | undefined {
  if (text.length % 2 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return Buffer.from(text, "hex");
}
