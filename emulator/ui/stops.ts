// Where a run of `sysgate step` stops: per run mode, the stages of a syscall that end it, and the
// breakpoints on syscalls that `c` runs to.

import type { SyscallTable } from "../../kernel-model/syscalls/table.js";
import type { SyscallRecord } from "./entry_path.js";

export type RunMode = "syscall" | "stage" | "out" | "continue";

export class StopRules {
  /** Syscall names, or numbers as typed. */
  readonly breakpoints = new Set<string>();

  private matches(r: SyscallRecord): boolean {
    return this.breakpoints.has(String(r.nr)) || (r.name !== undefined && this.breakpoints.has(r.name));
  }

  /**
   * Why a record's stage `point` ends a run in `mode` (`first`: the syscall just began), if it
   * does. Never asked at syscall_entry/syscall_exit: they fire inside the do_syscall_64 trap, and
   * a stop there makes the machine run the trap, hence the service routine, again on resume
   * (measured: a write printed twice). The stage walk single-steps through the kernel instead.
   */
  why(mode: RunMode | undefined, point: string, r: SyscallRecord, first: boolean): string | undefined {
    switch (mode) {
      case "stage": return `stage: ${point}`;
      case "syscall": return first ? `next syscall: ${r.name ?? r.nr}` : undefined;
      case "out": return point === "return" ? "return" : undefined;
      case "continue": return first && this.matches(r) ? `breakpoint: ${r.name ?? r.nr}` : undefined;
      default: return undefined;
    }
  }

  /** `b`: a breakpoint on a syscall name or number, or off again; what to say, or why not. */
  toggle(spec: string, table: SyscallTable): { message: string } | { error: string } {
    const s = spec.trim();
    if (!s) return { error: "which syscall?" };
    const slot = table.lookup(s);
    if (!slot) return { error: `no syscall '${s}' in the ${table.abi} table` };
    const key = /^\d+$/.test(s) ? String(slot.nr) : slot.name;
    if (this.breakpoints.delete(key)) return { message: `breakpoint on ${key} removed` };
    this.breakpoints.add(key);
    return { message: `breakpoint on ${slot.name} (#${slot.nr}): c runs to it` };
  }
}
