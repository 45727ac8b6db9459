// Names for addresses: the program's ELF symbols, the vDSO's exports and the kernel text's
// labels, so events, traces and the terminal UI can say `__libc_write+0x14` or `entry_SYSCALL_64`.

export interface Sym { name: string; address: bigint; size: number }

export class SymbolTable {
  private sorted: Sym[] = [];
  private byName = new Map<string, Sym>();
  /** The two collections are shared with another table (see copyOf): the first add() copies them. */
  private shared = false;

  /**
   * A table that starts with `base`'s symbols, copied only when one is added: every address space
   * starts with the kernel's names, and a fork's or a known program's replaces its table at once.
   */
  static copyOf(base: SymbolTable): SymbolTable {
    const t = new SymbolTable();
    base.sort();
    t.sorted = base.sorted;
    t.byName = base.byName;
    t.shared = base.shared = true;
    return t;
  }

  add(name: string, address: bigint, size = 0): void {
    if (this.shared) {
      this.sorted = [...this.sorted];
      this.byName = new Map(this.byName);
      this.shared = false;
    }
    const s = { name, address, size };
    this.sorted.push(s);
    if (!this.byName.has(name)) this.byName.set(name, s);
    this.dirty = true;
  }

  private dirty = false;
  private sort(): void {
    if (!this.dirty) return;
    this.sorted.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    this.dirty = false;
  }

  get(name: string): Sym | undefined {
    return this.byName.get(name);
  }

  /** The symbol that holds `addr` (inside its size, or the nearest below when sizes are unknown). */
  at(addr: bigint): { sym: Sym; offset: bigint } | undefined {
    this.sort();
    let lo = 0, hi = this.sorted.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].address <= addr) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best < 0) return undefined;
    const sym = this.sorted[best];
    const offset = addr - sym.address;
    if (sym.size && offset >= BigInt(sym.size)) return undefined;
    if (!sym.size && offset > 0x10000n) return undefined;
    return { sym, offset };
  }

  /** `name+0x1c`, `name`, or undefined. */
  describe(addr: bigint): string | undefined {
    const hit = this.at(addr);
    if (!hit) return undefined;
    return hit.offset ? `${hit.sym.name}+0x${hit.offset.toString(16)}` : hit.sym.name;
  }

  all(): readonly Sym[] {
    this.sort();
    return this.sorted;
  }
}
