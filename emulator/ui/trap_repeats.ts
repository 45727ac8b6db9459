// Events that fire twice: a stop inside a code trap (the entry stub, the return instruction, a
// vDSO function, `call __kernel_vsyscall`) leaves the task's IP on the trapped instruction, so
// resuming it fires the trap again. These traps only report (they change nothing), and their
// repeats are passed over: per task, the trap events seen at the IP where it stopped are expected
// once more when it resumes there, each once.

import type { HookPoint } from "../../kernel-model/hooks.js";

/** Trap events at the IP where a task stopped: resuming it fires them again. */
export interface Refire { ip: bigint; points: HookPoint[] }

/** The points whose events come from a code trap at the task's IP. */
export function isTrapEvent(point: HookPoint, instruction?: string): boolean {
  return point === "entry_stub" || point === "return" || point === "vdso" || (point === "instruction" && instruction === "call __kernel_vsyscall");
}

export class TrapRepeats {
  /** Trap events (pid, point, address) seen during the current action. */
  private seen: { pid: number; point: HookPoint; address: bigint }[] = [];
  /** Per task, the trap events at the IP where it stopped. */
  private refires = new Map<number, Refire>();

  /** A new action: what it sees starts empty (what earlier ones left to repeat stays). */
  begin(): void {
    this.seen = [];
  }

  /** An event that is not a trap's: traps seen before it cannot repeat at the next stop. */
  other(): void {
    this.seen = [];
  }

  /** A trap's event of `pid` at `address` (its IP): false when it is the repeat of one before the stop. */
  accept(pid: number, point: HookPoint, address: bigint): boolean {
    const rf = this.refires.get(pid);
    if (rf && address === rf.ip && rf.points.includes(point)) {
      // each trap fires once on resuming: the next visit is a new one
      rf.points = rf.points.filter((p) => p !== point);
      if (!rf.points.length) this.refires.delete(pid);
      return false;
    }
    // only the latest traps at one address can repeat: an earlier syscall's entry_stub at the
    // same address must not hide this one's
    const prev = this.seen[this.seen.length - 1];
    if (prev && (prev.pid !== pid || prev.address !== address)) this.seen = [];
    this.seen.push({ pid, point, address });
    return true;
  }

  /** The task stopped at `ip`: the trap events seen there repeat when it resumes. */
  stopped(pid: number, ip: bigint): void {
    const points = this.seen.filter((e) => e.pid === pid && e.address === ip).map((e) => e.point);
    if (points.length) this.refires.set(pid, { ip, points });
    else this.refires.delete(pid);
  }

  /** Whether `pid` resumes on a trap whose events it will repeat (its first instruction is best run alone). */
  pending(pid: number): boolean {
    return this.refires.has(pid);
  }

  /** `pid` ran its first instruction after the stop: nothing of it repeats any more. */
  resumed(pid: number): void {
    this.refires.delete(pid);
  }

  save(): Map<number, Refire> {
    return new Map([...this.refires].map(([p, r]) => [p, { ip: r.ip, points: [...r.points] }]));
  }

  restore(s: Map<number, Refire>): void {
    this.refires = s;
    this.seen = [];
  }
}
