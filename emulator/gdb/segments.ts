// The base of a protected-mode segment, read from its descriptor (SDM vol. 3A, 3.4.5
// "Segment Descriptors": base 15:0 in bytes 2-3, 23:16 in byte 4, 31:24 in byte 7). An i386
// process's TLS lives there (set_thread_area fills GDT entries 6-8), so gdb's fs_base/gs_base
// for i386 come from the GDT rather than from a base register.

/** `read` reads kernel memory (the GDT is kernel data); a null or LDT selector has base 0 here. */
export function decodeSegmentBase(selector: number, gdtBase: bigint, read: (va: bigint, n: number) => Buffer | undefined): bigint {
  const index = selector >> 3;
  if (index === 0 || selector & 4) return 0n;
  const d = read(gdtBase + BigInt(index * 8), 8);
  if (!d) return 0n;
  return BigInt(d.readUInt16LE(2) | (d[4] << 16) | (d[7] << 24 >>> 0)) & 0xffffffffn;
}
