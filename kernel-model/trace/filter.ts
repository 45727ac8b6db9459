// -e trace=EXPR as strace reads it: names, %classes, /regex, `all`/`none`, a leading `!` to
// negate the whole set, `?` before a name to accept it even if the ABI has no such syscall.

import { syscallsOfClass, type TraceClass } from "./syscalls.js";

const CLASSES: Record<string, TraceClass> = {
  "%file": "file", file: "file", "%desc": "desc", desc: "desc", "%process": "process", process: "process",
  "%memory": "memory", memory: "memory", "%signal": "signal", signal: "signal", "%network": "network", "%net": "network",
  network: "network", "%ipc": "ipc", ipc: "ipc", "%creds": "creds", "%clock": "clock", "%pure": "pure", "%%stat": "stat",
};

export class TraceExprError extends Error {}

/**
 * A predicate on syscall names. `known` is the ABI's table (names a user may ask for);
 * an unknown name is an error, as in strace.
 */
export function parseTraceExpr(expr: string, known: readonly string[]): (name: string) => boolean {
  let e = expr.startsWith("trace=") ? expr.slice(6) : expr;
  const negate = e.startsWith("!");
  if (negate) e = e.slice(1);
  const names = new Set<string>();
  const regexes: RegExp[] = [];
  let all = false;
  for (const raw of e.split(",")) {
    const item = raw.trim();
    if (!item) continue;
    if (item === "all") all = true;
    else if (item === "none") continue;
    else if (item in CLASSES) for (const n of syscallsOfClass(CLASSES[item])) names.add(n);
    else if (item.startsWith("/")) regexes.push(new RegExp(item.slice(1)));
    else if (item.startsWith("?")) names.add(item.slice(1));
    else if (item.startsWith("%")) throw new TraceExprError(`invalid system call class '${item}'`);
    else if (!known.includes(item)) throw new TraceExprError(`invalid system call '${item}'`);
    else names.add(item);
  }
  const match = (n: string) => all || names.has(n) || regexes.some((r) => r.test(n));
  return negate ? (n) => !match(n) : match;
}
