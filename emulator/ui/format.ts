// Text helpers shared by the step session and the panels: hex of a fixed width, and reading a
// process's virtual memory through its page tables (a debugger's view that, unlike
// MmStruct.peek, never faults pages in and also reaches the kernel half). Syscall lines come
// from the strace formatter in kernel-model/trace/.

import type { Task } from "../../kernel-model/sched/task.js";
import { PAGE_SIZE } from "../../kernel-model/mm/phys.js";

export const hex = (v: bigint | number, width = 0): string => {
  const s = BigInt(v) < 0n ? "-" + (-BigInt(v)).toString(16) : BigInt(v).toString(16);
  return s.padStart(width, "0");
};
export const hx = (v: bigint | number): string => "0x" + hex(v);

/** Bytes of a process's virtual memory (user or kernel half) as its CPU's page walk finds them; stops short at an unmapped page. */
export function readVirtual(t: Pick<Task, "machine" | "mm">, va: bigint, len: number): Buffer {
  const mem = t.machine.phys.mem;
  const pgd = t.mm.pgd;
  const out: Buffer[] = [];
  let got = 0;
  while (got < len) {
    const a = va + BigInt(got);
    const pte = pgd.lookup(a & ~BigInt(PAGE_SIZE - 1));
    if (!pte) break;
    const off = Number(a & BigInt(PAGE_SIZE - 1));
    const n = Math.min(PAGE_SIZE - off, len - got);
    out.push(mem.subarray(pte.pa + off, pte.pa + off + n));
    got += n;
  }
  return Buffer.concat(out, got);
}

/** Pads or cuts a line to exactly `w` columns (panels never wrap). */
export const fit = (s: string, w: number): string => (s.length > w ? s.slice(0, Math.max(0, w - 1)) + "…" : s.padEnd(w));

/**
 * Like fit, but a syscall line too long for its pane loses the end of its arguments, not its
 * result: `write(1, "hello from sysc… = 19`.
 */
export function fitLine(s: string, w: number): string {
  if (s.length <= w) return s.padEnd(w);
  const m = / = [^=]*$| \.\.\.$/.exec(s);
  const tail = m ? m[0] : "";
  if (!tail || tail.length > w / 2) return fit(s, w);
  return s.slice(0, w - tail.length - 1) + "…" + tail;
}
