// strace -f's lines and sysgate trace's, taken apart per process (or thread) so that two traces
// can be compared whatever order the scheduler interleaved them in.

/**
 * Each process's lines on their own (the interleaving of processes is the scheduler's), a call
 * cut by `<unfinished ...>` joined with its `<... resumed>` part, pids numbered in order of
 * appearance, addresses as 0xA, padding collapsed.
 */
export function perProcess(text: string, pidOf: (line: string) => [number, string] | undefined): string[][] {
  const order: number[] = [];
  const lines = new Map<number, string[]>();
  const open = new Map<number, string>();
  for (const raw of text.trimEnd().split("\n")) {
    const m = pidOf(raw);
    if (!m) continue;
    const [pid, rest] = m;
    if (!lines.has(pid)) { lines.set(pid, []); order.push(pid); }
    if (rest.endsWith(" <unfinished ...>")) { open.set(pid, rest.slice(0, -" <unfinished ...>".length)); continue; }
    const resumed = /^<\.\.\. \S+ resumed>(.*)$/.exec(rest);
    const whole = resumed ? `${open.get(pid) ?? ""}${resumed[1]}` : rest;
    open.delete(pid);
    lines.get(pid)!.push(whole);
  }
  const norm = (l: string) => {
    // set_thread_area's entry: GDT_ENTRY_TLS_MIN is 6 on a 32-bit kernel (the model's), 12 on a 64-bit one
    let s = l.replace(/0x[0-9a-f]+/g, "0xA").replace(/\) +=/, ") =").replace(/^getrandom\("[^"]*"/, 'getrandom("RANDOM"')
      .replace(/ \(entry_number=\d+\)$/, " (entry_number=N)");
    order.forEach((pid, i) => { s = s.replace(new RegExp(`\\b${pid}\\b`, "g"), `PID${i}`); });
    return s;
  };
  return order.map((pid) => lines.get(pid)!.map(norm));
}
export const nativeLine = (l: string): [number, string] | undefined => {
  const m = /^(\d+) +(.*)$/.exec(l);
  return m ? [Number(m[1]), m[2]] : undefined;
};
export const oursLine = (first: number) => (l: string): [number, string] => {
  const m = /^\[pid +(\d+)\] (.*)$/.exec(l);
  return m ? [Number(m[1]), m[2]] : [first, l];
};

