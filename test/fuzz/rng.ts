// A small seeded generator (xorshift128+ over BigInt-free 32-bit halves) so that a case is the
// same bytes for the same (seed, index) on every machine: a reproducer is its seed and index.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** One stream per (seed, index): the case generators never share state. */
  constructor(seed: number, index = 0) {
    // splitmix32 of the two numbers spreads near seeds apart
    const mix = (x: number) => {
      x = (x + 0x9e3779b9) | 0;
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
      return (x ^ (x >>> 16)) >>> 0;
    };
    this.a = mix(seed);
    this.b = mix(this.a ^ index);
    this.c = mix(this.b + 0x632be5ab);
    this.d = mix(this.c ^ 0x7f4a7c15) | 1;
  }

  /** xoshiro128** */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** 0 <= n < max */
  int(max: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * max);
  }

  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
