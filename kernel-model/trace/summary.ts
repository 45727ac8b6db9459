// strace -c: calls, errors and time per syscall, in strace's column layout, most time first.

export interface SummaryRow { name: string; calls: number; errors: number; ns: bigint }

export class SyscallSummary {
  private readonly rows = new Map<string, SummaryRow>();

  add(name: string, ns: bigint, error: boolean): void {
    let r = this.rows.get(name);
    if (!r) this.rows.set(name, (r = { name, calls: 0, errors: 0, ns: 0n }));
    r.calls++;
    if (error) r.errors++;
    r.ns += ns;
  }

  /** Rows by time spent, then by calls, then by name (ties are common on a virtual clock). */
  sorted(): SummaryRow[] {
    return [...this.rows.values()].sort((a, b) =>
      a.ns !== b.ns ? (b.ns > a.ns ? 1 : -1) : b.calls - a.calls || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  format(): string {
    const rows = this.sorted();
    const total = rows.reduce((t, r) => t + r.ns, 0n);
    const calls = rows.reduce((t, r) => t + r.calls, 0);
    const errors = rows.reduce((t, r) => t + r.errors, 0);
    const dash = "------ ----------- ----------- --------- --------- ----------------\n";
    const line = (pct: number, ns: bigint, n: number, err: number, name: string) =>
      `${pct.toFixed(2).padStart(6)} ${(Number(ns) / 1e9).toFixed(6).padStart(11)} ${String(n ? ns / 1000n / BigInt(n) : 0n).padStart(11)} ` +
      `${String(n).padStart(9)} ${(err ? String(err) : "").padStart(9)} ${name}\n`;
    let out = "% time     seconds  usecs/call     calls    errors syscall\n" + dash;
    for (const r of rows) out += line(total ? (Number(r.ns) * 100) / Number(total) : 0, r.ns, r.calls, r.errors, r.name);
    out += dash + line(100, total, calls, errors, "total");
    return out;
  }
}
